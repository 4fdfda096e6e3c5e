"""Variants of the letters the DWC posted since 2016, written for the parser: case headers that
pdfminer gives in columns (in orders the real set shows and one it does not), 2016 guideline
names, sections, lines citing two guidelines or none, and partial authorizations, across a page
break too."""

from datetime import date

import pytest

from decisions.parsing import parse_letter_text
from decisions.parsing.citations import parse_citations
from decisions.vocabulary.guidelines import canonical_section, section_key, split_sections
from tests.letters import CREDENTIALS, pdfminer_style

PAGE_BREAK = [" "] * 6 + ["\f"]
NOT_NECESSARY = "There is no documented functional improvement. The request is not medically necessary."
CHRONIC_PAIN = (
    "Decision based on MTUS Chronic Pain Medical Treatment 2016, Section(s): Muscle relaxants (for pain)."
)
DATES = {  # as a case's life orders them
    "injury": "10/13/2016",
    "ur_denial": "11/01/2016",
    "received": "11/03/2016",
    "assigned": "11/09/2016",
    "decision": "12/09/2016",
}
LEFT = ["Case Number:", "Date Assigned:", "Decision Date:", "Priority:"]
LEFT_VALUES = ["CM16-0213037", DATES["assigned"], DATES["decision"], "Standard"]


NECESSARY = "Functional gains are documented. The request is medically necessary."


def letter_2016(header, items):
    lines = [*header, "", *CREDENTIALS, "CLINICAL CASE SUMMARY", ""]
    lines += ["The injured worker is a 48 year old male who sustained an industrial injury on 10-1-16.", ""]
    lines += ["IMR ISSUES, DECISIONS AND RATIONALES", ""]
    lines += [
        "The Final Determination was based on decisions for the disputed items/services set forth below:",
        "",
    ]
    for heading, maximus in items:
        lines += [
            *heading,
            "",
            "Claims Administrator guideline: Decision based on MTUS Chronic Pain Medical",
            "",
        ]
        rationale = NECESSARY if heading[-1].endswith("Overturned") else NOT_NECESSARY
        lines += [f"MAXIMUS guideline: {maximus}", "", f"Decision rationale: {rationale}", ""]
    return pdfminer_style(lines)


def header_letter(header):
    return parse_letter_text(letter_2016(header, [(["Baclofen 10mg #60: Upheld"], CHRONIC_PAIN)]))


def read_dates(letter):
    found = letter.dates
    return {
        "injury": letter.patient.date_of_injury,
        "ur_denial": found.ur_denial,
        "received": found.received,
        "assigned": found.assigned,
        "decision": found.decision,
    }


def expected(*names):
    month, day, year = 0, 1, 2
    return {
        name: date(*(int(DATES[name].split("/")[i]) for i in (year, month, day))) if name in names else None
        for name in DATES
    }


ALL = tuple(DATES)


@pytest.mark.parametrize(
    "right",
    [
        # the orders the real letters show
        [
            "Date of Injury:",
            DATES["injury"],
            f"UR Denial Date: {DATES['ur_denial']}",
            "Application",
            DATES["received"],
            "Received:",
        ],
        [
            DATES["injury"],
            "Date of Injury:",
            f"UR Denial Date: {DATES['ur_denial']}",
            DATES["received"],
            "Application Received:",
        ],
        [
            "Date of Injury:",
            "UR Denial Date:",
            "Application",
            "Received:",
            DATES["injury"],
            DATES["ur_denial"],
            DATES["received"],
        ],
        # values first, then labels: an order the real set does not show
        [
            DATES["injury"],
            DATES["ur_denial"],
            DATES["received"],
            "Date of Injury:",
            "UR Denial Date:",
            "Application Received:",
        ],
    ],
)
def test_a_header_in_columns_is_read_in_any_order(right):
    letter = header_letter([*LEFT, "", *LEFT_VALUES, "", *right])
    assert read_dates(letter) == expected(*ALL)
    assert (letter.case_number, letter.priority, letter.warnings) == ("CM16-0213037", "Standard", [])


