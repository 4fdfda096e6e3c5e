"""A user's saved searches, and which items each one's alerts have already sent."""

from django.conf import settings
from django.db import models
from django.urls import reverse

from decisions.models import DecisionItem


class SavedSearch(models.Model):
    class Frequency(models.TextChoices):
        OFF = "off", "No alerts"
        DAILY = "daily", "Daily digest"
        WEEKLY = "weekly", "Weekly digest"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches"
    )
    name = models.CharField(max_length=120)
    query = models.CharField(max_length=2000, blank=True, help_text="The search page's query string.")
    frequency = models.CharField(max_length=6, choices=Frequency.choices, default=Frequency.OFF)
    created_at = models.DateTimeField(auto_now_add=True)
    last_sent_at = models.DateTimeField(null=True, blank=True, help_text="When its last digest was made.")

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "saved searches"
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="one_name_per_owner")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("decisions:search") + (f"?{self.query}" if self.query else "")


class Delivery(models.Model):
    """An item an alert has sent: the next digests leave it out, so each item comes once."""

    saved_search = models.ForeignKey(SavedSearch, on_delete=models.CASCADE, related_name="deliveries")
    item = models.ForeignKey(DecisionItem, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [models.UniqueConstraint(fields=["saved_search", "item"], name="each_item_once")]

    def __str__(self):
        return f"{self.item_id} to {self.saved_search}"
