"""Alert digests: for each saved search that is due, the items new since its last digest that match
it, each item sent once, by email with links and an unsubscribe link.

"New" means imported since the last digest, less a margin (a letter whose import committed late
still counts); Delivery rows make sure nothing the margin brings back is sent twice. A saved
search starts from the moment it was saved: what matched then is what the person saw, not news. The saved
search runs through the same validation and search backend as the search page, restricted to the
new items, so it means exactly what it meant on the page.
"""

import logging
from dataclasses import dataclass, replace
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.http import QueryDict
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from alerts.models import Delivery, SavedSearch
from decisions import search
from decisions.models import DecisionItem
from decisions.results import load_items, validate

logger = logging.getLogger(__name__)

MARGIN = timedelta(hours=1)
SHOWN = 50  # items listed in one email; the rest are counted, with a link to see them all
PERIODS = {SavedSearch.Frequency.DAILY: timedelta(days=1), SavedSearch.Frequency.WEEKLY: timedelta(days=7)}
SLACK = timedelta(minutes=10)  # a digest sent a little early by the scheduler still counts as due
UNSUBSCRIBE_SALT = "alerts.unsubscribe"


@dataclass
class Digest:
    saved: SavedSearch
    items: list  # the items shown, newest decision first
    total: int  # every new match (all of them are recorded as sent)


def is_due(saved, now):
    period = PERIODS.get(saved.frequency)
    return period is not None and (saved.last_sent_at is None or now - saved.last_sent_at >= period - SLACK)


def new_matches(saved, now):
    """Ids of the new items the saved search matches (newest decision first), and the search's own
    error when it no longer runs."""
    since = max(saved.last_sent_at - MARGIN, saved.created_at) if saved.last_sent_at else saved.created_at
    candidates = list(
        DecisionItem.objects.filter(
            determination__imported_at__gte=since, determination__imported_at__lte=now
        )
        .exclude(pk__in=Delivery.objects.filter(saved_search=saved).values("item"))
        .values_list("pk", flat=True)
    )
    if not candidates:
        return []
    params = QueryDict(saved.query, mutable=True)
    params.pop("page", None)
    params["sort"] = search.NEWEST
    filterset, errors = validate(params)
    if errors:
        logger.warning("saved search %s no longer runs: %s", saved.pk, " ".join(errors))
        return []
    query = filterset.qs
    query = replace(query, filters=(*query.filters, (search.ITEMS, search.ItemIds(tuple(candidates)))))
    results = search.backend().search(query)
    return [hit.item_id for hit in results[: results.total]]


def unsubscribe_token(saved):
    return signing.dumps(saved.pk, salt=UNSUBSCRIBE_SALT)


def saved_search_for(token):
    """The saved search an unsubscribe link names, or None for a link that was not ours."""
    try:
        pk = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return SavedSearch.objects.filter(pk=pk).first()


def _absolute(path):
    return settings.SITE_URL.rstrip("/") + path


def _send(digest):
    saved = digest.saved
    context = {
        "digest": digest,
        "links": [(item, _absolute(item.get_absolute_url())) for item in digest.items],
        "more": digest.total - len(digest.items),
        "search_url": _absolute(saved.get_absolute_url()),
        "manage_url": _absolute(reverse("alerts:list")),
        "unsubscribe_url": _absolute(reverse("alerts:unsubscribe", args=[unsubscribe_token(saved)])),
    }
    plural = "s" if digest.total != 1 else ""
    send_mail(
        f"{digest.total} new IMR decision{plural}: {saved.name}",
        render_to_string("alerts/digest_email.txt", context),
        None,
        [saved.owner.email],
    )


def send_due(now=None):
    """Send every digest that is due; safe to run twice at once (each saved search is locked and
    looked at again). Returns the digests sent."""
    now = now or timezone.now()
    sent = []
    due = SavedSearch.objects.exclude(frequency=SavedSearch.Frequency.OFF).exclude(owner__email="")
    for saved_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            saved = (
                SavedSearch.objects.select_for_update().select_related("owner").filter(pk=saved_id).first()
            )
            if saved is None or not is_due(saved, now):
                continue
            matched = new_matches(saved, now)
            if matched:
                digest = Digest(saved, load_items(matched[:SHOWN]), len(matched))
                Delivery.objects.bulk_create(Delivery(saved_search=saved, item_id=pk) for pk in matched)
                _send(digest)  # a failure rolls the deliveries back: the next run tries again
                sent.append(digest)
            saved.last_sent_at = now
            saved.save(update_fields=["last_sent_at"])
    return sent
