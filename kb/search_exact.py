"""The exact-match index: which cases contain a term, and how often, in title and body.

A term matches a case when the case's normalised text (kb.querytext) contains it as a
substring; this module answers that exactly and fast. Each index generation persists a
snapshot of every case (:func:`write_snapshot`): the filter values, sorted character unigram
and bigram postings with their counts per field and bigram positions, the postings and
positions read by range with pread and the small arrays through mmap (nothing is decoded or
built at load), so a process loads 10,000 cases in a fraction of a second and holds only what
a query reads; and one record per case for its snippets
(:func:`case_record`: the text as written, its searched form and where an excerpt may be cut,
character n at a fixed byte), read with one pread, of which only the title and the sixty or
so characters shown are decoded, so serving keeps no text in memory. Loading a generation
reads its files once in the background, so the first searches do not wait on the disk.

A one- or two-character term is answered by its posting alone (cases and counts per field). A
longer term is found from the positions of its bigrams: where its rarest bigram occurs and
other ones, rarest first, follow in place until every character is checked, so no case text
is read. Cases written after the snapshot (known from the change record) live in a small
in-memory overlay that replaces their snapshot rows, so a process is always current and an edit
costs it only that case.
"""
from __future__ import annotations

import bisect
import codecs
import json
import os
import struct
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kb.querytext import normalize_text

SEPARATOR = "\x1f"  # between fields, so no match spans two of them
FACETS = ("year", "region", "county", "category", "award")
_CODED = ("region", "county", "category", "award")
_UNIGRAM = 0x1FFFFF  # above every code point: marks a one-character gram
_SEPARATOR_CODE = ord(SEPARATOR)
_TITLE_END = "\x1e"
_MAX_COUNT = np.iinfo(np.uint16).max
TITLE, BODY = 1, 0
FORMAT = 2  # of a snapshot's files: a generation of another format is not read (the home rebuilds)


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


def normalised_parts(doc: SearchDocument) -> tuple[str, str]:
    """The searched form of a case: its title, and its fields joined by the separator."""
    return normalize_text(doc.title), SEPARATOR.join(normalize_text(text) for _, text in doc.fields)


def document_text(doc: SearchDocument) -> str:
    """A case's title and fields, one per line: the text segmented for words and excerpt
    breaks, each character where the stored original text has it."""
    return doc.title + "\n" + "\n".join(text for _, text in doc.fields)


def write_breaks(folder: Path, breaks: dict[int, bytes]) -> None:
    """Write each case's excerpt breaks (packed flags, kb.segment.segment_with_breaks) into the
    room :func:`case_record` left for them in the snapshot in ``folder``, one byte a flag."""
    starts = np.load(folder / "case_offsets.npy")[:-1].tolist()
    with open(folder / "cases.bin", "r+b") as out:
        for start, case_id in zip(starts, sorted(breaks)):
            out.seek(start)
            out.write(np.unpackbits(np.frombuffer(breaks[case_id], np.uint8)).tobytes())


def case_record(title: str, texts: list[str], folded: list[str], cuts: bytes = b"") -> bytes:
    """All a snippet of a case reads, in one piece: where an excerpt may be cut (one byte per
    position of :func:`document_text` and its end, 1 where it may; room for them when ``cuts``
    is empty), the text as written (title, title mark, fields joined by the separator; each
    character where :func:`document_text` has it) and its searched fields ``folded`` joined by
    the separator, both in UTF-16 (UTF-32 when a character needs more) so that
    character n is at byte 2n (4n); then where each field begins in those two (one more row
    where a field after the last would), their lengths, the width and the number of fields,
    as little-endian 32-bit numbers."""
    original = _plain(title) + _TITLE_END + SEPARATOR.join(_plain(text) for text in texts)  # as written
    body = SEPARATOR.join(folded)
    rows, at, folded_at = [], len(title) + 1, 0
    for text, fold in zip(texts, folded):
        rows += [at, folded_at]
        at, folded_at = at + len(text) + 1, folded_at + len(fold) + 1
    rows += [at, folded_at]
    width = 2
    encoded = [original.encode("utf-16-le"), body.encode("utf-16-le")]
    if len(encoded[0]) + len(encoded[1]) != 2 * (len(original) + len(body)):  # beyond U+FFFF
        width, encoded = 4, [original.encode("utf-32-le"), body.encode("utf-32-le")]
    return (cuts.ljust(_flag_room(len(original)), b"\0") + encoded[0] + encoded[1]
            + struct.pack(f"<{len(rows) + 4}I", *rows, len(original), len(body), width, len(texts)))


