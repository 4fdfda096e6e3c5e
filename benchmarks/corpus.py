"""A deterministic generator of realistic IMR letters in the seeds' pdfminer layout.

`letters(count, seed)` yields (file name, text) pairs; the same seed always gives the same corpus.
Letters vary: with or without a case header, 1-6 disputed items, drug and service requests,
about 12% overturned, Chronic Pain / ACOEM / Postsurgical / ODG citations, long and short
rationales built from sentence banks, headings long enough to wrap, a page number at the foot of
every page. About 1 in 40 is a 2013 notice and 1 in 100 a medical professional review, each drawn
from its own random stream so the other letters do not change with them.
"""

import random
import textwrap
from datetime import date, timedelta

STATES = [
    "California",
    "Texas",
    "Ohio",
    "New York",
    "Florida",
    "Arizona",
    "Nevada",
    "Oregon",
    "Washington",
    "Michigan",
    "New Jersey",
    "Illinois",
    "Pennsylvania",
    "Maryland",
    "Georgia",
    "Colorado",
]
SPECIALTIES = [
    "Orthopedic Surgery",
    "Physical Medicine & Rehabilitation",
    "Pain Medicine",
    "Anesthesiology",
    "Occupational Medicine",
    "Preventive Medicine",
    "Internal Medicine",
    "Family Practice",
    "Neurology",
    "Psychiatry",
    "Chiropractic",
    "Acupuncture",
    "Spine Surgery",
    "Hand Surgery",
    "Neuromuscular Medicine",
]
DIAGNOSES = [
    "lumbar radiculopathy",
    "cervical strain",
    "chronic low back pain",
    "lumbar disc herniation",
    "right shoulder impingement",
    "carpal tunnel syndrome",
    "knee internal derangement",
    "myofascial pain",
    "post laminectomy syndrome",
    "depression",
    "anxiety",
    "insomnia",
    "lateral epicondylitis",
    "degenerative disc disease",
    "cervical radiculitis",
    "sacroiliac joint dysfunction",
]

