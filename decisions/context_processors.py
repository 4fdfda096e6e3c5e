"""Values every page template uses."""

from django.urls import reverse

from decisions import indexing


def search_url(request):
    """The search page's address, reversed once per request instead of once per link."""
    return {"search_url": reverse("decisions:search")}


def index_notices(request):
    """What searches miss while the index is damaged or behind the database (every page says it)."""
    return {"index_notices": indexing.notices()}
