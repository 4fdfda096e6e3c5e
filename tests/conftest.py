"""Each test gets its own search index, media and upload folders; `seeded` imports the sample
letters; `run_worker` runs the queued background tasks as the worker would."""

from unittest import mock

import pytest
from django_tasks_db.management.commands import db_worker

from decisions import importing, search, spelling, tasks
from tests.letters import SEEDS


@pytest.fixture(autouse=True)
def isolated_storage(settings, tmp_path):
    settings.SEARCH_INDEX_DIR = tmp_path / "index"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.IMR_UPLOAD_DIR = tmp_path / "uploads"
    settings.IMR_IMPORT_PROCESSES = 1  # forking would close the test's database connection
    spelling.forget()
    yield
    search.backend().clear()


@pytest.fixture
def seeded(db):
    """The three sample letters, imported and indexed."""
    report = importing.import_candidates(importing.candidates_from_paths([SEEDS]))
    assert report.count(importing.IMPORTED) == 3, report.results
    return report


@pytest.fixture
def run_worker():
    """Run every queued task in this process, then return (the worker's --batch mode). The worker
    would close the test's database connection between tasks, as it does in production."""

    def run():
        with mock.patch.object(db_worker, "close_old_connections", lambda: None):
            tasks.database_worker("test-worker", batch=True).run()

    return run
