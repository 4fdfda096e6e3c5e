"""Bring letters in: from paths, uploads or ZIPs, one transaction per letter, duplicates recognised.

The import command and the admin upload both go through `import_candidates`, so a file gets the
same checks and the same outcome whichever way it arrives.
"""
import io
import logging
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from decisions import search
from decisions.models import (
    CitedPage, DecisionItem, Determination, GuidelineCitation, LicensureState, ReviewerLicensure, ReviewerSpecialty,
    Specialty,
)
from decisions.parsing import ParseError, content_hash, parse_document
from decisions.parsing.documents import PDF_MAGIC

logger = logging.getLogger(__name__)

LETTER_SUFFIXES = {".pdf", ".txt", ".text", ""}
ARCHIVE_SUFFIXES = {".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".jar"}
MAX_COMPRESSION_RATIO = 200
IMPORTED, DUPLICATE, FAILED = "imported", "duplicate", "failed"


@dataclass
class Candidate:
    """A file offered for import: its bytes, or why it was refused before parsing."""

    name: str
    data: bytes | None = None
    refused: str | None = None


@dataclass
class ImportResult:
    name: str
    status: str  # imported | duplicate | failed
    message: str
    determination_id: int | None = None
    warnings: list = field(default_factory=list)


@dataclass
class ImportReport:
    results: list = field(default_factory=list)

    def count(self, status):
        return sum(1 for result in self.results if result.status == status)

    @property
    def failures(self):
        return [result for result in self.results if result.status == FAILED]

    def summary(self):
        return (f"{self.count(IMPORTED)} imported, {self.count(DUPLICATE)} already present, "
                f"{self.count(FAILED)} failed")


def _suffix(name):
    return PurePosixPath(name).suffix.lower()


def _size_refusal(size):
    limit = settings.IMR_MAX_UPLOAD_BYTES
    if size > limit:
        return f"file is {size / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB"
    return None


def candidates_from_zip(archive_name, data):
    """The letters inside a ZIP; unsafe entries, nested archives and bombs are refused, not opened."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as error:
        yield Candidate(archive_name, refused=f"not a readable ZIP archive ({error})")
        return
    if len(entries) > settings.IMR_MAX_ZIP_ENTRIES:
        yield Candidate(archive_name, refused=f"archive holds {len(entries)} files; the limit is "
                                              f"{settings.IMR_MAX_ZIP_ENTRIES}")
        return
    total = sum(info.file_size for info in entries)
    if total > settings.IMR_MAX_UNZIPPED_BYTES:
        yield Candidate(archive_name, refused=f"archive unpacks to {total / 1e6:.0f} MB; the limit is "
                                              f"{settings.IMR_MAX_UNZIPPED_BYTES / 1e6:.0f} MB (zip bomb?)")
        return
    for info in entries:
        name = f"{archive_name}/{info.filename}"
        path = PurePosixPath(info.filename.replace("\\", "/"))
        if path.parts and path.parts[0] == "__MACOSX" or path.name == ".DS_Store":
            continue  # Finder metadata, not letters
        if info.filename.startswith(("/", "\\")) or (len(info.filename) > 1 and info.filename[1] == ":"):
            yield Candidate(name, refused="absolute path inside the archive; refused for safety")
        elif ".." in path.parts:
            yield Candidate(name, refused="path with '..' inside the archive; refused for safety")
        elif _suffix(info.filename) in ARCHIVE_SUFFIXES:
            yield Candidate(name, refused="nested archive; upload the inner archive on its own")
        elif info.flag_bits & 0x1:
            yield Candidate(name, refused="password-protected entry")
        elif info.file_size > 1_000_000 and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            yield Candidate(name, refused=f"compression ratio over {MAX_COMPRESSION_RATIO}:1 (zip bomb?)")
        elif refusal := _size_refusal(info.file_size):
            yield Candidate(name, refused=refusal)
        else:
            try:
                with archive.open(info) as entry:
                    content = entry.read(settings.IMR_MAX_UPLOAD_BYTES + 1)
            except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError, EOFError) as error:
                yield Candidate(name, refused=f"entry could not be unpacked ({error})")
                continue
            if content[:4] == b"PK\x03\x04":
                yield Candidate(name, refused="nested archive; upload the inner archive on its own")
            else:
                yield Candidate(name, data=content, refused=_size_refusal(len(content)))


def candidates_from_upload(name, data):
    """One uploaded or found file: a letter, or a ZIP of letters."""
    if _suffix(name) == ".zip" or data[:4] == b"PK\x03\x04":
        yield from candidates_from_zip(name, data)
    else:
        yield Candidate(name, data=data, refused=_size_refusal(len(data)))


def candidates_from_paths(paths):
    """Files, folders (walked in name order) and ZIPs given on a command line; read lazily."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
        elif path.is_file():
            files = [path]
        else:
            yield Candidate(str(path), refused="no such file or folder")
            continue
        for file_path in files:
            size = file_path.stat().st_size
            if refusal := (_size_refusal(size) if _suffix(file_path.name) != ".zip" else None):
                yield Candidate(str(file_path), refused=refusal)
                continue
            yield from candidates_from_upload(str(file_path), file_path.read_bytes())


def _format_refusal(candidate):
    suffix = _suffix(candidate.name)
    is_pdf = candidate.data.lstrip()[:4] == PDF_MAGIC
    if suffix == ".pdf" and not is_pdf:
        return "named .pdf but is not a PDF (it does not start with %PDF)"
    if suffix not in LETTER_SUFFIXES:
        return f"unsupported file type '{suffix}'; upload PDF or text letters, or a ZIP of them"
    return None


class _Names:
    """Specialty and state rows by name, cached so a large import does not query for each letter."""

    def __init__(self, model):
        self.model, self.ids = model, {}

    def ids_for(self, names):
        missing = [name for name in names if name not in self.ids]
        if missing:
            for name in missing:
                self.ids[name] = self.model.objects.get_or_create(name=name[:120])[0].pk
        return [self.ids[name] for name in dict.fromkeys(names)]


def write_parsed_letter(determination, letter, specialties=None, states=None):
    """Set a saved determination's parsed fields and (re)create its items; caller holds a transaction."""
    determination.format = letter.format
    determination.case_number = letter.case_number or ""
    determination.date_assigned = letter.dates.assigned
    determination.ur_denial_date = letter.dates.ur_denial
    determination.decision_date = letter.dates.decision
    determination.application_received = letter.dates.received
    determination.patient_age = letter.patient.age
    determination.patient_sex = letter.patient.sex or ""
    determination.date_of_injury = letter.patient.date_of_injury
    determination.clinical_summary = letter.clinical_summary
    determination.diagnoses = letter.diagnoses
    determination.warnings = letter.warnings
    determination.parsed_at = timezone.now()
    determination.save()
    ReviewerSpecialty.objects.filter(determination=determination).delete()
    ReviewerSpecialty.objects.bulk_create(
        ReviewerSpecialty(determination=determination, specialty_id=pk, position=position) for position, pk in
        enumerate((specialties or _Names(Specialty)).ids_for(letter.reviewer.specialties), start=1))
    ReviewerLicensure.objects.filter(determination=determination).delete()
    ReviewerLicensure.objects.bulk_create(
        ReviewerLicensure(determination=determination, state_id=pk, position=position) for position, pk in
        enumerate((states or _Names(LicensureState)).ids_for(letter.reviewer.licensure_states), start=1))
    determination.items.all().delete()

    items = DecisionItem.objects.bulk_create([
        DecisionItem(
            determination=determination, position=position, request=item.request[:2000],
            treatment=item.treatment.name or "", treatment_category=item.treatment.category,
            drug_class=item.treatment.drug_class or "", strength=(item.treatment.strength or "")[:40],
            quantity=item.treatment.quantity, refills=item.treatment.refills, outcome=item.outcome,
            claims_administrator_guideline=item.claims_administrator_guideline or "",
            maximus_guideline=item.maximus_guideline or "", rationale=item.rationale, necessity=item.necessity,
        )
        for position, item in enumerate(letter.items, start=1)
    ])
    citations, pages = [], []
    for stored, parsed in zip(items, letter.items):
        for position, citation in enumerate(parsed.citations, start=1):
            row = GuidelineCitation(item=stored, position=position, source=citation.source,
                                    chapter=citation.chapter or "", topic=(citation.topic or "")[:400])
            citations.append(row)
            pages.extend(CitedPage(citation=row, item=stored, source=citation.source, page=page)
                         for page in citation.pages)
    GuidelineCitation.objects.bulk_create(citations)
    CitedPage.objects.bulk_create(pages)
    return determination


def _store(candidate, letter_text, letter, digest, names):
    determination = Determination(source_name=PurePosixPath(candidate.name).name[:255], content_sha256=digest,
                                  text=letter_text, parsed_at=timezone.now())
    determination.original_file.save(determination.source_name, ContentFile(candidate.data), save=False)
    try:
        with transaction.atomic():
            return write_parsed_letter(determination, letter, *names)
    except BaseException:
        determination.original_file.delete(save=False)  # no orphan file for a letter that was not stored
        raise


def _import_one(candidate, seen, names):
    if candidate.refused:
        return ImportResult(candidate.name, FAILED, candidate.refused)
    if refusal := _format_refusal(candidate):
        return ImportResult(candidate.name, FAILED, refusal)
    digest = content_hash(candidate.data)
    if digest in seen:
        return ImportResult(candidate.name, DUPLICATE, f"same content as {seen[digest]} earlier in this import")
    existing = Determination.objects.filter(content_sha256=digest).values_list("pk", "source_name").first()
    if existing:
        return ImportResult(candidate.name, DUPLICATE, f"already present as {existing[1]}", existing[0])
    try:
        letter_text, letter = parse_document(candidate.data)
    except ParseError as error:
        return ImportResult(candidate.name, FAILED, str(error))
    try:
        determination = _store(candidate, letter_text, letter, digest, names)
    except IntegrityError:  # imported concurrently by another worker
        return ImportResult(candidate.name, DUPLICATE, "already present (imported at the same time elsewhere)")
    seen[digest] = candidate.name
    items = len(letter.items)
    return ImportResult(candidate.name, IMPORTED, f"{items} item{'s' if items != 1 else ''}", determination.pk,
                        letter.warnings)


def import_candidates(candidates, on_result=None, index_batch=500):
    """Import each candidate; one bad file never stops the rest. New letters are indexed in batches."""
    report, seen, pending = ImportReport(), {}, []
    names = (_Names(Specialty), _Names(LicensureState))
    for candidate in candidates:
        try:
            result = _import_one(candidate, seen, names)
        except Exception as error:  # an unexpected failure is reported for this file, not raised
            logger.exception("import of %s failed", candidate.name)
            result = ImportResult(candidate.name, FAILED, f"internal error: {type(error).__name__}: {error}")
        report.results.append(result)
        if result.status == IMPORTED:
            pending.append(result.determination_id)
            if len(pending) >= index_batch:
                search.index_determinations(pending)
                pending = []
        if on_result:
            on_result(result)
    if pending:
        search.index_determinations(pending)
    return report


def reparse(determinations):
    """Parse stored letters again (after a parser change), from their original files when kept."""
    report, names = ImportReport(), (_Names(Specialty), _Names(LicensureState))
    for determination in determinations:
        try:
            if determination.original_file:
                with determination.original_file.open("rb") as original:
                    letter_text, letter = parse_document(original.read())
            else:
                from decisions.parsing import parse_letter_text

                letter_text, letter = determination.text, parse_letter_text(determination.text)
            with transaction.atomic():
                determination.text = letter_text
                write_parsed_letter(determination, letter, *names)
        except (ParseError, OSError) as error:
            report.results.append(ImportResult(determination.source_name, FAILED, str(error), determination.pk))
            continue
        report.results.append(ImportResult(determination.source_name, IMPORTED,
                                           f"{len(letter.items)} items", determination.pk, letter.warnings))
    search.index_determinations([r.determination_id for r in report.results if r.status == IMPORTED])
    return report
