"""What is stored of each determination letter: the letter, its disputed items, their citations."""

from django.db import models
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import urlencode

from decisions.parsing import records
from decisions.vocabulary import guidelines
from decisions.vocabulary import reasons as reason_vocabulary


class Outcome(models.TextChoices):
    UPHELD = records.UPHELD, "Upheld"
    OVERTURNED = records.OVERTURNED, "Overturned"


class Necessity(models.TextChoices):
    NECESSARY = records.NECESSARY, "Medically necessary"
    NOT_NECESSARY = records.NOT_NECESSARY, "Not medically necessary"
    UNSTATED = records.UNSTATED, "Not stated"


class LetterFormat(models.TextChoices):
    STANDARD = records.FORMAT_STANDARD, "Standard"
    WITH_HEADER = records.FORMAT_WITH_HEADER, "With case header"
    LEGACY_2013 = records.FORMAT_LEGACY_2013, "Late-2013 layout"
    NOTICE_2013 = records.FORMAT_NOTICE_2013, "2013 notice"
    PROFESSIONAL_REVIEW = records.FORMAT_PROFESSIONAL_REVIEW, "Medical professional review"


class GuidelineSource(models.TextChoices):
    CHRONIC_PAIN = "chronic_pain", "MTUS Chronic Pain"
    ACOEM = "acoem", "MTUS ACOEM"
    POSTSURGICAL = "postsurgical", "MTUS Postsurgical"
    MTUS_OTHER = "mtus_other", "MTUS (other)"
    NON_MTUS = "non_mtus", "Non-MTUS (ODG and others)"


class CaseOutcome(models.TextChoices):
    """A letter's outcome as the DWC's own search gives it: every item upheld, every item
    overturned, or some of each."""

    UPHELD = "upheld", "Upheld"
    OVERTURNED = "overturned", "Overturned"
    PARTIAL = "partial_overturn", "Partial overturn"

    @classmethod
    def of(cls, outcomes):
        outcomes = set(outcomes)
        if outcomes == {records.OVERTURNED}:
            return cls.OVERTURNED
        return cls.PARTIAL if records.OVERTURNED in outcomes else cls.UPHELD


class Sex(models.TextChoices):
    MALE = "male", "Male"
    FEMALE = "female", "Female"


class Specialty(models.Model):
    name = models.CharField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "specialties"

    def __str__(self):
        return self.name


class LicensureState(models.Model):
    name = models.CharField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Determination(models.Model):
    """One final determination letter as uploaded, with what the parser read from it."""

    source_name = models.CharField(max_length=255, help_text="File name as uploaded.")
    original_file = models.FileField(upload_to="letters/%Y/%m/", max_length=255)
    content_sha256 = models.CharField(max_length=64, unique=True, editable=False)
    letter_key = models.CharField(
        max_length=64,
        blank=True,
        db_index=True,
        editable=False,
        help_text="The case and what it decided, however the file was made (a PDF and its text alike).",
    )
    text = models.TextField(help_text="The letter's text as extracted.")
    format = models.CharField(max_length=20, choices=LetterFormat.choices)
    case_number = models.CharField(max_length=20, blank=True, db_index=True)
    date_assigned = models.DateField(null=True, blank=True)
    ur_denial_date = models.DateField(null=True, blank=True)
    decision_date = models.DateField(null=True, blank=True, db_index=True)
    application_received = models.DateField(null=True, blank=True)
    priority = models.CharField(max_length=12, blank=True, help_text="Standard or Expedited review.")
    case_outcome = models.CharField(max_length=16, choices=CaseOutcome.choices, blank=True, db_index=True)
    licensure_states = models.ManyToManyField(
        LicensureState, blank=True, related_name="determinations", through="ReviewerLicensure"
    )
    specialties = models.ManyToManyField(
        Specialty, blank=True, related_name="determinations", through="ReviewerSpecialty"
    )
    patient_age = models.PositiveSmallIntegerField(null=True, blank=True)
    patient_sex = models.CharField(max_length=6, choices=Sex.choices, blank=True)
    date_of_injury = models.DateField(null=True, blank=True, db_index=True)
    clinical_summary = models.TextField(blank=True)
    diagnoses = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True, db_index=True)
    parsed_at = models.DateTimeField()
    sample = models.BooleanField(
        default=False,
        db_index=True,
        help_text="A generated sample letter (scripts/serve's first look), not a real decision.",
    )
    parser_version = models.PositiveSmallIntegerField(
        default=0, help_text="The parser that read the letter; older ones are re-parsed to fill new fields."
    )
    job = models.ForeignKey(
        "Job",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="letters",
        help_text="The import job that stored the letter.",
    )

    class Meta:
        ordering = ["-decision_date", "-id"]

    def __str__(self):
        return self.case_number or self.source_name

    def get_absolute_url(self):
        return reverse("decisions:determination", args=[self.pk])

    # In the letter's order; prefetch READER_PREFETCH to read these without a query each (or set
    # them, as the results page's loader does for a page of hits in one query).
    @cached_property
    def specialty_names(self):
        return [link.specialty.name for link in self.specialty_links.all()]

    @property
    def licensure_state_names(self):
        return [link.state.name for link in self.licensure_links.all()]


