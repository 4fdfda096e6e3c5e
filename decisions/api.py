"""Read-only JSON API and CSV export; the same search as the page, in other forms."""

import csv
import dataclasses
import io
import itertools

from django.conf import settings
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from decisions import indexing, search
from decisions.estimate import EstimateForm, estimate, wider
from decisions.filters import PER_PAGE, PER_PAGE_CHOICES
from decisions.insights import chart_names, insights
from decisions.models import READER_PREFETCH, Determination, Outcome
from decisions.results import load_items, search_results, validate
from decisions.serializers import CSV_COLUMNS, inert, item_csv_row, item_json, letter_json, stored_letter
from decisions.similar import item_for_similar, similar_items

EXPORT_CHUNK = 500


def _error(status, message):
    return JsonResponse({"error": message}, status=status)


def _search_error(error):
    """A search that could not run: the asker's to change (400), or the index's to mend (503)."""
    return _error(503 if isinstance(error, search.IndexUnavailable) else 400, f"Search: {error}.")


@require_GET
def api_index(request):
    return render(request, "decisions/api.html", {"per_page": PER_PAGE, "per_page_choices": PER_PAGE_CHOICES})


@require_GET
def determination_json(request, pk):
    determination = (
        Determination.objects.prefetch_related(
            *READER_PREFETCH, "items__citations__cited_pages", "items__citations__cited_sections__section"
        )
        .filter(pk=pk)
        .first()
    )
    if determination is None:
        return _error(404, f"no determination with id {pk}")
    body = letter_json(stored_letter(determination), determination.source_name, determination.content_sha256)
    body["id"] = determination.pk
    return JsonResponse(body)


@require_GET
def items_json(request):
    page = search_results(request.GET)
    if page.errors:
        return _error(503 if page.unavailable else 400, " ".join(page.errors))
    return JsonResponse(
        {
            "count": page.total,
            "notices": indexing.notices(),
            "page": page.page,
            "pages": page.pages,
            "per_page": page.per_page,
            "query": page.query_text,
            "sort": page.sort,
            "results": [
                dict(
                    item_json(hit.item, request.build_absolute_uri),
                    highlight=str(hit.passage),
                    score=hit.score,
                )
                for hit in page.hits
            ],
            "overturned": page.overturn_rate.as_dict() if page.overturn_rate else None,
            "facets": {
                name: [
                    {
                        "value": v.value,
                        "label": v.label,
                        "count": v.count,
                        "selected": v.selected,
                        "overturned": v.rate.overturned if v.rate else 0,
                        "overturn_rate": v.rate.as_dict()["rate"] if v.rate else None,
                    }
                    for v in facet.values
                ]
                for name, facet in page.facets.items()
            },
        }
    )


MAX_SIMILAR = 50


@require_GET
def similar_json(request, pk):
    """The items most like one item, best first, with why each matches (`limit`, 1 to 50, default
    10; `outcome`: only precedents decided that way)."""
    item = item_for_similar(pk)
    if item is None:
        return _error(404, f"no item with id {pk}")
    limit, outcome = request.GET.get("limit", "10"), request.GET.get("outcome") or None
    if not limit.isdecimal() or not 1 <= int(limit) <= MAX_SIMILAR:
        return _error(400, f"limit must be a whole number from 1 to {MAX_SIMILAR}")
    if outcome is not None and outcome not in Outcome.values:
        return _error(400, f"outcome must be one of: {', '.join(Outcome.values)}")
    try:
        similar = similar_items(item, limit=int(limit), outcome=outcome)
    except search.QueryError as error:
        return _search_error(error)
    return JsonResponse(
        {
            "item": item_json(item, request.build_absolute_uri),
            "results": [
                dict(
                    item_json(found.item, request.build_absolute_uri),
                    score=found.score,
                    why_similar=found.reasons,  # "reasons" of an item are its rationale's
                )
                for found in similar
            ],
        }
    )


@require_GET
def estimate_json(request):
    """The estimate page's answer: `treatment` (required), `section`, `diagnosis`, `facts`, `k`."""
    form = EstimateForm(request.GET)
    if not form.is_valid():
        return _error(
            400, " ".join(f"{name}: {error}" for name, errors in form.errors.items() for error in errors)
        )
    described = form.request()
    try:
        found, wider_requests = estimate(described, form.cleaned_data["k"]), wider(described)
    except search.QueryError as error:
        return _search_error(error)
    absolute = request.build_absolute_uri
    return JsonResponse(
        {
            "request": dataclasses.asdict(described),
            "k": found.k,
            "precedents_found": len(found.precedents),
            "too_thin": found.thin or None,
            "estimate": None if found.thin else {**found.rate.as_dict(), "in_words": found.interval_words},
            "precedents": [
                dict(item_json(each.item, absolute), score=each.score, why_similar=each.reasons)
                for each in found.precedents
            ],
            "closer_or_wider": [{"closest": k, **rate.as_dict()} for k, rate in found.wider_k]
            + [
                {
                    "label": each.label,
                    **each.rate.as_dict(),
                    "search": absolute(f"{reverse('decisions:search')}?{each.search}"),
                }
                for each in wider_requests
            ],
        }
    )


