"""`agrs backup DEST` and `agrs restore SRC`: a consistent copy of the store, while it is served and written too.

Where the backup is made (agrs.backup says what each kind holds):
- `--server URL`: by that running `agrs serve` (POST URL/admin/backup with the write token), streamed back;
- an embedded store nobody holds: by this command, which takes the store's write lock for the few milliseconds
  of a checkpoint (a dump reads everything under it);
- an embedded store `agrs serve` holds (its write lock): the server is found from the lock file, which names its
  command line (`--host`, `--port`; a server listening on every address is reached on 127.0.0.1), and asked as with
  `--server`; any other holder (a load) is waited for: the command says who it is and exits 2;
- a remote store (`--store URL`): a dump, read through its SPARQL interface.
"""

import json
import os
import shlex
import shutil
import sys
import tarfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import click

from agrs.cli import EXIT_CODES
from agrs.cli_options import store_option

TOKEN_ENV = "AGRS_WRITE_TOKEN"
ANY_ADDRESS = ("0.0.0.0", "::", "")
HTTP_TIMEOUT = 3_600.0  # seconds: a large store's backup is streamed in one answer


@click.command("backup", epilog=EXIT_CODES)
@click.argument("dest", type=click.Path(path_type=Path))
@store_option
@click.option("--dump", "as_dump", is_flag=True, help="Write a dump (N-Quads, gzipped), not a checkpoint.")
@click.option("--server", "server_url", metavar="URL", help="Ask this running `agrs serve` for the backup.")
@click.option("--write-token", envvar=TOKEN_ENV, help=f"The server's write token (${TOKEN_ENV}).")
def backup(dest, store_path, as_dump, server_url, write_token) -> None:
    """Write a consistent backup of the store into the new folder DEST.

    A checkpoint (the default: a store folder, openable with --store DEST) or, with --dump, every quad of the store
    (every graph version, the registry, the provenance) as N-Quads with a manifest: what moves a store to a newer
    pyoxigraph. While `agrs serve` holds the store, the server makes the backup (found from the store's lock, or
    named with --server); a remote store is always dumped.
    """
    from agrs import backup as backups
    from agrs.store import StoreError
    from agrs.store.location import RemoteLocation, store_location

    kind = "dump" if as_dump else "checkpoint"
    try:
        if server_url:
            manifest = from_server(server_url, write_token, kind, dest)
        else:
            location = store_location(store_path)
            if isinstance(location, RemoteLocation):
                from agrs.store.remote import RemoteStore

                with RemoteStore(location, read_only=True) as remote:
                    manifest = backups.dump(remote, dest, source=location.query_url)
            else:
                manifest = _local(Path(location), kind, dest, write_token)
    except StoreError as error:
        click.echo(f"agrs backup: {error}", err=True)
        sys.exit(2)
    click.echo(f"{manifest.kind} of {manifest.source or 'the store'}: {manifest.quads:,} quads, "
               f"{len(manifest.graphs):,} graphs, digest {manifest.digest[:16]}… → {dest}")  # fmt: skip


def _local(folder: Path, kind: str, dest: Path, token: str | None):
    """Back up the embedded store in `folder`: by this process when it can take the write lock, else by its server."""
    from agrs import backup as backups
    from agrs.store import StoreBusy
    from agrs.store.embedded import ROCKSDB_MARKER, EmbeddedStore

    if not (folder / ROCKSDB_MARKER).is_file():
        raise backups.BackupError(f"there is no store in {folder}: give --store PATH")
    try:
        store = EmbeddedStore(folder)
    except StoreBusy:
        url = served_by(folder)
        if url is None:
            raise
        return from_server(url, token, kind, dest)
    with store:
        if kind == "checkpoint":
            return backups.checkpoint(store, dest)
        return backups.dump(store, dest)


