"""The Whoosh schema: one document per decision item, text fields plus the filter fields."""
from whoosh import fields
from whoosh.analysis import Filter, StemmingAnalyzer

# No stop words: "not medically necessary" must not match "medically necessary".
TEXT_ANALYZER = StemmingAnalyzer(stoplist=None, minsize=1)

# Fields a plain query searches, with how much a match in each counts. The clinical summary is
# shared by every item of a letter, so it is searched only when asked for (`summary:diabetes`).
DEFAULT_FIELDS = {"request": 3.0, "treatment_words": 3.0, "rationale": 1.0}
TEXT_FIELDS = {*DEFAULT_FIELDS, "summary"}

# Filter fields that carry facet counts, in the order the sidebar shows them.
FACET_FIELDS = ["outcome", "category", "drug_class", "treatment", "source", "specialty", "state", "necessity"]


PAIR_JOINER = "|"


class PairFilter(Filter):
    """Adjacent analysed words as one token: "not medically necessary" -> not|medic, medic|necessari."""

    def __call__(self, tokens):
        previous = None
        for token in tokens:
            word = token.text
            if previous is not None:
                token.text = f"{previous}{PAIR_JOINER}{word}"
                yield token
            previous = word


PAIRS_ANALYZER = TEXT_ANALYZER | PairFilter()


def build_schema():
    keyword = {"commas": True, "scorable": False, "lowercase": False}
    return fields.Schema(
        item_id=fields.ID(stored=True, unique=True),
        determination_id=fields.ID(stored=True),
        request=fields.TEXT(analyzer=TEXT_ANALYZER, phrase=True),
        treatment_words=fields.TEXT(analyzer=TEXT_ANALYZER, phrase=True),
        rationale=fields.TEXT(analyzer=TEXT_ANALYZER, phrase=True),
        # Shared by every item of a letter and often long: indexed without positions to keep
        # indexing affordable (summary:diabetes works; phrases in summaries do not).
        summary=fields.TEXT(analyzer=TEXT_ANALYZER, phrase=False),
        # Adjacent word pairs ("not|medic") of the request and rationale: phrases are matched as
        # ANDs of pairs, without reading word positions.
        pairs=fields.TEXT(analyzer=PAIRS_ANALYZER, phrase=False),
        treatment=fields.ID,
        category=fields.ID,
        drug_class=fields.ID,
        outcome=fields.ID,
        necessity=fields.ID,
        case_number=fields.ID,
        source=fields.KEYWORD(**keyword),
        cited=fields.KEYWORD(**keyword),  # "chronic_pain:63", "any:63", "acoem:ch12"
        specialty=fields.KEYWORD(**keyword),
        state=fields.KEYWORD(**keyword),
        # Days (date.toordinal()), 0 when unknown: every document carries a value, so sorting by
        # date (engine.DayIndex) sees every document and ranges leave unknown dates out.
        decision_day=fields.NUMERIC(int, bits=32),
        injury_day=fields.NUMERIC(int, bits=32),
    )
