"""The first IMR notices (July-December 2013): `Notice of Independent Medical Review Determination`,
the decisions first as numbered sentences (`1) MAXIMUS Federal Services, Inc. has determined the
request for ... is not medically necessary and appropriate.`), dates in prose, then the reviewer's
qualifications, the case summary and one `Regarding the request for ...:` part per item."""

import re

from decisions.parsing import text
from decisions.parsing.assembly import assemble
from decisions.parsing.dates import DATE_PATTERN, parse_date
from decisions.parsing.header import header_fields
from decisions.parsing.headings import NUMBERED, labelled_sections, numbered_parts, verdict_headings
from decisions.parsing.items import build_item, item_fields
from decisions.parsing.layouts import sections
from decisions.parsing.records import FORMAT_NOTICE_2013, ParseError

_TITLE = re.compile(r"Notice\s+of\s+Independent\s+Medical\s+Review\s+Determination", re.IGNORECASE)
_SECTIONS = {
    "decision": r"INDEPENDENT\s+MEDICAL\s+REVIEW\s+DECISIONS?\s+AND\s+RATIONALES?",
    "qualifications": r"(?:Medical\s+)?Qualifications\s+of\s+the\s+(?:Expert|Physician|Medical|Professional)"
    r"\s+Reviewer|(?:Expert|Physician)\s+Reviewer(?:'s)?\s+Qualifications",
    "summary": r"(?:(?:Expert|Physician)\s+Reviewer(?:'s)?\s+)?(?:Clinical\s+)?Case\s+Summary",
    "effect": r"Effect\s+of\s+the\s+Decision",
}
# "1) Regarding the request for Norco 10/325mg #120:" opens the part that explains item 1.
_ITEM_PART = re.compile(
    r"^\(?(?P<number>\d{1,2})[.)]\s+Regarding\s+the\s+request(?:ed\s+(?:treatment|service))?\s+for\b\s*",
    re.IGNORECASE,
)
_PROSE_DATES = {
    "received": rf"application\s+for\s+Independent\s+Medical\s+Review\s+was\s+(?:filed|received)\s+on\s+"
    rf"({DATE_PATTERN})",
    "ur_denial": rf"Utilization\s+Review\s+(?:Denial|Decision|Determination)\s+dated\s+({DATE_PATTERN})",
    "assigned": rf"Notice\s+of\s+Assignment(?:\s+and\s+Request\s+for\s+Information)?\s+was\s+"
    rf"(?:provided|sent|mailed)\s+to\s+the\s+(?:above\s+)?parties\s+on\s+({DATE_PATTERN})",
}


def recognises(lines):
    if sections.has_decisions_heading(lines):
        return False
    opening = " ".join(lines[:20])
    return bool(_TITLE.search(opening)) or (
        # a cheap look first: most letters are not notices
        bool(re.search(_SECTIONS["decision"], "\n".join(lines), re.IGNORECASE))
        and "decision" in labelled_sections(lines, _SECTIONS)
    )


def _verdicts(lines):
    """Each item's request and outcome, from the first sentence that states it (they are repeated)."""
    by_number = {}
    for heading in verdict_headings(lines):
        by_number.setdefault(int(NUMBERED.match(lines[heading.start]).group("number")), heading)
    return dict(sorted(by_number.items()))


def _prose_dates(flat, dates):
    for name, pattern in _PROSE_DATES.items():
        match = re.search(pattern, flat, re.IGNORECASE)
        if match and getattr(dates, name) is None:
            setattr(dates, name, parse_date(match.group(1)))


def _item_parts(lines):
    """number -> (request as the part names it, the part's lines after its heading)."""
    parts = {}
    for number, part in numbered_parts(lines, _ITEM_PART).items():
        if not number:
            continue
        heading_end = next(
            (index + 1 for index, line in enumerate(part[:3]) if line.rstrip().endswith(":")), 1
        )
        heading = text.one_line(" ".join(part[:heading_end]))
        request = _ITEM_PART.sub("", heading).rstrip(" :")
        parts[number] = (request, part[heading_end:])
    return parts


def _request(verdict_request):
    """`a 28 day functional restoration program` -> `28 day functional restoration program`."""
    return re.sub(r"^(?:a|an|the)\s+", "", verdict_request, flags=re.IGNORECASE)


def parse(lines, known_words):
    warnings = []
    found = labelled_sections(lines, _SECTIONS)
    first = min((section.start for section in found.values()), default=len(lines))
    verdicts = _verdicts(lines[: found["qualifications"].start] if "qualifications" in found else lines)
    if not verdicts:
        raise ParseError(
            "a 2013 IMR notice, but no numbered decision (`1) ... has determined the request for ... is "
            "(not) medically necessary`) was found"
        )

    end = found["effect"].start if "effect" in found else len(lines)
    parts = _item_parts(lines[first:end])
    items = []
    for number, verdict in verdicts.items():
        request, body = parts.get(number, (None, []))
        if not body:
            warnings.append(f"item {number} ({verdict.request[:40]}): no part explaining the decision found")
        fields = item_fields(body, known_words)
        items.append(
            build_item(number, _request(request or verdict.request), verdict.outcome, fields, warnings)
        )

    header = header_fields(lines[:first], "\n".join(lines), warnings)
    _prose_dates(text.one_line(" ".join(lines)), header.dates)
    credentials = found["qualifications"].lines if "qualifications" in found else lines[:first]
    return assemble(
        FORMAT_NOTICE_2013,
        header=header,
        credentials=credentials,
        summary=_before_items(found["summary"].lines) if "summary" in found else [],
        items=items,
        known_words=known_words,
        warnings=warnings,
    )


def _before_items(summary_lines):
    for index, line in enumerate(summary_lines):
        if _ITEM_PART.match(line):
            return summary_lines[:index]
    return summary_lines
