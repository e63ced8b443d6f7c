"""Search text rules: how case text and queries are normalised, and what a query means.

A query term matches a case exactly when the case's normalised text contains the normalised
term as a substring. Normalisation is NFKC (full- and half-width forms), case folding, and 台
written 臺. A term typed in Simplified characters also matches its Traditional form.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

MAX_TERMS = 32


def normalize_text(text: str) -> str:
    """The form in which text is searched: NFKC, case-folded, 台 → 臺."""
    return unicodedata.normalize("NFKC", text).casefold().replace("台", "臺")


@lru_cache(maxsize=1)
def _to_traditional():
    import opencc  # imported on first use: the converter loads its dictionaries

    return opencc.OpenCC("s2t")


@lru_cache(maxsize=4096)  # asked several times per query: by matching, ranking and snippets
def term_variants(term: str) -> tuple[str, ...]:
    """The normalised forms a typed term is searched as: as typed, and converted to Traditional."""
    typed = normalize_text(term)
    converted = normalize_text(_to_traditional().convert(term))
    return (typed,) if converted == typed else (typed, converted)


@dataclass
class ParsedQuery:
    """A query: every clause must match (a clause is terms joined by OR); no excluded term may."""

    clauses: list[list[str]] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.clauses and not self.excluded

    def terms(self) -> list[str]:
        """Every positive term, in order."""
        return [term for clause in self.clauses for term in clause]


def _tokens(query: str) -> list[tuple[str, bool]]:
    """Split into (text, quoted) tokens; an unbalanced quote runs to the end of the query."""
    tokens, i, text = [], 0, query
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "\"“”「」『』":
            closing = {"“": "”", "「": "」", "『": "』"}.get(ch, "\"”")
            end = next((j for j in range(i + 1, len(text)) if text[j] in closing), len(text))
            phrase = text[i + 1:end].strip()
            if phrase:
                tokens.append((phrase, True))
            i = end + 1
        else:
            end = i
            while end < len(text) and not text[end].isspace() and text[end] not in "\"“「『":
                end += 1
            tokens.append((text[i:end], False))
            i = end
    return tokens


def parse_query(query: str) -> ParsedQuery:
    """Read a typed query: spaces between terms mean AND, ``OR`` between terms means OR,
    ``-term`` excludes, and "quoted phrases" keep their spaces. Never raises."""
    parsed = ParsedQuery()
    query = unicodedata.normalize("NFKC", query or "")
    pending_or = False
    for text, quoted in _tokens(query):
        if not quoted and text == "OR":
            pending_or = bool(parsed.clauses)
            continue
        negative = not quoted and text.startswith("-")
        term = text[1:] if negative else text
        if not term or term == "-":
            continue
        if len(parsed.terms()) + len(parsed.excluded) >= MAX_TERMS:
            parsed.notes.append(f"查詢詞超過 {MAX_TERMS} 個，其餘已略過")
            break
        if negative:
            parsed.excluded.append(term)
        elif pending_or:
            parsed.clauses[-1].append(term)
        else:
            parsed.clauses.append([term])
        pending_or = False
    return parsed
