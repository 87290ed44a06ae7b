"""The options several `agrs` subcommands share, defined once so that they read and behave the same."""

from pathlib import Path

import click

#: `--store PATH`: the store folder (else $AGRS_STORE, else ~/.local/share/agrs/store; see agrs.store.location)
store_option = click.option(
    "--store", "store_path", type=click.Path(file_okay=False, path_type=Path),
    help="Store folder (default: $AGRS_STORE, else ~/.local/share/agrs/store).",
)  # fmt: skip


def quarantine_option(what: str = "the rejected records"):
    """Return the `--quarantine DIR` option (default ./quarantine), its help naming what goes there."""
    return click.option(
        "--quarantine", "quarantine_dir", type=click.Path(file_okay=False, path_type=Path),
        default=Path("quarantine"), show_default=True, help=f"Folder for {what}.",
    )  # fmt: skip


def quiet_option(what: str = "No progress bar, no summary; problems only."):
    """Return the `--quiet` flag; problems are printed (on stderr) whatever it says."""
    return click.option("--quiet", is_flag=True, help=what)
