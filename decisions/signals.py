"""Keep the search index in step when determinations are deleted (admin, shell, cascades), and
remove a deleted job's uploaded files."""

import shutil

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from decisions import indexing
from decisions.models import Determination, Job


@receiver(post_delete, sender=Determination)
def remove_from_index(sender, instance, **kwargs):
    pk, original = instance.pk, instance.original_file  # Django clears instance.pk after the delete
    indexing.record_and_apply([pk])
    if original:
        transaction.on_commit(lambda: original.delete(save=False))


@receiver(post_delete, sender=Job)
def remove_uploaded_files(sender, instance, **kwargs):
    """A job's uploaded files go with it (the letters it stored stay)."""
    if instance.upload_dir:
        folder = instance.upload_dir
        transaction.on_commit(lambda: shutil.rmtree(folder, ignore_errors=True))
