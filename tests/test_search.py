"""Search over the sample letters: text, every filter alone and with text, facets, paging, errors."""

from datetime import date

import pytest

from decisions import importing, results, search
from decisions.models import DecisionItem, Determination
from decisions.search import AnyOf, CitedPages, DateRange
from tests.letters import SEED_FILES, item, standard_letter

pytestmark = pytest.mark.django_db


def find(
    text="",
    sort=search.RELEVANCE,
    facets=(),
    page_source=None,
    page_from=None,
    page_to=None,
    decided_from=None,
    decided_to=None,
    injured_from=None,
    injured_to=None,
    **keywords,
):
    filters = {
        name: AnyOf(tuple(values if isinstance(values, list) else [values]))
        for name, values in keywords.items()
    }
    if page_from:
        filters["cited"] = CitedPages(page_source, page_from, page_to or page_from)
    if decided_from or decided_to:
        filters["decided"] = DateRange(decided_from, decided_to)
    if injured_from or injured_to:
        filters["injured"] = DateRange(injured_from, injured_to)
    return search.backend().search(search.query(text, sort=sort, facets=facets, **filters))


def requests_for(text="", sort=search.RELEVANCE, **filters):
    by_id = dict(DecisionItem.objects.values_list("pk", "request"))
    return [by_id[hit.item_id] for hit in find(text, sort, **filters)[:100]]


def test_overturned_items_citing_chronic_pain_page_80(seeded):
    # Oxycontin and Norco cite page 80 but were upheld; nothing overturned cites it in the seeds.
    assert requests_for(outcome=["overturned"], page_source="chronic_pain", page_from=80) == []
    assert sorted(requests_for(page_source="chronic_pain", page_from=80)) == ["Norco", "Oxycontin"]
    assert requests_for(outcome=["overturned"], page_source="chronic_pain", page_from=93) == ["Opana"]


def test_baclofen_upheld(seeded):
    assert requests_for("Baclofen upheld") == ["Baclofen 10mg #90"]
    assert requests_for("baclofen", outcome=["overturned"]) == []


def test_urine_drug_phrase_with_opioid():
    letter = standard_letter(
        [
            item(
                ["Norco 10/325mg #90: Overturned"],
                "Decision based on MTUS Chronic Pain Treatment Guidelines Opioids Page(s): 78.",
                "Urine drug screens were consistent and function improved. The request is medically "
                "necessary.",
            ),
            item(
                ["Tramadol 50mg: Upheld"],
                "Decision based on MTUS Chronic Pain Treatment Guidelines Opioids Page(s): 80.",
                "No urine drug testing was documented for this opioid. The request is not medically "
                "necessary.",
            ),
            item(
                ["Baclofen: Upheld"],
                "Decision based on MTUS Chronic Pain Treatment Guidelines Page(s): 63.",
                "A drug screen of the urine is unrelated. The request is not medically necessary.",
            ),
        ]
    )
    importing.import_candidates([importing.Candidate("udt.txt", letter.encode())])
    assert sorted(requests_for('"urine drug" opioid')) == ["Norco 10/325mg #90", "Tramadol 50mg"]
    assert requests_for('"urine drug" opioid', outcome=["overturned"]) == ["Norco 10/325mg #90"]


def test_not_medically_necessary_phrase_is_not_medically_necessary(seeded):
    affirmed = set(requests_for('"is medically necessary"'))
    negated = set(requests_for('"not medically necessary"'))
    assert "Follow up with surgeon" in affirmed and "Follow up with surgeon" not in negated
    assert "Norco" in negated and "Norco" not in affirmed


def test_brand_finds_generic_and_generic_finds_brands(seeded):
    expected = {
        "Neurontin 300mg 300mg 3 times a day for 1 week then 2 tablets 3 times a day #180",
        "Neurontin 800 MG #90",
        "Gralise 300mg",
    }
    assert set(requests_for("gabapentin")) >= expected
    assert set(requests_for("Neurontin")) == expected
    assert set(requests_for(treatment=["gabapentin"])) == expected


