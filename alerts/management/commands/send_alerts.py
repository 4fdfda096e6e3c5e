"""Send the alert digests that are due (for cron; the background worker also does it by itself)."""

from django.core.management.base import BaseCommand

from alerts import digests


class Command(BaseCommand):
    help = "Send every saved search's alert digest that is due."

    def handle(self, *args, **options):
        sent = digests.send_due()
        for digest in sent:
            self.stdout.write(f"{digest.saved.owner.email}: {digest.total} new for “{digest.saved.name}”")
        self.stdout.write(f"Sent {len(sent)} digest(s).")
