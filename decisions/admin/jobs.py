"""Admin for background jobs (progress, failures, cancel, retry; re-parse and rebuild as jobs) and
the panel that compares the search index with the database."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.views.decorators.http import require_POST

from decisions import indexing, jobs, search
from decisions.models import Job, JobFile

RESULTS_PER_PAGE = 100
# The page reloads itself this often while the job runs (a meta refresh: no JavaScript needed).
REFRESH_SECONDS = 2


def may_run_jobs(user):
    """Whoever may upload letters may start, cancel and retry jobs."""
    return user.has_perm("decisions.add_determination")


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "kind",
        "state",
        "description",
        "progress",
        "imported",
        "duplicates",
        "failed",
        "created_at",
        "created_by",
    ]
    list_display_links = ["id", "description"]
    list_filter = ["state", "kind"]
    search_fields = ["description"]
    change_list_template = "admin/decisions/job/change_list.html"

    def has_add_permission(self, request):
        return False  # jobs start from an upload or the buttons on the job list

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="done")
    def progress(self, job):
        return f"{job.files_done:,} of {job.files_total:,}"

    def get_urls(self):
        own = self.admin_site.admin_view
        return [
            path("<int:pk>/cancel/", own(require_POST(self.cancel_view)), name="decisions_job_cancel"),
            path("<int:pk>/retry/", own(require_POST(self.retry_view)), name="decisions_job_retry"),
            path("start/<str:kind>/", own(require_POST(self.start_view)), name="decisions_job_start"),
            path("index/", own(self.index_view), name="decisions_job_index"),
            *super().get_urls(),
        ]

    def _context(self, request, title, **values):
        return {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title, **values}

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The job's progress page (a job has nothing to edit)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        job = get_object_or_404(Job, pk=object_id) if object_id.isdecimal() else None
        if job is None:
            raise Http404("No such job.")
        status = request.GET.get("status", "")
        files = job.files.select_related("determination")
        if status in JobFile.Status.values:
            files = files.filter(status=status)
        else:  # failures first: what an admin has to act on
            status = ""
            files = files.annotate(
                failed_first=Case(
                    When(status=JobFile.Status.FAILED, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            ).order_by("failed_first", "position")
        page = Paginator(files, RESULTS_PER_PAGE).get_page(request.GET.get("page"))
        context = self._context(
            request,
            str(job),
            job=job,
            page=page,
            status=status,
            statuses=JobFile.Status.choices,
            refresh=None if job.finished else REFRESH_SECONDS,
            may_run=may_run_jobs(request.user),
        )
        return TemplateResponse(request, "admin/decisions/job/job.html", context)

    def _require_change(self, request):
        if not may_run_jobs(request.user):
            raise PermissionDenied

    def cancel_view(self, request, pk):
        self._require_change(request)
        jobs.cancel(get_object_or_404(Job, pk=pk))
        self.message_user(request, "Cancel asked for: the job stops at the end of its current batch.")
        return redirect("admin:decisions_job_change", pk)

    def retry_view(self, request, pk):
        self._require_change(request)
        if jobs.retry(get_object_or_404(Job, pk=pk)):
            self.message_user(request, "The job will go on from where it stopped.")
        else:
            self.message_user(request, "Only a failed or cancelled job can be run again.", messages.WARNING)
        return redirect("admin:decisions_job_change", pk)

    def start_view(self, request, kind):
        self._require_change(request)
        descriptions = {
            Job.Kind.REPARSE: "Re-parse every letter with the current parser",
            Job.Kind.REBUILD: "Rebuild the search index from the database",
        }
        if kind not in descriptions:
            raise PermissionDenied
        if kind == Job.Kind.REBUILD:
            return self._start_index_work(request, kind, descriptions[kind])
        job = jobs.start(kind, descriptions[kind], request.user)
        return redirect("admin:decisions_job_change", job.pk)

    def _start_index_work(self, request, kind, description):
        job, started = jobs.start_index_work(kind, description, request.user)
        if not started:
            self.message_user(
                request,
                f"{job} is already under way; a second would only do the same again.",
                messages.WARNING,
            )
        return redirect("admin:decisions_job_change", job.pk)

    def index_view(self, request):
        """The index's files and its item ids against the database; POST starts a job that mends
        whatever differs."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            self._require_change(request)
            return self._start_index_work(request, Job.Kind.REPAIR, "Mend the search index (admin)")
        health = search.backend().health()
        try:
            comparison, unavailable = indexing.compare(), ""
        except search.IndexUnavailable as error:
            comparison, unavailable = None, str(error)
        context = self._context(
            request,
            "Search index and database",
            health=health,
            comparison=comparison,
            unavailable=unavailable,
            under_way=jobs.index_work_under_way(),
            may_run=may_run_jobs(request.user),
        )
        return TemplateResponse(request, "admin/decisions/job/index.html", context)
