"""The word index (Whoosh over jieba words): each case's keywords and its similar cases.

Words never decide whether a case matches a query (kb.search_exact does); they characterise a
case. One Whoosh index lives in each index generation folder and records, in the same commit
as its documents, the change number (kb.search_changes) it reflects. Every update is a catch-up
done inside Whoosh's single-writer lock: read the change number, read the cases changed since
the recorded one, write them and the new number, commit. An edit committed meanwhile has a
higher number, so it is caught by the next catch-up and never silently missed.
"""
from __future__ import annotations

from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Callable

from kb.search_changes import changed_since, current_changes
import numpy as np

from kb.search_exact import SearchDocument, document_text
from kb.segment import configure_segmenter, pick_keywords, segment_with_breaks

WRITE_TIMEOUT = 30.0
_STATE_ID = "changes"  # the one document that holds the recorded change number


def _schema():
    from whoosh.analysis import LowercaseFilter, SpaceSeparatedTokenizer
    from whoosh.fields import ID, STORED, TEXT, Schema

    # Text arrives already segmented by jieba (kb.segment), words separated by spaces.
    return Schema(id=ID(stored=True, unique=True),
                  words=TEXT(analyzer=SpaceSeparatedTokenizer() | LowercaseFilter(), phrase=False),
                  keywords=STORED, changes=STORED)


def segment_document(doc: SearchDocument) -> tuple[int, Counter, bytes]:
    """A case's id, how often each of its words occurs, and where an excerpt of its text may
    be cut (packed flags over the title and fields laid out as kb.search_exact stores them)."""
    words, breaks = segment_with_breaks(document_text(doc))
    return doc.case_id, Counter(words), np.packbits(breaks).tobytes()


def segment_all(documents: list[SearchDocument], workers: int,
                progress: Callable[[int, int], None] | None, segmenter: dict,
                meanwhile: Callable[[], None] | None = None) -> list[tuple[int, Counter, bytes]]:
    """Segment every document, across ``workers`` processes when there are enough of them;
    ``meanwhile`` runs here while the workers segment."""
    total = len(documents)
    if workers > 1 and total > 50:
        pool = ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(segmenter,))
        results = pool.map(segment_document, documents, chunksize=32)
    else:
        pool, results = None, map(segment_document, documents)
    try:
        if meanwhile is not None:
            meanwhile()
        segmented = []
        for done, item in enumerate(results, 1):
            segmented.append(item)
            if progress:
                progress(done, total)
        return segmented
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _init_worker(settings: dict) -> None:
    configure_segmenter(**settings)


def write_word_index(folder: Path, segmented: list[tuple[int, Counter, bytes]], changes: int) -> None:
    """Create the word index of a new generation in ``folder``, as of change ``changes``.

    Each case's distinct words are indexed, fewer tokens for Whoosh to write (more-like-this
    needs no counts); keywords weigh the counts."""
    from whoosh import index

    frequencies = Counter(word for _, counts, _ in segmented for word in counts)
    writer = index.create_in(str(folder), _schema()).writer(limitmb=128)
    try:
        for case_id, counts, _ in segmented:
            writer.add_document(
                id=str(case_id), words=" ".join(counts),
                keywords=pick_keywords(counts, frequencies.__getitem__, len(segmented)))
        writer.add_document(id=_STATE_ID, changes=changes)
    except BaseException:
        writer.cancel()
        raise
    writer.commit()


class WordIndex:
    """The Whoosh index of one generation folder."""

    def __init__(self, folder: Path):
        from whoosh import index

        self.folder = folder
        self._ix = index.open_dir(str(folder))

    def recorded_changes(self) -> int | None:
        """The change number this index reflects (None: an index from before the record)."""
        with self._ix.searcher() as searcher:
            stored = searcher.document(id=_STATE_ID)
        return stored.get("changes") if stored else None

    def catch_up(self, load_documents: Callable[[list[int]], list[SearchDocument]]) -> int:
        """Write every case changed since the recorded change number; returns how many."""
        if (self.recorded_changes() or 0) >= current_changes():
            return 0  # current: no need to take the writer's lock
        writer = self._ix.writer(timeout=WRITE_TIMEOUT)
        try:
            upto = current_changes()
            with self._ix.searcher() as searcher:
                stored = searcher.document(id=_STATE_ID)
                recorded = stored.get("changes", 0) if stored else 0
                if upto <= recorded:
                    writer.cancel()
                    return 0
                case_ids = changed_since(recorded, upto)
                documents = {d.case_id: d for d in load_documents(case_ids)}
                count = max(searcher.doc_count(), 1)
                frequency = lambda word: searcher.doc_frequency("words", word)  # noqa: E731
                prepared = [(cid, counts, pick_keywords(counts, frequency, count))
                            for cid, counts, _ in map(segment_document, documents.values())]
            for case_id in case_ids:
                if case_id not in documents:
                    writer.delete_by_term("id", str(case_id))
            for case_id, counts, keywords in prepared:
                writer.update_document(id=str(case_id), words=" ".join(counts), keywords=keywords)
            writer.update_document(id=_STATE_ID, changes=upto)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        return len(case_ids)

    def keywords(self, case_id: int) -> list[str]:
        """The keywords the index gave a case (empty before it is indexed)."""
        with self._ix.searcher() as searcher:
            stored = searcher.document(id=str(case_id))
        return list(stored.get("keywords") or []) if stored else []

    def similar(self, case_id: int, limit: int) -> tuple[list[str], list[tuple[int, float]]]:
        """A case's keywords and up to ``limit`` (case id, score) of others sharing them, best first."""
        from whoosh.query import Or, Term

        with self._ix.searcher() as searcher:
            stored = searcher.document(id=str(case_id))
            keywords = list(stored.get("keywords") or []) if stored else []
            if not keywords:
                return [], []
            results = searcher.search(Or([Term("words", w) for w in keywords]), limit=limit)
            return keywords, [(int(r["id"]), r.score) for r in results if r["id"] != str(case_id)]

