"""Bringing letters in: idempotent, one transaction per letter, every bad input reported."""

import io
import re
import zipfile

import pytest
from django.core.management import call_command

from decisions import importing, indexing
from decisions.importing import DUPLICATE, FAILED, IMPORTED, Candidate, import_candidates
from decisions.models import CitedPage, DecisionItem, Determination, GuidelineCitation, Specialty
from tests.letters import SEED_FILES, SEEDS, pdf_bytes

pytestmark = pytest.mark.django_db


def _zip(entries, compression=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def _import(*candidates):
    return import_candidates(candidates)


def _statuses(report):
    return [(result.name, result.status) for result in report.results]


def test_seeds_import_with_items_citations_and_pages(seeded):
    assert Determination.objects.count() == 3
    assert DecisionItem.objects.count() == 2 + 4 + 14
    baclofen = DecisionItem.objects.get(request="Baclofen 10mg #90")
    assert (baclofen.outcome, baclofen.treatment, baclofen.drug_class, baclofen.quantity) == (
        "upheld",
        "baclofen",
        "muscle relaxant",
        90,
    )
    assert [c.pages for c in baclofen.reviewer_citations] == [[63, 64, 124]]
    assert [c.pages for c in baclofen.claims_administrator_citations] == [[65]]
    assert set(
        DecisionItem.objects.filter(
            cited_pages__source="chronic_pain", cited_pages__page=63, cited_pages__citation__party="reviewer"
        ).values_list("request", flat=True)
    ) == {"Baclofen 10mg #90", "Zanaflex 4 MG #90", "Robaxin"}
    letter = Determination.objects.get(source_name="001_a48d4f4e0680bd32.txt")
    assert sorted(s.name for s in letter.specialties.all()) == ["Neurology", "Neuromuscular Medicine"]
    assert sorted(s.name for s in letter.licensure_states.all()) == ["California", "Michigan", "New Jersey"]
    assert (letter.patient_age, letter.patient_sex, str(letter.date_of_injury)) == (48, "male", "2005-01-27")
    assert letter.original_file.read() == (SEEDS / "001_a48d4f4e0680bd32.txt").read_bytes()
    opana = Determination.objects.get(source_name="003_fcd2ca5e482aece7.txt")
    assert opana.warnings == [
        "item 3: outcome is overturned but the rationale concludes not medically necessary"
    ]


def test_rerunning_the_same_input_changes_nothing(seeded):
    before = (
        Determination.objects.count(),
        DecisionItem.objects.count(),
        GuidelineCitation.objects.count(),
        CitedPage.objects.count(),
        Specialty.objects.count(),
    )
    report = import_candidates(importing.candidates_from_paths([SEEDS]))
    assert report.count(DUPLICATE) == 3 and report.count(IMPORTED) == 0
    assert all("already present as" in result.message for result in report.results)
    assert (
        Determination.objects.count(),
        DecisionItem.objects.count(),
        GuidelineCitation.objects.count(),
        CitedPage.objects.count(),
        Specialty.objects.count(),
    ) == before


def test_same_content_twice_in_one_import_is_a_duplicate():
    data = SEED_FILES[0].read_bytes()
    report = _import(Candidate("a.txt", data), Candidate("copy-of-a.txt", data))
    assert _statuses(report) == [("a.txt", IMPORTED), ("copy-of-a.txt", DUPLICATE)]
    assert "same content as a.txt" in report.results[1].message


def test_pdf_letter_imports():
    report = _import(Candidate("letter.pdf", pdf_bytes(SEED_FILES[1].read_text())))
    assert _statuses(report) == [("letter.pdf", IMPORTED)]
    assert DecisionItem.objects.filter(determination__source_name="letter.pdf").count() == 4


@pytest.mark.parametrize(
    "name, data, reason",
    [
        (
            "broken.pdf",
            b"%PDF-1.4\n garbage that is not a pdf body",
            "PDF could not be read|no extractable text",
        ),
        ("fake.pdf", b"just some text", "named .pdf but is not a PDF"),
        ("letter.docx", b"PK\x05\x06" + bytes(18), "unsupported file type '.docx'"),
        ("photo.jpg", b"\xff\xd8\xff\xe0 jpeg", "unsupported file type '.jpg'"),
        ("empty.txt", b"", "empty"),
        ("notes.txt", b"Shopping list: eggs, milk.", "not an IMR determination letter"),
        ("binary.txt", b"\x00\x01\x02 binary", "binary"),
    ],
)
def test_bad_files_fail_with_a_reason_and_store_nothing(name, data, reason, settings):
    report = _import(Candidate(name, data))
    assert report.results[0].status == FAILED
    assert re.search(reason, report.results[0].message), report.results[0].message
    assert Determination.objects.count() == 0
    assert not (settings.MEDIA_ROOT / "letters").exists() or not any(
        (settings.MEDIA_ROOT / "letters").rglob("*.*")
    )


def test_one_bad_file_never_stops_the_rest():
    report = _import(Candidate("bad.txt", b"nonsense"), Candidate("good.txt", SEED_FILES[0].read_bytes()))
    assert _statuses(report) == [("bad.txt", FAILED), ("good.txt", IMPORTED)]


def test_a_failure_while_writing_leaves_no_half_written_letter(monkeypatch, settings):
    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importing.PAGES, "insert", explode)  # the last table a letter writes
    report = _import(Candidate("good.txt", SEED_FILES[0].read_bytes()))
    assert report.results[0].status == FAILED and "disk full" in report.results[0].message
    assert "could not be stored" in report.results[0].message
    assert Determination.objects.count() == DecisionItem.objects.count() == 0
    assert not any((settings.MEDIA_ROOT / "letters").rglob("*.txt"))


