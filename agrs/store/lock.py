"""The one-writer rule: an exclusive, non-blocking lock on `<store>/agrs.lock` naming its holder.

flock() locks die with their process, so a killed writer never leaves the store locked; the file itself stays
(removing it would let two processes lock two different files). The holder writes its pid and command line
into the file so that the next writer can say who holds the store.
"""

import fcntl
import os
import shlex
import sys
from pathlib import Path

from agrs.store.base import StoreBusy, StoreError

LOCK_NAME = "agrs.lock"

ADVICE = "Stop it, or send the load through the running server (agrs load --server URL)."


class WriteLock:
    """The write lock of one store folder, held by this process until `release()`."""

    def __init__(self, path: Path, descriptor: int):
        self.path = path
        self._descriptor: int | None = descriptor

    @classmethod
    def acquire(cls, folder: Path) -> "WriteLock":
        """Take the lock of `folder` at once, or raise StoreBusy naming the holder (never waits)."""
        path = folder / LOCK_NAME
        try:
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise StoreError(f"cannot open the store's lock file {path}: {error.strerror}") from error
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            raise StoreBusy(busy_message(folder, holder(path))) from None
        _write_holder(descriptor)
        return cls(path, descriptor)

    def release(self) -> None:
        """Let another process write (idempotent)."""
        if self._descriptor is None:
            return
        descriptor, self._descriptor = self._descriptor, None
        os.ftruncate(descriptor, 0)  # a stale name in the file would mislead the next reader
        os.close(descriptor)  # closing the descriptor releases the flock


def _write_holder(descriptor: int) -> None:
    command = shlex.join(getattr(sys, "orig_argv", sys.argv))
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, f"pid {os.getpid()}\ncommand {command}\n".encode(), 0)
    os.fsync(descriptor)


def holder(path: Path) -> str:
    """Describe the process named in a lock file ("pid 123 (agrs load …)"), or say it is unknown."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    fields = dict(line.split(" ", 1) for line in lines if " " in line)
    if "pid" not in fields:
        # The holder has the lock but has not written its name yet, or is not an AGRS process.
        return "an unknown process"
    return f"pid {fields['pid']} ({fields.get('command', 'unknown command')})"


def busy_message(folder: Path, who: str) -> str:
    """Say that `who` is writing the store in `folder`, and what to do about it."""
    return f"The store {folder} is open for writing by {who}. {ADVICE}"
