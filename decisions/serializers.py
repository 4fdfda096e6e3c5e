"""Every outside form of letters and items, in one place: the page, the API and the CSV share it.

- letter -> JSON (shared/letter-schema.md): stored letters are turned back into the parser's
  dataclasses first, so the `parse_letter` command and the API cannot drift apart;
- item -> JSON (the items API) and item -> CSV row (the export);
- a citation as text ("MTUS Chronic Pain Opioids p. 74–96, 124"), with the same page runs
  the HTML partial `_citations.html` links.
"""

from dataclasses import asdict

from decisions.parsing.records import (
    Authorization,
    CaseDates,
    Citation,
    DecisionItem,
    FoundReason,
    ParsedLetter,
    Patient,
    Reviewer,
)
from decisions.vocabulary.records import Treatment


def _iso(day):
    return day.isoformat() if day else None


def letter_json(letter, source_file, content_sha256):
    """The schema's object for one parsed letter."""
    return {
        "source_file": source_file,
        "content_sha256": content_sha256,
        "format": letter.format,
        "case_number": letter.case_number,
        "priority": letter.priority,
        "dates": {
            name: _iso(getattr(letter.dates, name))
            for name in ("assigned", "ur_denial", "decision", "received")
        },
        "reviewer": {
            "licensure_states": list(letter.reviewer.licensure_states),
            "specialties": list(letter.reviewer.specialties),
        },
        "patient": {
            "age": letter.patient.age,
            "sex": letter.patient.sex,
            "date_of_injury": _iso(letter.patient.date_of_injury),
        },
        "clinical_summary": letter.clinical_summary,
        "items": [
            {
                "request": item.request,
                "outcome": item.outcome,
                "claims_administrator_guideline": item.claims_administrator_guideline,
                "maximus_guideline": item.maximus_guideline,
                "citations": [asdict(citation) for citation in item.citations],
                "claims_administrator_citations": [asdict(citation) for citation in item.claims_citations],
                "rationale": item.rationale,
                "necessity": item.necessity,
                "treatment": asdict(item.treatment),
                "authorization": asdict(item.authorization) if item.authorization else None,
                "cites_no_evidence": item.cites_no_evidence,
                "reasons": [asdict(reason) for reason in item.reasons],
            }
            for item in letter.items
        ],
        "warnings": list(letter.warnings),
    }


def stored_citation(citation):
    """A stored GuidelineCitation (pages and sections prefetched) as the parser's Citation."""
    return Citation(
        source=citation.source,
        chapter=citation.chapter or None,
        topic=citation.topic or None,
        pages=sorted(citation.pages),
        sections=[section.name for section in citation.sections],
        guideline=citation.guideline or None,
    )


def stored_authorization(item):
    if not item.partly_authorized:
        return None
    return Authorization(
        item.original_request or item.request, item.authorized or None, item.disputed or None
    )


def stored_letter(determination):
    """A stored determination as the parser's ParsedLetter (items, citations and pages included)."""
    items = []
    for item in determination.items.all():
        citations = [stored_citation(citation) for citation in item.reviewer_citations]
        items.append(
            DecisionItem(
                request=item.request,
                outcome=item.outcome,
                claims_administrator_guideline=item.claims_administrator_guideline or None,
                maximus_guideline=item.maximus_guideline or None,
                citations=citations,
                rationale=item.rationale,
                necessity=item.necessity,
                treatment=Treatment(
                    name=item.treatment or None,
                    category=item.treatment_category,
                    drug_class=item.drug_class or None,
                    strength=item.strength or None,
                    quantity=item.quantity,
                    refills=item.refills,
                ),
                authorization=stored_authorization(item),
                cites_no_evidence=item.cites_no_evidence,
                claims_citations=[stored_citation(c) for c in item.claims_administrator_citations],
                reasons=[FoundReason(key, sentence) for key, _, sentence in item.found_reasons],
            )
        )
    return ParsedLetter(
        format=determination.format,
        case_number=determination.case_number or None,
        dates=CaseDates(
            assigned=determination.date_assigned,
            ur_denial=determination.ur_denial_date,
            decision=determination.decision_date,
            received=determination.application_received,
        ),
        reviewer=Reviewer(
            licensure_states=determination.licensure_state_names, specialties=determination.specialty_names
        ),
        patient=Patient(
            age=determination.patient_age,
            sex=determination.patient_sex or None,
            date_of_injury=determination.date_of_injury,
        ),
        clinical_summary=determination.clinical_summary,
        diagnoses=list(determination.diagnoses),
        items=items,
        warnings=list(determination.warnings),
        priority=determination.priority or None,
    )


def citation_text(citation):
    """One citation as a line of text; consecutive pages as runs and sections, like the page shows them."""
    runs = ", ".join(f"{first}–{last}" if last != first else f"{first}" for first, last in citation.page_runs)
    sections = "; ".join(section.name for section in citation.sections)
    return (
        citation.guideline_name
        + (f" ch. {citation.chapter}" if citation.chapter and not citation.guideline else "")
        + (f" {citation.topic}" if citation.topic else "")
        + (f" p. {runs}" if runs else "")
        + (f" § {sections}" if sections else "")
    )


def item_json(item, absolute_url):
    """An item as the items API gives it (`absolute_url` turns a path into a full URL)."""
    determination = item.determination
    return {
        "id": item.pk,
        "determination_id": item.determination_id,
        "position": item.position,
        "url": absolute_url(item.get_absolute_url()),
        "case_number": determination.case_number or None,
        "decision_date": _iso(determination.decision_date),
        "request": item.request,
        "outcome": item.outcome,
        "necessity": item.necessity,
        "treatment": {
            "name": item.treatment or None,
            "category": item.treatment_category,
            "drug_class": item.drug_class or None,
        },
        "citations": [asdict(stored_citation(citation)) for citation in item.reviewer_citations],
        "claims_administrator_citations": [
            asdict(stored_citation(citation)) for citation in item.claims_administrator_citations
        ],
        "cites_no_evidence": item.cites_no_evidence,
        "reasons": [
            {"key": key, "label": label, "sentence": sentence} for key, label, sentence in item.found_reasons
        ],
        "authorization": asdict(authorization) if (authorization := stored_authorization(item)) else None,
        "case_outcome": determination.case_outcome or None,
        "specialties": determination.specialty_names,
    }


CSV_COLUMNS = [
    "item_id",
    "determination_id",
    "case_number",
    "decision_date",
    "request",
    "treatment",
    "drug_class",
    "category",
    "outcome",
    "necessity",
    "citations",
    "reasons",
    "partly_authorized",
    "authorized",
    "case_outcome",
    "specialties",
    "url",
    "injury_date",
    "rationale",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(value):
    """A cell a spreadsheet will not run as a formula (OWASP: prefix such text with a quote)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def item_csv_row(item, absolute_url):
    """An item as one row of CSV_COLUMNS, every cell inert."""
    determination = item.determination
    return [
        inert(cell)
        for cell in [
            item.pk,
            determination.pk,
            determination.case_number,
            _iso(determination.decision_date) or "",
            item.request,
            item.treatment,
            item.drug_class,
            item.treatment_category,
            item.outcome,
            item.necessity,
            "; ".join(citation_text(citation) for citation in item.reviewer_citations),
            "; ".join(label for _, label, _ in item.found_reasons),
            "yes" if item.partly_authorized else "no",
            item.authorized,
            determination.case_outcome,
            "; ".join(determination.specialty_names),
            absolute_url(item.get_absolute_url()),
            _iso(determination.date_of_injury) or "",
            item.rationale,
        ]
    ]
