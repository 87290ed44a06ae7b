"""Backups of a store, and restoring them: a checkpoint (a copy Oxigraph opens as is) or a dump (N-Quads, gzipped).

Two kinds of backup, both a folder holding a manifest, `agrs-backup.json`:

- **checkpoint** (embedded store): RocksDB's checkpoint of the store open for writing (`EmbeddedStore.snapshot`:
  hard links to its immutable files, a few milliseconds), taken while no write is under way — by the process
  holding the write lock: `agrs backup` itself when nothing else writes, else the `agrs serve` that holds the store
  (server/admin). The folder is a store: `--store BACKUP` opens it read-only as it is. Copying a live store's
  folder file by file is not a backup (3 copies out of 5 did not open), nor is pyoxigraph's backup of a read-only
  view (it once lost a plain graph's name): a checkpoint is made by the writer, of the writable store.
- **dump**: every quad the store holds (`Store.stored_dataset`: each version graph, current or kept, the registry,
  the union graphs, the plain graphs, the default graph) in `quads.nq.gz`, and the names of every graph, empty ones
  included (N-Quads cannot carry an empty graph). Any kind of store (a remote one is read through its SPARQL
  interface), and read by any later pyoxigraph: the way to move a store to a newer pyoxigraph, or off a server.

The manifest says which kind, what wrote it (AGRS and pyoxigraph versions), when, from where, how many quads and
graphs, and a digest of the content: the sum (mod 2^256) of the SHA-256 of each quad's N-Quads text, so that it
does not depend on the order quads are read in. A dump's file has its own SHA-256 too.

Restoring (`restore`) builds the new store in a folder beside the target, checks it (it opens; same quads, graph
names and digest as the manifest), has AGRS open it for writing once (collects what a kill left, rebuilds stale
union graphs), and only then puts it in place: an atomic exchange of the two folders (Linux renameat2) when the
target exists, else a rename. A non-empty target is replaced only when asked (`force`), and never while another
process holds its write lock.
"""

import ctypes
import ctypes.util
import gzip
import hashlib
import itertools
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from agrs import __version__
from agrs.store.errors import StoreError

MANIFEST = "agrs-backup.json"
DUMP_FILE = "quads.nq.gz"
FORMAT = 1  # the manifest's format; a later AGRS reads older ones
KINDS = ("checkpoint", "dump")
LOAD_BATCH = 100_000  # quads per bulk_extend when a dump is restored (as the store loads versions)
CHUNK = 1 << 20


class BackupError(StoreError):
    """A backup or restore that cannot be done (bad source, non-empty target, a digest that does not match)."""


