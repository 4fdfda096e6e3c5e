"""The admin: uploads of single files, several files and ZIPs, list pages, re-parse."""

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from decisions.models import DecisionItem, Determination
from tests.letters import SEED_FILES, pdf_bytes

pytestmark = pytest.mark.django_db
UPLOAD = "/admin/decisions/determination/upload/"


def _upload(client, *files):
    return client.post(UPLOAD, {"files": list(files)})


def _upload_and_import(client, run_worker, *files):
    """Upload, let the worker run the import job, and return the job page's HTML."""
    response = _upload(client, *files)
    assert response.status_code == 302 and "/admin/decisions/job/" in response.url
    run_worker()
    return client.get(response.url).content.decode()


def _file(name, data):
    return SimpleUploadedFile(name, data)


def test_upload_page_needs_staff(client):
    assert client.get(UPLOAD).status_code == 302


def _numbers(html):
    """The job page's table of counts, as {label: text}."""
    table = html[html.index('id="job-numbers"') : html.index("</table>", html.index('id="job-numbers"'))]
    return dict(re.findall(r"<tr><th>([^<]+)</th><td>([^<]*)</td></tr>", table))


def test_upload_one_text_letter(admin_client, run_worker):
    html = _upload_and_import(admin_client, run_worker, _file("a.txt", SEED_FILES[0].read_bytes()))
    assert "<strong>Done</strong>" in html
    assert _numbers(html)["Imported"] == "1" and _numbers(html)["Failed"] == "0"
    assert '<tr class="result-imported">' in html and "2 items" in html
    assert Determination.objects.count() == 1


def test_upload_several_files_shows_each_outcome(admin_client, run_worker):
    html = _upload_and_import(
        admin_client,
        run_worker,
        _file("a.txt", SEED_FILES[0].read_bytes()),
        _file("a-again.txt", SEED_FILES[0].read_bytes()),
        _file("b.pdf", pdf_bytes(SEED_FILES[1].read_text())),
        _file("notes.docx", b"PK\x05\x06" + bytes(18)),
    )
    numbers = _numbers(html)
    assert (numbers["Imported"], numbers["Already present"], numbers["Failed"]) == ("2", "1", "1")
    assert "same content as a-again.txt" in html and "unsupported file type" in html
    # failures come first: the one failed file is the first row of the table
    rows = html[html.index('id="job-files"') :]
    assert rows.index("result-failed") < rows.index("result-imported")


def test_upload_zip_with_good_duplicate_and_broken(admin_client, seeded, run_worker):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("good.txt", SEED_FILES[0].read_text().replace("Baclofen", "Lioresal"))
        archive.writestr("dup.txt", SEED_FILES[1].read_bytes())
        archive.writestr("broken.pdf", b"%PDF-1.4 broken")
    html = _upload_and_import(admin_client, run_worker, _file("batch.zip", buffer.getvalue()))
    numbers = _numbers(html)
    assert (numbers["Imported"], numbers["Already present"], numbers["Failed"]) == ("1", "1", "1")
    assert "batch.zip/good.txt" in html and "already present as" in html and "PDF could not be read" in html


def test_upload_without_a_file_shows_the_form_error(admin_client):
    html = admin_client.post(UPLOAD, {}).content.decode()
    assert "This field is required" in html


def test_oversized_upload_is_refused(admin_client, settings, run_worker):
    settings.IMR_MAX_UPLOAD_BYTES = 2048
    html = _upload_and_import(admin_client, run_worker, _file("big.txt", SEED_FILES[2].read_bytes()))
    assert "limit is" in html and Determination.objects.count() == 0


def test_list_pages_and_filters(admin_client, seeded):
    for url in [
        "/admin/decisions/determination/",
        "/admin/decisions/determination/?warnings=yes",
        "/admin/decisions/determination/?specialties__id__exact=1",
        "/admin/decisions/decisionitem/",
        "/admin/decisions/decisionitem/?outcome__exact=overturned&recognised=no",
        "/admin/decisions/decisionitem/?cited_source=acoem",
        "/admin/decisions/determination/?q=003",
    ]:
        assert admin_client.get(url).status_code == 200, url
    with_warnings = admin_client.get("/admin/decisions/determination/?warnings=yes").content.decode()
    assert "003_fcd2ca5e482aece7.txt" in with_warnings and "000_3fe309f923c0c51a.txt" not in with_warnings
    letter = Determination.objects.first()
    assert admin_client.get(f"/admin/decisions/determination/{letter.pk}/change/").status_code == 200
    item = DecisionItem.objects.first()
    assert admin_client.get(f"/admin/decisions/decisionitem/{item.pk}/change/").status_code == 200


def test_unrecognised_treatments_are_listed_for_review(admin_client, db, run_worker):
    letter = SEED_FILES[0].read_text().replace("Baclofen 10mg #90", "Zorblax 10mg #90")
    _upload_and_import(admin_client, run_worker, _file("unknown.txt", letter.encode()))
    html = admin_client.get("/admin/decisions/decisionitem/?recognised=no").content.decode()
    assert "Zorblax 10mg #90" in html and "Neurontin" not in html
    assert DecisionItem.objects.get(request="Zorblax 10mg #90").treatment_category == "other"


def test_reparse_action(admin_client, seeded):
    DecisionItem.objects.update(treatment="")
    ids = list(Determination.objects.values_list("pk", flat=True))
    response = admin_client.post(
        "/admin/decisions/determination/",
        {"action": "reparse_selected", "_selected_action": ids},
        follow=True,
    )
    assert "Re-parsed 3 letters; 0 failed." in response.content.decode()
    assert not DecisionItem.objects.filter(treatment="").exists()


def test_editing_an_item_in_the_admin_updates_the_search_index(
    admin_client, seeded, django_capture_on_commit_callbacks
):
    from decisions import search
    from decisions.search import AnyOf

    overturned_baclofen = search.query(outcome=AnyOf(("overturned",)), treatment=AnyOf(("baclofen",)))

    item = DecisionItem.objects.get(request="Baclofen 10mg #90")
    assert search.backend().search(overturned_baclofen).total == 0
    url = f"/admin/decisions/decisionitem/{item.pk}/change/"
    form = admin_client.get(url).context["adminform"].form
    data = {name: ("" if value is None else value) for name, value in form.initial.items()}
    data.update(
        {
            "outcome": "overturned",
            "determination": item.determination_id,
            "citations-TOTAL_FORMS": "1",
            "citations-INITIAL_FORMS": "1",
            "citations-MIN_NUM_FORMS": "0",
            "citations-MAX_NUM_FORMS": "1000",
            "citations-0-id": item.citations.get().pk,
            "citations-0-item": item.pk,
        }
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert search.backend().search(overturned_baclofen).total == 1
