"""The rarer letter layouts (the 2013 notice, the medical professional review) and their variants,
as text and as PDFs, and page furniture removed from multi-page PDFs."""

from datetime import date

import pytest

from decisions.parsing import ParseError, parse_document, parse_letter_text
from decisions.parsing.furniture import without_furniture
from tests.layouts import NOTICE_2013, PROFESSIONAL_REVIEW
from tests.letters import item, pdf_bytes, pdfminer_style, standard_letter


def replaced(lines, old, new):
    """The letter with line `old` replaced by the lines `new` (a str is one line, a list several)."""
    assert old in lines, old
    index = lines.index(old)
    return lines[:index] + ([new] if isinstance(new, str) else list(new)) + lines[index + 1 :]


def without(lines, first, last):
    """The letter without the lines from the one starting `first` to the next one starting `last`."""
    start = next(index for index, line in enumerate(lines) if line.startswith(first))
    end = next(index for index, line in enumerate(lines) if index >= start and line.startswith(last))
    return lines[:start] + lines[end + 1 :]


def edited(lines, old, new):
    """The letter with `old` replaced by `new` in the one line that holds it."""
    (index,) = [index for index, line in enumerate(lines) if old in line]
    return lines[:index] + [lines[index].replace(old, new)] + lines[index + 1 :]


def summary_of(letter):
    return [(i.request, i.outcome, i.necessity, [c.pages for c in i.citations]) for i in letter.items]


# The 2013 notice -----------------------------------------------------------------------------


def test_notice_2013_letter():
    letter = parse_letter_text(pdfminer_style(NOTICE_2013))
    assert letter.format == "notice_2013"
    assert letter.case_number == "CM13-0021987"
    assert (letter.dates.decision, letter.dates.received, letter.dates.ur_denial, letter.dates.assigned) == (
        date(2013, 9, 26),
        date(2013, 9, 6),
        date(2013, 8, 30),
        date(2013, 9, 23),
    )
    assert (letter.reviewer.specialties, letter.reviewer.licensure_states) == (
        ["Occupational Medicine"],
        ["California"],
    )
    assert letter.clinical_summary.startswith("The patient is a 44 year-old female with a date of Injury")
    assert letter.clinical_summary.endswith("physical therapy and chiropractic care.")
    assert (letter.patient.age, letter.patient.sex, letter.patient.date_of_injury) == (
        44,
        "female",
        date(2001, 8, 28),
    )
    assert letter.diagnoses == ["chronic low back pain and lumbar radiculopathy"]
    assert summary_of(letter) == [
        ("28 day functional restoration program", "upheld", "not_necessary", [[30, 31, 32, 33, 34]]),
        ("Norco 10/325mg #120", "overturned", "necessary", [[78, 79, 80]]),
    ]
    restoration, norco = letter.items
    assert restoration.treatment.name == "functional restoration program"
    assert norco.treatment.drug_class == "opioid"
    assert restoration.claims_administrator_guideline.startswith(
        "The Claims Administrator based its decision"
    )
    assert restoration.rationale.endswith("restoration program is not medically necessary and appropriate.")
    assert "Effect of the Decision" not in norco.rationale and "cc:" not in norco.rationale
    assert letter.warnings == []


def test_notice_2013_single_spaced_text_parses_the_same():
    assert summary_of(parse_letter_text("\n".join(NOTICE_2013))) == summary_of(
        parse_letter_text(pdfminer_style(NOTICE_2013))
    )