def _gram_keys(text: str, field: int) -> np.ndarray:
    """The posting keys of every unigram and bigram of ``text`` in ``field`` (with repeats)."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    keep = codes != _SEPARATOR_CODE
    unigrams = (codes[keep] << 21) | _UNIGRAM
    pair_keep = keep[:-1] & keep[1:]
    bigrams = ((codes[:-1] << 21) | codes[1:])[pair_keep]
    return (np.concatenate([unigrams, bigrams]) << 1) | field


def _term_key(variant: str, field: int) -> int:
    """The posting key of a one- or two-character term in a field."""
    second = ord(variant[1]) if len(variant) == 2 else _UNIGRAM
    return (((ord(variant[0]) << 21) | second) << 1) | field


def _run_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """Where each run of equal keys begins in ``sorted_keys``, then its length: n + 1 offsets
    for n distinct keys (a single 0 when there are none, as on a home with no cases yet)."""
    if not len(sorted_keys):
        return np.zeros(1, np.int64)
    inner = np.flatnonzero(np.diff(sorted_keys)) + 1
    return np.concatenate([[0], inner, [len(sorted_keys)]]).astype(np.int64)


def write_snapshot(folder: Path, documents: list[SearchDocument], changes: int) -> None:
    """Persist the exact index of ``documents`` (as of change number ``changes``) in ``folder``."""
    folder.mkdir(parents=True)
    documents = sorted(documents, key=lambda d: d.case_id)
    keys, slots, counts, pieces, offsets, records = [], [], [], [], [0], [0]
    with open(folder / "cases.bin", "wb") as cases:
        for slot, doc in enumerate(documents):
            texts = [text for _, text in doc.fields]
            folded = [normalize_text(text) for text in texts]
            title, body = normalize_text(doc.title), SEPARATOR.join(folded)
            records.append(records[-1] + cases.write(case_record(doc.title, texts, folded)))
            for field, text in ((TITLE, title), (BODY, body)):
                unique, count = np.unique(_gram_keys(text, field), return_counts=True)
                keys.append(unique)
                slots.append(np.full(len(unique), slot, dtype=np.int32))
                counts.append(np.minimum(count, _MAX_COUNT).astype(np.uint16))
            pieces += [title, body]
            offsets += [offsets[-1] + len(title), offsets[-1] + len(title) + len(body)]
    all_keys = np.concatenate(keys) if keys else np.zeros(0, np.uint64)
    order = np.argsort(all_keys, kind="stable")  # stable: each posting stays in slot order
    all_keys = all_keys[order]
    starts = _run_starts(all_keys)
    np.save(folder / "keys.npy", all_keys[starts[:-1]])
    np.save(folder / "starts.npy", starts)
    np.save(folder / "slots.npy", np.concatenate(slots)[order] if slots else np.zeros(0, np.int32))
    np.save(folder / "counts.npy", np.concatenate(counts)[order] if counts else np.zeros(0, np.uint16))
    np.save(folder / "case_offsets.npy", np.array(records, dtype=np.int64))
    np.save(folder / "offsets.npy", np.array(offsets, dtype=np.int64))
    _write_positions(folder, "".join(pieces), offsets)
    label_sets = sorted({tuple(label for label, _ in d.fields) for d in documents})
    label_code = {labels: n for n, labels in enumerate(label_sets)}
    np.save(folder / "label_sets.npy", np.array(
        [label_code[tuple(label for label, _ in d.fields)] for d in documents], dtype=np.int32))
    values = {name: sorted({str(getattr(d, name)) for d in documents if getattr(d, name) is not None})
              for name in _CODED}
    np.save(folder / "case_ids.npy", np.array([d.case_id for d in documents], dtype=np.int64))
    np.save(folder / "years.npy", np.array([d.year for d in documents], dtype=np.int32))
    np.save(folder / "published.npy", np.array([d.published for d in documents], dtype=bool))
    for name in _CODED:
        code = {value: n for n, value in enumerate(values[name])}
        np.save(folder / f"{name}.npy", np.array(
            [code[getattr(d, name)] if getattr(d, name) is not None else -1 for d in documents],
            dtype=np.int32))
    (folder / "meta.json").write_text(json.dumps(
        {"format": FORMAT, "changes": changes, "documents": len(documents), "values": values,
         "label_sets": label_sets}, ensure_ascii=False))


def _plain(text: str) -> str:
    """Text without the two characters the stored layout uses as separators."""
    return text.replace(SEPARATOR, " ").replace(_TITLE_END, " ")


def _write_positions(folder: Path, text: str, offsets: list[int]) -> None:
    """Where in the text each bigram occurs (sorted per bigram), for terms of three or more
    characters: a bigram never spans a field, a title and its body, or two cases."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    valid = (codes[:-1] != _SEPARATOR_CODE) & (codes[1:] != _SEPARATOR_CODE)
    ends = np.array(offsets[1:-1], dtype=np.int64) - 1  # the last character of each piece
    valid[ends[(ends >= 0) & (ends < len(valid))]] = False
    positions = np.flatnonzero(valid).astype(np.int32)
    keys = (codes[positions].astype(np.uint64) << 21) | codes[positions + 1]
    order = np.argsort(keys, kind="stable")  # stable: positions stay ascending per bigram
    keys, positions = keys[order], positions[order]
    starts = _run_starts(keys)
    np.save(folder / "bigram_keys.npy", keys[starts[:-1]])
    np.save(folder / "bigram_starts.npy", starts)
    np.save(folder / "bigram_positions.npy", positions)


