"""The search box understands adjusters: abbreviations and brand names search what they stand for
(and the page says so), a typed treatment name offers the treatment itself, misspelled names get
a "Did you mean", and the vocabulary files the treatments adjusters found misfiled."""

import re

import pytest

from decisions import importing, vocabulary
from decisions.search import syntax
from decisions.search.contract import And, Match, Or
from tests.letters import item, standard_letter

pytestmark = pytest.mark.django_db
CHRONIC_PAIN = "Decision based on MTUS Chronic Pain Treatment Guidelines Page(s): 46."
NOT_NECESSARY = "The request is not medically necessary."

# (request, rationale): the words adjusters type are in the requests or only in the rationales.
ITEMS = [
    ("Lumbar epidural steroid injection L4-5", "Radiculopathy is not corroborated. " + NOT_NECESSARY),
    ("Transforaminal epidural steroid injection L5-S1", "No imaging. " + NOT_NECESSARY),
    ("Trigger point injections x4", "A prior epidural steroid injection gave no relief. " + NOT_NECESSARY),
    ("Gabapentin 600mg #90", "Neuropathic pain is documented. " + NOT_NECESSARY),
    ("Norco 10/325mg #120", "The patient also takes gabapentin for neuropathic pain. " + NOT_NECESSARY),
    ("Urine drug screen", "Random testing is supported for opioid users. " + NOT_NECESSARY),
    ("Physical therapy 12 sessions", "A urine drug screen was consistent last month. " + NOT_NECESSARY),
    ("Transforaminal lumbar interbody fusion (TLIF) L4-5", "No instability is shown. " + NOT_NECESSARY),
    ("ESWT left shoulder x3 sessions", "Calcific tendinitis is not documented. " + NOT_NECESSARY),
    ("Inferential unit rental", "No trial is documented. " + NOT_NECESSARY),
]


@pytest.fixture
def corpus(db):
    letters = [
        standard_letter([item([f"{request}: Upheld"], CHRONIC_PAIN, rationale)])
        for request, rationale in ITEMS
    ]
    candidates = [
        candidate
        for number, text in enumerate(letters)
        for candidate in importing.candidates_from_upload(f"letter{number}.txt", text.encode())
    ]
    report = importing.import_candidates(candidates)
    assert report.count(importing.IMPORTED) == len(ITEMS), report.results


def _requests(client, url="/", **params):
    html = client.get(url, params).content.decode()
    return sorted(re.findall(r'#item-\d+">([^<]+)</a>', html)), html


@pytest.mark.parametrize(
    "request_text, treatment",
    [
        ("Transforaminal lumbar interbody fusion (TLIF) L4-5", "spinal fusion"),
        ("TLIF L5-S1", "spinal fusion"),
        ("Transforaminal epidural steroid injection L5-S1", "epidural steroid injection"),
        ("ESWT left shoulder", "extracorporeal shockwave therapy"),
        ("Extracorporeal shock wave therapy x3", "extracorporeal shockwave therapy"),
        ("Inferential unit", "interferential unit"),
        ("Interferential stimulator 1 month rental", "interferential unit"),
    ],
)
def test_treatments_adjusters_found_misfiled_or_unknown(request_text, treatment):
    assert vocabulary.normalize_request(request_text).name == treatment


def test_every_abbreviation_stands_for_something_the_vocabulary_knows():
    for abbreviation in vocabulary.vocabulary().data["abbreviations"]:
        meaning = vocabulary.meaning_of(abbreviation)
        assert meaning.phrases, abbreviation
        assert meaning.treatment or meaning.drug_class, abbreviation


def test_abbreviation_finds_what_it_stands_for_and_says_so(client, corpus):
    requests, html = _requests(client, q="ESI")
    assert requests == [
        "Lumbar epidural steroid injection L4-5",
        "Transforaminal epidural steroid injection L5-S1",
        "Trigger point injections x4",  # its rationale mentions an epidural steroid injection
    ]
    assert (
        "ESI — also searching “epidural steroid injection”, “epidural injection” and items whose "
        "treatment is epidural steroid injection." in html
    )
    assert "names a treatment: 2 of these" in html  # the third only mentions one
    lowercase, _ = _requests(client, q="esi")
    assert lowercase == requests


