"""Whoosh documents built from stored items: what the index knows of each decision item."""
from django.db.models import Prefetch

from decisions.models import READER_PREFETCH, CitedPage, DecisionItem, GuidelineCitation

ANY_SOURCE = "any"


def _keywords(values):
    return ",".join(sorted({value.replace(",", " ") for value in values if value}))


def day_number(day):
    """A date as the index stores it; 0 stands for unknown."""
    return day.toordinal() if day else 0


def item_document(item, specialties, states):
    cited, sources = [], set()
    for citation in item.citations.all():
        sources.add(citation.source)
        if citation.chapter:
            cited.append(f"{citation.source}:ch{citation.chapter}")
        for cited_page in citation.cited_pages.all():
            cited += [f"{citation.source}:{cited_page.page}", f"{ANY_SOURCE}:{cited_page.page}"]
    determination = item.determination
    document = {
        "item_id": str(item.pk),
        "determination_id": str(determination.pk),
        "request": item.request,
        "treatment_words": " ".join(filter(None, [item.treatment, item.drug_class])),
        "rationale": item.rationale,
        "pairs": "\n".join(filter(None, [item.request, item.rationale, item.treatment, item.drug_class])),
        "summary": determination.clinical_summary,
        "treatment": item.treatment or "",
        "category": item.treatment_category,
        "drug_class": item.drug_class or "",
        "outcome": item.outcome,
        "necessity": item.necessity,
        "case_number": determination.case_number or "",
        "source": _keywords(sources),
        "cited": _keywords(cited),
        "specialty": _keywords(specialties),
        "state": _keywords(states),
    }
    document = {key: value for key, value in document.items() if value != ""}
    document["decision_day"] = day_number(determination.decision_date)
    document["injury_day"] = day_number(determination.date_of_injury)
    return document


def documents_for(determination_ids):
    """Documents of every item of these determinations, read with a fixed number of queries."""
    items = (
        DecisionItem.objects.filter(determination_id__in=list(determination_ids))
        .select_related("determination")
        .prefetch_related(
            *(f"determination__{path}" for path in READER_PREFETCH),
            Prefetch("citations", queryset=GuidelineCitation.objects.prefetch_related(
                Prefetch("cited_pages", queryset=CitedPage.objects.only("id", "citation_id", "page")))),
        )
    )
    for item in items:
        determination = item.determination
        yield item_document(item, determination.specialty_names, determination.licensure_state_names)