class ReviewerSpecialty(models.Model):
    """A reviewer's specialty, in the order the letter lists them."""

    determination = models.ForeignKey(Determination, on_delete=models.CASCADE, related_name="specialty_links")
    specialty = models.ForeignKey(Specialty, on_delete=models.PROTECT)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["determination", "specialty"], name="one_specialty_once")
        ]

    def __str__(self):
        return str(self.specialty)


class ReviewerLicensure(models.Model):
    """A reviewer's state of licensure, in the order the letter lists them."""

    determination = models.ForeignKey(Determination, on_delete=models.CASCADE, related_name="licensure_links")
    state = models.ForeignKey(LicensureState, on_delete=models.PROTECT)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["determination", "state"], name="one_state_once")]

    def __str__(self):
        return str(self.state)


READER_PREFETCH = ["specialty_links__specialty", "licensure_links__state"]


class DecisionItem(models.Model):
    """One disputed treatment and how IMR ruled on it."""

    determination = models.ForeignKey(Determination, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(help_text="1 for the letter's first item.")
    request = models.TextField()
    treatment = models.CharField(
        max_length=120,
        blank=True,
        db_index=True,
        help_text="Normalized treatment; blank when the vocabulary does not know it.",
    )
    treatment_category = models.CharField(max_length=40, db_index=True)
    drug_class = models.CharField(max_length=60, blank=True, db_index=True)
    strength = models.CharField(max_length=40, blank=True)
    quantity = models.PositiveIntegerField(null=True, blank=True)
    refills = models.PositiveSmallIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, db_index=True)
    claims_administrator_guideline = models.TextField(blank=True)
    maximus_guideline = models.TextField(blank=True)
    rationale = models.TextField(blank=True)
    necessity = models.CharField(max_length=16, choices=Necessity.choices)
    # A partial authorization: the request as asked, what the claims administrator authorized, and
    # the remainder IMR decided (the outcome and the treatment are the remainder's). Blank otherwise.
    original_request = models.TextField(blank=True)
    authorized = models.TextField(blank=True)
    disputed = models.TextField(blank=True, help_text="The part of a partly authorized request IMR decided.")
    cites_no_evidence = models.BooleanField(
        default=False, help_text="The reviewer says no medical evidence was cited."
    )
    # The reasons the rationale gives (keys of decisions/vocabulary/reasons.json), in the order the
    # rationale gives them, and the sentence that carries each, in the same order.
    reasons = models.JSONField(default=list, blank=True, editable=False)
    reason_sentences = models.JSONField(default=list, blank=True, editable=False)

    class Meta:
        ordering = ["determination", "position"]
        constraints = [
            models.UniqueConstraint(fields=["determination", "position"], name="one_item_per_position")
        ]
        indexes = [
            models.Index(fields=["treatment", "outcome"]),
            models.Index(fields=["drug_class", "outcome"]),
            models.Index(fields=["treatment_category", "outcome"]),
        ]

    def __str__(self):
        return f"{self.request} ({self.get_outcome_display()})"

    @property
    def partly_authorized(self):
        return bool(self.authorized or self.disputed)

    @property
    def title(self):
        """What IMR decided, in a line: a partial authorization's remainder rather than its story."""
        return self.disputed or self.request

    # Of the citations read or prefetched with the item, without a query of their own.
    @property
    def reviewer_citations(self):
        return [c for c in self.citations.all() if c.party == GuidelineCitation.Party.REVIEWER]

    @property
    def claims_administrator_citations(self):
        return [c for c in self.citations.all() if c.party == GuidelineCitation.Party.CLAIMS_ADMINISTRATOR]

    @property
    def found_reasons(self):
        """(key, label, sentence) of each reason the rationale gives, labelled from the vocabulary."""
        labels = reason_vocabulary.labels(self.reasons)
        return [
            (key, labels[key], sentence)
            for key, sentence in zip(self.reasons, self.reason_sentences, strict=False)
        ]

    @property
    def anchor(self):
        return f"item-{self.position}"

    def get_absolute_url(self):
        return f"{self.determination.get_absolute_url()}#{self.anchor}"


