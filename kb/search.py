"""Case search: every case that contains the query, best first.

The service ties the parts together, each in its own module:

- kb.search_changes — the change record in the database that every process catches up from;
- kb.search_exact — which cases contain a term (exact, from a persisted snapshot plus the cases
  written since);
- kb.search_rank — BM25 ranking on exact counts, facets, snippets;
- kb.search_words — the Whoosh word index: keywords and similar cases;
- kb.search_rebuild — index generations on disk and the rebuild from the database.

The database is the source of truth; the index is derived data that records the change number
it reflects, so a process (on any server) always knows what it lags and catches up on exactly
those cases.
"""
from __future__ import annotations

import functools
import html
import logging
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from kb import search_rank
from kb.db import database
from kb.querytext import normalize_text, parse_query, term_variants
from kb.reading import read_once
from kb.search_changes import (RecordPruned, cases_behind, changed_since, current_changes,
                               note_case_change, prune_changes, pruned_through, register_home)
from kb.search_exact import FACETS, SEPARATOR, ExactIndex, SearchDocument, snapshot_changes
from kb.search_rebuild import EXACT, Generations, rebuild_generation
from kb.search_words import WordIndex

__all__ = ["FACETS", "SEPARATOR", "CaseSearch", "Hit", "SearchDocument", "SearchResults",
           "case_search", "cases_changed", "configure_search", "note_case_change"]

log = logging.getLogger(__name__)
_UNLOADED = object()


@dataclass
class Hit:
    """One result."""

    case_id: int
    title: str
    year: int
    county: str
    region: str
    category: str
    award: str | None
    score: float
    snippet: str  # HTML: escaped text with <mark> around matches

    def as_dict(self) -> dict:
        return {"id": self.case_id, "title": self.title, "year": self.year,
                "county": self.county, "region": self.region, "category": self.category,
                "award": self.award, "score": round(self.score, 4), "snippet": self.snippet}


@dataclass
class SearchResults:
    """A page of results with the total and facet counts over every match."""

    total: int
    hits: list[Hit]
    facets: dict[str, dict]
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"total": self.total, "hits": [h.as_dict() for h in self.hits],
                "facets": self.facets, "notes": self.notes}


def _hit(values: dict, title: str, score: float, snippet: str) -> Hit:
    """A result from a case's values (kb.search_exact.ExactIndex.facet_values) and its title."""
    return Hit(case_id=values["case_id"], title=title, year=values["year"], county=values["county"],
               region=values["region"], category=values["category"], award=values["award"],
               score=float(score), snippet=snippet)


@contextmanager
def _connected():
    """A database connection for the block: the caller's, else one opened and closed here."""
    opened = database.is_closed()
    if opened:
        database.connect()
    try:
        yield
    finally:
        if opened:
            database.close()


def _locked(method):
    """Run under the service's lock: the exact index is brought up to date in place."""
    @functools.wraps(method)
    def run(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)
    return run


LOOKALIKE_POOL = 10  # similar cases among which earlier look-alikes are sought
HOME_REFRESH = 3600.0  # seconds between this process's notes that its home is still in use


