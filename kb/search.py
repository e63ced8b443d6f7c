"""Case search: every case that contains the query, best first.

Matching is exact and decided on the normalised text of each case held in memory (synced from
the database, the source of truth): a term matches when the text contains it as a substring.
Character unigram and bigram postings, also in memory, narrow down which texts to check: a term
can only be in a case that contains its rarest bigram. Ranking is BM25-style on those exact
matches (a title match above a body-only one), refined by Whoosh over jieba words, which also
gives each case its keywords and its similar cases.

Whoosh keeps the word index on disk under ``<instance>/index/gen-N``; ``CURRENT`` names the
generation in use, so a rebuild writes a new generation and swaps it in atomically. The word
index is derived data: a failed update marks it stale, and ``rebuild_index`` recreates it.
"""
from __future__ import annotations

import functools
import html
import logging
import math
import os
import shutil
import threading
from array import array
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from kb.db import database
from kb.models import SearchState
from kb.querytext import ParsedQuery, normalize_text, parse_query, term_variants
from kb.segment import pick_keywords, segment, tokenizer

log = logging.getLogger(__name__)

SEPARATOR = "\x1f"  # between fields, so no match spans two of them
K1, B = 1.2, 0.75
RERANK_DEPTH = 100
WRITE_TIMEOUT = 30.0
FACETS = ("year", "region", "county", "category", "award")


@dataclass
class SearchDocument:
    """What search knows of a case: its text and the values it is filtered by."""

    case_id: int
    year: int
    region: str
    county: str
    category: str
    award: str | None
    published: bool
    title: str
    fields: list[tuple[str, str]]  # (label, text) of summary, sections, agency, keywords
    stamp: str  # changes whenever the case changes


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


# --- the in-memory text of every case ---------------------------------------------------------

class _Corpus:
    """Normalised text of every case with unigram and bigram postings, by slot number."""

    def __init__(self):
        self.docs: list[SearchDocument | None] = []
        self.titles: list[str] = []
        self.bodies: list[str] = []
        self.slots: dict[int, int] = {}
        self.postings: dict[str, array] = {}
        self.live = 0
        self.body_length_total = 0

    def add(self, doc: SearchDocument) -> None:
        slot = len(self.docs)
        title = normalize_text(doc.title)
        body = SEPARATOR.join(normalize_text(text) for _, text in doc.fields)
        self.docs.append(doc)
        self.titles.append(title)
        self.bodies.append(body)
        self.slots[doc.case_id] = slot
        self.live += 1
        self.body_length_total += len(body)
        text = title + SEPARATOR + body
        grams = set(text)
        grams.update(text[i:i + 2] for i in range(len(text) - 1))
        postings = self.postings
        for gram in grams:
            posting = postings.get(gram)
            if posting is None:
                postings[gram] = array("i", (slot,))
            else:
                posting.append(slot)

    def remove(self, case_id: int) -> None:
        slot = self.slots.pop(case_id, None)
        if slot is not None:
            self.live -= 1
            self.body_length_total -= len(self.bodies[slot])
            self.docs[slot] = None
            self.titles[slot] = self.bodies[slot] = ""

    @property
    def wasted(self) -> int:
        return len(self.docs) - self.live

    def candidates(self, variant: str) -> Iterable[int]:
        """Slots whose text may contain ``variant``: those holding its rarest gram."""
        if len(variant) == 1:
            return self.postings.get(variant, ())
        best = None
        for i in range(len(variant) - 1):
            posting = self.postings.get(variant[i:i + 2])
            if posting is None:
                return ()
            if best is None or len(posting) < len(best):
                best = posting
        return best

    def term_matches(self, term: str) -> dict[int, tuple[int, int]]:
        """Slots whose text contains the term (any of its variants) → (title count, body count)."""
        found: dict[int, tuple[int, int]] = {}
        for variant in term_variants(term):
            if SEPARATOR in variant or not variant:
                continue
            titles, bodies, docs = self.titles, self.bodies, self.docs
            for slot in self.candidates(variant):
                if slot in found or docs[slot] is None:
                    continue
                in_title, in_body = titles[slot].count(variant), bodies[slot].count(variant)
                if in_title or in_body:
                    found[slot] = (in_title, in_body)
        return found


