"""Mending a damaged index in place, so searches answer whole again without a rebuild.

CURRENT is pointed at the newest published index again, MANIFEST.json is written again from its
newest sound copy, and segments with a damaged file are taken out. What they held, and what a copy
older than the last write lacks, is noted in the manifest ("mending": the items left out, the time
since which letters may be missing), so every page says so until the database has filled it in:
indexing.mend writes those letters again, then `forget_note`. Only an index with no readable
manifest, or one built by an earlier version, needs a rebuild.
"""

from decisions.search.backends.base import Mended
from decisions.search.backends.embedded import store
from decisions.search.backends.embedded.integrity import Damaged
from decisions.search.backends.embedded.view import Excluded

NOTE = "mending"


def damaged_segments(resolved, thorough=False):
    """Excluded for every segment of the manifest with a file that is not the one written."""
    found = []
    writer = store.Writer(resolved.path, resolved.manifest)
    for entry in writer.entries:
        try:
            segment = writer.segment(entry)
            writer.deleted(entry)
            problem = segment.problem(thorough)
        except Damaged as damage:
            problem = str(damage).removeprefix(f"segment {entry['name']}: ")
        if problem:
            found.append(Excluded(entry["name"], entry["docs"] - entry["dead"], problem))
    return found


def mend(directory, thorough=False):
    """Make the live index sound (see the module); a Mended saying what was done."""
    with store.locked(directory / ".mend.lock"):
        try:
            resolved = store.resolve(directory)
        except Damaged as damage:
            return Mended(rebuild=f"the search index cannot be read: {damage}")
        if resolved.outdated:
            return Mended(rebuild="the search index was built by an earlier version of this site")
        actions = []
        if store.read_pointer(directory) != resolved.name:
            store.point_at(directory, resolved.name)
            actions.append(f"{store.POINTER} names the published index {resolved.name} again")
        with store.locked(resolved.path / ".write.lock", store.WRITER_LOCK_WAIT_SECONDS):
            manifest, problems, stale = store.load_manifest(resolved.path)
            resolved.manifest, resolved.stale = manifest, stale
            damaged = damaged_segments(resolved, thorough)
            note = dict(manifest.get("notes", {}).get(NOTE) or {})
            if damaged or problems:
                writer = store.Writer(resolved.path, manifest)
                writer.drop({part.name for part in damaged})
                lost = sum(part.items for part in damaged)
                if lost:
                    note["items"] = note.get("items", 0) + lost
                if stale:
                    note["since"] = min(filter(None, [note.get("since"), manifest["written_at"]]))
                if note:
                    writer.notes[NOTE] = note
                writer.commit()
        if problems:
            older = ", older than the last write" if stale else ""
            actions.append(
                f"{store.MANIFEST} written again from its newest sound copy "
                f"(generation {manifest['generation']}{older})"
            )
        actions += [
            f"segment {part.name} ({part.items:,} items) taken out: {part.problem}" for part in damaged
        ]
        return Mended(actions, changed_since=note.get("since", ""))


def forget_note(directory):
    """The letters a mend left out are written again: searches answer whole."""
    resolved = store.resolve(directory)
    with store.locked(resolved.path / ".write.lock", store.WRITER_LOCK_WAIT_SECONDS):
        writer = store.Writer(resolved.path)
        if writer.notes.pop(NOTE, None) is not None:
            writer.commit()
