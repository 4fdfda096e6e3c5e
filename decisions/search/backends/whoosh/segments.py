"""Index segments: immutable directories of NumPy arrays that every process memory-maps.

A segment holds some documents (decision items) numbered 0..n-1. For each field it keeps a
lexicon sorted by a 128-bit hash of each term, where a term's postings start, and the postings
themselves: document numbers (ascending), frequencies, and for phrase fields every position.
Keyword and word fields also keep their terms' text (facet values, prefix expansion). Columns
(item ids, letter ids, dates, field lengths) are one array each. Nothing is read into a
process's own memory: the page cache holds it once for every gunicorn worker.

Segments never change; a deletion is a separate sorted array of document numbers named by the
manifest (store.py), and merging writes a new segment from old ones with NumPy alone.
"""

import hashlib
import itertools
import json
import os
import shutil
from array import array
from collections import Counter

import numpy

from decisions.search import fields as registry
from decisions.search.backends.whoosh import bm25
from decisions.search.backends.whoosh.analysis import UNKNOWN_DAY, day, phrases_field, shingles, words

FORMAT = 4
CHAMPIONS = 1000  # a common term's documents where it weighs most, kept for ranking (rank.py)
DENSE_SHARE = 100  # a facet value held by at least 1 in this many of a segment's documents has a bitmap
KEY = numpy.dtype("S16")
NO_TERM = -1
DELETED = "deleted-"  # deletion files sit beside the segment's arrays (store.py writes them)


def key_of(term):
    """A term's place in the lexicon: a 128-bit hash (a collision is as likely as none at all)."""
    return hashlib.blake2b(term.encode("utf-8"), digest_size=16).digest()


def _term_fields():
    """(name, frequencies kept, positions kept, text kept) of every field with a lexicon."""
    described = []
    for name, text_field in registry.TEXT_FIELDS.items():
        described.append((name, True, text_field.phrases, True))
        if text_field.phrases:
            described.append((phrases_field(name), True, False, False))
    for name, filter_field in registry.FILTER_FIELDS.items():
        if filter_field.kind != registry.DATE:
            described.append((name, False, False, True))
    return described


TERM_FIELDS = _term_fields()
COLUMNS = {"item_id": numpy.int64, "determination_id": numpy.int64} | dict.fromkeys(
    registry.DATE_FIELDS, numpy.int32
)


def fingerprint():
    """This version's format and fields: an index written with others needs a rebuild."""
    described = json.dumps([FORMAT, TERM_FIELDS, sorted(COLUMNS), sorted(registry.TEXT_FIELDS)])
    return hashlib.sha256(described.encode()).hexdigest()[:16]


class _TermNumbers(dict):
    """term -> its number in the segment being built, numbered as first seen."""

    def __missing__(self, term):
        self[term] = number = len(self)
        return number