class _Stored:
    """A stored file read in byte ranges with ``pread``: a shown case costs a copy of its bytes,
    never pages mapped into the process (which the kernel maps 16 at a time, so serving held
    most of the text in memory); empty when the file is missing."""

    def __init__(self, path: Path | None):
        self._fd = os.open(path, os.O_RDONLY) if path is not None and path.is_file() else None
        if self._fd is not None:
            weakref.finalize(self, os.close, self._fd)  # closed with the generation it belongs to

    def read(self, start: int, end: int) -> bytes:
        """Bytes ``start:end`` of the file."""
        return os.pread(self._fd, end - start, start) if self._fd is not None and end > start else b""


class _StoredArray:
    """A stored one-dimensional array (``.npy``) read by range with ``pread``, for the postings
    and positions: mapped, a warm page cache let the kernel map 16 pages at each fault and a
    serving process grew past 200 MB at 10,000 cases; read, a query holds only what it asked."""

    def __init__(self, path: Path):
        with open(path, "rb") as file:
            header = (np.lib.format.read_array_header_1_0 if np.lib.format.read_magic(file) == (1, 0)
                      else np.lib.format.read_array_header_2_0)
            shape, _, dtype = header(file)
            self._start = file.tell()
        self.dtype = dtype
        self._stored = _Stored(path)

    def read(self, start: int, end: int) -> np.ndarray:
        """Items ``start:end``."""
        width = self.dtype.itemsize
        return np.frombuffer(self._stored.read(self._start + start * width, self._start + end * width),
                             self.dtype)


class _InMemory:
    """An array held in memory, read by range as a :class:`_StoredArray` is."""

    def __init__(self, array: np.ndarray):
        self._array = array

    def read(self, start: int, end: int) -> np.ndarray:
        """Items ``start:end``."""
        return self._array[start:end]


_READ_BY_RANGE = ("slots", "counts", "bigram_positions")  # nine tenths of a snapshot's arrays


