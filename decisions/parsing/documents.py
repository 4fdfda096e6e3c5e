"""Turn an uploaded file's bytes into letter text: PDF through pdfminer.six, text by its encoding."""

import codecs
import hashlib
import io
import logging
from dataclasses import dataclass

from decisions.parsing.furniture import without_furniture
from decisions.parsing.letter import parse_letter_text
from decisions.parsing.records import ParseError
from decisions.parsing.sandbox import run_limited

PDF_MAGIC = b"%PDF"
# Control bytes a text letter does not hold (tab, newline, form feed and return it does).
BINARY_CONTROLS = bytes(byte for byte in range(32) if byte not in b"\t\n\x0c\r")


def _looks_binary(sample):
    """Control bytes all through it; a text letter may carry a stray NUL or two, no more."""
    controls = len(sample) - len(sample.translate(None, BINARY_CONTROLS))
    return sample.count(b"\x00") > 4 or controls > len(sample) // 20


@dataclass(frozen=True)
class PdfLimits:
    """What reading one PDF may cost. Real letters take well under a second, a few MB and 20 pages."""

    seconds: float = 20.0
    memory_bytes: int = 1024 * 2**20
    pages: int = 60


def content_hash(data):
    return hashlib.sha256(data).hexdigest()


def pdf_text(data, limits=PdfLimits()):
    """Text of a PDF as pdfminer lays it out, read in a child process within `limits`; ParseError for
    a broken, encrypted, image-only, too long or too costly PDF."""
    extracted = run_limited(
        _extract_pdf_text, (data, limits.pages), limits.seconds, limits.memory_bytes, "the PDF"
    )
    if not extracted.strip():
        raise ParseError("the PDF has no extractable text (a scanned image? it needs OCR first)")
    return extracted


def _extract_pdf_text(data, max_pages):
    # pdfminer warns of each letter's "should not allow text extraction" flag, which every DWC letter
    # carries: a bulk import would log a line per PDF for nothing.
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    from pdfminer.high_level import extract_text
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfpage import PDFPage

    try:
        pages = sum(1 for _ in PDFPage.get_pages(io.BytesIO(data), maxpages=max_pages + 1))
        if pages > max_pages:
            raise ParseError(f"the PDF has more than {max_pages} pages; a determination letter has far fewer")
        return extract_text(io.BytesIO(data), maxpages=max_pages)
    except (PDFEncryptionError, PDFPasswordIncorrect):
        raise ParseError("the PDF is encrypted or password-protected") from None
    except MemoryError:
        raise  # the sandbox's memory limit, which says so in its own sentence
    except Exception as error:  # pdfminer raises many unrelated types for damaged files
        raise ParseError(f"the PDF could not be read ({type(error).__name__}: {str(error)[:120]})") from None


def decoded_text(data):
    """Text of a plain-text upload (UTF-8, UTF-16 with its byte-order mark, Windows-1252); ParseError
    for binary data."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ParseError("the file says it is UTF-16 text but is not") from None
    if _looks_binary(data[:4096]):
        raise ParseError("the file is binary, not text or PDF")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def document_text(data, pdf_limits=PdfLimits()):
    """The letter text inside a file's bytes, whichever of PDF or text it is, without page furniture
    (text files too may be pdfminer's output, page breaks and all). NUL characters go: no letter has
    them, and PostgreSQL cannot store them."""
    if not data:
        raise ParseError("the file is empty")
    text = pdf_text(data, pdf_limits) if data.lstrip()[:4] == PDF_MAGIC else decoded_text(data)
    return without_furniture(text.replace("\x00", ""))


def parse_document(data, pdf_limits=PdfLimits()):
    """(text, parsed letter) for a file's bytes; raises ParseError with the reason it failed."""
    letter_text = document_text(data, pdf_limits)
    return letter_text, parse_letter_text(letter_text)