# family -> (request templates, citation, guideline sentences)
FAMILIES = {
    "opioid": (
        [
            "Norco 10/325mg #{q}",
            "Oxycontin {s}mg #{q}",
            "Percocet 5/325mg #{q}",
            "Tramadol 50mg #{q}",
            "MS Contin ER {s}mg, 3x a day, #{q} with 1 refill",
            "Opana ER {s}mg #{q}",
            "Butrans {s}mcg/hr patch #4",
            "Nucynta 50mg #{q}",
            "Hydrocodone/APAP 10/325mg #{q} with {r} refills",
        ],
        (
            "chronic_pain",
            [
                "Opioids",
                "Criteria for use of opioids",
                "When to Continue Opioids",
                "On-Going Management",
                "Weaning of medications",
            ],
            [(74, 96), (78, 80), (80, 81), (78,), (79, 80), (124,)],
        ),
        [
            "The MTUS guidelines require ongoing review and documentation of pain relief, functional status, "
            "appropriate medication use, and side effects for patients on opioids.",
            "Guidelines recommend the 4 A's for ongoing monitoring: analgesia, activities of daily living, "
            "adverse side effects, and aberrant drug-taking behaviors.",
            "Urine drug screens are recommended to assess for the use or presence of illegal drugs "
            "in patients "
            "on chronic opioid therapy.",
            "Opioids should be discontinued if there is no overall improvement in function, unless there are "
            "extenuating circumstances.",
            "The cardinal criteria for continuation of opioid therapy include return to work, improved "
            "functioning, and reduced pain.",
        ],
    ),
    "muscle relaxant": (
        [
            "Baclofen 10mg #{q}",
            "Zanaflex 4mg #{q}",
            "Flexeril 7.5mg #{q}",
            "Soma 350mg #{q}",
            "Robaxin 750mg #{q}",
            "Cyclobenzaprine 10mg #{q}",
            "Skelaxin 800mg #{q}",
        ],
        (
            "chronic_pain",
            ["Muscle relaxants (for pain)", "Muscle Relaxants", "Antispasmodics"],
            [(63, 66), (63,), (64,), (65,)],
        ),
        [
            "Non-sedating muscle relaxants are recommended with caution as a second-line option for "
            "short-term treatment of acute exacerbations in patients with chronic low back pain.",
            "Efficacy appears to diminish over time, and prolonged use of some medications in this "
            "class may lead to dependence.",
            "Muscle relaxants show no benefit beyond NSAIDs in pain and overall improvement in most "
            "low back pain cases.",
        ],
    ),
    "anticonvulsant": (
        [
            "Neurontin 300mg #{q}",
            "Gabapentin 600mg #{q}",
            "Lyrica 75mg #{q}",
            "Topamax 50mg #{q}",
            "Gralise 600mg #{q}",
        ],
        (
            "chronic_pain",
            ["Antiepilepsy Drugs (AEDs)", "Gabapentin", "Pregabalin"],
            [(16, 22), (49,), (99,), (18, 19)],
        ),
        [
            "Antiepilepsy drugs are recommended for neuropathic pain due to nerve damage.",
            "A good response to the use of antiepilepsy drugs has been defined as a 50% reduction in "
            "pain, and a moderate response as a 30% reduction.",
            "After initiation of treatment there should be documentation of pain relief and improvement "
            "in function as well as documentation of side effects.",
        ],
    ),
    "benzodiazepine": (
        ["Klonopin 0.5mg #{q}", "Xanax 1mg #{q}", "Valium 5mg #{q}", "Restoril 30mg #{q}", "Ativan 1mg #{q}"],
        ("chronic_pain", ["Benzodiazepines"], [(24,)]),
        [
            "Benzodiazepines are not recommended for long-term use because long-term efficacy is "
            "unproven and there is a risk of dependence.",
            "Most guidelines limit the use of benzodiazepines to 4 weeks.",
        ],
    ),
    "topical": (
        [
            "Lidoderm 5% patch #{q}",
            "Voltaren gel 1% #{r}",
            "Flurbiprofen 20%/Lidocaine 5% cream 180gm",
            "Terocin patches #{q}",
            "Capsaicin cream 0.025%",
        ],
        (
            "chronic_pain",
            ["Topical Analgesics", "Lidoderm (lidocaine patch)"],
            [(111, 113), (56, 57), (112,)],
        ),
        [
            "Topical analgesics are largely experimental in use with few randomized controlled trials to "
            "determine efficacy or safety.",
            "Any compounded product that contains at least one drug or drug class that is not recommended is "
            "not recommended.",
        ],
    ),
    "physical therapy": (
        [
            "Physical therapy 2 times a week for 6 weeks for the lumbar spine",
            "Physical therapy x 12 sessions",
            "Aquatic therapy 2x4",
            "Chiropractic manipulation x 6",
            "Acupuncture 6 sessions for the cervical spine",
        ],
        (
            "chronic_pain",
            [
                "Physical Medicine",
                "Aquatic Therapy",
                "Manual therapy & manipulation",
                "Acupuncture Medical Treatment Guidelines",
            ],
            [(98, 99), (22,), (58, 60), (8, 9)],
        ),
        [
            "Physical medicine guidelines allow for fading of treatment frequency plus active "
            "self-directed home physical medicine, 9-10 visits over 8 weeks for myalgia.",
            "There must be demonstration of functional improvement at various milestones in the "
            "treatment program in order to justify continued treatment.",
            "Aquatic therapy is recommended as an optional form of exercise therapy where reduced "
            "weight bearing is desirable.",
        ],
    ),
    "injection": (
        [
            "Lumbar epidural steroid injection at L4-5",
            "Cervical epidural steroid injection",
            "Trigger point injections x 4",
            "Bilateral L4-5 facet injections",
            "Right knee cortisone injection",
            "Radiofrequency ablation L3-L5",
        ],
        (
            "chronic_pain",
            ["Epidural Steroid Injections (ESIs)", "Trigger Point Injections", "Facet joint injections"],
            [(46,), (122,), (300, 301)],
        ),
        [
            "Epidural steroid injections are recommended as an option for treatment of radicular pain.",
            "Radiculopathy must be documented by physical examination and corroborated by imaging studies "
            "and/or electrodiagnostic testing.",
            "Trigger point injections are not recommended for radicular pain.",
        ],
    ),
    "imaging": (
        [
            "MRI of the lumbar spine without contrast",
            "MRI of the right shoulder",
            "EMG/NCV of the bilateral upper extremities",
            "CT scan of the cervical spine",
            "X-rays of the lumbar spine, 3 views",
            "Urine drug screen",
        ],
        (
            "acoem",
            ["Low Back Complaints", "Shoulder Complaints", "Neck and Upper Back Complaints"],
            [(303, 305), (207, 209), (177, 178), (182,)],
        ),
        [
            "Unequivocal objective findings that identify specific nerve compromise on the neurologic "
            "examination are sufficient evidence to warrant imaging in patients who do not respond to "
            "treatment.",
            "Imaging studies should be reserved for cases in which surgery is considered or red-flag "
            "diagnoses are being evaluated.",
        ],
    ),
    "surgery": (
        [
            "Right shoulder arthroscopy with subacromial decompression",
            "L4-5 lumbar fusion",
            "Left carpal tunnel release",
            "Right knee arthroscopy with partial meniscectomy",
            "Post-operative physical therapy x 12",
        ],
        ("postsurgical", [None], [(10, 11), (26, 27), (15,), (24,)]),
        [
            "Surgical consultation is indicated for patients who have activity limitation for more than one "
            "month and failure of conservative care.",
            "The postsurgical treatment guidelines recommend an initial course of therapy of one half of the "
            "general course of therapy.",
        ],
    ),
    "consult": (
        [
            "Follow up with surgeon",
            "Pain management consultation",
            "Psychological evaluation",
            "Functional restoration program x 160 hours",
            "Follow-up visit in 4 weeks",
        ],
        (
            "acoem",
            ["Independent Medical Examinations and Consultations", "Initial Approaches to Treatment"],
            [(127,), (48,), (92,)],
        ),
        [
            "The occupational health practitioner may refer to other specialists if a diagnosis is uncertain "
            "or extremely complex, or when psychosocial factors are present.",
            "Consultation is indicated when the plan or course of care may benefit from additional "
            "expertise.",
        ],
    ),
}
CASE_SENTENCES = [
    "The injured worker reports {pain} pain rated {n}/10 without medications and {m}/10 with medications.",
    "Progress notes dated {d} document continued complaints of {dx}.",
    "There is no documentation of objective functional improvement with the current regimen.",
    "The treating physician documented improved ability to perform activities of daily living.",
    "The injured worker remains off work and is temporarily totally disabled.",
    "The injured worker has returned to modified duty.",
    "A urine drug screen dated {d} was consistent with the prescribed medications.",
    "There is no documentation of a signed opioid agreement or a current urine drug screen.",
    "The records do not document a trial and failure of first-line agents.",
    "Prior physical therapy was completed without sustained benefit.",
    "Examination revealed tenderness, decreased range of motion, and a positive straight leg raise.",
    "The request exceeds the number of sessions recommended by the guidelines.",
    "Imaging dated {d} showed mild degenerative changes without nerve root compromise.",
    "The injured worker has used this medication for longer than the guidelines support.",
    "Side effects including sedation and constipation were reported.",
]


