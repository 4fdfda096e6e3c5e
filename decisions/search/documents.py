"""Search documents built from stored items: what every backend knows of each decision item."""

from django.db.models import Prefetch

from decisions.models import READER_PREFETCH, CitedPage, DecisionItem, GuidelineCitation
from decisions.search.fields import UNDATED


def item_document(item, specialties, states):
    """The item as every backend indexes it: ids, text fields, and filter fields by registry name
    (keyword values as lists, dates as dates, cited pages as (source, page) pairs)."""
    sources, chapters, cited = set(), set(), set()
    for citation in item.citations.all():
        sources.add(citation.source)
        if citation.chapter:
            chapters.add(citation.chapter)
        cited.update((citation.source, cited_page.page) for cited_page in citation.cited_pages.all())
    determination = item.determination
    return {
        "item_id": item.pk,
        "determination_id": determination.pk,
        "request": item.request,
        "treatment_words": " ".join(filter(None, [item.treatment, item.drug_class])),
        "rationale": item.rationale,
        "summary": determination.clinical_summary,
        "outcome": [item.outcome],
        "category": [item.treatment_category],
        "drug_class": [item.drug_class] if item.drug_class else [],
        "treatment": [item.treatment] if item.treatment else [],
        "necessity": [item.necessity],
        "case_number": [determination.case_number] if determination.case_number else [],
        "source": sorted(sources),
        "acoem_chapter": sorted(chapters),
        "specialty": list(specialties),
        "state": list(states),
        "cited": sorted(cited),
        "decided": determination.decision_date,
        "decided_year": [str(determination.decision_date.year) if determination.decision_date else UNDATED],
        "injured": determination.date_of_injury,
        "received": determination.application_received,
        "diagnosis": list(determination.diagnoses),
    }


def documents_for(determination_ids):
    """Documents of every item of these determinations, read with a fixed number of queries."""
    items = (
        DecisionItem.objects.filter(determination_id__in=list(determination_ids))
        .select_related("determination")
        .prefetch_related(
            *(f"determination__{path}" for path in READER_PREFETCH),
            Prefetch(
                "citations",
                queryset=GuidelineCitation.objects.prefetch_related(
                    Prefetch("cited_pages", queryset=CitedPage.objects.only("id", "citation_id", "page"))
                ),
            ),
        )
    )
    for item in items:
        determination = item.determination
        yield item_document(item, determination.specialty_names, determination.licensure_state_names)
