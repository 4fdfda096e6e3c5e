"""Values every page template uses."""

from django.urls import reverse


def search_url(request):
    """The search page's address, reversed once per request instead of once per link."""
    return {"search_url": reverse("decisions:search")}