# --- the word index (Whoosh) ------------------------------------------------------------------

def _schema():
    from whoosh.analysis import LowercaseFilter, SpaceSeparatedTokenizer
    from whoosh.fields import ID, STORED, TEXT, Schema

    # Text arrives already segmented by jieba (kb.segment), words separated by spaces.
    return Schema(id=ID(stored=True, unique=True),
                  words=TEXT(analyzer=SpaceSeparatedTokenizer() | LowercaseFilter(), phrase=False),
                  keywords=STORED)


def _segment_document(doc: SearchDocument) -> tuple[int, list[str]]:
    return doc.case_id, segment(doc.title + "\n" + "\n".join(text for _, text in doc.fields))


def _init_worker(settings: dict) -> None:
    from kb.segment import configure_segmenter

    configure_segmenter(**settings)


class WordIndex:
    """The Whoosh index of jieba words, one generation folder at a time."""

    def __init__(self, root: Path):
        self.root = root
        self._lock = threading.Lock()
        self._opened: tuple[str, object] | None = None

    def current_name(self) -> str | None:
        pointer = self.root / "CURRENT"
        try:
            name = pointer.read_text().strip()
        except FileNotFoundError:
            return None
        return name if (self.root / name).is_dir() else None

    def open(self):
        """The current Whoosh index, or None when there is none."""
        name = self.current_name()
        if name is None:
            return None
        with self._lock:
            if self._opened is None or self._opened[0] != name:
                from whoosh import index

                self._opened = (name, index.open_dir(str(self.root / name)))
            return self._opened[1]

    def write(self, documents: list[tuple[int, list[str]]], removed: Iterable[int]) -> None:
        """Add or replace documents (case id, words) and remove others; waits for the lock."""
        ix = self.open()
        if ix is None:
            raise RuntimeError("搜尋索引尚未建立")
        with ix.searcher() as searcher:
            count = max(searcher.doc_count(), 1)
            frequency = lambda word: searcher.doc_frequency("words", word)  # noqa: E731
            prepared = [(case_id, words, pick_keywords(words, frequency, count))
                        for case_id, words in documents]
        writer = ix.writer(timeout=WRITE_TIMEOUT)
        try:
            for case_id in removed:
                writer.delete_by_term("id", str(case_id))
            for case_id, words, keywords in prepared:
                writer.update_document(id=str(case_id), words=" ".join(words), keywords=keywords)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def build(self, documents: list[SearchDocument], *, workers: int,
              progress: Callable[[int, int], None] | None, segmenter: dict) -> str:
        """Write a complete new generation and make it current; return its name.

        Until the final rename, the current generation keeps serving; a failure removes the
        half-written folder."""
        self.root.mkdir(parents=True, exist_ok=True)
        numbers = [int(p.name[4:]) for p in self.root.glob("gen-*") if p.name[4:].isdigit()]
        name = f"gen-{max(numbers, default=0) + 1:06d}"
        folder = self.root / name
        folder.mkdir()
        try:
            self._write_generation(folder, _segment_all(documents, workers, progress, segmenter))
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        draft = self.root / "CURRENT.new"
        draft.write_text(name)
        os.replace(draft, self.root / "CURRENT")  # atomic: readers see the old or the new
        for old in self.root.glob("gen-*"):
            if old.name != name:
                shutil.rmtree(old, ignore_errors=True)
        return name

    @staticmethod
    def _write_generation(folder: Path, segmented: list[tuple[int, list[str]]]) -> None:
        from whoosh import index

        frequencies = Counter(word for _, words in segmented for word in set(words))
        writer = index.create_in(str(folder), _schema()).writer(limitmb=256)
        try:
            for case_id, words in segmented:
                writer.add_document(
                    id=str(case_id), words=" ".join(words),
                    keywords=pick_keywords(words, frequencies.__getitem__, len(segmented)))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()


