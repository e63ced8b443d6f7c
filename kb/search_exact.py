"""The exact-match index: which cases contain a term, and how often, in title and body.

A term matches a case when the case's normalised text (kb.querytext) contains it as a
substring; this module answers that exactly and fast. Each index generation persists a
snapshot of every case (:func:`write_snapshot`): the normalised text, the filter values, the
original text for snippets and where each of its fields begins, and sorted character unigram
and bigram postings with their counts per field and bigram positions: the arrays read through
mmap (nothing is decoded or built at load), so a process loads 10,000 cases in a fraction of a
second and holds only the pages it reads; the text of a shown case is read by byte range
(pread), and only its title and the field a snippet shows are decoded, so serving keeps no text
in memory.

A one- or two-character term is answered by its posting alone (cases and counts per field). A
longer term is found from the positions of its bigrams: where its rarest bigram occurs and
other ones, rarest first, follow in place until every character is checked, so no case text
is read. Cases written after the snapshot (known from the change record) live in a small
in-memory overlay that replaces their snapshot rows, so a process is always current and an edit
costs it only that case.
"""
from __future__ import annotations

import bisect
import json
import os
import weakref
from dataclasses import dataclass
from operator import itemgetter
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


def field_layout(title: str, texts: list[str], folded: list[str]) -> list[tuple[int, int, int]]:
    """Where each field of a case begins, from its title, its fields' text and their searched
    forms: (byte in the searched body, byte in the stored original, character in
    :func:`document_text`), and one more row where a field after the last would begin."""
    body, raw, char = 0, len(title.encode("utf-8")) + 1, len(title) + 1
    rows = []
    for text, fold in zip(texts, folded):
        rows.append((body, raw, char))
        body += len(fold.encode("utf-8")) + 1
        raw += len(text.encode("utf-8")) + 1
        char += len(text) + 1
    return rows + [(body, raw, char)]


def document_text(doc: SearchDocument) -> str:
    """A case's title and fields, one per line: the text segmented for words and excerpt
    breaks, each character where the stored original text has it."""
    return doc.title + "\n" + "\n".join(text for _, text in doc.fields)


def write_breaks(folder: Path, breaks: dict[int, bytes]) -> None:
    """Persist each case's excerpt breaks (packed flags, kb.segment.segment_with_breaks) beside
    the snapshot in ``folder``, in its slot order."""
    packed = [breaks[case_id] for case_id in sorted(breaks)]
    np.save(folder / "break_offsets.npy", np.cumsum([0] + [len(p) for p in packed], dtype=np.int64))
    (folder / "breaks.bin").write_bytes(b"".join(packed))


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
    keys, slots, counts, pieces, offsets, layouts = [], [], [], [], [0], []
    for slot, doc in enumerate(documents):
        texts = [text for _, text in doc.fields]
        folded = [normalize_text(text) for text in texts]
        title, body = normalize_text(doc.title), SEPARATOR.join(folded)
        layouts.append(field_layout(doc.title, texts, folded))
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
    np.save(folder / "offsets.npy", np.array(offsets, dtype=np.int64))
    encoded = [piece.encode("utf-8") for piece in pieces]
    np.save(folder / "text_offsets.npy", np.cumsum([0] + [len(e) for e in encoded], dtype=np.int64))
    (folder / "text.bin").write_bytes(b"".join(encoded))
    _write_positions(folder, "".join(pieces), offsets)
    np.save(folder / "field_rows.npy", np.cumsum([0] + [len(rows) for rows in layouts], dtype=np.int64))
    np.save(folder / "fields.npy", np.array([row for rows in layouts for row in rows], dtype=np.int32).reshape(-1, 3))
    label_sets = sorted({tuple(label for label, _ in d.fields) for d in documents})
    label_code = {labels: n for n, labels in enumerate(label_sets)}
    np.save(folder / "label_sets.npy", np.array(
        [label_code[tuple(label for label, _ in d.fields)] for d in documents], dtype=np.int32))
    originals = [stored_original(d).encode("utf-8") for d in documents]
    np.save(folder / "original_offsets.npy", np.cumsum([0] + [len(o) for o in originals], dtype=np.int64))
    (folder / "original.bin").write_bytes(b"".join(originals))
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
        {"changes": changes, "documents": len(documents), "values": values,
         "label_sets": label_sets}, ensure_ascii=False))


def stored_original(doc: SearchDocument) -> str:
    """A case's text as the snapshot stores it: title, title mark, fields joined by the separator."""
    return _plain(doc.title) + _TITLE_END + SEPARATOR.join(_plain(text) for _, text in doc.fields)


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


