"""Pages: the search page, a letter, decisions like an item, an estimate from precedent, and browsing
by cited guideline page."""

from django.conf import settings
from django.db.models import Prefetch
from django.http import FileResponse, Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from decisions import cited, explorer, search, vocabulary
from decisions.estimate import EstimateForm, estimate, request_like, wider
from decisions.insights import insights
from decisions.models import (
    READER_PREFETCH,
    Determination,
    GuidelineCitation,
    Outcome,
)
from decisions.results import (
    active_filters,
    highlighter_for,
    letter_for_case_number,
    search_results,
    validate,
    without,
    without_blanks,
)
from decisions.search.fields import FACET_FIELDS
from decisions.similar import OUTCOMES, item_for_similar, precedents
from decisions.stats import MIN_DECISIONS
from decisions.vocabulary import guidelines

DATE_RANGES = [("decided", "Decided"), ("injured", "Injured"), ("received", "Received")]
SIMILAR_ON_PAGE = 5
SIMILAR_MORE = 10
MAX_SIMILAR_SHOWN = 50


def search_page(request):
    letter = letter_for_case_number(request.GET.get("q", ""))
    if letter is not None:
        return redirect(letter.get_absolute_url())
    clean = without_blanks(request.GET)
    if clean is not None:  # the form sends every field: the address keeps only what was filled in
        return redirect(f"{reverse('decisions:search')}?{clean}" if clean else reverse("decisions:search"))
    result = search_results(request.GET)
    form = result.filterset.form
    date_fields = [(name, label, form[name].value()) for name, label in DATE_RANGES]
    carried = [
        (name, value)
        for name in [*FACET_FIELDS, "undated"]
        for value in request.GET.getlist(name)
        if value.strip()
    ]
    return render(
        request,
        "decisions/search.html",
        status=503 if result.unavailable else 200,
        context={
            "result": result,
            "carried": carried,
            "base_query": without(request.GET),
            "treatment_names": _treatment_names,
            "vocabulary_version": vocabulary.size()["version"],
            "export_max_rows": settings.IMR_EXPORT_MAX_ROWS,
            "sample_letters": Determination.objects.filter(sample=True).count(),
            "date_fields": date_fields,
        },
    )


def insights_page(request):
    """Overturn rates for the search in the URL, by year, treatment, class, specialty, source and page."""
    filterset, errors = validate(request.GET)
    context = {
        "errors": errors,
        "base_query": without(request.GET),
        "min_decisions": MIN_DECISIONS,
        "described": [label for label, _ in active_filters(request.GET)],
    }
    if not errors:
        context["query_text"] = filterset.form.cleaned_data.get("q") or ""
        try:
            context["insights"] = insights(search.backend(), filterset)
        except search.IndexUnavailable:
            raise  # the middleware's page: the index cannot answer at all
        except search.QueryError as error:
            context["errors"] = [f"Search: {error}."]
    return render(request, "decisions/insights.html", context)


def _treatment_names():
    """For the typed-treatment datalist (rendered once per vocabulary version, then cached)."""
    return vocabulary.generic_names() + vocabulary.non_drug_treatments()


def determination_page(request, pk):
    determination = get_object_or_404(
        Determination.objects.prefetch_related(
            *READER_PREFETCH,
            Prefetch(
                "items__citations",
                queryset=GuidelineCitation.objects.prefetch_related("cited_pages", "cited_sections__section"),
            ),
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
            "back_query": QueryDict(request.GET.get("back", "")).urlencode(),
        },
    )


def similar_page(request, pk):
    """The decisions most like one item, the closest of each outcome: same treatment or class,
    closest rationale and summary; `?overturned=20` shows more of one."""
    item = item_for_similar(pk)
    if item is None:
        raise Http404("No such decision item.")
    shown = {outcome: _shown(request.GET.get(outcome)) for outcome in OUTCOMES}
    try:
        found = precedents(item, shown)
    except search.IndexUnavailable:
        raise
    except search.QueryError as error:
        found, error_text = {}, f"Search: {error}."
    else:
        error_text = ""
    lists = [
        (Outcome(outcome).label, outcome, found.get(outcome, []), _more(request.GET, outcome, shown[outcome]))
        for outcome in OUTCOMES
    ]
    like_this = request_like(item)
    return render(
        request,
        "decisions/similar.html",
        {
            "item": item,
            "lists": lists,
            "error": error_text,
            "estimate_query": like_this.params() if like_this else "",
        },
    )