class _Prefetch:
    """Every file of a snapshot read once from start to end in a background thread, so the
    searches after a generation loads find its pages in memory rather than wait for the disk
    page by page (the kernel reads ahead only a little of a file on its own, and evicts pages
    idle for a while). One buffer is reused: the process's memory does not grow."""

    def __init__(self, folder: Path | None):
        self.read = 0  # bytes read so far
        self._thread = None
        if folder is not None:
            self._thread = threading.Thread(target=self._run, args=(folder,), name="search-prefetch",
                                            daemon=True)
            self._thread.start()

    def _run(self, folder: Path) -> None:
        buffer = bytearray(1 << 20)
        try:
            files = sorted((path.stat().st_size, path) for path in folder.iterdir() if path.is_file())
            for _, path in files:  # the small arrays every search looks up first
                with open(path, "rb", buffering=0) as file:
                    while size := file.readinto(buffer):
                        self.read += size
        except OSError:  # the generation was replaced and removed meanwhile: nothing left to read
            return

    def join(self, timeout: float | None = None) -> int:
        """Wait for the reading to end (at most ``timeout`` seconds); the bytes read so far."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.read


def snapshot_changes(folder: Path) -> int | None:
    """The change number the snapshot in ``folder`` reflects (None: none there, or of another
    format, which this code does not read)."""
    try:
        meta = json.loads((folder / "meta.json").read_text())
    except FileNotFoundError:
        return None
    return meta["changes"] if meta.get("format") == FORMAT else None


class _Snapshot:
    """One persisted exact index: the small arrays read through mmap, the postings and positions
    by range (:class:`_StoredArray`), each case's text in one byte range (:func:`case_record`);
    loading it starts reading its files into the page cache."""

    def __init__(self, folder: Path | None):
        meta = json.loads((folder / "meta.json").read_text()) if folder else {
            "changes": None, "documents": 0, "values": {name: [] for name in _CODED}}
        self.changes: int | None = meta["changes"]
        self.values: dict[str, list[str]] = meta["values"]
        self.label_sets: list[list[str]] = meta.get("label_sets", [])
        if folder is None:
            self.ranges = {"slots": _InMemory(np.zeros(0, np.int32)),
                           "counts": _InMemory(np.zeros(0, np.uint16)),
                           "bigram_positions": _InMemory(np.zeros(0, np.int32))}
            empty = {"keys": np.zeros(0, np.uint64), "starts": np.zeros(1, np.int64),
                     "bigram_keys": np.zeros(0, np.uint64), "bigram_starts": np.zeros(1, np.int64),
                     "offsets": np.zeros(1, np.int64), "case_offsets": np.zeros(1, np.int64),
                     "case_ids": np.zeros(0, np.int64), "years": np.zeros(0, np.int32),
                     "label_sets": np.zeros(0, np.int32),
                     "published": np.zeros(0, bool), **{n: np.zeros(0, np.int32) for n in _CODED}}
            self.arrays = empty
        else:
            self.ranges = {name: _StoredArray(folder / f"{name}.npy") for name in _READ_BY_RANGE}
            # Plain ndarray views of the mapped files: slicing a np.memmap costs a Python call.
            self.arrays = {path.stem: np.asarray(np.load(path, mmap_mode="r"))
                           for path in folder.glob("*.npy") if path.stem not in _READ_BY_RANGE}
        self._cases = _Stored(folder / "cases.bin" if folder else None)
        self.prefetch = _Prefetch(folder)
        self.size = len(self.arrays["case_ids"])
        self.keys = np.asarray(self.arrays["keys"])
        self.starts = self.arrays["starts"]

    def posting(self, key: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Slots holding the gram (ascending) and its count in each, or None."""
        at = int(np.searchsorted(self.keys, np.uint64(key)))
        if at == len(self.keys) or int(self.keys[at]) != key:
            return None
        start, end = int(self.starts[at]), int(self.starts[at + 1])
        return self.ranges["slots"].read(start, end), self.ranges["counts"].read(start, end)

    def positions(self, a: str, b: str) -> np.ndarray | None:
        """Where the bigram ``ab`` occurs in the text (ascending), or None."""
        key, keys = (ord(a) << 21) | ord(b), self.arrays["bigram_keys"]
        at = int(np.searchsorted(keys, np.uint64(key)))
        if at == len(keys) or int(keys[at]) != key:
            return None
        starts = self.arrays["bigram_starts"]
        return self.ranges["bigram_positions"].read(int(starts[at]), int(starts[at + 1]))

    def occurrences(self, variant: str) -> np.ndarray:
        """The piece (2 × slot + field) of every occurrence of a term of 3+ characters: the
        positions of its rarest bigram, kept where other bigrams, rarest first, follow in place
        until every character of the term is checked (a bigram adding no character is skipped:
        following a common one in place is most of the cost)."""
        lists = []
        for offset, (a, b) in enumerate(zip(variant, variant[1:])):
            found = self.positions(a, b)
            if found is None:
                return np.zeros(0, np.int64)
            lists.append((len(found), offset, found))
        lists.sort(key=lambda item: item[0])
        _, anchor, found = lists[0]
        starts = found.astype(np.int64) - anchor
        checked = {anchor, anchor + 1}
        for _, offset, found in lists[1:]:
            if not len(starts) or len(checked) == len(variant):
                break
            if offset in checked and offset + 1 in checked:
                continue
            checked |= {offset, offset + 1}
            wanted = starts + offset
            at = np.minimum(np.searchsorted(found, wanted), len(found) - 1)
            starts = starts[found[at] == wanted]
        return np.searchsorted(self.arrays["offsets"], starts, side="right") - 1

    def record(self, slot: int) -> bytes:
        """A case's :func:`case_record`."""
        start, end = self.arrays["case_offsets"][slot:slot + 2].tolist()
        return self._cases.read(start, end)

    def original(self, slot: int) -> tuple[str, list[tuple[str, str]]]:
        """A case's title and (label, text) fields as written."""
        record = self.record(slot)
        _, length, _, width, _ = _record_tail(record)
        start = _flag_room(length)
        title, _, body = _decode(width, record[start:start + width * length]).partition(_TITLE_END)
        labels = self.label_sets[int(self.arrays["label_sets"][slot])]
        return title, list(zip(labels, body.split(SEPARATOR)))


