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
CATEGORIES = [
    PHARMACEUTICALS,
    "physical medicine",
    "injections",
    "diagnostic testing",
    "DME",
    "evaluation and management",
    "surgery",
    "programs",
    OTHER,
]

_NUMBER_WORDS = {
    "no": 0,
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
_AMOUNT = r"\d*\.?\d+(?:\s*/\s*\d*\.?\d+)*"
_STRENGTH = re.compile(
    rf"(?<![\w.])({_AMOUNT})\s*(mcg/hr?|mg/hr?|mg/ml|mg|mcg|µg|ug|gm|g|ml|%|units?|iu|meq)(?![A-Za-z])",
    re.IGNORECASE,
)
_BARE_STRENGTH = re.compile(
    rf"^\s*({_AMOUNT})(?!\s*(?:x|times|tabs?|tablets?|caps?|capsules?|per|a\s+day)\b)"
)
# In order of trust: `#90` is the dispensed quantity even where `2 tablets` comes first.
_QUANTITIES = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"#\s*(\d+)",
        r"\b(?:qty|quantity|count)\s*[:.#]?\s*(\d+)",
        r"\b(\d+)\s+(?:tablets|tabs|capsules|caps|patches|pills)\b",
    )
]
_REFILLS = re.compile(
    rf"\b(\d+|{'|'.join(_NUMBER_WORDS)})\s+refills?\b|\brefills?\s*[:x#]?\s*(\d+)\b", re.IGNORECASE
)
_TOPICAL = re.compile(r"\b(?:cream|gel|ointment|lotion|topical|transdermal|patch(?:es)?)\b", re.IGNORECASE)


@dataclass(frozen=True)
class _Drug:
    name: str
    drug_class: str


@dataclass(frozen=True)
class _Service:
    pattern: re.Pattern
    name: str
    category: str


@dataclass(frozen=True)
class _Vocabulary:
    drug_names: re.Pattern  # every drug name in one alternation, longest first
    drugs: dict  # name key -> _Drug
    services: list  # _Service, tried only where `any_service` first matches
    any_service: re.Pattern
    compound: list
    data: dict


def _key(name):
    """Spaces and hyphens inside a name are interchangeable, and may be missing."""
    return re.sub(r"[\s-]+", "", name.lower())


def _name_pattern(name):
    return r"[\s-]*".join(re.escape(part) for part in re.split(r"[\s-]+", name.strip()))


def _service_flags(expression):
    """Acronym patterns (`\\bPT\\b`) match in capitals only; the rest in any case."""
    letters = re.sub(r"[^A-Za-z]", "", re.sub(r"\\[A-Za-z]", "", expression))
    return 0 if letters.isupper() else re.IGNORECASE


def _aliases(data):
    for drug_class, generics in data["drugs"].items():
        for generic, aliases in generics.items():
            for alias in {generic, *aliases}:
                yield alias, _Drug(generic, drug_class)


@lru_cache(maxsize=1)
def vocabulary():
    """The vocabulary file, compiled once."""
    data = json.loads(VOCABULARY_FILE.read_text(encoding="utf-8"))
    drugs = {_key(alias): drug for alias, drug in _aliases(data)}
    aliases = sorted({alias for alias, _ in _aliases(data)}, key=len, reverse=True)
    drug_names = re.compile(
        rf"(?<![\w#])(?:{'|'.join(_name_pattern(alias) for alias in aliases)})(?!\w)", re.IGNORECASE
    )
    services = [
        _Service(re.compile(expression, _service_flags(expression)), service, category)
        for category, entries in data["services"].items()
        for service, expressions in entries.items()
        for expression in expressions
    ]
    any_service = re.compile(
        "|".join(
            f"(?{'i' if service.pattern.flags & re.IGNORECASE else '-i'}:{service.pattern.pattern})"
            for service in services
        )
    )
    compound = [re.compile(expression, re.IGNORECASE) for expression in data["compound"]["patterns"]]
    return _Vocabulary(drug_names, drugs, services, any_service, compound, data)


def _first_service(request, vocab):
    """The service named earliest in the request; of those starting there, the longest match."""
    first = vocab.any_service.search(request)
    if not first:
        return None, None
    best = (None, None)
    for service in vocab.services:
        match = service.pattern.match(request, first.start())
        if match and (best[1] is None or match.end() > best[1].end()):
            best = (service, match)
    return best


