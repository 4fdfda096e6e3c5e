"""Full-text search of decision items behind one backend contract.

`backend()` is the configured engine (settings.SEARCH_BACKEND); `syntax.parse` turns what a person
typed into a query tree; `contract` holds the plain types both sides speak. Views, forms and
templates use only these, never an engine.
"""

import functools

from django.conf import settings
from django.utils.module_loading import import_string

from decisions.search import syntax
from decisions.search.contract import (
    ITEMS,
    NEWEST,
    OLDEST,
    RELEVANCE,
    SORTS,
    AnyOf,
    CitedPages,
    DateRange,
    ItemIds,
    NoDate,
    QueryError,
    SearchQuery,
    SearchResults,
    SearchTimeout,
)
from decisions.search.syntax import parse

BACKENDS = {
    "whoosh": "decisions.search.backends.whoosh.WhooshBackend",
    "postgres": "decisions.search.backends.postgres.backend.PostgresBackend",
}


@functools.cache
def _backend(name):
    return import_string(BACKENDS[name])()


def backend():
    """The configured search backend (one per process)."""
    return _backend(settings.SEARCH_BACKEND)


def query(text="", sort=RELEVANCE, facets=(), **filters):
    """A SearchQuery from typed text and filters given by registry name (tests, shell, commands)."""
    return SearchQuery(text=parse(text), filters=tuple(filters.items()), sort=sort, facets=tuple(facets))


__all__ = [
    "NEWEST",
    "OLDEST",
    "ITEMS",
    "RELEVANCE",
    "SORTS",
    "AnyOf",
    "CitedPages",
    "DateRange",
    "ItemIds",
    "NoDate",
    "QueryError",
    "SearchQuery",
    "SearchResults",
    "SearchTimeout",
    "backend",
    "parse",
    "query",
    "syntax",
]