def _wrap(text, width):
    return textwrap.wrap(text, width=width, break_long_words=False, break_on_hyphens=False) or [""]


def _fmt(day):
    return f"{day.month:02d}/{day.day:02d}/{day.year}"


class _Letter:
    def __init__(self, rng):
        self.rng = rng
        self.lines = []

    def para(self, text, width=96):
        self.lines.extend(_wrap(text, width))
        self.lines.append(None)  # paragraph break

    def render(self):
        out = []
        for number, line in enumerate(self.lines, start=1):
            out.append(" \n\n" if line is None else f"{line} \n\n")
            if number % 46 == 0:
                out.append(f"\n\n{number // 46}\n\n\f")  # the page's number, then pdfminer's page break
        return "".join(out)


def _pages_text(rng, pages_choice):
    if len(pages_choice) == 2:
        return f"{pages_choice[0]}-{pages_choice[1]}"
    extra = rng.random() < 0.2
    return f"{pages_choice[0]}" + (f", {pages_choice[0] + rng.randint(2, 40)}" if extra else "")


def _citation_text(rng, family):
    source, topics, page_choices = FAMILIES[family][1]
    topic = rng.choice(topics)
    pages = "" if rng.random() < 0.04 else _pages_text(rng, rng.choice(page_choices))
    if rng.random() < 0.07:
        return "Decision based on Non-MTUS Citation Official Disability Guidelines (ODG), Pain Chapter"
    if source == "acoem":
        chapter = rng.choice([3, 7, 8, 9, 12, 13, 15])
        return f"Decision based on MTUS ACOEM Chapter {chapter} {topic} Page(s): {pages}."
    if source == "postsurgical":
        return f"Decision based on MTUS Postsurgical Treatment Guidelines Page(s): {pages}."
    return f"Decision based on MTUS Chronic Pain Treatment Guidelines {topic} Page(s): {pages}."


def _request(rng, family):
    template = rng.choice(FAMILIES[family][0])
    return template.format(
        q=rng.choice([30, 60, 90, 120, 180, 240]), s=rng.choice([10, 15, 20, 30, 40]), r=rng.choice([1, 2, 3])
    )


