"""The Whoosh schema: one document per decision item; fields follow the registry in search.fields.

Each phrase-searchable text field has a companion `<field>_phrases` field holding its adjacent
2- to 4-word runs as single terms ("not|medic|necessari"), so a phrase of up to four words is
one exact term lookup in its own field, never across fields. Longer and sloppy phrases narrow
candidates with those terms and are confirmed with word positions (slow on very common long
phrases at 100k letters: the time budget stops them with a sentence).
"""

from datetime import date

from whoosh import fields
from whoosh.analysis import Filter, StemmingAnalyzer

from decisions.search import fields as registry

# No stop words: "not medically necessary" must not match "medically necessary".
TEXT_ANALYZER = StemmingAnalyzer(stoplist=None, minsize=1)
SHINGLE_JOINER = "|"
LONGEST_SHINGLE = 4


class ShingleFilter(Filter):
    """Adjacent analysed words as single tokens: a b c -> a|b, a|b|c, b|c (up to LONGEST_SHINGLE words)."""

    def __call__(self, tokens):
        window = []
        for token in tokens:
            window = (window + [token.text])[-LONGEST_SHINGLE:]
            for size in range(2, len(window) + 1):
                token.text = SHINGLE_JOINER.join(window[-size:])
                yield token


SHINGLE_ANALYZER = TEXT_ANALYZER | ShingleFilter()
UNKNOWN_DAY = 0  # dates are stored as date.toordinal(); 0 when the letter does not give one


def phrases_field(name):
    return f"{name}_phrases"


def shingle(words):
    return SHINGLE_JOINER.join(words)


def build_schema():
    schema = fields.Schema(
        item_id=fields.NUMERIC(int, bits=64, signed=False, sortable=True),
        determination_id=fields.ID,
    )
    for name, text_field in registry.TEXT_FIELDS.items():
        schema.add(name, fields.TEXT(analyzer=TEXT_ANALYZER, phrase=text_field.phrases))
        if text_field.phrases:
            schema.add(phrases_field(name), fields.TEXT(analyzer=SHINGLE_ANALYZER, phrase=False))
    for name, filter_field in registry.FILTER_FIELDS.items():
        if filter_field.kind == registry.DATE:
            schema.add(name, fields.NUMERIC(int, bits=32, signed=False, sortable=True))
        else:
            schema.add(name, fields.KEYWORD(commas=True, scorable=False, lowercase=False))
    return schema


def day(value):
    return value.toordinal() if isinstance(value, date) else UNKNOWN_DAY


def whoosh_document(document):
    """A backend-neutral document (search.documents) as this schema's field values."""
    values = {"item_id": document["item_id"], "determination_id": str(document["determination_id"])}
    for name, text_field in registry.TEXT_FIELDS.items():
        if document.get(name):
            values[name] = document[name]
            if text_field.phrases:
                values[phrases_field(name)] = document[name]
    for name, filter_field in registry.FILTER_FIELDS.items():
        if filter_field.kind == registry.DATE:
            values[name] = day(document.get(name))
        elif stored := registry.stored_values(name, document):
            values[name] = ",".join(value.replace(",", " ") for value in stored)
    return values
