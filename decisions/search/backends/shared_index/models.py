"""The embedded index as published to the database, for every server to copy (sharing.py).

Files are keyed by index and path inside it, and never change once published: a segment's files
are written once, and a deletion file gets a new name each time. The manifest is published last,
in one row, so a copy made from the newest row is the index after a whole write, never part of one.
"""

from django.db import models


class SharedFile(models.Model):
    index = models.CharField(max_length=40, help_text="the index directory's name")
    path = models.CharField(max_length=255, help_text="where the file lies inside the index directory")
    size = models.BigIntegerField()
    modified_ns = models.BigIntegerField(help_text="its time on the publishing server, which segments record")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["index", "path"], name="shared_file_once")]


class SharedChunk(models.Model):
    file = models.ForeignKey(SharedFile, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["file", "number"], name="shared_chunk_once")]


class SharedManifest(models.Model):
    index = models.CharField(max_length=40)
    generation = models.BigIntegerField()
    manifest = models.JSONField()
    published_at = models.DateTimeField(auto_now_add=True)