@pytest.mark.parametrize(
    "old, new",
    [
        # the title on its own line, the date on the next
        (
            "MAXIMUS FEDERAL SERVICES, INC. Notice of Independent Medical Review Determination",
            ["MAXIMUS FEDERAL SERVICES, INC.", "Notice of Independent Medical Review Determination"],
        ),
        # headings wrapped over two lines
        (
            "Medical Qualifications of the Expert Reviewer:",
            ["Medical Qualifications of the Expert", "Reviewer:"],
        ),
        ("Case Summary:", "Expert Reviewer Case Summary:"),
        # other wordings of the guideline labels
        (
            "Medical Treatment Guideline(s) which the Claims Administrator based its decision on:",
            "Medical Treatment Guideline(s) Used by the Claims Administrator:",
        ),
        (
            "Medical Treatment Guideline(s) which the Expert Reviewer based his/her decision on:",
            ["Medical Treatment Guideline(s) relied upon by the Expert", "Reviewer:"],
        ),
        # numbered with a full stop, the request on the next line
        (
            "2) Regarding the request for Norco 10/325mg #120:",
            ["2. Regarding the request for", "Norco 10/325mg #120:"],
        ),
    ],
)
def test_notice_2013_variants(old, new):
    letter = parse_letter_text(pdfminer_style(replaced(NOTICE_2013, old, new)))
    assert letter.format == "notice_2013"
    assert summary_of(letter) == summary_of(parse_letter_text(pdfminer_style(NOTICE_2013)))
    assert letter.reviewer.specialties == ["Occupational Medicine"]
    assert letter.clinical_summary.startswith("The patient is a 44 year-old female")
    assert letter.warnings == []


def test_notice_2013_lost_spaces_and_short_verdicts():
    lines = edited(NOTICE_2013[:20], "#120 is medically", "#120 is notmedically") + NOTICE_2013[20:]
    lines = replaced(lines, "necessary and appropriate.", "necessary.")
    letter = parse_letter_text(pdfminer_style(lines))
    assert [(i.request, i.outcome) for i in letter.items] == [
        ("28 day functional restoration program", "upheld"),
        ("Norco 10/325mg #120", "upheld"),
    ]
    # the first statement decides; the rationale that says otherwise is flagged, not silently followed
    assert letter.warnings == ["item 2: outcome is upheld but the rationale concludes medically necessary"]


def test_notice_2013_without_item_parts_keeps_the_decisions_and_says_what_is_missing():
    lines = without(
        NOTICE_2013, "1) Regarding the request for a 28 day functional restoration program:", "appropriate."
    )
    letter = parse_letter_text(pdfminer_style(lines))
    assert [(i.request, i.outcome) for i in letter.items] == [
        ("28 day functional restoration program", "upheld"),
        ("Norco 10/325mg #120", "overturned"),
    ]
    assert any("no part explaining the decision" in w for w in letter.warnings)
    assert any("no Decision rationale found" in w for w in letter.warnings)
    assert letter.clinical_summary.endswith("chiropractic care.")


def test_notice_2013_without_prose_dates_or_qualifications():
    lines = without(
        NOTICE_2013,
        "An application for Independent Medical Review was filed",
        "parties on 9/23/2013.",
    )
    lines = without(
        lines,
        "Medical Qualifications of the Expert Reviewer:",
        "California. He/she has been",
    )
    letter = parse_letter_text(pdfminer_style(lines))
    assert (letter.dates.decision, letter.dates.received, letter.dates.assigned) == (
        date(2013, 9, 26),
        None,
        None,
    )
    assert letter.reviewer.specialties == []
    assert "reviewer: no certification or specialty found" in letter.warnings
    assert len(letter.items) == 2


def test_notice_2013_without_title_is_recognised_by_its_decision_heading():
    letter = parse_letter_text(pdfminer_style(NOTICE_2013[1:]))
    assert letter.format == "notice_2013"
    assert len(letter.items) == 2


def test_notice_2013_without_any_decision_is_refused_clearly():
    lines = [
        line
        for line in NOTICE_2013
        if "has determined the request" not in line and line != "necessary and appropriate."
    ]
    with pytest.raises(ParseError, match="2013 IMR notice, but no numbered decision"):
        parse_letter_text(pdfminer_style(lines))


