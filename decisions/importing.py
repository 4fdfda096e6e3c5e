"""Bring letters in: from paths, uploads or ZIPs, one transaction per letter, duplicates recognised.

The import command, the admin upload and import jobs all go through `import_batches`, so a file
gets the same checks and the same outcome whichever way it arrives. Each stored letter notes its
change for the search index in the same transaction (decisions.indexing).
"""

import functools
import hashlib
import io
import json
import logging
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from decisions import bulk, indexing, processes
from decisions.columns import fit_to_columns
from decisions.models import (
    CaseOutcome,
    CitedPage,
    CitedSection,
    DecisionItem,
    Determination,
    GuidelineCitation,
    GuidelineSection,
    LicensureState,
    ReviewerLicensure,
    ReviewerSpecialty,
    Specialty,
)
from decisions.parsing import PARSER_VERSION, ParseError, content_hash, parse_document, parse_letter_text
from decisions.parsing.documents import PDF_MAGIC, PdfLimits
from decisions.search.documents import grouped
from decisions.vocabulary.guidelines import section_key

logger = logging.getLogger(__name__)

LETTER_SUFFIXES = {".pdf", ".txt", ".text", ""}
ARCHIVE_SUFFIXES = {".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".jar"}
MAX_COMPRESSION_RATIO = 200
ZIP_MAGIC = b"PK\x03\x04"
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
    change: "LetterChange | None" = None  # what a re-parse changed


@dataclass(frozen=True)
class ItemSnapshot:
    outcome: str
    treatment: str
    citations: tuple = ()  # (party, source, chapter, guideline, pages, section ids) of each citation
    partial: bool = False
    reasons: tuple = ()  # the keys of the reasons its rationale gives


@dataclass(frozen=True)
class LetterSnapshot:
    """What a re-parse may change in a stored letter, to count what it did."""

    format: str
    dates: tuple = ()  # assigned, decision, UR denial, received, injury
    items: dict = field(default_factory=dict)  # position -> ItemSnapshot


@dataclass(frozen=True)
class LetterChange:
    """What parsing a stored letter again changed, between two LetterSnapshots."""

    items_before: int
    items_after: int
    outcomes_changed: int
    treatments_changed: int
    format_changed: bool
    dates_filled: int = 0
    dates_changed: int = 0
    citations_changed: int = 0
    partial_found: int = 0
    reasons_changed: int = 0

    @classmethod
    def between(cls, before, after):
        common = [(before.items[p], now) for p, now in after.items.items() if p in before.items]
        dates = list(zip(before.dates, after.dates, strict=False))
        return cls(
            items_before=len(before.items),
            items_after=len(after.items),
            outcomes_changed=sum(was.outcome != now.outcome for was, now in common),
            treatments_changed=sum(was.treatment != now.treatment for was, now in common),
            format_changed=before.format != after.format,
            dates_filled=sum(was is None and now is not None for was, now in dates),
            dates_changed=sum(was is not None and now != was for was, now in dates),
            citations_changed=sum(was.citations != now.citations for was, now in common),
            partial_found=sum(now.partial and not was.partial for was, now in common),
            reasons_changed=sum(was.reasons != now.reasons for was, now in common),
        )

    @property
    def changed(self):
        return bool(self._changes())

    def _changes(self):
        counted = [
            (self.outcomes_changed, "outcome(s) changed"),
            (self.treatments_changed, "treatment(s) changed"),
            (self.dates_filled, "date(s) filled"),
            (self.dates_changed, "date(s) changed"),
            (self.citations_changed, "item(s) cite differently"),
            (self.partial_found, "partial authorization(s) found"),
            (self.reasons_changed, "item(s) give other reasons"),
        ]
        parts = [f"was {self.items_before}"] if self.items_after != self.items_before else []
        parts += [f"{count} {what}" for count, what in counted if count]
        return parts + (["layout changed"] if self.format_changed else [])

    def describe(self):
        items = f"{self.items_after} item{'s' if self.items_after != 1 else ''}"
        return "; ".join([items, *(self._changes() or ["unchanged"])])


def _snapshot(determination):
    items = determination.items.order_by("position")
    citations = {}
    pages = grouped(
        CitedPage.objects.filter(item__determination=determination).values_list("citation_id", "page")
    )
    sections = grouped(
        CitedSection.objects.filter(item__determination=determination).values_list(
            "citation_id", "section_id"
        )
    )
    for row in GuidelineCitation.objects.filter(item__determination=determination).order_by(
        "item", "position"
    ):
        signature = (
            row.party,
            row.source,
            row.chapter,
            row.guideline,
            tuple(pages.get(row.pk, ())),
            tuple(sections.get(row.pk, ())),
        )
        citations.setdefault(row.item_id, []).append(signature)
    return LetterSnapshot(
        determination.format,
        tuple(
            getattr(determination, name)
            for name in (
                "date_assigned",
                "decision_date",
                "ur_denial_date",
                "application_received",
                "date_of_injury",
            )
        ),
        {
            position: ItemSnapshot(
                outcome, treatment, tuple(citations.get(pk, ())), bool(authorized or disputed), tuple(reasons)
            )
            for pk, position, outcome, treatment, authorized, disputed, reasons in items.values_list(
                "pk", "position", "outcome", "treatment", "authorized", "disputed", "reasons"
            )
        },
    )


@dataclass
class ImportReport:
    results: list = field(default_factory=list)

    def count(self, status):
        return sum(1 for result in self.results if result.status == status)

    @property
    def failures(self):
        return [result for result in self.results if result.status == FAILED]

    def summary(self):
        return (
            f"{self.count(IMPORTED)} imported, {self.count(DUPLICATE)} already present, "
            f"{self.count(FAILED)} failed"
        )


def _suffix(name):
    return PurePosixPath(name).suffix.lower()


def upload_limit(name):
    """Bytes one uploaded file may hold: a letter, or a ZIP of letters."""
    return settings.IMR_MAX_ZIP_UPLOAD_BYTES if _suffix(name) == ".zip" else settings.IMR_MAX_UPLOAD_BYTES


def _size_refusal(size, limit=None):
    limit = limit or settings.IMR_MAX_UPLOAD_BYTES
    if size > limit:
        return (
            f"the file holds {size:,} bytes ({filesizeformat(size)}); the limit is {limit:,} bytes "
            f"({filesizeformat(limit)})"
        )
    return None


def _entries(archive):
    """The files of a ZIP that may be letters (folders and Finder metadata left out)."""
    entries = []
    for info in archive.infolist():
        path = PurePosixPath(info.filename.replace("\\", "/"))
        if not info.is_dir() and not (path.parts and path.parts[0] == "__MACOSX" or path.name == ".DS_Store"):
            entries.append(info)
    return entries


def _is_zip(name, start):
    """What an import opens as a ZIP: a file named .zip, or one that starts like one."""
    return _suffix(name) == ".zip" or start[:4] == ZIP_MAGIC


def _file_start(file_path):
    try:
        with open(file_path, "rb") as opened:
            return opened.read(len(ZIP_MAGIC))
    except OSError:
        return b""


def count_files(paths):
    """How many files an import of these paths will report on (for a job's progress). Only what
    may be a ZIP is opened as one: a folder of letters is counted by name."""
    count = 0
    for file_path in _files_under(paths):
        entries = 1
        if _is_zip(file_path.name, _file_start(file_path)):
            try:
                with zipfile.ZipFile(file_path) as archive:
                    entries = len(_entries(archive))
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
                entries = 1
        count += entries if 0 < entries <= settings.IMR_MAX_ZIP_ENTRIES else 1
    return count


def candidates_from_zip(archive_name, data):
    """The letters inside a ZIP; unsafe entries, nested archives and bombs are refused, not opened."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = _entries(archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as error:
        yield Candidate(archive_name, refused=f"not a readable ZIP archive ({error})")
        return
    if len(entries) > settings.IMR_MAX_ZIP_ENTRIES:
        yield Candidate(
            archive_name,
            refused=f"archive holds {len(entries)} files; the limit is {settings.IMR_MAX_ZIP_ENTRIES}",
        )
        return
    total = sum(info.file_size for info in entries)
    if total > settings.IMR_MAX_UNZIPPED_BYTES:
        yield Candidate(
            archive_name,
            refused=f"archive unpacks to {total / 1e6:.0f} MB; the limit is "
            f"{settings.IMR_MAX_UNZIPPED_BYTES / 1e6:.0f} MB (zip bomb?)",
        )
        return
    for info in entries:
        name = f"{archive_name}/{info.filename}"
        path = PurePosixPath(info.filename.replace("\\", "/"))
        if info.filename.startswith(("/", "\\")) or (len(info.filename) > 1 and info.filename[1] == ":"):
            yield Candidate(name, refused="absolute path inside the archive; refused for safety")
        elif ".." in path.parts:
            yield Candidate(name, refused="path with '..' inside the archive; refused for safety")
        elif _suffix(info.filename) in ARCHIVE_SUFFIXES:
            yield Candidate(name, refused="nested archive; upload the inner archive on its own")
        elif info.flag_bits & 0x1:
            yield Candidate(name, refused="password-protected entry")
        elif info.file_size > 1_000_000 and info.file_size > MAX_COMPRESSION_RATIO * max(
            info.compress_size, 1
        ):
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
            if content[:4] == ZIP_MAGIC:
                yield Candidate(name, refused="nested archive; upload the inner archive on its own")
            else:
                yield Candidate(name, data=content, refused=_size_refusal(len(content)))


def candidates_from_upload(name, data):
    """One uploaded or found file: a letter, or a ZIP of letters."""
    if _is_zip(name, data):
        if refusal := _size_refusal(len(data), settings.IMR_MAX_ZIP_UPLOAD_BYTES):
            yield Candidate(name, refused=refusal)
            return
        yield from candidates_from_zip(name, data)
    else:
        yield Candidate(name, data=data, refused=_size_refusal(len(data)))


def _files_under(paths):
    """Files given, and the files of folders given (in name order); a missing path as itself."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
        else:
            yield path


def candidates_from_paths(paths, base=None):
    """Files, folders (walked in name order) and ZIPs given on a command line; read lazily, always
    in the same order, so a resumed job can skip what it has done. Named relative to `base` if given."""
    for file_path in _files_under(paths):
        name = str(file_path.relative_to(base)) if base else str(file_path)
        if not file_path.is_file():
            yield Candidate(name, refused="no such file or folder")
            continue
        size = file_path.stat().st_size
        if refusal := _size_refusal(size, upload_limit(file_path.name)):
            yield Candidate(name, refused=refusal)
            continue
        yield from candidates_from_upload(name, file_path.read_bytes())


def _format_refusal(candidate):
    suffix = _suffix(candidate.name)
    is_pdf = candidate.data.lstrip()[:4] == PDF_MAGIC
    if suffix == ".pdf" and not is_pdf:
        return "named .pdf but is not a PDF (it does not start with %PDF)"
    if suffix not in LETTER_SUFFIXES:
        return f"unsupported file type '{suffix}'; upload PDF or text letters, or a ZIP of them"
    return None


class _Names:
    """Specialty and state rows by name, cached so a large import does not query for each letter.
    A rolled-back transaction takes its new rows with it, so after one the cache must be forgotten."""

    def __init__(self, model):
        self.model, self.ids = model, {}

    def forget(self):
        self.ids.clear()

    def ids_for(self, names):
        missing = [name for name in names if name not in self.ids]
        if missing:
            for name in missing:
                self.ids[name] = self.model.objects.get_or_create(name=name)[0].pk
        return [self.ids[name] for name in dict.fromkeys(names)]


class _Sections(_Names):
    """Guideline sections by (guideline, key): the first spelling stored is the one shown."""

    def __init__(self):
        super().__init__(GuidelineSection)

    def id_for(self, guideline, name):
        key = (guideline, section_key(name))
        if key not in self.ids:
            self.ids[key] = GuidelineSection.objects.get_or_create(
                guideline=guideline, key=key[1], defaults={"name": name}
            )[0].pk
        return self.ids[key]


def _parsed_fields(determination, letter):
    determination.format = letter.format
    determination.case_number = letter.case_number or ""
    determination.date_assigned = letter.dates.assigned
    determination.ur_denial_date = letter.dates.ur_denial
    determination.decision_date = letter.dates.decision
    determination.application_received = letter.dates.received
    determination.patient_age = letter.patient.age
    determination.patient_sex = letter.patient.sex or ""
    determination.date_of_injury = letter.patient.date_of_injury
    determination.priority = letter.priority or ""
    determination.case_outcome = CaseOutcome.of(item.outcome for item in letter.items)
    determination.parser_version = PARSER_VERSION
    determination.letter_key = letter_key(letter)
    determination.clinical_summary = letter.clinical_summary
    determination.diagnoses = letter.diagnoses
    determination.warnings = letter.warnings
    determination.parsed_at = timezone.now()
    return determination


SPECIALTY_LINKS = bulk.Rows(ReviewerSpecialty, ["determination_id", "specialty_id", "position"])
LICENSURE_LINKS = bulk.Rows(ReviewerLicensure, ["determination_id", "state_id", "position"])
ITEM_FIELDS = [
    "request",
    "treatment",
    "treatment_category",
    "drug_class",
    "strength",
    "quantity",
    "refills",
    "outcome",
    "claims_administrator_guideline",
    "maximus_guideline",
    "rationale",
    "necessity",
    "original_request",
    "authorized",
    "disputed",
    "cites_no_evidence",
    "reasons",
    "reason_sentences",
]
ITEMS = bulk.Rows(DecisionItem, ["determination_id", "position", *ITEM_FIELDS])
CITATIONS = bulk.Rows(
    GuidelineCitation, ["item_id", "party", "position", "source", "chapter", "guideline", "topic"]
)
PAGES = bulk.Rows(CitedPage, ["citation_id", "item_id", "source", "page"])
SECTIONS = bulk.Rows(CitedSection, ["citation_id", "item_id", "section_id"])


def _write_reviewers(pairs, names):
    specialties, states = names.specialties, names.states
    SPECIALTY_LINKS.insert(
        [
            (determination.pk, pk, position)
            for determination, letter in pairs
            for position, pk in enumerate(specialties.ids_for(letter.reviewer.specialties), start=1)
        ]
    )
    LICENSURE_LINKS.insert(
        [
            (determination.pk, pk, position)
            for determination, letter in pairs
            for position, pk in enumerate(states.ids_for(letter.reviewer.licensure_states), start=1)
        ]
    )


def _item_values(item):
    """An item's stored values, in the order of ITEM_FIELDS."""
    treatment, authorization = item.treatment, item.authorization
    return (
        item.request[:2000],
        treatment.name or "",
        treatment.category,
        treatment.drug_class or "",
        treatment.strength or "",
        treatment.quantity,
        treatment.refills,
        item.outcome,
        item.claims_administrator_guideline or "",
        item.maximus_guideline or "",
        item.rationale,
        item.necessity,
        (authorization.original or "") if authorization else "",
        (authorization.authorized or "") if authorization else "",
        (authorization.remaining or "") if authorization else "",
        item.cites_no_evidence,
        [reason.key for reason in item.reasons],
        [reason.sentence for reason in item.reasons],
    )


def _parties(parsed):
    """(party, citation) of an item's citations, in the order they are numbered: the reviewer's first."""
    return [(GuidelineCitation.Party.REVIEWER, c) for c in parsed.citations] + [
        (GuidelineCitation.Party.CLAIMS_ADMINISTRATOR, c) for c in parsed.claims_citations
    ]


def _write_citations(item_ids, parsed_items, sections):
    pairs = list(zip(item_ids, parsed_items, strict=True))
    citations = [
        (item_id, party, position, c.source, c.chapter or "", c.guideline or "", c.topic or "")
        for item_id, parsed in pairs
        for position, (party, c) in enumerate(_parties(parsed), start=1)
    ]
    citation_ids = iter(CITATIONS.insert_returning_pks(citations, key=(0, 2)))
    pages, cited_sections = [], []
    for item_id, parsed in pairs:
        for _, citation in _parties(parsed):
            citation_id = next(citation_ids)
            pages.extend((citation_id, item_id, citation.source, page) for page in citation.pages)
            cited_sections.extend(
                (citation_id, item_id, sections.id_for(citation.guideline, name))
                for name in citation.sections
            )
    PAGES.insert(pages)
    SECTIONS.insert(cited_sections)


def _write_rows(pairs, names):
    """Reviewer links, items, citations and pages of new determinations, a few statements per table."""
    _write_reviewers(pairs, names)
    parsed_items = [item for _, letter in pairs for item in letter.items]
    item_ids = ITEMS.insert_returning_pks(
        [
            (determination.pk, position, *_item_values(item))
            for determination, letter in pairs
            for position, item in enumerate(letter.items, start=1)
        ],
        key=(0, 1),
    )
    _write_citations(item_ids, parsed_items, names.sections)


def _replace_rows(determination, letter, names):
    """A re-parsed letter's rows; each item keeps its id (and so its permalink) by its position."""
    ReviewerSpecialty.objects.filter(determination=determination).delete()
    ReviewerLicensure.objects.filter(determination=determination).delete()
    _write_reviewers([(determination, letter)], names)
    old = dict(determination.items.values_list("position", "pk"))
    rows = [
        DecisionItem(
            pk=old.get(position),
            determination=determination,
            position=position,
            **dict(zip(ITEM_FIELDS, _item_values(item), strict=True)),
        )
        for position, item in enumerate(letter.items, start=1)
    ]
    GuidelineCitation.objects.filter(item__determination=determination).delete()
    determination.items.filter(position__gt=len(rows)).delete()
    DecisionItem.objects.bulk_update([row for row in rows if row.pk], ITEM_FIELDS)
    DecisionItem.objects.bulk_create([row for row in rows if not row.pk])
    _write_citations([row.pk for row in rows], letter.items, names.sections)


@dataclass
class _NameCaches:
    """The rows of names an import refers to (specialties, states, guideline sections), by name."""

    specialties: _Names = field(default_factory=lambda: _Names(Specialty))
    states: _Names = field(default_factory=lambda: _Names(LicensureState))
    sections: _Sections = field(default_factory=_Sections)

    def forget(self):
        for cache in (self.specialties, self.states, self.sections):
            cache.forget()


def write_parsed_letter(determination, letter, names):
    """Save a determination's parsed fields and (re)create its items; caller holds a transaction."""
    replacing = determination.pk is not None
    _parsed_fields(determination, letter).save()
    indexing.record([determination.pk])
    if replacing:
        _replace_rows(determination, letter, names)
    else:  # a new letter has nothing to replace, and Django's cascade collector is not free
        _write_rows([(determination, letter)], names)
    return determination


@dataclass(frozen=True)
class _Destination:
    """Where an import stores its letters: the job they belong to, and whether they are generated
    sample letters (scripts/serve's first look), marked as such wherever they are shown."""

    job_id: int | None = None
    sample: bool = False


def _new_determination(prepared, into):
    candidate = prepared.candidate
    determination = Determination(
        source_name=PurePosixPath(candidate.name).name[:255],
        content_sha256=prepared.digest,
        text=prepared.text,
        job_id=into.job_id,
        sample=into.sample,
    )
    determination.original_file.save(determination.source_name, ContentFile(candidate.data), save=False)
    return _parsed_fields(determination, prepared.letter)


def _store_together(batch, names, into):
    """Store parsed letters in one transaction, or raise having left nothing behind."""
    determinations = []
    try:
        for prepared in batch:
            determinations.append(_new_determination(prepared, into))
        with transaction.atomic():
            Determination.objects.bulk_create(determinations)
            _write_rows([(d, p.letter) for d, p in zip(determinations, batch, strict=True)], names)
            indexing.record(d.pk for d in determinations)
    except BaseException:
        for determination in determinations:
            determination.original_file.delete(save=False)  # no orphan file for a letter not stored
        raise
    return [
        _imported(prepared, determination)
        for prepared, determination in zip(batch, determinations, strict=True)
    ]


def _store_batch(batch, names, into):
    """Results of storing a batch; when the batch fails, each letter is tried alone, so one bad
    letter fails by itself."""
    try:
        return _store_together(batch, names, into)
    except Exception as error:
        names.forget()
        if len(batch) > 1:
            return [result for prepared in batch for result in _store_batch([prepared], names, into)]
        prepared = batch[0]
        if (
            isinstance(error, IntegrityError)
            and Determination.objects.filter(content_sha256=prepared.digest).exists()
        ):
            return [
                ImportResult(
                    prepared.candidate.name, DUPLICATE, "already present (imported at the same time)"
                )
            ]
        logger.exception("import of %s failed", prepared.candidate.name)
        return [
            ImportResult(
                prepared.candidate.name, FAILED, f"could not be stored: {type(error).__name__}: {error}"
            )
        ]


def _imported(prepared, determination):
    items = len(prepared.letter.items)
    return ImportResult(
        prepared.candidate.name,
        IMPORTED,
        f"{items} item{'s' if items != 1 else ''}",
        determination.pk,
        prepared.letter.warnings,
    )


def letter_key(letter):
    """What makes a letter the same letter whichever file it came in (its PDF, pdfminer's text of
    it, another extraction): its case number, decision date and items' requests and outcomes, the
    requests folded to letters and digits. Blank without a case number: then only the file's own
    bytes can tell a copy."""
    if not letter.case_number:
        return ""
    items = [(_FOLDED.sub("", item.request.lower()), item.outcome) for item in letter.items]
    decided = letter.dates.decision.isoformat() if letter.dates.decision else None
    return hashlib.sha256(json.dumps([letter.case_number, decided, items]).encode()).hexdigest()


_FOLDED = re.compile(r"[^0-9a-z]+")


@dataclass
class _Prepared:
    """What a candidate becomes before the database is involved."""

    candidate: Candidate
    digest: str | None = None
    text: str | None = None
    letter: object = None
    failure: str | None = None

    @property
    def key(self):
        return letter_key(self.letter) if self.letter is not None else ""


def pdf_limits():
    return PdfLimits(settings.IMR_PDF_SECONDS, settings.IMR_PDF_MEMORY_MB * 2**20, settings.IMR_PDF_MAX_PAGES)


def _prepare(candidate, limits):
    """Checks, hash and parse: no database, so it can run in a worker process."""
    failure = candidate.refused or _format_refusal(candidate)
    if failure:
        return _Prepared(candidate, failure=failure)
    digest = content_hash(candidate.data)
    try:
        letter_text, letter = parse_document(candidate.data, limits)
    except ParseError as error:
        return _Prepared(candidate, digest, failure=str(error))
    return _Prepared(candidate, digest, letter_text, fit_to_columns(letter))


def _triage(prepared, seen):
    """The result for a letter that will not be stored (duplicate or failed), else None."""
    name, digest, key = prepared.candidate.name, prepared.digest, prepared.key
    if digest in seen:
        return ImportResult(name, DUPLICATE, f"same content as {seen[digest]} earlier in this import")
    if prepared.failure:
        return ImportResult(name, FAILED, prepared.failure)
    if key and key in seen:
        return ImportResult(
            name, DUPLICATE, f"{_same_letter(prepared)} as {seen[key]} earlier in this import"
        )
    seen[digest] = name
    if key:
        seen[key] = name
    return None


def _same_letter(prepared):
    items = len(prepared.letter.items)
    plural = "s" if items != 1 else ""
    return f"the same letter (case {prepared.letter.case_number}, the same {items} item{plural})"


def _prepared_stream(candidates, workers):
    """Candidates prepared in order; with several workers, parsing overlaps the database writes."""
    prepare = functools.partial(_prepare, limits=pdf_limits())
    yield from processes.mapped(prepare, candidates, workers, chunksize=4)


def _batches(prepared_stream, size):
    batch = []
    for prepared in prepared_stream:
        batch.append(prepared)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _import_batch(batch, seen, names, into):
    """Results, in input order, for one batch of prepared candidates. A letter this same job stored
    before it was interrupted counts as imported, not as already present."""
    digests = [p.digest for p in batch if p.digest]
    present = {
        digest: (name, pk, job)
        for digest, name, pk, job in Determination.objects.filter(content_sha256__in=digests).values_list(
            "content_sha256", "source_name", "pk", "job_id"
        )
    }
    keys = {p.key for p in batch} - {""}
    same_letters = dict(
        Determination.objects.filter(letter_key__in=keys)
        .order_by("pk")
        .values_list("letter_key", "source_name")
    )
    results, to_store = [None] * len(batch), []
    for index, prepared in enumerate(batch):
        if prepared.digest in present:
            name, pk, job = present[prepared.digest]
            results[index] = (
                ImportResult(prepared.candidate.name, IMPORTED, "stored before the job was resumed", pk)
                if into.job_id is not None and job == into.job_id
                else ImportResult(prepared.candidate.name, DUPLICATE, f"already present as {name}")
            )
        elif prepared.key in same_letters:
            results[index] = ImportResult(
                prepared.candidate.name,
                DUPLICATE,
                f"{_same_letter(prepared)} already present as {same_letters[prepared.key]}",
            )
        else:
            results[index] = _triage(prepared, seen)
            if results[index] is None:
                to_store.append(index)
    if to_store:
        stored = _store_batch([batch[index] for index in to_store], names, into)
        for index, result in zip(to_store, stored, strict=True):
            results[index] = result
            if result.status != IMPORTED:  # a later copy may still be imported
                seen.pop(batch[index].digest, None)
                seen.pop(batch[index].key, None)
    return results


def import_batches(candidates, job_id=None, workers=1, batch_size=100, index_every=500, sample=False):
    """Import each candidate, yielding the results of each batch of `batch_size` in input order; one
    bad file never stops the rest. New letters reach the search index every `index_every` letters
    (what is not yet applied when this stops is applied by the worker). `workers` > 1 parses in that
    many processes while this one writes, and indexes in one more."""
    seen, names, stored, into = {}, _NameCaches(), [], _Destination(job_id, sample)
    # With worker processes, the index takes the last letters in a process of its own while this
    # one stores the next: storing and indexing each cost about as much as parsing.
    with processes.OneBehind(indexing.apply, forked=workers > 1) as index:
        for batch in _batches(_prepared_stream(candidates, workers), batch_size):
            results = _import_batch(batch, seen, names, into)
            stored.extend(result.determination_id for result in results if result.status == IMPORTED)
            if len(stored) >= index_every:
                index(stored)
                stored = []
            yield results
        index(stored)


def import_candidates(candidates, on_result=None, workers=1, batch_size=100):
    """Import every candidate and report on each (for the command line and tests)."""
    report = ImportReport()
    for results in import_batches(candidates, workers=workers, batch_size=batch_size):
        for result in results:
            report.results.append(result)
            if on_result:
                on_result(result)
    return report


def reparse(determinations):
    """Parse stored letters again (after a parser change), from their original files when kept."""
    report, names = ImportReport(), _NameCaches()
    for determination in determinations:
        try:
            if determination.original_file:
                with determination.original_file.open("rb") as original:
                    letter_text, letter = parse_document(original.read(), pdf_limits())
            else:
                letter_text, letter = determination.text, parse_letter_text(determination.text)
            fit_to_columns(letter)
            with transaction.atomic():
                before = _snapshot(determination)
                determination.text = letter_text
                write_parsed_letter(determination, letter, names)
                change = LetterChange.between(before, _snapshot(determination))
        except (ParseError, OSError) as error:
            report.results.append(
                ImportResult(determination.source_name, FAILED, str(error), determination.pk)
            )
            continue
        report.results.append(
            ImportResult(
                determination.source_name,
                IMPORTED,
                change.describe(),
                determination.pk,
                letter.warnings,
                change,
            )
        )
    indexing.apply(r.determination_id for r in report.results if r.status == IMPORTED)
    return report
