"""The small readers a letter is parsed with: necessity, dates, pages, patient facts."""

from datetime import date

import pytest

from decisions.parsing.citations import expand_pages
from decisions.parsing.dates import parse_date
from decisions.parsing.necessity import conclusion
from decisions.parsing.patient import age_of, date_of_injury, diagnoses_of, sex_of


@pytest.mark.parametrize(
    "rationale, expected",
    [
        ("Therefore, the request is medically necessary.", "necessary"),
        ("The request for Baclofen 10mg #90 is determined to not be medically necessary.", "not_necessary"),
        ("Therefore, the request was not medically necessary.", "not_necessary"),
        ("The request is not medically necessary and appropriate.", "not_necessary"),
        ("The request is medically necessary and appropriate.", "necessary"),
        (
            "Guidelines support it. The request is therefore medically necessary. More commentary follows.",
            "necessary",
        ),
        (
            "Earlier UR found it medically necessary. On review, the request is not medically necessary.",
            "not_necessary",
        ),
        ("The medication cannot be certified as medically necessary.", "not_necessary"),
        ("Therefore, the request is not indicated.", "not_necessary"),
        ("Therefore, the request is indicated.", "necessary"),
        ("The guideline discusses many options.", "unstated"),
        ("", "unstated"),
    ],
)
def test_necessity_conclusion(rationale, expected):
    assert conclusion(rationale) == expected


@pytest.mark.parametrize(
    "written, expected",
    [
        ("7/16/1995", date(1995, 7, 16)),
        ("1-25-77", date(1977, 1, 25)),
        ("01/05/15", date(2015, 1, 5)),
        ("October 1, 2003", date(2003, 10, 1)),
        ("Oct. 1 2003", date(2003, 10, 1)),
        ("Sept 30, 2014", date(2014, 9, 30)),
        ("2014-02-03", date(2014, 2, 3)),
        ("13/45/2014", None),
        ("February 30, 2014", None),
        ("no date here", None),
        ("1/1/1800", None),
    ],
)
def test_dates(written, expected):
    assert parse_date(written, today=date(2026, 11, 23)) == expected


@pytest.mark.parametrize(
    "written, expected",
    [
        ("63-64 and 124", [63, 64, 124]),
        ("74-96", list(range(74, 97))),
        ("8, 99", [8, 99]),
        ("305-06", [305, 306]),
        ("16 to 21", [16, 17, 18, 19, 20, 21]),
        ("48,", [48]),
        ("", []),
        ("2009", []),
        ("5-1000", [5]),
        ("124, 63-64, 63", [63, 64, 124]),
    ],
)
def test_page_expansion(written, expected):
    assert expand_pages(written) == expected


@pytest.mark.parametrize(
    "summary, age, sex, injured",
    [
        (
            "The 48 year old male injured worker suffered an industrial injury on 1/27/2005.",
            48,
            "male",
            date(2005, 1, 27),
        ),
        ("This 43-year-old woman has a date of injury of 11/01/2005.", 43, "female", date(2005, 11, 1)),
        ("Injured worker is a female with date of injury 7/16/1995.", None, "female", date(1995, 7, 16)),
        (
            "The patient sustained an industrial injury on 1-25-77 while lifting.",
            None,
            None,
            date(1977, 1, 25),
        ),
        (
            "Her pain radiates to her leg; her gait is antalgic. He, the doctor, examined.",
            None,
            "female",
            None,
        ),
        ("The applicant (DOI: 3/3/2010) reports pain.", None, None, date(2010, 3, 3)),
    ],
)
def test_patient_facts(summary, age, sex, injured):
    assert (age_of(summary), sex_of(summary), date_of_injury(summary)) == (age, sex, injured)


def test_diagnoses_numbered_and_comma_lists():
    assert diagnoses_of("Diagnoses include 1) neck pain 2) low back pain 3) anxiety. Next.") == [
        "neck pain",
        "low back pain",
        "anxiety",
    ]
    assert diagnoses_of("The diagnoses were gout, sciatica, and bursitis (left, right). Then.") == [
        "gout",
        "sciatica",
        "bursitis (left, right)",
    ]
    assert diagnoses_of("No listing here.") == []