def test_notice_2013_pdf_parses_like_its_text():
    text, letter = parse_document(pdf_bytes(pdfminer_style(NOTICE_2013)))
    assert letter.format == "notice_2013"
    assert summary_of(letter) == summary_of(parse_letter_text(pdfminer_style(NOTICE_2013)))
    assert letter.dates.assigned == date(2013, 9, 23)


# The medical professional review ---------------------------------------------------------------


def test_professional_review_letter():
    letter = parse_letter_text(pdfminer_style(PROFESSIONAL_REVIEW))
    assert letter.format == "professional_review"
    assert (letter.case_number, letter.dates.assigned) == ("CM13-0054321", date(2013, 11, 12))
    assert (letter.reviewer.specialties, letter.reviewer.licensure_states) == (
        ["Physical Medicine and Rehabilitation"],
        ["California"],
    )
    assert (letter.patient.age, letter.patient.sex, letter.patient.date_of_injury) == (
        58,
        "male",
        date(2009, 3, 14),
    )
    assert "Progress notes" not in letter.clinical_summary
    (baclofen,) = letter.items
    assert summary_of(letter) == [("Baclofen 10mg #60", "upheld", "not_necessary", [[63, 64, 65, 66]])]
    assert [(c.source, c.topic) for c in baclofen.citations] == [("chronic_pain", "Muscle Relaxants")]
    assert baclofen.claims_administrator_guideline is None
    assert baclofen.treatment.drug_class == "muscle relaxant"
    assert baclofen.rationale.startswith("Muscle relaxants are recommended only for short courses")
    assert "Board Certified" not in baclofen.rationale
    assert letter.warnings == []


TWO_ISSUES = {
    "ISSUE AT DISPUTE: Baclofen 10mg #60": [
        "ISSUE AT DISPUTE:",
        "1. Is the requested Baclofen 10mg #60 medically necessary?",
        "2. Is the requested physical therapy, 12 sessions for the",
        "cervical spine medically necessary?",
    ],
    "MTUS Chronic Pain Medical Treatment Guidelines, Muscle Relaxants, pages 63-66. These guidelines": [
        "1. MTUS Chronic Pain Medical Treatment Guidelines, Muscle Relaxants, pages 63-66. These guidelines",
    ],
    "address the long term use of muscle relaxants.": [
        "address the long term use of muscle relaxants.",
        "2. MTUS Chronic Pain Medical Treatment Guidelines, Physical Medicine, pages 98-99.",
    ],
    "Muscle relaxants are recommended only for short courses in acute exacerbations. The patient has": [
        "1. Muscle relaxants are recommended only for short courses in acute exacerbations. The patient has",
    ],
    "not medically necessary.": [
        "not medically necessary.",
        "2. The patient has not had therapy for the neck and has a new flare with weakness. A course of",
        "therapy is medically necessary.",
    ],
}


def _two_issues():
    lines = PROFESSIONAL_REVIEW
    for old, new in TWO_ISSUES.items():
        lines = replaced(lines, old, new)
    return lines


def test_professional_review_with_numbered_issues_guidelines_and_rationales():
    letter = parse_letter_text(pdfminer_style(_two_issues()))
    assert summary_of(letter) == [
        ("Baclofen 10mg #60", "upheld", "not_necessary", [[63, 64, 65, 66]]),
        ("physical therapy, 12 sessions for the cervical spine", "overturned", "necessary", [[98, 99]]),
    ]
    assert letter.items[1].rationale.startswith("The patient has not had therapy for the neck")
    assert letter.warnings == []


def test_professional_review_rationale_not_split_per_item_is_shared_with_a_warning():
    lines = replaced(
        _two_issues(),
        "2. The patient has not had therapy for the neck and has a new flare with weakness. A course of",
        "The patient has not had therapy for the neck and has a new flare with weakness. A course of",
    )
    lines = replaced(
        lines,
        "1. Muscle relaxants are recommended only for short courses in acute exacerbations. The patient has",
        "Muscle relaxants are recommended only for short courses in acute exacerbations. The patient has",
    )
    letter = parse_letter_text(pdfminer_style(lines))
    assert len(letter.items) == 2
    assert letter.items[0].rationale == letter.items[1].rationale
    assert "the rationale is not split per item; each item shows all of it" in letter.warnings


