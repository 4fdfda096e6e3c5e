"""Read one determination letter: undo the PDF layout, then hand it to the layout it is written in."""

from decisions.parsing import text
from decisions.parsing.layouts import LAYOUTS
from decisions.parsing.records import ParseError


def parse_letter_text(raw_text):
    """Parse the text of one letter; raises ParseError when it is not an IMR determination."""
    if not raw_text or not raw_text.strip():
        raise ParseError("the document contains no text")
    lines = text.logical_lines(raw_text)
    known_words = text.WordSet(lines)
    layout = next(layout for layout in LAYOUTS if layout.recognises(lines))
    return layout.parse(lines, known_words)
