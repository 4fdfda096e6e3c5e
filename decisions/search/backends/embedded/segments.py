"""Index segments: immutable directories of NumPy arrays that every process memory-maps.

A segment holds some documents (decision items) numbered 0..n-1. For each field it keeps a
lexicon sorted by a 128-bit hash of each term, where a term's postings start, and the postings
themselves: document numbers (ascending), frequencies, and for phrase fields every position.
Keyword and word fields also keep their terms' text (facet values, prefix expansion). Columns
(item ids, letter ids, dates, field lengths) are one array each. Nothing is read into a
process's own memory: the page cache holds it once for every gunicorn worker.

This module is the format and its reader. Segments never change once written (building.py,
merging.py, writing.py); a deletion is a separate sorted array of document numbers named by the
manifest (store.py). A segment is opened only when every file is the one its meta.json records
(integrity.py): a file cut short would kill the process that maps it at the first read past its end.
"""

import functools
import hashlib
import io
import json
import mmap

import numpy

from decisions.search import fields as registry
from decisions.search.backends.embedded import integrity
from decisions.search.backends.embedded.analysis import phrases_field
from decisions.search.backends.embedded.integrity import Damaged

FORMAT = 9
META = "meta.json"
CHAMPIONS = 1000  # a common term's documents where it weighs most, kept for ranking (rank.py)
COUNTING_WORDS = 1 << 19  # 64-bit words of facet bitmaps counted per NumPy call (4 MB)
DENSE_SHARE = 100  # a facet value held by at least 1 in this many of a segment's documents has a bitmap
# Counting a matched document's own values costs about as much as ANDing and counting this many
# bitmap words (measured on 400,000-document segments): a facet counts the matches' values when
# that is less. A field with at most one value per document reads its code; others gather a run.
FORWARD_COST = {True: 2, False: 30}
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


def gathered(pool, sources, lengths):
    """pool[sources[0]:sources[0]+lengths[0]], then the next run, ... as one array."""
    lengths = numpy.asarray(lengths, dtype=numpy.int64)
    ends = numpy.cumsum(lengths)
    total = int(ends[-1]) if len(ends) else 0
    return pool[numpy.repeat(sources - (ends - lengths), lengths) + numpy.arange(total)]


def common(rows, docs):
    """(which of the sorted rows are among the sorted docs, where those are in docs), each of the
    shorter array looked up in the longer one."""
    if not len(rows) or not len(docs):
        return numpy.zeros(len(rows), dtype=bool), numpy.zeros(0, numpy.int64)
    if len(rows) <= len(docs):
        at = numpy.minimum(numpy.searchsorted(docs, rows), len(docs) - 1)
        hit = docs[at] == rows
        return hit, at[hit]
    at = numpy.minimum(numpy.searchsorted(rows, docs), len(rows) - 1)
    found = rows[at] == docs
    hit = numpy.zeros(len(rows), dtype=bool)
    hit[at[found]] = True
    return hit, numpy.flatnonzero(found)


class Selected:
    """Some of a segment's documents, as the 64-bit words its facet bitmaps are ANDed with; their
    flags, and their numbers or those of the rest, are made only when a count asks for them."""

    def __init__(self, words, docs):
        self.words, self.docs = words, docs
        self.count = int(numpy.bitwise_count(words).sum(dtype=numpy.int64))

    @functools.cached_property
    def flags(self):
        return numpy.unpackbits(self.words.view(numpy.uint8), bitorder="little", count=self.docs).view(bool)

    @functools.cached_property
    def rows(self):
        return numpy.flatnonzero(self.flags)

    @functools.cached_property
    def others(self):
        """The segment's documents not selected, deleted ones included."""
        return numpy.flatnonzero(~self.flags)


def read_meta(path, crc=None):
    """A segment's meta.json (checked against the CRC its manifest entry holds, when given)."""
    try:
        data = integrity.checked_bytes(path / META, crc) if crc is not None else (path / META).read_bytes()
        meta = json.loads(data)
    except (OSError, ValueError) as error:
        raise Damaged(f"{META} cannot be read ({error})") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("files"), dict):
        raise Damaged(f"{META} does not list the segment's files")
    return meta


