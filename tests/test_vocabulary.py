"""The treatment vocabulary: every entry resolves, brands meet generics, dosing is read."""

import pytest

from decisions import vocabulary
from decisions.vocabulary import normalize_request

DATA = vocabulary.vocabulary().data
ALIASES = [
    (alias, generic, drug_class)
    for drug_class, generics in DATA["drugs"].items()
    for generic, aliases in generics.items()
    for alias in {generic, *aliases}
]


def test_vocabulary_is_large_enough():
    counts = vocabulary.size()
    assert counts["generic_drugs"] >= 100
    assert counts["drug_names"] >= 350
    assert counts["services"] >= 50


def test_no_alias_names_two_drugs():
    owners = {}
    for alias, generic, _ in ALIASES:
        owners.setdefault(alias.lower(), set()).add(generic)
    assert {alias: g for alias, g in owners.items() if len(g) > 1} == {}


@pytest.mark.parametrize("alias, generic, drug_class", ALIASES)
def test_every_drug_name_resolves_to_its_generic(alias, generic, drug_class):
    treatment = normalize_request(f"{alias} 10mg #30")
    assert (treatment.name, treatment.category, treatment.drug_class) == (
        generic,
        "pharmaceuticals",
        drug_class,
    )


@pytest.mark.parametrize(
    "category, service, expression",
    [
        (category, service, expression)
        for category, entries in DATA["services"].items()
        for service, expressions in entries.items()
        for expression in expressions
    ],
)
def test_every_service_pattern_compiles(category, service, expression):
    import re

    re.compile(expression)
    assert category in vocabulary.CATEGORIES


@pytest.mark.parametrize(
    "request_text, name, drug_class",
    [
        ("Neurontin 300mg", "gabapentin", "anticonvulsant"),
        ("Gralise 600mg #90", "gabapentin", "anticonvulsant"),
        ("Horizant 600 mg", "gabapentin", "anticonvulsant"),
        ("Norco 10/325mg #160", "hydrocodone/acetaminophen", "opioid"),
        ("Hydrocodone/APAP 10/325", "hydrocodone/acetaminophen", "opioid"),
        ("OxyContin 20mg ER", "oxycodone", "opioid"),
        ("Opana ER 10mg", "oxymorphone", "opioid"),
        ("MS Contin ER 30mg, 3x a day, #45 with 1 refill", "morphine", "opioid"),
        ("Butrans 10mcg/hr patch #4", "buprenorphine", "opioid"),
        ("Tylenol #3 #60", "acetaminophen/codeine", "opioid"),
        ("Tylenol 500mg", "acetaminophen", "analgesic"),
        ("Voltaren Gel 1% 100g", "diclofenac topical", "topical analgesic"),
        ("Voltaren XR 100mg", "diclofenac", "NSAID"),
        ("Fexmid 7.5mg #60", "cyclobenzaprine", "muscle relaxant"),
        ("Senokot-S", "docusate/senna", "laxative"),
        ("Prilosec 20mg", "omeprazole", "proton pump inhibitor"),
    ],
)
def test_brand_and_generic_pairs(request_text, name, drug_class):
    treatment = normalize_request(request_text)
    assert (treatment.name, treatment.drug_class) == (name, drug_class)


@pytest.mark.parametrize(
    "request_text, strength, quantity, refills",
    [
        ("Norco 10/325mg #160", "10/325mg", 160, None),
        ("MS Contin ER 30mg, 3x a day, #45 with 1 refill", "30mg", 45, 1),
        ("Butrans Patch 5 MCG #4", "5mcg", 4, None),
        ("Klonopin .5 #30", "0.5", 30, None),
        ("Norco 10/325 #120", "10/325", 120, None),
        ("Lidoderm 5% patches, quantity: 30, two refills", "5%", 30, 2),
        (
            "Neurontin 300mg 300mg 3 times a day for 1 week then 2 tablets 3 times a day #180",
            "300mg",
            180,
            None,
        ),
        ("Ultram 50 mg 60 tablets, refills: 3", "50mg", 60, 3),
        ("Oxycontin", None, None, None),
        ("Tramadol 50mg no refills", "50mg", None, 0),
    ],
)
def test_dosage_quantity_and_refills(request_text, strength, quantity, refills):
    treatment = normalize_request(request_text)
    assert (treatment.strength, treatment.quantity, treatment.refills) == (strength, quantity, refills)


@pytest.mark.parametrize(
    "request_text, name, category",
    [
        ("Physical therapy 2-3 times a weeks for four weeks", "physical therapy", "physical medicine"),
        ("Aquatic therapy x 12 sessions", "aquatic therapy", "physical medicine"),
        ("Cervical epidural", "epidural steroid injection", "injections"),
        ("Lumbar epidural steroid injection at L4-5", "epidural steroid injection", "injections"),
        ("Trigger point injections to the right neck", "trigger point injection", "injections"),
        ("Follow up with surgeon", "surgical consultation", "evaluation and management"),
        ("Follow-up visit in 4 weeks", "follow-up visit", "evaluation and management"),
        ("MRI of the lumbar spine without contrast", "MRI", "diagnostic testing"),
        ("EMG/NCV of bilateral lower extremities", "electrodiagnostic testing", "diagnostic testing"),
        ("Urine drug screen", "urine drug screen", "diagnostic testing"),
        ("TENS unit rental for 30 days", "TENS unit", "DME"),
        ("Lumbar brace", "brace", "DME"),
        ("Functional restoration program x 160 hours", "functional restoration program", "programs"),
        ("Left knee arthroscopy with partial meniscectomy", "arthroscopy", "surgery"),
        ("L4-5 fusion", "spinal fusion", "surgery"),
        ("Home health care 4 hours a day", "home health care", "other"),
    ],
)
def test_services(request_text, name, category):
    treatment = normalize_request(request_text)
    assert (treatment.name, treatment.category, treatment.drug_class) == (name, category, None)


