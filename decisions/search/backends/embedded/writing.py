"""The arrays a segment holds besides its postings, and writing a segment whole.

Shared by building (building.py) and merging (merging.py): a field's arrays from its postings in
any order, facet bitmaps, champion lists, date orders and id ranges are derived the same way
whichever wrote the postings.
"""

import json
import shutil
import zlib

import numpy

from decisions.search import fields as registry
from decisions.search.backends.embedded import bm25, integrity, segments
from decisions.search.backends.embedded.analysis import UNKNOWN_DAY, phrases_field
from decisions.search.backends.embedded.segments import TERM_FIELDS, fingerprint


def field_arrays(name, keys, texts, term_of, docs, freqs, pool, pos_from):
    """A field's lexicon and postings from postings in any order: `term_of` gives each posting's
    place in the (sorted) `keys`; `pool[pos_from[i]:pos_from[i] + freqs[i]]` are posting i's positions."""
    keep_freqs, keep_positions, keep_text = next(
        described[1:] for described in TERM_FIELDS if described[0] == name
    )
    order = numpy.argsort(term_of, kind="stable")  # documents stay ascending within a term
    arrays = {
        f"{name}.keys": keys,
        f"{name}.starts": starts_of(numpy.bincount(term_of, minlength=len(keys))),
        f"{name}.docs": docs[order].astype(numpy.int32, copy=False),
    }
    if keep_freqs:
        arrays[f"{name}.freqs"] = freqs[order]
    if keep_positions:
        arrays[f"{name}.pos"] = segments.gathered(pool, pos_from[order], freqs[order])
        totals = numpy.bincount(term_of, weights=freqs, minlength=len(keys))
        arrays[f"{name}.pstarts"] = starts_of(totals.astype(numpy.int64))
    if keep_text:
        arrays |= _text_arrays(name, texts)
    return arrays


def starts_of(counts):
    starts = numpy.zeros(len(counts) + 1, dtype=numpy.int64)
    numpy.cumsum(counts, out=starts[1:])
    return starts


def _text_arrays(name, texts):
    """The terms' text in lexicon order, and their alphabetical order (for prefixes)."""
    encoded = [text.encode("utf-8") for text in texts]
    return {
        f"{name}.text": numpy.frombuffer(b"".join(encoded), numpy.uint8),
        f"{name}.toffs": starts_of([len(value) for value in encoded]),
        f"{name}.alpha": numpy.array(sorted(range(len(encoded)), key=encoded.__getitem__), dtype=numpy.int32),
    }


def _facet_arrays(name, arrays, count):
    """For a keyword field (any may be counted: facets, insights): a bitmap of each value held by at
    least 1 in DENSE_SHARE documents (counted by AND and popcount, whatever the segment's size), and
    the other values' postings apart (counted one posting at a time, few of them). And each
    document's values (`_forward_arrays`): a search matching few documents, or all but a few,
    counts theirs (or the rest's), in time that grows with them, not with the archive."""
    if name not in registry.FILTER_FIELDS:
        return {}
    starts, docs = arrays[f"{name}.starts"], arrays[f"{name}.docs"]
    held_by = numpy.diff(starts)
    is_dense = held_by * segments.DENSE_SHARE >= max(count, 1)
    words = (count + 63) // 64
    dense = numpy.flatnonzero(is_dense)
    bitmaps = numpy.zeros((len(dense), words), dtype=numpy.uint64)
    for row, term in enumerate(dense):
        flags = numpy.zeros(words * 64, dtype=bool)
        flags[docs[starts[term] : starts[term + 1]]] = True
        bitmaps[row] = numpy.packbits(flags, bitorder="little").view(numpy.uint64)
    sparse = numpy.flatnonzero(~is_dense)
    return _forward_arrays(name, held_by, docs, count) | {
        f"{name}.dense": bitmaps,
        f"{name}.dense_terms": dense.astype(numpy.int32),
        f"{name}.sparse_terms": sparse.astype(numpy.int32),
        f"{name}.sparse_starts": starts_of(held_by[sparse]),
        f"{name}.sparse_docs": segments.gathered(docs, starts[sparse], held_by[sparse]),
    }


