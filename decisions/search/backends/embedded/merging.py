"""Merging segments into one: live documents renumbered in order, postings, positions and texts
moved by NumPy (never analysed again), deleted documents and terms left with none dropped."""

import numpy

from decisions.search import fields as registry
from decisions.search.backends.embedded import writing
from decisions.search.backends.embedded.integrity import Damaged
from decisions.search.backends.embedded.segments import COLUMNS, TERM_FIELDS


def merge(segments, deleted, path):
    """One segment holding the live documents of `segments` in order; `deleted` maps a segment's name
    to its deleted document numbers. Postings, positions and texts are moved by NumPy, not re-analysed.
    Returns the new segment's meta.json CRC-32. Every byte read is checked first: a merge must not
    carry a damaged file's contents into a segment with checksums of its own."""
    for segment in segments:
        found = segment.problem(thorough=True)
        if found:
            raise Damaged(f"segment {segment.name}: {found}")
    remaps, offset = [], 0
    for segment in segments:
        alive = numpy.ones(segment.docs, dtype=bool)
        alive[deleted.get(segment.name, [])] = False
        remap = numpy.full(segment.docs, -1, dtype=numpy.int32)  # 32 bits: half the memory of a merge
        remap[alive] = offset + numpy.arange(int(alive.sum()), dtype=numpy.int32)
        offset += int(alive.sum())
        remaps.append((alive, remap))
    arrays = {}
    for name in list(COLUMNS) + [f"{field}.len" for field in registry.TEXT_FIELDS]:
        arrays[name] = numpy.concatenate(
            [s.arrays[name][alive] for s, (alive, _) in zip(segments, remaps, strict=True)]
        )
    words_in = {field: int(arrays[f"{field}.len"].sum(dtype=numpy.int64)) for field in registry.TEXT_FIELDS}
    for name, keep_freqs, keep_positions, keep_text in TERM_FIELDS:
        arrays |= _merged_field(
            name, segments, [remap for _, remap in remaps], keep_freqs, keep_positions, keep_text
        )
    return writing.save(path, arrays, {"docs": offset, "words": words_in})


def _merged_field(name, segments, remaps, keep_freqs, keep_positions, keep_text):
    parts = [
        _live_postings(name, segment, remap, keep_freqs, keep_positions, keep_text)
        for segment, remap in zip(segments, remaps, strict=True)
    ]
    union, first = numpy.unique(numpy.concatenate([part["keys"] for part in parts]), return_index=True)
    term_of = numpy.concatenate(
        [
            numpy.repeat(numpy.searchsorted(union, part["keys"]).astype(numpy.int32), part["counts"])
            for part in parts
        ]
    )
    pool, pos_from = _positions(parts) if keep_positions else (None, None)
    texts = [term for part in parts for term in part.get("texts", ())]
    return writing.field_arrays(
        name,
        union,
        [texts[index] for index in first] if keep_text else [],
        term_of,
        numpy.concatenate([part["docs"] for part in parts]),
        numpy.concatenate([part["freqs"] for part in parts]) if keep_freqs else None,
        pool,
        pos_from,
    )


def _live_postings(name, segment, remap, keep_freqs, keep_positions, keep_text):
    """One segment's postings of a field with documents renumbered, deleted ones and the terms left
    with none dropped."""
    starts = segment.arrays[f"{name}.starts"]
    docs = remap[segment.arrays[f"{name}.docs"]]
    kept = docs >= 0
    counts = (
        numpy.add.reduceat(kept.astype(numpy.int64), starts[:-1])
        if len(docs)
        else numpy.zeros(0, numpy.int64)
    )
    used = counts > 0
    part = {"keys": segment.arrays[f"{name}.keys"][used], "counts": counts[used], "docs": docs[kept]}
    if keep_freqs:
        freqs = segment.arrays[f"{name}.freqs"]
        part["freqs"] = freqs[kept]
        if keep_positions:
            part["pos_from"] = (numpy.cumsum(freqs, dtype=numpy.int64) - freqs)[kept]
            part["pos"] = segment.arrays[f"{name}.pos"]
    if keep_text:
        values = segment.values(name)
        part["texts"] = [values[index] for index in numpy.flatnonzero(used)]
    return part


def _positions(parts):
    """Every segment's positions as one pool, and where each posting's begin in it."""
    pools, sources, base = [], [], 0
    for part in parts:
        pools.append(part["pos"])
        sources.append(part["pos_from"] + base)
        base += len(part["pos"])
    return numpy.concatenate(pools), numpy.concatenate(sources)
