"""JSON API, CSV export and the parse_letter command, checked against the shared letter schema."""

import csv
import io
import json

import pytest
from django.core.management import call_command

from decisions.models import DecisionItem, Determination
from tests.letters import SEED_FILES, pdf_bytes

SOURCES = {"chronic_pain", "acoem", "postsurgical", "mtus_other", "non_mtus"}


def _date_or_none(value):
    return value is None or (isinstance(value, str) and len(value) == 10 and value[4] == value[7] == "-")


def assert_letter_schema(letter):
    """The keys and value types of ../shared/letter-schema.md."""
    assert set(letter) >= {
        "source_file",
        "content_sha256",
        "format",
        "case_number",
        "dates",
        "reviewer",
        "patient",
        "clinical_summary",
        "items",
        "warnings",
    }
    assert isinstance(letter["source_file"], str) and len(letter["content_sha256"]) == 64
    assert letter["format"] in {"standard", "with_header", "legacy_2013"}
    assert letter["case_number"] is None or letter["case_number"].startswith("CM")
    assert set(letter["dates"]) == {"assigned", "ur_denial", "decision", "received"}
    assert all(_date_or_none(value) for value in letter["dates"].values())
    assert set(letter["reviewer"]) == {"licensure_states", "specialties"}
    assert all(
        isinstance(v, str) for v in letter["reviewer"]["licensure_states"] + letter["reviewer"]["specialties"]
    )
    assert set(letter["patient"]) == {"age", "sex", "date_of_injury"}
    assert letter["patient"]["age"] is None or isinstance(letter["patient"]["age"], int)
    assert letter["patient"]["sex"] in {"male", "female", None}
    assert _date_or_none(letter["patient"]["date_of_injury"])
    assert isinstance(letter["clinical_summary"], str) and isinstance(letter["warnings"], list)
    assert letter["items"]
    for item in letter["items"]:
        assert set(item) == {
            "request",
            "outcome",
            "claims_administrator_guideline",
            "maximus_guideline",
            "citations",
            "rationale",
            "necessity",
            "treatment",
            "authorization",
            "cites_no_evidence",
            "claims_administrator_citations",
            "reasons",
        }
        assert item["authorization"] is None or set(item["authorization"]) == {
            "original",
            "authorized",
            "remaining",
        }
        assert item["outcome"] in {"upheld", "overturned"}
        assert item["necessity"] in {"necessary", "not_necessary", "unstated"}
        for citation in item["citations"]:
            assert set(citation) == {"source", "chapter", "topic", "pages", "sections", "guideline"}
            assert all(isinstance(section, str) for section in citation["sections"])
            assert citation["source"] in SOURCES
            assert citation["chapter"] is None or isinstance(citation["chapter"], str)
            assert citation["pages"] == sorted(set(citation["pages"])) and all(
                isinstance(p, int) for p in citation["pages"]
            )
        assert set(item["treatment"]) == {"name", "category", "drug_class", "strength", "quantity", "refills"}
        assert item["treatment"]["quantity"] is None or isinstance(item["treatment"]["quantity"], int)
        for text in (item["request"], item["rationale"]):
            assert "\n" not in text and "  " not in text


def test_parse_letter_json_for_every_seed(capsys):
    call_command("parse_letter", *map(str, SEED_FILES), "--json")
    letters = json.loads(capsys.readouterr().out)
    assert [letter["source_file"] for letter in letters] == [path.name for path in SEED_FILES]
    for letter in letters:
        assert_letter_schema(letter)
    assert letters[0]["items"][1]["citations"] == [
        {
            "source": "chronic_pain",
            "chapter": None,
            "topic": "Muscle relaxants (for pain) and Weaning of medications sections",
            "pages": [63, 64, 124],
            "sections": [],
            "guideline": "chronic_pain",
        }
    ]
    assert letters[1]["items"][0]["treatment"] == {
        "name": "tizanidine",
        "category": "pharmaceuticals",
        "drug_class": "muscle relaxant",
        "strength": "4mg",
        "quantity": 90,
        "refills": None,
    }


