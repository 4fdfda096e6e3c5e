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
# A running head is short; a line that fills the page width is body text.
MAX_FURNITURE_CHARS = 70
_PAGE_NUMBER = re.compile(
    r"(?:page\s*)?[-(]?\s*\d{1,3}\s*[-)]?(?:\s*(?:of|/)\s*\d{1,3})?|page\s+[ivx]{1,5}", re.IGNORECASE
)


def _key(line, page_number):
    """Running heads that differ only in the page's own number ("Page 2 of 5") are the same line."""
    return re.sub(rf"(?<!\d){page_number}(?!\d)", "#", " ".join(line.split()).lower())


def _slots(lines):
    """(index, slot) of the first and last EDGE_LINES non-blank lines of a page; a slot is the line's
    rank from the top or from the foot, where a running head sits on every page."""
    filled = [index for index, line in enumerate(lines) if line.strip()]
    slots = {index: ("top", rank) for rank, index in enumerate(filled[:EDGE_LINES])}
    slots.update({index: ("foot", rank) for rank, index in enumerate(reversed(filled[-EDGE_LINES:]))})
    return sorted(slots.items()), set(filled[:1] + filled[-1:])


def _may_be_furniture(line):
    """Short, no label, and not the lowercase continuation of a sentence wrapped from the page before."""
    return len(line) <= MAX_FURNITURE_CHARS and not line[:1].islower() and not label_at(line)


def without_furniture(text):
    """The text with page numbers, repeated page headers/footers and case-number running heads removed.
    The first page keeps its own header: the letter's heading and case number are part of the letter.
    Text without form feeds is not laid out in pages and is returned as it is."""
    pages = [page.split("\n") for page in text.split(PAGE_BREAK)]
    if len(pages) < 2:
        return text
    page_slots = [_slots(lines) for lines in pages]
    seen_on = {}
    for number, (lines, (slots, _)) in enumerate(zip(pages, page_slots, strict=True)):
        for index, slot in slots:
            line = lines[index].strip()
            if _may_be_furniture(line):
                seen_on.setdefault((slot, _key(line, number + 1)), set()).add(number)
    filled_pages = sum(1 for lines in pages if any(line.strip() for line in lines))
    needed = max(2, (filled_pages + 1) // 2)
    for number, (lines, (slots, outermost)) in enumerate(zip(pages, page_slots, strict=True)):
        for index, slot in slots:
            line = lines[index].strip()
            if index in outermost and _PAGE_NUMBER.fullmatch(line):
                lines[index] = ""
            elif (number, slot[0]) != (0, "top") and _may_be_furniture(line):
                repeated = len(seen_on.get((slot, _key(line, number + 1)), ())) >= needed
                if repeated or CASE_NUMBER.search(line):
                    lines[index] = ""
    return PAGE_BREAK.join("\n".join(lines) for lines in pages)
