"""Full-text search of decision items with Whoosh: the index, queries, filters, facets, highlights.

Nothing here knows about views: callers pass plain values and get plain results back.
"""
from decisions.search.engine import NEWEST, OLDEST, RELEVANCE, Filters, SearchResult, all_item_ids, search, warm
from decisions.search.index import clear, index_determinations, rebuild, remove_determinations
from decisions.search.index import open_index
from decisions.search.query import QueryError, highlight_terms
from decisions.search.query import terms_for as _terms_for


def terms_for(text):
    """Words to mark in a letter for a query text (none for an invalid query)."""
    return _terms_for(text, open_index().schema)


__all__ = ["NEWEST", "OLDEST", "RELEVANCE", "Filters", "QueryError", "SearchResult", "all_item_ids", "clear", "highlight_terms",
           "index_determinations", "rebuild", "remove_determinations", "search", "terms_for", "warm"]
