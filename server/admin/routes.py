"""`POST /admin/backup`: a consistent backup of the store `agrs serve` holds, streamed as a tar of a backup folder.

While `agrs serve` runs it holds the embedded store's write lock: no other process may open the store for writing,
and copying the folder under a running writer gives copies that do not open. The server makes the backup itself:
under its write lock (no write under way, the next one waits a few milliseconds) it takes a RocksDB checkpoint of
the store (`EmbeddedStore.snapshot`, hard links), releases the lock, then builds the backup folder from that
checkpoint (agrs.backup: the checkpoint with its manifest, or a dump of it) and streams it as an uncompressed tar
(`application/x-tar`); `agrs backup` unpacks it. The working folder lies under the checkpoints' folder
(serve-snapshots), which the next server start empties if this one is killed.

`?kind=checkpoint` (default) or `?kind=dump`. On a remote store only `dump` exists (read through the store
interface, under the write lock so that no write through this server interleaves). Needs the write token.
"""

import shutil
import tarfile
import tempfile
import uuid
from pathlib import Path

from flask import Blueprint, Response, request

from agrs.server.auth import write_refusal
from agrs.server.responses import text_response
from agrs.server.runtime import runtime

blueprint = Blueprint("admin", __name__)

CHUNK = 1 << 20


@blueprint.post("/admin/backup")
def backup() -> Response:
    """Answer a tar of a backup folder of the store (see the module's docstring); 400 for an unknown kind."""
    from agrs import backup as backups
    from agrs.store import StoreError

    refusal = write_refusal()
    if refusal is not None:
        return refusal
    kind = request.args.get("kind", "checkpoint")
    if kind not in backups.KINDS:
        return text_response(400, f"kind must be one of {', '.join(backups.KINDS)}, not {kind!r}")
    state = runtime()
    if state.remote and kind != "dump":
        return text_response(400, "a remote store has no checkpoint: ask for ?kind=dump")
    work = _work_folder(state)
    try:
        folder = work / "backup"
        if state.remote:
            with state.write_lock:
                backups.dump(state.store, folder, source=str(state.store.location))
        else:
            checkpoint = work / "checkpoint"
            with state.write_lock:  # between two writes: the checkpoint is a state the store had
                state.store.snapshot(checkpoint)
            if kind == "checkpoint":
                checkpoint.rename(folder)
                backups.describe_checkpoint(folder, source=str(state.store.location))
            else:
                from agrs.store.embedded import EmbeddedStore

                with EmbeddedStore(checkpoint, read_only=True) as reader:
                    backups.dump(reader, folder, source=str(state.store.location))
        archive = work / "backup.tar"
        with tarfile.open(archive, "w") as tar:
            tar.add(folder, arcname="backup")
    except (StoreError, OSError) as error:
        shutil.rmtree(work, ignore_errors=True)
        return text_response(500, f"the backup failed: {error}")
    shutil.rmtree(folder, ignore_errors=True)
    size = archive.stat().st_size
    response = Response(_stream(archive, work), mimetype="application/x-tar")
    response.headers["Content-Length"] = str(size)
    response.headers["Cache-Control"] = "no-store"
    return response


def _work_folder(state) -> Path:
    """A new folder on the store's file system (checkpoints are hard links), removed once the answer is sent."""
    if state.snapshots is not None:
        folder = Path(state.snapshots.root) / f"backup-{uuid.uuid4().hex}"
        folder.mkdir(parents=True)
        return folder
    return Path(tempfile.mkdtemp(prefix="agrs-backup-"))


def _stream(archive: Path, work: Path):
    """Yield the archive's bytes, then remove the working folder (also when the client goes away)."""
    try:
        with open(archive, "rb") as stream:
            while chunk := stream.read(CHUNK):
                yield chunk
    finally:
        shutil.rmtree(work, ignore_errors=True)
