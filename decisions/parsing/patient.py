"""Age, sex, date of injury and diagnoses, where the clinical summary states them."""

import re

from decisions.parsing.dates import DATE_PATTERN, parse_date
from decisions.parsing.records import Patient

_AGE = re.compile(r"\b(\d{1,3})[\s-]*(?:year|yr)s?[\s-]*old\b", re.IGNORECASE)
_SEX_WORDS = re.compile(r"\b(male|female|man|woman|gentleman|lady|boy|girl)\b", re.IGNORECASE)
_SEX_OF = {
    "male": "male",
    "man": "male",
    "gentleman": "male",
    "boy": "male",
    "female": "female",
    "woman": "female",
    "lady": "female",
    "girl": "female",
}
_INJURY_DATE = re.compile(
    r"(?:date\s+of\s+(?:industrial\s+)?injury|\bDOI\b|injury\s+date|(?:industrial|work[\s-]related|occupational)?\s*"
    r"injury|injured|injuries)"
    r"(?:\s+(?:was|is|of|on|dated|occurring|occurred|sustained))*\s*[:,]?\s*(?:on\s+|of\s+)?"
    rf"({DATE_PATTERN})",
    re.IGNORECASE,
)
_DIAGNOSES = re.compile(
    r"\b(?:(?:primary|final|working|current|admitting)\s+)?(?:diagnoses|diagnosis)\s*(?:include[sd]?|are|were|was|is|of"
    r"|listed\s+as|consist(?:s|ed)?\s+of|:)\s*:?\s*(.+?)(?:\.(?=\s+[A-Z]|\s*$)|$)",
    re.IGNORECASE | re.DOTALL,
)


_SUMMARY_INTRO = re.compile(
    r"^The\s+(?:expert|physician|professional)\s+reviewer\s+(?:developed|prepared|has\s+provided)\s+the\s+"
    r"following\s+(?:clinical\s+)?(?:case\s+)?summary.{0,200}?(?:medical\s+records|case\s+file)\s*[:.]\s*",
    re.IGNORECASE | re.DOTALL,
)
# A paragraph before the summary proper that speaks about the summary: "This summary was prepared ...".
_DISCLAIMER = re.compile(
    r"\b(?:following|this)\s+(?:clinical\s+)?(?:case\s+)?summary\b"
    r"|\bsummary\s+(?:was|is|has\s+been)\s+(?:prepared|developed|provided|based)"
    r"|\bmay\s+not\s+(?:include|contain|reflect)\b|\breviewer\s+(?:has\s+)?(?:developed|prepared|provided|reviewed)\b",
    re.IGNORECASE,
)
MAX_DISCLAIMER_CHARS = 600


def without_preamble(summary):
    """The clinical summary without the reviewer's introduction, disclaimers or enclosing quotes."""
    paragraphs = _SUMMARY_INTRO.sub("", summary.strip()).split("\n\n")
    while (
        len(paragraphs) > 1
        and len(paragraphs[0]) <= MAX_DISCLAIMER_CHARS
        and _DISCLAIMER.search(paragraphs[0])
        and not _AGE.search(paragraphs[0])
    ):
        paragraphs.pop(0)
    summary = "\n\n".join(paragraphs).strip()
    if summary.startswith('"'):
        summary = summary[1:]
        closing = summary.rfind('"')
        if closing != -1 and not summary[closing + 1 :].strip(" ."):
            summary = summary[:closing] + summary[closing + 1 :]
    return summary.strip()


def age_of(summary):
    match = _AGE.search(summary)
    if match and 10 <= int(match.group(1)) <= 110:
        return int(match.group(1))
    return None


def sex_of(summary):
    """Stated sex; failing that, possessive pronouns when they clearly point one way.

    Possessives (`her heels`, `his back`) mostly describe the patient, while `he`/`she` often
    stand for the treating physician, so subject pronouns are left out.
    """
    match = _SEX_WORDS.search(summary)
    if match:
        return _SEX_OF[match.group(1).lower()]
    female = len(re.findall(r"\b(?:her|hers|herself)\b", summary, re.IGNORECASE))
    male = len(re.findall(r"\b(?:his|himself)\b", summary, re.IGNORECASE))
    if female >= 2 and female >= 3 * male:
        return "female"
    if male >= 2 and male >= 3 * female:
        return "male"
    return None


def date_of_injury(summary):
    for match in _INJURY_DATE.finditer(summary):
        found = parse_date(match.group(1))
        if found:
            return found
    return None


def patient_from(summary):
    return Patient(age=age_of(summary), sex=sex_of(summary), date_of_injury=date_of_injury(summary))


def _split_list(text):
    numbered = [part for part in re.split(r"\s*\(?\b\d{1,2}[).]\s+", text) if part.strip()]
    if len(numbered) > 1:
        parts = numbered
    else:
        parts = re.split(r"\s*;\s*|,\s*(?:and\s+)?(?![^()]*\))", text)
    return [part.strip(" ,;.") for part in parts if part.strip(" ,;.")]


def diagnoses_of(summary):
    """Diagnoses from sentences that list them, in order, without repeats."""
    found = []
    for match in _DIAGNOSES.finditer(summary):
        for diagnosis in _split_list(match.group(1)):
            if 2 < len(diagnosis) <= 200 and diagnosis.lower() not in (seen.lower() for seen in found):
                found.append(diagnosis)
    return found


def facts_of(summary, header_injury, warnings):
    """The letter's patient and diagnoses as ParsedLetter fields; a date of injury in the header wins."""
    if not summary:
        warnings.append("no clinical case summary found")
    found = patient_from(summary)
    found.date_of_injury = header_injury or found.date_of_injury
    return {"patient": found, "diagnoses": diagnoses_of(summary)}
