"""Hardening: one bad letter never costs a good one; hostile files, queries and clients are bounded."""

import csv
import gzip
import io
import os
import subprocess
import sys
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from decisions import importing, search
from decisions.models import DecisionItem, Determination, Job
from decisions.parsing import ParseError, parse_document
from decisions.parsing.documents import PdfLimits
from tests.hostile import nested_xobjects_pdf, scattered_text_pdf
from tests.letters import CREDENTIALS, REPO, SEED_FILES, item, pdfminer_style, standard_letter

OPIOIDS = "Decision based on MTUS Chronic Pain Treatment Guidelines Opioids Page(s): 78."
NOT_NECESSARY = "The request is not medically necessary."


def _letter(
    heading="Norco 10/325 #90: Upheld", specialty="Orthopaedic Surgery", state="California", extra=""
):
    credentials = [
        line.replace("Orthopaedic Surgery", specialty).replace("California", state) for line in CREDENTIALS
    ]
    text = standard_letter([item([heading], OPIOIDS, f"{extra} {NOT_NECESSARY}")])
    return text.replace(pdfminer_style(CREDENTIALS), pdfminer_style(credentials))


def _import(*letters):
    return importing.import_candidates(
        [importing.Candidate(f"letter-{n}.txt", text.encode("utf-8")) for n, text in enumerate(letters)]
    )


# 1. A bad letter never drops good ones


@pytest.mark.django_db(transaction=True)
def test_a_letter_failing_in_a_batch_costs_no_other_letter_its_place(monkeypatch):
    """The batch's rollback took a new specialty row with it while its id stayed cached; the
    one-by-one retry then failed on the foreign key and called the good letter "already present"."""
    original = importing.CITATIONS.insert_returning_pks

    def failing_for_poison(rows, key):
        if any("Poison" in topic for *_, topic in rows):
            raise RuntimeError("simulated storage failure")
        return original(rows, key)

    monkeypatch.setattr(importing.CITATIONS, "insert_returning_pks", failing_for_poison)
    poison = standard_letter(
        [
            item(
                ["Tramadol: Upheld"],
                "Decision based on MTUS Chronic Pain Treatment Guidelines Poison Page(s): 80.",
                NOT_NECESSARY,
            )
        ]
    )
    report = _import(
        _letter(specialty="Aerospace Medicine"), poison, _letter(heading="Baclofen 10mg: Upheld")
    )
    assert [result.status for result in report.results] == [
        importing.IMPORTED,
        importing.FAILED,
        importing.IMPORTED,
    ]
    assert "simulated storage failure" in report.results[1].message
    assert Determination.objects.count() == 2
    assert Determination.objects.filter(specialties__name="Aerospace Medicine").count() == 1


# 2. Every file gets the same fate on SQLite and PostgreSQL


@pytest.mark.django_db
@pytest.mark.parametrize(
    "letter, warning",
    [
        (_letter(extra="A NUL\x00 byte."), None),
        (_letter(state="S" * 70), "a licensure state was longer than 60 characters"),
        (_letter(specialty="Medicine " * 20), "a reviewer specialty was longer than 120 characters"),
        (
            _letter(heading="Norco 10/325 #99999999999999999999: Upheld"),
            "item 1: the quantity 99999999999999999999",
        ),
        (_letter(heading="Norco 10/325 #90 with 40000 refills: Upheld"), "item 1: the refill count 40000"),
    ],
)
def test_values_a_column_cannot_hold_are_stored_with_a_warning_on_every_database(letter, warning):
    report = _import(letter)
    assert report.results[0].status == importing.IMPORTED, report.results[0].message
    stored = Determination.objects.get()
    assert "\x00" not in stored.text
    if warning:
        assert any(warning in text for text in stored.warnings), stored.warnings


# 3. Hostile PDFs are read in a child process within limits


@pytest.mark.parametrize(
    "make, sentence",
    [
        (scattered_text_pdf, "reading the PDF"),
        (nested_xobjects_pdf, "reading the PDF"),
    ],
)
def test_hostile_pdfs_fail_with_a_sentence_within_their_limits(make, sentence):
    data = make()
    assert len(data) < 100_000
    started = time.monotonic()
    with pytest.raises(ParseError, match=sentence) as failure:
        parse_document(data, PdfLimits(seconds=4, memory_bytes=256 * 2**20))
    assert time.monotonic() - started < 10
    assert "stopped" in str(failure.value)


