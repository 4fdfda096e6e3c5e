"""Read-only JSON API and CSV export; the same search as the page, in other forms."""

import csv
import dataclasses
import itertools

from django.conf import settings
from django.http import JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from decisions import search
from decisions.models import READER_PREFETCH, Determination
from decisions.results import PER_PAGE, load_items, search_results, validate
from decisions.serializers import CSV_COLUMNS, item_csv_row, item_json, letter_json, stored_letter

EXPORT_CHUNK = 500


def _error(status, message):
    return JsonResponse({"error": message}, status=status)


@require_GET
def api_index(request):
    return render(request, "decisions/api.html", {"per_page": PER_PAGE})


@require_GET
def determination_json(request, pk):
    determination = (
        Determination.objects.prefetch_related(*READER_PREFETCH, "items__citations__cited_pages")
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
        return _error(400, " ".join(page.errors))
    return JsonResponse(
        {
            "count": page.total,
            "page": page.page,
            "pages": page.pages,
            "per_page": PER_PAGE,
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
            "facets": {
                name: [
                    {"value": v.value, "label": v.label, "count": v.count, "selected": v.selected}
                    for v in values
                ]
                for name, (_, values) in page.facets.items()
            },
        }
    )


class _Echo:
    """csv.writer target that hands each row back instead of buffering it."""

    def write(self, value):
        return value


def _csv_rows(item_ids, request):
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
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
        return _error(400, f"Search: {error}.")
    response = StreamingHttpResponse(_csv_rows(item_ids, request), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="imr-decisions.csv"'
    return response
