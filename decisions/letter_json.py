"""The JSON form of a parsed letter (shared/letter-schema.md): one function writes it.

Stored letters are turned back into the parser's dataclasses first, so the `parse_letter`
command and the API cannot drift apart.
"""
from dataclasses import asdict

from decisions.parsing.records import (
    CaseDates, Citation, DecisionItem, ParsedLetter, Patient, Reviewer,
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
        "dates": {name: _iso(getattr(letter.dates, name)) for name in ("assigned", "ur_denial", "decision", "received")},
        "reviewer": {"licensure_states": list(letter.reviewer.licensure_states),
                     "specialties": list(letter.reviewer.specialties)},
        "patient": {"age": letter.patient.age, "sex": letter.patient.sex,
                    "date_of_injury": _iso(letter.patient.date_of_injury)},
        "clinical_summary": letter.clinical_summary,
        "items": [
            {
                "request": item.request,
                "outcome": item.outcome,
                "claims_administrator_guideline": item.claims_administrator_guideline,
                "maximus_guideline": item.maximus_guideline,
                "citations": [asdict(citation) for citation in item.citations],
                "rationale": item.rationale,
                "necessity": item.necessity,
                "treatment": asdict(item.treatment),
            }
            for item in letter.items
        ],
        "warnings": list(letter.warnings),
    }


def stored_citation(citation):
    """A stored GuidelineCitation (pages prefetched) as the parser's Citation."""
    return Citation(source=citation.source, chapter=citation.chapter or None, topic=citation.topic or None,
                    pages=sorted(cited.page for cited in citation.cited_pages.all()))


def stored_letter(determination):
    """A stored determination as the parser's ParsedLetter (items, citations and pages included)."""
    items = []
    for item in determination.items.all():
        citations = [stored_citation(citation) for citation in item.citations.all()]
        items.append(DecisionItem(
            request=item.request, outcome=item.outcome,
            claims_administrator_guideline=item.claims_administrator_guideline or None,
            maximus_guideline=item.maximus_guideline or None, citations=citations, rationale=item.rationale,
            necessity=item.necessity,
            treatment=Treatment(name=item.treatment or None, category=item.treatment_category,
                                drug_class=item.drug_class or None, strength=item.strength or None,
                                quantity=item.quantity, refills=item.refills),
        ))
    return ParsedLetter(
        format=determination.format, case_number=determination.case_number or None,
        dates=CaseDates(assigned=determination.date_assigned, ur_denial=determination.ur_denial_date,
                        decision=determination.decision_date, received=determination.application_received),
        reviewer=Reviewer(licensure_states=determination.licensure_state_names,
                          specialties=determination.specialty_names),
        patient=Patient(age=determination.patient_age, sex=determination.patient_sex or None,
                        date_of_injury=determination.date_of_injury),
        clinical_summary=determination.clinical_summary, diagnoses=list(determination.diagnoses),
        items=items, warnings=list(determination.warnings),
    )
