"""The word index (Whoosh over jieba words): each case's keywords and its similar cases.

Words never decide whether a case matches a query (kb.search_exact does); they characterise a
case. One Whoosh index lives in each index generation folder and records, in the same commit
as its documents, the change number (kb.search_changes) it reflects. Every update is a catch-up
done inside Whoosh's single-writer lock: read the change number, read the cases changed since
the recorded one, write them and the new number, commit. An edit committed meanwhile has a
higher number, so it is caught by the next catch-up and never silently missed.

A rebuild indexes each case only by its words that are some case's keyword (the vocabulary),
a small part of its words, and keeps the corpus's word counts and the vocabulary beside the
index; a case written later gets its keywords by the kept counts and is indexed by the
vocabulary's words and its keywords. So every case is found by each keyword of the rebuild,
and a later keyword outside the vocabulary finds the cases that have it as a keyword (until
the next rebuild).
"""
from __future__ import annotations

import json
import threading
from collections import Counter, OrderedDict
from pathlib import Path
from typing import Callable

from kb.search_changes import changed_since, current_changes
import numpy as np

from kb.search_exact import SearchDocument, document_text
from kb.segment import configure_segmenter, keyword_candidates, pick_keywords, segment_with_breaks

WRITE_TIMEOUT = 30.0
_STATE_ID = "changes"  # the one document that holds the recorded change number
_FREQUENCIES = "frequencies.json"  # in how many cases each word occurs, as of the build
PARALLEL_FROM = 50  # fewer documents than this are built in one process
_TICK = 16  # documents a worker segments between two progress reports
REMEMBERED_CASES = 256  # cases whose keywords and similar cases a word index keeps (least recent go)


def _schema():
    from whoosh.analysis import SpaceSeparatedTokenizer
    from whoosh.fields import ID, STORED, TEXT, Schema

    # Text arrives segmented and normalised (kb.segment), words separated by spaces.
    return Schema(id=ID(stored=True, unique=True),
                  words=TEXT(analyzer=SpaceSeparatedTokenizer(), phrase=False),
                  keywords=STORED, changes=STORED)


def segment_document(doc: SearchDocument) -> tuple[int, dict[str, int], bytes]:
    """A case's id, how often each word that may be a keyword occurs in it, and where an excerpt
    of its text may be cut (packed flags over the title and fields laid out as kb.search_exact
    stores them): one jieba pass gives both."""
    words, breaks = segment_with_breaks(document_text(doc))
    return doc.case_id, keyword_candidates(Counter(words)), np.packbits(breaks).tobytes()


class _Share:
    """One worker's share of a build (or all of it in one process), in three steps: segment;
    pick keywords by the corpus's word counts; write a Whoosh segment, where each case's words
    are only those that are some case's keyword (similar cases are sought by keywords, and
    more-like-this needs no counts), a small part of its words."""

    def __init__(self, documents: list[SearchDocument]):
        self.documents = documents
        self.segmented: list[tuple[int, dict[str, int], bytes]] = []
        self.keywords: list[list[str]] = []

    def segment(self, tick: Callable[[int], None]) -> tuple[Counter, dict[int, bytes]]:
        """Segment the share; returns in how many of its cases each word occurs, and the breaks."""
        frequencies = Counter()
        for done, doc in enumerate(self.documents, 1):
            self.segmented.append(segment_document(doc))
            frequencies.update(self.segmented[-1][1].keys())
            tick(done)
        return frequencies, {case_id: packed for case_id, _, packed in self.segmented}

    def pick(self, frequencies: dict[str, int], count: int) -> set[str]:
        """Each case's keywords; returns all of them."""
        self.keywords = [pick_keywords(candidates, frequencies.__getitem__, count)
                         for _, candidates, _ in self.segmented]
        return {word for words in self.keywords for word in words}

    def write(self, writer, vocabulary: set[str]) -> None:
        """Add the share's cases to ``writer``, indexed by the words of ``vocabulary``."""
        for (case_id, candidates, _), keywords in zip(self.segmented, self.keywords):
            writer.add_document(id=str(case_id), words=_indexed(candidates, keywords, vocabulary),
                                keywords=keywords)


def _indexed(candidates: dict[str, int], keywords: list[str], vocabulary: set[str] | None) -> str:
    """The words a case is indexed by: those of the vocabulary (every case's keywords at the
    rebuild) and its own keywords; every candidate in an index from before the vocabulary."""
    if vocabulary is None:
        return " ".join(candidates)
    return " ".join(vocabulary.intersection(candidates).union(keywords))