def test_oversized_file_is_refused(settings):
    settings.IMR_MAX_UPLOAD_BYTES = 1024
    report = _import(*importing.candidates_from_upload("big.txt", SEED_FILES[0].read_bytes()))
    assert report.results[0].status == FAILED and "limit is" in report.results[0].message


def test_zip_with_good_duplicate_and_broken_files(seeded):
    archive = _zip(
        [
            ("letters/new.pdf", pdf_bytes(SEED_FILES[0].read_text().replace("Baclofen", "Lioresal"))),
            ("letters/again.txt", SEED_FILES[1].read_bytes()),
            ("letters/broken.pdf", b"%PDF-1.7 truncated"),
            ("__MACOSX/._new.pdf", b"finder metadata"),
        ]
    )
    report = _import(*importing.candidates_from_upload("batch.zip", archive))
    assert _statuses(report) == [
        ("batch.zip/letters/new.pdf", IMPORTED),
        ("batch.zip/letters/again.txt", DUPLICATE),
        ("batch.zip/letters/broken.pdf", FAILED),
    ]


@pytest.mark.parametrize(
    "entry, reason",
    [
        ("../../etc/evil.txt", "'..'"),
        ("/etc/evil.txt", "absolute path"),
        ("C:/evil.txt", "absolute path"),
        ("inner.zip", "nested archive"),
        ("inner.tar.gz", "nested archive"),
    ],
)
def test_unsafe_zip_entries_are_refused(entry, reason):
    archive = _zip([(entry, SEED_FILES[0].read_bytes())])
    report = _import(*importing.candidates_from_upload("upload.zip", archive))
    assert report.results[0].status == FAILED and reason in report.results[0].message
    assert Determination.objects.count() == 0


def test_zip_bomb_entry_is_refused():
    archive = _zip([("bomb.txt", b"0" * 5_000_000)])
    report = _import(*importing.candidates_from_upload("bomb.zip", archive))
    assert report.results[0].status == FAILED and "zip bomb" in report.results[0].message


