"""The one-writer rule: an exclusive, non-blocking lock on `<store>/agrs.lock` naming its holder.

flock() locks die with their process, so a killed writer never leaves the store locked; the file itself stays
(removing it would let two processes lock two different files). The holder writes its pid and command line
(JSON) into the file so that the next writer can say who holds the store.
"""

import fcntl
import json
import os
import shlex
import sys
from pathlib import Path

from agrs.store.errors import StoreBusy, StoreError

LOCK_NAME = "agrs.lock"

COMMAND_SHOWN = 200  # characters of the holder's command line quoted in the message

ADVICE = (
    "Wait for it to finish (or stop it), then run this command again. If it is `agrs serve`, send the data "
    "through it instead: PUT http://HOST:PORT/graph-store?graph=<graph IRI> with its write token."
)


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
    # JSON, one line: a command line may hold newlines (python -c '…').
    command = shlex.join(getattr(sys, "orig_argv", sys.argv))
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, (json.dumps({"pid": os.getpid(), "command": command}) + "\n").encode(), 0)
    os.fsync(descriptor)


def holder(path: Path) -> str:
    """Describe the process named in a lock file ("pid 123 (agrs load …)"), or say it is unknown."""
    try:
        fields = json.loads(path.read_text(encoding="utf-8"))
        pid, command = int(fields["pid"]), str(fields.get("command", "unknown command"))
    except (OSError, ValueError, KeyError, TypeError):
        # The holder has the lock but has not written its name yet, or is not an AGRS process.
        return "an unknown process"
    if len(command) > COMMAND_SHOWN:
        command = command[: COMMAND_SHOWN - 1] + "…"
    return f"pid {pid} ({command})"


def busy_message(folder: Path, who: str) -> str:
    """Say that `who` is writing the store in `folder`, and what to do about it."""
    return f"The store {folder} is open for writing by {who}. {ADVICE}"
