"""Parse IMR final determination letters (text or PDF) into plain dataclasses.

Nothing here imports Django: the parser can be used and tested on its own.
"""

from decisions.parsing.documents import content_hash, document_text, parse_document
from decisions.parsing.letter import parse_letter_text
from decisions.parsing.records import ParsedLetter, ParseError

# Raised when the parser reads letters differently enough that stored letters should be read again;
# every letter records the version that read it (2: the column headers, sections and partial
# authorizations of the letters the DWC posted since 2016; 3: the reasons each rationale gives).
PARSER_VERSION = 3

__all__ = [
    "PARSER_VERSION",
    "ParseError",
    "ParsedLetter",
    "content_hash",
    "document_text",
    "parse_document",
    "parse_letter_text",
]
