"""Which documents a parsed query matches, computed on cached per-term bitsets.

Whoosh's own matchers walk postings one Python call at a time and check word positions for
phrases; at hundreds of thousands of items that takes seconds. Here every term's postings
become a bitset once per index reader (read a block at a time), and the query tree is
evaluated with C-speed AND/OR/NOT. Phrases are matched as ANDs of adjacent word pairs: exact
for two words; a longer phrase could also match its pairs occurring apart, which is rare.
"""
import bisect
import heapq

import numpy

from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher

from decisions.search.schema import PAIR_JOINER

MAX_EXPANSIONS = 1000


class TooManyTerms(ValueError):
    pass


def bits_of(docnums, size=0):
    """A bitset (Python int) with the given document numbers set; `size` (documents) presizes it.

    NumPy scatters and packs the bits in C: a common word's quarter-million postings take
    milliseconds instead of a Python loop's quarter second.
    """
    ids = numpy.fromiter(docnums, dtype=numpy.int64) if not isinstance(docnums, numpy.ndarray) else docnums
    length = max(size, int(ids.max()) + 1 if ids.size else 0)
    flags = numpy.zeros(length, dtype=bool)
    flags[ids] = True
    return int.from_bytes(numpy.packbits(flags, bitorder="little").tobytes(), "little")


def _leaf_ids(matcher):
    """Document numbers of one segment's postings as an array, read a block at a time where
    Whoosh allows it."""
    if isinstance(matcher, FilterMatcher):
        matcher = matcher.child  # deleted documents are masked out by the caller
    if not isinstance(matcher, W3LeafMatcher):
        return numpy.fromiter(matcher.all_ids(), dtype=numpy.int64)
    blocks = []
    while matcher.is_active():
        if matcher._data is None:
            matcher._read_data()
        ids = numpy.asarray(matcher._data[0], dtype=numpy.int64)
        blocks.append(ids if matcher._byteids else numpy.cumsum(ids))  # block ids are stored as deltas
        matcher._next_block()
    return numpy.concatenate(blocks) if blocks else numpy.zeros(0, dtype=numpy.int64)


def postings_bits(reader, field_name, text):
    bits = 0
    for segment, offset in reader.leaf_readers():
        if (field_name, text) in segment:
            ids = _leaf_ids(segment.postings(field_name, text))
            bits |= bits_of(ids + offset, reader.doc_count_all())
    return bits


class DayIndex:
    """Every document's day in one numeric field, sorted, so a range is a binary search and a slice."""

    def __init__(self, reader, field_name):
        field = reader.schema[field_name]
        pairs = []
        for segment, offset in reader.leaf_readers():
            for term in field.sortable_terms(segment, field_name):
                day = field.from_bytes(term)
                pairs.extend((day, offset + int(docnum)) for docnum in _leaf_ids(segment.postings(field_name, term)))
        pairs.sort()
        self.days = [day for day, _ in pairs]
        self.docnums = [docnum for _, docnum in pairs]
        self.size = reader.doc_count_all()

    def order(self, newest_first):
        """Every document by day, ties in document order, unknown days (0) last either way."""
        dated = bisect.bisect_left(self.days, 1)
        if newest_first:
            ordered = [docnum for _, docnum in sorted(zip((-day for day in self.days[dated:]), self.docnums[dated:]))]
        else:
            ordered = self.docnums[dated:]
        return ordered + self.docnums[:dated]

    def between(self, first, last):
        """Documents whose day lies in [first, last] (either end may be None)."""
        low = bisect.bisect_left(self.days, first) if first is not None else 0
        high = bisect.bisect_right(self.days, last) if last is not None else len(self.days)
        return bits_of(numpy.asarray(self.docnums[low:high], dtype=numpy.int64), self.size)


def most_common_terms(reader, field_name, count):
    """The `count` terms of a field found in the most documents."""
    return [text.decode("utf-8") if isinstance(text, bytes) else text for _, text in heapq.nlargest(
        count, ((info.doc_frequency(), text) for text, info in reader.iter_field(field_name)))]


def _phrase(cache, node):
    words = [word for word in node.words if word]
    if len(words) == 1:
        return cache.term(node.fieldname, words[0])
    bits = cache.live
    for first, second in zip(words, words[1:]):
        bits &= cache.term("pairs", f"{first}{PAIR_JOINER}{second}")
        if not bits:
            break
    return bits


def _expanded(cache, node):
    """Prefix, wildcard and range queries: the OR of the terms they stand for."""
    bits = 0
    for count, text in enumerate(node._btexts(cache.reader), start=1):
        if count > MAX_EXPANSIONS:
            raise TooManyTerms(f"'{node}' stands for more than {MAX_EXPANSIONS} words; make it more specific")
        bits |= cache.term(node.fieldname, text.decode("utf-8") if isinstance(text, bytes) else text)
    return bits


def evaluate(cache, node):
    """The bitset of documents `node` matches (deleted documents excluded)."""
    if isinstance(node, wq.Term):
        return cache.term(node.fieldname, node.text)
    if isinstance(node, wq.Phrase):
        return _phrase(cache, node)
    if isinstance(node, wq.And):
        bits = cache.live
        for sub in node.subqueries:
            bits &= evaluate(cache, sub)
            if not bits:
                break
        return bits
    if isinstance(node, (wq.Or, wq.DisjunctionMax)):
        bits = 0
        for sub in node.subqueries:
            bits |= evaluate(cache, sub)
        return bits
    if isinstance(node, wq.Not):
        return cache.live & ~evaluate(cache, node.query)
    if isinstance(node, wq.AndNot):
        return evaluate(cache, node.a) & ~evaluate(cache, node.b)
    if isinstance(node, wq.AndMaybe):
        return evaluate(cache, node.a)
    if isinstance(node, wq.Require):
        return evaluate(cache, node.a) & evaluate(cache, node.b)
    if isinstance(node, wq.Every):
        return cache.live
    if isinstance(node, wq.NumericRange):
        return evaluate(cache, node.simplify(cache.reader))
    if isinstance(node, (wq.PatternQuery, wq.TermRange)):
        return _expanded(cache, node)
    if node is wq.NullQuery or type(node) is type(wq.NullQuery):
        return 0
    return cache.query(node)  # anything else: Whoosh's own matcher


def leaves(node):
    """The plain terms of a query (not those under NOT), for ranking by where they occur."""
    if isinstance(node, wq.Term):
        return [node]
    if isinstance(node, wq.Phrase):
        return [wq.Term(node.fieldname, word) for word in node.words]
    if isinstance(node, wq.Not):
        return []
    if isinstance(node, wq.AndNot):
        return leaves(node.a)
    return [leaf for sub in getattr(node, "subqueries", ()) for leaf in leaves(sub)]


def expands(node):
    """Whether the query holds a prefix, wildcard or range (whose scoring cost is unbounded)."""
    if isinstance(node, (wq.PatternQuery, wq.TermRange, wq.NumericRange)):
        return True
    return any(expands(sub) for sub in getattr(node, "subqueries", ()))


def without_phrases(node):
    """The query with phrases turned into ANDs of their words, for scoring without positions."""
    if isinstance(node, wq.Phrase):
        return wq.And([wq.Term(node.fieldname, word, boost=node.boost) for word in node.words])
    return node.apply(without_phrases) if hasattr(node, "apply") else node
