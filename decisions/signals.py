"""Keep the search index in step when determinations are deleted (admin, shell, cascades)."""

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from decisions import search
from decisions.models import Determination


@receiver(post_delete, sender=Determination)
def remove_from_index(sender, instance, **kwargs):
    pk, original = instance.pk, instance.original_file  # Django clears instance.pk after the delete
    transaction.on_commit(lambda: search.backend().remove([pk]))
    if original:
        transaction.on_commit(lambda: original.delete(save=False))
