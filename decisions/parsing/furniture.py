"""Page furniture in extracted text: page numbers and the running headers and footers a PDF prints
on every page. pdfminer puts them into the text where the page breaks (form feeds), so a rationale
that runs over a page would otherwise read "...this medication. 2 IMR Case CM13-0001234 The ...".
"""

import re

from decisions.parsing.header import CASE_NUMBER
from decisions.parsing.items import label_at

PAGE_BREAK = "\f"
# How many non-blank lines at the top and the foot of a page can be furniture.
EDGE_LINES = 3
MAX_FURNITURE_CHARS = 100
_PAGE_NUMBER = re.compile(
    r"(?:page\s*)?[-(]?\s*\d{1,3}\s*[-)]?(?:\s*(?:of|/)\s*\d{1,3})?|page\s+[ivx]{1,5}", re.IGNORECASE
)


def _key(line, page_number):
    """Running heads that differ only in the page's own number ("Page 2 of 5") are the same line."""
    return re.sub(rf"(?<!\d){page_number}(?!\d)", "#", " ".join(line.split()).lower())


def _edges(lines):
    """Indexes of the first and last EDGE_LINES non-blank lines of a page."""
    filled = [index for index, line in enumerate(lines) if line.strip()]
    return sorted(set(filled[:EDGE_LINES] + filled[-EDGE_LINES:]))


def without_furniture(text):
    """The text with page numbers, repeated page headers/footers and case-number running heads removed.
    The first page keeps its own header: the letter's heading and case number are part of the letter."""
    pages = [page.split("\n") for page in text.split(PAGE_BREAK)]
    if len([page for page in pages if any(line.strip() for line in page)]) < 2:
        return text
    seen_on = {}
    for number, lines in enumerate(pages):
        for index in _edges(lines):
            line = lines[index].strip()
            if len(line) <= MAX_FURNITURE_CHARS and not label_at(line):
                seen_on.setdefault(_key(line, number + 1), set()).add(number)
    filled_pages = sum(1 for lines in pages if any(line.strip() for line in lines))
    repeated = {key for key, numbers in seen_on.items() if len(numbers) >= max(2, (filled_pages + 1) // 2)}
    for number, lines in enumerate(pages):
        edges = _edges(lines)
        top, outermost = edges[:EDGE_LINES], {edges[0], edges[-1]} if edges else set()
        for index in edges:
            line = lines[index].strip()
            if (index in outermost and _PAGE_NUMBER.fullmatch(line)) or (
                not (number == 0 and index in top)
                and (
                    _key(line, number + 1) in repeated
                    or (len(line) <= MAX_FURNITURE_CHARS and CASE_NUMBER.search(line))
                )
            ):
                lines[index] = ""
    return PAGE_BREAK.join("\n".join(lines) for lines in pages)
