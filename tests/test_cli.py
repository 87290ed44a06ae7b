"""The `agrs` command line: help everywhere, the version, lazy subcommands."""

import subprocess
import sys

import click
import pytest

from agrs import __version__
from agrs.cli import SUBCOMMANDS, cli

from conftest import run_agrs


def _all_command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        paths.append((*prefix, name))
        if isinstance(command, click.Group):
            paths += _all_command_paths(command, (*prefix, name))
    return paths


COMMANDS = _all_command_paths(cli)


def test_commands_found():
    assert COMMANDS, "no subcommand found"
    assert ("ontology", "check") in COMMANDS


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(p) for p in COMMANDS])
def test_help_everywhere_documents_exit_codes(path):
    result = run_agrs(*path, "--help")
    assert result.returncode == 0, result.stderr
    assert "Exit codes" in result.stdout
    assert "Usage: agrs " + " ".join(path) in result.stdout


def test_version_is_the_package_version():
    result = run_agrs("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"agrs, version {__version__}"


def test_unknown_subcommand_is_a_usage_error():
    result = run_agrs("no-such-command")
    assert result.returncode == 2
    assert "No such command" in result.stderr


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys; from agrs.cli import cli; cli(['--help'], standalone_mode=False); "
        "heavy = ('rdflib', 'pyshacl', 'owlready2', 'flask', 'pyoxigraph'); "
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert set(SUBCOMMANDS) >= {"ontology"}