def _segment_all(documents: list[SearchDocument], workers: int,
                 progress: Callable[[int, int], None] | None,
                 segmenter: dict) -> list[tuple[int, list[str]]]:
    """Segment every document, across ``workers`` processes when there are enough of them."""
    total = len(documents)
    if workers > 1 and total > 50:
        pool = ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(segmenter,))
        results = pool.map(_segment_document, documents, chunksize=16)
    else:
        pool, results = None, map(_segment_document, documents)
    try:
        segmented = []
        for done, item in enumerate(results, 1):
            segmented.append(item)
            if progress:
                progress(done, total)
        return segmented
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


# --- the service ------------------------------------------------------------------------------

def _locked(method):
    """Run a reading method under the service's lock: the corpus is updated in place, and the
    GIL would allow no parallel search anyway."""
    @functools.wraps(method)
    def run(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)
    return run


LOOKALIKE_POOL = 10  # similar cases among which earlier look-alikes are sought


class CaseSearch:
    """Search over cases; views and commands call :meth:`search` and :meth:`similar`."""

    def __init__(self, index_root: Path, load_documents: Callable[[list[int] | None], list[SearchDocument]],
                 segmenter: dict | None = None):
        self.words = WordIndex(index_root)
        self._load_documents = load_documents
        self._segmenter = segmenter or {}
        self._corpus = _Corpus()
        self._seen_changes: int | None = None
        self._docnum_cache: tuple | None = None
        self._lock = threading.RLock()

    # keeping the text current

    def _sync(self) -> _Corpus:
        changes = SearchState.select(SearchState.changes).scalar()
        with self._lock:
            if changes == self._seen_changes:
                return self._corpus
            corpus = self._corpus
            stamps = dict(self._load_stamps())
            gone = [case_id for case_id in corpus.slots if case_id not in stamps]
            changed = [case_id for case_id, stamp in stamps.items()
                       if case_id not in corpus.slots
                       or corpus.docs[corpus.slots[case_id]].stamp != stamp]
            if corpus.wasted + len(changed) > max(len(stamps) // 4, 64):
                corpus, changed, gone = _Corpus(), None, []
            for case_id in gone:
                corpus.remove(case_id)
            for doc in self._load_documents(changed):
                corpus.remove(doc.case_id)
                corpus.add(doc)
            self._corpus, self._seen_changes = corpus, changes
            return corpus

    def _load_stamps(self):
        from kb.models import Case

        return Case.select(Case.id, Case.updated_at).tuples().iterator()

    def warm(self) -> None:
        """Load the case text and the segmenter now rather than at the first search."""
        self._sync()
        tokenizer()

    # searching

    @_locked
    def search(self, phrase: str, *, year: int | None = None, region: str | None = None,
               county: str | None = None, category: str | None = None, award: str | None = None,
               public: bool = False, page: int = 1, per_page: int = 20,
               sort: str = "relevance") -> SearchResults:
        """Cases containing every term of ``phrase`` (see kb.querytext), filtered, best first.

        ``public`` limits to published cases. ``sort`` is ``relevance`` or ``year``.
        """
        corpus = self._sync()
        query = parse_query(phrase)
        allowed = self._filter(corpus, year=year, region=region, county=county,
                               category=category, award=award, public=public)
        scores = self._match(corpus, query, allowed)
        if query.clauses:
            self._rerank_by_words(corpus, query, scores)
        ordered = sorted(scores, key=lambda slot: self._order_key(corpus, slot, scores[slot], sort))
        facets = self._facets(corpus, ordered)
        start = (max(page, 1) - 1) * per_page
        hits = [self._hit(corpus, slot, scores[slot], query) for slot in ordered[start:start + per_page]]
        return SearchResults(total=len(ordered), hits=hits, facets=facets, notes=query.notes)

    @staticmethod
    def _order_key(corpus, slot, score, sort):
        doc = corpus.docs[slot]
        if sort == "year":
            return (-doc.year, -score, -doc.case_id)
        return (-score, -doc.year, -doc.case_id)

    @staticmethod
    def _filter(corpus: _Corpus, **wanted) -> set[int] | None:
        checks = []
        if wanted["year"] is not None:
            checks.append(lambda d: d.year == wanted["year"])
        for name in ("region", "county", "category"):
            if wanted[name]:
                value = normalize_text(wanted[name])
                checks.append(lambda d, n=name, v=value: normalize_text(getattr(d, n)) == v)
        if wanted["award"]:
            checks.append(lambda d: d.award == wanted["award"])
        if wanted["public"]:
            checks.append(lambda d: d.published)
        if not checks:
            return None
        return {slot for slot, d in enumerate(corpus.docs)
                if d is not None and all(check(d) for check in checks)}

    @staticmethod
    def _match(corpus: _Corpus, query: ParsedQuery, allowed: set[int] | None) -> dict[int, float]:
        live = max(corpus.live, 1)
        average = corpus.body_length_total / live or 1.0
        if query.clauses:
            scores: dict[int, float] | None = None
            for clause in query.clauses:
                clause_scores: dict[int, float] = {}
                for term in clause:
                    matches = corpus.term_matches(term)
                    idf = math.log(1 + (live - len(matches) + 0.5) / (len(matches) + 0.5))
                    for slot, (in_title, in_body) in matches.items():
                        length = len(corpus.bodies[slot]) / average
                        body = in_body * (K1 + 1) / (in_body + K1 * (1 - B + B * length))
                        # A title match outweighs any body-only match of the same term.
                        title = (K1 + 1) * (1 + in_title / (in_title + 1)) if in_title else 0.0
                        clause_scores[slot] = clause_scores.get(slot, 0.0) + idf * (title + body)
                if scores is None:
                    scores = clause_scores
                else:
                    scores = {s: v + clause_scores[s] for s, v in scores.items() if s in clause_scores}
        else:
            scores = {slot: 0.0 for slot, d in enumerate(corpus.docs) if d is not None}
        if allowed is not None:
            scores = {s: v for s, v in scores.items() if s in allowed}
        for term in query.excluded:
            for slot in corpus.term_matches(term):
                scores.pop(slot, None)
        return scores

    def _rerank_by_words(self, corpus: _Corpus, query: ParsedQuery, scores: dict[int, float]) -> None:
        """Add a small BM25 score over jieba words to the best matches (never removes any).

        The word postings are read only for the best matches (skipping through them), so the
        cost does not grow with how common a word is.
        """
        ix = self.words.open()
        if ix is None or not scores:
            return
        words = sorted({w for term in query.terms() for w in segment(term)})
        if not words:
            return
        best = sorted(scores, key=scores.get, reverse=True)[:RERANK_DEPTH]
        smallest = min(scores[s] for s in best) or 1.0
        with ix.searcher() as searcher:
            docnums = self._docnums(searcher)
            wanted = sorted((docnums[corpus.docs[s].case_id], s) for s in best
                            if corpus.docs[s].case_id in docnums)
            total = max(searcher.doc_count(), 1)
            average = searcher.avg_field_length("words") or 1.0
            word_scores: dict[int, float] = {}
            for word in words:
                frequency = searcher.doc_frequency("words", word)
                if not frequency:
                    continue
                idf = math.log(1 + (total - frequency + 0.5) / (frequency + 0.5))
                postings = searcher.postings("words", word)
                for docnum, slot in wanted:
                    if not postings.is_active():
                        break
                    if postings.id() < docnum:
                        postings.skip_to(docnum)
                    if postings.is_active() and postings.id() == docnum:
                        tf = postings.weight()
                        length = searcher.doc_field_length(docnum, "words", 1) / average
                        word_scores[slot] = word_scores.get(slot, 0.0) + idf * tf * (K1 + 1) / (
                            tf + K1 * (1 - B + B * length))
        top = max(word_scores.values(), default=0.0) or 1.0
        for slot, value in word_scores.items():
            # At most a fraction of the weakest exact score: words order near-equals only.
            scores[slot] += 0.25 * smallest * value / top

    def _docnums(self, searcher) -> dict[int, int]:
        """Case id → Whoosh document number, for the searcher's current version."""
        key = searcher.reader().generation(), self.words.current_name()
        cached = self._docnum_cache
        if cached is None or cached[0] != key or not searcher.up_to_date():
            mapping = {int(fields["id"]): docnum for docnum, fields in searcher.iter_docs()}
            self._docnum_cache = cached = (key, mapping)
        return cached[1]

    @staticmethod
    def _facets(corpus: _Corpus, slots: list[int]) -> dict[str, dict]:
        counters = {name: Counter() for name in FACETS}
        for slot in slots:
            doc = corpus.docs[slot]
            for name in FACETS:
                counters[name][getattr(doc, name) or "none"] += 1
        return {name: dict(sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0]))))
                for name, counter in counters.items()}

    def _hit(self, corpus: _Corpus, slot: int, score: float, query: ParsedQuery) -> Hit:
        doc = corpus.docs[slot]
        variants = [v for term in query.terms() for v in term_variants(term) if v]
        return Hit(case_id=doc.case_id, title=doc.title, year=doc.year, county=doc.county,
                   region=doc.region, category=doc.category, award=doc.award, score=score,
                   snippet=make_snippet(doc.fields, variants))

    # similar cases

    @_locked
    def similar(self, case_id: int, *, public: bool = False, limit: int = 5) -> list[Hit]:
        """The cases most like this one (more-like-this over its jieba keywords)."""
        corpus = self._sync()
        ix = self.words.open()
        if ix is None:
            return []
        from whoosh.query import Or, Term

        with ix.searcher() as searcher:
            stored = searcher.document(id=str(case_id))
            if not stored or not stored.get("keywords"):
                return []
            results = searcher.search(Or([Term("words", w) for w in stored["keywords"]]),
                                      limit=limit * 4 + 1)
            hits = []
            for result in results:
                slot = corpus.slots.get(int(result["id"]))
                if slot is None or int(result["id"]) == case_id:
                    continue
                doc = corpus.docs[slot]
                if public and not doc.published:
                    continue
                hits.append(Hit(case_id=doc.case_id, title=doc.title, year=doc.year,
                                county=doc.county, region=doc.region, category=doc.category,
                                award=doc.award, score=result.score,
                                snippet=html.escape("、".join(stored["keywords"][:5]))))
                if len(hits) == limit:
                    break
            return hits

    @_locked
    def earlier_lookalikes(self, case_id: int, *, threshold: float = 0.5,
                           similar: list[Hit] | None = None) -> list[tuple[Hit, float]]:
        """Cases of the same county in earlier years that read very like this one (for staff),
        among ``similar`` (the case's similar cases, staff scope, when the caller has them)."""
        corpus = self._sync()
        slot = corpus.slots.get(case_id)
        if slot is None:
            return []
        doc = corpus.docs[slot]
        found = []
        for hit in similar if similar is not None else self.similar(case_id, limit=LOOKALIKE_POOL):
            if hit.county == doc.county and hit.year < doc.year:
                similarity = self.text_similarity(case_id, hit.case_id)
                if similarity >= threshold:
                    found.append((hit, similarity))
        return found

    def keywords(self, case_id: int) -> list[str]:
        """The jieba keywords the index gave a case (empty before it is indexed)."""
        ix = self.words.open()
        if ix is None:
            return []
        with ix.searcher() as searcher:
            stored = searcher.document(id=str(case_id))
        return list(stored.get("keywords", [])) if stored else []

    @_locked
    def text_similarity(self, case_id: int, other_id: int) -> float:
        """Jaccard similarity of the two cases' character bigrams (title and summary)."""
        corpus = self._sync()
        grams = []
        for cid in (case_id, other_id):
            slot = corpus.slots.get(cid)
            if slot is None:
                return 0.0
            doc = corpus.docs[slot]
            text = normalize_text(doc.title + doc.fields[0][1]) if doc.fields else ""
            grams.append({text[i:i + 2] for i in range(len(text) - 1)})
        union = grams[0] | grams[1]
        return len(grams[0] & grams[1]) / len(union) if union else 0.0

    # keeping the word index current

    def index_cases(self, case_ids: list[int]) -> None:
        """Bring the word index up to date for these cases (after their transaction commits).

        A failure marks the index stale instead of raising: the cases are safe in the database,
        matching does not depend on the word index, and a rebuild restores it.
        """
        if self.words.current_name() is None:
            return  # no index yet: the next rebuild includes these cases
        try:
            documents = {d.case_id: d for d in self._load_documents(case_ids)}
            segmented = [_segment_document(documents[cid]) for cid in case_ids if cid in documents]
            self.words.write(segmented, [cid for cid in case_ids if cid not in documents])
        except Exception as error:  # noqa: BLE001 — any failure leaves a stale index, never a lost case
            log.warning("search index update failed: %s", error)
            mark_index_stale(f"更新索引失敗：{error}")

    def rebuild(self, *, workers: int = 2, progress: Callable[[int, int], None] | None = None) -> str:
        """Rebuild the word index from the database and swap it in; returns the generation."""
        with database.connection_context():
            before = SearchState.select(SearchState.changes).scalar()
            documents = self._load_documents(None)
        name = self.words.build(documents, workers=workers, progress=progress,
                                segmenter=self._segmenter)
        # Cases written while the new generation was being built went to the old one.
        with database.connection_context():
            after = SearchState.select(SearchState.changes).scalar()
            SearchState.update(generation=int(name[4:]), stale=False, note="").execute()
        if after != before:
            latest = {doc.case_id: doc.stamp for doc in self._load_documents(None)}
            built = {doc.case_id: doc.stamp for doc in documents}
            redo = [cid for cid, stamp in latest.items() if built.get(cid) != stamp]
            redo += [cid for cid in built if cid not in latest]
            if redo:
                self.index_cases(redo)
        return name

    def status(self) -> dict:
        """Whether the word index exists and is current."""
        state = SearchState.get()
        name = self.words.current_name()
        return {"generation": state.generation, "folder": name, "stale": state.stale,
                "missing": name is None or int(name[4:]) != state.generation,
                "note": state.note}