def test_compounded_topicals():
    treatment = normalize_request("Flurbiprofen 20%/Lidocaine 5% cream 180gm")
    assert (treatment.name, treatment.drug_class, treatment.strength) == (
        "compounded topical analgesic",
        "topical compound",
        "20%",
    )
    assert normalize_request("Compound: ketoprofen/gabapentin").name == "compounded topical analgesic"


@pytest.mark.parametrize("request_text", ["Xyzzy 10mg #30", "Purple widget", "", "Retrospective request"])
def test_unknown_requests_are_kept_as_other(request_text):
    treatment = normalize_request(request_text)
    assert (treatment.name, treatment.category, treatment.drug_class) == (None, "other", None)


def test_generic_for_brand_words():
    assert vocabulary.generic_for("Neurontin") == "gabapentin"
    assert vocabulary.generic_for("gabapentin") == "gabapentin"
    assert vocabulary.generic_for("norco") == "hydrocodone/acetaminophen"
    assert vocabulary.generic_for("pain") is None


def test_precision_and_coverage_on_the_labelled_sample():
    """benchmarks/vocabulary.py reports the misses; this keeps a change from quietly losing ground."""
    from benchmarks.vocabulary import measure, sample

    rows = sample()
    assert len(rows) >= 130
    result = measure(rows)
    assert result.coverage >= 0.98, result.misses
    assert result.precision >= 0.98, result.misses


@pytest.mark.parametrize(
    "request_text, name",
    [
        # what reviewers write for an epidural steroid injection: ESI undercounted by 14% without them
        ("CESI C5-6", "epidural steroid injection"),
        ("Right L5-S1 TFESI", "epidural steroid injection"),
        ("Bilateral LESI at L4-5 and L5-S1", "epidural steroid injection"),
        ("ILESI under fluoroscopy", "epidural steroid injection"),
        ("Caudal epidural steroid injection", "epidural steroid injection"),
        ("Lumbar MBB L3-L5", "facet injection"),
        ("Bilateral L4-5 MBNB", "facet injection"),
        ("RFTC of the L3, L4 and L5 medial branches", "radiofrequency ablation"),
        ("Right SIJI", "sacroiliac joint injection"),
        # what the real letters ask for that the vocabulary did not know
        ("Electrical stimulation times 6", "electrical stimulation"),
        ("Retrospective E-stim (DOS 12/29/16)", "electrical stimulation"),
        ("Infrared heat to the low back two times a week times six weeks", "heat therapy"),
        ("Ice/Heat pads therapy times 6", "cold therapy unit"),
        ("Associated surgical service: Vascutherm unit, 14 days rental", "cold therapy unit"),
        ("Chirophysio therapy two times a week for four weeks", "chiropractic manipulation"),
        ("Four sessions of manual therapy two times a week times 2 weeks", "manual therapy"),
        ("Pre-operative EKG", "electrocardiogram"),
        ("Electroencephalogram", "electroencephalogram"),
        ("Associated surgical service: UA", "urinalysis"),
        ("Pre-operative BMP", "laboratory tests"),
        ("MR Arthrogram of the right shoulder", "MRI"),
        ("SSEP of the lumbar and lower extremities", "electrodiagnostic testing"),
        ("Jamar grip test", "functional testing"),
        ("Physical exam 2 times 8", "examination"),
        ("Associated surgical service: Shoulder sling with abduction pillow", "sling"),
        ("Cervical pillow", "pillow"),
        ("Bilateral hearing aids", "hearing aids"),
        ("Hygiene wipes", "medical supplies"),
        ("Sit-stand workstation", "home medical equipment"),
        ("Neuroplasty, lumbar spine", "epidural adhesiolysis"),
        ("PA assist", "assistant surgeon"),
        ("Daily RN for 4 weeks for wound care", "home health care"),
        ("Partial Hospitalization day treatment", "inpatient rehabilitation"),
        ("Deprizine 15mg/ml oral suspension, 250ml", "ranitidine"),
        ("Synapryn (10mg/1ml oral suspension) 500ml", "tramadol"),
        ("Tabradol 1mg/ml oral suspension, 250ml", "cyclobenzaprine"),
        ("Dicopanol 5mg/ml oral suspension, 150ml", "diphenhydramine"),
        ("Ketophene 20% cream, 167 grams", "ketoprofen cream"),
        ("One month supply of Trezix capsule 320.5/30/16mg", "acetaminophen/caffeine/dihydrocodeine"),
    ],
)
def test_abbreviations_and_variants_reviewers_write_are_recognised(request_text, name):
    assert normalize_request(request_text).name == name
