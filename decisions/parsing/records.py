"""Plain records a parsed letter is made of: no Django, so any tool can use them."""

from dataclasses import dataclass, field
from datetime import date

from decisions.vocabulary.records import Treatment


@dataclass(frozen=True)
class FoundReason:
    """A reason a rationale gives (its key in decisions/vocabulary/reasons.json), with the first
    sentence that carries it."""

    key: str
    sentence: str


UPHELD = "upheld"
OVERTURNED = "overturned"

NECESSARY = "necessary"
NOT_NECESSARY = "not_necessary"
UNSTATED = "unstated"

FORMAT_STANDARD = "standard"
FORMAT_WITH_HEADER = "with_header"
FORMAT_LEGACY_2013 = "legacy_2013"
FORMAT_NOTICE_2013 = "notice_2013"
FORMAT_PROFESSIONAL_REVIEW = "professional_review"


class ParseError(ValueError):
    """The input is not a readable IMR determination letter; the message says what was missing."""


@dataclass
class Citation:
    source: str  # chronic_pain | acoem | postsurgical | mtus_other | non_mtus
    chapter: str | None
    topic: str | None
    pages: list[int] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)  # canonical names in the guideline's vocabulary
    guideline: str | None = None  # its key in decisions/vocabulary/guidelines.json


@dataclass
class Authorization:
    """A request the claims administrator authorized in part before IMR: what was asked, what was
    authorized, and the remainder IMR decided (None where the heading does not say)."""

    original: str
    authorized: str | None
    remaining: str | None


@dataclass
class DecisionItem:
    request: str
    outcome: str
    claims_administrator_guideline: str | None
    maximus_guideline: str | None
    citations: list[Citation]
    rationale: str
    necessity: str
    treatment: Treatment
    authorization: Authorization | None = None
    cites_no_evidence: bool = False  # the reviewer says no medical evidence was cited
    # What the claims administrator's utilization review relied on (its guideline line), as citations.
    claims_citations: list[Citation] = field(default_factory=list)
    # The reasons the rationale gives (decisions/vocabulary/reasons.json), each with its sentence.
    reasons: list[FoundReason] = field(default_factory=list)


@dataclass
class CaseDates:
    assigned: date | None = None
    ur_denial: date | None = None
    decision: date | None = None
    received: date | None = None


@dataclass
class Reviewer:
    licensure_states: list[str] = field(default_factory=list)
    specialties: list[str] = field(default_factory=list)


@dataclass
class Patient:
    age: int | None = None
    sex: str | None = None
    date_of_injury: date | None = None


@dataclass
class ParsedLetter:
    format: str
    case_number: str | None
    dates: CaseDates
    reviewer: Reviewer
    patient: Patient
    clinical_summary: str
    diagnoses: list[str]
    items: list[DecisionItem]
    warnings: list[str] = field(default_factory=list)
    priority: str | None = None  # Standard or Expedited, where the case header says