def _load(path):
    """A read-only memory map of a saved array (an empty one cannot be mapped, so it is made).
    A plain array on the map (numpy.memmap's own slicing costs a Python call per slice), whose
    base is the mmap, so its pages can be let go (`release_pages`). Damaged unless the header's
    shape ends where the file does."""
    try:
        with open(path, "rb") as handle:
            version = numpy.lib.format.read_magic(handle)
            read_header = (
                numpy.lib.format.read_array_header_1_0
                if version == (1, 0)
                else numpy.lib.format.read_array_header_2_0
            )
            shape, fortran_order, dtype = read_header(handle)
            count = int(numpy.prod(shape))
            data_starts = handle.tell()
            if data_starts + count * dtype.itemsize != path.stat().st_size:
                raise Damaged(f"{path.name} does not hold the array its header describes")
            if not count:
                return numpy.zeros(shape, dtype=dtype)
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as error:
        raise Damaged(f"{path.name} cannot be read ({error})") from None
    flat = numpy.frombuffer(mapped, dtype=dtype, count=count, offset=data_starts)
    return flat.reshape(shape, order="F" if fortran_order else "C")


def deleted_of(folder, entry):
    """The deleted document numbers a manifest entry names, checked against their CRC-32."""
    if not entry.get("deleted"):
        return numpy.zeros(0, dtype=numpy.int64)
    data = integrity.checked_bytes(folder / entry["deleted"], entry.get("deleted_crc"))
    try:
        return numpy.load(io.BytesIO(data), allow_pickle=False)
    except ValueError as error:
        raise Damaged(f"{entry['deleted']} cannot be read ({error})") from None


