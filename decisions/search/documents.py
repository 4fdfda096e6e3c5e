"""Search documents built from stored items: what every backend knows of each decision item.

Read as plain values, seven queries a batch: indexing reads every item of the archive, and model
instances with prefetched relations cost three times as long as the analysis that follows.
"""

from decisions.models import (
    CitedPage,
    CitedSection,
    DecisionItem,
    Determination,
    GuidelineCitation,
    ReviewerLicensure,
    ReviewerSpecialty,
)
from decisions.search.fields import GENERATED, NOT_AUTHORIZED, PARTLY_AUTHORIZED, REAL, UNDATED

ITEM_VALUES = ("id", "determination_id", "request", "treatment", "drug_class", "rationale", "outcome")
ITEM_VALUES += ("treatment_category", "necessity", "authorized", "disputed", "reasons")
LETTER_VALUES = ("id", "clinical_summary", "case_number", "decision_date", "date_of_injury")
LETTER_VALUES += ("application_received", "diagnoses", "case_outcome", "sample")


def grouped(pairs):
    """{key: [values in order]} of (key, value) rows (one query's rows for many parents)."""
    by_key = {}
    for key, value in pairs:
        by_key.setdefault(key, []).append(value)
    return by_key


def item_document(item, letter, specialties, states, citations, pages, sections, ur_sections):
    """The item as every backend indexes it: ids, text fields, and filter fields by registry name
    (keyword values as lists, dates as dates, cited pages as (source, page) pairs). citations are
    (source, chapter, guideline) triples, sections (guideline, section key) pairs: the IMR reviewer's,
    and ur_sections those of the claims administrator's utilization review."""
    decided = letter["decision_date"]
    return {
        "item_id": item["id"],
        "determination_id": letter["id"],
        "request": item["request"],
        "treatment_words": " ".join(filter(None, [item["treatment"], item["drug_class"]])),
        "rationale": item["rationale"],
        "summary": letter["clinical_summary"],
        "outcome": [item["outcome"]],
        "category": [item["treatment_category"]],
        "drug_class": [item["drug_class"]] if item["drug_class"] else [],
        "treatment": [item["treatment"]] if item["treatment"] else [],
        "necessity": [item["necessity"]],
        "reason": list(item["reasons"]),
        "case_number": [letter["case_number"]] if letter["case_number"] else [],
        "source": sorted({source for source, _, _ in citations}),
        "acoem_chapter": sorted({chapter for _, chapter, _ in citations if chapter}),
        "guideline": sorted({guideline for _, _, guideline in citations if guideline}),
        "section": sorted({f"{guideline}:{key}" for guideline, key in sections}),
        "ur_section": sorted({f"{guideline}:{key}" for guideline, key in ur_sections}),
        "authorized": [PARTLY_AUTHORIZED if item["authorized"] or item["disputed"] else NOT_AUTHORIZED],
        "case_outcome": [letter["case_outcome"]] if letter["case_outcome"] else [],
        "letters": [GENERATED if letter["sample"] else REAL],
        "specialty": specialties,
        "state": states,
        "cited": sorted(set(pages)),
        "decided": decided,
        "decided_year": [str(decided.year) if decided else UNDATED],
        "injured": letter["date_of_injury"],
        "received": letter["application_received"],
        "diagnosis": list(letter["diagnoses"]),
    }


def documents_for(determination_ids):
    """Documents of every item of these determinations, read with a fixed number of queries."""
    ids = list(determination_ids)
    letters = {
        row["id"]: row for row in Determination.objects.filter(pk__in=ids).order_by().values(*LETTER_VALUES)
    }
    specialties = grouped(
        ReviewerSpecialty.objects.filter(determination_id__in=ids)
        .order_by("determination_id", "position")
        .values_list("determination_id", "specialty__name")
    )
    states = grouped(
        ReviewerLicensure.objects.filter(determination_id__in=ids)
        .order_by("determination_id", "position")
        .values_list("determination_id", "state__name")
    )
    in_letters = {"item__determination_id__in": ids}
    reviewer = {**in_letters, "citation__party": GuidelineCitation.Party.REVIEWER}
    citations = grouped(
        (item_id, (source, chapter, guideline))
        for item_id, source, chapter, guideline in GuidelineCitation.objects.filter(
            **in_letters, party=GuidelineCitation.Party.REVIEWER
        )
        .order_by()
        .values_list("item_id", "source", "chapter", "guideline")
    )
    sections, ur_sections = {}, {}
    for item_id, party, guideline, key in (
        CitedSection.objects.filter(**in_letters)
        .order_by()
        .values_list("item_id", "citation__party", "section__guideline", "section__key")
    ):
        by_party = sections if party == GuidelineCitation.Party.REVIEWER else ur_sections
        by_party.setdefault(item_id, []).append((guideline, key))
    pages = grouped(
        (item_id, (source, page))
        for item_id, source, page in CitedPage.objects.filter(**reviewer)
        .order_by()
        .values_list("item_id", "source", "page")
    )
    items = DecisionItem.objects.filter(determination_id__in=ids).order_by("determination_id", "position")
    for item in items.values(*ITEM_VALUES):
        letter_id = item["determination_id"]
        yield item_document(
            item,
            letters[letter_id],
            specialties.get(letter_id, []),
            states.get(letter_id, []),
            citations.get(item["id"], []),
            pages.get(item["id"], []),
            sections.get(item["id"], []),
            ur_sections.get(item["id"], []),
        )