def estimate_page(request):
    """A described request's likely outcome: the overturn rate among its closest precedents, the
    precedents, and what widening would give (a GET form, no JavaScript needed)."""
    form = EstimateForm(request.GET or None)
    context = {
        "form": form,
        "treatment_names": _treatment_names,
        "vocabulary_version": vocabulary.size()["version"],
    }
    if form.is_bound and form.is_valid():
        described = form.request()
        try:
            context.update(estimate=estimate(described, form.cleaned_data["k"]), wider=wider(described))
        except search.IndexUnavailable:
            raise
        except search.QueryError as error:
            context["error"] = f"Search: {error}."
    return render(request, "decisions/estimate.html", context)


def _shown(value):
    """How many precedents of an outcome to show: `value` when a whole number 1-50, else the few."""
    if value and value.isdecimal() and int(value) > 0:
        return min(int(value), MAX_SIMILAR_SHOWN)
    return SIMILAR_ON_PAGE


def _more(params, outcome, shown):
    """The query string showing more of one outcome's precedents, or "" at the most shown."""
    if shown >= MAX_SIMILAR_SHOWN:
        return ""
    more = params.copy()
    more[outcome] = str(min(shown + SIMILAR_MORE, MAX_SIMILAR_SHOWN))
    return more.urlencode()


def original_file(request, pk):
    """The letter as it was uploaded: a PDF as a PDF, a text letter as text."""
    determination = get_object_or_404(Determination, pk=pk)
    if not determination.original_file:
        raise Http404("The original file of this letter was not kept.")
    try:
        handle = determination.original_file.open("rb")
    except OSError:
        raise Http404("The original file of this letter is missing from storage.") from None
    head = handle.read(4)
    handle.seek(0)
    content_type = "application/pdf" if head == b"%PDF" else "text/plain"
    return FileResponse(handle, content_type=content_type, filename=determination.source_name)


def cited_page(request, source, page):
    """One page of a guideline source, explored (every citation of a page links here)."""
    return _explored(request, explorer.page(source, page))


def cited_section(request, guideline, key):
    """One section of a guideline, explored (every citation of a section links here)."""
    return _explored(request, explorer.section(guideline, key))


def _explored(request, cited):
    """404 for what is not a guideline's section or page, and for a page no decision cites; a
    section the vocabulary knows has its page even before a decision cites it."""
    if cited is None:
        raise Http404("No decision in the archive cites this.")
    context = {"cited": cited, "min_decisions": MIN_DECISIONS}
    try:
        context["explored"] = explored = explorer.explore(cited)
    except search.IndexUnavailable:
        raise  # the middleware's page: the index cannot answer at all
    except search.QueryError as error:
        context["errors"] = [f"Search: {error}."]
        return render(request, "decisions/explored.html", context, status=503)
    if not (explored.rate.decisions or cited.known):
        raise Http404("No decision in the archive cites this.")
    return render(request, "decisions/explored.html", context)


def cited_pages(request):
    """The sections and pages of one guideline that IMR reviewers cite, with how often the items
    citing each were overturned; by count (most cited first) or by rate (too few to rate last)."""
    key = request.GET.get("guideline") or SOURCE_GUIDELINES.get(request.GET.get("source"), "chronic_pain")
    if key not in guidelines.guidelines():
        key = "chronic_pain"
    order = request.GET.get("sort") if request.GET.get("sort") in cited.ORDERS else "count"
    return render(
        request,
        "decisions/cited_pages.html",
        {"cited": cited.cited(key, order), "sort": order, "orders": cited.ORDERS},
    )


# Links of before guidelines had keys: /cited/?source=acoem.
SOURCE_GUIDELINES = {
    "chronic_pain": "chronic_pain",
    "acoem": "acoem",
    "postsurgical": "postsurgical",
    "mtus_other": "mtus",
    "non_mtus": "non_mtus",
}
