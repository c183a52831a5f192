"""Checks and messages for output paths, so that a write problem is one clear line before any work.

``check_output_folder`` is meant to be called by every command before it
starts working (prepare, demo, train, predict); ``output_error`` turns an
``OSError`` raised while writing into an ``OutputError`` naming the path.
"""
import errno
import os
import shutil
from pathlib import Path

from data_prep.errors import OutputError

MIN_FREE_BYTES = 50 * 1024 * 1024  # less than this left on the disk is refused up front

# OSError numbers that mean "this output cannot be written" (not a bug of ours).
WRITE_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR, errno.EISDIR,
                errno.EDQUOT, errno.EEXIST, errno.ENAMETOOLONG}


def _first_existing(path):
    """``path`` or its nearest existing ancestor."""
    path = Path(os.path.abspath(path))
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_output_folder(path, min_free=MIN_FREE_BYTES, need=None):
    """Raise ``OutputError`` when folder ``path`` cannot be created or written.

    Checks, without creating anything: no part of the path is a file, the
    nearest existing folder is writable, and the disk has ``min_free`` bytes left
    (``need``: how that figure was reached, for the message).
    """
    path = Path(path)
    existing = _first_existing(path)
    if not existing.is_dir():
        shown = "it" if existing == Path(os.path.abspath(path)) else str(existing)
        raise OutputError(f"{path}: cannot be used as an output folder: {shown} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"{path}: cannot write there: folder {existing} is read-only for this user")
    free = shutil.disk_usage(existing).free
    if free < min_free:
        needed = need or f"at least {min_free / 1e6:.0f} MB"
        raise OutputError(f"{path}: only {_megabytes(free)} free on this disk, and this needs {needed}; "
                          f"free some space or choose another folder")
    return path


def _megabytes(count):
    return f"{count / 1e6:.1f} MB" if count < 10e6 else f"{count / 1e6:.0f} MB"


def check_output_file(path, min_free=MIN_FREE_BYTES):
    """Like ``check_output_folder`` for a file to be written (its folder is checked; a folder there is refused)."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path}: is a folder; give a file name (e.g. {path / 'cache.h5'})")
    check_output_folder(path.parent, min_free)
    return path


def is_write_error(error):
    return isinstance(error, OSError) and error.errno in WRITE_ERRNOS


def output_error(error, path=None):
    """``OutputError`` for an ``OSError`` raised while writing (``path``: what was being written)."""
    where = getattr(error, "filename", None) or path or "output"
    return OutputError(f"{where}: cannot write: {os.strerror(error.errno) if error.errno else error}")
