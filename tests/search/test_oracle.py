"""The oracle: on random query trees, the Whoosh backend's bitset engine matches exactly the
documents Whoosh's own matchers (with word positions) match on the same index."""
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import query as wq

from benchmarks.corpus import letters
from decisions import importing, search
from decisions.search import fields as registry
from decisions.search.backends.whoosh import store
from decisions.search.backends.whoosh.view import analyze
from decisions.search.contract import And, Match, Not, Or, Phrase, Prefix, Term, Wildcard
from decisions.search.fields import normalize_keyword
from tests.search.corpus import ITEMS, import_corpus

pytestmark = pytest.mark.django_db

TEXTS = [rationale for *_, rationale in ITEMS.values()] + [request for request, *_ in ITEMS.values()]
WORDS = sorted({word.strip(".,;:()#").lower() for text in TEXTS for word in text.split()} - {""})
RUNS = [text.split() for text in TEXTS]
FIELDS = st.sampled_from([None, None, None, "request", "rationale", "treatment_words", "summary"])
PHRASE_FIELDS = st.sampled_from([None, None, "request", "rationale", "treatment_words"])
KEYWORDS = [("outcome", "upheld"), ("outcome", "overturned"), ("drug_class", "opioid"),
            ("treatment", "gabapentin"), ("source", "acoem"), ("necessity", "necessary"), ("category", "injections")]


@st.composite
def phrases(draw):
    run = draw(st.sampled_from(RUNS))
    if draw(st.booleans()) and len(run) > 1:
        start = draw(st.integers(0, len(run) - 2))
        words = run[start:start + draw(st.integers(2, 5))]
    else:
        words = draw(st.lists(st.sampled_from(WORDS), min_size=2, max_size=4))
    return Phrase(tuple(words), draw(PHRASE_FIELDS), draw(st.sampled_from([1, 1, 1, 2, 3, 4, 6])))


leaves = st.one_of(
    st.builds(Term, st.sampled_from(WORDS), FIELDS),
    phrases(),
    st.builds(lambda word, field: Prefix(word[:3], field), st.sampled_from([w for w in WORDS if len(w) >= 4]),
              PHRASE_FIELDS),
    st.builds(lambda word, field: Wildcard(word[:3] + "?" + word[4:] + "*", field),
              st.sampled_from([w for w in WORDS if len(w) >= 5]), PHRASE_FIELDS),
    st.builds(lambda pair: Match(*pair), st.sampled_from(KEYWORDS)),
)
trees = st.recursive(leaves, lambda children: st.one_of(
    st.builds(lambda items: And(tuple(items)), st.lists(children, min_size=2, max_size=3)),
    st.builds(lambda items: Or(tuple(items)), st.lists(children, min_size=2, max_size=3)),
    st.builds(lambda a, b: And((a, Not(b))), children, children),
), max_leaves=6)


def _fields(field):
    return [field] if field else registry.DEFAULT_TEXT_FIELDS


def _words_query(field, tokens, slop=1):
    if not tokens:
        return wq.NullQuery
    return wq.Term(field, tokens[0]) if len(tokens) == 1 else wq.Phrase(field, tokens, slop=slop)


def whoosh_query(node):
    """The same tree as Whoosh's own query objects, matched with positions by Whoosh."""
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
        return wq.Or([_words_query(field, analyze(" ".join(node.words)), node.slop) for field in _fields(node.field)])
    if isinstance(node, Prefix):
        return wq.Or([wq.Prefix(field, node.prefix) for field in _fields(node.field)])
    return wq.Or([wq.Wildcard(field, node.pattern) for field in _fields(node.field)])


@pytest.fixture
def oracle_corpus(db):
    import_corpus()
    generated = [importing.Candidate(name, text.encode()) for name, text in letters(60, seed=7)]
    importing.import_candidates(generated)
    _, ix = store.store().live(force=True)
    searcher = ix.searcher()
    item_ids = list(searcher.reader().column_reader("item_id"))
    yield searcher, item_ids
    searcher.close()


def _oracle_ids(searcher, item_ids, node):
    matcher = whoosh_query(node).normalize().matcher(searcher)
    reader = searcher.reader()
    return {item_ids[docnum] for docnum in matcher.all_ids() if not reader.is_deleted(docnum)}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          derandomize=True)
@given(tree=trees)
def test_backend_matches_exactly_what_whoosh_matches(oracle_corpus, tree):
    searcher, item_ids = oracle_corpus
    backend = search.backend()
    results = backend.search(search.SearchQuery(text=tree))
    found = {hit.item_id for hit in results[:results.total]}
    assert found == _oracle_ids(searcher, item_ids, tree)


def test_the_oracle_corpus_makes_phrases_differ_from_their_words(oracle_corpus):
    """The comparison means something only where a phrase and its words apart give different sets."""
    searcher, item_ids = oracle_corpus
    rng = random.Random(3)
    differing = 0
    for _ in range(200):
        run = rng.choice(RUNS)
        start = rng.randrange(max(1, len(run) - 2))
        words = tuple(run[start:start + 3])
        if len(words) > 1:
            phrase, apart = Phrase(words), And(tuple(Term(word) for word in words))
            differing += _oracle_ids(searcher, item_ids, phrase) != _oracle_ids(searcher, item_ids, apart)
    assert differing >= 10
