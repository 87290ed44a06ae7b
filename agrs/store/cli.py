"""`agrs store`: look after a store — who holds its write lock, and releasing a remote store's lock by hand."""

import sys

import click

from agrs.cli_options import store_option


@click.group("store")
def store() -> None:
    """Look after the store (its write lock)."""


@store.command("unlock")
@store_option
@click.option("--yes", is_flag=True, help="Release the lock without asking.")
def unlock(store_path, yes) -> None:
    """Release a remote store's write lock left by a writer that died on another machine.

    Check first that the process it names is gone: two writers at once can leave a graph half replaced. An
    embedded store needs none of this (its lock dies with its process).
    """
    from agrs.store import StoreError
    from agrs.store.location import RemoteLocation, store_location

    location = store_location(store_path)
    if not isinstance(location, RemoteLocation):
        click.echo(f"agrs store unlock: {location} is an embedded store: its lock is released when its writer exits")
        sys.exit(0)
    from agrs.store.remote import RemoteStore
    from agrs.store.remote.lock import UNLOCK, describe, holders_of

    try:
        remote = RemoteStore(location, read_only=True)
        holders = holders_of(remote)
        if not holders:
            click.echo(f"the store {location.describe()} is not locked")
            return
        for holder in holders:
            click.echo(f"locked by {describe(holder)}")
        if not yes and not click.confirm("Is that process gone? Release the lock", default=False, err=True):
            sys.exit(1)
        remote._client.update(UNLOCK)
        click.echo("unlocked")
    except StoreError as error:
        click.echo(f"agrs store unlock: {error}", err=True)
        sys.exit(2)
