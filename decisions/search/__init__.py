"""Full-text search of decision items behind one backend contract.

`backend()` is the configured engine (settings.SEARCH_BACKEND); `syntax.parse` turns what a person
typed into a query tree; `contract` holds the plain types both sides speak. Views, forms and
templates use only these, never an engine.
"""

import functools
import os

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
    IndexUnavailable,
    ItemIds,
    NoDate,
    QueryError,
    SearchQuery,
    SearchResults,
    SearchTimeout,
)
from decisions.search.syntax import parse

PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
BACKENDS = {
    "embedded": "decisions.search.backends.embedded.EmbeddedBackend",
    "postgres": "decisions.search.backends.postgres.backend.PostgresBackend",
}


@functools.cache
def _backend(name):
    return import_string(BACKENDS[name])()


def backend():
    """The configured search backend (one per process)."""
    return _backend(settings.SEARCH_BACKEND)


def keep_within_memory(limit_mb):
    """After a request: past limit_mb resident, the process lets go of the index pages it maps, so
    what a worker holds stays bounded however large the archive. The pages stay in the page cache,
    shared by every worker; the next search maps what it reads again, without reading the disk."""
    with open("/proc/self/statm") as statm:
        resident_mb = int(statm.read().split()[1]) * PAGE_BYTES / 2**20
    if resident_mb > limit_mb:
        backend().release_pages()
        return True
    return False


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
    "IndexUnavailable",
    "ItemIds",
    "NoDate",
    "QueryError",
    "SearchQuery",
    "SearchResults",
    "SearchTimeout",
    "backend",
    "keep_within_memory",
    "parse",
    "query",
    "syntax",
]