def _record_tail(record: bytes) -> tuple[list[int], int, int, int, int]:
    """The rows, lengths, width and number of fields a :func:`case_record` ends with."""
    fields = int.from_bytes(record[-4:], "little")
    *rows, length, body_length, width, _ = struct.unpack_from(
        f"<{2 * fields + 6}I", record, len(record) - 4 * (2 * fields + 6))
    return rows, length, body_length, width, fields


def _flag_room(length: int) -> int:
    """The bytes a :func:`case_record` of a text of ``length`` characters keeps for its cuts:
    as many as its packed flags (one more than its characters) unpack to."""
    return -(-(length + 1) // 8) * 8


_DECODERS = {2: codecs.utf_16_le_decode, 4: codecs.utf_32_le_decode}


def _decode(width: int, data: bytes) -> str:
    return _DECODERS[width](data, None, True)[0]


def _find(data: bytes, pattern: bytes, start: int, end: int, width: int) -> int:
    """The first occurrence of ``pattern`` in ``data[start:end]`` that begins on a character
    (a multiple of ``width`` bytes from ``start``), or -1."""
    at = data.find(pattern, start, end)
    while at >= 0 and (at - start) % width:
        at = data.find(pattern, at + 1, end)
    return at


def fold_with_origin(text: str) -> tuple[str, list[int] | range]:
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


@dataclass(slots=True)
class Passage:
    """What a snippet of a case shows: the field holding the first match of the query (the
    first field when only the title matches) and where in it that match is, read from the
    case's record by character range: a field runs to thousands of characters, a snippet
    decodes about sixty."""

    title: str
    length: int  # characters of the field
    cuts: bytes | None  # per position in the field and its end: 1 where an excerpt may begin or end (None: anywhere)
    span: tuple[int, int] | None  # the first match in the field (None: none to show)
    _record: bytes
    _text_at: int  # the field's first byte as written
    _folded_at: int | None  # its first byte searched, None when the two do not align one for one
    _width: int

    def text(self, start: int, end: int) -> str:
        """Characters ``start:end`` of the field as written."""
        end = min(end, self.length)
        return _decode(self._width, self._record[self._text_at + self._width * start:
                                                 self._text_at + self._width * end]) if end > start else ""

    def folded(self, start: int, end: int) -> str | None:
        """Characters ``start:end`` of the field's searched form (a separator typed in it reads
        as a space, as in the text as written), or None when it does not align with the text."""
        if self._folded_at is None:
            return None
        end = min(end, self.length)
        at, width = self._folded_at, self._width
        return _decode(width, self._record[at + width * start:at + width * end]).replace(SEPARATOR, " ")


def read_passage(record: bytes, variants: list[str], patterns: dict[int, list[bytes]]) -> Passage:
    """The :class:`Passage` of a case from its :func:`case_record`, for these normalised
    variants (``patterns``: per width, the variants to seek in the searched text, encoded)."""
    rows, length, body_length, width, fields = _record_tail(record)
    text_at = _flag_room(length)
    body_at = text_at + width * length
    title = _decode(width, record[text_at:text_at + width * (rows[0] - 1)])
    if not fields:
        return Passage(title, 0, None, None, record, text_at, None, width)
    body_end = body_at + width * body_length
    found = [((at - body_at) // width, len(pattern) // width) for pattern in patterns[width]
             for at in [_find(record, pattern, body_at, body_end, width)] if at >= 0]
    field = bisect.bisect_right(rows[1::2], min(found)[0] if found else 0) - 1  # holding the match
    start, folded_start, end, folded_end = rows[2 * field:2 * field + 4]
    size = end - 1 - start
    cuts = record[start:start + size + 1] if start + size + 1 <= length + 1 else b""
    # the text begins and ends at a break; breaks of another text would not fit it
    cuts = cuts if len(cuts) == size + 1 and cuts[0] and cuts[-1] else None
    aligned = folded_end - 1 - folded_start == size  # one character for one
    folded_at = body_at + width * folded_start
    span = None
    if found and aligned and _find(record, _SEPARATORS[width], folded_at, folded_at + width * size, width) < 0:
        # the first match in the field is the first in the case
        first, matched = min((at - folded_start, count) for at, count in found if at < folded_end)
        span = (first, first + matched)
    elif found:  # a separator typed in the field (read as a space, which a term may match) or a
        # searched form of another length: the match is sought in the field as shown
        text = _decode(width, record[text_at + width * start:text_at + width * (end - 1)])
        folded = _decode(width, record[folded_at:body_at + width * (folded_end - 1)]).replace(SEPARATOR, " ")
        folded, origin = (folded, range(size)) if aligned else fold_with_origin(text)
        spans = [(at, len(v)) for v in variants if v for at in [folded.find(v)] if at >= 0]
        if spans:
            first, matched = min(spans)
            span = (origin[first], origin[first + matched - 1] + 1)
    return Passage(title, size, cuts, span, record, text_at + width * start,
                   folded_at if aligned else None, width)


_SEPARATORS = {2: SEPARATOR.encode("utf-16-le"), 4: SEPARATOR.encode("utf-32-le")}


def search_patterns(variants: list[str]) -> dict[int, list[bytes]]:
    """The variants a passage seeks in a case's searched text (not empty, no separator), encoded
    for either width of :func:`case_record`."""
    sought = [v for v in variants if v and SEPARATOR not in v]
    return {2: [v.encode("utf-16-le") for v in sought], 4: [v.encode("utf-32-le") for v in sought]}


class ExactIndex:
    """Every case's searched text and filter values: a snapshot plus the cases written since.

    Slots number the cases: snapshot rows first, then the overlay. A slot whose case was
    rewritten or removed since the snapshot is not ``live``.
    """

    def __init__(self, folder: Path | None = None):
        self._snapshot = _Snapshot(folder)
        self._overlay: dict[int, tuple[SearchDocument, str, str]] = {}
        self._overlay_records: dict[int, bytes] = {}
        self._removed: set[int] = set()
        self._refresh()

    @property
    def changes(self) -> int | None:
        """The change number the snapshot reflects (None: no snapshot)."""
        return self._snapshot.changes

    @property
    def overlay_size(self) -> int:
        return len(self._overlay)

    def prefetched(self, timeout: float | None = None) -> int:
        """Wait for the background read of the snapshot's files (at most ``timeout`` seconds);
        the bytes read so far."""
        return self._snapshot.prefetch.join(timeout)

    def apply(self, documents: list[SearchDocument], removed: list[int]) -> None:
        """Replace these cases by their new text, and drop the removed ones."""
        for case_id in removed:
            self._overlay.pop(case_id, None)
            self._removed.add(case_id)
        for doc in documents:
            self._overlay[doc.case_id] = (doc, *normalised_parts(doc))
            self._overlay_records.pop(doc.case_id, None)
            self._removed.discard(doc.case_id)
        self._refresh()

    def _refresh(self) -> None:
        """Recompute the per-slot arrays after the overlay changed (cheap: a few arrays)."""
        snap, overlay = self._snapshot, list(self._overlay.values())
        self._overlay_docs = overlay
        self.values = {name: list(snap.values[name]) for name in _CODED}
        codes = {name: {v: n for n, v in enumerate(self.values[name])} for name in _CODED}
        extra: dict[str, list[int]] = {name: [] for name in _CODED}
        for doc, _, _ in overlay:
            for name in _CODED:
                value = getattr(doc, name)
                if value is None:
                    extra[name].append(-1)
                    continue
                if value not in codes[name]:
                    codes[name][value] = len(self.values[name])
                    self.values[name].append(value)
                extra[name].append(codes[name][value])
        self.codes = {name: np.concatenate([np.asarray(snap.arrays[name]),
                                            np.array(extra[name], dtype=np.int32)]) for name in _CODED}
        self.normalised_values = {name: [normalize_text(v) for v in self.values[name]] for name in _CODED}
        self.case_ids = np.concatenate([np.asarray(snap.arrays["case_ids"]),
                                        np.array([d.case_id for d, _, _ in overlay], dtype=np.int64)])
        self.years = np.concatenate([np.asarray(snap.arrays["years"]),
                                     np.array([d.year for d, _, _ in overlay], dtype=np.int32)])
        self.published = np.concatenate([np.asarray(snap.arrays["published"]),
                                         np.array([d.published for d, _, _ in overlay], dtype=bool)])
        offsets = np.asarray(snap.arrays["offsets"])
        self.body_lengths = np.concatenate([offsets[2::2] - offsets[1:-1:2],
                                            np.array([len(b) for _, _, b in overlay])]).astype(float)
        self.size = len(self.case_ids)
        live = np.ones(self.size, dtype=bool)
        replaced = np.array(list(self._overlay) + list(self._removed), dtype=np.int64)
        if len(replaced) and snap.size:
            snapshot_ids = np.asarray(snap.arrays["case_ids"])
            at = np.searchsorted(snapshot_ids, replaced)
            inside = at < snap.size
            at, replaced = at[inside], replaced[inside]
            live[at[snapshot_ids[at] == replaced]] = False
        self.live = live
        self.dead = np.flatnonzero(~live)
        self._facet_columns()
        self._overlay_slots = {d.case_id: snap.size + n for n, (d, _, _) in enumerate(overlay)}
        self.live_count = int(live.sum())
        self.average_body = float(self.body_lengths[live].mean()) if self.live_count else 1.0

    def _facet_columns(self) -> None:
        """Each slot's facet values as codes into one list of (facet, value) labels, a column
        per facet, so the facets of any set of slots are one count."""
        first = int(self.years.min()) if self.size else 0
        years = range(first, int(self.years.max()) + 1) if self.size else range(0)
        self.facet_labels = [("year", year) for year in years] + [
            (name, value) for name in _CODED for value in ("none", *self.values[name])]
        columns, offset = [self.years - first], len(years)
        for name in _CODED:
            columns.append(self.codes[name] + 1 + offset)  # "none" (-1) first
            offset += len(self.values[name]) + 1
        self.facet_codes = np.stack(columns, axis=1).astype(np.int32) if self.size else np.zeros((0, 5), np.int32)

    def slot_of(self, case_id: int) -> int | None:
        """The live slot of a case, or None."""
        if case_id in self._overlay_slots:
            return self._overlay_slots[case_id]
        snap = self._snapshot
        at = int(np.searchsorted(snap.arrays["case_ids"], case_id)) if snap.size else 0
        if at < snap.size and int(snap.arrays["case_ids"][at]) == case_id and self.live[at]:
            return at
        return None

    def facet_values(self, slots: list[int]) -> list[dict]:
        """The case id, year, publication and coded values (region, county, category, award) of
        the cases at these slots: :class:`SearchDocument`'s fields but its text."""
        snap = self._snapshot
        at = np.array([slot for slot in slots if slot < snap.size], dtype=np.int64)
        columns = {"case_id": self.case_ids[at].tolist(), "year": self.years[at].tolist(),
                   "published": self.published[at].tolist()}
        for name in _CODED:
            columns[name] = [self.values[name][code] if code >= 0 else None
                             for code in self.codes[name][at].tolist()]
        stored = iter([dict(zip(columns, row)) for row in zip(*columns.values())])
        overlay = self._overlay_docs
        return [next(stored) if slot < snap.size else
                {name: getattr(overlay[slot - snap.size][0], name) for name in ("case_id", "year", "published", *_CODED)}
                for slot in slots]

    def document(self, slot: int) -> SearchDocument:
        """The case at a slot, with its original text."""
        snap = self._snapshot
        if slot >= snap.size:
            return self._overlay_docs[slot - snap.size][0]
        title, fields = snap.original(slot)
        return SearchDocument(title=title, fields=fields, **self.facet_values([slot])[0])

    def passages(self, slots: list[int], variants: list[str]) -> list[Passage]:
        """The title of each case at these slots and the field a snippet of it shows for these
        normalised variants (:class:`Passage`): one read of each case's record."""
        snap, patterns = self._snapshot, search_patterns(variants)
        return [read_passage(snap.record(slot) if slot < snap.size else self._overlay_record(slot),
                             variants, patterns) for slot in slots]

    def _overlay_record(self, slot: int) -> bytes:
        """The :func:`case_record` of a case written since the snapshot, segmented here once."""
        doc = self._overlay_docs[slot - self._snapshot.size][0]
        if doc.case_id not in self._overlay_records:
            from kb.segment import segment_with_breaks

            texts = [text for _, text in doc.fields]
            cuts = segment_with_breaks(document_text(doc))[1].astype(np.uint8).tobytes()
            self._overlay_records[doc.case_id] = case_record(
                doc.title, texts, [normalize_text(text) for text in texts], cuts)
        return self._overlay_records[doc.case_id]

    def counts(self, variant: str) -> tuple[np.ndarray, np.ndarray]:
        """How often a normalised term occurs in each slot's title and body (0 where not live)."""
        title, body = np.zeros(self.size, np.int32), np.zeros(self.size, np.int32)
        if not variant or SEPARATOR in variant:
            return title, body
        snap = self._snapshot
        if len(variant) > 2:
            per_piece = np.bincount(snap.occurrences(variant), minlength=2 * snap.size)
            title[:snap.size], body[:snap.size] = per_piece[0::2], per_piece[1::2]
        else:
            for field, counted in ((TITLE, title), (BODY, body)):
                posting = snap.posting(_term_key(variant, field))
                if posting is not None:  # the posting is the answer, counts included
                    counted[posting[0]] = posting[1]
        for n, (_, doc_title, doc_body) in enumerate(self._overlay_docs):
            title[snap.size + n], body[snap.size + n] = doc_title.count(variant), doc_body.count(variant)
        title[self.dead] = 0
        body[self.dead] = 0
        return title, body