def _rationale(rng, family, necessary, request, day):
    sentences = rng.sample(FAMILIES[family][2], k=min(len(FAMILIES[family][2]), rng.randint(1, 3)))
    for _ in range(rng.randint(2, 7)):
        sentences.append(
            rng.choice(CASE_SENTENCES).format(
                pain=rng.choice(["low back", "neck", "shoulder", "knee", "wrist"]),
                n=rng.randint(6, 10),
                m=rng.randint(2, 6),
                d=_fmt(day - timedelta(days=rng.randint(20, 200))),
                dx=rng.choice(DIAGNOSES),
            )
        )
    verdict = "medically necessary" if necessary else "not medically necessary"
    sentences.append(f"Therefore, the request for {request} is {verdict}.")
    return " ".join(sentences)


def _notice_2013(rng, number):
    """A July-December 2013 notice: numbered verdict sentences first, dates in prose."""
    out = _Letter(rng)
    decided = date(2013, 7, 1) + timedelta(days=rng.randint(0, 180))
    injured = decided - timedelta(days=rng.randint(200, 9000))
    items = []
    for _ in range(rng.choice([1, 1, 2, 3])):
        family = rng.choice(list(FAMILIES))
        items.append((family, _request(rng, family), rng.random() < 0.2))
    verdicts = [
        f"{position}) MAXIMUS Federal Services, Inc. has determined the request for {request} is "
        f"{'' if overturned else rng.choice(['not ', 'not', 'not '])}medically necessary and appropriate."
        for position, (_, request, overturned) in enumerate(items, start=1)
    ]
    out.para(
        "MAXIMUS FEDERAL SERVICES, INC. Notice of Independent Medical Review Determination "
        f"Dated: {_fmt(decided)}"
    )
    out.para(f"Employee: [redacted] Date of Injury: {_fmt(injured)} IMR Case Number: CM13-{number:07d}")
    for verdict in verdicts:
        out.para(verdict)
    out.para("INDEPENDENT MEDICAL REVIEW DECISION AND RATIONALE")
    out.para(
        f"An application for Independent Medical Review was filed on {_fmt(decided - timedelta(days=20))} "
        f"disputing the Utilization Review Denial dated {_fmt(decided - timedelta(days=27))}. A Notice of "
        "Assignment and Request for Information was provided to the above parties on "
        f"{_fmt(decided - timedelta(days=3))}."
    )
    for verdict in verdicts:
        out.para(verdict)
    out.para("Medical Qualifications of the Expert Reviewer:")
    out.para(
        f"The physician reviewer is Board Certified in {rng.choice(SPECIALTIES)} and is licensed to practice "
        "in California. He/she has been in active clinical practice for more than five years."
    )
    out.para("Case Summary:")
    out.para(
        "The expert reviewer has provided the following summary of the case. It may not include every fact."
    )
    diagnoses = rng.sample(DIAGNOSES, k=rng.randint(1, 3))
    out.para(
        f'"The patient is a {rng.randint(24, 68)} year-old {rng.choice(["male", "female"])} with a date of '
        f'injury of {_fmt(injured)}. The diagnoses are {", ".join(diagnoses)}."'
    )
    for position, (family, request, overturned) in enumerate(items, start=1):
        out.para(f"{position}) Regarding the request for {request}:")
        out.para("Medical Treatment Guideline(s) which the Claims Administrator based its decision on:")
        out.para("The Claims Administrator based its decision on the Official Disability Guidelines.")
        out.para("Medical Treatment Guideline(s) which the Expert Reviewer based his/her decision on:")
        out.para(f"The Expert Reviewer based his/her decision on the {_citation_text(rng, family)[18:]}")
        out.para("Rationale for the Decision:")
        out.para(_rationale(rng, family, overturned, request, decided))
    out.para("Effect of the Decision:")
    out.para("The Claims Administrator is required to authorize the medically necessary items.")
    return f"{number:07d}.txt", out.render()


def _professional_review(rng, number):
    """A MEDICAL PROFESSIONAL REVIEW letter: one issue, headings wrapped, no stated outcome."""
    out = _Letter(rng)
    decided = date(2013, 9, 1) + timedelta(days=rng.randint(0, 500))
    family = rng.choice(list(FAMILIES))
    request = _request(rng, family)
    necessary = rng.random() < 0.15
    out.para("MEDICAL PROFESSIONAL REVIEW")
    out.para(f"IMR Case Number: CM{decided.year % 100:02d}-{number:07d} Date Assigned: {_fmt(decided)}")
    out.para(f"ISSUE AT DISPUTE: {request}")
    out.para("CASE SUMMARY:")
    out.para(
        f"The patient is a {rng.randint(24, 68)} year old {rng.choice(['male', 'female'])} injured on "
        f"{_fmt(decided - timedelta(days=rng.randint(200, 4000)))}. The diagnoses include "
        f"{rng.choice(DIAGNOSES)}."
    )
    out.para("DOCUMENTS REVIEWED FOR DETERMINATION:")
    out.para("Utilization review determination; progress notes from the treating physician.")
    out.lines += ["MEDICAL TREATMENT GUIDELINE(S) RELIED UPON BY PROFESSIONAL", "REVIEWER AND WHY:"]
    out.para(_citation_text(rng, family)[18:] + " These guidelines address the requested treatment.")
    out.lines += ["RATIONALE FOR WHY THE REQUESTED TREATMENT/SERVICE IS/WAS NOT", "MEDICALLY NECESSARY:"]
    out.para(_rationale(rng, family, necessary, request, decided))
    out.para("MEDICAL REVIEWER QUALIFICATIONS:")
    out.para(
        f"The reviewer is Board Certified in {rng.choice(SPECIALTIES)} and is licensed to practice in "
        "California."
    )
    return f"{number:07d}.txt", out.render()


