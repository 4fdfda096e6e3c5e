"""The oracle: on random query trees, the embedded engine matches exactly the documents Whoosh's
own matchers (with word positions) match in a plain Whoosh index of the same documents."""

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.corpus import letters
from decisions import importing, search
from decisions.models import Determination
from decisions.search.backends.embedded.reference import reference_index, reference_item_ids
from decisions.search.contract import And, Match, Not, Or, Phrase, Prefix, Term, Wildcard
from decisions.search.documents import documents_for
from tests.search.corpus import ITEMS, import_corpus

pytestmark = pytest.mark.django_db

TEXTS = [rationale for *_, rationale in ITEMS.values()] + [request for request, *_ in ITEMS.values()]
WORDS = sorted({word.strip(".,;:()#").lower() for text in TEXTS for word in text.split()} - {""})
RUNS = [text.split() for text in TEXTS]
FIELDS = st.sampled_from([None, None, None, "request", "rationale", "treatment_words", "summary"])
PHRASE_FIELDS = st.sampled_from([None, None, "request", "rationale", "treatment_words"])
KEYWORDS = [
    ("outcome", "upheld"),
    ("outcome", "overturned"),
    ("drug_class", "opioid"),
    ("treatment", "gabapentin"),
    ("source", "acoem"),
    ("necessity", "necessary"),
    ("category", "injections"),
]


@st.composite
def phrases(draw):
    run = draw(st.sampled_from(RUNS))
    if draw(st.booleans()) and len(run) > 1:
        start = draw(st.integers(0, len(run) - 2))
        words = run[start : start + draw(st.integers(2, 5))]
    else:
        words = draw(st.lists(st.sampled_from(WORDS), min_size=2, max_size=4))
    return Phrase(tuple(words), draw(PHRASE_FIELDS), draw(st.sampled_from([1, 1, 1, 2, 3, 4, 6])))


leaves = st.one_of(
    st.builds(Term, st.sampled_from(WORDS), FIELDS),
    phrases(),
    st.builds(
        lambda word, field: Prefix(word[:3], field),
        st.sampled_from([w for w in WORDS if len(w) >= 4]),
        PHRASE_FIELDS,
    ),
    st.builds(
        lambda word, field: Wildcard(word[:3] + "?" + word[4:] + "*", field),
        st.sampled_from([w for w in WORDS if len(w) >= 5]),
        PHRASE_FIELDS,
    ),
    st.builds(lambda pair: Match(*pair), st.sampled_from(KEYWORDS)),
)
trees = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.builds(lambda items: And(tuple(items)), st.lists(children, min_size=2, max_size=3)),
        st.builds(lambda items: Or(tuple(items)), st.lists(children, min_size=2, max_size=3)),
        st.builds(lambda a, b: And((a, Not(b))), children, children),
    ),
    max_leaves=6,
)


@pytest.fixture
def oracle_corpus(db, tmp_path):
    import_corpus()
    generated = [importing.Candidate(name, text.encode()) for name, text in letters(60, seed=7)]
    importing.import_candidates(generated)
    documents = documents_for(Determination.objects.values_list("pk", flat=True))
    with reference_index(tmp_path / "reference", documents).searcher() as searcher:
        yield searcher


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    derandomize=True,
)
@given(tree=trees)
def test_backend_matches_exactly_what_whoosh_matches(oracle_corpus, tree):
    results = search.backend().search(search.SearchQuery(text=tree))
    found = {hit.item_id for hit in results[: results.total]}
    assert found == reference_item_ids(oracle_corpus, tree)


def test_the_oracle_corpus_makes_phrases_differ_from_their_words(oracle_corpus):
    """The comparison means something only where a phrase and its words apart give different sets."""
    rng = random.Random(3)
    differing = 0
    for _ in range(200):
        run = rng.choice(RUNS)
        start = rng.randrange(max(1, len(run) - 2))
        words = tuple(run[start : start + 3])
        if len(words) > 1:
            phrase, apart = Phrase(words), And(tuple(Term(word) for word in words))
            differing += reference_item_ids(oracle_corpus, phrase) != reference_item_ids(oracle_corpus, apart)
    assert differing >= 10
