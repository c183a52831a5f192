"""One writer per cache: a lock file next to it, held with ``fcntl.flock`` while a prepare writes.

POSIX only (Linux, macOS): ``fcntl`` is imported when there is one, and :func:`flock` refuses in one line where
there is none (Windows), so that importing mer still works there (``mer --help``, ``mer summary``) and every
command that writes says why it cannot. The lock file of a run folder (:mod:`micro_expr.core.run_folder`) and of
the demo builder use the same :func:`flock`.

The kernel releases the lock when its process ends, even when it is killed,
so a crash never leaves a stale lock. A second writer is refused at once with
the number of the process that holds it.
"""
import os
from pathlib import Path

from data_prep.errors import InputError, OutputError

try:
    import fcntl
except ImportError:   # Windows: no flock; every command that writes refuses in one line (README, "Install")
    fcntl = None

POSIX_ONLY = ("mer writes caches and run folders under fcntl.flock locks, which this system lacks (Windows?): "
              "run it on Linux or macOS, or on Windows inside WSL")


def flock():
    """The ``fcntl`` module, or an InputError saying in one line that mer needs a POSIX system."""
    if fcntl is None:
        raise InputError(POSIX_ONLY)
    return fcntl


class FileLock:
    """Exclusive lock on ``<target>.lock``; use as a context manager.

    >>> with FileLock("demo_out/cache.h5"):
    ...     ...  # only this process writes the cache and its parts folder
    """

    def __init__(self, target):
        self.target = Path(target)
        self.path = Path(str(target) + ".lock")
        self._fd = None

    def acquire(self):
        flock()   # before any file is created
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                flock().flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
                os.close(fd)
                raise OutputError(f"{self.target} is being written by process {holder}; wait for it to "
                                  f"finish (or use another output)") from None
            # The holder before us may have deleted the file after we opened it: then retry on a fresh one.
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return self

    def release(self):
        if self._fd is None:
            return
        try:
            os.unlink(self.path)  # unlinked while still locked, so no other process can lock this file
        except FileNotFoundError:
            pass
        os.close(self._fd)
        self._fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()
