"""The admin: uploads of single files, several files and ZIPs, list pages, re-parse."""

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from decisions import importing
from decisions.models import DecisionItem, Determination
from tests.layouts import NOTICE_2013, PROFESSIONAL_REVIEW
from tests.letters import SEED_FILES, pdf_bytes, pdfminer_style

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


def test_admin_home_leads_to_upload_jobs_health_and_the_index_check(admin_client):
    html = admin_client.get("/admin/").content.decode()
    for address in (UPLOAD, "/admin/decisions/job/", "/admin/decisions/determination/health/"):
        assert f'href="{address}"' in html
    assert "Check the search index" in html


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
            "citations-TOTAL_FORMS": str(item.citations.count()),
            "citations-INITIAL_FORMS": str(item.citations.count()),
            "citations-MIN_NUM_FORMS": "0",
            "citations-MAX_NUM_FORMS": "1000",
        }
    )
    data.update(
        {
            field: value
            for number, citation in enumerate(item.citations.order_by("position"))
            for field, value in (
                (f"citations-{number}-id", citation.pk),
                (f"citations-{number}-item", item.pk),
            )
        }
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert search.backend().search(overturned_baclofen).total == 1


def _import_texts(**texts):
    candidates = [
        candidate
        for name, text in texts.items()
        for candidate in importing.candidates_from_upload(f"{name}.txt", text.encode())
    ]
    report = importing.import_candidates(candidates)
    assert report.count(importing.IMPORTED) == len(texts), report.results


def _row(html, label):
    """The numbers in the parse-health table row of one layout."""
    row = re.search(rf"<th scope=\"row\">{label}</th>(.*?)</tr>", html, re.DOTALL).group(1)
    return [int(number.replace(",", "")) for number in re.findall(r">([\d,]+)<", row)]


def test_parse_health_counts_letters_by_layout_with_links_to_them(admin_client, seeded):
    undated_notice = [line for line in NOTICE_2013 if not line.startswith("Dated:")]
    _import_texts(
        notice=pdfminer_style(NOTICE_2013),
        undated_notice=pdfminer_style(undated_notice).replace("Norco 10/325mg #120", "Zorblax 5mg #10"),
        review=pdfminer_style(PROFESSIONAL_REVIEW),
    )
    html = admin_client.get("/admin/decisions/determination/health/").content.decode()
    # letters, with warnings, no decision date, items, treatment not recognised, no reason found
    assert _row(html, "Standard") == [3, 1, 3, 20, 0, 6]
    assert _row(html, "2013 notice") == [2, 0, 1, 4, 1, 4]
    assert _row(html, "Medical professional review") == [1, 0, 1, 1, 0, 0]
    assert _row(html, "All layouts") == [6, 1, 5, 25, 1, 10]
    assert "Zorblax 5mg #10" in html  # the unrecognised requests, most common first
    assert "item N: outcome is overturned but the rationale concludes not medically necessary" in html

    undated = admin_client.get("/admin/decisions/determination/?format__exact=notice_2013&dated=no")
    assert undated.status_code == 200 and "undated_notice.txt" in undated.content.decode()
    assert "notice.txt<" not in undated.content.decode().replace("undated_notice.txt<", "")
    unknown = admin_client.get(
        "/admin/decisions/decisionitem/?determination__format__exact=notice_2013&recognised=no"
    ).content.decode()
    assert "Zorblax 5mg #10" in unknown and "Baclofen" not in unknown


def test_parse_health_offers_the_reparse_job_and_shows_the_last_one(admin_client, seeded, run_worker):
    html = admin_client.get("/admin/decisions/determination/health/").content.decode()
    assert "Re-parse every letter (job)" in html and "Last re-parse" not in html
    admin_client.post("/admin/decisions/job/start/reparse/")
    run_worker()
    html = admin_client.get("/admin/decisions/determination/health/").content.decode()
    assert "Last re-parse" in html and "done" in html


def test_parse_health_on_an_empty_archive(admin_client):
    html = admin_client.get("/admin/decisions/determination/health/").content.decode()
    assert "No letters yet" in html and "No letter has a warning." in html
