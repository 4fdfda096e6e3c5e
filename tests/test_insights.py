"""Overturn rates with confidence: beside the hit count, per facet value, per cited page, and on the
insights page with charts, tables, CSV and JSON that agree."""

import csv
import io
import re

import pytest

from decisions import importing
from decisions.stats import Rate, wilson
from tests.letters import item, standard_letter

pytestmark = pytest.mark.django_db

OPIOIDS = "Decision based on MTUS Chronic Pain Treatment Guidelines Opioids Page(s): 80."


@pytest.mark.parametrize(
    "overturned, decisions, low, high",
    [(58, 389, 0.1171, 0.1879), (5, 20, 0.1119, 0.4687), (0, 10, 0.0, 0.2775), (10, 10, 0.7225, 1.0)],
)
def test_wilson_interval_matches_the_formula_worked_by_hand(overturned, decisions, low, high):
    computed = wilson(overturned, decisions)
    assert computed == pytest.approx((low, high), abs=1e-4)


def test_a_rate_sentence_and_too_few_decisions():
    assert Rate(58, 389).sentence() == "58 of 389 overturned — 14.9% (95% CI 11.7–18.8%)"
    assert Rate(1, 4).sentence() == "1 of 4 overturned — too few decisions to give a rate"
    assert Rate(1, 4).as_dict()["rate"] is None


def test_the_search_page_gives_the_overturn_rate_beside_the_count(client, seeded):
    html = client.get("/").content.decode()
    # The sample letters, counted by hand: Neurontin 300mg, Opana, Follow up with surgeon, Miralax and
    # Gralise overturned; 15 upheld.
    assert "5 of 20 overturned — 25.0% (95% CI 11.2–46.9%)" in html
    opioids = client.get("/", {"drug_class": "opioid"}).content.decode()
    assert "1 of 4 overturned — too few decisions to give a rate" in opioids  # Opana of 4 opioids


def test_facet_values_show_their_overturn_rate(client, seeded):
    html = client.get("/").content.decode()
    facet = html[html.index('id="facet-category"') :]
    facet = facet[: facet.index("</section>")]
    assert "20.0% overturned" not in facet  # pharmaceuticals: 4 of 15 would read 26.7%
    assert "26.7% overturned" in facet and "too few to rate" in facet


def _letter(decided, outcome, request="Norco 10/325 #90"):
    header = (
        [
            f"Case Number: CM15-00{abs(hash((decided, request))) % 99999:05d} Date Assigned: 01/05/2015",
            "UR Denial Date: 12/10/2014",
            f"Decision Date: {decided}",
            "",
        ]
        if decided
        else ()
    )
    necessity = "is medically necessary" if outcome == "Overturned" else "is not medically necessary"
    rationale = f"Opioids were reviewed. The request {necessity}."
    return standard_letter([item([f"{request}: {outcome}"], OPIOIDS, rationale)], header=header)


def _import_year_letters():
    letters = [_letter("02/11/2015", "Overturned", f"Norco {n}") for n in range(3)]
    letters += [_letter("02/11/2015", "Upheld", f"Norco {n}") for n in range(3, 12)]
    letters += [_letter("03/03/2016", "Upheld", f"Norco {n}") for n in range(12, 14)]
    letters += [_letter(None, "Overturned", f"Norco {n}") for n in range(14, 16)]
    report = importing.import_candidates(
        [importing.Candidate(f"year-{n}.txt", text.encode()) for n, text in enumerate(letters)]
    )
    assert report.count(importing.IMPORTED) == 16, [r.message for r in report.failures]


def test_insights_counts_undated_items_in_their_own_bucket(client):
    _import_year_letters()
    stats = client.get("/api/stats").json()
    years = {
        row["label"]: (row["decisions"], row["overturned"]) for row in stats["breakdowns"]["year"]["rows"]
    }
    assert years == {"2015": (12, 3), "2016": (2, 0), "Undated": (2, 2)}
    assert stats["overall"]["decisions"] == 16 and stats["overall"]["overturned"] == 5
    assert stats["breakdowns"]["year"]["rows"][0]["rate"] == pytest.approx(0.25)


def test_insights_page_charts_tables_and_csv_agree(client, seeded):
    html = client.get("/insights/").content.decode()
    assert "5 of 20 overturned — 25.0% (95% CI 11.2–46.9%)" in html
    for name in ("year", "treatment", "drug_class", "specialty", "source", "cited", "reason"):
        assert f'id="chart-{name}"' in html and f"chart={name}" in html
    assert html.count('role="img"') == 7 and html.count('<svg class="rate-bar"') >= 7
    rows = list(
        csv.DictReader(io.StringIO(client.get("/insights.csv", {"chart": "source"}).content.decode()))
    )
    stats = client.get("/api/stats").json()["breakdowns"]["source"]["rows"]
    assert [(row["source"], int(row["decisions"]), int(row["overturned"])) for row in rows] == [
        (row["label"], row["decisions"], row["overturned"]) for row in stats
    ]
    assert client.get("/insights.csv", {"chart": "nonsense"}).status_code == 400


def test_insights_follow_the_search_and_set_the_outcome_filter_aside(client, seeded):
    html = client.get("/insights/", {"drug_class": "opioid", "outcome": "upheld"}).content.decode()
    assert "1 of 4 overturned — too few decisions to give a rate" in html
    assert "outcome filter is set aside" in html
    assert client.get("/api/stats", {"cited_page": "x"}).status_code == 400


def test_cited_pages_split_outcomes_and_sort_by_rate(client, seeded):
    html = client.get("/cited/", {"source": "chronic_pain"}).content.decode()
    assert "Upheld" in html and "Overturned" in html and "too few to rate" in html
    by_count = re.findall(r"/cited/chronic_pain/(\d+)/\">p\. \d+</a>", html)
    by_rate = re.findall(
        r"/cited/chronic_pain/(\d+)/\">p\. \d+</a>",
        client.get("/cited/", {"source": "chronic_pain", "sort": "rate"}).content.decode(),
    )
    assert sorted(by_count) == sorted(by_rate) and by_count
    page_80 = html[html.index("p. 80</a>") :]
    cells = re.findall(r"<td>(?:<a [^>]*>)?([^<]*)(?:</a>)?</td>", page_80)[:3]
    assert cells == ["2", "2", "0"]  # Norco and Oxycontin cite p. 80, both upheld


def test_facet_rates_are_not_shown_when_an_outcome_is_chosen(client, seeded):
    html = client.get("/", {"outcome": "upheld"}).content.decode()
    assert "% overturned</span>" not in html and "facet-rate" not in html
    assert "5 of 20 overturned" in html  # the rate beside the count sets the outcome filter aside