class CaseSearch:
    """Search over cases; views and commands call :meth:`search` and :meth:`similar`."""

    def __init__(self, index_root: Path, load_documents: Callable[[list[int] | None], list[SearchDocument]],
                 segmenter: dict | None = None):
        self.root = index_root
        self.generations = Generations(index_root)
        self._load_documents = load_documents
        self._segmenter = segmenter or {}
        self._lock = threading.RLock()
        self._exact: ExactIndex | None = None
        self._folder = _UNLOADED
        self._seen: int | None = None
        self._words: tuple[Path, WordIndex] | None = None
        self._builder: threading.Thread | None = None
        self._keeper: threading.Thread | None = None
        self._registered = 0.0  # when this process last noted its home in the database

    # keeping the exact index current

    def _sync(self) -> ExactIndex:
        """The exact index as of the latest committed change: a new generation is loaded, and
        only the cases written since are read from the database. Within one page's reading
        (:func:`kb.reading.one_reading`) the change record is asked once, so the page's searches
        see one state of the index."""
        changes = read_once("search changes", current_changes)
        folder = self.generations.current()
        if folder != self._folder:
            exact = ExactIndex(folder / EXACT if folder else None)
            seen = exact.changes
            if folder is None:  # no snapshot: every case from the database
                exact.apply(self._load_documents(None), [])
                seen = changes
            self._exact, self._folder, self._seen = exact, folder, seen
        if changes != self._seen:
            try:
                case_ids = changed_since(self._seen, changes)
            except RecordPruned:  # this home's snapshot is older than the record: every case
                self._exact = ExactIndex(None)
                self._exact.apply(self._load_documents(None), [])
                self._seen = changes
                return self._exact
            documents = self._load_documents(case_ids)
            found = {d.case_id for d in documents}
            self._exact.apply(documents, [cid for cid in case_ids if cid not in found])
            self._seen = changes
        return self._exact

    @_locked
    def warm(self) -> ExactIndex:
        """Load the exact index and the query converter now rather than at the first search
        (the word index opens at the first keywords or similar cases: searching never needs it);
        the index's files are then read into memory in the background (``prefetched`` waits)."""
        term_variants("")
        return self._sync()

    # searching

    @_locked
    def search(self, phrase: str, *, year: int | None = None, region: str | None = None,
               county: str | None = None, category: str | None = None, award: str | None = None,
               public: bool = False, page: int = 1, per_page: int = 20,
               sort: str = "relevance") -> SearchResults:
        """Cases containing every term of ``phrase`` (see kb.querytext), filtered, best first.

        ``public`` limits to published cases. ``sort`` is ``relevance`` or ``year``.
        """
        index = self._sync()
        query = parse_query(phrase.replace("\x00", ""))  # no text holds NUL; PostgreSQL refuses it
        allowed = self._filter(index, year=year, region=region, county=county,
                               category=category, award=award, public=public)
        matched, scores = search_rank.match(index, query, allowed)
        start = (max(page, 1) - 1) * max(per_page, 0)
        slots, scores = search_rank.order(index, matched, scores, sort, start + max(per_page, 0))
        variants = [v for term in query.terms() for v in term_variants(term) if v]
        shown = slots[start:].tolist()
        hits = [_hit(values, passage.title, score, search_rank.make_snippet(passage, variants))
                for values, passage, score in zip(index.facet_values(shown), index.passages(shown, variants),
                                                  scores[start:].tolist())]
        return SearchResults(total=len(matched), hits=hits, facets=search_rank.facets(index, matched),
                             notes=query.notes)

    @staticmethod
    def _filter(index: ExactIndex, **wanted) -> np.ndarray:
        allowed = np.ones(index.size, dtype=bool)
        if wanted["year"] is not None:
            allowed &= index.years == wanted["year"]
        for name in ("region", "county", "category"):
            if wanted[name]:
                value = normalize_text(wanted[name])
                codes = [n for n, v in enumerate(index.normalised_values[name]) if v == value]
                allowed &= np.isin(index.codes[name], codes)
        if wanted["award"]:
            codes = [n for n, v in enumerate(index.values["award"]) if v == wanted["award"]]
            allowed &= np.isin(index.codes["award"], codes)
        if wanted["public"]:
            allowed &= index.published
        return allowed

    # the word index: similar cases and keywords

    def _word_index(self) -> WordIndex | None:
        folder = self.generations.current()
        if folder is None:
            return None
        if self._words is None or self._words[0] != folder:
            self._words = (folder, WordIndex(folder))
        return self._words[1]

    @_locked
    def similar(self, case_id: int, *, public: bool = False, limit: int = 5) -> list[Hit]:
        """The cases most like this one (more-like-this over its jieba keywords)."""
        index, words = self._sync(), self._word_index()
        if words is None:
            return []
        keywords, found = words.similar(case_id, limit * 4 + 1)
        snippet = html.escape("、".join(keywords[:5]))
        hits = []
        for other_id, score in found:
            slot = index.slot_of(other_id)
            if slot is None:
                continue
            values = index.facet_values([slot])[0]
            if public and not values["published"]:
                continue
            hits.append(_hit(values, index.document(slot).title, score, snippet))
            if len(hits) == limit:
                break
        return hits

    @_locked
    def earlier_lookalikes(self, case_id: int, *, threshold: float = 0.5,
                           similar: list[Hit] | None = None) -> list[tuple[Hit, float]]:
        """Cases of the same county in earlier years that read very like this one (for staff),
        among ``similar`` (the case's similar cases, staff scope, when the caller has them)."""
        index = self._sync()
        slot = index.slot_of(case_id)
        if slot is None:
            return []
        doc = index.document(slot)
        found = []
        for hit in similar if similar is not None else self.similar(case_id, limit=LOOKALIKE_POOL):
            if hit.county == doc.county and hit.year < doc.year:
                similarity = self.text_similarity(case_id, hit.case_id)
                if similarity >= threshold:
                    found.append((hit, similarity))
        return found

    def keywords(self, case_id: int) -> list[str]:
        """The jieba keywords the index gave a case (empty before it is indexed)."""
        words = self._word_index()
        return words.keywords(case_id) if words else []

    @_locked
    def text_similarity(self, case_id: int, other_id: int) -> float:
        """Jaccard similarity of the two cases' character bigrams (title and summary)."""
        index = self._sync()
        grams = []
        for cid in (case_id, other_id):
            slot = index.slot_of(cid)
            if slot is None:
                return 0.0
            doc = index.document(slot)
            text = normalize_text(doc.title + doc.fields[0][1]) if doc.fields else ""
            grams.append({text[i:i + 2] for i in range(len(text) - 1)})
        union = grams[0] | grams[1]
        return len(grams[0] & grams[1]) / len(union) if union else 0.0

    # keeping the word index current

    def catch_up(self) -> None:
        """Bring this home's word index up to the latest change (after a write commits, at
        start, and from the background on a server).

        A failure is noted instead of raised: the cases are safe in the database, matching does
        not depend on the word index, and the next catch-up retries."""
        words = self._word_index()
        if words is None:
            return  # no index yet: the next rebuild includes every case
        try:
            with _connected():
                self._note_home(words)
                words.catch_up(self._load_documents)
            self.generations.clear_note()
        except RecordPruned:
            if not self.building():
                self.rebuild_in_background()
        except Exception as error:  # noqa: BLE001 — any failure leaves the index behind, never a lost case
            log.warning("search index update failed: %s", error)
            self.generations.set_note(f"更新索引失敗：{error}")

    def _note_home(self, words: WordIndex) -> None:
        """Keep this home on the database's list (at most once an hour per process), so the
        change record is kept for it; a home from before the list joins it here."""
        if time.monotonic() - self._registered < HOME_REFRESH and self._registered:
            return
        snapshot = snapshot_changes(words.folder / EXACT)
        if snapshot is not None:
            register_home(self.generations.home_name(), snapshot)
            self._registered = time.monotonic()

    def rebuild(self, *, workers: int = 2, progress: Callable[[int, int], None] | None = None) -> str:
        """Rebuild this home's index from the database and swap it in; returns the generation.
        The change record is then pruned up to where every home in use has caught up."""
        name = rebuild_generation(self.generations, self._load_documents, workers=workers,
                                  progress=progress, segmenter=self._segmenter)
        self._registered = time.monotonic()
        self.catch_up()  # cases written while the new generation was being built
        with _connected():
            prune_changes()
        return name

    def rebuild_in_background(self, *, workers: int = 2) -> None:
        """Start a rebuild in a thread; searches answer meanwhile (from the database text) and
        :meth:`building` says so."""
        def run():
            try:
                with _connected():
                    self.rebuild(workers=workers)
            except Exception as error:  # noqa: BLE001 — reported on the status, retried by `forum reindex`
                log.exception("search index rebuild failed")
                self.generations.set_note(f"重建索引失敗：{error}")

        self._builder = threading.Thread(target=run, name="search-rebuild", daemon=True)
        self._builder.start()

    def building(self) -> bool:
        """Whether this process is building the index, so pages say so."""
        return self._builder is not None and self._builder.is_alive()

    def keep_current(self, interval: float = 2.0) -> None:
        """Catch up from the change record every ``interval`` seconds in a background thread, so
        edits made on another server reach this one's word index (once per service). When the
        cases changed since the snapshot grow past a fifth of all (at least 1,000), a new
        generation is built in the background to fold them in."""
        if self._keeper is not None:
            return
        stop = threading.Event()

        def run():
            while not stop.wait(interval):
                if _service is not self:
                    return
                if self.building():
                    continue
                with _connected():
                    self.catch_up()
                exact = self._exact
                if exact is not None and exact.overlay_size > max(1000, exact.size // 5) \
                        and not self.generations.note():
                    self.rebuild_in_background()

        self._keeper = threading.Thread(target=run, name="search-catch-up", daemon=True)
        self._keeper.start()

    def needs_rebuild(self) -> bool:
        """Whether staff must rebuild this home's index (missing, from before the change
        record, or its last update failed); asked on every staff page, so it reads only the
        index folder, never the database."""
        return self._recorded_changes() is None or bool(self.generations.note())

    def _recorded_changes(self) -> int | None:
        words = self._word_index()
        return words.recorded_changes() if words else None

    def status(self) -> dict:
        """How this home's index stands: its generation, whether it is missing, how many cases
        it lags behind the change record (``stale`` when any), and the last failure."""
        folder = self.generations.current()
        recorded = self._recorded_changes()
        missing = recorded is None
        behind = 0 if missing else cases_behind(recorded)
        latest = current_changes()
        outdated = not missing and recorded < min(pruned_through(), latest)
        note = self.generations.note()
        return {"generation": int(folder.name[4:]) if folder else 0,
                "folder": folder.name if folder else None, "missing": missing,
                "outdated": outdated, "stale": behind > 0 or outdated or bool(note),
                "behind": behind, "note": note,
                "changes": latest, "indexed_changes": recorded,
                "building": self.building()}


_service: CaseSearch | None = None


def configure_search(index_root: Path, load_documents: Callable[[list[int] | None], list[SearchDocument]],
                     segmenter: dict | None = None) -> CaseSearch:
    """Install the process's search service on an index folder (done when the instance opens);
    the service already serving that folder is kept, with whatever it has loaded."""
    global _service
    if _service is None or _service.root != index_root:
        _service = CaseSearch(index_root, load_documents, segmenter)
    return _service


def case_search() -> CaseSearch:
    """The process's search service."""
    if _service is None:
        raise RuntimeError("search is not configured: open the instance first")
    return _service


def cases_changed(case_ids: list[int]) -> None:
    """Tell search that these cases were written (call after the transaction commits)."""
    if _service is not None and case_ids:
        _service.catch_up()
