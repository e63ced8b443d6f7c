"""Word segmentation with jieba over a Traditional-Chinese dictionary, initialised once per process.

jieba's dictionary is mostly Simplified, so on Traditional text it falls back to its HMM, which
invents "words" across word boundaries (創團隊, 廠商協, 進會). The segmenter here uses a
Traditional dictionary made from jieba's own with OpenCC's Simplified→Traditional tables (made
at first use and cached in the instance folder, no download), plus the forum's user dictionary
(counties, agencies, governance terms), with the HMM off: every word of two or more characters
is a dictionary word. Words help to characterise cases (keywords, similar cases); they never
decide whether a case matches a query (see kb.querytext).
"""
from __future__ import annotations

import hashlib
import logging
import math
import os
import re
import threading
from collections import Counter
from pathlib import Path

import numpy as np

from kb.querytext import normalize_text

_lock = threading.Lock()
_settings: dict = {"cache_dir": None, "userdict": None}
_tokenizer = None
_WORD = re.compile(r"\w", re.UNICODE)
_UNSPLIT = re.compile(r"[0-9a-z]+(?:[.,][0-9]+)*", re.IGNORECASE)  # a Latin word or a number


def configure_segmenter(*, cache_dir: Path | None = None, userdict: Path | None = None) -> None:
    """Say where the dictionary and jieba's cache are kept and which user dictionary jieba
    loads (before first use)."""
    global _tokenizer
    with _lock:
        if userdict != _settings["userdict"]:
            _tokenizer = None  # the cache folder only matters before initialisation
        _settings.update(cache_dir=cache_dir, userdict=userdict)


def _opencc_table(name: str) -> dict[str, str]:
    import opencc

    path = Path(opencc.__file__).parent / "dictionary" / name
    table = {}
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            source, _, targets = line.rstrip("\n").partition("\t")
            if targets:
                table[source] = targets.split(" ")[0]
    return table


def _to_traditional(words: list[str]) -> list[str]:
    """Each word in Traditional characters, as OpenCC converts it: longest phrase first, then
    per character. Only words holding a character that some phrase converts otherwise than the
    character alone need the phrase search; the rest are translated in one pass."""
    characters = str.maketrans({s: t for s, t in _opencc_table("STCharacters.txt").items() if len(s) == 1})
    phrases = {s: t for s, t in _opencc_table("STPhrases.txt").items() if s.translate(characters) != t}
    longest = max(map(len, phrases), default=1)
    phrase_characters = set()  # the characters a phrase converts otherwise than alone
    for source, target in phrases.items():
        phrase_characters.update(a for a, b in zip(source, target) if a.translate(characters) != b)
    converted = "\n".join(words).translate(characters).split("\n")
    for n, word in enumerate(words):
        if phrase_characters.isdisjoint(word):
            continue
        out, i = [], 0
        while i < len(word):
            for length in range(min(longest, len(word) - i), 1, -1):
                phrase = phrases.get(word[i:i + length])
                if phrase is not None:
                    out.append(phrase)
                    i += length
                    break
            else:
                out.append(word[i].translate(characters))
                i += 1
        converted[n] = "".join(out)
    return [normalize_text(word) for word in converted]


def traditional_dictionary(cache_dir: Path) -> Path:
    """jieba's dictionary converted to Traditional (and normalised as searched text), made once
    into ``cache_dir``; words that become one add up their frequencies."""
    import jieba

    source = Path(jieba.__file__).parent / "dict.txt"
    digest = hashlib.sha1(f"{source.stat().st_size}:{source.stat().st_mtime_ns}:1".encode()).hexdigest()
    target = cache_dir / f"jieba-traditional-{digest[:12]}.txt"
    if target.exists():
        return target
    entries = [line.split(" ") for line in source.read_text("utf-8").splitlines() if line.strip()]
    frequencies: Counter = Counter()
    tags: dict[str, str] = {}
    for (_, frequency, *tag), word in zip(entries, _to_traditional([e[0] for e in entries])):
        frequencies[word] += int(frequency)
        tags.setdefault(word, tag[0] if tag else "x")
    cache_dir.mkdir(parents=True, exist_ok=True)
    draft = target.with_suffix(f".{os.getpid()}")
    draft.write_text("".join(f"{w} {f} {tags[w]}\n" for w, f in frequencies.items()), "utf-8")
    os.replace(draft, target)  # atomic: two first uses at once agree on one file
    return target


def tokenizer():
    """The process's jieba tokenizer, initialised on first use."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import tempfile

                import jieba

                jieba.setLogLevel(logging.WARNING)
                cache = Path(_settings["cache_dir"] or Path(tempfile.gettempdir()) / "forum-jieba")
                made = jieba.Tokenizer(str(traditional_dictionary(cache)))
                made.tmp_dir = str(cache)
                made.initialize()
                if _settings["userdict"] is not None:
                    with open(_settings["userdict"], "rb") as words:  # jieba leaves paths open
                        made.load_userdict(words)
                _tokenizer = made
    return _tokenizer


def _search_words(words: list[str]) -> list[str]:
    """jieba's search mode from its default cut: each word, and its two- and three-character
    parts that are dictionary words (as ``cut_for_search``), without punctuation or spaces."""
    known, found = tokenizer().FREQ, []
    for word in words:
        for size in (2, 3):
            if len(word) > size:
                found += [part for part in (word[i:i + size] for i in range(len(word) - size + 1))
                          if known.get(part)]
        found.append(word)
    return [word for word in found if _WORD.search(word)]


def segment(text: str) -> list[str]:
    """The words of a text in jieba's search mode, normalised, without punctuation or spaces."""
    return _search_words(list(tokenizer().cut(normalize_text(text), HMM=False)))


def segment_with_breaks(text: str) -> tuple[list[str], np.ndarray]:
    """:func:`segment` of a text, and where in it an excerpt may begin or end (one flag per
    position, ``len(text) + 1`` of them): between two words, never inside a Latin word or a
    number (jieba parts 3,200 and 2.0)."""
    folded = normalize_text(text)
    words = list(tokenizer().cut(folded, HMM=False))
    aligned = len(folded) == len(text)  # the usual case: one character for one
    cut = words if aligned else list(tokenizer().cut(text, HMM=False))
    breaks = np.zeros(len(text) + 1, dtype=bool)
    breaks[np.cumsum([0] + [len(word) for word in cut])] = True
    for run in _UNSPLIT.finditer(folded if aligned else text):
        breaks[run.start() + 1:run.end()] = False
    return _search_words(words), breaks


def keyword_candidates(counts: Counter) -> dict[str, int]:
    """The words of a text that may be its keywords, with their counts: dictionary words of two
    or more characters that are not numbers (the only words the word index needs)."""
    known = tokenizer().FREQ
    return {word: count for word, count in counts.items()
            if len(word) > 1 and known.get(word) and not word.isdigit()}


def pick_keywords(candidates: dict[str, int], doc_frequency, doc_count: int, limit: int = 10) -> list[str]:
    """The ``limit`` words among a text's :func:`keyword_candidates` that best characterise it:
    frequent in it, rare in the corpus (tf-idf). ``doc_frequency(word)`` gives corpus counts."""
    scored = [(count * math.log((doc_count + 1) / (doc_frequency(word) + 1)), word)
              for word, count in candidates.items()]
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [word for _, word in scored[:limit]]
