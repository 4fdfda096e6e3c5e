"""Letters the seeds do not show: headers, the 2013 layout, wrapped headings, odd citations, garbage."""

from datetime import date

import pytest

from decisions.parsing import ParseError, parse_letter_text
from tests.letters import CREDENTIALS, item, pdfminer_style, standard_letter

OPIOIDS = "Decision based on MTUS Chronic Pain Treatment Guidelines Opioids Page(s): 74-96."
NOT_NECESSARY = (
    "There is no documented functional improvement. Therefore, the request is not medically necessary."
)
NECESSARY = "Functional gains are documented. Therefore, the request is medically necessary."


def test_heading_wrapped_over_three_lines_with_outcome_alone():
    letter = parse_letter_text(
        standard_letter(
            [
                item(
                    [
                        "Retrospective request for Norco 10/325mg one tablet every six hours as needed for",
                        "breakthrough pain, quantity 120 with two refills dispensed on",
                        "March 3, 2014:",
                        "Overturned",
                    ],
                    OPIOIDS,
                    NECESSARY,
                ),
                item(
                    ["Urine drug screen: Upheld"],
                    "Decision based on MTUS Chronic Pain Treatment Guidelines Drug testing Page(s): 43.",
                    NOT_NECESSARY,
                ),
            ]
        )
    )
    first, second = letter.items
    assert first.request == (
        "Retrospective request for Norco 10/325mg one tablet every six hours as needed for "
        "breakthrough pain, quantity 120 with two refills dispensed on March 3, 2014"
    )
    assert first.outcome == "overturned"
    assert (
        first.treatment.name,
        first.treatment.strength,
        first.treatment.quantity,
        first.treatment.refills,
    ) == ("hydrocodone/acetaminophen", "10/325mg", 120, 2)
    assert first.citations[0].pages == list(range(74, 97))
    assert second.request == "Urine drug screen" and second.outcome == "upheld"
    assert second.treatment.name == "urine drug screen"


def test_outcome_alone_after_a_paragraph_break():
    letter = parse_letter_text(standard_letter([item(["Lumbar MRI:", "", "Upheld"], OPIOIDS, NOT_NECESSARY)]))
    assert [(i.request, i.outcome) for i in letter.items] == [("Lumbar MRI", "upheld")]


def test_outcomes_in_capitals():
    letter = parse_letter_text(standard_letter([item(["TRAMADOL 50MG #60: UPHELD"], OPIOIDS, NOT_NECESSARY)]))
    assert letter.items[0].outcome == "upheld"
    assert letter.items[0].treatment.name == "tramadol"


@pytest.mark.parametrize(
    "maximus, expected",
    [
        (
            "Decision based on MTUS Chronic Pain Treatment Guidelines Gabapentin Page(s):.",
            [("chronic_pain", None, "Gabapentin", [])],
        ),
        (
            "Decision based on Non-MTUS Citation Official Disability Guidelines (ODG), Low Back "
            "Chapter, Lumbar Supports",
            [
                (
                    "non_mtus",
                    None,
                    "Official Disability Guidelines (ODG), Low Back Chapter, Lumbar Supports",
                    [],
                )
            ],
        ),
        (
            "Decision based on MTUS Postsurgical Treatment Guidelines Page(s): 10-11.",
            [("postsurgical", None, None, [10, 11])],
        ),
        (
            "Decision based on MTUS ACOEM Chapter 12 Low Back Complaints Page(s): 303-305, Chronic "
            "Pain Treatment "
            "Guidelines Opioids Page(s): 80.",
            [
                ("acoem", "12", None, [303, 304, 305]),
                ("chronic_pain", None, "Opioids", [80]),
            ],
        ),
        (
            "Decision based on MTUS Chronic Pain Treatment Guidelines Opioids Page(s): 78. Decision "
            "based on Non-MTUS "
            "Citation Official Disability Guidelines, Pain Chapter, Urine Drug Testing",
            [
                ("chronic_pain", None, "Opioids", [78]),
                ("non_mtus", None, "Official Disability Guidelines, Pain Chapter, Urine Drug Testing", []),
            ],
        ),
        ("Decision based on MTUS Definitions Page(s): 1.", [("mtus_other", None, "Definitions", [1])]),
    ],
)
def test_citation_variants(maximus, expected):
    letter = parse_letter_text(standard_letter([item(["Norco: Upheld"], maximus, NOT_NECESSARY)]))
    assert [(c.source, c.chapter, c.topic, c.pages) for c in letter.items[0].citations] == expected
    assert not [w for w in letter.warnings if "no guideline source" in w]


def test_guideline_without_any_source_is_a_warning():
    letter = parse_letter_text(standard_letter([item(["Norco: Upheld"], "See attached.", NOT_NECESSARY)]))
    assert letter.items[0].citations == []
    assert "item 1: no guideline source recognised in the MAXIMUS guideline" in letter.warnings