class _FieldPostings:
    """One field's postings while a segment is being built, as flat arrays in the order documents
    came (grouped by term with NumPy when written): one dict lookup per posting, nothing more."""

    __slots__ = ("ids", "term_ids", "docs", "freqs", "positions")

    def __init__(self):
        self.ids = _TermNumbers()
        self.term_ids, self.docs, self.freqs, self.positions = array("i"), array("i"), array("H"), array("H")

    def add(self, doc, counted):
        """counted: {term: frequency} of one document."""
        ids = self.ids
        self.term_ids.extend([ids[term] for term in counted])
        self.docs.extend(itertools.repeat(doc, len(counted)))
        self.freqs.extend(counted.values())

    def add_positions(self, doc, where):
        """where: {term: positions} of one document."""
        self.add(doc, dict(zip(where, map(len, where.values()), strict=True)))
        self.positions.extend(itertools.chain.from_iterable(where.values()))

    def arrays(self, name, keep_freqs, keep_positions, keep_text):
        terms = list(self.ids)
        keys = numpy.array([key_of(term) for term in terms], dtype=KEY)
        lexicon = numpy.argsort(keys, kind="stable")
        rank = numpy.empty(len(terms), dtype=numpy.int64)
        rank[lexicon] = numpy.arange(len(terms))
        term_of = rank[numpy.frombuffer(self.term_ids, numpy.int32)] if terms else numpy.zeros(0, numpy.int64)
        order = numpy.argsort(term_of, kind="stable")  # documents stay ascending within a term
        arrays = {
            f"{name}.keys": keys[lexicon],
            f"{name}.starts": _starts(numpy.bincount(term_of, minlength=len(terms))),
            f"{name}.docs": numpy.frombuffer(self.docs, numpy.int32)[order],
        }
        freqs = numpy.frombuffer(self.freqs, numpy.uint16)
        if keep_freqs:
            arrays[f"{name}.freqs"] = freqs[order]
        if keep_positions:
            pool = numpy.frombuffer(self.positions, numpy.uint16)
            ends = numpy.cumsum(freqs, dtype=numpy.int64)
            arrays[f"{name}.pos"] = _gathered(pool, (ends - freqs)[order], freqs[order])
            totals = numpy.bincount(term_of, weights=freqs, minlength=len(terms))
            arrays[f"{name}.pstarts"] = _starts(totals.astype(numpy.int64))
        if keep_text:
            arrays |= _text_arrays(name, [terms[index] for index in lexicon])
        return arrays


class SegmentBuilder:
    """Documents analysed into postings in memory, then written as one segment."""

    def __init__(self):
        self.count = 0
        self.columns = {name: [] for name in COLUMNS}
        self.lengths = {name: array("H") for name in registry.TEXT_FIELDS}
        self.terms = {name: _FieldPostings() for name, *_ in TERM_FIELDS}

    def add(self, document):
        """Analyse one search document (search.documents) into the segment."""
        doc = self.count
        self.count += 1
        for name in ("item_id", "determination_id"):
            self.columns[name].append(int(document[name]))
        for name in registry.DATE_FIELDS:
            self.columns[name].append(day(document.get(name)))
        for name, text_field in registry.TEXT_FIELDS.items():
            tokens = words(document.get(name))
            self.lengths[name].append(len(tokens))
            if text_field.phrases:
                where = {}
                for position, token in enumerate(tokens):
                    where.setdefault(token, []).append(position)
                self.terms[name].add_positions(doc, where)
                self.terms[phrases_field(name)].add(doc, Counter(shingles(tokens)))
            else:
                self.terms[name].add(doc, Counter(tokens))
        for name, filter_field in registry.FILTER_FIELDS.items():
            if filter_field.kind != registry.DATE:
                self.terms[name].add(doc, dict.fromkeys(registry.stored_values(name, document), 1))

    def write(self, path):
        """Write the segment to a new directory; it appears whole (renamed into place) or not at all."""
        building = path.with_name(f".{path.name}.building")
        building.mkdir(parents=True)
        arrays = {name: numpy.asarray(self.columns[name], dtype=dtype) for name, dtype in COLUMNS.items()}
        arrays |= {
            f"{name}.len": numpy.frombuffer(lengths, numpy.uint16) for name, lengths in self.lengths.items()
        }
        meta = {"docs": self.count, "words": {name: int(sum(v)) for name, v in self.lengths.items()}}
        meta["ranges"] = _ranges(arrays)
        arrays |= _date_orders(arrays)
        for name, keep_freqs, keep_positions, keep_text in TERM_FIELDS:
            arrays |= self.terms[name].arrays(name, keep_freqs, keep_positions, keep_text)
            arrays |= _facet_arrays(name, arrays, self.count) | _champion_arrays(name, arrays)
        _save(building, arrays, meta)
        os.replace(building, path)