def test_drug_class_word_matches_the_class(seeded):
    assert set(requests_for(drug_class=["opioid"])) == {
        "Oxycontin",
        "Norco",
        "Opana",
        "Butrans Patch 5 MCG #4",
    }
    assert set(requests_for("class:opioid outcome:overturned")) == {"Opana"}


@pytest.mark.parametrize(
    "filters, expected",
    [
        (
            {"outcome": ["overturned"]},
            {
                "Neurontin 300mg 300mg 3 times a day for 1 week then 2 tablets 3 times a day #180",
                "Opana",
                "Follow up with surgeon",
                "Miralax",
                "Gralise 300mg",
            },
        ),
        (
            {"category": ["injections"]},
            {"Cervical epidural", "Trigger point injections to the right neck, upper back, and low back"},
        ),
        ({"drug_class": ["benzodiazepine"]}, {"Klonopin .5 #30", "Klonopin", "Restoril"}),
        (
            {"treatment": ["physical therapy"]},
            {
                "Physical therapy 2-3 times a weeks for four weeks to work on balance, "
                "decrease pain, and decrease the risk of further falls"
            },
        ),
        ({"source": ["acoem"]}, {"Aquatic therapy", "Klonopin", "Restoril"}),
        ({"page_source": "acoem", "page_from": 402}, {"Klonopin", "Restoril"}),
        ({"page_from": 63, "page_to": 64}, {"Baclofen 10mg #90", "Zanaflex 4 MG #90", "Robaxin"}),
        ({"acoem_chapter": ["3"]}, {"Aquatic therapy"}),
        (
            {"specialty": ["Neurology"]},
            {"Zanaflex 4 MG #90", "Neurontin 800 MG #90", "Butrans Patch 5 MCG #4", "Klonopin .5 #30"},
        ),
        (
            {"state": ["Texas"], "outcome": ["overturned"]},
            {"Opana", "Follow up with surgeon", "Miralax", "Gralise 300mg"},
        ),
        ({"necessity": ["necessary"], "outcome": ["upheld"]}, set()),
        (
            {"injured_from": date(2004, 1, 1)},
            {"Zanaflex 4 MG #90", "Neurontin 800 MG #90", "Butrans Patch 5 MCG #4", "Klonopin .5 #30"},
        ),
        (
            {"injured_to": date(1996, 1, 1)},
            {
                "Neurontin 300mg 300mg 3 times a day for 1 week then 2 tablets 3 times a day #180",
                "Baclofen 10mg #90",
            },
        ),
    ],
)
def test_each_filter_alone(seeded, filters, expected):
    assert set(requests_for(**filters)) == expected


@pytest.mark.parametrize(
    "text, filters, expected",
    [
        ("spasm", {"outcome": ["upheld"]}, {"Zanaflex 4 MG #90", "Baclofen 10mg #90"}),
        (
            "radiculopathy",
            {"category": ["injections"]},
            {"Cervical epidural", "Trigger point injections to the right neck, upper back, and low back"},
        ),
        ("anxiolytic", {"page_source": "acoem", "page_from": 402}, {"Klonopin", "Restoril"}),
        ("constipation", {"outcome": ["overturned"], "source": ["chronic_pain"]}, {"Miralax"}),
        (
            "weaning",
            {"specialty": ["Preventive Medicine"]},
            {"Neurontin 300mg 300mg 3 times a day for 1 week then 2 tablets 3 times a day #180"},
        ),
    ],
)
def test_filters_combined_with_text(seeded, text, filters, expected):
    assert set(requests_for(text, **filters)) == expected