def _forward_arrays(name, held_by, docs, count):
    """Each document's values: where no document holds two, one code per document (the value's
    lexicon number, or the lexicon's length for none), counted by one bincount; else each
    document's run of values (`fwd_starts`, `fwd_terms`)."""
    term_of = numpy.repeat(numpy.arange(len(held_by), dtype=numpy.int32), held_by)
    values_held = numpy.bincount(docs, minlength=count)
    if (values_held <= 1).all():
        codes = numpy.full(count, len(held_by), dtype=numpy.int32)
        codes[docs] = term_of
        return {f"{name}.codes": codes}
    return {
        f"{name}.fwd_starts": starts_of(values_held),
        f"{name}.fwd_terms": term_of[numpy.argsort(docs, kind="stable")],
    }


def _champion_arrays(name, arrays):
    """For a field relevance ranks: the CHAMPIONS documents where each term held by more weighs most
    (BM25's weight with this segment's mean length), in blocks of CHAMPIONS, in document order."""
    base = name.removesuffix(phrases_field(""))
    if base not in registry.DEFAULT_TEXT_FIELDS:
        return {}
    starts, docs, freqs = arrays[f"{name}.starts"], arrays[f"{name}.docs"], arrays[f"{name}.freqs"]
    lengths = arrays[f"{base}.len"]
    average = max(float(lengths.mean()) if len(lengths) else 1.0, 1.0)
    common = numpy.flatnonzero(numpy.diff(starts) > segments.CHAMPIONS)
    blocks = []
    for term in common:
        held = docs[starts[term] : starts[term + 1]]
        weights = bm25.weight(
            freqs[starts[term] : starts[term + 1]].astype(numpy.float32), lengths[held], average
        )
        blocks.append(
            numpy.sort(held[numpy.argpartition(-weights, segments.CHAMPIONS - 1)[: segments.CHAMPIONS]])
        )
    return {
        f"{name}.champion_terms": common.astype(numpy.int32),
        f"{name}.champion_docs": numpy.concatenate(blocks) if blocks else numpy.zeros(0, numpy.int32),
    }


def _date_orders(arrays):
    """The segment's documents newest first and oldest first (undated last, then by number): the
    order of every date sort, so a sort reads the first matches instead of sorting them all."""
    days = arrays["decided"].astype(numpy.int64)
    numbers = numpy.arange(len(days))
    undated = days == UNKNOWN_DAY
    return {
        "newest": numpy.lexsort((numbers, -days, undated)).astype(numpy.int32),
        "oldest": numpy.lexsort((numbers, days, undated)).astype(numpy.int32),
    }


def _ranges(arrays):
    """The lowest and highest item and letter id in a segment: a write skips segments it cannot touch."""
    return {
        name: [int(arrays[name].min()), int(arrays[name].max())] if len(arrays[name]) else None
        for name in ("item_id", "determination_id")
    }


def save(path, arrays, meta):
    """Write a segment to a new directory with what derives from its columns and fields; it appears
    whole (renamed into place, every byte on disk) or not at all. Returns meta.json's CRC-32, for
    the manifest entry that will name the segment."""
    arrays = dict(arrays)
    count = meta["docs"]
    for name, *_ in TERM_FIELDS:
        arrays |= _facet_arrays(name, arrays, count) | _champion_arrays(name, arrays)
    arrays |= _date_orders(arrays)
    building = path.with_name(f".{path.name}.building")
    building.mkdir(parents=True)
    try:
        files = {
            f"{name}.npy": integrity.write_array(building / f"{name}.npy", values)
            for name, values in arrays.items()
        }
        described = json.dumps(meta | {"ranges": _ranges(arrays), "format": fingerprint(), "files": files})
        integrity.write_bytes(building / segments.META, described.encode())
        integrity.sync_folder(building)
        integrity.replace(building, path)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return zlib.crc32(described.encode())
