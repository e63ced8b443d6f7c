"""Ranking, facets and snippets over the exact index (kb.search_exact).

A case's score is BM25 over the exact counts of each query term (a title match outweighs any
body-only match of the same term); ties go to the later year, then the later case. Every step
works on whole numpy arrays over the cases, so a query costs the same few vector operations
whether a term is in ten cases or in all of them.
"""
from __future__ import annotations

import html

import numpy as np

from kb.querytext import ParsedQuery, term_variants
from kb.search_exact import FACETS, SEPARATOR, ExactIndex, Passage, fold_with_origin

K1, B = 1.2, 0.75


def term_counts(index: ExactIndex, term: str) -> tuple[np.ndarray, np.ndarray]:
    """Title and body counts of a typed term per slot: those of its first variant found there."""
    variants = [v for v in term_variants(term) if v and SEPARATOR not in v]
    if not variants:
        empty = np.zeros(index.size, np.int32)
        return empty, empty
    title, body = index.counts(variants[0])
    for variant in variants[1:]:
        other_title, other_body = index.counts(variant)
        absent = (title == 0) & (body == 0)
        title, body = np.where(absent, other_title, title), np.where(absent, other_body, body)
    return title, body


def match(index: ExactIndex, query: ParsedQuery, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The slots matching the query among ``allowed`` ones, and their scores."""
    selected = index.live & allowed
    scores = np.zeros(index.size)
    for clause in query.clauses:
        in_clause = np.zeros(index.size, dtype=bool)
        for term in clause:
            title, body = term_counts(index, term)
            found = (title > 0) | (body > 0)
            at = np.flatnonzero(found)  # scored where the term is: elsewhere it adds nothing
            idf = np.log(1 + (index.live_count - len(at) + 0.5) / (len(at) + 0.5))
            title, body = title[at], body[at]
            relative_length = K1 * (1 - B + B * index.body_lengths[at] / (index.average_body or 1.0))
            body_part = body * (K1 + 1) / (body + relative_length)
            title_part = np.where(title > 0, (K1 + 1) * (1 + title / (title + 1.0)), 0.0)
            scores[at] += idf * (title_part + body_part)
            in_clause |= found
        selected &= in_clause
    for term in query.excluded:
        title, body = term_counts(index, term)
        selected &= (title == 0) & (body == 0)
    slots = np.flatnonzero(selected)
    return slots, scores[slots]


def order(index: ExactIndex, slots: np.ndarray, scores: np.ndarray, sort: str,
          count: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``count`` slots, best first (``relevance``) or latest year first (``year``);
    ties to the later case. Only the slots that can be among them are sorted."""
    primary = index.years[slots] if sort == "year" else scores
    if 0 < count < len(slots):  # every slot whose first key reaches the count-th largest
        kept = primary >= np.partition(primary, len(primary) - count)[len(primary) - count]
        slots, scores, primary = slots[kept], scores[kept], primary[kept]
    elif count <= 0:
        return slots[:0], scores[:0]
    years, case_ids = index.years[slots], index.case_ids[slots]
    keys = (-case_ids, -scores, -years) if sort == "year" else (-case_ids, -years, -scores)
    ranked = np.lexsort(keys)[:count]
    return slots[ranked], scores[ranked]


def facets(index: ExactIndex, slots: np.ndarray) -> dict[str, dict]:
    """Counts per value of each facet over the matching slots, most frequent first."""
    counts = np.bincount(index.facet_codes[slots].ravel(), minlength=len(index.facet_labels))
    found = np.flatnonzero(counts)
    pairs: dict[str, list] = {name: [] for name in FACETS}
    for code, count in zip(found.tolist(), counts[found].tolist()):
        name, value = index.facet_labels[code]
        pairs[name].append((value, count))
    return {name: dict(sorted(values, key=lambda kv: (-kv[1], str(kv[0])))) for name, values in pairs.items()}


def make_snippet(passage: Passage, variants: list[str], width: int = 60) -> str:
    """HTML around the first match in the passage (kb.search_exact.ExactIndex.passages),
    escaped, with every match marked; it begins and ends only where the passage may be cut, so
    it never cuts a word, a Latin word or a number in half."""
    if passage.span is not None:
        start, end = _window(passage.cuts, *passage.span, width)
        marked = _mark(passage.text(start, end), variants, passage.folded(start, end))
        return ("…" if start else "") + marked + ("…" if end < passage.length else "")
    _, end = _window(passage.cuts, 0, 0, width) if passage.length else (0, 0)
    return html.escape(passage.text(0, end)) + ("…" if end < passage.length else "")


def _window(cuts: bytes | None, first: int, last: int, width: int) -> tuple[int, int]:
    """An excerpt of about ``width`` characters holding ``first:last``, a third of it before,
    beginning and ending only where ``cuts`` has a 1 (None: anywhere; it has one at the text's
    beginning and end)."""
    want = max(first - width // 3, 0)
    if cuts is None:
        return want, want + width
    start = max(cuts.rfind(1, 0, want + 1), 0)
    end = cuts.rfind(1, 0, start + width + 1)
    if end < last:  # a long word: the excerpt runs to its end
        end = cuts.find(1, last)
    return start, end


def _mark(excerpt: str, variants: list[str], folded: str | None = None) -> str:
    if folded is None:
        folded, origin = fold_with_origin(excerpt)
    else:
        origin = range(len(excerpt))
    spans = []  # (start, end) in the excerpt of every match
    for variant in variants:
        start = folded.find(variant)
        while start >= 0:
            spans.append((origin[start], origin[start + len(variant) - 1] + 1))
            start = folded.find(variant, start + 1)
    merged: list[list[int]] = []  # touching or overlapping matches marked as one
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts, at = [], 0
    for start, end in merged:
        parts += [html.escape(excerpt[at:start]), f"<mark>{html.escape(excerpt[start:end])}</mark>"]
        at = end
    parts.append(html.escape(excerpt[at:]))
    return "".join(parts)