def build_word_index(folder: Path, documents: list[SearchDocument], changes: int, *, workers: int,
                     progress: Callable[[int, int], None] | None, segmenter: dict,
                     meanwhile: Callable[[], None]) -> dict[int, bytes]:
    """Create the word index of a new generation in ``folder`` as of change ``changes``;
    returns each case's excerpt breaks. ``meanwhile`` runs here while the cases are segmented.

    With several workers each segments its share of the cases and writes it as its own Whoosh
    segment, so both jieba and Whoosh use every core; only word counts, keywords and breaks
    pass between processes. The corpus's word counts are kept beside the index for the
    keywords of cases written later. Progress counts the cases segmented."""
    from whoosh import index

    total = len(documents)
    report = progress or (lambda done, total: None)
    created = index.create_in(str(folder), _schema())
    if workers > 1 and total >= PARALLEL_FROM:
        frequencies, vocabulary, breaks, segments = _build_in_parallel(
            folder, documents, workers, report, segmenter, meanwhile)
        share = None
    else:
        share = _Share(documents)
        frequencies, breaks = share.segment(lambda done: report(done, total))
        meanwhile()
        vocabulary, segments = share.pick(frequencies, total), []
    (folder / _FREQUENCIES).write_text(json.dumps(
        {"count": total, "words": frequencies, "vocabulary": sorted(vocabulary)},
        ensure_ascii=False), "utf-8")
    writer = created.writer(limitmb=128)
    try:
        if share is not None:
            share.write(writer, vocabulary)
        writer.add_document(id=_STATE_ID, changes=changes)
    except BaseException:
        writer.cancel()
        raise
    if segments:  # the workers' segments join this writer's in one commit, as Whoosh's MpWriter does
        writer._commit_toc(segments + [writer._finalize_segment()])
        writer._finish()
    else:
        writer.commit()
    return breaks


def _build_in_parallel(folder, documents, workers, report, segmenter, meanwhile):
    """The corpus's word counts, its vocabulary, the breaks and the workers' Whoosh segments (see
    :func:`build_word_index`)."""
    import multiprocessing
    from multiprocessing.connection import wait

    total, done = len(documents), 0
    context = multiprocessing.get_context("fork")  # the documents reach the workers unpickled
    pipes, processes = [], []
    try:
        for number in range(workers):
            ours, theirs = context.Pipe()
            process = context.Process(target=_worker, daemon=True, name=f"reindex-{number}",
                                      args=(theirs, documents[number::workers], folder, segmenter))
            process.start()
            theirs.close()
            pipes.append(ours)
            processes.append(process)
        meanwhile()
        frequencies, breaks = Counter(), {}
        waiting = list(pipes)
        while waiting:
            for pipe in wait(waiting):
                kind, *payload = _receive(pipe)
                if kind == "segmented":
                    frequencies.update(payload[0])
                    breaks.update(payload[1])
                    waiting.remove(pipe)
                else:
                    done += payload[0]
                    report(done, total)
        for pipe in pipes:
            pipe.send((frequencies, total))
        vocabulary = set().union(*(_receive(pipe)[1] for pipe in pipes))
        for pipe in pipes:
            pipe.send(vocabulary)
        segments = [_receive(pipe)[1] for pipe in pipes]
        for process in processes:
            process.join()
        return frequencies, vocabulary, breaks, segments
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
                process.join()


def _receive(pipe):
    """A worker's next message; its failure raised here."""
    try:
        message = pipe.recv()
    except EOFError:
        raise RuntimeError("斷詞子行程意外結束") from None
    if message[0] == "failed":
        raise RuntimeError(f"斷詞子行程失敗：{message[1]}")
    return message


def _worker(pipe, documents: list[SearchDocument], folder: Path, segmenter: dict) -> None:
    """A worker's share of a build (:class:`_Share`), its steps paced by the parent's messages."""
    try:
        import gc

        from whoosh import index
        from whoosh.writing import SegmentWriter

        gc.freeze()  # the objects inherited from the parent are not scanned (nor copied) by gc
        configure_segmenter(**segmenter)
        share = _Share(documents)
        frequencies, breaks = share.segment(lambda done: done % _TICK or pipe.send(("done", _TICK)))
        pipe.send(("done", len(documents) % _TICK))
        pipe.send(("segmented", frequencies, breaks))
        pipe.send(("keywords", share.pick(*pipe.recv())))
        vocabulary = pipe.recv()
        writer = SegmentWriter(index.open_dir(str(folder)), _lk=False, limitmb=128)
        share.write(writer, vocabulary)
        pipe.send(("written", writer._finalize_segment()))
    except BaseException as error:  # noqa: BLE001 — reported to the parent, which raises it
        pipe.send(("failed", f"{type(error).__name__}: {error}"))


