"""Map a freely written request to a treatment, its DWC category and drug class, and its dosing.

The vocabulary itself lives in treatments.json beside this file, so it can be reviewed as data.
"""
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from decisions.vocabulary.records import Treatment

VOCABULARY_FILE = Path(__file__).with_name("treatments.json")
PHARMACEUTICALS = "pharmaceuticals"
OTHER = "other"
CATEGORIES = [PHARMACEUTICALS, "physical medicine", "injections", "diagnostic testing", "DME",
              "evaluation and management", "surgery", "programs", OTHER]

_NUMBER_WORDS = {"no": 0, "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                 "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}
_AMOUNT = r"\d*\.?\d+(?:\s*/\s*\d*\.?\d+)*"
_STRENGTH = re.compile(
    rf"(?<![\w.])({_AMOUNT})\s*(mcg/hr?|mg/hr?|mg/ml|mg|mcg|µg|ug|gm|g|ml|%|units?|iu|meq)(?![A-Za-z])", re.IGNORECASE)
_BARE_STRENGTH = re.compile(rf"^\s*({_AMOUNT})(?!\s*(?:x|times|tabs?|tablets?|caps?|capsules?|per|a\s+day)\b)")
# In order of trust: `#90` is the dispensed quantity even where `2 tablets` comes first.
_QUANTITIES = [re.compile(pattern, re.IGNORECASE) for pattern in (
    r"#\s*(\d+)", r"\b(?:qty|quantity|count)\s*[:.#]?\s*(\d+)",
    r"\b(\d+)\s+(?:tablets|tabs|capsules|caps|patches|pills)\b")]
_REFILLS = re.compile(
    rf"\b(\d+|{'|'.join(_NUMBER_WORDS)})\s+refills?\b|\brefills?\s*[:x#]?\s*(\d+)\b", re.IGNORECASE)
_TOPICAL = re.compile(r"\b(?:cream|gel|ointment|lotion|topical|transdermal|patch(?:es)?)\b", re.IGNORECASE)


@dataclass(frozen=True)
class _Term:
    pattern: re.Pattern
    name: str
    category: str
    drug_class: str | None


def _name_pattern(name):
    """A literal name, whole-word, any case; spaces and hyphens between its parts interchangeable."""
    parts = [re.escape(part) for part in re.split(r"[\s-]+", name.strip())]
    body = r"[\s-]*".join(parts)
    return re.compile(rf"(?<![\w#]){body}(?![\w])", re.IGNORECASE)


def _service_pattern(expression):
    letters = re.sub(r"\\[A-Za-z]", "", expression)
    acronym = re.sub(r"[^A-Za-z]", "", letters).isupper()
    return re.compile(expression, 0 if acronym else re.IGNORECASE)


@lru_cache(maxsize=1)
def vocabulary():
    """The parsed vocabulary file: (drug terms, service terms, compound rule, raw data)."""
    data = json.loads(VOCABULARY_FILE.read_text(encoding="utf-8"))
    drugs = [
        _Term(_name_pattern(alias), generic, PHARMACEUTICALS, drug_class)
        for drug_class, generics in data["drugs"].items()
        for generic, aliases in generics.items()
        for alias in {generic, *aliases}
    ]
    services = [
        _Term(_service_pattern(expression), service, category, None)
        for category, entries in data["services"].items()
        for service, expressions in entries.items()
        for expression in expressions
    ]
    compound = [re.compile(expression, re.IGNORECASE) for expression in data["compound"]["patterns"]]
    return drugs, services, compound, data


def _best_match(request, terms):
    """Earliest match in the request; of those starting together, the longest."""
    best = None
    for term in terms:
        match = term.pattern.search(request)
        if match and (best is None or (match.start(), -(match.end() - match.start())) < best[0]):
            best = ((match.start(), -(match.end() - match.start())), term, match)
    return (best[1], best[2]) if best else (None, None)


def _distinct_drugs(request, drugs):
    """Drugs named in the request, leaving out a name inside a longer one (`Voltaren` in `Voltaren Gel`)."""
    spans = [(match.start(), match.end(), term.name)
             for term in drugs for match in term.pattern.finditer(request)]
    return {name for start, end, name in spans
            if not any(s <= start and end <= e and (e - s) > (end - start) for s, e, _ in spans)}


def _strength(request, after):
    match = _STRENGTH.search(request)
    if match:
        return re.sub(r"\s+", "", match.group(1)) + match.group(2).lower().replace("µg", "mcg").replace("ug", "mcg")
    bare = _BARE_STRENGTH.match(request[after:])
    if bare:
        amount = re.sub(r"\s+", "", bare.group(1))
        return "0" + amount if amount.startswith(".") else amount
    return None


def _quantity(request):
    for pattern in _QUANTITIES:
        match = pattern.search(request)
        if match:
            return int(match.group(1))
    return None


def _refills(request):
    match = _REFILLS.search(request)
    if not match:
        return None
    value = match.group(1) or match.group(2)
    return int(value) if value.isdigit() else _NUMBER_WORDS[value.lower()]


def normalize_request(request):
    """The treatment a request names; unknown requests keep category `other` and no name."""
    drugs, services, compound_rules, data = vocabulary()
    request = request or ""
    drug, drug_match = _best_match(request, drugs)
    distinct_drugs = _distinct_drugs(request, drugs) if drug else set()
    compound = any(rule.search(request) for rule in compound_rules) or (
        len(distinct_drugs) > 1 and _TOPICAL.search(request))
    service, service_match = _best_match(request, services)
    quantity, refills = _quantity(request), _refills(request)

    if compound and drug:
        rule = data["compound"]
        return Treatment(rule["name"], PHARMACEUTICALS, rule["drug_class"], _strength(request, len(request)),
                         quantity, refills)
    if drug and (service is None or drug_match.start() <= service_match.start()):
        return Treatment(drug.name, PHARMACEUTICALS, drug.drug_class, _strength(request, drug_match.end()),
                         quantity, refills)
    if service:
        return Treatment(service.name, service.category, None, None, quantity, refills)
    return Treatment(None, OTHER, None, _strength(request, len(request)), quantity, refills)


@lru_cache(maxsize=4096)
def generic_for(word):
    """The generic name a brand or generic word stands for (`Neurontin` -> `gabapentin`), else None."""
    drugs = vocabulary()[0]
    for term in drugs:
        match = term.pattern.fullmatch(word.strip())
        if match:
            return term.name
    return None


def drug_classes():
    return sorted(vocabulary()[3]["drugs"])


def size():
    """Counts for the admin and the docs: generics, drug names, services, version."""
    data = vocabulary()[3]
    return {
        "version": data["version"],
        "generic_drugs": sum(len(generics) for generics in data["drugs"].values()),
        "drug_names": sum(len({g, *a}) for generics in data["drugs"].values() for g, a in generics.items()),
        "services": sum(len(entries) for entries in data["services"].values()),
    }
