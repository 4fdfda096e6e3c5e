"""Every real letter of ../shared/real, as text and as the posted PDF, against what a careful reader
takes from it (truth.json): each field right for at least 99% of letters, items and outcomes for
all of them. The per-field table is printed on every run."""

import pytest

from decisions.parsing import parse_document
from tests import real_letters

pytestmark = pytest.mark.skipif(not real_letters.TRUTH_FILE.is_file(), reason="../shared/real is not here")
ALWAYS_RIGHT = {"items found", "outcome"}
SHARE_RIGHT = 0.99


@pytest.fixture(scope="module")
def truth():
    return real_letters.truth()


@pytest.mark.parametrize("suffix", [".txt", ".pdf"])
def test_every_field_of_the_real_letters(truth, suffix, capsys):
    tally = real_letters.Tally()
    for name, entry in sorted(truth.items()):
        _, letter = parse_document(real_letters.letter_path(name, suffix).read_bytes())
        tally.add(name, real_letters.letter_checks(letter, entry["truth"]))
    with capsys.disabled():
        print("\n" + tally.table(f"real letters as {suffix[1:].upper()}"))
    assert tally.letters == len(truth) >= 150
    for field in real_letters.LETTER_FIELDS:
        needed = 1.0 if field in ALWAYS_RIGHT else SHARE_RIGHT
        assert tally.share(field) >= needed, (field, tally.wrong.get(field))


def test_the_real_letters_raise_no_warning(truth):
    """Every real letter reads cleanly: a warning on one would be a warning a person calls wrong."""
    warned = {}
    for name in sorted(truth):
        _, letter = parse_document(real_letters.letter_path(name, ".txt").read_bytes())
        if letter.warnings:
            warned[name] = letter.warnings
    assert warned == {}
