"""The one ordering of matched documents, so every page is a window on the same list.

Relevance is BM25 (bm25.py) over the query's positive leaves: a word in each default field with
that field's weight, a 2-4 word phrase as its `_phrases` term, a keyword match (a brand's
generic, an outcome) by its idf, a prefix as a constant. Up to CANDIDATES_FROM matches every
match is scored. Beyond that, for pages within the first CHAMPIONS results, only the documents
where some word of the query weighs most are scored (each segment keeps a common term's
CHAMPIONS best documents: "champion lists", Manning et al., Introduction to Information
Retrieval, 7.1.3); their scores are exact, and benchmarks/relevance.py measures how the first 10
compare with scoring every match. Ties, and sorts by date, go newest first; undated items come
last; the document number settles the rest, so the order is total and paging is stable.
"""

import numpy

from decisions.search.backends.embedded import bm25, segments
from decisions.search.backends.embedded.analysis import LONGEST_SHINGLE, UNKNOWN_DAY, phrases_field, shingle
from decisions.search.backends.embedded.evaluate import text_fields, tokens_of
from decisions.search.backends.embedded.view import bits_at
from decisions.search.contract import OLDEST, Match, Phrase, Prefix, Term, Wildcard, leaves

LAST = numpy.iinfo(numpy.int64).max
CANDIDATES_FROM = 20_000  # matches from which relevance scores the champions, not every match


def _scored_terms(text_query):
    """(field, term, field whose lengths count, weight) of every term relevance adds up, and the
    prefix and wildcard leaves (a constant for each match) apart."""
    terms, constant = [], []
    for leaf in leaves(text_query):
        if isinstance(leaf, Match):
            terms.append((leaf.field, leaf.value, None, leaf.boost))
            continue
        for field_name, field_boost in text_fields(leaf.field):
            boost = leaf.boost * field_boost
            if isinstance(leaf, (Prefix, Wildcard)):
                constant.append((field_name, leaf, boost))
                continue
            tokens = tokens_of((leaf.word,)) if isinstance(leaf, Term) else tokens_of(leaf.words)
            slop = leaf.slop if isinstance(leaf, Phrase) else 1
            if len(tokens) == 1:
                terms.append((field_name, tokens[0], field_name, boost))
            elif slop == 1 and len(tokens) <= LONGEST_SHINGLE:
                terms.append((phrases_field(field_name), shingle(tokens), field_name, boost))
            else:
                terms.extend((field_name, token, field_name, boost) for token in tokens)
    return terms, constant


class RowScores:
    """Scores of some rows (sorted document numbers) only, read by document number: ranking needs
    no array the size of the archive for every search."""

    def __init__(self, rows, values):
        self.rows, self.values = rows, values

    def __getitem__(self, docnums):
        return self.values[numpy.searchsorted(self.rows, docnums)]

    def __neg__(self):
        return RowScores(self.rows, -self.values)


def scores(view, evaluator, text_query, flags):
    """RowScores of every matched document."""
    terms, constant = _scored_terms(text_query)
    scored = _row_scores(view, terms, numpy.flatnonzero(flags))
    for field_name, leaf, boost in constant:
        scored.values[bits_at(evaluator.expansion_bits(field_name, leaf), scored.rows, view.size)] += boost
    return scored


def champion_scores(view, text_query, flags, matches, stop):
    """RowScores of the champions among the matches, for a large set of matches and a page within
    the champions; None when every match must be scored."""
    terms, constant = _scored_terms(text_query)
    if matches < CANDIDATES_FROM or stop > segments.CHAMPIONS or constant or not terms:
        return None
    found = numpy.sort(numpy.concatenate([view.champions(field, text) for field, text, _, _ in terms]))
    rows = found[numpy.diff(found, prepend=-1) != 0]  # each once (faster than numpy.unique)
    rows = rows[flags[rows]]
    if len(rows) < stop:
        return None
    return _row_scores(view, terms, rows)


def _row_scores(view, terms, rows):
    """The exact scores of the given sorted rows, each term's frequencies read at the rows only."""
    values = numpy.zeros(len(rows), dtype=numpy.float64)
    for field_name, text, length_field, boost in terms:
        present, frequencies, holding = view.frequencies_at(field_name, text, rows)
        if holding:
            _add_term(view, values, present, rows[present], frequencies, holding, length_field, boost)
    return RowScores(rows, values)


def _add_term(view, result, at, ids, frequencies, holding, length_field, boost):
    """Add one term's BM25 to the scores at `at` of the documents `ids` (it occurs `frequencies` times
    in each; `holding` documents of the view hold it). A keyword (no length field) counts as present
    or not."""
    idf = bm25.idf(view.documents, holding)
    if length_field is None:
        result[at] += boost * idf
    else:
        lengths = view.lengths(length_field)[ids]
        result[at] += boost * idf * bm25.weight(frequencies, lengths, view.average_length(length_field))


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


class _Number:
    """The document number as the last sort key (what numpy.arange(view.size) gave, without
    allocating an array of the whole archive for every page)."""

    def __getitem__(self, rows):
        return rows


_NUMBER = _Number()


def ordered(view, flags, sort, relevance, stop):
    """Document numbers of the matched documents in order, the first `stop` of them (all: None);
    `relevance`: RowScores of the only rows to order (every match, or the champions), None to order
    by date."""
    oldest_first = sort == OLDEST
    keys = [_DateKey(view, oldest_first), _NUMBER]
    if relevance is None:
        rows = _first_by_date(view, flags, oldest_first, stop)
    else:
        rows = relevance.rows
        keys.insert(0, -relevance)
    return _smallest(keys, rows, len(rows) if stop is None else min(stop, len(rows)))


def _first_by_date(view, flags, oldest_first, stop):
    """A few rows holding the first `stop` matches by date: each segment's first `stop` in its own
    date order (written with the segment), so a date sort never sorts every match of the archive."""
    found = []
    for segment, offset in zip(view.segments, view.offsets, strict=False):
        mine = flags[offset : offset + segment.docs]
        found.append(_first_flagged(segment.date_order(oldest_first), mine, stop) + offset)
    return numpy.concatenate(found) if found else numpy.zeros(0, dtype=numpy.int64)


def _first_flagged(order, flags, stop):
    """The first `stop` (None: all) documents of `order` that are flagged, reading `order` in growing
    chunks, so that a page of a broad search reads about `stop` of them, not the whole segment."""
    if stop is None:
        return order[flags[order]]
    flagged = numpy.count_nonzero(flags)
    if not flagged:
        return order[:0]
    found, missing, start, chunk = [], stop, 0, max(1024, 2 * stop * len(order) // flagged)
    while start < len(order) and missing > 0:
        rows = order[start : start + chunk]
        rows = rows[flags[rows]][:missing]
        found.append(rows)
        missing -= len(rows)
        start, chunk = start + chunk, chunk * 2
    return numpy.concatenate(found)  # the loop ran: something is flagged