def _gathered(pool, sources, lengths):
    """pool[sources[0]:sources[0]+lengths[0]], then the next run, ... as one array."""
    lengths = numpy.asarray(lengths, dtype=numpy.int64)
    ends = numpy.cumsum(lengths)
    total = int(ends[-1]) if len(ends) else 0
    return pool[numpy.repeat(sources - (ends - lengths), lengths) + numpy.arange(total)]


def _facet_arrays(name, arrays, count):
    """For a facet field: a bitmap of each value held by at least 1 in DENSE_SHARE documents (counted
    by AND and popcount, whatever the segment's size), and the other values' postings apart (counted
    one posting at a time, few of them)."""
    if name not in registry.FACET_FIELDS:
        return {}
    starts, docs = arrays[f"{name}.starts"], arrays[f"{name}.docs"]
    held_by = numpy.diff(starts)
    is_dense = held_by * DENSE_SHARE >= max(count, 1)
    words = (count + 63) // 64
    dense = numpy.flatnonzero(is_dense)
    bitmaps = numpy.zeros((len(dense), words), dtype=numpy.uint64)
    for row, term in enumerate(dense):
        flags = numpy.zeros(words * 64, dtype=bool)
        flags[docs[starts[term] : starts[term + 1]]] = True
        bitmaps[row] = numpy.packbits(flags, bitorder="little").view(numpy.uint64)
    sparse = numpy.flatnonzero(~is_dense)
    return {
        f"{name}.dense": bitmaps,
        f"{name}.dense_terms": dense.astype(numpy.int32),
        f"{name}.sparse_terms": sparse.astype(numpy.int32),
        f"{name}.sparse_starts": _starts(held_by[sparse]),
        f"{name}.sparse_docs": _gathered(docs, starts[sparse], held_by[sparse]),
    }


def _champion_arrays(name, arrays):
    """For a field relevance ranks: the CHAMPIONS documents where each term held by more weighs most
    (BM25's weight with this segment's mean length), in blocks of CHAMPIONS, in document order."""
    base = name.removesuffix(phrases_field(""))
    if base not in registry.DEFAULT_TEXT_FIELDS:
        return {}
    starts, docs, freqs = arrays[f"{name}.starts"], arrays[f"{name}.docs"], arrays[f"{name}.freqs"]
    lengths = arrays[f"{base}.len"]
    average = max(float(lengths.mean()) if len(lengths) else 1.0, 1.0)
    common = numpy.flatnonzero(numpy.diff(starts) > CHAMPIONS)
    blocks = []
    for term in common:
        held = docs[starts[term] : starts[term + 1]]
        weights = bm25.weight(
            freqs[starts[term] : starts[term + 1]].astype(numpy.float32), lengths[held], average
        )
        blocks.append(numpy.sort(held[numpy.argpartition(-weights, CHAMPIONS - 1)[:CHAMPIONS]]))
    return {
        f"{name}.champion_terms": common.astype(numpy.int32),
        f"{name}.champion_docs": numpy.concatenate(blocks) if blocks else numpy.zeros(0, numpy.int32),
    }