def test_a_header_whose_columns_come_right_block_first_is_read_by_the_case_chronology():
    right = ["Date of Injury:", "UR Denial Date:", "Application Received:"]
    values = [DATES["injury"], DATES["ur_denial"], DATES["received"], *LEFT_VALUES]
    letter = header_letter([*LEFT, *right, "", *values])
    assert read_dates(letter) == expected(*ALL)


def test_a_header_label_without_its_value_leaves_only_that_date_empty():
    right = [
        "Date of Injury:",
        f"UR Denial Date: {DATES['ur_denial']}",
        "Application Received:",
        DATES["received"],
    ]
    letter = header_letter([*LEFT, "", *LEFT_VALUES, "", *right])
    # the summary's date of injury stands in for the header's missing one
    assert read_dates(letter) == {**expected(*ALL), "injury": date(2016, 10, 1)}
    assert letter.warnings == ["header: 'Date of Injury' has no readable date"]


def test_dates_that_could_belong_to_several_labels_are_left_empty_not_guessed():
    right = [
        "Date of Injury:",
        "UR Denial Date:",
        "Application Received:",
        DATES["received"],
        DATES["decision"],
    ]
    letter = header_letter([*LEFT, "", "CM16-0213037", "Standard", "", *right])
    assert read_dates(letter) == {**expected(), "injury": date(2016, 10, 1)}
    assert len([warning for warning in letter.warnings if "has no readable date" in warning]) == 5


@pytest.mark.parametrize(
    "maximus, sources",
    [
        (
            "Decision based on MTUS Chronic Pain Medical Treatment 2016, "
            "Section(s): Opioids, criteria for use.",
            [("chronic_pain", None, "chronic_pain")],
        ),
        (
            "Decision based on MTUS Low Back Complaints 2004, Section(s): Special Studies.",
            [("acoem", "12", "acoem_12")],
        ),
        (
            "Decision based on MTUS Neck and Upper Back Complaints 2004, Section(s): Summary.",
            [("acoem", "8", "acoem_8")],
        ),
        (
            "Decision based on MTUS Shoulder Complaints 2004, Section(s): Summary.",
            [("acoem", "9", "acoem_9")],
        ),
        ("Decision based on MTUS Elbow Complaints 2007, Section(s): Summary.", [("acoem", "10", "acoem_10")]),
        (
            "Decision based on MTUS Forearm, Wrist, and Hand Complaints 2004, Section(s): Summary.",
            [("acoem", "11", "acoem_11")],
        ),
        ("Decision based on MTUS Knee Complaints 2004, Section(s): Summary.", [("acoem", "13", "acoem_13")]),
        (
            "Decision based on MTUS Ankle and Foot Complaints 2004, Section(s): Summary.",
            [("acoem", "14", "acoem_14")],
        ),
        (
            "Decision based on MTUS General Approaches 2004, Section(s): Initial Care.",
            [("acoem", None, "acoem_general")],
        ),
        (
            "Decision based on MTUS Opioid Treatment 2016, Section(s): 2. Opioids for Subacute Pain.",
            [("mtus_other", None, "opioids")],
        ),
        ("Decision based on MTUS Acupuncture Treatment 2007.", [("mtus_other", None, "acupuncture")]),
        (
            "Decision based on MTUS Postsurgical Treatment 2009, Section(s): Shoulder.",
            [("postsurgical", None, "postsurgical")],
        ),
        # two guidelines in one line, split where the list of sections hands over
        (
            "Decision based on MTUS Acupuncture Treatment 2007, and Chronic Pain Medical Treatment 2016, "
            "Section(s): Acupuncture.",
            [("mtus_other", None, "acupuncture"), ("chronic_pain", None, "chronic_pain")],
        ),
        (
            "Decision based on MTUS Neck and Upper Back Complaints 2004, Section(s): Special Studies, "
            "Summary, and Shoulder Complaints 2004, Section(s): Surgical Considerations.",
            [("acoem", "8", "acoem_8"), ("acoem", "9", "acoem_9")],
        ),
        # a citation outside the MTUS is one citation, whatever guidelines it names
        (
            "The Expert Reviewer based their decision on recommendation(s) outside of the MTUS "
            "Guidelines. Decision based on Non-MTUS Citation ACOEM Occupational Medicine Practice "
            "Guidelines, 3rd ed., Low Back Disorders, pg. 607 and Other Medical Treatment Guidelines "
            "www.mdguidelines.com.",
            [("non_mtus", None, "non_mtus")],
        ),
        (
            "Decision based on MTUS Low Back Complaints 2004, Section(s): Summary. Decision based on "
            "Non-MTUS Citation Official Disability Guidelines (ODG) Low Back, MRI.",
            [("acoem", "12", "acoem_12"), ("non_mtus", None, "odg")],
        ),
    ],
)
def test_guidelines_as_letters_since_2016_name_them(maximus, sources):
    assert [(c.source, c.chapter, c.guideline) for c in parse_citations(maximus)] == sources


