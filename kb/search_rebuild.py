"""Index generations on disk, and the rebuild of one from the database.

Each home keeps its own index under ``<home>/index``: ``gen-N`` folders, each holding a Whoosh
word index (kb.search_words) and an exact-match snapshot in ``exact/`` (kb.search_exact), both
as of the change number they record; ``CURRENT`` names the generation in use. A rebuild writes
a complete new generation and swaps it in atomically, so a crash leaves the old one serving;
several app servers on one database each rebuild and catch up their own home's index.
"""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Callable

from kb.search_changes import register_home
from kb.search_exact import SearchDocument, snapshot_changes, write_breaks, write_snapshot
from kb.search_words import build_word_index

EXACT = "exact"


class Generations:
    """The generation folders of one home's index, and the note of its last failed update."""

    def __init__(self, root: Path):
        self.root = root
        self._known: tuple[tuple, Path] | None = None  # (CURRENT's identity, the folder it names)

    def current(self) -> Path | None:
        """The folder in use, or None when there is no complete generation of this code's
        format (a home on an older one is rebuilt as one with no index); one stat when
        ``CURRENT`` is unchanged: it is asked before every search."""
        try:
            found = os.stat(self.root / "CURRENT")
        except FileNotFoundError:
            return None
        identity = (found.st_ino, found.st_mtime_ns, found.st_size)
        if self._known is not None and self._known[0] == identity:
            return self._known[1]
        try:
            name = (self.root / "CURRENT").read_text().strip()
        except FileNotFoundError:
            return None
        folder = self.root / name
        if snapshot_changes(folder / EXACT) is None:  # incomplete, or of a format no longer read
            return None
        self._known = (identity, folder)
        return folder

    def note(self) -> str:
        """Why the last index update failed ("" when it did not)."""
        try:
            return (self.root / "NOTE").read_text()
        except FileNotFoundError:
            return ""

    def set_note(self, note: str) -> None:
        """Record a failed update (cleared by the next successful one)."""
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "NOTE").write_text(note[:500])

    def home_name(self) -> str:
        """This home's name in the database's list of homes (kb.search_changes), made once."""
        path = self.root / "HOME"
        try:
            return path.read_text().strip()
        except FileNotFoundError:
            self.root.mkdir(parents=True, exist_ok=True)
            draft = self.root / f"HOME.{os.getpid()}"
            draft.write_text(uuid.uuid4().hex)
            os.replace(draft, path)
            return path.read_text().strip()

    def clear_note(self) -> None:
        (self.root / "NOTE").unlink(missing_ok=True)

    def build(self, write: Callable[[Path], None]) -> str:
        """Write a new generation with ``write(folder)``, make it current, drop the old ones.

        Until the final rename the current generation keeps serving; a failure removes the
        half-written folder."""
        self.root.mkdir(parents=True, exist_ok=True)
        numbers = [int(p.name[4:]) for p in self.root.glob("gen-*") if p.name[4:].isdigit()]
        name = f"gen-{max(numbers, default=0) + 1:06d}"
        folder = self.root / name
        folder.mkdir()
        try:
            write(folder)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        draft = self.root / f"CURRENT.{os.getpid()}"
        draft.write_text(name)
        os.replace(draft, self.root / "CURRENT")  # atomic: readers see the old or the new
        for old in self.root.glob("gen-*"):
            if old.name != name:
                shutil.rmtree(old, ignore_errors=True)
        return name


def rebuild_generation(generations: Generations,
                       load_documents: Callable[[list[int] | None], list[SearchDocument]], *,
                       workers: int, progress: Callable[[int, int], None] | None,
                       segmenter: dict) -> str:
    """Build a complete generation of every case as of now; returns its name. Cases written
    meanwhile carry later change numbers: the caller catches up on them."""
    changes = register_home(generations.home_name())  # before reading: the record is kept from here
    documents = load_documents(None)

    def write(folder: Path) -> None:
        breaks = build_word_index(folder, documents, changes, workers=workers, progress=progress,
                                  segmenter=segmenter,
                                  meanwhile=lambda: write_snapshot(folder / EXACT, documents, changes))
        write_breaks(folder / EXACT, breaks)

    return generations.build(write)