def note_case_change() -> None:
    """Count a case write; call inside the transaction that writes."""
    SearchState.update(changes=SearchState.changes + 1).execute()


def mark_index_stale(note: str) -> None:
    """Record that the word index missed an update."""
    with database.connection_context():
        SearchState.update(stale=True, note=note[:500]).execute()


def make_snippet(fields: list[tuple[str, str]], variants: list[str], width: int = 60) -> str:
    """HTML around the first match in the case's text, escaped, with every match marked."""
    for _, text in fields:
        folded, origin = _fold_with_origin(text)
        positions = [(folded.find(v), v) for v in variants if v]
        positions = [(p, v) for p, v in positions if p >= 0]
        if positions:
            first, _ = min(positions)
            start = max(origin[first] - width // 3, 0)
            excerpt = text[start:start + width]
            return ("…" if start else "") + _mark(excerpt, variants) + (
                "…" if start + width < len(text) else "")
    text = fields[0][1] if fields else ""
    return html.escape(text[:width]) + ("…" if len(text) > width else "")


def _fold_with_origin(text: str) -> tuple[str, list[int] | range]:
    """The normalised text and, per normalised character, the index of its source character."""
    folded = normalize_text(text)
    if len(folded) == len(text):  # the usual case: one character for one
        return folded, range(len(text))
    out, origin = [], []
    for i, ch in enumerate(text):
        folded = normalize_text(ch)
        out.append(folded)
        origin.extend([i] * len(folded))
    return "".join(out), origin


def _mark(excerpt: str, variants: list[str]) -> str:
    folded, origin = _fold_with_origin(excerpt)
    marked = [False] * len(excerpt)
    for variant in variants:
        start = folded.find(variant)
        while start >= 0:
            end = start + len(variant) - 1
            for i in range(origin[start], origin[end] + 1):
                marked[i] = True
            start = folded.find(variant, start + 1)
    parts, i = [], 0
    while i < len(excerpt):
        j = i
        while j < len(excerpt) and marked[j] == marked[i]:
            j += 1
        chunk = html.escape(excerpt[i:j])
        parts.append(f"<mark>{chunk}</mark>" if marked[i] else chunk)
        i = j
    return "".join(parts)


_service: CaseSearch | None = None


def configure_search(service: CaseSearch | None) -> None:
    """Install the process's search service (done when the instance opens)."""
    global _service
    _service = service


def case_search() -> CaseSearch:
    """The process's search service."""
    if _service is None:
        raise RuntimeError("search is not configured: open the instance first")
    return _service


def cases_changed(case_ids: list[int]) -> None:
    """Tell search that these cases were written (call after the transaction commits)."""
    if _service is not None and case_ids:
        _service.index_cases(case_ids)
