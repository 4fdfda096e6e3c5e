"""Cited guideline sections as people see them: the label of a stored section term, and sections
grouped by guideline for the search form's list."""

from decisions.models import GuidelineSection
from decisions.search.fields import section_terms
from decisions.vocabulary import guidelines


def _split(term):
    guideline, _, key = term.partition(":")
    return guideline, key


def labels(values):
    """value -> `MTUS Chronic Pain: Opioids, criteria for use` for stored terms and typed values
    (`chronic_pain:Opioids, criteria for use`, or a section's name alone), in one query."""
    resolved = {value: section_terms(value) for value in values}
    wanted = {_split(terms[0]) for terms in resolved.values() if len(terms) == 1}
    names = {}
    if wanted:
        rows = GuidelineSection.objects.filter(key__in={key for _, key in wanted}).values_list(
            "guideline", "key", "name"
        )
        names = {(guideline, key): name for guideline, key, name in rows if (guideline, key) in wanted}
    found = {}
    for value, terms in resolved.items():
        if len(terms) != 1:
            found[value] = f"{value} (any guideline)"
            continue
        guideline, key = _split(terms[0])
        written = value.partition(":")[2] if ":" in value else value
        name = names.get((guideline, key)) or guidelines.canonical_section(guideline, written)
        found[value] = f"{guidelines.guideline(guideline).short}: {name}"
    return found


def grouped_by_guideline(counts):
    """[(guideline short name, [(value, section name, count)])] from (value, count) pairs, in the
    vocabulary's order of guidelines, each guideline's sections by name: the form's list of sections."""
    named = labels([value for value, _ in counts])
    groups = {}
    for value, count in counts:
        groups.setdefault(_split(value)[0], []).append((value, named[value].partition(": ")[2], count))
    order = {key: index for index, key in enumerate(guidelines.guidelines())}
    return [
        (guidelines.guideline(guideline).short, sorted(rows, key=lambda row: row[1].casefold()))
        for guideline, rows in sorted(groups.items(), key=lambda group: order.get(group[0], len(order)))
    ]
