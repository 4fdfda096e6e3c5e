from django.contrib import admin

from alerts.models import SavedSearch


@admin.register(SavedSearch)
class SavedSearchAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "frequency", "last_sent_at", "created_at"]
    list_filter = ["frequency"]
    search_fields = ["name", "owner__username", "owner__email"]
    raw_id_fields = ["owner"]
