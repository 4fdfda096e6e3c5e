"""Turn an uploaded file's bytes into letter text: PDF through pdfminer.six, text by its encoding."""
import hashlib
import io

from decisions.parsing.letter import parse_letter_text
from decisions.parsing.records import ParseError

PDF_MAGIC = b"%PDF"


def content_hash(data):
    return hashlib.sha256(data).hexdigest()


def pdf_text(data):
    """Text of a PDF as pdfminer lays it out; ParseError for a broken, encrypted or image-only PDF."""
    from pdfminer.high_level import extract_text
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    try:
        extracted = extract_text(io.BytesIO(data))
    except (PDFEncryptionError, PDFPasswordIncorrect):
        raise ParseError("the PDF is encrypted or password-protected") from None
    except Exception as error:  # pdfminer raises many unrelated types for damaged files
        raise ParseError(f"the PDF could not be read ({type(error).__name__}: {str(error)[:120]})") from None
    if not extracted.strip():
        raise ParseError("the PDF has no extractable text (a scanned image? it needs OCR first)")
    return extracted


def decoded_text(data):
    """Text of a plain-text upload; ParseError for binary data."""
    if b"\x00" in data[:4096]:
        raise ParseError("the file is binary, not text or PDF")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def document_text(data):
    """The letter text inside a file's bytes, whichever of PDF or text it is."""
    if not data:
        raise ParseError("the file is empty")
    return pdf_text(data) if data.lstrip()[:4] == PDF_MAGIC else decoded_text(data)


def parse_document(data):
    """(text, parsed letter) for a file's bytes; raises ParseError with the reason it failed."""
    letter_text = document_text(data)
    return letter_text, parse_letter_text(letter_text)
