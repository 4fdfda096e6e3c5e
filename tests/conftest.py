"""Each test gets its own search index and media folder; `seeded` imports the sample letters."""

import pytest

from decisions import importing, search
from tests.letters import SEEDS


@pytest.fixture(autouse=True)
def isolated_storage(settings, tmp_path):
    settings.WHOOSH_INDEX_DIR = tmp_path / "whoosh"
    settings.MEDIA_ROOT = tmp_path / "media"
    yield
    search.backend().clear()


@pytest.fixture
def seeded(db):
    """The three sample letters, imported and indexed."""
    report = importing.import_candidates(importing.candidates_from_paths([SEEDS]))
    assert report.count(importing.IMPORTED) == 3, report.results
    return report
