"""The options several `agrs` subcommands share, defined once so that they read and behave the same."""

import functools
from pathlib import Path

import click

STORE_HELP = (
    "Store: a folder (the embedded store), or the http(s):// URL of a SPARQL 1.1 query endpoint (a remote "
    "store: Virtuoso, Fuseki, Oxigraph server…). Default: $AGRS_STORE, else ~/.local/share/agrs/store."
)
AUTH_CHOICES = ("basic", "digest", "bearer")


def remote_options(prefix: str = "store", env_prefix: str = "AGRS_STORE", *, target: str = "store_path"):
    """Return a decorator adding a remote store's options, folded into one argument `target`.

    The options are `--{prefix}-update-url`, `--{prefix}-graph-store-url`, `--{prefix}-user` and
    `--{prefix}-auth` (environment: {env_prefix}_UPDATE_URL, _GRAPH_STORE_URL, _USER, _AUTH); secrets only from
    the environment ({env_prefix}_PASSWORD, {env_prefix}_TOKEN). The command's `target` argument (the store
    option's value: a URL, a folder or None) becomes a RemoteLocation when it is an http(s) URL — or when it is
    None and ${env_prefix} is one —, else a Path (or None). For `--store` the update and Graph Store options drop
    the prefix (`--update-url`, `--graph-store-url`); `agrs push` uses `remote_options("to", "AGRS_PUSH",
    target="to")` for its `--to URL`.
    """
    update_name = "--update-url" if prefix == "store" else f"--{prefix}-update-url"
    graph_store_name = "--graph-store-url" if prefix == "store" else f"--{prefix}-graph-store-url"
    keys = {name: f"_{prefix}_{name}" for name in ("update_url", "graph_store_url", "user", "auth")}

    def decorate(command):
        @functools.wraps(command)
        def folded(*args, **kwargs):
            from agrs.store.location import RemoteLocation, is_url

            values = {name: kwargs.pop(key) for name, key in keys.items()}
            value = kwargs.get(target)
            remote_named = any(values.values())
            if value is None and remote_named:
                import os

                value = os.environ.get(env_prefix) or None
            if is_url(value):
                try:
                    kwargs[target] = RemoteLocation.from_environment(
                        str(value), update_url=values["update_url"], graph_store_url=values["graph_store_url"],
                        user=values["user"], auth=values["auth"], prefix=env_prefix,
                    )  # fmt: skip
                except ValueError as error:
                    raise click.BadParameter(str(error)) from error
            elif remote_named:
                given = ", ".join(f"--{prefix}-{name.replace('_', '-')}" for name, v in values.items() if v)
                raise click.UsageError(f"{given} only go with a remote store (an http(s):// URL)")
            elif value is not None:
                kwargs[target] = Path(value).expanduser()
            return command(*args, **kwargs)

        options = [
            click.option(
                update_name, keys["update_url"], metavar="URL",
                help=f"Remote store: its SPARQL Update endpoint, when not the query URL (Oxigraph server: …/update; "
                f"Virtuoso: …/sparql-auth; Fuseki: …/DATASET/update). Default: ${env_prefix}_UPDATE_URL.",
            ),
            click.option(
                graph_store_name, keys["graph_store_url"], metavar="URL",
                help=f"Remote store: its SPARQL 1.1 Graph Store endpoint, for faster uploads (Oxigraph server: "
                f"…/store; Virtuoso: …/sparql-graph-crud-auth; Fuseki: …/DATASET/data); else INSERT DATA. "
                f"Default: ${env_prefix}_GRAPH_STORE_URL.",
            ),
            click.option(
                f"--{prefix}-user", keys["user"], metavar="NAME",
                help=f"Remote store: the user to authenticate as (password: ${env_prefix}_PASSWORD, from the "
                f"environment only; a bearer token: ${env_prefix}_TOKEN). Default: ${env_prefix}_USER.",
            ),
            click.option(
                f"--{prefix}-auth", keys["auth"], type=click.Choice(AUTH_CHOICES),
                help=f"Remote store: the authentication scheme (default: ${env_prefix}_AUTH, else bearer with a token, "
                "basic with a user; Virtuoso's /sparql-auth wants digest).",
            ),
        ]  # fmt: skip
        for option in reversed(options):
            folded = option(folded)
        return folded

    return decorate


def store_option(command):
    """Add `--store PATH|URL` and the remote store's options; the command receives them as `store_path`.

    `store_path` is None (then `agrs.store.location.store_location` reads $AGRS_STORE or the default), a Path,
    or a RemoteLocation: `store_location(store_path)` gives the store either way.
    """
    command = remote_options()(command)
    return click.option("--store", "store_path", metavar="PATH|URL", help=STORE_HELP)(command)


def quarantine_option(what: str = "the rejected records"):
    """Return the `--quarantine DIR` option (default ./quarantine), its help naming what goes there."""
    return click.option(
        "--quarantine", "quarantine_dir", type=click.Path(file_okay=False, path_type=Path),
        default=Path("quarantine"), show_default=True, help=f"Folder for {what}.",
    )  # fmt: skip


def quiet_option(what: str = "No progress bar, no summary; problems only."):
    """Return the `--quiet` flag; problems are printed (on stderr) whatever it says."""
    return click.option("--quiet", is_flag=True, help=what)


def keep_versions_option(command):
    """Add `--keep-versions N`: how many previous versions of each graph the stores the command opens keep.

    Default: $AGRS_KEEP_VERSIONS, else 5 (agrs.store.retention); 0 keeps none. The previous versions are what
    `agrs history` lists and `agrs rollback` restores; those beyond N are deleted at the next write of their graph.
    """

    @functools.wraps(command)
    def wrapped(*args, **kwargs):
        from agrs.store.retention import keeping

        with keeping(kwargs.pop("keep_versions")):
            return command(*args, **kwargs)

    return click.option(
        "--keep-versions", "keep_versions", type=click.IntRange(min=0), metavar="N",
        help="Previous versions of each graph to keep for `agrs history` / `agrs rollback` (0: none). "
        "Default: $AGRS_KEEP_VERSIONS, else 5.",
    )(wrapped)  # fmt: skip