def letter(rng, number):
    """(file name, text) of one letter."""
    if number % 40 == 7:
        return _notice_2013(random.Random(number), number)
    if number % 100 == 13:
        return _professional_review(random.Random(number), number)
    out = _Letter(rng)
    decided = date(2013, 7, 1) + timedelta(days=rng.randint(0, 365 * 3))
    injured = decided - timedelta(days=rng.randint(200, 9000))
    if rng.random() < 0.7:
        case = f"CM{decided.year % 100:02d}-{number % 10_000_000:07d}"
        out.para(f"Case Number: {case} Date Assigned: {_fmt(decided - timedelta(days=25))}")
        out.para(f"UR Denial Date: {_fmt(decided - timedelta(days=60))} Date of Injury: {_fmt(injured)}")
        out.para(f"Application Received: {_fmt(decided - timedelta(days=40))} Decision Date: {_fmt(decided)}")
    out.para("HOW THE IMR FINAL DETERMINATION WAS MADE")
    out.para(
        "MAXIMUS Federal Services sent the complete case file to an expert reviewer. He/she has no "
        "affiliation with the employer, employee, providers or the claims administrator. He/she has been in "
        "active clinical practice for more than five years and is currently working at least 24 hours a week "
        "in active practice."
    )
    states = ["California"] + rng.sample(STATES[1:], k=rng.choice([0, 0, 1, 2]))
    rng.shuffle(states)
    out.lines += [
        "The Expert Reviewer has the following credentials:",
        f"State(s) of Licensure: {', '.join(states)}",
        f"Certification(s)/Specialty: {', '.join(rng.sample(SPECIALTIES, k=rng.choice([1, 2, 2])))}",
        None,
    ]
    out.para("CLINICAL CASE SUMMARY")
    out.para(
        "The expert reviewer developed the following clinical case summary based on a review of the case "
        "file, including all medical records:"
    )
    age, sex = rng.randint(24, 68), rng.choice(["male", "female"])
    diagnoses = rng.sample(DIAGNOSES, k=rng.randint(1, 4))
    out.para(
        f"The {age} year old {sex} sustained an industrial injury on {_fmt(injured)}. The diagnoses include "
        f"{', '.join(diagnoses)}. "
        + " ".join(
            rng.choice(CASE_SENTENCES).format(
                pain="low back", n=8, m=4, d=_fmt(decided - timedelta(days=90)), dx=diagnoses[0]
            )
            for _ in range(rng.randint(2, 8))
        )
    )
    out.para("IMR ISSUES, DECISIONS AND RATIONALES")
    out.para(
        "The Final Determination was based on decisions for the disputed items/services set forth below:"
    )
    for _ in range(rng.choices([1, 2, 3, 4, 5, 6], weights=[30, 25, 20, 12, 8, 5])[0]):
        family = rng.choice(list(FAMILIES))
        request = _request(rng, family)
        overturned = rng.random() < 0.12
        heading = f"{request}: {'Overturned' if overturned else 'Upheld'}"
        if len(heading) > 70 and rng.random() < 0.5:
            out.lines += _wrap(f"{request}:", 60) + ["Overturned" if overturned else "Upheld", None]
        else:
            out.para(heading)
        out.para("Claims Administrator guideline: Decision based on MTUS Chronic Pain Treatment Guidelines.")
        out.para(f"MAXIMUS guideline: {_citation_text(rng, family)}")
        necessary = overturned if rng.random() > 0.01 else not overturned
        out.para(f"Decision rationale: {_rationale(rng, family, necessary, request, decided)}")
    return f"{number:07d}.txt", out.render()


def letters(count, seed=2026, first=1):
    rng = random.Random(seed)
    for number in range(first, first + count):
        yield letter(rng, number)
