"""Parse IMR final determination letters (text or PDF) into plain dataclasses.

Nothing here imports Django: the parser can be used and tested on its own.
"""

from decisions.parsing.documents import content_hash, document_text, parse_document
from decisions.parsing.letter import parse_letter_text
from decisions.parsing.records import ParsedLetter, ParseError

__all__ = [
    "ParseError",
    "ParsedLetter",
    "content_hash",
    "document_text",
    "parse_document",
    "parse_letter_text",
]
