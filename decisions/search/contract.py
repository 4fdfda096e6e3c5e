"""What every search backend takes and gives: plain values, no engine objects.

A query is a small tree (`Term`, `Phrase`, `Prefix`, `Wildcard`, `Match`, `And`, `Or`, `Not`)
built by `syntax.parse` from what a person typed, plus filters keyed by the names in `fields`.
A backend answers with `SearchResults`: the total, facet counts, and hits read lazily a window
at a time, so Django's Paginator can page them and the count always equals the hits.
"""

from dataclasses import dataclass, field
from datetime import date

RELEVANCE, NEWEST, OLDEST = "relevance", "newest", "oldest"
OVERTURNED = "overturned"  # the outcome whose rate facets and statistics count
SORTS = (RELEVANCE, NEWEST, OLDEST)


class QueryError(ValueError):
    """The query cannot be run; the message is meant for the person who typed it."""


class SearchTimeout(QueryError):
    """A search ran past its time budget and was stopped."""


class IndexUnavailable(QueryError):
    """No part of the index can be read (damaged, or built by an earlier version) until the worker
    mends or rebuilds it from the database."""


# The query tree. `field` None means the default text fields (request, treatment words, rationale).


@dataclass(frozen=True)
class Term:
    word: str
    field: str | None = None
    boost: float = 1.0


@dataclass(frozen=True)
class Phrase:
    words: tuple
    field: str | None = None
    slop: int = 1  # 1: adjacent, in order; n: up to n-1 other words between each pair
    boost: float = 1.0


@dataclass(frozen=True)
class Prefix:
    prefix: str
    field: str | None = None
    boost: float = 1.0


@dataclass(frozen=True)
class Wildcard:
    pattern: str  # * any run of characters, ? one character
    field: str | None = None
    boost: float = 1.0


@dataclass(frozen=True)
class Match:
    """An exact value of a keyword field (`class:opioid`, or a brand name's generic treatment)."""

    field: str
    value: str
    boost: float = 1.0


@dataclass(frozen=True)
class And:
    children: tuple


@dataclass(frozen=True)
class Or:
    children: tuple


@dataclass(frozen=True)
class Not:
    child: object


# Filters, by the kind the field registry gives each filter.


@dataclass(frozen=True)
class AnyOf:
    values: tuple


@dataclass(frozen=True)
class ItemIds:
    """Only these items, under the filter name ITEMS (an alert looks for its search among the items
    that are new since its last digest)."""

    values: tuple


ITEMS = "item_id"


@dataclass(frozen=True)
class DateRange:
    start: date | None = None
    end: date | None = None
    undated: bool = False  # also the items whose letter gives no such date


@dataclass(frozen=True)
class NoDate:
    """The items whose letter gives no such date (what a date range leaves out)."""


@dataclass(frozen=True)
class CitedPages:
    source: str | None  # None: any guideline
    first: int
    last: int


@dataclass(frozen=True)
class SearchQuery:
    text: object = None  # a query tree, or None for every item
    filters: tuple = ()  # ((filter name, AnyOf | DateRange | CitedPages), ...)
    sort: str = RELEVANCE
    facets: tuple = ()  # ((filter name, most values to return or None for all), ...)
    model = None  # what a FilterSet reads of its queryset; a SearchQuery stands for no ORM model

    def with_filter(self, name, value):
        return SearchQuery(
            self.text,
            (*[(n, v) for n, v in self.filters if n != name], (name, value)),
            self.sort,
            self.facets,
        )

    def with_facets(self, facets):
        return SearchQuery(self.text, self.filters, self.sort, facets)

    def all(self):
        """So a FilterSet can take a SearchQuery where it expects a queryset."""
        return self


@dataclass(frozen=True)
class FacetCount:
    """One value of a facet: how many matched items hold it, and how many of those were overturned."""

    value: str
    count: int
    overturned: int


@dataclass(frozen=True)
class Hit:
    item_id: int
    score: float | None  # None when the order is not by relevance


@dataclass
class SearchResults:
    """The answer to one SearchQuery: total and facets now, hits a window at a time.

    Slicing reads hits from the backend (`results[20:40]`), so Django's Paginator pages it.
    """

    total: int
    facets: dict  # filter name -> [FacetCount], most common first
    window: object = field(repr=False)  # window(start, stop) -> [Hit]

    def count(self):
        return self.total

    def __len__(self):
        return self.total

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, step = index.indices(self.total)
            if step != 1:
                raise ValueError("search results are read in contiguous windows")
            return self.window(start, stop) if stop > start else []
        if not 0 <= index < self.total:
            raise IndexError(index)
        return self.window(index, index + 1)[0]


def leaves(node):
    """The tree's leaves that are not under a NOT (what a match is scored and marked by)."""
    if isinstance(node, (And, Or)):
        return [leaf for child in node.children for leaf in leaves(child)]
    if isinstance(node, Not) or node is None:
        return []
    return [node]
