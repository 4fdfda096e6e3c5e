"""Read-only JSON API and CSV export; the same search as the page, in other forms."""
import csv
import dataclasses
import itertools
from dataclasses import asdict

from django.conf import settings
from django.http import JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from decisions import search
from decisions.letter_json import letter_json, stored_citation, stored_letter
from decisions.models import READER_PREFETCH, Determination
from decisions.searching import PER_PAGE, load_items, run_search, validate

EXPORT_CHUNK = 500
CSV_COLUMNS = ["item_id", "determination_id", "case_number", "decision_date", "request", "treatment", "drug_class",
               "category", "outcome", "necessity", "citations", "specialties", "url"]


def _error(status, message):
    return JsonResponse({"error": message}, status=status)


def _citations_text(item):
    return "; ".join(
        f"{citation.get_source_display()}"
        + (f" ch. {citation.chapter}" if citation.chapter else "")
        + (f" {citation.topic}" if citation.topic else "")
        + (f" p. {', '.join(str(p.page) for p in citation.cited_pages.all())}" if citation.cited_pages.all() else "")
        for citation in item.citations.all())


def _item_json(item, request):
    return {
        "id": item.pk,
        "determination_id": item.determination_id,
        "position": item.position,
        "url": request.build_absolute_uri(item.get_absolute_url()),
        "case_number": item.determination.case_number or None,
        "decision_date": item.determination.decision_date.isoformat() if item.determination.decision_date else None,
        "request": item.request,
        "outcome": item.outcome,
        "necessity": item.necessity,
        "treatment": {"name": item.treatment or None, "category": item.treatment_category,
                      "drug_class": item.drug_class or None},
        "citations": [asdict(stored_citation(citation)) for citation in item.citations.all()],
        "specialties": item.determination.specialty_names,
    }


@require_GET
def api_index(request):
    return render(request, "decisions/api.html", {"per_page": PER_PAGE})


@require_GET
def determination_json(request, pk):
    determination = (Determination.objects.prefetch_related(*READER_PREFETCH, "items__citations__cited_pages")
                     .filter(pk=pk).first())
    if determination is None:
        return _error(404, f"no determination with id {pk}")
    body = letter_json(stored_letter(determination), determination.source_name, determination.content_sha256)
    body["id"] = determination.pk
    return JsonResponse(body)


@require_GET
def items_json(request):
    page = run_search(request.GET)
    if page.errors:
        return _error(400, " ".join(page.errors))
    return JsonResponse({
        "count": page.total, "page": page.page, "pages": page.pages, "per_page": PER_PAGE,
        "query": page.query_text, "sort": page.sort,
        "results": [dict(_item_json(hit.item, request), highlight=str(hit.passage), score=hit.score)
                    for hit in page.hits],
        "facets": {name: [{"value": v.value, "label": v.label, "count": v.count, "selected": v.selected}
                          for v in values] for name, (_, values) in page.facets.items()},
    })


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(value):
    """A cell a spreadsheet will not run as a formula (OWASP: prefix such text with a quote)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """csv.writer target that hands each row back instead of buffering it."""

    def write(self, value):
        return value


def _csv_rows(item_ids, request):
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    while chunk := list(itertools.islice(item_ids, EXPORT_CHUNK)):
        for item in load_items(chunk):
            determination = item.determination
            yield writer.writerow(inert(cell) for cell in [
                item.pk, determination.pk, determination.case_number,
                determination.decision_date.isoformat() if determination.decision_date else "",
                item.request, item.treatment, item.drug_class, item.treatment_category, item.outcome, item.necessity,
                _citations_text(item), "; ".join(determination.specialty_names),
                request.build_absolute_uri(item.get_absolute_url()),
            ])


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
            return _error(400, f"This search matches {results.total:,} items; a download holds at most "
                               f"{settings.IMR_EXPORT_MAX_ROWS:,}. Narrow it with words, filters or dates.")
        item_ids = iter([hit.item_id for hit in results[:results.total]])
    except search.QueryError as error:
        return _error(400, f"Search: {error}.")
    response = StreamingHttpResponse(_csv_rows(item_ids, request), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="imr-decisions.csv"'
    return response
