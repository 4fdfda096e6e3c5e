"""Keep the search index in step when determinations are deleted (admin, shell, cascades)."""
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from decisions import search
from decisions.models import Determination


@receiver(post_delete, sender=Determination)
def remove_from_index(sender, instance, **kwargs):
    transaction.on_commit(lambda: search.remove_determinations([instance.pk]))
    if instance.original_file:
        transaction.on_commit(lambda: instance.original_file.delete(save=False))
