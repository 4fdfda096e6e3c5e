"""One consistent view of the index (one manifest's segments) as bitsets and arrays.

Document numbers are the view's: each segment's own numbers plus the segment's offset, a multiple
of 64, so a segment's part of a bitset is a slice of its 64-bit words, the layout of the facet
bitmaps, with no copy (the numbers between segments are never live). Bitsets are Python ints
(AND, OR and bit counts run in C); postings, columns and lengths stay in the segments' memory
maps and are read where a search asks (`Column`). What a process keeps is only the byte-bounded
cache of bitsets it built, per segment, so a write that adds a segment leaves the others'
bitsets warm.
"""

import bisect
import itertools
from dataclasses import dataclass

import numpy

from decisions.search.backends.embedded import segments as segment_files
from decisions.search.backends.embedded.integrity import Damaged

_view_numbers = itertools.count(1)
WORD = 64


def aligned(count):
    """The next multiple of WORD: where the segment after one of `count` documents starts."""
    return -(-count // WORD) * WORD


def words_of(bits, size):
    """A bitset as little-endian 64-bit words (`size`, a multiple of WORD, bits)."""
    if not size:
        return numpy.zeros(0, "<u8")
    return numpy.frombuffer(bits.to_bytes(size // 8, "little"), dtype="<u8")


def bits_of(docnums, size):
    """A bitset with the given document numbers set (NumPy packs the bits in C)."""
    flags = numpy.zeros(size, dtype=bool)
    flags[docnums] = True
    return flags_to_bits(flags)


def flags_to_bits(flags):
    return int.from_bytes(numpy.packbits(flags, bitorder="little").tobytes(), "little")


def bits_to_flags(bits, size):
    raw = numpy.frombuffer(bits.to_bytes((size + 7) // 8 or 1, "little"), dtype=numpy.uint8)
    return numpy.unpackbits(raw, bitorder="little", count=size).view(bool)


def bits_at(bits, rows, size):
    """Whether each of the rows is set in a bitset, read from its words (never unpacked whole)."""
    words = words_of(bits, size)
    return (words[rows >> 6] >> (rows & 63).astype(numpy.uint64)) & numpy.uint64(1) == 1


def set_bits(bits, size):
    """Document numbers of the set bits, in order."""
    return numpy.flatnonzero(bits_to_flags(bits, size))


def _runs(rows, offsets):
    """(segment number, start, end) of the run of the sorted rows that falls in each segment."""
    bounds = numpy.searchsorted(rows, offsets)
    return zip(range(len(offsets) - 1), bounds[:-1], bounds[1:], strict=True)


class Column:
    """A per-document array across the view's segments, read from their maps, never copied whole."""

    def __init__(self, parts, offsets):
        self.parts, self.offsets = parts, offsets

    def __getitem__(self, rows):
        rows = numpy.asarray(rows, dtype=numpy.int64)
        if len(self.parts) == 1:
            return numpy.asarray(self.parts[0][rows])
        order = None
        if len(rows) > 1 and not (rows[1:] >= rows[:-1]).all():
            order = numpy.argsort(rows, kind="stable")
            rows = rows[order]
        values = numpy.empty(len(rows), dtype=self.parts[0].dtype if self.parts else numpy.int64)
        for number, start, end in _runs(rows, self.offsets):
            values[start:end] = self.parts[number][rows[start:end] - self.offsets[number]]
        if order is not None:
            values[order] = values.copy()
        return values

    def flags(self, test):
        """test(values) of every document, as one boolean array (False between segments)."""
        flags = numpy.zeros(int(self.offsets[-1]), dtype=bool)
        for part, offset in zip(self.parts, self.offsets, strict=False):
            flags[offset : offset + len(part)] = test(numpy.asarray(part))
        return flags


@dataclass(frozen=True)
class Excluded:
    """A segment of the manifest the view leaves out: a file of it is not the one written."""

    name: str
    items: int  # its live documents, which no search finds until the index is mended
    problem: str


class IndexView:
    def __init__(self, resolved, cache, opened=None):
        """A view of the manifest `resolved` (store.Resolved) found; `opened`: segments an earlier view
        of this index opened and still finds sound, by name (segments never change). A segment whose
        files are damaged is left out (`excluded`), never read."""
        self.index_name = resolved.name
        self.resolved = resolved
        self.generation = resolved.manifest["generation"]
        self.cache = cache
        self.key = f"view{next(_view_numbers)}"
        self.segments, self.offsets, self.excluded, deleted, offset = [], [], [], [], 0
        for entry in resolved.manifest["segments"]:
            folder = resolved.path / "segments" / entry["name"]
            try:
                segment = (opened or {}).get(entry["name"]) or segment_files.Segment(
                    folder, entry.get("meta")
                )
                gone = segment_files.deleted_of(folder, entry)
            except Damaged as damage:
                self.excluded.append(Excluded(entry["name"], entry["docs"] - entry["dead"], str(damage)))
                continue
            self.segments.append(segment)
            self.offsets.append(offset)
            if len(gone):
                deleted.append(offset + gone)
            offset += aligned(segment.docs)
        self.size = offset  # document numbers, those between segments included
        self.documents = sum(segment.docs for segment in self.segments)  # deleted ones included
        self.offsets = numpy.asarray(self.offsets + [offset], dtype=numpy.int64)
        flags = numpy.zeros(self.size, dtype=bool)
        for segment, start in self._placed():
            flags[start : start + segment.docs] = True
        if deleted:
            flags[numpy.concatenate(deleted)] = False
        self.live = flags_to_bits(flags)

    def _cached(self, kind, args, build):
        return self.cache.get((self.key, kind, *args), build)

    def _placed(self):
        return zip(self.segments, self.offsets, strict=False)

    def champions(self, field_name, text):
        """Documents where a term weighs most, from every segment (segments.Segment.champions)."""
        key = segment_files.key_of(text)
        found = [
            segment.champions(field_name, key).astype(numpy.int64) + offset
            for segment, offset in self._placed()
        ]
        return numpy.concatenate(found) if found else numpy.zeros(0, numpy.int64)

    def frequencies_at(self, field_name, text, rows):
        """(which of the sorted rows hold the term, its frequency in each of those, how many documents
        hold it in all), by binary search of the shorter of the rows and the postings in the other."""
        key = segment_files.key_of(text)
        present = numpy.zeros(len(rows), dtype=bool)
        frequencies, holding = [], 0
        for number, start, end in _runs(rows, self.offsets):
            segment, offset = self.segments[number], self.offsets[number]
            found = segment.postings(field_name, key)
            if found is None:
                continue
            docs, freqs = found
            holding += len(docs)
            hit, at = segment_files.common(rows[start:end] - offset, docs)
            present[start:end] = hit
            frequencies.append(numpy.ones(len(at), numpy.float32) if freqs is None else freqs[at])
        values = (
            numpy.concatenate(frequencies).astype(numpy.float32)
            if frequencies
            else numpy.zeros(0, numpy.float32)
        )
        return present, values, holding

    def bits(self, field_name, text):
        """Live documents holding the term; each segment's part cached apart, so a write that adds a
        segment builds only that segment's."""

        def build():
            key = segment_files.key_of(text)
            bits = 0
            for segment, offset in self._placed():
                bits |= self.cache.get(
                    (segment.name, "bits", field_name, text),
                    lambda s=segment: _segment_bits(s, field_name, key),
                ) << int(offset)
            return bits & self.live

        return self._cached("bits", (field_name, text), build)

    def column(self, name):
        """A per-document column (item_id, determination_id, a date as day ordinals)."""
        return Column([segment.column(name) for segment in self.segments], self.offsets)

    def lengths(self, field_name):
        return Column([segment.lengths(field_name) for segment in self.segments], self.offsets)

    def average_length(self, field_name):
        total = sum(segment.meta["words"].get(field_name, 0) for segment in self.segments)
        return max(total / (self.documents or 1), 1.0)

    def values(self, field_name):
        """Every value a keyword field holds (its lexicon), sorted."""

        def build():
            found = set()
            for segment in self.segments:
                found.update(segment.values(field_name))
            return sorted(found)

        return self._cached("values", (field_name,), build)

    def selection(self, bits):
        """Documents as each segment's `Selected` (a slice of the bitset's words), for counting facets."""
        words = words_of(bits, self.size)
        return [
            segment_files.Selected(words[offset // WORD :][: aligned(segment.docs) // WORD], segment.docs)
            for segment, offset in self._placed()
        ]

    def term_counts(self, field_name, selection):
        """How many selected documents hold each of a facet field's `values` (an array in their order),
        summed over the segments in NumPy: no Python work per value and segment."""
        totals = numpy.zeros(len(self.values(field_name)), dtype=numpy.int64)
        for segment, selected, numbers in zip(
            self.segments, selection, self._numbers_in_values(field_name), strict=True
        ):
            totals[numbers] += segment.term_counts(field_name, selected)
        return totals

    def _numbers_in_values(self, field_name):
        """Each segment's lexicon, as places in the view's sorted `values` of the field."""

        def build():
            place = {value: number for number, value in enumerate(self.values(field_name))}
            return [
                numpy.array([place[value] for value in segment.values(field_name)], dtype=numpy.int64)
                for segment in self.segments
            ]

        return self._cached("places", (field_name,), build)

    def expand(self, field_name, prefix, limit):
        """Terms of the field starting with prefix, at most limit + 1 of them, in order."""
        found = set()
        for segment in self.segments:
            texts = segment.texts(field_name)
            at = bisect.bisect_left(texts, prefix)
            for index in range(at, min(at + limit + 1, len(texts))):
                term = texts[index]
                if not term.startswith(prefix):
                    break
                found.add(term)
        return sorted(found)[: limit + 1]

    def positions(self, field_name, text, docnums):
        """{docnum: positions} of a term in the given sorted documents."""
        key = segment_files.key_of(text)
        docnums = numpy.asarray(docnums, dtype=numpy.int64)
        found = {}
        for number, start, end in _runs(docnums, self.offsets):
            if end > start:
                offset = int(self.offsets[number])
                local = docnums[start:end] - offset
                for docnum, where in self.segments[number].positions(field_name, key, local).items():
                    found[docnum + offset] = where
        return found

    def release_pages(self):
        for segment in self.segments:
            segment.release_pages()

    def close(self):
        self.cache.drop(lambda key: key[0] == self.key)


def _segment_bits(segment, field_name, key):
    found = segment.postings(field_name, key)
    return 0 if found is None else bits_of(found[0], segment.docs)
