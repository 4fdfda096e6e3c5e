"""Postings, columns and field lengths of one segment as NumPy arrays.

The only module that reads Whoosh's private structures: Whoosh's matchers hand over one posting
per Python call, which at a quarter of a million postings takes a quarter of a second; reading
a block (or a column) at a time takes milliseconds. The fast paths are used only with the
Whoosh version they were written against; any other version takes the public API.
"""

import numpy
import whoosh
from whoosh import columns, reading
from whoosh.codec import whoosh3
from whoosh.matching.wrappers import FilterMatcher
from whoosh.util.numeric import byte_to_length

FAST = whoosh.__version__ == (2, 7, 4)
EMPTY_IDS = numpy.zeros(0, dtype=numpy.int32)
EMPTY_WEIGHTS = numpy.zeros(0, dtype=numpy.float32)
# Whoosh keeps a field's length per document as one byte on a logarithmic scale.
LENGTH_OF_BYTE = numpy.array([byte_to_length(code) for code in range(256)], dtype=numpy.float32)


def _leaf(matcher):
    return matcher.child if isinstance(matcher, FilterMatcher) else matcher  # deletions are masked later


def term_postings(segment, field_name, btext):
    """(document numbers in the segment, term frequencies) of one term; deleted documents included."""
    if (field_name, btext) not in segment:
        return EMPTY_IDS, EMPTY_WEIGHTS
    matcher = _leaf(segment.postings(field_name, btext))
    if FAST and isinstance(matcher, whoosh3.W3LeafMatcher):
        return _blocks(matcher)
    ids, weights = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return numpy.asarray(ids, dtype=numpy.int32), numpy.asarray(weights, dtype=numpy.float32)


def _blocks(matcher):
    ids, weights = [], []
    while matcher.is_active():
        if matcher._data is None:
            matcher._read_data()
        block_ids = numpy.asarray(matcher._data[0], dtype=numpy.int32)
        ids.append(block_ids if matcher._byteids else numpy.cumsum(block_ids, dtype=numpy.int32))
        block_weights = matcher._data[1]
        if block_weights is None or isinstance(block_weights, float):
            ids_count = len(block_ids)
            weights.append(
                numpy.full(ids_count, 1.0 if block_weights is None else block_weights, numpy.float32)
            )
        else:
            weights.append(numpy.asarray(block_weights, dtype=numpy.float32))
        matcher._next_block()
    if not ids:
        return EMPTY_IDS, EMPTY_WEIGHTS
    return numpy.concatenate(ids), numpy.concatenate(weights)


def positions(segment, field_name, btext, docnums):
    """{docnum: word positions} of one term in the given (sorted) documents of a segment."""
    found = {}
    if (field_name, btext) not in segment:
        return found
    matcher = _leaf(segment.postings(field_name, btext))
    for docnum in docnums:
        if not matcher.is_active():
            break
        if matcher.id() < docnum:
            matcher.skip_to(docnum)
            if not matcher.is_active():
                break
        if matcher.id() == docnum:
            found[docnum] = matcher.value_as("positions")
    return found


def numeric_column(segment, field_name, dtype):
    """A NUMERIC sortable field's value for every document of the segment."""
    reader = segment.column_reader(field_name, translate=False)
    count = segment.doc_count_all()
    if FAST and isinstance(reader, columns.NumericColumn.Reader):
        return _fixed_width(reader, ">" + reader._typecode, count).astype(dtype)
    return numpy.fromiter((reader[docnum] for docnum in range(count)), dtype=dtype, count=count)


def _fixed_width(reader, dtype, count):
    stored = min(reader._count, count)
    values = numpy.frombuffer(reader._dbfile.get(reader._basepos, stored * reader._fixedlen), dtype=dtype)
    if stored < count:
        default = reader._default if not isinstance(reader._default, bytes) else 0
        values = numpy.concatenate([values, numpy.full(count - stored, default, dtype=values.dtype)])
    return values


def field_lengths(segment, field_name):
    """How many words the field holds in each document of the segment (Whoosh's approximation)."""
    count = segment.doc_count_all()
    if FAST and isinstance(segment, reading.SegmentReader):
        reader = segment._perdoc._cached_reader(whoosh3._lenfield(field_name), whoosh3.LENGTHS_COLUMN)
        if reader is None:
            return numpy.zeros(count, dtype=numpy.float32)
        return LENGTH_OF_BYTE[_fixed_width(reader, numpy.uint8, count)]
    return numpy.fromiter(
        (segment.doc_field_length(docnum, field_name, 0) for docnum in range(count)),
        dtype=numpy.float32,
        count=count,
    )