def test_letter_with_case_number_header():
    header = [
        "Case Number: CM15-0012345 Date Assigned: 01/05/2015",
        "UR Denial Date: 12/10/2014 Date of Injury: 03/03/2003",
        "Priority: Standard Application Received: 12/20/2014",
        "Decision Date: 02/11/2015",
        "Employee Name:",
        "",
    ]
    letter = parse_letter_text(
        standard_letter([item(["Norco: Upheld"], OPIOIDS, NOT_NECESSARY)], header=header)
    )
    assert letter.format == "with_header"
    assert letter.case_number == "CM15-0012345"
    assert (letter.dates.assigned, letter.dates.ur_denial, letter.dates.decision, letter.dates.received) == (
        date(2015, 1, 5),
        date(2014, 12, 10),
        date(2015, 2, 11),
        date(2014, 12, 20),
    )
    assert letter.patient.date_of_injury == date(2003, 3, 3)  # the header wins over the summary
    assert letter.patient.age == 43 and letter.patient.sex == "female"


def test_header_date_that_cannot_be_read_is_a_warning():
    header = ["Case Number: CM14-0000123 Date Assigned: pending", ""]
    letter = parse_letter_text(
        standard_letter([item(["Norco: Upheld"], OPIOIDS, NOT_NECESSARY)], header=header)
    )
    assert letter.dates.assigned is None
    assert any("Date Assigned" in warning for warning in letter.warnings)


LEGACY = [
    "MAXIMUS FEDERAL SERVICES, INC.",
    "Independent Medical Review Final Determination Letter",
    "IMR Case Number: CM13-0004321 Date Assigned: 09/23/2013",
    "Date of UR Decision: 08/30/2013 Application Received: 09/06/2013",
    "Dated: 10/15/2013",
    "",
    "HOW THE IMR FINAL DETERMINATION WAS MADE",
    "MAXIMUS Federal Services sent the complete case file to an expert reviewer. The physician reviewer is",
    "Board Certified in Anesthesiology, has a subspecialty in Pain Medicine and is licensed to practice in",
    "California.",
    "",
    "CLINICAL CASE SUMMARY",
    "The expert reviewer developed the following clinical case summary based on a review of the",
    "case file, including all medical records:",
    "",
    "The patient is a 52 year old gentleman with a date of injury of 4/2/2010. The diagnoses are lumbar",
    "disc disease and right sciatica.",
    "",
    "DOCUMENTS REVIEWED FOR THIS IMR",
    "Application of Independent Medical Review",
    "Utilization Review Determination dated 08/30/2013",
    "",
    "IMR DECISION(S) AND RATIONALE(S)",
    "",
    "1. Lidoderm patch 5% #30 is not medically necessary and appropriate.",
    "",
    "The Claims Administrator based its decision on the Chronic Pain Medical Treatment Guidelines (May",
    "2009), page 56-57, which is part of the MTUS.",
    "",
    "The Physician Reviewer based his/her decision on the Chronic Pain Medical Treatment Guidelines (May",
    "2009), Topical Analgesics, pages 111-113, which is part of the MTUS.",
    "",
    "The Physician Reviewer's decision rationale:",
    "Lidoderm is recommended only after a trial of first-line therapy. There is no record of such a",
    "trial. The request for Lidoderm patch 5% #30 is not medically necessary and appropriate.",
    "",
    "2. Physical therapy 2 times a week for 4 weeks for the lumbar spine is medically",
    "necessary and appropriate.",
    "",
    "The Claims Administrator based its decision on the Official Disability Guidelines (ODG), Low Back",
    "Chapter, which is not part of the MTUS.",
    "",
    "The Physician Reviewer based his/her decision on the Chronic Pain Medical Treatment Guidelines (May",
    "2009), Physical Medicine, pages 98-99, which is part of the MTUS.",
    "",
    "The Physician Reviewer's decision rationale:",
    "A short course of therapy is supported after the recent flare. The request for physical therapy is",
    "medically necessary and appropriate.",
]


def test_legacy_2013_layout():
    letter = parse_letter_text(pdfminer_style(LEGACY))
    assert letter.format == "legacy_2013"
    assert letter.case_number == "CM13-0004321"
    assert (letter.dates.assigned, letter.dates.ur_denial, letter.dates.received, letter.dates.decision) == (
        date(2013, 9, 23),
        date(2013, 8, 30),
        date(2013, 9, 6),
        date(2013, 10, 15),
    )
    assert letter.reviewer.specialties == ["Anesthesiology", "Pain Medicine"]
    assert letter.reviewer.licensure_states == ["California"]
    assert (letter.patient.age, letter.patient.sex, letter.patient.date_of_injury) == (
        52,
        "male",
        date(2010, 4, 2),
    )
    assert letter.diagnoses == ["lumbar disc disease and right sciatica"]
    assert "Application of Independent Medical Review" not in letter.clinical_summary
    lidoderm, therapy = letter.items
    assert (lidoderm.request, lidoderm.outcome, lidoderm.necessity) == (
        "Lidoderm patch 5% #30",
        "upheld",
        "not_necessary",
    )
    assert [(c.source, c.topic, c.pages) for c in lidoderm.citations] == [
        ("chronic_pain", "Topical Analgesics", [111, 112, 113])
    ]
    assert lidoderm.claims_administrator_guideline.startswith(
        "The Claims Administrator based its decision on"
    )
    assert lidoderm.rationale.startswith("Lidoderm is recommended only after a trial")
    assert (lidoderm.treatment.name, lidoderm.treatment.strength, lidoderm.treatment.quantity) == (
        "lidocaine",
        "5%",
        30,
    )
    assert (therapy.request, therapy.outcome, therapy.necessity) == (
        "Physical therapy 2 times a week for 4 weeks for the lumbar spine",
        "overturned",
        "necessary",
    )
    assert [(c.source, c.pages) for c in therapy.citations] == [("chronic_pain", [98, 99])]
    assert letter.warnings == []


