"""Pages: the search page, a letter, and browsing by cited guideline page."""

from django.conf import settings
from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from decisions import vocabulary
from decisions.models import READER_PREFETCH, CitedPage, Determination, GuidelineCitation, GuidelineSource
from decisions.results import highlighter_for, search_results
from decisions.search.fields import FACET_FIELDS


def search_page(request):
    result = search_results(request.GET)
    carried = [(name, value) for name in FACET_FIELDS for value in request.GET.getlist(name) if value.strip()]
    base_query = request.GET.copy()
    base_query.pop("page", None)
    return render(
        request,
        "decisions/search.html",
        {
            "result": result,
            "carried": carried,
            "base_query": base_query.urlencode(),
            "treatment_names": _treatment_names,
            "vocabulary_version": vocabulary.size()["version"],
            "export_max_rows": settings.IMR_EXPORT_MAX_ROWS,
        },
    )


def _treatment_names():
    """For the typed-treatment datalist (rendered once per vocabulary version, then cached)."""
    return vocabulary.generic_names() + vocabulary.non_drug_treatments()


def determination_page(request, pk):
    determination = get_object_or_404(
        Determination.objects.prefetch_related(
            *READER_PREFETCH,
            Prefetch("items__citations", queryset=GuidelineCitation.objects.prefetch_related("cited_pages")),
        ),
        pk=pk,
    )
    query_text = request.GET.get("q", "")
    highlighter = highlighter_for(query_text)
    items = [(item, highlighter.marked(item.rationale)) for item in determination.items.all()]
    return render(
        request,
        "decisions/determination.html",
        {
            "determination": determination,
            "items": items,
            "summary": highlighter.marked(determination.clinical_summary),
            "query_text": query_text,
            "back_query": request.GET.get("back", ""),
        },
    )


def cited_page(request, source, page):
    """One click from a citation: every item citing this page of this guideline."""
    if source not in GuidelineSource.values:
        raise Http404("Unknown guideline source")
    return redirect(f"{reverse('decisions:search')}?{urlencode({'page_source': source, 'cited_page': page})}")


def cited_pages(request):
    """The guideline pages most cited by IMR reviewers, per source."""
    source = request.GET.get("source") or GuidelineSource.CHRONIC_PAIN
    if source not in GuidelineSource.values:
        source = GuidelineSource.CHRONIC_PAIN
    rows = (
        CitedPage.objects.filter(source=source)
        .values("page")
        .annotate(items=Count("item", distinct=True))
        .order_by("-items", "page")[:150]
    )
    return render(
        request,
        "decisions/cited_pages.html",
        {
            "rows": rows,
            "source": source,
            "sources": GuidelineSource.choices,
            "source_label": GuidelineSource(source).label,
        },
    )