class GuidelineCitation(models.Model):
    """A guideline the IMR reviewer relied on (the MAXIMUS guideline line), or the one the claims
    administrator's utilization review relied on (its guideline line)."""

    class Party(models.TextChoices):
        REVIEWER = "reviewer", "IMR reviewer"
        CLAIMS_ADMINISTRATOR = "claims_administrator", "Claims administrator"

    item = models.ForeignKey(DecisionItem, on_delete=models.CASCADE, related_name="citations")
    party = models.CharField(max_length=20, choices=Party.choices, default=Party.REVIEWER)
    position = models.PositiveSmallIntegerField(help_text="In the order written, the reviewer's first.")
    source = models.CharField(max_length=16, choices=GuidelineSource.choices, db_index=True)
    chapter = models.CharField(max_length=8, blank=True)
    guideline = models.CharField(
        max_length=24, blank=True, db_index=True, help_text="Its key in decisions/vocabulary/guidelines.json."
    )
    topic = models.CharField(max_length=400, blank=True)

    class Meta:
        ordering = ["item", "position"]

    def __str__(self):
        return f"{self.get_source_display()} {self.topic}".strip()

    @property
    def guideline_name(self):
        return guidelines.guideline(self.guideline).short if self.guideline else self.get_source_display()

    @cached_property
    def sections(self):
        """Set by a loader that read many citations' sections in one query, or read from cited_sections."""
        return [cited.section for cited in self.cited_sections.all()]

    @cached_property
    def pages(self):
        """Set by a loader that read many citations' pages in one query, or read from cited_pages."""
        return [cited.page for cited in self.cited_pages.all()]

    @property
    def page_runs(self):
        """Consecutive pages grouped: [63, 64, 124] -> [(63, 64), (124, 124)], for display and links."""
        runs = []
        for page in sorted(self.pages):
            if runs and page == runs[-1][1] + 1:
                runs[-1] = (runs[-1][0], page)
            else:
                runs.append((page, page))
        return runs


class CitedPage(models.Model):
    """One page of one citation, so "items citing Chronic Pain page 63" is a single indexed lookup."""

    citation = models.ForeignKey(GuidelineCitation, on_delete=models.CASCADE, related_name="cited_pages")
    item = models.ForeignKey(DecisionItem, on_delete=models.CASCADE, related_name="cited_pages")
    source = models.CharField(max_length=16, choices=GuidelineSource.choices)
    page = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["citation", "page"]
        indexes = [models.Index(fields=["source", "page", "item"])]

    def __str__(self):
        return f"{self.get_source_display()} p. {self.page}"


class GuidelineSection(models.Model):
    """A section of a guideline, one row however letters spell it: "special studies" and "Special
    Studies" of ACOEM's Low Back chapter share a key (decisions.vocabulary.guidelines.section_key)."""

    guideline = models.CharField(max_length=24)
    key = models.CharField(max_length=300)
    name = models.CharField(max_length=300, help_text="The vocabulary's spelling, else the first seen.")

    class Meta:
        ordering = ["guideline", "name"]
        constraints = [models.UniqueConstraint(fields=["guideline", "key"], name="one_section_per_key")]

    def __str__(self):
        return f"{self.guideline_name}: {self.name}"

    @property
    def guideline_name(self):
        return guidelines.guideline(self.guideline).short

    @property
    def term(self):
        """Its value in the search index's `section` filter."""
        return f"{self.guideline}:{self.key}"

    def get_absolute_url(self):
        """Its page in the explorer of what reviewers cite (a key stored empty before a re-parse
        dropped such sections has none: the search for it)."""
        if not self.key:
            return f"{reverse('decisions:search')}?{urlencode({'section': self.term})}"
        return reverse("decisions:cited_section", args=[self.guideline, self.key])