def test_zip_that_unpacks_too_large_is_refused_whole(settings):
    settings.IMR_MAX_UNZIPPED_BYTES = 10_000
    archive = _zip([(f"{n}.txt", SEED_FILES[2].read_bytes()) for n in range(3)])
    report = _import(*importing.candidates_from_upload("big.zip", archive))
    assert _statuses(report) == [("big.zip", FAILED)] and "unpacks to" in report.results[0].message


def test_zip_with_too_many_entries_is_refused(settings):
    settings.IMR_MAX_ZIP_ENTRIES = 2
    archive = _zip([(f"{n}.txt", b"x") for n in range(3)])
    assert "limit is 2" in _import(*importing.candidates_from_upload("many.zip", archive)).results[0].message


def test_corrupt_zip_is_reported():
    report = _import(*importing.candidates_from_upload("broken.zip", b"PK\x03\x04 not really a zip"))
    assert report.results[0].status == FAILED and "not a readable ZIP" in report.results[0].message


def test_command_summary_for_a_mixed_folder(tmp_path, capsys):
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "a.txt").write_bytes(SEED_FILES[0].read_bytes())
    (folder / "a-copy.txt").write_bytes(SEED_FILES[0].read_bytes())
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 broken")
    (folder / "letters.zip").write_bytes(_zip([("b.txt", SEED_FILES[1].read_bytes())]))
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_determinations", str(folder), str(tmp_path / "missing"), "--wait")
    out = capsys.readouterr().out
    assert exit_info.value.code == 1
    assert "Imported: 2" in out and "Already present (same content): 1" in out and "Failed: 2" in out
    assert "broken.pdf:" in out and "no such file or folder" in out
    call_command("import_determinations", str(folder / "a.txt"), "--wait")  # all present: exit 0
    assert "Already present (same content): 1" in capsys.readouterr().out


def test_reparse_replaces_items_and_keeps_identity(seeded):
    letter = Determination.objects.get(source_name="000_3fe309f923c0c51a.txt")
    DecisionItem.objects.filter(determination=letter).update(treatment="", outcome="upheld")
    report = importing.reparse(Determination.objects.filter(pk=letter.pk))
    assert report.count(IMPORTED) == 1
    assert list(letter.items.values_list("treatment", "outcome")) == [
        ("gabapentin", "overturned"),
        ("baclofen", "upheld"),
    ]


def test_a_letter_that_fails_inside_a_batch_fails_alone(monkeypatch):
    real_write_rows = importing._write_rows

    def refuse_lioresal(pairs, names):
        if any("Lioresal" in item.request for _, letter in pairs for item in letter.items):
            raise RuntimeError("simulated failure")
        return real_write_rows(pairs, names)

    monkeypatch.setattr(importing, "_write_rows", refuse_lioresal)
    bad = SEED_FILES[0].read_text().replace("Baclofen", "Lioresal").encode()
    report = _import(
        Candidate("a.txt", SEED_FILES[1].read_bytes()),
        Candidate("bad.txt", bad),
        Candidate("c.txt", SEED_FILES[2].read_bytes()),
    )
    assert _statuses(report) == [("a.txt", IMPORTED), ("bad.txt", FAILED), ("c.txt", IMPORTED)]
    assert "simulated failure" in report.results[1].message
    assert sorted(Determination.objects.values_list("source_name", flat=True)) == ["a.txt", "c.txt"]
    assert DecisionItem.objects.count() == 4 + 14


@pytest.mark.django_db(transaction=True)  # the worker pool closes database connections before forking
def test_parallel_parsing_gives_the_same_result(tmp_path, capsys, settings):
    settings.IMR_IMPORT_PROCESSES = 2
    call_command("import_determinations", str(SEEDS), "--wait")
    assert "Imported: 3" in capsys.readouterr().out
    assert DecisionItem.objects.count() == 20
    assert sorted(Determination.objects.values_list("source_name", flat=True)) == [p.name for p in SEED_FILES]
    comparison = indexing.compare()  # indexed in a process of its own while the letters were stored
    assert comparison.in_step and comparison.indexed == 20 and comparison.pending == 0
