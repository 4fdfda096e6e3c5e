"""The one ordering of matched documents, so every page is a window on the same list.

Relevance is BM25 (k1 1.2, b 0.75) over the query's positive leaves, computed with NumPy on
the matched documents only: a word in each default field with that field's weight, a 2-4 word
phrase as its `_phrases` term, a keyword match (a brand's generic, an outcome) by its idf, a
prefix as a constant. Ties, and sorts by date, go newest first; undated items come last;
the document number settles the rest, so the order is total and paging is stable.
"""

import math

import numpy

from decisions.search.backends.whoosh.analysis import LONGEST_SHINGLE, UNKNOWN_DAY, phrases_field, shingle
from decisions.search.backends.whoosh.evaluate import text_fields, tokens_of
from decisions.search.backends.whoosh.view import bits_to_flags
from decisions.search.contract import NEWEST, OLDEST, Match, Phrase, Prefix, Term, Wildcard, leaves

K1, B = 1.2, 0.75
LAST = numpy.iinfo(numpy.int64).max


def _idf(documents, frequency):
    return math.log(1 + (documents - frequency + 0.5) / (frequency + 0.5))


def _add_bm25(view, scores, flags, field_name, text, length_field, boost):
    ids, frequencies = view.postings(field_name, text)
    if not len(ids):
        return
    idf = _idf(view.size, len(ids))
    keep = flags[ids]
    ids, frequencies = ids[keep], frequencies[keep]
    norm = K1 * (1 - B + B * view.lengths(length_field)[ids] / view.average_length(length_field))
    scores[ids] += boost * idf * frequencies * (K1 + 1) / (frequencies + norm)


def scores(view, evaluator, text_query, flags):
    """A relevance score for every document of the view (zero outside the matched ones)."""
    result = numpy.zeros(view.size, dtype=numpy.float64)
    for leaf in leaves(text_query):
        if isinstance(leaf, Match):
            ids = view.postings(leaf.field, leaf.value)[0]
            if len(ids):
                result[ids[flags[ids]]] += leaf.boost * _idf(view.size, len(ids))
            continue
        for field_name, field_boost in text_fields(leaf.field):
            boost = leaf.boost * field_boost
            if isinstance(leaf, (Prefix, Wildcard)):
                matched = bits_to_flags(evaluator.expansion_bits(field_name, leaf), view.size) & flags
                result[matched] += boost
                continue
            tokens = tokens_of((leaf.word,)) if isinstance(leaf, Term) else tokens_of(leaf.words)
            slop = leaf.slop if isinstance(leaf, Phrase) else 1
            if len(tokens) == 1:
                _add_bm25(view, result, flags, field_name, tokens[0], field_name, boost)
            elif slop == 1 and len(tokens) <= LONGEST_SHINGLE:
                _add_bm25(view, result, flags, phrases_field(field_name), shingle(tokens), field_name, boost)
            else:
                for token in tokens:
                    _add_bm25(view, result, flags, field_name, token, field_name, boost)
    return result


def _smallest(keys, rows, count):
    """The `count` rows that come first ordered by keys (each smaller-first), in that order."""
    if count <= 0 or not len(rows):
        return rows[:0]
    if len(rows) <= count or len(keys) == 1:
        order = numpy.lexsort([key[rows] for key in reversed(keys)])
        return rows[order][:count]
    primary = keys[0][rows]
    cut = numpy.partition(primary, count - 1)[count - 1]
    before = rows[primary < cut]
    before = before[numpy.lexsort([key[before] for key in reversed(keys)])]
    tied = _smallest(keys[1:], rows[primary == cut], count - len(before))
    return numpy.concatenate([before, tied])


class _DateKey:
    """Decision dates as a sort key (undated last), read for the rows asked about."""

    def __init__(self, view, oldest_first):
        self.days, self.oldest_first = view.column("decided"), oldest_first

    def __getitem__(self, rows):
        days = self.days[rows].astype(numpy.int64)
        return numpy.where(days == UNKNOWN_DAY, LAST, days if self.oldest_first else -days)


def ordered(view, flags, sort, relevance, stop):
    """Document numbers of the matched documents in order, the first `stop` of them (all: None)."""
    oldest_first = sort == OLDEST
    if relevance is None or sort in (NEWEST, OLDEST):
        rows = _first_by_date(view, flags, oldest_first, stop)
    else:
        rows = numpy.flatnonzero(flags)
    keys = [_DateKey(view, oldest_first), numpy.arange(view.size)]
    if relevance is not None and sort not in (NEWEST, OLDEST):
        keys.insert(0, -relevance)
    return _smallest(keys, rows, len(rows) if stop is None else min(stop, len(rows)))


def _first_by_date(view, flags, oldest_first, stop):
    """A few rows holding the first `stop` matches by date: each segment's first `stop` in its own
    date order (written with the segment), so a date sort never sorts every match of the archive."""
    found = []
    for segment, offset in zip(view.segments, view.offsets, strict=False):
        order = segment.date_order(oldest_first)
        mine = flags[offset : offset + segment.docs]
        found.append(order[mine[order]][:stop] + offset)
    return numpy.concatenate(found) if found else numpy.zeros(0, dtype=numpy.int64)
