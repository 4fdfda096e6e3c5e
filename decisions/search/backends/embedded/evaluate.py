"""Which documents a query tree and the filters match, as bitsets over one IndexView.

Exact semantics, checked against Whoosh's own matcher by the oracle test: a word matches in
any default field (or the one named); a phrase of 2-4 words is one term of its field's
`_phrases` companion; a longer or sloppy phrase narrows candidates with those terms (or its
words) and confirms each candidate with word positions, as Whoosh's Phrase does.
"""

import bisect
import fnmatch
import functools
import re

import numpy

from decisions.search import fields as registry
from decisions.search.backends.embedded.analysis import LONGEST_SHINGLE, day, phrases_field, shingle, words
from decisions.search.backends.embedded.view import bits_of, flags_to_bits, set_bits
from decisions.search.contract import (
    And,
    AnyOf,
    CitedPages,
    DateRange,
    ItemIds,
    Match,
    NoDate,
    Not,
    Or,
    Phrase,
    Prefix,
    QueryError,
    Term,
)

MAX_EXPANSIONS = 1000
CHECK_EVERY = 512  # candidates confirmed between two looks at the clock


@functools.lru_cache(maxsize=4096)
def tokens_of(typed):
    """The analysed terms of typed words, in order."""
    return tuple(token for word in typed for token in words(word))


def text_fields(field):
    """(field, boost) pairs a leaf searches: the named one, or every default field."""
    if field is not None:
        return [(field, 1.0)]
    return [(name, registry.TEXT_FIELDS[name].boost) for name in registry.DEFAULT_TEXT_FIELDS]


class Evaluator:
    def __init__(self, view, deadline):
        self.view = view
        self.deadline = deadline
        self.leaf_bits = {}  # leaf -> bits, reused by ranking

    def bits(self, node):
        if isinstance(node, And):
            positive = [child for child in node.children if not isinstance(child, Not)]
            bits = self.view.live
            for child in positive:
                bits &= self.bits(child)
                if not bits:
                    return 0
            for child in node.children:
                if isinstance(child, Not):
                    bits &= ~self.bits(child.child)
            return bits
        if isinstance(node, Or):
            bits = 0
            for child in node.children:
                bits |= self.bits(child)
            return bits
        if isinstance(node, Not):
            return self.view.live & ~self.bits(node.child)
        if node not in self.leaf_bits:
            self.deadline.check()
            self.leaf_bits[node] = self._leaf(node)
        return self.leaf_bits[node]

    def _leaf(self, node):
        if isinstance(node, Match):
            return self.keyword(node.field, [node.value])
        bits = 0
        for field, _ in text_fields(node.field):
            if isinstance(node, Term):
                bits |= self.phrase(field, tokens_of((node.word,)), 1)
            elif isinstance(node, Phrase):
                bits |= self.phrase(field, tokens_of(node.words), node.slop)
            else:
                bits |= self.expansion_bits(field, node)
        return bits

    def expansions(self, field, node):
        """The terms a prefix or wildcard stands for in one field."""
        if isinstance(node, Prefix):
            prefix, pattern = node.prefix, None
        else:
            prefix = re.split(r"[*?]", node.pattern, maxsplit=1)[0]
            pattern = re.compile(fnmatch.translate(node.pattern))
        terms = self.view.expand(field, prefix, MAX_EXPANSIONS)
        if pattern:
            terms = [text for text in terms if pattern.match(text)]
        if len(terms) > MAX_EXPANSIONS:
            shown = node.prefix if isinstance(node, Prefix) else node.pattern
            raise QueryError(
                f"“{shown}*” stands for more than {MAX_EXPANSIONS} different words; type more of the word"
            )
        return terms

    def expansion_bits(self, field, node):
        bits = 0
        for text in self.expansions(field, node):
            bits |= self.view.bits(field, text)
        return bits

    def phrase(self, field, tokens, slop):
        if not tokens:
            return 0
        if len(tokens) == 1:
            return self.view.bits(field, tokens[0])
        if not registry.TEXT_FIELDS[field].phrases:
            raise QueryError(f"phrases cannot be searched in {field} fields; search their words instead")
        if slop == 1 and len(tokens) <= LONGEST_SHINGLE:
            return self.view.bits(phrases_field(field), shingle(tokens))
        if slop == 1:
            narrowing = [
                (phrases_field(field), shingle(tokens[start : start + LONGEST_SHINGLE]))
                for start in range(len(tokens) - LONGEST_SHINGLE + 1)
            ]
        else:
            narrowing = [(field, token) for token in tokens]
        candidates = self.view.live
        for field_name, text in narrowing:
            candidates &= self.view.bits(field_name, text)
            if not candidates:
                return 0
        return self._confirmed(field, tokens, slop, candidates)

    def _confirmed(self, field, tokens, slop, candidates):
        """The candidates in which the words occur in order, each within `slop` of the one before."""
        docnums = set_bits(candidates, self.view.size).tolist()
        confirmed = []
        for start in range(0, len(docnums), CHECK_EVERY):
            self.deadline.check()
            chunk = docnums[start : start + CHECK_EVERY]
            where = [self.view.positions(field, token, chunk) for token in tokens]
            for docnum in chunk:
                reached = where[0].get(docnum, ())
                for following in where[1:]:
                    ends = sorted(reached)
                    reached = [p for p in following.get(docnum, ()) if _within(ends, p, slop)]
                    if not reached:
                        break
                if reached:
                    confirmed.append(docnum)
        return bits_of(confirmed, self.view.size) if confirmed else 0

    def keyword(self, name, values):
        bits = 0
        for value in values:
            for stored in self._stored_values(name, value):
                bits |= self.view.bits(name, stored)
        return bits

    def _stored_values(self, name, value):
        value = registry.normalize_keyword(name, value)
        if not registry.FILTER_FIELDS[name].case_sensitive:
            return [value]
        return [stored for stored in self.view.values(name) if stored.lower() == value.lower()]

    def filter_bits(self, name, value):
        """Live documents a filter keeps."""
        if isinstance(value, AnyOf):
            return self.keyword(name, value.values)
        if isinstance(value, ItemIds):
            wanted = numpy.asarray(list(value.values), dtype=numpy.int64)
            return self._where("item_id", lambda ids: numpy.isin(ids, wanted))
        if isinstance(value, CitedPages):
            bits = 0
            for page in range(value.first, value.last + 1):
                bits |= self.view.bits(name, registry.cited_term(value.source, page))
            return bits
        if isinstance(value, DateRange):
            return self.view._cached("dates", (name, value), lambda: self._dates(name, value))
        if isinstance(value, NoDate):
            return self.view._cached(
                "dates",
                (name, value),
                lambda: self._where(name, lambda days: days == day(None)),
            )
        raise TypeError(f"unknown filter value {value!r}")

    def _dates(self, name, value):
        return self._where(name, lambda days: _in_range(days, value))

    def _where(self, column, test):
        """Live documents whose column passes test (an array of values -> an array of booleans)."""
        return flags_to_bits(self.view.column(column).flags(test)) & self.view.live


def _in_range(days, value):
    flags = days != day(None)
    if value.start:
        flags &= days >= day(value.start)
    if value.end:
        flags &= days <= day(value.end)
    if value.undated:
        flags |= days == day(None)
    return flags


def _within(ends, position, slop):
    """Whether some earlier end lies 1 to slop positions before position (ends sorted)."""
    index = bisect.bisect_left(ends, position - slop)
    return index < len(ends) and ends[index] <= position - 1