def test_parse_letter_reports_failures_and_goes_on(tmp_path, capsys):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 nothing")
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(pdf_bytes(SEED_FILES[1].read_text()))
    with pytest.raises(SystemExit) as exit_info:
        call_command("parse_letter", str(broken), str(tmp_path / "missing.txt"), str(letter), "--json")
    assert exit_info.value.code == 1
    results = json.loads(capsys.readouterr().out)
    assert [set(r) == {"source_file", "error"} for r in results] == [True, True, False]
    assert "No such file" in results[1]["error"]
    assert_letter_schema(results[2])


def test_parse_letter_plain_summary(capsys):
    call_command("parse_letter", str(SEED_FILES[0]))
    out = capsys.readouterr().out
    assert "000_3fe309f923c0c51a.txt: standard letter, 2 items" in out
    assert "2. Baclofen 10mg #90 -> upheld (not_necessary) chronic_pain [63, 64, 124]" in out


@pytest.mark.django_db
def test_stored_letter_json_matches_parse_letter(client, seeded, capsys):
    determination = Determination.objects.get(source_name=SEED_FILES[2].name)
    response = client.get(f"/api/determinations/{determination.pk}")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    stored = response.json()
    assert_letter_schema(stored)
    call_command("parse_letter", str(SEED_FILES[2]), "--json")
    parsed = json.loads(capsys.readouterr().out)[0]
    assert stored.pop("id") == determination.pk
    assert stored == parsed


@pytest.mark.django_db
def test_api_errors_are_json(client, seeded):
    missing = client.get("/api/determinations/424242")
    assert missing.status_code == 404 and "error" in missing.json()
    bad = client.get("/api/items", {"cited_page": "80-x"})
    assert bad.status_code == 400 and "Cited page" in bad.json()["error"]
    assert client.get("/api/items", {"q": '"open'}).status_code == 400
    assert client.post("/api/items").status_code == 405


@pytest.mark.django_db
def test_api_items_page_with_highlights_and_facets(client, seeded):
    body = client.get("/api/items", {"q": "opioid", "outcome": "upheld", "source": "chronic_pain"}).json()
    assert body["count"] == len(body["results"]) > 0 and body["pages"] == 1
    for result in body["results"]:
        assert result["outcome"] == "upheld"
        assert any(c["source"] == "chronic_pain" for c in result["citations"])
        assert "<mark" in result["highlight"] and result["url"].startswith("http://testserver/letters/")
    assert {f["value"] for f in body["facets"]["outcome"]} == {"upheld", "overturned"}
    assert body["facets"]["outcome"][0]["selected"] in (True, False)


@pytest.mark.django_db
def test_csv_export_streams_every_matching_item(client, seeded):
    response = client.get("/export.csv", {"outcome": "upheld", "sort": "newest"})
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())  # Excel on Windows reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == 15 and {row["outcome"] for row in rows} == {"upheld"}
    assert response["Content-Disposition"] == 'attachment; filename="imr-decisions-upheld.csv"'
    assert all(row["rationale"] and row["item_id"] for row in rows)
    baclofen = next(row for row in rows if row["request"] == "Baclofen 10mg #90")
    stored = DecisionItem.objects.select_related("determination").get(pk=baclofen["item_id"])
    assert baclofen["injury_date"] == stored.determination.date_of_injury.isoformat()
    assert baclofen["citations"] == (
        "MTUS Chronic Pain Muscle relaxants (for pain) and Weaning of medications sections p. 63–64, 124"
    )
    assert client.get("/export.csv", {"cited_page": "nope"}).status_code == 400


@pytest.mark.django_db
def test_api_docs_page(client, db):
    html = client.get("/api/").content.decode()
    assert "/api/determinations/&lt;id&gt;" in html and "/export.csv" in html