def release_pages(array):
    """Unmap the pages of a mapped array from this process: they stay in the page cache, shared by
    every process, and the next read maps them again (a minor fault, no disk read)."""
    base = array
    while isinstance(base, numpy.ndarray):
        base = base.base
    if isinstance(base, memoryview) and isinstance(base.obj, mmap.mmap):
        base.obj.madvise(mmap.MADV_DONTNEED)


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
    """A written segment, every file checked and mapped when opened (a merge may delete it soon
    after); Damaged, saying why, when a file is not the one written. `meta_crc` is what the
    manifest entry records of meta.json."""

    def __init__(self, path, meta_crc=None):
        self.path = path
        self.name = path.name
        self.meta = read_meta(path, meta_crc)
        self.docs = self.meta["docs"]
        self._values, self._holders = {}, {}
        for file_name, record in self.meta["files"].items():
            found = integrity.problem(path / file_name, record)
            if found:
                raise Damaged(found)
        self.signatures = {name: integrity.signature(path / name) for name in self.meta["files"]}
        self.arrays = {name[:-4]: _load(path / name) for name in self.meta["files"]}

    def problem(self, thorough=False):
        """None while every file is the one opened (and, thorough, matches its checksum), else a
        sentence saying which is not."""
        for file_name, opened in self.signatures.items():
            try:
                now = integrity.signature(self.path / file_name)
            except OSError:
                now = None
            if now != opened:
                return integrity.problem(self.path / file_name, self.meta["files"][file_name]) or (
                    f"{file_name} was replaced by another file"
                )
            if thorough:
                found = integrity.problem(self.path / file_name, self.meta["files"][file_name], thorough)
                if found:
                    return found
        return None

    def column(self, name):
        return self.arrays[name]

    def release_pages(self):
        for array in self.arrays.values():
            release_pages(array)

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

    def _span(self, field_name, key):
        """(the term's lexicon number, where its postings start and end), or None when it is absent."""
        index = self.term_index(field_name, key)
        if index == NO_TERM:
            return None
        starts = self.arrays[f"{field_name}.starts"]
        return index, starts[index], starts[index + 1]

    def postings(self, field_name, key):
        """(document numbers, frequencies or None) of a term; deleted documents included."""
        span = self._span(field_name, key)
        if span is None:
            return None
        _, start, end = span
        freqs = self.arrays.get(f"{field_name}.freqs")
        return self.arrays[f"{field_name}.docs"][start:end], None if freqs is None else freqs[start:end]

    def champions(self, field_name, key):
        """The documents a term weighs most in: all of them when it is not common here."""
        span = self._span(field_name, key)
        if span is None:
            return self.arrays[f"{field_name}.docs"][:0]
        index, start, end = span
        if end - start <= CHAMPIONS:
            return self.arrays[f"{field_name}.docs"][start:end]
        terms = self.arrays.get(f"{field_name}.champion_terms", numpy.zeros(0, numpy.int32))
        at = int(numpy.searchsorted(terms, index))
        if at == len(terms) or terms[at] != index:  # a keyword: every holder weighs the same
            return self.arrays[f"{field_name}.docs"][:0]
        return self.arrays[f"{field_name}.champion_docs"][at * CHAMPIONS : (at + 1) * CHAMPIONS]

    def positions(self, field_name, key, docnums):
        """{docnum: positions} of a term in the given sorted documents of this segment."""
        span = self._span(field_name, key)
        if span is None:
            return {}
        index, start, end = span
        docs = self.arrays[f"{field_name}.docs"][start:end]
        freqs = self.arrays[f"{field_name}.freqs"][start:end].astype(numpy.int64)
        offsets = self.arrays[f"{field_name}.pstarts"][index] + numpy.concatenate(([0], numpy.cumsum(freqs)))
        wanted = numpy.asarray(docnums, dtype=numpy.int64)
        present, found = common(wanted, docs)
        pos = self.arrays[f"{field_name}.pos"]
        return {
            int(doc): pos[offsets[at] : offsets[at + 1]].tolist()
            for doc, at in zip(wanted[present], found, strict=True)
        }

    def values(self, field_name):
        """A field's terms as text, in lexicon order (read once per segment and process)."""
        if field_name not in self._values:
            texts = self.texts(field_name)
            self._values[field_name] = [texts.term(index) for index in range(len(texts))]
        return self._values[field_name]

    def _at_most_one_value(self, field_name):
        """Whether no document holds two values of the field (an item's outcome, treatment...)."""
        return f"{field_name}.codes" in self.arrays

    def _counts_of_rows(self, field_name, rows):
        """term_counts from the values of the given documents (writing._forward_arrays)."""
        terms = len(self.arrays[f"{field_name}.keys"])
        if self._at_most_one_value(field_name):  # a code per document, `terms` for none
            return numpy.bincount(self.arrays[f"{field_name}.codes"][rows], minlength=terms + 1)[:terms]
        starts = self.arrays[f"{field_name}.fwd_starts"]
        held = gathered(self.arrays[f"{field_name}.fwd_terms"], starts[rows], starts[rows + 1] - starts[rows])
        return numpy.bincount(held, minlength=terms)

    def texts(self, field_name):
        return _Texts(
            self.arrays[f"{field_name}.text"],
            self.arrays[f"{field_name}.toffs"],
            self.arrays[f"{field_name}.alpha"],
        )

    def term_counts(self, field_name, selected):
        """How many of the `Selected` documents hold each term of a facet field (in lexicon order).
        From the documents' own values when that reads less than the bitmaps and postings would: the
        selected ones' when few, else the rest's, taken from each term's total (a search matching
        almost everything costs what one matching almost nothing does)."""
        dense, dense_terms = self.arrays[f"{field_name}.dense"], self.arrays[f"{field_name}.dense_terms"]
        sparse_docs = self.arrays[f"{field_name}.sparse_docs"]
        fewer = min(selected.count, self.docs - selected.count)
        bitmaps_cost = len(dense_terms) * len(selected.words) + len(sparse_docs)
        if fewer * FORWARD_COST[self._at_most_one_value(field_name)] < bitmaps_cost:
            if selected.count == fewer:
                return self._counts_of_rows(field_name, selected.rows)
            return self._held_by(field_name) - self._counts_of_rows(field_name, selected.others)
        counts = numpy.zeros(len(self.arrays[f"{field_name}.keys"]), dtype=numpy.int64)
        words = selected.words
        per_block = max(1, COUNTING_WORDS // max(len(words), 1))  # bitmaps ANDed in one go, a few MB
        for first in range(0, len(dense_terms), per_block):
            block = numpy.bitwise_count(dense[first : first + per_block] & words)
            counts[dense_terms[first : first + per_block]] = block.sum(axis=1, dtype=numpy.int64)
        if len(sparse_docs):
            held = selected.flags[sparse_docs].astype(numpy.int64)
            counts[self.arrays[f"{field_name}.sparse_terms"]] = numpy.add.reduceat(
                held, self.arrays[f"{field_name}.sparse_starts"][:-1]
            )
        return counts

    def _held_by(self, field_name):
        """How many documents hold each term, deleted ones included."""
        if field_name not in self._holders:
            self._holders[field_name] = numpy.diff(self.arrays[f"{field_name}.starts"])
        return self._holders[field_name]
