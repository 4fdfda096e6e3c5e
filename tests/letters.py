"""Build letters for tests: pdfminer-style text from plain lines, and PDFs from text."""

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "sample_letters"
SEED_FILES = sorted(SEEDS.glob("*.txt"))

CREDENTIALS = [
    "HOW THE IMR FINAL DETERMINATION WAS MADE",
    "MAXIMUS Federal Services sent the complete case file to an expert reviewer. He/she has no",
    "affiliation with the employer, employee, providers or the claims administrator.",
    "",
    "The Expert Reviewer has the following credentials:",
    "State(s) of Licensure: California",
    "Certification(s)/Specialty: Orthopaedic Surgery",
    "",
]


def seed_text(name):
    return (SEEDS / name).read_text(encoding="utf-8")


def pdfminer_style(lines):
    """Lines as pdfminer writes them: trailing space, a blank line after each, ' ' for a break."""
    out = []
    for line in lines:
        out.append(f"{line} \n\n" if line else " \n\n")
    return "".join(out)


def standard_letter(items, summary=None, header=()):
    """A letter in the seeds' layout; items are lists of lines already laid out."""
    summary = summary or [
        "The 43-year-old female sustained an industrial injury on 1-25-77. Diagnoses include",
        "1) lumbar radiculopathy 2) cervical strain.",
    ]
    lines = (
        list(header)
        + CREDENTIALS
        + [
            "CLINICAL CASE SUMMARY",
            "The expert reviewer developed the following clinical case summary based on a review of the",
            "case file, including all medical records:",
            "",
            *summary,
            "",
            "IMR ISSUES, DECISIONS AND RATIONALES",
            "The Final Determination was based on decisions for the disputed items/services set forth below:",
            "",
        ]
    )
    for item in items:
        lines += list(item) + [""]
    return pdfminer_style(lines)


def item(
    heading_lines, maximus, rationale, claims="Decision based on MTUS Chronic Pain Treatment Guidelines."
):
    return [
        *heading_lines,
        "",
        f"Claims Administrator guideline: {claims}",
        "",
        f"MAXIMUS guideline: {maximus}",
        "",
        f"Decision rationale: {rationale}",
    ]


def pdf_bytes(text, password=None, running_header=None, page_numbers=False):
    """A real PDF of the letter's lines, written with fpdf2's core fonts; optionally with a header
    line on every page but the first and a page number at the foot of every page."""
    from fpdf import FPDF

    class Letter(FPDF):
        def header(self):
            if running_header and self.page_no() > 1:
                self.set_font("Helvetica", size=8)
                self.cell(0, 5, running_header, new_x="LMARGIN", new_y="NEXT")
                self.ln(3)

        def footer(self):
            if page_numbers:
                self.set_y(-12)
                self.set_font("Helvetica", size=8)
                self.cell(0, 5, str(self.page_no()), align="C")

    pdf = Letter(format="letter")
    if password:
        pdf.set_encryption(owner_password="owner", user_password=password)
    pdf.add_page()
    for line in text.splitlines():
        if not line.strip() and line != " ":
            continue  # pdfminer's doubled spacing is not in the original document
        pdf.set_font("Helvetica", size=10)
        pdf.cell(
            0, 5, line.strip().encode("latin-1", "replace").decode("latin-1"), new_x="LMARGIN", new_y="NEXT"
        )
    return bytes(pdf.output())