@pytest.mark.parametrize(
    "issue, outcome",
    [
        ("ISSUE AT DISPUTE: Baclofen 10mg #60: Overturned", "overturned"),
        ("ISSUE AT DISPUTE: Baclofen 10mg #60 - Upheld", "upheld"),
        ("ISSUE AT DISPUTE: Whether the request for Baclofen 10mg #60 is medically necessary", None),
    ],
)
def test_professional_review_issue_wordings(issue, outcome):
    letter = parse_letter_text(
        pdfminer_style(replaced(PROFESSIONAL_REVIEW, "ISSUE AT DISPUTE: Baclofen 10mg #60", issue))
    )
    (baclofen,) = letter.items
    assert baclofen.request == "Baclofen 10mg #60"
    assert baclofen.outcome == (outcome or "upheld")  # unstated: the rationale concludes not necessary


def test_professional_review_without_a_stated_or_concluded_outcome_is_upheld_with_a_warning():
    lines = replaced(PROFESSIONAL_REVIEW, "not medically necessary.", "of limited value.")
    lines = replaced(
        lines,
        "taken baclofen for over a year without documented benefit. The request for Baclofen 10mg #60 is",
        "taken baclofen for over a year without documented benefit. The request for Baclofen 10mg #60 is",
    )
    letter = parse_letter_text(pdfminer_style(lines))
    assert letter.items[0].outcome == "upheld"
    assert any("no outcome stated; upheld" in w for w in letter.warnings)


def test_professional_review_with_headings_on_one_line_and_labelled_credentials():
    lines = replaced(
        PROFESSIONAL_REVIEW,
        "MEDICAL TREATMENT GUIDELINE(S) RELIED UPON BY PROFESSIONAL",
        "MEDICAL TREATMENT GUIDELINE(S) RELIED UPON BY PROFESSIONAL REVIEWER AND WHY:",
    )
    lines = replaced(lines, "REVIEWER AND WHY:", [])
    lines = replaced(
        lines,
        "The reviewer is Board Certified in Physical Medicine and Rehabilitation and is licensed to practice",
        [
            "State(s) of Licensure: California, Nevada",
            "Certification(s)/Specialty: Physical Medicine & Rehabilitation",
        ],
    )
    lines = replaced(lines, "in California.", [])
    letter = parse_letter_text(pdfminer_style(lines))
    assert letter.reviewer.licensure_states == ["California", "Nevada"]
    assert letter.reviewer.specialties == ["Physical Medicine & Rehabilitation"]
    assert summary_of(letter) == summary_of(parse_letter_text(pdfminer_style(PROFESSIONAL_REVIEW)))


def test_professional_review_without_issue_is_refused_clearly():
    lines = replaced(PROFESSIONAL_REVIEW, "ISSUE AT DISPUTE: Baclofen 10mg #60", "ISSUE AT DISPUTE:")
    with pytest.raises(ParseError, match="ISSUE AT DISPUTE names no treatment"):
        parse_letter_text(pdfminer_style(lines))


def test_professional_review_pdf_parses_like_its_text():
    _, letter = parse_document(pdf_bytes(pdfminer_style(_two_issues())))
    assert letter.format == "professional_review"
    assert summary_of(letter) == summary_of(parse_letter_text(pdfminer_style(_two_issues())))


# Page furniture ---------------------------------------------------------------------------------

LONG_RATIONALE = [
    "Decision rationale: The claimant has taken this medication for years.",
    *[
        f"Visit {n}: the claimant reports pain relief of about thirty percent with this medication today."
        for n in range(1, 90)
    ],
    "The request is not medically necessary as no functional gain related specifically to this medication.",
]