def test_reading_a_hostile_pdf_leaves_the_caller_its_memory():
    def peak_kb():
        return int(next(line for line in open("/proc/self/status") if line.startswith("VmHWM")).split()[1])

    before = peak_kb()
    with pytest.raises(ParseError):
        parse_document(nested_xobjects_pdf(), PdfLimits(seconds=4, memory_bytes=256 * 2**20))
    assert peak_kb() - before < 50_000


def test_a_pdf_with_too_many_pages_is_refused():
    from fpdf import FPDF

    pdf = FPDF()
    for _ in range(5):
        pdf.add_page()
        pdf.set_font("Helvetica", size=10)
        pdf.cell(0, 5, "page")
    with pytest.raises(ParseError, match="more than 3 pages"):
        parse_document(bytes(pdf.output()), PdfLimits(pages=3))


@pytest.mark.django_db
def test_a_hostile_pdf_fails_alone_in_an_import(settings):
    settings.IMR_PDF_SECONDS = 3
    report = importing.import_candidates(
        [
            importing.Candidate("hostile.pdf", nested_xobjects_pdf()),
            importing.Candidate("good.txt", SEED_FILES[0].read_bytes()),
        ]
    )
    assert [result.status for result in report.results] == [importing.FAILED, importing.IMPORTED]
    assert "took longer than 3 seconds" in report.results[0].message


# 4. Cheap anonymous requests are refused or bounded


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["*", "rationale:*", "[a TO z]", "%", '""', "a*"])
def test_match_everything_queries_get_a_sentence(client, seeded, query):
    html = client.get("/", {"q": query}).content.decode()
    assert 'role="alert"' in html and "<article" not in html


@pytest.mark.django_db
def test_an_export_larger_than_a_download_may_hold_says_so(client, seeded, settings):
    settings.IMR_EXPORT_MAX_ROWS = 5
    response = client.get("/export.csv")
    assert response.status_code == 400
    assert "matches 20 items; a download holds at most 5" in response.json()["error"]
    assert "Narrow to 5 items to download" in client.get("/").content.decode()
    assert client.get("/export.csv", {"outcome": "overturned"}).status_code == 200


# 5. Slow clients do not take the site down: tests/test_operations.py, on both serve scripts


# 6. Logins are throttled