def snapshot_changes(folder: Path) -> int | None:
    """The change number the snapshot in ``folder`` reflects (None: none there)."""
    try:
        return json.loads((folder / "meta.json").read_text())["changes"]
    except FileNotFoundError:
        return None


class _Snapshot:
    """One persisted exact index: the arrays read through mmap, the text in byte ranges."""

    def __init__(self, folder: Path | None):
        meta = json.loads((folder / "meta.json").read_text()) if folder else {
            "changes": None, "documents": 0, "values": {name: [] for name in _CODED}}
        self.changes: int | None = meta["changes"]
        self.values: dict[str, list[str]] = meta["values"]
        self.label_sets: list[list[str]] = meta.get("label_sets", [])
        if folder is None:
            empty = {"keys": np.zeros(0, np.uint64), "starts": np.zeros(1, np.int64),
                     "bigram_keys": np.zeros(0, np.uint64), "bigram_starts": np.zeros(1, np.int64),
                     "bigram_positions": np.zeros(0, np.int32),
                     "slots": np.zeros(0, np.int32), "counts": np.zeros(0, np.uint16),
                     "offsets": np.zeros(1, np.int64), "original_offsets": np.zeros(1, np.int64),
                     "text_offsets": np.zeros(1, np.int64), "break_offsets": np.zeros(1, np.int64),
                     "case_ids": np.zeros(0, np.int64), "years": np.zeros(0, np.int32),
                     "label_sets": np.zeros(0, np.int32),
                     "published": np.zeros(0, bool), **{n: np.zeros(0, np.int32) for n in _CODED}}
            self.arrays = empty
            self._text, self._original, self._breaks = _Stored(None), _Stored(None), _Stored(None)
        else:
            # Plain ndarray views of the mapped files: slicing a np.memmap costs a Python call.
            self.arrays = {path.stem: np.asarray(np.load(path, mmap_mode="r"))
                           for path in folder.glob("*.npy")}
            self._text, self._original, self._breaks = (
                _Stored(folder / name) for name in ("text.bin", "original.bin", "breaks.bin"))
        self.size = len(self.arrays["case_ids"])
        self.keys = np.asarray(self.arrays["keys"])
        self.starts = self.arrays["starts"]

    def posting(self, key: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Slots holding the gram (ascending) and its count in each, or None."""
        at = int(np.searchsorted(self.keys, np.uint64(key)))
        if at == len(self.keys) or int(self.keys[at]) != key:
            return None
        start, end = int(self.starts[at]), int(self.starts[at + 1])
        return self.arrays["slots"][start:end], self.arrays["counts"][start:end]

    def positions(self, a: str, b: str) -> np.ndarray | None:
        """Where the bigram ``ab`` occurs in the text (ascending), or None."""
        key, keys = (ord(a) << 21) | ord(b), self.arrays["bigram_keys"]
        at = int(np.searchsorted(keys, np.uint64(key)))
        if at == len(keys) or int(keys[at]) != key:
            return None
        starts = self.arrays["bigram_starts"]
        return self.arrays["bigram_positions"][int(starts[at]):int(starts[at + 1])]

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

    def _bytes(self, stored: _Stored, offsets: str, number: int) -> bytes:
        at = self.arrays[offsets]
        return stored.read(int(at[number]), int(at[number + 1]))

    def body(self, slot: int) -> bytes:
        """A case's searched fields (joined by the separator), UTF-8."""
        return self._bytes(self._text, "text_offsets", 2 * slot + 1)

    def original_bytes(self, slot: int) -> bytes:
        """A case's text as written, UTF-8: its title, the title mark, its fields joined by the
        separator (:func:`stored_original`)."""
        return self._bytes(self._original, "original_offsets", slot)

    def original(self, slot: int) -> tuple[str, list[tuple[str, str]]]:
        """A case's title and (label, text) fields as written."""
        title, _, body = self.original_bytes(slot).decode("utf-8").partition(_TITLE_END)
        labels = self.label_sets[int(self.arrays["label_sets"][slot])]
        return title, list(zip(labels, body.split(SEPARATOR)))

    def layout(self, slot: int) -> list[list[int]] | None:
        """Where each field of a case begins (:func:`field_layout`), or None: this generation
        stores none."""
        rows = self.arrays.get("field_rows")
        return None if rows is None else self.arrays["fields"][int(rows[slot]):int(rows[slot + 1])].tolist()

    def packed_breaks(self, slot: int) -> bytes | None:
        """Where an excerpt of a case's text (:func:`document_text`) may be cut, packed
        (None: this generation stores no breaks)."""
        return self._bytes(self._breaks, "break_offsets", slot) if "break_offsets" in self.arrays else None


@dataclass
class Passage:
    """What a snippet of a case shows: the field holding the first match of the query (the
    first field when only the title matches), as written and in its searched form."""

    title: str
    text: str
    folded: str
    cuts: bytes | None  # per position in ``text`` and its end: 1 where an excerpt may begin or end (None: anywhere)
    matched: bool


def _passage(raw: bytes, body: bytes, layout: list, packed: bytes, variants: list[str]) -> Passage:
    """The :class:`Passage` of a case from its stored original (:func:`stored_original`), its
    searched fields (joined by the separator), where each field begins (:func:`field_layout`)
    and its packed breaks, all UTF-8: the match is sought in the bytes, and only the title and
    the field shown are decoded (a case runs to thousands of characters)."""
    title = raw[:layout[0][1] - 1].decode("utf-8")
    found = [at for variant in variants if variant and SEPARATOR not in variant
             for at in [body.find(variant.encode("utf-8"))] if at >= 0]
    if len(layout) < 2:  # no field
        return Passage(title=title, text="", folded="", cuts=None, matched=False)
    field = bisect.bisect_right(layout, min(found, default=0), key=itemgetter(0)) - 1  # holding the match
    (body_start, raw_start, first), (body_end, raw_end, _) = layout[field], layout[field + 1]
    text = raw[raw_start:raw_end - 1].decode("utf-8")
    # as in the stored original, a separator typed in the text reads as a space
    folded = body[body_start:body_end - 1].decode("utf-8").replace(SEPARATOR, " ")
    flags = np.unpackbits(np.frombuffer(packed, np.uint8)[first // 8:(first + len(text)) // 8 + 1])
    flags = flags[first % 8:first % 8 + len(text) + 1]
    # the text begins and ends at a break; breaks of another text would not fit it
    cuts = flags.tobytes() if len(flags) == len(text) + 1 and flags[0] and flags[-1] else None
    return Passage(title=title, text=text, folded=folded, cuts=cuts, matched=bool(found))


class ExactIndex:
    """Every case's searched text and filter values: a snapshot plus the cases written since.

    Slots number the cases: snapshot rows first, then the overlay. A slot whose case was
    rewritten or removed since the snapshot is not ``live``.
    """

    def __init__(self, folder: Path | None = None):
        self._snapshot = _Snapshot(folder)
        self._overlay: dict[int, tuple[SearchDocument, str, str]] = {}
        self._overlay_breaks: dict[int, bytes] = {}
        self._removed: set[int] = set()
        self._refresh()

    @property
    def changes(self) -> int | None:
        """The change number the snapshot reflects (None: no snapshot)."""
        return self._snapshot.changes

    @property
    def overlay_size(self) -> int:
        return len(self._overlay)

    def apply(self, documents: list[SearchDocument], removed: list[int]) -> None:
        """Replace these cases by their new text, and drop the removed ones."""
        for case_id in removed:
            self._overlay.pop(case_id, None)
            self._removed.add(case_id)
        for doc in documents:
            self._overlay[doc.case_id] = (doc, *normalised_parts(doc))
            self._overlay_breaks.pop(doc.case_id, None)
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
        self._overlay_slots = {d.case_id: snap.size + n for n, (d, _, _) in enumerate(overlay)}
        self.live_count = int(live.sum())
        self.average_body = float(self.body_lengths[live].mean()) if self.live_count else 1.0

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

    def passage(self, slot: int, variants: list[str]) -> Passage:
        """The title of the case at a slot and the field a snippet of it shows for these
        normalised variants (:class:`Passage`)."""
        snap = self._snapshot
        layout = snap.layout(slot) if slot < snap.size else None
        if layout is not None:
            raw, body = snap.original_bytes(slot), snap.body(slot)
        else:  # written since the snapshot, or a generation that stores no layout
            doc = self.document(slot)
            texts = [text for _, text in doc.fields]
            folded = [normalize_text(text) for text in texts]
            raw, body = stored_original(doc).encode("utf-8"), SEPARATOR.join(folded).encode("utf-8")
            layout = field_layout(doc.title, texts, folded)
        packed = snap.packed_breaks(slot) if slot < snap.size else None
        if packed is None:  # written since the snapshot, or a generation without breaks: segmented here
            case_id = int(self.case_ids[slot])
            if case_id not in self._overlay_breaks:
                from kb.segment import segment_with_breaks

                flags = segment_with_breaks(document_text(self.document(slot)))[1]
                self._overlay_breaks[case_id] = np.packbits(flags).tobytes()
            packed = self._overlay_breaks[case_id]
        return _passage(raw, body, layout, packed, variants)

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
        title[~self.live] = 0
        body[~self.live] = 0
        return title, body
