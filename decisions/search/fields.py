"""The one registry of what can be searched and filtered: adding a filter starts here.

Text fields are searched by words and phrases; filter fields hold exact values (keywords),
dates or cited pages. Backends, the query syntax, the FilterSet and the page all read this.
"""

from dataclasses import dataclass

from decisions.vocabulary import guidelines

KEYWORD, DATE, CITED = "keyword", "date", "cited"
UNDATED = "undated"


@dataclass(frozen=True)
class TextField:
    name: str
    boost: float  # weight of a match here; 0 means searched only when named (`summary:diabetes`)
    phrases: bool = True  # whether phrases can be searched in it


@dataclass(frozen=True)
class FilterField:
    name: str
    kind: str
    title: str
    facet_limit: int | None = None  # facets show this many values; None: no facet
    case_sensitive: bool = False  # keyword values compared as stored (names), else lower-cased
    hidden_alone: bool = False  # a facet that says nothing while every item has the same value


# The clinical summary is shared by every item of a letter, so a plain query leaves it out.
TEXT_FIELDS = {
    "request": TextField("request", 3.0),
    "treatment_words": TextField("treatment_words", 3.0),
    "rationale": TextField("rationale", 1.0),
    "summary": TextField("summary", 0.0, phrases=False),
}
DEFAULT_TEXT_FIELDS = [name for name, text_field in TEXT_FIELDS.items() if text_field.boost]

FILTER_FIELDS = {
    f.name: f
    for f in [
        FilterField("outcome", KEYWORD, "Outcome", facet_limit=50),
        FilterField("category", KEYWORD, "Category", facet_limit=50),
        FilterField("drug_class", KEYWORD, "Drug class", facet_limit=12),
        FilterField("treatment", KEYWORD, "Treatment", facet_limit=15),
        FilterField("source", KEYWORD, "Guideline source", facet_limit=50),
        FilterField("section", KEYWORD, "Cited section", facet_limit=12),
        # the section the claims administrator's utilization review cited (its guideline line)
        FilterField("ur_section", KEYWORD, "Section UR cited", facet_limit=12),
        FilterField("guideline", KEYWORD, "Guideline"),
        FilterField("authorized", KEYWORD, "Before IMR", facet_limit=50),
        FilterField("case_outcome", KEYWORD, "Case outcome", facet_limit=50),
        # real DWC letters, or generated sample letters (the first look of scripts/serve)
        FilterField("letters", KEYWORD, "Letters", facet_limit=50, hidden_alone=True),
        FilterField("specialty", KEYWORD, "Reviewer specialty", facet_limit=12, case_sensitive=True),
        FilterField("state", KEYWORD, "Licensure state", facet_limit=12, case_sensitive=True),
        FilterField("necessity", KEYWORD, "Rationale concludes", facet_limit=50),
        # why: the reasons the rationale gives (keys of decisions/vocabulary/reasons.json)
        FilterField("reason", KEYWORD, "Reason given", facet_limit=50),
        FilterField("case_number", KEYWORD, "IMR case number"),
        FilterField("acoem_chapter", KEYWORD, "ACOEM chapter"),
        FilterField("cited", CITED, "Cited page"),
        FilterField("decided", DATE, "Decision date"),
        FilterField("decided_year", KEYWORD, "Decision year"),  # "undated" when the letter gives no date
        FilterField("injured", DATE, "Date of injury"),
        FilterField("received", DATE, "Date received"),
        FilterField("diagnosis", KEYWORD, "Diagnosis", facet_limit=12),
    ]
}
FACET_FIELDS = [name for name, f in FILTER_FIELDS.items() if f.facet_limit]
DATE_FIELDS = [name for name, f in FILTER_FIELDS.items() if f.kind == DATE]

# What a person may type before a colon, and the field it means.
QUERY_FIELD_NAMES = {
    "request": "request",
    "rationale": "rationale",
    "summary": "summary",
    "treatment": "treatment",
    "outcome": "outcome",
    "class": "drug_class",
    "category": "category",
    "case": "case_number",
    "specialty": "specialty",
    "state": "state",
    "source": "source",
    "necessity": "necessity",
    "reason": "reason",
    "diagnosis": "diagnosis",
    "section": "section",
    "ur_section": "ur_section",
    "guideline": "guideline",
}
SECTION_FIELDS = ("section", "ur_section")
REAL, GENERATED = "real", "generated"
# An item partly authorized by the claims administrator before IMR, or not at all.
PARTLY_AUTHORIZED, NOT_AUTHORIZED = "partly", "none"


def section_term(guideline, name):
    """A cited section as documents store it: `chronic_pain:opioidscriteriaforuse`."""
    return f"{guideline}:{guidelines.section_key(name)}"


def section_terms(value):
    """The stored terms a section filter means: `chronic_pain:Opioids, criteria for use` that
    guideline's section, however spelled; a section named without a guideline, that section in each."""
    guideline, _, name = str(value).partition(":")
    if name and guideline in guidelines.guidelines():
        return [section_term(guideline, name)]
    return [section_term(key, str(value)) for key in guidelines.guidelines()]


def normalize_keyword(name, value):
    """A keyword value as documents store it."""
    value = " ".join(str(value).split())
    if name == "case_number":
        return value.upper()
    if name in SECTION_FIELDS:
        return section_terms(value)[0]
    return value if FILTER_FIELDS[name].case_sensitive else value.lower()


def cited_term(source, page):
    """`chronic_pain:63`; source None stands for any guideline (`any:63`)."""
    return f"{source or 'any'}:{page}"


def stored_values(name, document):
    """What a document holds for a keyword or cited-page filter, as every backend stores it."""
    if FILTER_FIELDS[name].kind == CITED:
        pages = document[name]
        return sorted(
            {cited_term(source, page) for source, page in pages}
            | {cited_term(None, page) for _, page in pages}
        )
    return sorted({normalize_keyword(name, value) for value in document[name] if value})
