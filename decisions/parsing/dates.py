"""Dates as letters write them: 7/16/1995, 1-25-77, October 1, 2003, Oct. 1 2003, 2003-10-01."""

import re
from datetime import date

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))

DATE_PATTERN = (
    r"(?:\d{4}-\d{1,2}-\d{1,2}"
    r"|\d{1,2}[/-]\d{1,2}[/-](?:\d{4}|\d{2})(?!\d)"
    rf"|(?:{_MONTH_NAMES})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})"
)
_DATE_RE = re.compile(DATE_PATTERN, re.IGNORECASE)


def _full_year(year_text, today):
    year = int(year_text)
    if len(year_text) == 2:
        year += 2000 if year <= today.year % 100 else 1900
    return year


def parse_date(text, today=None):
    """The first date written in text, or None; never raises."""
    today = today or date.today()
    match = _DATE_RE.search(text or "")
    if not match:
        return None
    token = match.group(0)
    try:
        if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", token):
            year, month, day = (int(part) for part in token.split("-"))
        elif re.match(r"\d", token):
            month_text, day_text, year_text = re.split(r"[/-]", token)
            month, day, year = int(month_text), int(day_text), _full_year(year_text, today)
        else:
            words = re.match(r"([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})", token)
            month, day, year = _MONTHS[words.group(1).lower()], int(words.group(2)), int(words.group(3))
        found = date(year, month, day)
    except (ValueError, KeyError, AttributeError):
        return None
    if not 1900 <= found.year <= today.year + 1:
        return None
    return found
