"""The same query tree as Whoosh's own query objects, matched by Whoosh with word positions.

Slow (one Python call per posting) and never used to answer a search: it is the reference the
bitset engine is held to, by the oracle test and by `benchmarks/exactness.py`.
"""

from whoosh import query as wq

from decisions.search import fields as registry
from decisions.search.backends.whoosh.view import analyze
from decisions.search.contract import And, Match, Not, Or, Phrase, Prefix, Term
from decisions.search.fields import normalize_keyword


def _fields(field):
    return [field] if field else registry.DEFAULT_TEXT_FIELDS


def _words_query(field, tokens, slop=1):
    if not tokens:
        return wq.NullQuery
    return wq.Term(field, tokens[0]) if len(tokens) == 1 else wq.Phrase(field, tokens, slop=slop)


def whoosh_query(node):
    if isinstance(node, And):
        return wq.And([whoosh_query(child) for child in node.children])
    if isinstance(node, Or):
        return wq.Or([whoosh_query(child) for child in node.children])
    if isinstance(node, Not):
        return wq.Not(whoosh_query(node.child))
    if isinstance(node, Match):
        return wq.Term(node.field, normalize_keyword(node.field, node.value))
    if isinstance(node, Term):
        return wq.Or([_words_query(field, analyze(node.word)) for field in _fields(node.field)])
    if isinstance(node, Phrase):
        return wq.Or(
            [_words_query(field, analyze(" ".join(node.words)), node.slop) for field in _fields(node.field)]
        )
    if isinstance(node, Prefix):
        return wq.Or([wq.Prefix(field, node.prefix) for field in _fields(node.field)])
    return wq.Or([wq.Wildcard(field, node.pattern) for field in _fields(node.field)])


def reference_item_ids(searcher, tree):
    """Item ids of the live documents Whoosh's own matchers find for the tree."""
    reader = searcher.reader()
    item_ids = reader.column_reader("item_id")
    matcher = whoosh_query(tree).normalize().matcher(searcher)
    return {item_ids[docnum] for docnum in matcher.all_ids() if not reader.is_deleted(docnum)}
