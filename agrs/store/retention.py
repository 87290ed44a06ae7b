"""How many previous versions of a graph a store keeps: `--keep-versions N`, else $AGRS_KEEP_VERSIONS, else 5.

A store reads its retention count when it opens (`keep_versions`); the writing commands' `--keep-versions`
option (agrs.cli_options) sets it for the stores the command opens, through `keeping` (a context variable, so
nothing global is changed and concurrent tests do not see each other's value). 0 keeps none (the behaviour
before versions were kept: the old version is deleted at the switch).
"""

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

from agrs.graphs import PENDING_INFERRED_GRAPH
from agrs.store.errors import StoreError

ENV = "AGRS_KEEP_VERSIONS"
DEFAULT_KEEP = 5
#: graphs that are a job's scratch space, never worth a history (the reasoner's pending entailments)
WORKING_GRAPHS = frozenset({PENDING_INFERRED_GRAPH})

_chosen: ContextVar[int | None] = ContextVar("agrs_keep_versions", default=None)


def parse(value: str, where: str = ENV) -> int:
    """Return the retention count `value` says (a whole number, 0 or more); StoreError otherwise."""
    try:
        count = int(str(value).strip())
    except ValueError:
        raise StoreError(f"{where} must be a whole number of versions to keep (0 or more), not {value!r}") from None
    if count < 0:
        raise StoreError(f"{where} must be 0 or more, not {count}")
    return count


def keep_versions(environ: Mapping[str, str] | None = None) -> int:
    """Return the retention count in force: the one `keeping` set, else $AGRS_KEEP_VERSIONS, else DEFAULT_KEEP."""
    chosen = _chosen.get()
    if chosen is not None:
        return chosen
    environ = os.environ if environ is None else environ
    value = environ.get(ENV, "").strip()
    return parse(value) if value else DEFAULT_KEEP


@contextmanager
def keeping(count: int | None) -> Iterator[None]:
    """Make the stores opened inside the block keep `count` previous versions per graph (None: no change)."""
    if count is None:
        yield
        return
    token = _chosen.set(parse(str(count), "--keep-versions"))
    try:
        yield
    finally:
        _chosen.reset(token)


def keep_for(graph: str, count: int) -> int:
    """Return how many previous versions of `graph` to keep: none for a working graph, else `count`."""
    return 0 if graph in WORKING_GRAPHS else count
