"""Admin: browse and fix stored letters, upload new ones, re-parse after a parser change."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from decisions import importing, indexing, jobs, vocabulary
from decisions.admin.jobs import may_run_jobs
from decisions.health import later_copies, parse_health
from decisions.models import (
    CitedPage,
    DecisionItem,
    Determination,
    GuidelineCitation,
    GuidelineSource,
    Job,
    LicensureState,
    Specialty,
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = [file for file in (data if isinstance(data, (list, tuple)) else [data]) if file]
        if not files:
            return [super().clean(None, initial)]  # raises "This field is required."
        return [super(MultipleFileField, self).clean(file, initial) for file in files]


class UploadForm(forms.Form):
    files = MultipleFileField(
        help_text="PDF or text letters, or ZIP archives of them. Several files at once are fine."
    )


class HasWarningsFilter(admin.SimpleListFilter):
    title = "parse warnings"
    parameter_name = "warnings"

    def lookups(self, request, model_admin):
        return [("yes", "With warnings"), ("no", "Without warnings")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(warnings=[])
        if self.value() == "no":
            return queryset.filter(warnings=[])
        return queryset


class DecisionDateFilter(admin.SimpleListFilter):
    title = "decision date"
    parameter_name = "dated"

    def lookups(self, request, model_admin):
        return [("no", "No decision date"), ("yes", "Dated")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(decision_date__isnull=self.value() == "no")
        return queryset


class CitedSourceFilter(admin.SimpleListFilter):
    title = "guideline source cited"
    parameter_name = "cited_source"

    def lookups(self, request, model_admin):
        return GuidelineSource.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(citations__source=self.value(), citations__party="reviewer").distinct()
        return queryset


class RecognisedTreatmentFilter(admin.SimpleListFilter):
    """Items the vocabulary did not recognise, for review and for growing treatments.json."""

    title = "treatment recognised"
    parameter_name = "recognised"

    def lookups(self, request, model_admin):
        return [("no", "Unrecognised (needs review)"), ("yes", "Recognised")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(treatment="")
        if self.value() == "yes":
            return queryset.exclude(treatment="")
        return queryset


class ReasonFoundFilter(admin.SimpleListFilter):
    """Items whose rationale gave no reason the vocabulary knows, for review and for growing
    reasons.json."""

    title = "reason found"
    parameter_name = "reason_found"

    def lookups(self, request, model_admin):
        return [("no", "No reason found (needs review)"), ("yes", "Some reason found")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(reasons=[])
        if self.value() == "yes":
            return queryset.exclude(reasons=[])
        return queryset


class DecisionItemInline(admin.StackedInline):
    model = DecisionItem
    extra = 0
    can_delete = False
    show_change_link = True
    fields = [
        "position",
        "request",
        "outcome",
        "necessity",
        "treatment",
        "treatment_category",
        "drug_class",
        "maximus_guideline",
    ]
    readonly_fields = fields


@admin.register(Determination)
class DeterminationAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "source_name",
        "format",
        "decision_date",
        "item_count",
        "specialty_list",
        "warning_count",
        "imported_at",
    ]
    list_filter = [
        "format",
        HasWarningsFilter,
        DecisionDateFilter,
        "items__outcome",
        "specialties",
        "licensure_states",
        ("items__citations__source", admin.ChoicesFieldListFilter),
    ]
    search_fields = ["case_number", "source_name", "content_sha256"]
    date_hierarchy = "imported_at"
    readonly_fields = [
        "content_sha256",
        "imported_at",
        "parsed_at",
        "warnings",
        "view_on_site_link",
        "original_link",
    ]
    exclude = ["original_file"]  # served by the site's own view; MEDIA_URL is not served
    inlines = [DecisionItemInline]
    actions = ["reparse_selected"]
    change_list_template = "admin/decisions/determination/change_list.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(num_items=Count("items", distinct=True))
            .prefetch_related("specialty_links__specialty")
        )

    @admin.display(description="items", ordering="num_items")
    def item_count(self, obj):
        return obj.num_items

    @admin.display(description="specialties")
    def specialty_list(self, obj):
        return ", ".join(obj.specialty_names)

    @admin.display(description="warnings")
    def warning_count(self, obj):
        return len(obj.warnings) or ""

    @admin.display(description="original file")
    def original_link(self, obj):
        if not (obj.pk and obj.original_file):
            return ""
        return format_html(
            '<a href="{}">{}</a>', reverse("decisions:original_file", args=[obj.pk]), obj.source_name
        )

    @admin.display(description="public page")
    def view_on_site_link(self, obj):
        return (
            format_html('<a href="{}">{}</a>', obj.get_absolute_url(), obj.get_absolute_url())
            if obj.pk
            else ""
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        indexing.record_and_apply([form.instance.pk])  # an edit reaches search once saved

    def get_urls(self):
        return [
            path(
                "upload/", self.admin_site.admin_view(self.upload_view), name="decisions_determination_upload"
            ),
            path(
                "health/", self.admin_site.admin_view(self.health_view), name="decisions_determination_health"
            ),
            path(
                "health/remove-copies/",
                self.admin_site.admin_view(require_POST(self.remove_copies_view)),
                name="decisions_determination_remove_copies",
            ),
            *super().get_urls(),
        ]

    def upload_view(self, request):
        """Save the files and start an import job; the job's page shows what becomes of each."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
        if form.is_bound and form.is_valid():
            files = form.cleaned_data["files"]
            try:
                folder = jobs.save_uploads(files)
            except OSError as error:
                form.add_error(None, f"The upload could not be saved, so nothing was imported: {error}.")
            else:
                names = ", ".join(upload.name for upload in files)
                job = jobs.start_import(
                    [folder], f"Upload of {len(files)} file(s): {names}", request.user, upload_dir=folder
                )
                self.message_user(request, "Upload saved; its import runs in the background.")
                return redirect("admin:decisions_job_change", job.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "title": "Upload determination letters",
            "letter_limit": filesizeformat(settings.IMR_MAX_UPLOAD_BYTES),
            "zip_limit": filesizeformat(settings.IMR_MAX_ZIP_UPLOAD_BYTES),
            "recent_jobs": Job.objects.filter(kind=Job.Kind.IMPORT)[:5],
        }
        return TemplateResponse(request, "admin/decisions/determination/upload.html", context)

    def health_view(self, request):
        """What the parser makes of the archive, per layout, with links to the letters behind each count."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Parse health",
            "health": parse_health(),
            "may_reparse": may_run_jobs(request.user),
        }
        return TemplateResponse(request, "admin/decisions/determination/health.html", context)

    def remove_copies_view(self, request):
        """Delete the letters stored again in another file, keeping the first of each (the index
        follows each deletion, as for any other)."""
        if not self.has_delete_permission(request):
            raise PermissionDenied
        copies = list(later_copies().values_list("pk", "source_name"))
        with transaction.atomic():
            for letter in Determination.objects.filter(pk__in=[pk for pk, _ in copies]):
                letter.delete()
        self.message_user(
            request, f"Removed {len(copies)} letter(s) stored twice; the first copy of each stays."
        )
        return redirect("admin:decisions_determination_health")

    @admin.action(description="Re-parse selected letters with the current parser", permissions=["change"])
    def reparse_selected(self, request, queryset):
        report = importing.reparse(queryset)
        for failure in report.failures:
            self.message_user(request, f"{failure.name}: {failure.message}", messages.ERROR)
        self.message_user(
            request,
            f"Re-parsed {report.count(importing.IMPORTED)} letters; {len(report.failures)} failed.",
            messages.WARNING if report.failures else messages.SUCCESS,
        )


def _read_limited(upload):
    """An upload's bytes, never more than one byte past its limit (the import then refuses it)."""
    return upload.read(importing.upload_limit(upload.name) + 1)


