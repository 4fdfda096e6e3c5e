"""Put the parts a layout found into one ParsedLetter, the same way for every layout."""

from decisions.parsing import patient, text
from decisions.parsing.header import reviewer_of
from decisions.parsing.records import ParsedLetter


def assemble(letter_format, *, header, credentials, summary, items, known_words, warnings):
    """header is what header_fields read; credentials and summary are the lines of those parts;
    warnings is added to."""
    reviewer = reviewer_of("\n".join(credentials), warnings)
    summary_text = patient.without_preamble(text.reflow(summary, known_words))
    return ParsedLetter(
        format=letter_format,
        case_number=header.case_number,
        dates=header.dates,
        priority=header.priority,
        reviewer=reviewer,
        clinical_summary=summary_text,
        items=items,
        warnings=warnings,
        **patient.facts_of(summary_text, header.injury, warnings),
    )
