"""Accounts, saved searches, alert digests (each new item exactly once) and unsubscribing."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from alerts import digests
from alerts.models import Delivery, SavedSearch
from benchmarks import corpus
from decisions import importing, tasks
from decisions.models import DecisionItem, Determination
from tests.letters import SEED_FILES

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)


@pytest.fixture
def adjuster(client):
    user = get_user_model().objects.create_user("adjuster", "adjuster@example.org", "a long test password 4U")
    client.force_login(user)
    return user


def _import(name, text):
    report = importing.import_candidates([importing.Candidate(name, text.encode())])
    assert report.count(importing.IMPORTED) == 1, report.results
    return Determination.objects.get(source_name=name)


def _baclofen_letter(name, quantity=60):
    """A new letter (another quantity makes its content differ from the seed's) with a Baclofen item."""
    return _import(name, SEED_FILES[0].read_text().replace("Baclofen 10mg #90", f"Baclofen 10mg #{quantity}"))


def test_saving_listing_renaming_and_deleting_a_search(client, adjuster, seeded):
    page = client.get("/?q=baclofen&outcome=upheld&page=2").content.decode()
    assert "Save this search" in page and 'form="save-search"' in page
    response = client.post(
        "/alerts/save/", {"name": "Baclofen upheld", "query": "q=baclofen&outcome=upheld&page=2"}
    )
    saved = SavedSearch.objects.get()
    assert response.url == "/alerts/" and saved.query == "q=baclofen&outcome=upheld"
    listing = client.get("/alerts/").content.decode()
    assert "Baclofen upheld" in listing and 'href="/?q=baclofen&amp;outcome=upheld"' in listing
    assert client.get(saved.get_absolute_url()).status_code == 200
    client.post(f"/alerts/{saved.pk}/", {f"s{saved.pk}-name": "Baclofen", f"s{saved.pk}-frequency": "daily"})
    saved.refresh_from_db()
    assert (saved.name, saved.frequency) == ("Baclofen", "daily")
    client.post("/alerts/save/", {"name": "Baclofen", "query": "q=other"})
    assert "already have a saved search" in client.get("/alerts/").content.decode()
    client.post(f"/alerts/{saved.pk}/delete/")
    assert not SavedSearch.objects.exists()


def test_saved_searches_are_private_and_need_an_account(client, seeded):
    assert client.get("/alerts/").status_code == 302
    assert client.post("/alerts/save/", {"name": "x", "query": "q=x"}).status_code == 302
    other = get_user_model().objects.create_user("other", "o@example.org", "a long test password 4U")
    saved = SavedSearch.objects.create(owner=other, name="theirs", query="q=x")
    user = get_user_model().objects.create_user("me", "me@example.org", "a long test password 4U")
    client.force_login(user)
    assert client.post(f"/alerts/{saved.pk}/delete/").status_code == 404
    assert "Log in to save this search" not in client.get("/?q=baclofen").content.decode()


def test_a_letter_imported_after_a_digest_comes_in_the_next_one_exactly_once(adjuster, seeded):
    now = timezone.now()
    saved = SavedSearch.objects.create(owner=adjuster, name="Baclofen", query="q=baclofen", frequency="daily")
    SavedSearch.objects.filter(pk=saved.pk).update(created_at=now - 2 * DAY, last_sent_at=now - 2 * DAY)
    Determination.objects.update(imported_at=now - 3 * DAY)  # the archive, imported long ago
    first = digests.send_due(now)
    assert first == [] and not mail.outbox  # nothing new: no email, but the digest is done
    letter = _baclofen_letter("new-baclofen.txt")
    item = letter.items.get(request__icontains="baclofen")
    sent = digests.send_due(now + DAY)
    assert [d.total for d in sent] == [1] and len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["adjuster@example.org"] and email.subject == "1 new IMR decision: Baclofen"
    assert f"http://127.0.0.1:8000/letters/{letter.pk}/#item-{item.position}" in email.body
    assert "/alerts/unsubscribe/" in email.body
    assert digests.send_due(now + 2 * DAY) == [] and len(mail.outbox) == 1  # never again
    Determination.objects.filter(pk=letter.pk).update(imported_at=now + 2 * DAY)  # even if seen as new
    assert digests.send_due(now + 3 * DAY) == [] and Delivery.objects.count() == 1


def test_a_new_saved_search_starts_from_now_not_from_every_current_match(client, adjuster, db):
    importing.import_candidates(importing.Candidate(n, t.encode()) for n, t in corpus.letters(8, seed=5))
    client.post("/alerts/save/", {"name": "everything", "query": ""})  # a broad search, just imported
    saved = SavedSearch.objects.get()
    SavedSearch.objects.filter(pk=saved.pk).update(frequency="daily")
    assert digests.send_due() == [] and not mail.outbox  # the first digest calls nothing new
    letter = _baclofen_letter("after-saving.txt")
    (digest,) = digests.send_due(timezone.now() + DAY)
    assert digest.total == letter.items.count() and mail.outbox[0].subject.startswith(
        f"{digest.total} new IMR"
    )


def test_only_due_searches_are_sent_and_a_second_run_sends_nothing(adjuster, seeded):
    now = timezone.now()
    weekly = SavedSearch.objects.create(owner=adjuster, name="weekly", query="q=baclofen", frequency="weekly")
    off = SavedSearch.objects.create(owner=adjuster, name="off", query="q=baclofen", frequency="off")
    SavedSearch.objects.update(created_at=now - DAY, last_sent_at=now - DAY)
    _baclofen_letter("late.txt", quantity=30)
    assert digests.send_due(now + DAY) == []  # a weekly digest is not due after two days
    sent = digests.send_due(now + 7 * DAY)
    assert [d.saved for d in sent] == [weekly] and digests.send_due(now + 7 * DAY) == []
    assert not Delivery.objects.filter(saved_search=off).exists()


def test_a_digest_of_many_items_lists_some_counts_all_and_never_repeats(adjuster, db, monkeypatch):
    monkeypatch.setattr(digests, "SHOWN", 5)
    saved = SavedSearch.objects.create(owner=adjuster, name="all", query="", frequency="daily")
    SavedSearch.objects.filter(pk=saved.pk).update(last_sent_at=timezone.now() - 2 * DAY)
    importing.import_candidates(importing.Candidate(n, t.encode()) for n, t in corpus.letters(12, seed=3))
    total = DecisionItem.objects.count()
    (digest,) = digests.send_due()
    assert digest.total == total and len(digest.items) == 5 and Delivery.objects.count() == total
    assert f"… and {total - 5} more" in mail.outbox[0].body
    assert digests.send_due(timezone.now() + 2 * DAY) == []


def test_a_saved_search_that_no_longer_runs_sends_nothing(adjuster, seeded):
    SavedSearch.objects.create(owner=adjuster, name="broken", query="cited_page=99999", frequency="daily")
    assert digests.send_due() == [] and not mail.outbox


def test_unsubscribe_asks_then_stops_without_logging_in(client, adjuster, seeded):
    saved = SavedSearch.objects.create(owner=adjuster, name="Baclofen", query="q=baclofen", frequency="daily")
    client.logout()
    url = f"/alerts/unsubscribe/{digests.unsubscribe_token(saved)}/"
    assert "Stop these emails" in client.get(url).content.decode()
    saved.refresh_from_db()
    assert saved.frequency == "daily"  # a mail scanner's GET changes nothing
    assert "no more emails" in client.post(url).content.decode()
    saved.refresh_from_db()
    assert saved.frequency == "off"
    assert client.get("/alerts/unsubscribe/forged-token/").status_code == 404


def test_send_alerts_command_and_the_workers_periodic_task(adjuster, seeded, capsys, run_worker, settings):
    saved = SavedSearch.objects.create(owner=adjuster, name="Baclofen", query="q=baclofen", frequency="daily")
    # saved before the letters came in, last sent two days ago: the letters are new to it
    SavedSearch.objects.filter(pk=saved.pk).update(
        created_at=timezone.now() - 3 * DAY, last_sent_at=timezone.now() - 2 * DAY
    )
    call_command("send_alerts")
    assert "Sent 1 digest(s)." in capsys.readouterr().out and len(mail.outbox) == 1
    tasks.enqueue_periodic()
    tasks.enqueue_periodic()  # one waiting is enough
    assert DBTaskResult.objects.filter(task_path="alerts.tasks.send_alerts").count() == 1
    run_worker()
    assert DBTaskResult.objects.get(task_path="alerts.tasks.send_alerts").status == "SUCCESSFUL"


def test_login_and_logout_pages(client, seeded):
    get_user_model().objects.create_user("adjuster", "adjuster@example.org", "a long test password 4U")
    page = client.get("/account/login/").content.decode()
    assert "Log in" in page and "Forgotten your password?" in page and 'href="/static/css/site.css"' in page
    response = client.post(
        "/account/login/",
        {"username": "adjuster", "password": "a long test password 4U", "next": "/?q=baclofen"},
    )
    assert response.url == "/?q=baclofen"
    assert "Saved searches" in client.get("/").content.decode()
    assert client.post("/account/logout/").status_code == 302
    assert "Log in" in client.get("/").content.decode()


def test_password_reset_sends_a_link_by_email(client, seeded):
    get_user_model().objects.create_user("adjuster", "adjuster@example.org", "a long test password 4U")
    assert client.post("/account/password_reset/", {"email": "adjuster@example.org"}).status_code == 302
    assert len(mail.outbox) == 1 and "/account/reset/" in mail.outbox[0].body
