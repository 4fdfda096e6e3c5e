"""Every seed letter, field by field; expectations written by reading each letter."""

from datetime import date

import pytest

from decisions.parsing import parse_letter_text
from tests.letters import SEED_FILES, seed_text

# (request, outcome, maximus citations as (source, chapter, topic, pages), necessity, treatment name, class)
EXPECTED = {
    "000_3fe309f923c0c51a.txt": {
        "format": "standard",
        "case_number": None,
        "licensure": ["California"],
        "specialties": ["Preventive Medicine", "Occupational Medicine"],
        "patient": (None, "female", date(1995, 7, 16)),
        "diagnoses": [
            "chronic low back sprain/strain",
            "discogenic low back pain",
            "degenerative joint disease of the lumbosacral spine",
        ],
        "summary_starts": "Injured worker is a female with date of injury 7/16/1995.",
        "summary_ends": "degenerative joint disease of the lumbosacral spine.",
        "items": [
            (
                "Neurontin 300mg 300mg 3 times a day for 1 week then 2 tablets 3 times a day #180",
                "overturned",
                [("chronic_pain", None, "Antiepilepsy Drugs (AEDs)", [16, 17, 18, 19, 20, 21])],
                "necessary",
                "gabapentin",
                "anticonvulsant",
            ),
            (
                "Baclofen 10mg #90",
                "upheld",
                [
                    (
                        "chronic_pain",
                        None,
                        "Muscle relaxants (for pain) and Weaning of medications sections",
                        [63, 64, 124],
                    )
                ],
                "not_necessary",
                "baclofen",
                "muscle relaxant",
            ),
        ],
        "claims": [
            "Decision based on MTUS Chronic Pain Treatment Guidelines.",
            "Decision based on MTUS Chronic Pain Treatment Guidelines Page(s): 65.",
        ],
        "rationale_ends": [
            "is determined to be medically necessary.",
            "is determined to not be medically necessary.",
        ],
        "warnings": [],
    },
    "001_a48d4f4e0680bd32.txt": {
        "format": "standard",
        "case_number": None,
        "licensure": ["New Jersey", "Michigan", "California"],
        "specialties": ["Neurology", "Neuromuscular Medicine"],
        "patient": (48, "male", date(2005, 1, 27)),
        "diagnoses": [
            "post laminectomy syndrome with chronic right lumbar radiculitis",
            "depression",
            "acute cervical radiculitis",
        ],
        "summary_starts": "The 48 year old male injured worker suffered an industrial injury on 1/27/2005.",
        "summary_ends": "limited lumbar range of motion and positive straight leg raise.",
        "items": [
            (
                "Zanaflex 4 MG #90",
                "upheld",
                [("chronic_pain", None, "Muscle relaxants", [63])],
                "not_necessary",
                "tizanidine",
                "muscle relaxant",
            ),
            (
                "Neurontin 800 MG #90",
                "upheld",
                [("chronic_pain", None, "Gabapentin", [49])],
                "not_necessary",
                "gabapentin",
                "anticonvulsant",
            ),
            (
                "Butrans Patch 5 MCG #4",
                "upheld",
                [("chronic_pain", None, "Criteria for use of opioids", [78, 79])],
                "not_necessary",
                "buprenorphine",
                "opioid",
            ),
            (
                "Klonopin .5 #30",
                "upheld",
                [("chronic_pain", None, "Benzodiazepines", [24])],
                "not_necessary",
                "clonazepam",
                "benzodiazepine",
            ),
        ],
        "claims": ["Decision based on MTUS Chronic Pain Treatment Guidelines."] * 4,
        "rationale_ends": [
            "Zanaflex 4mg #90 is not medically necessary.",
            "NEURONTIN 800MG #90 is not medically necessary.",
            "Butrans 5mcg is not medically necessary.",
            "Klonopin 0.5mg #30 is not medically necessary.",
        ],
        "warnings": [],
    },
    "003_fcd2ca5e482aece7.txt": {
        "format": "standard",
        "case_number": None,
        "licensure": ["Texas", "Ohio", "California"],
        "specialties": ["Preventive Medicine", "Occupational Medicine"],
        "patient": (None, "female", date(2003, 10, 1)),
        "diagnoses": [
            "failed back syndrome status post earlier lumbar laminectomy surgery with residual footdrop"
        ],
        "summary_starts": (
            "The applicant is a represented employee who has filed a claim for chronic low back pain"
        ),
        "summary_ends": "associated with earlier lumbar fusion surgery and multilevel degenerative changes.",
        "items": [
            (
                "Oxycontin",
                "upheld",
                [("chronic_pain", None, "When to Continue Opioids", [80])],
                "not_necessary",
                "oxycodone",
                "opioid",
            ),
            (
                "Norco",
                "upheld",
                [("chronic_pain", None, "When to Continue Opioids", [80])],
                "not_necessary",
                "hydrocodone/acetaminophen",
                "opioid",
            ),
            (
                "Opana",
                "overturned",
                [("chronic_pain", None, "Oxymorphone (Opana)", [93])],
                "not_necessary",
                "oxymorphone",
                "opioid",
            ),
            (
                "Physical therapy 2-3 times a weeks for four weeks to work on balance, decrease "
                "pain, and decrease "
                "the risk of further falls",
                "upheld",
                [
                    (
                        "chronic_pain",
                        None,
                        "Functional Restoration Approach to Chronic Pain Management, Physical Medicine",
                        [8, 99],
                    )
                ],
                "not_necessary",
                "physical therapy",
                None,
            ),
            (
                "Aquatic therapy",
                "upheld",
                [
                    ("acoem", "3", "Initial Approaches to Treatment", [48]),
                    (
                        "chronic_pain",
                        None,
                        "Functional Restoration Approach to Chronic Pain Management, Aquatic Therapy",
                        [8, 22],
                    ),
                ],
                "not_necessary",
                "aquatic therapy",
                None,
            ),
            (
                "Robaxin",
                "upheld",
                [("chronic_pain", None, "Muscle Relaxants", [63])],
                "not_necessary",
                "methocarbamol",
                "muscle relaxant",
            ),
            (
                "Cervical epidural",
                "upheld",
                [("chronic_pain", None, "Epidural Steroid Injections", [46])],
                "not_necessary",
                "epidural steroid injection",
                None,
            ),
            (
                "Follow up with surgeon",
                "overturned",
                [("chronic_pain", None, "Introduction", [1])],
                "necessary",
                "surgical consultation",
                None,
            ),
            (
                "Miralax",
                "overturned",
                [("chronic_pain", None, "Initiating Therapy", [77])],
                "necessary",
                "polyethylene glycol",
                "laxative",
            ),
            (
                "Gralise 300mg",
                "overturned",
                [
                    (
                        "chronic_pain",
                        None,
                        "Pain Mechanisms, Functional Restoration Approach to Chronic Pain Management, "
                        "Gabapentin",
                        [],
                    )
                ],
                "necessary",
                "gabapentin",
                "anticonvulsant",
            ),
            (
                "Klonopin",
                "upheld",
                [("acoem", "15", None, [402])],
                "not_necessary",
                "clonazepam",
                "benzodiazepine",
            ),
            (
                "Restoril",
                "upheld",
                [("acoem", "15", None, [402])],
                "not_necessary",
                "temazepam",
                "benzodiazepine",
            ),
            (
                "Topamax",
                "upheld",
                [
                    (
                        "chronic_pain",
                        None,
                        "Functional Restoration Approach to Chronic Pain Management, Topiramate",
                        [7, 21],
                    )
                ],
                "not_necessary",
                "topiramate",
                "anticonvulsant",
            ),
            (
                "Trigger point injections to the right neck, upper back, and low back",
                "upheld",
                [("chronic_pain", None, "Trigger Point Injections", [122])],
                "not_necessary",
                "trigger point injection",
                None,
            ),
        ],
        "claims": [
            "Decision based on MTUS Chronic Pain Treatment Guidelines Page(s): 79-81. Decision based "
            "on Non-MTUS "
            "Citation Official Disability Guidelines",
        ]
        * 3
        + [
            "The Claims Administrator did not base their decision on the MTUS. Decision based on "
            "Non-MTUS Citation "
            "ACOEM Pain, Suffering, and the Restoration of Function Chapter, page 114; and the "
            "Non-MTUS Official "
            "Disability Guidelines",
            "Decision based on MTUS Chronic Pain Treatment Guidelines. Decision based on Non-MTUS "
            "Citation Official "
            "Disability Guidelines",
            "Decision based on MTUS Chronic Pain Treatment Guidelines Page(s): 63. Decision based on "
            "Non-MTUS "
            "Citation Official Disability Guidelines, Pain Chapter",
            "Decision based on MTUS ACOEM Chapter 8 Neck and Upper Back Complaints Page(s): 175. "
            "Decision based on "
            "Non-MTUS Citation Official Disability Guidelines",
            "Decision based on MTUS ACOEM Chapter 12 Low Back Complaints Page(s): 305-306.",
            "The Claims Administrator did not base their decision on the MTUS. Decision based on "
            "Non-MTUS Citation "
            "Physician's Desk Reference",
            "Decision based on MTUS Chronic Pain Treatment Guidelines Page(s): 18-19. Decision based "
            "on Non-MTUS "
            "Citation Physician's Desk Reference; and the Non-MTUS Official Disability Guidelines, "
            "Pain Chapter",
            "Decision based on MTUS Chronic Pain Treatment Guidelines.",
            "Decision based on MTUS Chronic Pain Treatment Guidelines.",
            "Decision based on MTUS Chronic Pain Treatment Guidelines. Decision based on Non-MTUS "
            "Citation Official "
            "Disability Guidelines, Pain Chapter",
            "Decision based on MTUS Chronic Pain Treatment Guidelines Page(s): 122. Decision based "
            "on Non-MTUS "
            "Citation Official Disability Guidelines",
        ],
        "rationale_ends": ["Therefore, the request was not medically necessary."] * 7
        + [
            "Therefore, the request is medically necessary.",
            "Therefore, the request was medically necessary.",
            "Therefore, the request was medically necessary.",
        ]
        + ["Therefore, the request was not medically necessary."] * 4,
        "warnings": ["item 3: outcome is overturned but the rationale concludes not medically necessary"],
    },
}


