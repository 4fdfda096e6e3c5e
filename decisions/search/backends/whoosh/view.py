"""One consistent view of the index (a Whoosh searcher) with its postings as bitsets and arrays.

Document numbers are the reader's: each segment's own numbers plus the segment's offset.
Bitsets are Python ints (AND, OR and bit counts run in C); postings, dates, item ids and field
lengths are NumPy arrays. Everything read from a segment is cached under the segment's key,
everything combined under the view's key, both in one byte-bounded cache.
"""

import itertools
import threading

import numpy

from decisions.search.backends.whoosh import postings
from decisions.search.backends.whoosh.schema import TEXT_ANALYZER

_view_numbers = itertools.count(1)
# Whoosh's segment readers seek and read shared file objects, and a refreshed view shares the
# unchanged segments' readers with the view before it: one thread at a time reads the index.
_READ_LOCK = threading.Lock()


def bits_of(docnums, size):
    """A bitset with the given document numbers set (NumPy packs the bits in C)."""
    flags = numpy.zeros(size, dtype=bool)
    flags[docnums] = True
    return flags_to_bits(flags)


def flags_to_bits(flags):
    return int.from_bytes(numpy.packbits(flags, bitorder="little").tobytes(), "little")


def bits_to_flags(bits, size):
    raw = numpy.frombuffer(bits.to_bytes((size + 7) // 8 or 1, "little"), dtype=numpy.uint8)
    return numpy.unpackbits(raw, bitorder="little", count=size).astype(bool)


def set_bits(bits, size):
    """Document numbers of the set bits, in order."""
    return numpy.flatnonzero(bits_to_flags(bits, size))


def analyze(text):
    return [token.text for token in TEXT_ANALYZER(text)]


class IndexView:
    def __init__(self, index_name, searcher, cache):
        self.index_name = index_name
        self.searcher = searcher
        self.reader = searcher.reader()
        self.cache = cache
        self.key = f"view{next(_view_numbers)}"
        self.size = self.reader.doc_count_all()
        self.segments = [
            (segment, offset, f"{index_name}/{segment.segment().segment_id()}")
            for segment, offset in self.reader.leaf_readers()
            if segment.doc_count_all()
        ]
        self.live = bits_of(numpy.fromiter(self.reader.all_doc_ids(), dtype=numpy.int64), self.size)

    def _cached(self, kind, args, build):
        return self.cache.get((self.key, kind, *args), build)

    def postings(self, field_name, text):
        """(document numbers, term frequencies) of a term across the view, deleted documents included."""

        def build():
            parts = [
                (ids.astype(numpy.int64) + offset, weights)
                for ids, weights, offset in (
                    (*self._segment_postings(segment, key, field_name, text), offset)
                    for segment, offset, key in self.segments
                )
            ]
            if not parts:
                return postings.EMPTY_IDS.astype(numpy.int64), postings.EMPTY_WEIGHTS
            return numpy.concatenate([p[0] for p in parts]), numpy.concatenate([p[1] for p in parts])

        return self._cached("postings", (field_name, text), build)

    def _segment_postings(self, segment, key, field_name, text):
        if field_name not in self.reader.schema:  # an index built before the field existed
            return postings.EMPTY_IDS, postings.EMPTY_WEIGHTS
        btext = self.reader.schema[field_name].to_bytes(text)
        return self.cache.get(
            (key, "postings", field_name, text),
            lambda: self._read(postings.term_postings, segment, field_name, btext),
        )

    def _read(self, function, *args):
        with _READ_LOCK:
            return function(*args)

    def bits(self, field_name, text):
        """Live documents holding the term."""
        return self._cached(
            "bits",
            (field_name, text),
            lambda: bits_of(self.postings(field_name, text)[0], self.size) & self.live,
        )

    def column(self, field_name, dtype=numpy.int64):
        """A numeric sortable field's value for every document of the view."""

        def build():
            parts = [
                self.cache.get(
                    (key, "column", field_name),
                    lambda segment=segment: self._read(postings.numeric_column, segment, field_name, dtype),
                )
                for segment, _, key in self.segments
            ]
            return numpy.concatenate(parts) if parts else numpy.zeros(0, dtype=dtype)

        return self._cached("column", (field_name,), build)

    def lengths(self, field_name):
        def build():
            parts = [
                self.cache.get(
                    (key, "lengths", field_name),
                    lambda segment=segment: self._read(postings.field_lengths, segment, field_name),
                )
                for segment, _, key in self.segments
            ]
            return numpy.concatenate(parts) if parts else numpy.zeros(0, dtype=numpy.float32)

        return self._cached("lengths", (field_name,), build)

    def average_length(self, field_name):
        documents = self.reader.doc_count() or 1
        return max(self.reader.field_length(field_name) / documents, 1.0)

    def values(self, field_name):
        """Every value a keyword field holds (its lexicon)."""
        if field_name not in self.reader.schema:
            return []
        return self._cached(
            "values",
            (field_name,),
            lambda: self._read(
                lambda: [
                    value.decode("utf-8") if isinstance(value, bytes) else value
                    for value in self.reader.lexicon(field_name)
                ]
            ),
        )

    def expand(self, field_name, prefix, limit):
        """Terms of the field starting with prefix, at most limit + 1 of them."""
        with _READ_LOCK:
            return list(
                itertools.islice(
                    (
                        text.decode("utf-8") if isinstance(text, bytes) else text
                        for text in self.reader.expand_prefix(field_name, prefix)
                    ),
                    limit + 1,
                )
            )

    def positions(self, field_name, text, docnums):
        """{docnum: positions} of a term in the given sorted documents."""
        found = {}
        for segment, offset, _ in self.segments:
            local = [
                docnum - offset for docnum in docnums if offset <= docnum < offset + segment.doc_count_all()
            ]
            if local:
                btext = self.reader.schema[field_name].to_bytes(text)
                for docnum, where in self._read(
                    postings.positions, segment, field_name, btext, local
                ).items():
                    found[docnum + offset] = where
        return found

    def close(self):
        self.cache.drop(lambda key: key[0] == self.key)