@pytest.mark.django_db
def test_repeated_wrong_admin_passwords_lock_the_login(client, admin_user, settings):
    statuses = [
        client.post("/admin/login/?next=/admin/", {"username": "admin", "password": "wrong"}).status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    locked = client.post("/admin/login/?next=/admin/", {"username": "admin", "password": "password"})
    assert locked.status_code == 429  # even the right password waits out the cool-off


@pytest.mark.django_db
def test_wrong_passwords_for_one_user_name_leave_the_others_at_that_address_alone(
    client, admin_user, settings
):
    from django.contrib.auth.models import User

    User.objects.create_user("colleague", password="her-own-password", is_staff=True)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/admin/login/?next=/admin/", {"username": "admin", "password": "wrong"})
    colleague = client.post(
        "/admin/login/?next=/admin/", {"username": "colleague", "password": "her-own-password"}
    )
    assert colleague.status_code == 302 and colleague["Location"] == "/admin/"  # same address, logged in
    client.logout()
    admin = client.post("/admin/login/?next=/admin/", {"username": "admin", "password": "password"})
    assert admin.status_code == 429  # the name that was guessed at stays locked


# 7. CSV cells cannot run as formulas


@pytest.mark.django_db
def test_csv_cells_that_look_like_formulas_are_made_inert(client):
    headings = [
        '=HYPERLINK("http://evil.example","x"): Upheld',
        "+cmd|' /C calc'!A0: Upheld",
        "-2+3+cmd|' /C calc'!A0: Upheld",
        "@SUM(1+1)*cmd: Upheld",
    ]
    letter = standard_letter([item([heading], OPIOIDS, NOT_NECESSARY) for heading in headings])
    _import(letter)
    rows = list(
        csv.DictReader(io.StringIO(b"".join(client.get("/export.csv").streaming_content).decode("utf-8-sig")))
    )
    assert len(rows) == 4
    assert all(row["request"].startswith("'") for row in rows), [row["request"] for row in rows]


# 8. Permalinks survive a re-parse


@pytest.mark.django_db
def test_reparse_keeps_every_items_id(seeded, django_capture_on_commit_callbacks):
    before = list(DecisionItem.objects.order_by("pk").values_list("pk", "determination_id", "position"))
    with django_capture_on_commit_callbacks(execute=True):
        report = importing.reparse(Determination.objects.all())
    assert not report.failures
    assert (
        list(DecisionItem.objects.order_by("pk").values_list("pk", "determination_id", "position")) == before
    )
    assert search.backend().search(search.query("baclofen")).total >= 1


# 9. Smaller findings


@pytest.mark.django_db
def test_a_view_only_staff_user_cannot_reparse(client, seeded):
    from django.contrib.auth.models import Permission, User

    viewer = User.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_determination"))
    client.force_login(viewer)
    ids = list(Determination.objects.values_list("pk", flat=True))
    response = client.post(
        "/admin/decisions/determination/", {"action": "reparse_selected", "_selected_action": ids}
    )
    assert response.status_code in (200, 302, 403)
    assert "Re-parsed" not in response.content.decode()
    actions = client.get("/admin/decisions/determination/").content.decode()
    assert "reparse_selected" not in actions


@pytest.mark.django_db
def test_anonymous_file_bodies_are_refused_before_they_are_read(client):
    upload = SimpleUploadedFile("big.txt", b"x" * 200_000)
    response = client.post("/admin/decisions/determination/upload/", {"files": upload})
    assert response.status_code == 403 and b"Only staff may upload" in response.content


@pytest.mark.django_db
def test_a_body_larger_than_any_upload_is_refused(client, settings):
    settings.IMR_MAX_ZIP_UPLOAD_BYTES = 1024
    response = client.post(
        "/api/items", data=b"x" * (3 * 1024 * 1024), content_type="application/octet-stream"
    )
    assert response.status_code == 413


def test_pages_send_a_content_security_policy(client, db):
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "object-src 'none'" in policy


def test_forwarded_proto_is_ignored_unless_behind_a_configured_proxy(settings):
    from imr_site import settings as site_settings

    assert site_settings.SECURE_PROXY_SSL_HEADER is None
    assert site_settings.BEHIND_PROXY is False


def test_a_short_secret_key_is_refused(tmp_path):
    from django.core.exceptions import ImproperlyConfigured

    from imr_site import env

    os.environ["SECRET_KEY"] = "abc"
    try:
        with pytest.raises(ImproperlyConfigured, match=r"SECRET_KEY is weak \(3 characters"):
            env.secret_key(False, tmp_path / "none")
    finally:
        del os.environ["SECRET_KEY"]


def test_manage_py_reads_the_secret_key_that_scripts_serve_wrote(tmp_path):
    (tmp_path / "secret_key").write_text("written-by-scripts-serve-" + "r8Lw" * 12)
    environment = {key: value for key, value in os.environ.items() if key not in {"SECRET_KEY", "DEBUG"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**environment, "IMR_VAR_DIR": str(tmp_path), "DEBUG": "0"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_scripts_serve_keeps_the_secret_key_and_database_private():
    prepared = (REPO / "scripts" / "site.sh").read_text().split("prepare_site() {")[1]
    assert "umask 077" in prepared.split('mkdir -p "$var_dir"')[0]


def test_gunicorn_recycles_workers_and_gives_slow_clients_a_greenlet_not_a_worker():
    config = {}
    exec((REPO / "gunicorn.conf.py").read_text(), config)
    assert config["worker_class"] == "gevent" and config["worker_connections"] >= 100
    assert config["max_requests"] > 0 and config["max_requests_jitter"] > 0


@pytest.mark.django_db
def test_the_size_error_gives_exact_sizes(admin_client, settings, run_worker):
    settings.IMR_MAX_UPLOAD_BYTES = 1500
    admin_client.post(
        "/admin/decisions/determination/upload/", {"files": SimpleUploadedFile("big.txt", b"x" * 1501)}
    )
    run_worker()
    html = admin_client.get(f"/admin/decisions/job/{Job.objects.get().pk}/change/").content.decode()
    assert "1,501 bytes" in html and "1,500 bytes" in html


@pytest.mark.django_db
def test_a_utf16_text_letter_is_read(seeded):
    text = SEED_FILES[0].read_text(encoding="utf-8").replace("Zanaflex", "Tizanidine-brand")
    report = importing.import_candidates([importing.Candidate("utf16.txt", text.encode("utf-16"))])
    assert report.results[0].status == importing.IMPORTED, report.results[0].message


@pytest.mark.django_db
def test_pages_are_compressed_for_clients_that_accept_gzip(client, seeded):
    plain = client.get("/?q=baclofen")
    packed = client.get("/?q=baclofen", HTTP_ACCEPT_ENCODING="gzip, br")
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.content) == plain.content
    assert len(packed.content) * 3 < len(plain.content)
    api = client.get("/api/items?q=baclofen", HTTP_ACCEPT_ENCODING="gzip")
    assert api.headers["Content-Encoding"] == "gzip"