class WordIndex:
    """The Whoosh index of one generation folder."""

    def __init__(self, folder: Path):
        from whoosh import index

        self.folder = folder
        self._ix = index.open_dir(str(folder))
        self._recorded: tuple[int, int | None] | None = None  # (Whoosh generation, number)
        # What was found for each case as of one Whoosh generation: {"keywords": [...], limit:
        # [(case id, score)...]}; every commit (this process's or another's) starts it afresh.
        self._remembered: OrderedDict[int, dict] = OrderedDict()
        self._remembered_generation: int | None = None
        self._remembering = threading.Lock()

    def recorded_changes(self) -> int | None:
        """The change number this index reflects (None: an index from before the record). Asked
        on every staff page, so it is read again only when some process has committed a new
        generation of the index (a directory listing), not by opening a searcher each time."""
        # The generation is taken before the read: a commit in between is read at the next call.
        generation = self._ix.latest_generation()
        if self._recorded is None or self._recorded[0] != generation:
            with self._ix.searcher() as searcher:
                stored = searcher.document(id=_STATE_ID)
            self._recorded = (generation, stored.get("changes") if stored else None)
        return self._recorded[1]

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
                count, frequency, vocabulary = self._corpus(searcher)
                prepared = [(cid, candidates, pick_keywords(candidates, frequency, count))
                            for cid, candidates, _ in map(segment_document, documents.values())]
            for case_id in case_ids:
                if case_id not in documents:
                    writer.delete_by_term("id", str(case_id))
            for case_id, candidates, keywords in prepared:
                writer.update_document(id=str(case_id), keywords=keywords,
                                       words=_indexed(candidates, keywords, vocabulary))
            writer.update_document(id=_STATE_ID, changes=upto)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        return len(case_ids)

    def _corpus(self, searcher) -> tuple[int, Callable[[str], int], set[str] | None]:
        """How many cases the corpus has, in how many each word occurs (for keywords) and the
        vocabulary, as kept at the rebuild; from the index itself when it comes from before
        they were kept (every candidate word indexed, no vocabulary)."""
        try:
            kept = json.loads((self.folder / _FREQUENCIES).read_text("utf-8"))
        except FileNotFoundError:
            return (max(searcher.doc_count(), 1),
                    lambda word: searcher.doc_frequency("words", word), None)
        return kept["count"], lambda word: kept["words"].get(word, 0), set(kept["vocabulary"])

    def _memory_of(self, case_id: int) -> dict:
        """What is remembered of a case as of the index's latest generation (filled in by the
        caller), the least recently asked case forgotten past :data:`REMEMBERED_CASES`."""
        # The generation is taken before the caller's search: a commit in between makes the
        # remembered answer fresher than its generation, and the next call forgets it anyway.
        generation = self._ix.latest_generation()
        with self._remembering:
            if generation != self._remembered_generation:
                self._remembered.clear()
                self._remembered_generation = generation
            memory = self._remembered.get(case_id)
            if memory is None:
                memory = self._remembered[case_id] = {}
                if len(self._remembered) > REMEMBERED_CASES:
                    self._remembered.popitem(last=False)
            else:
                self._remembered.move_to_end(case_id)
            return memory

    def keywords(self, case_id: int) -> list[str]:
        """The keywords the index gave a case (empty before it is indexed)."""
        memory = self._memory_of(case_id)
        if "keywords" not in memory:
            with self._ix.searcher() as searcher:
                memory["keywords"] = _stored_keywords(searcher, case_id)
        return list(memory["keywords"])

    def similar(self, case_id: int, limit: int) -> tuple[list[str], list[tuple[int, float]]]:
        """A case's keywords and up to ``limit`` (case id, score) of others sharing them, best
        first; remembered until the index changes."""
        from whoosh.query import Or, Term

        memory = self._memory_of(case_id)
        if limit not in memory:
            with self._ix.searcher() as searcher:
                keywords = _stored_keywords(searcher, case_id)
                found = []
                if keywords:
                    results = searcher.search(Or([Term("words", w) for w in keywords]), limit=limit)
                    found = [(int(r["id"]), r.score) for r in results if r["id"] != str(case_id)]
            memory.update({"keywords": keywords, limit: found})
        return list(memory["keywords"]), list(memory[limit])


def _stored_keywords(searcher, case_id: int) -> list[str]:
    stored = searcher.document(id=str(case_id))
    return list(stored.get("keywords") or []) if stored else []
