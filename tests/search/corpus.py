"""A small corpus whose every phrase count is known: each letter is written to tell two readings
of a query apart (a phrase and its words apart, a field and the next one, slop in and out)."""

from decisions import importing
from tests.letters import item, standard_letter

CHRONIC = "Decision based on MTUS Chronic Pain Treatment Guidelines {topic} Page(s): {pages}."
ACOEM = "Decision based on MTUS ACOEM Chapter 12 Low Back Complaints Page(s): {pages}."


def _header(case, decided, injured):
    return [
        f"Case Number: {case} Date Assigned: 01/05/2015",
        f"UR Denial Date: 12/10/2014 Date of Injury: {injured}",
        "Priority: Standard Application Received: 12/20/2014",
        f"Decision Date: {decided}",
        "Employee Name:",
        "",
    ]


# (request, outcome, guideline, rationale); letters below group them with dates and a summary.
ITEMS = {
    "pt": (
        "Physical therapy 12 sessions",
        "Upheld",
        CHRONIC.format(topic="Physical Medicine", pages="98-99"),
        "Physical therapy sessions were completed without functional improvement. The home exercise program "
        "is not recommended to be replaced. The request is not medically necessary.",
    ),
    "norco": (
        "Norco 10/325 #90",
        "Upheld",
        CHRONIC.format(topic="Opioids", pages="78-80"),
        "Urine drug screen results were inconsistent. The request is not medically necessary.",
    ),
    "mri": (
        "Lumbar spine MRI",
        "Overturned",
        ACOEM.format(pages="303-305"),
        "The patient was not medically supervised before. Continued care is medically necessary.",
    ),
    "aquatic": (
        "Aquatic therapy",
        "Overturned",
        CHRONIC.format(topic="Aquatic therapy", pages="22"),
        "Aquatic therapy is recommended where reduced weight bearing is desirable. A urine drug test is "
        "not relevant and the drug screen is not needed. The request is medically necessary.",
    ),
    "tens": (
        "TENS unit purchase",
        "Upheld",
        CHRONIC.format(topic="TENS", pages="114-116"),
        "A physical program of therapy was tried. The therapy after surgery sessions are "
        "not documented. The request is not medically necessary.",
    ),
    "baclofen": (
        "Baclofen 10mg #60",
        "Upheld",
        CHRONIC.format(topic="Muscle relaxants", pages="63-64"),
        "Muscle relaxants are a second-line option for spasm. The request is not medically necessary.",
    ),
    "gabapentin": (
        "Neurontin 600mg #90",
        "Overturned",
        CHRONIC.format(topic="Antiepilepsy drugs", pages="16-18"),
        "Gabapentin is recommended for neuropathic pain; the patient reported improvement. "
        "The request is medically necessary.",
    ),
    "lumbar": (
        "Epidural steroid injection lumbar",
        "Upheld",
        ACOEM.format(pages="300"),
        "Radiculopathy in the lumbar spine is not corroborated by imaging. Lumbar spine findings are "
        "normal. The request is not medically necessary.",
    ),
}
LETTERS = [
    ("CM15-0000001", "02/11/2015", "03/03/2003", ["pt", "norco"], "Chronic low back pain with diabetes."),
    ("CM16-0000002", "06/01/2016", "04/04/2010", ["mri", "aquatic"], "Lumbar strain after a fall at work."),
    (
        "CM14-0000003",
        "09/09/2014",
        "05/05/1999",
        ["tens", "baclofen"],
        "Neck pain and muscle spasm. Diagnoses: cervical strain, myofascial pain.",
    ),
    (None, None, None, ["gabapentin", "lumbar"], "Neuropathic pain in both legs."),  # undated, no header
]


def letter_text(case, decided, injured, keys, summary):
    items = [item([f"{ITEMS[key][0]}: {ITEMS[key][1]}"], ITEMS[key][2], ITEMS[key][3]) for key in keys]
    header = _header(case, decided, injured) if case else ()
    return standard_letter(items, summary=[summary], header=header)


def import_corpus():
    candidates = [
        importing.Candidate(f"corpus-{number}.txt", letter_text(*letter).encode())
        for number, letter in enumerate(LETTERS)
    ]
    report = importing.import_candidates(candidates)
    assert report.count(importing.IMPORTED) == len(LETTERS), report.results
    return report


def request_of(key):
    return ITEMS[key][0]
