"""Analysing search documents into a new segment: postings gathered in memory, then written."""

import itertools
from array import array
from collections import Counter

import numpy

from decisions.search import fields as registry
from decisions.search.backends.embedded import writing
from decisions.search.backends.embedded.analysis import day, phrases_field, shingles, words
from decisions.search.backends.embedded.segments import COLUMNS, KEY, TERM_FIELDS, key_of


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

    def arrays(self, name):
        terms = list(self.ids)
        keys = numpy.array([key_of(term) for term in terms], dtype=KEY)
        lexicon = numpy.argsort(keys, kind="stable")
        rank = numpy.empty(len(terms), dtype=numpy.int64)
        rank[lexicon] = numpy.arange(len(terms))
        term_of = rank[numpy.frombuffer(self.term_ids, numpy.int32)] if terms else numpy.zeros(0, numpy.int64)
        freqs = numpy.frombuffer(self.freqs, numpy.uint16)
        return writing.field_arrays(
            name,
            keys[lexicon],
            [terms[index] for index in lexicon],
            term_of,
            numpy.frombuffer(self.docs, numpy.int32),
            freqs,
            numpy.frombuffer(self.positions, numpy.uint16),
            numpy.cumsum(freqs, dtype=numpy.int64) - freqs,
        )


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
        """Save the segment at `path`; returns its meta.json's CRC-32 (writing.save)."""
        arrays = {name: numpy.asarray(self.columns[name], dtype=dtype) for name, dtype in COLUMNS.items()}
        arrays |= {
            f"{name}.len": numpy.frombuffer(lengths, numpy.uint16) for name, lengths in self.lengths.items()
        }
        for name, *_ in TERM_FIELDS:
            arrays |= self.terms[name].arrays(name)
        words_in = {name: int(sum(lengths)) for name, lengths in self.lengths.items()}
        return writing.save(path, arrays, {"docs": self.count, "words": words_in})
