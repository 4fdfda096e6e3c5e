"""The Atom feed of a search: what a feed reader gets for any search URL."""

import feedparser
import pytest

from decisions.models import DecisionItem, Determination
from tests.letters import SEED_FILES

pytestmark = pytest.mark.django_db


def _feed(client, query=""):
    response = client.get(f"/feed/?{query}")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.bozo_exception  # well-formed Atom
    return parsed


def test_the_feed_of_a_search_lists_its_items_newest_decision_first(client, seeded):
    parsed = _feed(client, "q=baclofen&outcome=upheld")
    assert parsed.version == "atom10"
    assert parsed.feed.title == "IMR decisions: Words: baclofen · Outcome: Upheld"  # the whole search
    expected = DecisionItem.objects.filter(outcome="upheld", request__icontains="baclofen")
    assert len(parsed.entries) == expected.count() > 0
    assert all(entry.title.endswith("— Upheld") for entry in parsed.entries)
    assert parsed.entries[0].link.endswith(f"#item-{expected.first().position}")
    assert "/?q=baclofen&outcome=upheld" in parsed.feed.link


def test_every_item_once_newest_decisions_first_and_usable_without_an_account(client, seeded):
    parsed = _feed(client)
    assert (
        len({entry.id for entry in parsed.entries})
        == len(parsed.entries)
        == min(DecisionItem.objects.count(), 25)
    )
    dated = list(
        Determination.objects.exclude(decision_date=None)
        .order_by("-decision_date")
        .values_list("pk", flat=True)
    )
    letters = []
    for entry in parsed.entries:
        letter = int(entry.link.split("/letters/")[1].split("/")[0])
        if letter not in letters:
            letters.append(letter)
    assert [pk for pk in letters if pk in dated] == dated[: len([pk for pk in letters if pk in dated])]


def test_text_in_the_feed_is_escaped(client, seeded):
    item = DecisionItem.objects.first()
    item.rationale = "Denied <script>alert(1)</script> & more"
    item.save()
    response = client.get("/feed/")
    assert b"<script>" not in response.content
    entry = next(e for e in feedparser.parse(response.content).entries if e.id == f"imr-item-{item.pk}")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in entry.summary


def test_a_search_that_cannot_run_is_not_a_feed(client, seeded):
    unclosed = client.get('/feed/?q="unclosed')
    assert unclosed.status_code == 400 and "quotation mark is not closed" in unclosed.content.decode()
    assert client.get("/feed/?cited_page=99999").status_code == 400


def test_the_search_page_links_its_feed(client, seeded):
    html = client.get("/?q=baclofen").content.decode()
    assert '<link rel="alternate" type="application/atom+xml"' in html and "/feed/?q=baclofen" in html
    assert SEED_FILES


@pytest.mark.parametrize("control", ["\x01", "\x0b", "\x1f"])
def test_a_search_with_characters_xml_cannot_hold_still_has_a_feed(client, seeded, control):
    response = client.get("/feed/", {"q": f"baclofen upheld{control}opioid"})
    assert response.status_code == 200
    assert feedparser.parse(response.content).feed.title == "IMR decisions: Words: baclofen upheld opioid"


def test_an_entry_is_dated_by_its_decision_not_by_its_import(client, seeded):
    """Found in a feed reader: every entry carried the moment the archive was imported."""
    import datetime

    from decisions import importing

    header = "Case Number: CM17-0001234 Date Assigned: 01/05/2017\nDecision Date: 02/11/2017\n\n"
    importing.import_candidates(
        [importing.Candidate("dated.txt", (header + SEED_FILES[0].read_text()).encode())]
    )
    parsed = _feed(client, "q=baclofen")
    for entry in parsed.entries:
        item = DecisionItem.objects.get(pk=int(entry.id.removeprefix("imr-item-")))
        decided = item.determination.decision_date
        published = datetime.date(*entry.published_parsed[:3])
        assert published == (decided or item.determination.imported_at.date())
        assert entry.updated_parsed == entry.published_parsed
    assert any(DecisionItem.objects.get(pk=int(e.id[9:])).determination.decision_date for e in parsed.entries)
