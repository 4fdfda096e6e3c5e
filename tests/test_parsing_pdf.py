"""The PDF path end to end: real PDFs written from the seed texts, and broken ones."""

import pytest

from decisions.parsing import ParseError, parse_document, parse_letter_text
from tests.letters import SEED_FILES, pdf_bytes


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.name)
def test_pdf_of_each_seed_parses_like_its_text(path):
    text = path.read_text(encoding="utf-8")
    from_text = parse_letter_text(text)
    extracted, from_pdf = parse_document(pdf_bytes(text))
    assert "HOW THE IMR FINAL DETERMINATION WAS MADE" in extracted
    assert [(i.request, i.outcome, i.necessity) for i in from_pdf.items] == [
        (i.request, i.outcome, i.necessity) for i in from_text.items
    ]
    assert [[(c.source, c.chapter, c.pages) for c in i.citations] for i in from_pdf.items] == [
        [(c.source, c.chapter, c.pages) for c in i.citations] for i in from_text.items
    ]
    assert from_pdf.reviewer == from_text.reviewer
    assert from_pdf.patient == from_text.patient
    assert from_pdf.clinical_summary == from_text.clinical_summary


def test_text_bytes_are_sniffed_as_text():
    text = SEED_FILES[0].read_bytes()
    _, letter = parse_document(text)
    assert len(letter.items) == 2


def test_cp1252_text_is_decoded():
    text = SEED_FILES[1].read_text(encoding="utf-8").replace("Zanaflex", "Zanaflex\u2019s")
    _, letter = parse_document(text.encode("cp1252"))
    assert letter.items[0].request == "Zanaflex's 4 MG #90"


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty"),
        (
            b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer garbage",
            "PDF could not be read|no extractable",
        ),
        (b"%PDF-1.7\n" + bytes(range(256)) * 8, "PDF could not be read|no extractable"),
        (b"PK\x03\x04\x00\x00binary zip bytes", "binary"),
    ],
)
def test_broken_files_raise_parse_error(data, reason):
    with pytest.raises(ParseError, match=reason):
        parse_document(data)


def test_truncated_pdf_raises_parse_error():
    data = pdf_bytes(SEED_FILES[0].read_text(encoding="utf-8"))
    with pytest.raises(ParseError):
        parse_document(data[: len(data) // 3])


def test_password_protected_pdf_is_refused_clearly():
    data = pdf_bytes(SEED_FILES[0].read_text(encoding="utf-8"), password="secret")
    with pytest.raises(ParseError, match="encrypted|password"):
        parse_document(data)


def test_pdf_without_text_says_so():
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(10, 10, 50, 50)
    with pytest.raises(ParseError, match="no extractable text"):
        parse_document(bytes(pdf.output()))
