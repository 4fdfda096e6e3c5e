"""Every fact on a page leads to the search it names; facets show all their values; date filters
say what they leave out; the filters open from the top on a phone."""

import re

import pytest

from decisions.models import DecisionItem, Determination
from tests.search.corpus import import_corpus

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus(db):
    import_corpus()


def _count(html):
    return int(re.search(r"<strong>([\d,]+)</strong> decision item", html).group(1).replace(",", ""))


def _get(client, url, **params):
    return client.get(url, params).content.decode()


def test_chips_on_a_hit_are_links_to_the_search_they_name(client, corpus):
    html = _get(client, "/", q="baclofen")
    assert '<a class="chip" href="/?treatment=baclofen"' in html
    assert '<a class="chip chip-class" href="/?drug_class=muscle%20relaxant"' in html
    assert '<a class="chip chip-category" href="/?category=pharmaceuticals"' in html
    assert '<a class="fact-link" href="/?specialty=Orthopaedic%20Surgery"' in html
    assert _count(_get(client, "/?drug_class=muscle%20relaxant")) == 1
    assert _count(_get(client, "/?category=pharmaceuticals")) == 3  # norco, baclofen, gabapentin


def test_the_letter_links_its_facts_and_diagnoses(client, corpus):
    letter = Determination.objects.get(case_number="CM14-0000003")
    assert letter.diagnoses == ["cervical strain", "myofascial pain"]
    html = _get(client, letter.get_absolute_url())
    assert (
        '<a href="/?diagnosis=cervical%20strain"' in html
        and '<a href="/?diagnosis=myofascial%20pain"' in html
    )
    assert '<a href="/?specialty=Orthopaedic%20Surgery"' in html and '<a href="/?state=California"' in html
    assert '<a class="chip" href="/?treatment=TENS%20unit"' in html
    diagnosed = _get(client, "/?diagnosis=cervical%20strain")
    assert _count(diagnosed) == 2 and "Diagnosis: cervical strain" in diagnosed  # the active-filter bar


def test_diagnosis_is_a_facet_and_a_query_field(client, corpus):
    html = _get(client, "/")
    facet = re.search(r'<section class="facet" id="facet-diagnosis">(.*?)</section>', html, re.DOTALL).group(
        1
    )
    assert "cervical strain" in facet and "myofascial pain" in facet
    assert _count(_get(client, "/", q='diagnosis:"myofascial pain"')) == 2


def test_every_facet_can_show_all_its_values(client, corpus, monkeypatch):
    from decisions.search.fields import FILTER_FIELDS, FilterField

    monkeypatch.setitem(
        FILTER_FIELDS, "treatment", FilterField("treatment", "keyword", "Treatment", facet_limit=3)
    )
    html = _get(client, "/")
    facet = re.search(r'id="facet-treatment">(.*?)</section>', html, re.DOTALL).group(1)
    assert facet.count('class="facet-value') == 3
    more = re.search(
        r'<a class="facet-more" href="\?([^"#]+)#facet-treatment">Show all treatment values</a>', facet
    )
    assert more and more.group(1) == "more=treatment"
    every = _get(client, "/?" + more.group(1))
    opened = re.search(r'id="facet-treatment">(.*?)</section>', every, re.DOTALL).group(1)
    assert opened.count('class="facet-value') == DecisionItem.objects.values("treatment").distinct().count()
    assert "Show fewer" in opened and "Show all" not in opened


def test_date_received_filter(client, corpus):
    assert _count(_get(client, "/", received_after="2014-12-01", received_before="2014-12-31")) == 6
    html = _get(client, "/", received_after="2015-01-01")
    assert _count(html) == 0 and "Received from: 2015-01-01" in html
    wrong = _get(client, "/", received_after="2015-01-01", received_before="2014-01-01")
    assert "Dates received: the start date is after the end date." in wrong


def test_a_date_filter_says_how_many_undated_items_it_leaves_out_and_can_include_them(client, corpus):
    html = _get(client, "/", decided_after="2016-01-01")
    assert _count(html) == 2
    hint = re.search(
        r"2 items with no decision date in the letter are left out by the decision date filter\. "
        r'<a href="\?([^"]+)">Include them</a>',
        html,
    )
    assert hint
    included = _get(client, "/?" + hint.group(1).replace("&amp;", "&"))
    assert _count(included) == 4 and "left out" not in included
    assert "Undated items included: decision date" in included  # in the bar, removable
    assert '<input type="hidden" name="undated" value="decided">' in included  # kept by the form
    assert "left out" not in _get(client, "/", injured_before="2030-01-01", q="spasm")  # none undated


def test_filters_are_a_details_panel_that_says_how_many_are_in_force(client, corpus):
    html = _get(client, "/", q="therapy", outcome="upheld")
    assert '<details class="filters-panel">' in html
    assert "<summary>Filters · 2 in force</summary>" in html