def test_a_reviewer_who_cites_no_evidence_is_recognised_without_a_warning():
    letter = parse_letter_text(
        letter_2016(
            [*LEFT, "", *LEFT_VALUES],
            [
                (
                    ["Assistant surgeon: Upheld"],
                    "The Expert Reviewer did not cite any medical evidence for its decision.",
                )
            ],
        )
    )
    (item,) = letter.items
    assert (item.citations, item.cites_no_evidence) == ([], True)
    assert not [warning for warning in letter.warnings if "guideline" in warning]


@pytest.mark.parametrize(
    "guideline, written, sections",
    [
        (
            "chronic_pain",
            "Muscle relaxants (for pain), Cyclobenzaprine (Flexeril)",
            ["Muscle relaxants (for pain)", "Cyclobenzaprine (Flexeril)"],
        ),
        (
            "chronic_pain",
            "NSAIDs, GI symptoms & cardiovascular risk, Proton Pump Inhibitors (PPIs)",
            ["NSAIDs, GI symptoms & cardiovascular risk", "Proton Pump Inhibitors (PPIs)"],
        ),
        ("chronic_pain", "Opioids, criteria for use", ["Opioids, criteria for use"]),
        (
            "chronic_pain",
            "TENS, chronic pain (transcutaneous electrical nerve stimulation)",
            ["TENS, chronic pain (transcutaneous electrical nerve stimulation)"],
        ),
        ("chronic_pain", "Electro- diagnostic testing (EMG/NCS)", ["Electrodiagnostic testing (EMG/NCS)"]),
        ("chronic_pain", "muscle RELAXANTS (for pain)", ["Muscle relaxants (for pain)"]),
        ("postsurgical", "Knee, Forearm, Wrist, & Hand", ["Knee", "Forearm, Wrist, & Hand"]),
        (
            "acoem_general",
            "Pain, Suffering, and the Restoration of Function",
            ["Pain, Suffering, and the Restoration of Function"],
        ),
        (
            "acoem_12",
            "Physical Methods, Special Studies, Surgical Considerations, Summary",
            ["Physical Methods", "Special Studies", "Surgical Considerations", "Summary"],
        ),
        (
            "opioids",
            "3.3.9 Opioids for Chronic Pain and Chronic Opioid Treatment: Maintenance of Chronic Opioid "
            "Treatment",
            [
                "Opioids for Chronic Pain and Chronic Opioid Treatment: Maintenance of Chronic Opioid "
                "Treatment"
            ],
        ),
        # a section the vocabulary does not know is kept as written
        ("chronic_pain", "Insomnia treatment, Special Studies", ["Insomnia treatment", "Special Studies"]),
    ],
)
def test_sections_split_and_spelled_one_way(guideline, written, sections):
    assert split_sections(guideline, written) == sections


def test_spellings_and_case_of_one_section_meet():
    assert (
        section_key("Special studies") == section_key("SPECIAL STUDIES.") == section_key("Special  Studies")
    )
    assert canonical_section("acoem_12", "special studies") == "Special Studies"
    assert canonical_section("chronic_pain", "Unknown topic ") == "Unknown topic"


def test_sections_of_each_guideline_of_a_line():
    (low_back, chronic) = parse_citations(
        "Decision based on MTUS Low Back Complaints 2004, Section(s): Physical Methods, Special Studies, "
        "and Chronic Pain Medical Treatment 2016, Section(s): Muscle relaxants (for pain), "
        "Cyclobenzaprine (Flexeril)."
    )
    assert low_back.sections == ["Physical Methods", "Special Studies"]
    assert chronic.sections == ["Muscle relaxants (for pain)", "Cyclobenzaprine (Flexeril)"]
    assert (low_back.pages, chronic.pages, low_back.topic, chronic.topic) == ([], [], None, None)