def test_every_seed_has_expectations():
    assert sorted(path.name for path in SEED_FILES) == sorted(EXPECTED)


@pytest.fixture(params=sorted(EXPECTED), name="case")
def seed_case(request):
    return EXPECTED[request.param], parse_letter_text(seed_text(request.param))


def test_letter_fields(case):
    expected, letter = case
    assert letter.format == expected["format"]
    assert letter.case_number == expected["case_number"]
    assert letter.reviewer.licensure_states == expected["licensure"]
    assert letter.reviewer.specialties == expected["specialties"]
    assert (letter.patient.age, letter.patient.sex, letter.patient.date_of_injury) == expected["patient"]
    assert letter.diagnoses == expected["diagnoses"]
    assert letter.warnings == expected["warnings"]
    assert (
        letter.dates.assigned
        is letter.dates.ur_denial
        is letter.dates.decision
        is letter.dates.received
        is None
    )


def test_clinical_summary_is_reflowed(case):
    expected, letter = case
    summary = letter.clinical_summary
    assert summary.startswith(expected["summary_starts"])
    assert summary.endswith(expected["summary_ends"])
    assert "\n" not in summary and "  " not in summary
    assert "expert reviewer developed" not in summary


def test_items(case):
    expected, letter = case
    assert len(letter.items) == len(expected["items"])
    for item, (request, outcome, cites, necessity, name, drug_class), claims, ending in zip(
        letter.items, expected["items"], expected["claims"], expected["rationale_ends"], strict=True
    ):
        assert item.request == request
        assert item.outcome == outcome
        assert [(c.source, c.chapter, c.topic, c.pages) for c in item.citations] == cites
        assert item.necessity == necessity
        assert (item.treatment.name, item.treatment.drug_class) == (name, drug_class)
        assert item.claims_administrator_guideline == claims
        assert item.maximus_guideline.startswith("Decision based on MTUS")
        assert item.rationale.endswith(ending)
        assert "Claims Administrator guideline" not in item.rationale
        assert "\n" not in item.rationale and "  " not in item.rationale


def test_hyphenated_compounds_keep_their_hyphen():
    letter = parse_letter_text(seed_text("003_fcd2ca5e482aece7.txt"))
    robaxin = letter.items[5]
    assert "continued chronic, long-term, and/or scheduled usage" in robaxin.rationale


def test_doubled_maximus_page_marker():
    """`Page(s): (s) 63-64 and 124` is read as the three pages."""
    letter = parse_letter_text(seed_text("000_3fe309f923c0c51a.txt"))
    assert letter.items[1].citations[0].pages == [63, 64, 124]


def test_repo_copy_of_seeds_matches_shared():
    shared = SEED_FILES[0].parent.parent.parent / "shared" / "seeds"
    if not shared.is_dir():
        pytest.skip("../shared/seeds is not beside this checkout")
    assert sorted(p.name for p in shared.glob("*.txt")) == [p.name for p in SEED_FILES]
    for path in SEED_FILES:
        assert (shared / path.name).read_bytes() == path.read_bytes()
