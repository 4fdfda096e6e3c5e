"""The reference the engine is held to: the same documents in a plain Whoosh index, and the same
query tree as Whoosh's own query objects, matched by Whoosh with word positions.

Slow (one Python call per posting) and never used to answer a search: the oracle test and the
benchmark's exactness table compare the engine's matches with these.
"""

from whoosh import fields, index
from whoosh import query as wq

from decisions.search import fields as registry
from decisions.search.backends.embedded.analysis import TEXT_ANALYZER, words
from decisions.search.contract import And, Match, Not, Or, Phrase, Prefix, Term
from decisions.search.fields import normalize_keyword


def _schema():
    schema = fields.Schema(item_id=fields.NUMERIC(int, bits=64, signed=False, sortable=True))
    for name, text_field in registry.TEXT_FIELDS.items():
        schema.add(name, fields.TEXT(analyzer=TEXT_ANALYZER, phrase=text_field.phrases))
    for name, filter_field in registry.FILTER_FIELDS.items():
        if filter_field.kind != registry.DATE:
            schema.add(name, fields.KEYWORD(commas=True, scorable=False, lowercase=False))
    return schema


def reference_index(path, documents):
    """A Whoosh index of the documents (search.documents) in a new directory at path."""
    path.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(str(path), _schema())
    with ix.writer() as writer:
        for document in documents:
            values = {"item_id": document["item_id"]}
            values |= {name: document[name] for name in registry.TEXT_FIELDS if document.get(name)}
            for name, filter_field in registry.FILTER_FIELDS.items():
                if filter_field.kind != registry.DATE and (stored := registry.stored_values(name, document)):
                    values[name] = ",".join(value.replace(",", " ") for value in stored)
            writer.add_document(**values)
    return ix


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
        return wq.Or([_words_query(field, words(node.word)) for field in _fields(node.field)])
    if isinstance(node, Phrase):
        return wq.Or(
            [_words_query(field, words(" ".join(node.words)), node.slop) for field in _fields(node.field)]
        )
    if isinstance(node, Prefix):
        return wq.Or([wq.Prefix(field, node.prefix) for field in _fields(node.field)])
    return wq.Or([wq.Wildcard(field, node.pattern) for field in _fields(node.field)])


def reference_item_ids(searcher, tree):
    """Item ids of the documents Whoosh's own matchers find for the tree."""
    item_ids = searcher.reader().column_reader("item_id")
    matcher = whoosh_query(tree).normalize().matcher(searcher)
    return {item_ids[docnum] for docnum in matcher.all_ids()}