class _Echo:
    """csv.writer target that hands each row back instead of buffering it."""

    def write(self, value):
        return value


def _csv_rows(item_ids, request):
    """Rows of the export; a byte-order mark first, so Excel on Windows reads the UTF-8 as UTF-8."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(CSV_COLUMNS)
    while chunk := list(itertools.islice(item_ids, EXPORT_CHUNK)):
        for item in load_items(chunk):
            yield writer.writerow(item_csv_row(item, request.build_absolute_uri))


@require_GET
def items_csv(request):
    """Every item matching the search, streamed in chunks so a large export stays small in memory;
    a search with more items than one download may hold gets a sentence instead."""
    filterset, errors = validate(request.GET)
    if errors:
        return _error(400, " ".join(errors))
    try:
        results = search.backend().search(dataclasses.replace(filterset.qs, facets=()))
        if results.total > settings.IMR_EXPORT_MAX_ROWS:
            return _error(
                400,
                f"This search matches {results.total:,} items; a download holds at most "
                f"{settings.IMR_EXPORT_MAX_ROWS:,}. Narrow it with words, filters or dates.",
            )
        item_ids = iter([hit.item_id for hit in results[: results.total]])
    except search.QueryError as error:
        return _search_error(error)
    response = StreamingHttpResponse(_csv_rows(item_ids, request), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export_file_name(request.GET)}"'
    return response


def export_file_name(params):
    """A file name that says what the search was: imr-decisions-opioid-overturned.csv."""
    words = [value for name, values in params.lists() if name not in {"page", "sort"} for value in values]
    described = slugify(" ".join(words))[:60].strip("-")
    return f"imr-decisions-{described or 'all'}.csv"


def _insights_or_error(request):
    filterset, errors = validate(request.GET)
    if errors:
        return None, _error(400, " ".join(errors))
    try:
        return insights(search.backend(), filterset), None
    except search.QueryError as error:
        return None, _search_error(error)


@require_GET
def stats_json(request):
    """The insights page's numbers for the search in the query string."""
    found, error = _insights_or_error(request)
    if error:
        return error
    return JsonResponse(
        {
            "overall": found.overall.as_dict(),
            "outcome_filter_set_aside": found.outcome_filter_set_aside,
            "comparison": _comparison_json(found.comparison),
            "breakdowns": {
                breakdown.name: {
                    "title": breakdown.title,
                    "rows": [
                        {"value": row.value, "label": row.label, **row.rate.as_dict()}
                        for row in breakdown.rows
                    ],
                }
                for breakdown in found.breakdowns
            },
            "reason_tables": {table.name: _reason_table_json(table) for table in found.reason_tables},
        }
    )


def _reason_table_json(table):
    """A reason table: its columns' items, and each reason's share of them with its interval."""
    return {
        "title": table.title,
        "columns": [
            {"value": column.value, "label": column.label, "items": column.rate.decisions}
            for column in table.columns
        ],
        "rows": [
            {
                "reason": row.reason,
                "label": row.label,
                "cells": [_share_json(cell) for cell in row.cells],
            }
            for row in table.rows
        ],
    }


def _share_json(rate):
    """A share of items (those giving a reason, of a column's): Rate's numbers under their own names."""
    numbers = rate.as_dict()
    return {
        "giving": numbers["overturned"],
        "items": numbers["decisions"],
        "share": numbers["rate"],
        "ci_low": numbers["ci_low"],
        "ci_high": numbers["ci_high"],
    }


def _comparison_json(comparison):
    if comparison is None:
        return None
    return {
        "field": comparison.field,
        "difference": comparison.difference,
        "compared": [
            {
                "value": each.value,
                "label": each.label,
                **each.rate.as_dict(),
                "by_year": {year: rate.as_dict() for year, rate in each.by_year.items()},
            }
            for each in comparison.compared
        ],
    }


@require_GET
def insights_csv(request):
    """One chart's numbers as CSV: `chart` names it (year, treatment, drug_class, ...)."""
    chart = request.GET.get("chart", "")
    if chart not in chart_names():
        return _error(400, f"chart must be one of: {', '.join(chart_names())}.")
    found, error = _insights_or_error(request)
    if error:
        return error
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([chart, "decisions", "overturned", "rate", "ci_low", "ci_high"])
    for row in found.breakdown(chart).rows:
        numbers = row.rate.as_dict()
        writer.writerow(
            [
                inert(row.label),
                numbers["decisions"],
                numbers["overturned"],
                numbers["rate"],
                numbers["ci_low"],
                numbers["ci_high"],
            ]
        )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="imr-overturn-rates-by-{chart}.csv"'
    return response