def _strength(request, after):
    match = _STRENGTH.search(request)
    if match:
        return re.sub(r"\s+", "", match.group(1)) + match.group(2).lower().replace("µg", "mcg").replace(
            "ug", "mcg"
        )
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
    vocab = vocabulary()
    request = request or ""
    # finditer never overlaps, so `Voltaren` inside `Voltaren Gel` is not a second drug.
    drug_matches = list(vocab.drug_names.finditer(request))
    drug_match = drug_matches[0] if drug_matches else None
    distinct_drugs = {vocab.drugs[_key(match.group(0))].name for match in drug_matches}
    compound = any(rule.search(request) for rule in vocab.compound) or (
        len(distinct_drugs) > 1 and _TOPICAL.search(request)
    )
    service, service_match = _first_service(request, vocab)
    quantity, refills = _quantity(request), _refills(request)

    if compound and drug_match:
        rule = vocab.data["compound"]
        return Treatment(
            rule["name"],
            PHARMACEUTICALS,
            rule["drug_class"],
            _strength(request, len(request)),
            quantity,
            refills,
        )
    if drug_match and (service is None or drug_match.start() <= service_match.start()):
        drug = vocab.drugs[_key(drug_match.group(0))]
        return Treatment(
            drug.name,
            PHARMACEUTICALS,
            drug.drug_class,
            _strength(request, drug_match.end()),
            quantity,
            refills,
        )
    if service:
        return Treatment(service.name, service.category, None, None, quantity, refills)
    return Treatment(None, OTHER, None, _strength(request, len(request)), quantity, refills)


def generic_for(word):
    """The generic name a brand or generic word stands for (`Neurontin` -> `gabapentin`), else None."""
    drug = vocabulary().drugs.get(_key(word.strip()))
    return drug.name if drug else None


@dataclass(frozen=True)
class Meaning:
    """What a typed word stands for: phrases to search in the text, and the treatment or drug class
    items carry."""

    word: str
    phrases: tuple = ()
    treatment: str | None = None
    drug_class: str | None = None


@lru_cache(maxsize=1)
def _abbreviations():
    return {key.lower(): tuple(phrases) for key, phrases in vocabulary().data["abbreviations"].items()}


@lru_cache(maxsize=1)
def _classes_by_word():
    """Drug classes by their name and plural, lower-cased: "opioids" and "NSAID" find theirs."""
    classes = {}
    for drug_class in drug_class_names():
        classes[drug_class.lower()] = classes[drug_class.lower() + "s"] = drug_class
    return classes


def meaning_of(word):
    """The Meaning of an abbreviation (`ESI`), a brand or generic drug name (`Neurontin`) or a drug
    class (`opioids`), else None."""
    key = word.strip().lower()
    phrases = _abbreviations().get(key)
    if phrases:
        classes = _classes_by_word()
        drug_class = classes.get(key) or classes.get(phrases[0].lower())
        return Meaning(word, phrases, None if drug_class else normalize_request(phrases[0]).name, drug_class)
    generic = generic_for(word)
    if generic:
        return Meaning(word, (generic,) if generic != key else (), generic)
    if key in _classes_by_word():
        return Meaning(word, drug_class=_classes_by_word()[key])
    return None


@lru_cache(maxsize=1)
def known_names():
    """Every name the vocabulary knows (drugs, services, abbreviations), lower-cased -> as written."""
    data = vocabulary().data
    names = {alias.lower(): alias for alias, _ in _aliases(data)}
    names.update({name.lower(): name for name in non_drug_treatments()})
    names.update({key.lower(): key for key in data["abbreviations"]})
    return names


def treatment_named(text):
    """The treatment a whole text names (`epidural steroid injection`, `Neurontin`), else None."""
    key = " ".join(text.split()).lower()
    if key in known_names():
        meaning = meaning_of(key)
        if meaning and meaning.treatment:
            return meaning.treatment
        named = normalize_request(key)
        return named.name if named.name and named.name.lower() == key else None
    return None


def generic_names():
    return sorted({drug.name for drug in vocabulary().drugs.values()})


def non_drug_treatments():
    """Treatment names that are not a single drug: services and the compound rule's name."""
    data = vocabulary().data
    return sorted(
        {name for entries in data["services"].values() for name in entries} | {data["compound"]["name"]}
    )


def drug_class_names():
    """Every class a treatment can carry, the compound rule's included."""
    return sorted({*vocabulary().data["drugs"], vocabulary().data["compound"]["drug_class"]})


def drug_classes():
    return sorted(vocabulary().data["drugs"])


def size():
    """Counts for the admin and the docs: generics, drug names, services, version."""
    data = vocabulary().data
    return {
        "version": data["version"],
        "generic_drugs": sum(len(generics) for generics in data["drugs"].values()),
        "drug_names": len({alias.lower() for alias, _ in _aliases(data)}),
        "services": sum(len(entries) for entries in data["services"].values()),
    }
