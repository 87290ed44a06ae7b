"""The one-writer rule on a remote store: a lock held in the store itself, as a triple of the registry graph.

A server has no lock a client could hold across requests, so the writer records itself in the registry,

    <https://w3id.org/agrs/store/write-lock> agrs:heldBy "{host, pid, command, since, token}" .

by a conditional update (inserted only when no holder is recorded), then reads it back: it holds the lock if
its own record is the only one (two writers racing on a server that runs updates concurrently both see both
records: the one whose record sorts first keeps it, the other withdraws). A second writer gets StoreBusy saying
who holds the lock and how to proceed. A holder that died on this host (its pid is gone) is taken over; one on
another host is left to a person: `agrs store unlock --store URL`, after checking it is gone.
"""

import json
import os
import shlex
import socket
import sys
import uuid
from datetime import UTC, datetime

from agrs.graphs import REGISTRY_GRAPH
from agrs.ns import BASE
from agrs.store.errors import StoreBusy

LOCK_IRI = BASE + "store/write-lock"
HELD_BY = BASE + "heldBy"
COMMAND_SHOWN = 200

_WHERE = f"GRAPH <{REGISTRY_GRAPH}> {{ <{LOCK_IRI}> <{HELD_BY}> ?holder }}"
HOLDERS = f"SELECT ?holder WHERE {{ {_WHERE} }}"
UNLOCK = f"DELETE WHERE {{ {_WHERE} }}"


def _literal(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid SPARQL string literal for this text (ASCII-escaped)


def holder_record() -> str:
    """Return this process's lock record: host, pid, command line, time, and a unique token (JSON)."""
    command = shlex.join(getattr(sys, "orig_argv", sys.argv))
    return json.dumps(
        {"host": socket.gethostname(), "pid": os.getpid(), "command": command[:COMMAND_SHOWN],
         "since": datetime.now(UTC).isoformat(timespec="seconds"), "token": uuid.uuid4().hex},
        sort_keys=True,
    )  # fmt: skip


def describe(record: str) -> str:
    """Describe a lock record for people: "pid 123 on host h (agrs load …) since …"."""
    try:
        fields = json.loads(record)
        return (
            f"pid {fields['pid']} on host {fields['host']} ({fields.get('command', 'unknown command')}) "
            f"since {fields.get('since', '?')}"
        )
    except (ValueError, KeyError, TypeError):
        return "an unknown process"


def _dead_here(record: str) -> bool:
    """Return whether a record names a process of this host that no longer runs."""
    try:
        fields = json.loads(record)
        if fields["host"] != socket.gethostname():
            return False
        pid = int(fields["pid"])
    except (ValueError, KeyError, TypeError):
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        return False
    return False


class RemoteLock:
    """The write lock of a remote store, held by this process until `release()`."""

    def __init__(self, store, record: str):
        self._store = store
        self.record: str | None = record

    @classmethod
    def acquire(cls, store) -> "RemoteLock":
        """Take the lock of `store` (a RemoteStore), or raise StoreBusy naming the holder (never waits)."""
        record = holder_record()
        for _ in range(2):  # a second round after taking over a dead holder's lock
            store._raw_update(
                f"INSERT {{ GRAPH <{REGISTRY_GRAPH}> {{ <{LOCK_IRI}> <{HELD_BY}> {_literal(record)} }} }} "
                f"WHERE {{ FILTER NOT EXISTS {{ {_WHERE} }} }}"
            )
            holders = sorted(holders_of(store))
            if holders and holders[0] == record:  # a racing writer's record sorting after ours: it withdraws it
                return cls(store, record)
            if record in holders:  # we raced and lost: withdraw
                _delete(store, record)
            others = [holder for holder in holders if holder != record]
            if others and all(_dead_here(holder) for holder in others):
                for holder in others:
                    _delete(store, holder)
                continue
            who = describe(others[0]) if others else "another process"
            raise StoreBusy(busy_message(store.location.describe(), who))
        raise StoreBusy(busy_message(store.location.describe(), "another process"))

    def release(self) -> None:
        """Let another process write (idempotent)."""
        if self.record is None:
            return
        record, self.record = self.record, None
        _delete(self._store, record)


def holders_of(store) -> list[str]:
    """Return the lock records in the store (none when nobody writes)."""
    return [row["holder"].value for row in store._select(HOLDERS)]


def _delete(store, record: str) -> None:
    store._raw_update(f"DELETE DATA {{ GRAPH <{REGISTRY_GRAPH}> {{ <{LOCK_IRI}> <{HELD_BY}> {_literal(record)} }} }}")


def busy_message(where: str, who: str) -> str:
    """Say that `who` is writing the store at `where`, and what to do about it."""
    return (
        f"The store {where} is open for writing by {who}. Wait for it to finish (or stop it), then run this "
        f"command again. If that process is gone (killed on another machine), check, then release its lock with "
        f"`agrs store unlock --store {where.split(' ')[0]}`."
    )