def test_extra_sections_do_not_leak_into_summary_or_rationale():
    text = standard_letter(
        [item(["Norco: Upheld"], OPIOIDS, NOT_NECESSARY)],
        summary=[
            "The 60-year-old man was injured on 5/5/2012.",
            "",
            "ADDITIONAL INFORMATION",
            "Records were received late.",
        ],
    ) + pdfminer_style(["", "APPEAL RIGHTS", "You may appeal this determination to the WCAB within 30 days."])
    letter = parse_letter_text(text)
    assert letter.clinical_summary == "The 60-year-old man was injured on 5/5/2012."
    assert letter.items[0].rationale == NOT_NECESSARY


def test_single_spaced_text_keeps_paragraphs():
    lines = CREDENTIALS + [
        "CLINICAL CASE SUMMARY",
        "First paragraph of the",
        "summary.",
        "",
        "Second paragraph.",
        "",
        "IMR ISSUES, DECISIONS AND RATIONALES",
        "",
        "Norco: Upheld",
        "Claims Administrator guideline: Decision based on MTUS.",
        "MAXIMUS guideline: " + OPIOIDS,
        "Decision rationale: " + NOT_NECESSARY,
    ]
    letter = parse_letter_text("\n".join(lines))
    assert letter.clinical_summary == "First paragraph of the summary.\n\nSecond paragraph."
    assert letter.items[0].outcome == "upheld"


def test_hyphenation_across_lines():
    """Compounds keep their hyphen; a split word is joined where the letter shows the whole word
    elsewhere or the tail is only a suffix. Nothing else is guessed (there is no dictionary)."""
    rationale_lines = [
        "Decision rationale: Ongoing long-",
        "term use is not advised; the medica-",
        "tion lacks docu-",
        "mentation and second-",
        "line agents were not tried. Without docu-",
        "mentation, it is not medically necessary.",
    ]
    letter = parse_letter_text(
        standard_letter(
            summary=["Prior documentation was reviewed."],
            items=[
                [
                    "Norco: Upheld",
                    "",
                    "Claims Administrator guideline: Decision based on MTUS.",
                    "",
                    "MAXIMUS guideline: " + OPIOIDS,
                    "",
                    *rationale_lines,
                ]
            ],
        )
    )
    assert letter.items[0].rationale == (
        "Ongoing long-term use is not advised; the medication lacks documentation and second-line "
        "agents were "
        "not tried. Without documentation, it is not medically necessary."
    )


def test_missing_labels_are_warnings_not_guesses():
    letter = parse_letter_text(
        standard_letter([["Norco: Upheld", "", "Decision rationale: " + NOT_NECESSARY]])
    )
    assert letter.items[0].maximus_guideline is None and letter.items[0].citations == []
    assert "item 1 (Norco): no MAXIMUS guideline found" in letter.warnings
    assert "item 1 (Norco): no Claims Administrator guideline found" in letter.warnings


def test_missing_credentials_and_summary_are_warnings():
    text = pdfminer_style(
        ["IMR ISSUES, DECISIONS AND RATIONALES", "", *item(["Norco: Upheld"], OPIOIDS, NOT_NECESSARY)]
    )
    letter = parse_letter_text(text)
    assert len(letter.items) == 1
    assert {
        "reviewer: no state of licensure found",
        "reviewer: no certification or specialty found",
        "no clinical case summary found",
    } <= set(letter.warnings)


@pytest.mark.parametrize(
    "garbage, reason",
    [
        ("", "no text"),
        ("   \n\n  \n", "no text"),
        ("Dear Sir, thank you for your order of 3 widgets. Regards.", "not an IMR determination letter"),
        ("<html><body><h1>404 Not Found</h1></body></html>", "not an IMR determination letter"),
        (
            pdfminer_style(["IMR ISSUES, DECISIONS AND RATIONALES", "Nothing was decided here."]),
            "lists no disputed item",
        ),
    ],
)
def test_garbage_raises_a_clear_parse_error(garbage, reason):
    with pytest.raises(ParseError, match=reason):
        parse_letter_text(garbage)
