"""Proof that the index's files are what was written, and writes that reach the disk before
anything names them.

Every file of a segment is written once, by `write_array`, which records its size, CRC-32 and
modification time in the segment's meta.json; the manifest holds meta.json's CRC and one of its
own. A reader trusts a file whose size and time are the recorded ones (one stat: segment files
are never written again, so a new time means something wrote to it) and `check(thorough=True)`
reads every byte against its checksum (check_index, the worker's daily check). Nothing is named
(a segment by a manifest, an index by CURRENT) before its bytes and its folder are fsynced, so a
crash or a power cut leaves the index as it was before the write or after it, never between.

An index copied without its files' times (`cp -r`, not `cp -a`) reads as changed: the worker
rebuilds what it holds from the database.
"""

import os
import zlib

import numpy

READ_CHUNK = 8 << 20


class Damaged(Exception):
    """Part of the index is missing, cut short, changed or unreadable; the message says which."""


class _Checksummed:
    """A file being written, its CRC-32 kept as the bytes go by."""

    def __init__(self, handle):
        self.handle, self.crc = handle, 0

    def write(self, data):
        self.crc = zlib.crc32(data, self.crc)
        return self.handle.write(data)


def write_array(path, array):
    """Save an array as a .npy file, on disk when this returns; its record [size, CRC-32, mtime]."""
    with open(path, "xb") as handle:
        written = _Checksummed(handle)
        numpy.lib.format.write_array(written, numpy.asanyarray(array), allow_pickle=False)
        handle.flush()
        os.fsync(handle.fileno())
    return _record(path, written.crc)


def write_bytes(path, data):
    """A new small file, on disk when this returns; its record."""
    with open(path, "xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return _record(path, zlib.crc32(data))


def replace(temporary, path):
    """Put a written file or folder in place of `path` in one rename, and make the rename durable."""
    os.replace(temporary, path)
    sync_folder(path.parent)


def sync_folder(path):
    handle = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _record(path, crc):
    stat = os.stat(path)
    return [stat.st_size, crc, stat.st_mtime_ns]


def crc_of(path):
    crc = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(READ_CHUNK):
            crc = zlib.crc32(chunk, crc)
    return crc


def signature(path):
    """What one stat says of a file: a change in any part means it is not the file opened."""
    stat = os.stat(path)
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def problem(path, record, thorough=False):
    """None when the file at `path` is the one recorded, else a sentence saying how it is not."""
    size, crc, mtime = record
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return f"{path.name} is missing"
    except OSError as error:
        return f"{path.name} cannot be read ({error.strerror})"
    if stat.st_size != size:
        return f"{path.name} holds {stat.st_size:,} bytes where {size:,} were written"
    if stat.st_mtime_ns != mtime:
        return f"{path.name} was written to after the index wrote it"
    if thorough:
        try:
            if crc_of(path) != crc:
                return f"{path.name} does not match its checksum"
        except OSError as error:
            return f"{path.name} cannot be read ({error.strerror})"
    return None


def checked_bytes(path, crc):
    """A small file's bytes, when they match their CRC-32; else Damaged."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise Damaged(f"{path.name} is missing") from None
    except OSError as error:
        raise Damaged(f"{path.name} cannot be read ({error.strerror})") from None
    if zlib.crc32(data) != crc:
        raise Damaged(f"{path.name} does not match its checksum")
    return data
