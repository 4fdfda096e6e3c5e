"""Turn what a user typed into a Whoosh query: Whoosh syntax, plain words by default, brand names
matching their generic (`Neurontin` finds Gralise), and friendly errors."""
import functools

from whoosh import query as wq
from whoosh.qparser import MultifieldParser, WildcardPlugin

from decisions import vocabulary
from decisions.search.schema import DEFAULT_FIELDS, TEXT_ANALYZER, TEXT_FIELDS

MAX_QUERY_LENGTH = 500
MIN_WILDCARD_PREFIX = 3
# Field names a person may type before a colon, and the index field each means.
FIELD_ALIASES = {"request": "request", "rationale": "rationale", "summary": "summary", "treatment": "treatment",
                 "outcome": "outcome", "class": "drug_class", "category": "category", "case": "case_number",
                 "specialty": "specialty", "state": "state", "source": "source"}
# Typed outcome words also match the outcome itself: `Baclofen upheld`.
OUTCOME_WORDS = {TEXT_ANALYZER(word).__next__().text: word for word in ("upheld", "overturned")}


class QueryError(ValueError):
    """The query cannot be run; the message is meant for the person who typed it."""


def _parser(schema):
    parser = MultifieldParser(list(DEFAULT_FIELDS), schema, fieldboosts=DEFAULT_FIELDS)
    parser.remove_plugin_class(WildcardPlugin)
    parser.add_plugin(WildcardPlugin())
    return parser


@functools.lru_cache(maxsize=1)
def _classes_by_word():
    """One-word drug classes by their analysed form: "opioids" and "opioid" both find `opioid`."""
    return {next(iter(TEXT_ANALYZER(drug_class))).text: drug_class
            for drug_class in vocabulary.drug_class_names() if " " not in drug_class}


def _class_for(word):
    return _classes_by_word().get(word)


def _expand(node):
    """A word naming a drug, a drug class or an outcome also matches items that have it."""
    if isinstance(node, wq.Term) and node.fieldname in TEXT_FIELDS and isinstance(node.text, str):
        extra = []
        generic = vocabulary.generic_for(node.text)
        if generic:
            extra.append(wq.Term("treatment", generic, boost=node.boost))
        drug_class = _class_for(node.text)
        if drug_class:
            extra.append(wq.Term("drug_class", drug_class, boost=node.boost))
        if node.text in OUTCOME_WORDS:
            extra.append(wq.Term("outcome", OUTCOME_WORDS[node.text], boost=node.boost))
        if extra:
            return wq.Or([node, *extra])
    return node


def _check_wildcards(node):
    for sub in node.leaves():
        if isinstance(sub, (wq.Wildcard, wq.Prefix)):
            text = sub.text if isinstance(sub, wq.Prefix) else sub.text.split("*")[0].split("?")[0]
            if len(text) < MIN_WILDCARD_PREFIX:
                raise QueryError(f"a wildcard needs at least {MIN_WILDCARD_PREFIX} letters before * or ? "
                                 f"(for example opio*)")


def _rename_fields(text):
    """`class:opioid` and the other aliases become the index's own field names."""
    for alias, field in FIELD_ALIASES.items():
        if alias != field:
            text = text.replace(f"{alias}:", f"{field}:")
    return text


def parse_query(text, schema):
    """The Whoosh query for the text, or None for an empty search; QueryError when it cannot run."""
    text = (text or "").strip()
    if not text:
        return None
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(f"the search is {len(text)} characters long; keep it under {MAX_QUERY_LENGTH}")
    if text.count('"') % 2:
        raise QueryError('a quotation mark is not closed; phrases go in pairs of quotes, like "urine drug"')
    try:
        parsed = _parser(schema).parse(_rename_fields(text))
    except Exception as error:  # whoosh raises assorted types on odd syntax
        raise QueryError(f"the search could not be understood ({error})") from None
    if any(isinstance(node, wq.Phrase) and node.fieldname == "summary" for node in parsed.leaves()):
        raise QueryError("phrases cannot be searched in case summaries; search their words instead, "
                         "like summary:(low back)")
    if parsed is wq.NullQuery or isinstance(parsed, wq.NullQuery.__class__):
        return None
    _check_wildcards(parsed)
    return parsed.accept(_expand)


def terms_for(text, schema):
    """Highlight terms for a query text; none when the text is not a valid query."""
    try:
        return highlight_terms(parse_query(text, schema))
    except QueryError:
        return frozenset()


def highlight_terms(parsed):
    """The analysed words of the query in the text fields, for marking up passages."""
    if parsed is None:
        return frozenset()
    return frozenset(text for field, text in parsed.iter_all_terms()
                     if field in TEXT_FIELDS and isinstance(text, str))


__all__ = ["QueryError", "highlight_terms", "parse_query", "terms_for"]
