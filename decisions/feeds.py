"""An Atom feed for any search: the same parameters as the search page, newest decisions first, so
a feed reader follows a question ("overturned opioid requests citing Chronic Pain p. 80")."""

import datetime
import re

from django.contrib.syndication.views import Feed
from django.http import HttpResponse
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import linebreaks

from decisions import search
from decisions.results import active_filters, search_results, without

# What XML 1.0 cannot hold, though a search box can (a vertical tab, a form feed, ...).
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class BadSearch(ValueError):
    """The feed's parameters are not a search the page could run (400), or the index cannot be read
    now (503); the message says why."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


class SearchFeed(Feed):
    feed_type = Atom1Feed

    def __call__(self, request, *args, **kwargs):
        try:
            return super().__call__(request, *args, **kwargs)
        except BadSearch as error:
            return HttpResponse(str(error), status=error.status, content_type="text/plain; charset=utf-8")

    def get_object(self, request):
        params = request.GET.copy()
        params["sort"] = search.NEWEST
        params.pop("page", None)
        result = search_results(params)
        if result.errors:
            raise BadSearch(" ".join(result.errors), 503 if result.unavailable else 400)
        named = [label for label, _ in active_filters(request.GET)]
        return {"result": result, "query": without(request.GET), "named": named}

    def title(self, feed):
        """What the search is: `IMR decisions: Words: baclofen · Treatment: baclofen · Outcome: Upheld`."""
        named = _NOT_XML.sub(" ", " · ".join(feed["named"])).strip()
        return f"IMR decisions: {named}" if named else "IMR decisions"

    def subtitle(self, feed):
        return f"{feed['result'].total:,} items match; the newest decisions first."

    def link(self, feed):
        query = feed["query"]
        return reverse("decisions:search") + (f"?{query}" if query else "")

    def feed_url(self, feed):
        query = feed["query"]
        return reverse("decisions:search_feed") + (f"?{query}" if query else "")

    def items(self, feed):
        return [hit.item for hit in feed["result"].hits]

    def item_title(self, item):
        return f"{item.request} — {item.get_outcome_display()}"

    def item_description(self, item):
        """The rationale as HTML paragraphs of escaped text (Atom says the content is HTML)."""
        return linebreaks(item.rationale, autoescape=True)

    def item_link(self, item):
        return item.get_absolute_url()

    def item_guid(self, item):
        return f"imr-item-{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        """When IMR decided it (the letter's decision date), else when the site received it."""
        decided = item.determination.decision_date
        if decided is None:
            return item.determination.imported_at
        return datetime.datetime.combine(decided, datetime.time(), tzinfo=datetime.UTC)

    def item_updateddate(self, item):
        return self.item_pubdate(item)

    def item_categories(self, item):
        return [value for value in (item.treatment, item.treatment_category, item.outcome) if value]