def _long_letter():
    opioids = "Decision based on MTUS Chronic Pain Treatment Guidelines Opioids Page(s): 74-96."
    first = item(["Norco 10/325mg #120: Upheld"], opioids, "x")[:-1] + LONG_RATIONALE
    second = item(
        ["Baclofen 10mg #60: Upheld"],
        "MTUS Chronic Pain Page(s): 63-66",
        "Not supported. It is not medically necessary.",
    )
    return standard_letter([first, second], header=["IMR Case Number: CM13-0001234"])


@pytest.mark.parametrize(
    "running_header",
    [None, "IMR Case Number CM13-0001234", "Independent Medical Review - Final Determination"],
)
def test_pdf_page_numbers_and_running_headers_stay_out_of_the_text(running_header):
    pdf = pdf_bytes(_long_letter(), running_header=running_header, page_numbers=True)
    text, letter = parse_document(pdf)
    assert text.count("\f") >= 3  # the letter runs over several pages
    norco, baclofen = letter.items
    assert norco.rationale.endswith("related specifically to this medication.")
    paragraphs = norco.rationale.split("\n\n")
    assert len(paragraphs) == 1, paragraphs[1:]  # no page number or header broke or joined the prose
    for visit in range(1, 90):
        assert f"Visit {visit}: the claimant reports pain relief" in norco.rationale
    assert running_header is None or running_header not in norco.rationale
    assert letter.case_number == "CM13-0001234"
    assert baclofen.rationale == "Not supported. It is not medically necessary."


def test_furniture_keeps_numbers_that_are_not_at_a_page_edge_and_the_first_page_header():
    pages = [
        "MAXIMUS FEDERAL SERVICES\nCase CM13-0000001\n\nintro\n120\nmore text\nlast words\n\nPage 1 of 3",
        "MAXIMUS FEDERAL SERVICES\nCase CM13-0000001\nbody two\n60\nbody two end\n\nPage 2 of 3",
        "MAXIMUS FEDERAL SERVICES\nCase CM13-0000001\nbody three\n- 3 -",
    ]
    cleaned = without_furniture("\f".join(pages))
    first, second, third = (page.split() for page in cleaned.split("\f"))
    assert cleaned.count("MAXIMUS FEDERAL SERVICES") == 1 and cleaned.count("CM13-0000001") == 1
    assert "120" in first and "60" in second
    assert "Page" not in cleaned and "-" not in third
    assert without_furniture("one page\n2\n") == "one page\n2\n"


# The late-2013 headed layout (IMR DECISION(S) AND RATIONALE(S)) ---------------------------------


def _legacy():
    from tests.test_parsing_variants import LEGACY

    return LEGACY


def test_legacy_2013_pdf_parses_like_its_text():
    _, letter = parse_document(pdf_bytes(pdfminer_style(_legacy()), page_numbers=True))
    assert letter.format == "legacy_2013"
    assert summary_of(letter) == summary_of(parse_letter_text(pdfminer_style(_legacy())))


def test_legacy_2013_with_lost_spaces_and_a_verdict_wrapped_over_three_lines():
    lines = replaced(
        _legacy(),
        "1. Lidoderm patch 5% #30 is not medically necessary and appropriate.",
        ["1. Lidoderm patch 5% #30 is", "notmedically necessary and", "appropriate."],
    )
    letter = parse_letter_text(pdfminer_style(lines))
    assert [(i.request, i.outcome) for i in letter.items][0] == ("Lidoderm patch 5% #30", "upheld")


def test_legacy_2013_without_its_documents_section_is_still_that_layout():
    lines = without(_legacy(), "DOCUMENTS REVIEWED FOR THIS IMR", "Utilization Review Determination dated")
    letter = parse_letter_text(pdfminer_style(lines))
    assert letter.format == "legacy_2013" and len(letter.items) == 2