PARTIAL_REMAINDER = [
    "Physical therapy to the low back, two times a week for four weeks (8 sessions) was the original",
    "request. Physical therapy to the low back, 6 sessions was authorized by the Claims",
    "Administrator. The remaining IMR eligible portion of the original request, Physical therapy",
    "to the low back, 2 sessions is: Upheld",
]
PARTIAL_WHOLE = [
    "Acupuncture treatments (unspecified quantity) was the original request. The Claims",
    "Administrator authorized Acupuncture treatments, 6 sessions, leaving the original request IMR",
    "eligible. The original request, Acupuncture treatments (unspecified quantity) is:",
    "Overturned",
]


@pytest.mark.parametrize(
    "heading, outcome, original, authorized, remaining, treatment",
    [
        (
            PARTIAL_REMAINDER,
            "upheld",
            "Physical therapy to the low back, two times a week for four weeks (8 sessions)",
            "Physical therapy to the low back, 6 sessions",
            "Physical therapy to the low back, 2 sessions",
            "physical therapy",
        ),
        (
            PARTIAL_WHOLE,
            "overturned",
            "Acupuncture treatments (unspecified quantity)",
            "Acupuncture treatments, 6 sessions",
            "Acupuncture treatments (unspecified quantity)",
            "acupuncture",
        ),
        # the same headings across a page break
        (
            [*PARTIAL_REMAINDER[:2], *PAGE_BREAK, *PARTIAL_REMAINDER[2:]],
            "upheld",
            "Physical therapy to the low back, two times a week for four weeks (8 sessions)",
            "Physical therapy to the low back, 6 sessions",
            "Physical therapy to the low back, 2 sessions",
            "physical therapy",
        ),
        (
            [PARTIAL_WHOLE[0], *PAGE_BREAK, *PARTIAL_WHOLE[1:]],
            "overturned",
            "Acupuncture treatments (unspecified quantity)",
            "Acupuncture treatments, 6 sessions",
            "Acupuncture treatments (unspecified quantity)",
            "acupuncture",
        ),
    ],
)
def test_a_partial_authorization_keeps_its_whole_heading_and_decides_the_remainder(
    heading, outcome, original, authorized, remaining, treatment
):
    quantity_item = (
        [
            "Norco 10/325mg #60 was the original request. Norco 10/325mg #25 was authorized by the",
            "Claims Administrator. The remaining IMR eligible portion of the original request, Norco",
            "10/325mg #35 is: Upheld",
        ],
        CHRONIC_PAIN,
    )
    letter = parse_letter_text(
        letter_2016([*LEFT, "", *LEFT_VALUES], [(heading, CHRONIC_PAIN), quantity_item])
    )
    first, second = letter.items
    assert first.request.startswith(original) and first.request.endswith(f"{remaining} is")
    assert first.outcome == outcome
    assert (first.authorization.original, first.authorization.authorized, first.authorization.remaining) == (
        original,
        authorized,
        remaining,
    )
    assert first.treatment.name == treatment
    assert (second.authorization.remaining, second.treatment.quantity) == ("Norco 10/325mg #35", 35)
    assert letter.warnings == []


def test_an_ordinary_heading_is_no_partial_authorization_and_a_colon_inside_it_stays():
    letter = parse_letter_text(
        letter_2016(
            [*LEFT, "", *LEFT_VALUES],
            [
                (
                    [
                        "Lidoderm patch, 12 hours on 12 hours off to affected area, #1 box with 1 refill, "
                        "DOS:",
                        "11/11/2016: Upheld",
                    ],
                    CHRONIC_PAIN,
                ),
                (["NCV bilateral lower extremities QTY: 2: Upheld"], CHRONIC_PAIN),
            ],
        )
    )
    first, second = letter.items
    assert first.request == (
        "Lidoderm patch, 12 hours on 12 hours off to affected area, #1 box with 1 refill, DOS: 11/11/2016"
    )
    assert second.request == "NCV bilateral lower extremities QTY: 2"
    assert first.authorization is None and second.authorization is None