def served_by(folder: Path) -> str | None:
    """Return the URL of the `agrs serve` holding the write lock of the store in `folder`, or None.

    Read from the lock file (agrs.store.lock: the holder's pid and command line): its `serve` options give the
    address and port; an address meaning "every interface" is reached on 127.0.0.1.
    """
    from agrs.store.lock import LOCK_NAME

    try:
        fields = json.loads((folder / LOCK_NAME).read_text(encoding="utf-8"))
        words = shlex.split(str(fields["command"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if "serve" not in words:
        return None
    # Read --host and --port from the words rather than import the server's command (the core imports no wing).
    options = _option_values(words[words.index("serve") + 1 :], ("--host", "--port"))
    host = options.get("--host") or "127.0.0.1"
    try:
        port = int(options.get("--port") or 8000)
    except ValueError:
        return None
    if host in ANY_ADDRESS:
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _option_values(words: list[str], names: tuple[str, ...]) -> dict[str, str]:
    """Return the last value given to each option of `names` in `words` (`--name value` or `--name=value`)."""
    found: dict[str, str] = {}
    for index, word in enumerate(words):
        name, equals, value = word.partition("=")
        if name in names:
            if equals:
                found[name] = value
            elif index + 1 < len(words):
                found[name] = words[index + 1]
    return found


def from_server(url: str, token: str | None, kind: str, dest: Path):
    """Ask the `agrs serve` at `url` for a backup of `kind` and unpack it into the new folder `dest`."""
    from agrs import backup as backups

    if not token:
        raise backups.BackupError(
            f"the store is served by {url}: its backup is made by the server, which needs its write token "
            f"(--write-token, or ${TOKEN_ENV})"
        )
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise backups.BackupError(f"{dest} exists and is not empty: give a new folder for the backup")
    query = urllib.parse.urlencode({"kind": kind})
    request = urllib.request.Request(
        url.rstrip("/") + f"/admin/backup?{query}", method="POST", headers={"Authorization": f"Bearer {token}"}
    )
    partial = dest.with_name(f".{dest.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as answer, \
                    tarfile.open(fileobj=answer, mode="r|") as tar:  # fmt: skip
                tar.extractall(partial, filter="data")  # no absolute paths, links out, devices
        except urllib.error.HTTPError as error:
            why = error.read().decode("utf-8", errors="replace").strip()
            raise backups.BackupError(f"the server {url} refused the backup ({error.code}): {why}") from None
        except (urllib.error.URLError, OSError, tarfile.TarError) as error:
            raise backups.BackupError(f"cannot get the backup from {url}: {error}") from None
        manifest = backups.Manifest.read(partial / "backup")
        if dest.exists():
            dest.rmdir()
        (partial / "backup").rename(dest)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return manifest


@click.command("restore", epilog=EXIT_CODES)
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@store_option
@click.option("--force", is_flag=True, help="Replace the store in a non-empty --store folder.")
def restore(src, store_path, force) -> None:
    """Make the backup SRC (a checkpoint or a dump folder, from `agrs backup`) the store in --store.

    The new store is built beside the target and checked (its quads and graph names against the backup's manifest)
    before it replaces the target in one step. A non-empty target needs --force; a target `agrs serve` (or a load)
    holds is refused: stop it first.
    """
    from agrs import backup as backups
    from agrs.store import StoreError
    from agrs.store.location import RemoteLocation, store_location

    location = store_location(store_path)
    if isinstance(location, RemoteLocation):
        click.echo(
            "agrs restore: restoring into a remote store is not supported: restore into a folder, or load the dump's "
            f"{backups.DUMP_FILE} with the server's own loader into an empty server",
            err=True,
        )
        sys.exit(2)
    try:
        manifest = backups.restore(src, Path(location), force=force)
    except StoreError as error:
        click.echo(f"agrs restore: {error}", err=True)
        sys.exit(2)
    click.echo(f"restored {manifest.kind} ({manifest.quads:,} quads, {len(manifest.graphs):,} graphs) into {location}")