def test_no_treatment_offer_when_every_result_is_a_request_for_it(client, corpus):
    requests, html = _requests(client, q="gabapentin", treatment="gabapentin")
    assert requests and "names a treatment" not in html
    requests, html = _requests(client, q="TLIF")
    assert (
        requests == ["Transforaminal lumbar interbody fusion (TLIF) L4-5"] and "names a treatment" not in html
    )


def test_uds_finds_the_screens_and_the_rationales_that_mention_them(client, corpus):
    requests, html = _requests(client, q="UDS")
    assert requests == ["Physical therapy 12 sessions", "Urine drug screen"]
    assert "UDS — also searching “urine drug screen”" in html


def test_brand_name_finds_its_generic_in_the_text_too(client, corpus):
    requests, html = _requests(client, q="Neurontin")
    assert requests == ["Gabapentin 600mg #90", "Norco 10/325mg #120"]
    assert "Neurontin — also searching “gabapentin” and items whose treatment is gabapentin." in html


def test_typed_treatment_name_offers_the_treatment_itself(client, corpus):
    requests, html = _requests(client, q="epidural steroid injection")
    assert len(requests) == 3
    hint = re.search(
        r"names a treatment: (\d+) of these items are requests for epidural steroid injection", html
    )
    assert hint and hint.group(1) == "2"
    link = re.search(r'<a href="\?([^"]+)">Show only the requests for it</a>', html).group(1)
    only, page = _requests(client, "/?" + link.replace("&amp;", "&"))
    assert len(only) == 2 and "Trigger point injections x4" not in only
    assert "names a treatment" not in page  # once chosen, no longer offered


@pytest.mark.parametrize(
    "typed, suggestion",
    [("gabapenten", "gabapentin"), ("neurontine", "Neurontin"), ("baclofin", "baclofen")],
)
def test_misspelled_names_get_did_you_mean(client, corpus, typed, suggestion):
    requests, html = _requests(client, q=f"{typed} neuropathic")
    assert requests == []
    link = re.search(r'Did you mean <a href="\?q=([^"&]+)">([^<]+)</a>\?', html)
    assert link and link.group(2) == f"{suggestion} neuropathic"


def test_did_you_mean_offers_the_index_words_too(client, corpus, db):
    from tests.letters import standard_letter

    text = standard_letter(
        [item(["Lumbar MRI: Upheld"], CHRONIC_PAIN, NOT_NECESSARY)],
        summary=["The 50-year-old man has neck pain. Diagnoses: cervical spondylosis, radiculopathy."],
    )
    importing.import_candidates(importing.candidates_from_upload("spondylosis.txt", text.encode()))
    requests, html = _requests(client, q="spondilosis")
    assert requests == []
    assert re.search(r'Did you mean <a href="\?q=spondylosis">spondylosis</a>\?', html)


def test_no_did_you_mean_when_there_are_results_or_nothing_close(client, corpus):
    assert "Did you mean" not in _requests(client, q="gabapentin")[1]
    assert "Did you mean" not in _requests(client, q="zzqx")[1]


def test_words_in_one_field_stand_for_the_same_there():
    assert [
        (m.word, field) for m, field in syntax.meanings("rationale:ESI request:Neurontin class:opioid")
    ] == [
        ("ESI", "rationale"),
        ("Neurontin", "request"),
    ]
    assert [m.word for m, _ in syntax.meanings("ESI Neurontin opioids esi")] == [
        "ESI",
        "Neurontin",
        "opioids",
    ]
    expanded = syntax.parse("rationale:UDS")
    assert isinstance(expanded, Or) and {getattr(child, "field", None) for child in expanded.children} == {
        "rationale"
    }
    assert not any(isinstance(child, Match) for child in expanded.children)  # the field's text, not items
    summary = syntax.parse("summary:UDS")  # summaries take no phrases: the phrase's words instead
    assert any(isinstance(child, And) and child.children[0].field == "summary" for child in summary.children)