def packed(flags):
    """Boolean flags as little-endian 64-bit words, the layout of the facet bitmaps."""
    words = (len(flags) + 63) // 64
    raw = numpy.zeros(words * 8, dtype=numpy.uint8)
    raw[: (len(flags) + 7) // 8] = numpy.packbits(flags, bitorder="little")
    return raw.view(numpy.uint64)


def _starts(counts):
    starts = numpy.zeros(len(counts) + 1, dtype=numpy.int64)
    numpy.cumsum(counts, out=starts[1:])
    return starts


def _text_arrays(name, texts):
    """The terms' text in lexicon order, and their alphabetical order (for prefixes)."""
    encoded = [text.encode("utf-8") for text in texts]
    return {
        f"{name}.text": numpy.frombuffer(b"".join(encoded), numpy.uint8),
        f"{name}.toffs": _starts([len(value) for value in encoded]),
        f"{name}.alpha": numpy.array(sorted(range(len(encoded)), key=encoded.__getitem__), dtype=numpy.int32),
    }


def _date_orders(arrays):
    """The segment's documents newest first and oldest first (undated last, then by number): the
    order of every date sort, so a sort reads the first matches instead of sorting them all."""
    days = arrays["decided"].astype(numpy.int64)
    numbers = numpy.arange(len(days))
    undated = days == UNKNOWN_DAY
    return {
        "newest": numpy.lexsort((numbers, -days, undated)).astype(numpy.int64),
        "oldest": numpy.lexsort((numbers, days, undated)).astype(numpy.int64),
    }


def _ranges(arrays):
    """The lowest and highest item and letter id in a segment: a write skips segments it cannot touch."""
    return {
        name: [int(arrays[name].min()), int(arrays[name].max())] if len(arrays[name]) else None
        for name in ("item_id", "determination_id")
    }


def read_meta(path):
    return json.loads((path / "meta.json").read_text())


def load_array(path, name):
    return _load(path / f"{name}.npy")


def _save(directory, arrays, meta):
    for name, values in arrays.items():
        numpy.save(directory / f"{name}.npy", values, allow_pickle=False)
    (directory / "meta.json").write_text(json.dumps(meta | {"format": fingerprint()}))


def _load(path):
    """A memory map of a saved array (an empty one cannot be mapped, so it is made)."""
    with open(path, "rb") as handle:
        version = numpy.lib.format.read_magic(handle)
        read_header = (
            numpy.lib.format.read_array_header_1_0
            if version == (1, 0)
            else numpy.lib.format.read_array_header_2_0
        )
        shape, _, dtype = read_header(handle)
    if not numpy.prod(shape):
        return numpy.zeros(shape, dtype=dtype)
    # A plain array on the map: numpy.memmap's own slicing costs a Python call per slice.
    return numpy.load(path, mmap_mode="r", allow_pickle=False).view(numpy.ndarray)


class _Texts:
    """A lexicon's terms in alphabetical order, read from the map one at a time (for bisect)."""

    def __init__(self, text, offsets, alpha):
        self.text, self.offsets, self.alpha = text, offsets, alpha

    def __len__(self):
        return len(self.alpha)

    def __getitem__(self, index):
        return self.term(int(self.alpha[index]))

    def term(self, term_index):
        return bytes(self.text[self.offsets[term_index] : self.offsets[term_index + 1]]).decode("utf-8")


class Segment:
    """A written segment, every file mapped when opened (a merge may delete it soon after)."""

    def __init__(self, path):
        self.path = path
        self.name = path.name
        self.meta = read_meta(path)
        self.docs = self.meta["docs"]
        self._values = {}
        self.arrays = {
            entry.name[:-4]: _load(entry)
            for entry in path.glob("*.npy")
            if not entry.name.startswith(DELETED)
        }

    def column(self, name):
        return self.arrays[name]

    def date_order(self, oldest_first):
        return self.arrays["oldest" if oldest_first else "newest"]

    def lengths(self, field_name):
        return self.arrays[f"{field_name}.len"]

    def term_index(self, field_name, key):
        keys = self.arrays[f"{field_name}.keys"]
        index = int(numpy.searchsorted(keys, key))
        if index < len(keys) and bytes(keys[index]).ljust(16, b"\0") == key:
            return index
        return NO_TERM

    def postings(self, field_name, key):
        """(document numbers, frequencies or None) of a term; deleted documents included."""
        index = self.term_index(field_name, key)
        if index == NO_TERM:
            return None
        starts = self.arrays[f"{field_name}.starts"]
        start, end = starts[index], starts[index + 1]
        freqs = self.arrays.get(f"{field_name}.freqs")
        return self.arrays[f"{field_name}.docs"][start:end], None if freqs is None else freqs[start:end]

    def champions(self, field_name, key):
        """The documents a term weighs most in: all of them when it is not common here."""
        index = self.term_index(field_name, key)
        if index == NO_TERM:
            return self.arrays[f"{field_name}.docs"][:0]
        starts = self.arrays[f"{field_name}.starts"]
        if starts[index + 1] - starts[index] <= CHAMPIONS:
            return self.arrays[f"{field_name}.docs"][starts[index] : starts[index + 1]]
        terms = self.arrays.get(f"{field_name}.champion_terms", numpy.zeros(0, numpy.int32))
        at = int(numpy.searchsorted(terms, index))
        if at == len(terms) or terms[at] != index:  # a keyword: every holder weighs the same
            return self.arrays[f"{field_name}.docs"][:0]
        return self.arrays[f"{field_name}.champion_docs"][at * CHAMPIONS : (at + 1) * CHAMPIONS]

    def positions(self, field_name, key, docnums):
        """{docnum: positions} of a term in the given sorted documents of this segment."""
        index = self.term_index(field_name, key)
        if index == NO_TERM:
            return {}
        starts = self.arrays[f"{field_name}.starts"]
        start, end = starts[index], starts[index + 1]
        docs = self.arrays[f"{field_name}.docs"][start:end]
        freqs = self.arrays[f"{field_name}.freqs"][start:end].astype(numpy.int64)
        offsets = self.arrays[f"{field_name}.pstarts"][index] + numpy.concatenate(([0], numpy.cumsum(freqs)))
        wanted = numpy.asarray(docnums, dtype=numpy.int64)
        found = numpy.searchsorted(docs, wanted)
        present = found < len(docs)
        present[present] = docs[found[present]] == wanted[present]
        pos = self.arrays[f"{field_name}.pos"]
        return {
            int(doc): pos[offsets[at] : offsets[at + 1]].tolist()
            for doc, at in zip(wanted[present], found[present], strict=True)
        }

    def values(self, field_name):
        """A facet field's terms as text, in lexicon order (read once per process: a few thousand)."""
        if field_name not in self._values:
            texts = self.texts(field_name)
            self._values[field_name] = [texts.term(index) for index in range(len(texts))]
        return self._values[field_name]

    def texts(self, field_name):
        return _Texts(
            self.arrays[f"{field_name}.text"],
            self.arrays[f"{field_name}.toffs"],
            self.arrays[f"{field_name}.alpha"],
        )

    def term_counts(self, field_name, flags, words):
        """How many of the flagged documents hold each term of a facet field (in lexicon order);
        `words` are the flags packed (`packed`)."""
        counts = numpy.zeros(len(self.arrays[f"{field_name}.keys"]), dtype=numpy.int64)
        dense = self.arrays[f"{field_name}.dense"]
        for row, term in enumerate(self.arrays[f"{field_name}.dense_terms"]):
            counts[term] = int(numpy.bitwise_count(dense[row] & words).sum())
        sparse_docs = self.arrays[f"{field_name}.sparse_docs"]
        if len(sparse_docs):
            held = flags[sparse_docs].astype(numpy.int64)
            counts[self.arrays[f"{field_name}.sparse_terms"]] = numpy.add.reduceat(
                held, self.arrays[f"{field_name}.sparse_starts"][:-1]
            )
        return counts


def merge(segments, deleted, path):
    """One segment holding the live documents of `segments` in order; `deleted` maps a segment's name
    to its deleted document numbers. Postings, positions and texts are moved by NumPy, not re-analysed."""
    building = path.with_name(f".{path.name}.building")
    building.mkdir(parents=True)
    remaps, offset = [], 0
    for segment in segments:
        alive = numpy.ones(segment.docs, dtype=bool)
        alive[deleted.get(segment.name, [])] = False
        remap = numpy.full(segment.docs, -1, dtype=numpy.int64)
        remap[alive] = offset + numpy.arange(int(alive.sum()))
        offset += int(alive.sum())
        remaps.append((alive, remap))
    arrays = {}
    for name in list(COLUMNS) + [f"{field}.len" for field in registry.TEXT_FIELDS]:
        arrays[name] = numpy.concatenate(
            [s.arrays[name][alive] for s, (alive, _) in zip(segments, remaps, strict=True)]
        )
    words_in = {field: int(arrays[f"{field}.len"].sum(dtype=numpy.int64)) for field in registry.TEXT_FIELDS}
    for name, keep_freqs, keep_positions, keep_text in TERM_FIELDS:
        arrays |= _merged_field(
            name, segments, [remap for _, remap in remaps], keep_freqs, keep_positions, keep_text
        )
        arrays |= _facet_arrays(name, arrays, offset) | _champion_arrays(name, arrays)
    arrays |= _date_orders(arrays)
    _save(building, arrays, {"docs": offset, "words": words_in, "ranges": _ranges(arrays)})
    os.replace(building, path)


def _merged_field(name, segments, remaps, keep_freqs, keep_positions, keep_text):
    parts = [
        _live_postings(name, segment, remap, keep_freqs, keep_positions, keep_text)
        for segment, remap in zip(segments, remaps, strict=True)
    ]
    keys = numpy.concatenate([part["keys"] for part in parts])
    union, first = numpy.unique(keys, return_index=True)
    term_of = numpy.concatenate(
        [numpy.repeat(numpy.searchsorted(union, part["keys"]), part["counts"]) for part in parts]
    )
    order = numpy.argsort(term_of, kind="stable")  # segments in order: documents stay ascending
    arrays = {
        f"{name}.keys": union,
        f"{name}.starts": _starts(numpy.bincount(term_of, minlength=len(union))),
        f"{name}.docs": numpy.concatenate([part["docs"] for part in parts])[order].astype(numpy.int32),
    }
    if keep_freqs:
        freqs = numpy.concatenate([part["freqs"] for part in parts])
        arrays[f"{name}.freqs"] = freqs[order]
    if keep_positions:
        arrays[f"{name}.pos"] = _moved_positions(parts, freqs, order)
        totals = numpy.bincount(term_of, weights=freqs, minlength=len(union))
        arrays[f"{name}.pstarts"] = _starts(totals.astype(numpy.int64))
    if keep_text:
        texts = [term for part in parts for term in part["texts"]]
        arrays |= _text_arrays(name, [texts[index] for index in first])
    return arrays


def _live_postings(name, segment, remap, keep_freqs, keep_positions, keep_text):
    """One segment's postings of a field with documents renumbered, deleted ones and the terms left
    with none dropped."""
    starts = segment.arrays[f"{name}.starts"]
    docs = remap[segment.arrays[f"{name}.docs"]]
    kept = docs >= 0
    counts = (
        numpy.add.reduceat(kept.astype(numpy.int64), starts[:-1])
        if len(docs)
        else numpy.zeros(0, numpy.int64)
    )
    used = counts > 0
    part = {"keys": segment.arrays[f"{name}.keys"][used], "counts": counts[used], "docs": docs[kept]}
    if keep_freqs:
        freqs = segment.arrays[f"{name}.freqs"]
        part["freqs"] = freqs[kept]
        if keep_positions:
            part["pos_from"] = (numpy.cumsum(freqs, dtype=numpy.int64) - freqs)[kept]
            part["pos"] = segment.arrays[f"{name}.pos"]
    if keep_text:
        texts = segment.texts(name)
        part["texts"] = [texts.term(index) for index in numpy.flatnonzero(used)]
    return part


def _moved_positions(parts, freqs, order):
    """Every posting's positions, in the merged order of the postings."""
    pools, sources, base = [], [], 0
    for part in parts:
        pools.append(part["pos"])
        sources.append(part["pos_from"] + base)
        base += len(part["pos"])
    return _gathered(numpy.concatenate(pools), numpy.concatenate(sources)[order], freqs[order])


def remove(path):
    shutil.rmtree(path, ignore_errors=True)