def test_facets_count_the_current_results_and_keep_other_values_of_a_chosen_field(seeded):
    result = find(outcome=["overturned"], facets=[("outcome", None), ("category", None)])
    assert result.total == 5
    counts = {facet.value: facet.count for facet in result.facets["outcome"]}
    assert counts == {"upheld": 15, "overturned": 5}  # own field: counts ignore its filter
    categories = {facet.value: (facet.count, facet.overturned) for facet in result.facets["category"]}
    assert categories == {"pharmaceuticals": (4, 4), "evaluation and management": (1, 1)}
    text_only = find("opioid", facets=[("outcome", None)])
    assert sum(facet.count for facet in text_only.facets["outcome"]) == text_only.total


def test_paging_and_sorting(seeded, monkeypatch):
    everything = find()
    assert everything.total == 20 and len(everything[:100]) == 20
    pages = [find()[offset : offset + 7] for offset in (0, 7, 14)]
    assert [len(page) for page in pages] == [7, 7, 6]
    assert [hit for page in pages for hit in page] == everything[:100]
    assert find()[40:47] == []
    # Relevance: the item whose request names the drug comes before letters that only mention it.
    assert requests_for("Robaxin")[0] == "Robaxin"
    Determination.objects.filter(source_name__startswith="001").update(decision_date=date(2015, 3, 1))
    Determination.objects.filter(source_name__startswith="000").update(decision_date=date(2014, 1, 1))
    search.backend().index(Determination.objects.values_list("pk", flat=True))
    newest = requests_for(sort=search.NEWEST)
    assert (
        newest[0] == "Zanaflex 4 MG #90"
        and newest[4] == "Neurontin 300mg 300mg 3 times a day for 1 week then 2 tablets 3 times a day #180"
    )
    oldest = requests_for(sort=search.OLDEST)
    assert oldest[0].startswith("Neurontin 300mg") and oldest[2] == "Zanaflex 4 MG #90"
    assert set(requests_for(decided_from=date(2015, 1, 1))) == {
        "Zanaflex 4 MG #90",
        "Neurontin 800 MG #90",
        "Butrans Patch 5 MCG #4",
        "Klonopin .5 #30",
    }


@pytest.mark.parametrize(
    "text, message",
    [
        ('"urine drug', "quotation mark is not closed"),
        ("a*", "wildcard needs at least 3 letters"),
        ("x" * 600, "keep it under 500"),
    ],
)
def test_malformed_queries_raise_friendly_errors(seeded, text, message):
    with pytest.raises(search.QueryError, match=message):
        find(text)


def test_index_follows_the_database(seeded, django_capture_on_commit_callbacks):
    assert requests_for("Zanaflex")
    with django_capture_on_commit_callbacks(execute=True):
        Determination.objects.get(source_name__startswith="001").delete()
    assert requests_for("Zanaflex") == []
    assert find().total == 16


def test_rebuild_index_from_scratch(seeded):
    search.backend().clear()
    from django.core.management import call_command

    call_command("rebuild_index")
    assert find().total == 20
    assert requests_for("baclofen") == ["Baclofen 10mg #90"]


def test_search_page_data_highlights_and_loads_hits(seeded):
    from django.http import QueryDict

    page = results.search_results(QueryDict("q=spasm&outcome=upheld"))
    assert page.errors == [] and page.total == 2
    assert all('<mark class="match' in str(hit.passage) for hit in page.hits)
    assert {hit.item.request for hit in page.hits} == {"Zanaflex 4 MG #90", "Baclofen 10mg #90"}


def test_an_empty_index_answers_with_nothing(db):
    result = find("baclofen", outcome=["upheld"])
    assert (result.total, result[:20]) == (0, [])
    assert SEED_FILES  # the sample letters exist for the other tests


def test_rebuild_if_outdated_mends_an_index_that_lacks_letters(seeded, settings):
    """An index from before an upgrade (or one that missed writes) is rebuilt; a current one is kept."""
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("rebuild_index", "--if-outdated", stdout=out)
    assert "up to date" in out.getvalue()
    search.backend().clear()  # as an upgrade from the old layout leaves it: an empty live index
    call_command("rebuild_index", "--if-outdated", stdout=out)
    assert "Indexed 20 items" in out.getvalue() and find().total == 20
