"""Admin: stored letters and uploads (letters.py), background jobs and the index check (jobs.py)."""

from django.contrib import admin

from decisions.admin import jobs, letters  # noqa: F401  (each registers its models)

admin.site.site_header = "IMR Precedent Search administration"
admin.site.site_title = "IMR Precedent Search admin"
admin.site.index_title = "Letters, items and uploads"
admin.site.site_url = "/"
admin.site.index_template = "admin/decisions_index.html"  # the tasks (upload, jobs, health) first