class CitationInline(admin.TabularInline):
    model = GuidelineCitation
    extra = 0
    fields = ["position", "party", "source", "chapter", "guideline", "topic", "page_list", "section_list"]
    readonly_fields = fields

    @admin.display(description="pages")
    def page_list(self, obj):
        return ", ".join(str(page) for page in obj.pages)

    @admin.display(description="sections")
    def section_list(self, obj):
        return "; ".join(section.name for section in obj.sections)


@admin.register(DecisionItem)
class DecisionItemAdmin(admin.ModelAdmin):
    list_display = [
        "request",
        "outcome",
        "treatment",
        "drug_class",
        "treatment_category",
        "necessity",
        "determination",
    ]
    list_filter = [
        "outcome",
        "necessity",
        RecognisedTreatmentFilter,
        ReasonFoundFilter,
        ("determination__format", admin.ChoicesFieldListFilter),
        "treatment_category",
        "drug_class",
        CitedSourceFilter,
    ]
    search_fields = ["request", "treatment", "determination__case_number"]
    list_select_related = ["determination"]
    raw_id_fields = ["determination"]
    inlines = [CitationInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        indexing.record_and_apply([obj.determination_id])

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "vocabulary_size": vocabulary.size()}
        return super().changelist_view(request, extra_context)


admin.site.register(Specialty)
admin.site.register(LicensureState)
admin.site.register(
    CitedPage,
    list_display=["citation", "source", "page"],
    list_filter=["source"],
    raw_id_fields=["citation", "item"],
)