@dataclass
class Manifest:
    """What a backup folder holds, written as `agrs-backup.json` beside it."""

    kind: str  # "checkpoint" | "dump"
    quads: int
    digest: str  # see content_digest
    graphs: list[str] = field(default_factory=list)  # every named graph, empty ones included
    source: str = ""  # the store it was taken from (folder or URL)
    created: str = ""  # UTC, ISO 8601
    agrs_version: str = __version__
    pyoxigraph_version: str = ox.__version__
    file_sha256: str | None = None  # a dump's quads.nq.gz
    format: int = FORMAT

    def write(self, folder: Path) -> Path:
        """Write the manifest into `folder` (beside, then renamed: never half a manifest); return its path."""
        path = Path(folder) / MANIFEST
        partial = path.with_name(MANIFEST + ".partial")
        partial.write_text(json.dumps(asdict(self), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        partial.replace(path)
        return path

    @classmethod
    def read(cls, folder: Path) -> "Manifest":
        """Read `folder`'s manifest; BackupError when it is missing or not one AGRS wrote."""
        path = Path(folder) / MANIFEST
        try:
            fields = json.loads(path.read_text(encoding="utf-8"))
            known = {name: fields[name] for name in cls.__dataclass_fields__ if name in fields}
            manifest = cls(**known)
        except OSError as error:
            raise BackupError(f"cannot read the backup's manifest {path}: {error.strerror}") from error
        except (ValueError, TypeError) as error:
            raise BackupError(f"{path} is not an AGRS backup manifest: {error}") from error
        if manifest.kind not in KINDS:
            raise BackupError(f"{path}: unknown backup kind {manifest.kind!r} (expected one of {', '.join(KINDS)})")
        if manifest.format > FORMAT:
            raise BackupError(f"{path} was written by a newer AGRS (format {manifest.format}): upgrade AGRS")
        return manifest


# --- digests ------------------------------------------------------------------------------------------------


class Digest:
    """The order-independent digest of a set of quads: the sum of their N-Quads texts' SHA-256, mod 2^256."""

    def __init__(self):
        self.count = 0
        self._sum = 0

    def add(self, quad) -> None:
        """Count `quad` in."""
        self.count += 1
        self._sum = (self._sum + int.from_bytes(hashlib.sha256(str(quad).encode()).digest(), "big")) % (1 << 256)

    def through(self, quads: Iterable) -> Iterator:
        """Yield `quads`, counting each in on the way (a dump digests what it writes, in one pass)."""
        for quad in quads:
            self.add(quad)
            yield quad

    @property
    def hex(self) -> str:
        """The digest as 64 hexadecimal digits."""
        return f"{self._sum:064x}"


def content_digest(quads: Iterable) -> tuple[int, str]:
    """Return (count, digest) of `quads` (see Digest); blank nodes count by their stored identifiers."""
    digest = Digest()
    for quad in quads:
        digest.add(quad)
    return digest.count, digest.hex


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _new_folder(folder: Path) -> None:
    """Create `folder`, which must not exist or be empty (a backup never mixes with other files)."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupError(f"{folder} exists and is not empty: give a new folder for the backup")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BackupError(f"cannot create {folder}: {error.strerror}") from error


# --- taking a backup ----------------------------------------------------------------------------------------


def checkpoint(store, dest: Path) -> Manifest:
    """Write a checkpoint of the embedded `store` (open for writing, no write under way) into the new folder `dest`.

    The caller holds the write lock (it is the store's writer, and no write of its own is running), so the
    checkpoint is a state between two commits. Returns the manifest, written into `dest` with the digest read
    back from the checkpoint itself.
    """
    dest = Path(dest)
    if dest.exists():
        if not dest.is_dir() or any(dest.iterdir()):
            raise BackupError(f"{dest} exists and is not empty: give a new folder for the backup")
        dest.rmdir()  # RocksDB creates the checkpoint's folder itself
    dest.parent.mkdir(parents=True, exist_ok=True)
    store.snapshot(dest)
    return describe_checkpoint(dest, source=str(store.location))


def describe_checkpoint(folder: Path, *, source: str = "") -> Manifest:
    """Read a checkpoint folder nobody writes, and write its manifest (quads, graph names, digest) into it."""
    copy = ox.Store.read_only(str(folder))
    try:
        names = sorted(name.value for name in copy.named_graphs() if isinstance(name, ox.NamedNode))
        count, digest = content_digest(copy.quads_for_pattern(None, None, None, None))
    finally:
        del copy
    manifest = Manifest("checkpoint", count, digest, names, source, _now())
    manifest.write(folder)
    return manifest


def dump(store, dest: Path, *, source: str | None = None) -> Manifest:
    """Dump every quad and graph name of `store` (any kind: Store.stored_dataset) into the new folder `dest`.

    Consistent when nobody writes `store` meanwhile: a checkpoint, a store this process holds the write lock of, or
    a remote store (which re-reads until its registry did not change during the read).
    """
    dest = Path(dest)
    _new_folder(dest)
    names, quads = store.stored_dataset()
    digest = Digest()
    path = dest / DUMP_FILE
    try:
        with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as stream:
            ox.serialize(digest.through(quads), stream, format=ox.RdfFormat.N_QUADS)
    except OSError as error:
        raise BackupError(f"cannot write the dump {path}: {error}") from error
    where = source if source is not None else str(getattr(store, "location", ""))
    manifest = Manifest("dump", digest.count, digest.hex, sorted(names), where, _now(), file_sha256=_sha256(path))
    manifest.write(dest)
    return manifest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- restoring ----------------------------------------------------------------------------------------------


def read_backup(source: Path) -> Manifest:
    """Return the manifest of the backup folder `source`.

    A store folder without a manifest (a checkpoint taken otherwise, e.g. one of `agrs serve`'s) is read as a
    checkpoint: its manifest is computed, not checked.
    """
    source = Path(source)
    if not source.is_dir():
        raise BackupError(f"{source} is not a backup folder (agrs backup writes one)")
    if (source / MANIFEST).is_file():
        return Manifest.read(source)
    if (source / "CURRENT").is_file():
        copy = ox.Store.read_only(str(source))
        names = sorted(name.value for name in copy.named_graphs() if isinstance(name, ox.NamedNode))
        count, digest = content_digest(copy.quads_for_pattern(None, None, None, None))
        del copy
        return Manifest("checkpoint", count, digest, names, str(source))
    raise BackupError(f"{source} holds neither an AGRS backup ({MANIFEST}) nor a store")


def restore(source: Path, target: Path, *, force: bool = False) -> Manifest:
    """Make the backup in `source` (a checkpoint or a dump folder) the store in folder `target`, atomically.

    Refuses a non-empty `target` unless `force`, and a target another process holds the write lock of. The new
    store is built and checked beside the target; the target is replaced only once it is complete.
    """
    from agrs.store.embedded import EmbeddedStore
    from agrs.store.lock import LOCK_NAME, WriteLock

    source, target = Path(source).resolve(), Path(target).expanduser().absolute()
    manifest = read_backup(source)
    if target.exists() and not target.is_dir():
        raise BackupError(f"{target} is a file, not a store folder")
    occupied = target.is_dir() and any(target.iterdir())
    if occupied and not force:
        raise BackupError(f"{target} is not empty: give an empty or new folder, or --force to replace the store in it")
    if source == target or target in source.parents:
        raise BackupError(f"cannot restore {source} into itself ({target})")
    target.parent.mkdir(parents=True, exist_ok=True)
    _collect_stale_staging(target)
    staging = target.parent / f".{target.name}.restore-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        if manifest.kind == "checkpoint":
            skipped = shutil.ignore_patterns(MANIFEST, MANIFEST + ".partial", LOCK_NAME, "serve-snapshots")
            shutil.copytree(source, staging, ignore=skipped)
        else:
            _load_dump(source, manifest, staging)
        _check(staging, manifest)
        EmbeddedStore(staging).close()  # AGRS's own checks: a write-open collects leftovers, rebuilds the unions
        lock = WriteLock.acquire(target) if occupied else None  # StoreBusy when a server or a load holds it
        try:
            if occupied:
                _exchange(staging, target)  # staging now holds the old store
            else:
                if target.exists():
                    target.rmdir()
                staging.rename(target)
        finally:
            if lock is not None:
                lock.release()
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


def _collect_stale_staging(target: Path) -> None:
    """Remove what a killed restore left beside `target` (its staging folder names a process that is gone)."""
    for folder in target.parent.glob(f".{target.name}.restore-*"):
        try:
            os.kill(int(folder.name.rsplit("-", 1)[1]), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (ValueError, PermissionError):  # not ours to judge: another user's live process, or not a pid
            continue


def _load_dump(source: Path, manifest: Manifest, staging: Path) -> None:
    """Load the dump in `source` into a new store in `staging`, graph names and blank node labels as they were."""
    path = source / DUMP_FILE
    if not path.is_file():
        raise BackupError(f"{source} is a dump without its {DUMP_FILE}")
    if manifest.file_sha256 and _sha256(path) != manifest.file_sha256:
        raise BackupError(f"{path} is damaged: its SHA-256 is not the one its manifest recorded")
    store = ox.Store(str(staging))
    try:
        with gzip.open(path, "rb") as stream:
            # Blank node labels kept (not renamed): the digest, and the quads, stay those of the store dumped.
            quads = ox.parse(stream, format=ox.RdfFormat.N_QUADS, rename_blank_nodes=False)
            while batch := list(itertools.islice(quads, LOAD_BATCH)):
                store.bulk_extend(batch)
        for name in manifest.graphs:
            store.add_graph(ox.NamedNode(name))  # an empty graph is in no quad
        store.flush()
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise BackupError(f"cannot read the dump {path}: {error}") from error
    finally:
        del store


def _check(folder: Path, manifest: Manifest) -> None:
    """Check that the store in `folder` holds what `manifest` says: its graph names, its quads (count and digest)."""
    store = ox.Store.read_only(str(folder))
    try:
        names = sorted(name.value for name in store.named_graphs() if isinstance(name, ox.NamedNode))
        count, digest = content_digest(store.quads_for_pattern(None, None, None, None))
    finally:
        del store
    missing = sorted(set(manifest.graphs) - set(names))
    if missing:
        raise BackupError(f"the restored store lacks {len(missing)} graph(s) of the backup, e.g. {missing[0]}")
    if count == manifest.quads and digest != manifest.digest and _printed_otherwise(manifest):
        return  # the dump's file checked out whole; this pyoxigraph may print a term otherwise (see below)
    if (count, digest) != (manifest.quads, manifest.digest):
        raise BackupError(
            f"the restored store holds {count:,} quads (digest {digest[:12]}…), the backup {manifest.quads:,} "
            f"({manifest.digest[:12]}…): the backup is damaged"
        )


def _printed_otherwise(manifest: Manifest) -> bool:
    """Whether a digest that differs may only mean another way of printing terms, not another content.

    The digest hashes each quad's N-Quads text as pyoxigraph prints it. A dump restored by another pyoxigraph
    version (the reason dumps exist) may print some term otherwise (an escape, a literal's canonical form); its file
    was checked against its SHA-256 before it was read, and the count of quads must still match.
    """
    return manifest.kind == "dump" and bool(manifest.file_sha256) and manifest.pyoxigraph_version != ox.__version__


RENAME_EXCHANGE = 2  # linux/fs.h


def _exchange(first: Path, second: Path) -> None:
    """Swap two folders in one step (Linux renameat2 RENAME_EXCHANGE); elsewhere two renames, the old one kept
    aside until the new one is in place."""
    libc_name = ctypes.util.find_library("c")
    renameat2 = getattr(ctypes.CDLL(libc_name, use_errno=True), "renameat2", None) if libc_name else None
    if renameat2 is not None:
        at_fdcwd = -100
        result = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), RENAME_EXCHANGE)
        if result == 0:
            return
        errno = ctypes.get_errno()
        if errno not in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: the file system cannot; fall back
            raise BackupError(f"cannot put the restored store in place of {second}: {os.strerror(errno)}")
    aside = first.with_name(first.name + ".old")
    second.rename(aside)
    first.rename(second)
    aside.rename(first)