class CitedSection(models.Model):
    """One section of one citation, so "items citing Opioids, criteria for use" is one indexed lookup."""

    citation = models.ForeignKey(GuidelineCitation, on_delete=models.CASCADE, related_name="cited_sections")
    item = models.ForeignKey(DecisionItem, on_delete=models.CASCADE, related_name="cited_sections")
    section = models.ForeignKey(GuidelineSection, on_delete=models.PROTECT, related_name="citations")

    class Meta:
        ordering = ["citation", "id"]
        indexes = [models.Index(fields=["section", "item"])]

    def __str__(self):
        return str(self.section)


class IndexChange(models.Model):
    """A letter whose search documents must be rewritten (or removed), written in the same
    transaction as the change to the letter: the durable path by which every change reaches the
    index, so a crash leaves work to catch up, never a wrong index. Applied rows are kept a while,
    so an index rebuild can replay what changed while it ran."""

    determination_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    applied = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["applied", "id"]),
            models.Index(fields=["created_at"]),
        ]

    def __str__(self):
        return f"letter {self.determination_id} ({'applied' if self.applied else 'pending'})"


class Job(models.Model):
    """Background work an admin started (an import, a re-parse of every letter, an index rebuild),
    with the progress its worker reports; the worker resumes it where it stopped after a crash."""

    class Kind(models.TextChoices):
        IMPORT = "import", "Import"
        REPARSE = "reparse", "Re-parse letters"
        REBUILD = "rebuild", "Rebuild search index"
        REPAIR = "repair", "Mend search index"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED, db_index=True)
    description = models.CharField(max_length=255, help_text="What was uploaded or asked for.")
    created_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # Which worker holds the job: the host and process, so a dead one is noticed at once on its
    # own host, and through the stale heartbeat from anywhere else.
    worker = models.CharField(max_length=200, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    sources = models.JSONField(default=list, blank=True, help_text="Files and folders to import.")
    upload_dir = models.CharField(max_length=500, blank=True, help_text="Where the uploaded files wait.")
    cancel_requested = models.BooleanField(default=False)
    files_total = models.PositiveIntegerField(default=0)
    files_done = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    # Seconds spent working, over every run of the job (a resumed job keeps counting).
    seconds_working = models.FloatField(default=0)
    error = models.TextField(blank=True, help_text="Why the job stopped, when it failed.")
    sample = models.BooleanField(default=False, help_text="An import of generated sample letters.")
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}: {self.description}"

    @property
    def finished(self):
        return self.state in (self.State.DONE, self.State.FAILED, self.State.CANCELLED)

    @property
    def letters_per_second(self):
        return self.files_done / self.seconds_working if self.seconds_working else None

    @property
    def seconds_left(self):
        rate = self.letters_per_second
        if self.finished or not rate or not self.files_total:
            return None
        return max(self.files_total - self.files_done, 0) / rate

    @property
    def reported_summary(self):
        """The summary's entries meant for people (keys starting with "_" are the job's own)."""
        return {key: value for key, value in self.summary.items() if not key.startswith("_")}

    @property
    def percent_done(self):
        return round(100 * self.files_done / self.files_total) if self.files_total else 0


class JobFile(models.Model):
    """What became of one file of an import job (or one letter of a re-parse)."""

    class Status(models.TextChoices):
        IMPORTED = "imported", "Imported"
        DUPLICATE = "duplicate", "Already present"
        FAILED = "failed", "Failed"

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="files")
    position = models.PositiveIntegerField(help_text="Order in the job, so a resumed job skips what is done.")
    name = models.CharField(max_length=500)
    status = models.CharField(max_length=10, choices=Status.choices)
    detail = models.TextField(blank=True)
    determination = models.ForeignKey(
        Determination, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["job", "position"]
        constraints = [models.UniqueConstraint(fields=["job", "position"], name="one_result_per_position")]
        indexes = [models.Index(fields=["job", "status", "position"])]

    def __str__(self):
        return f"{self.name}: {self.get_status_display()}"
