"""The `agrs` command: a click group whose subcommands import their wing only when they run."""

import importlib

import click

from agrs import __version__

EXIT_CODES = """\b
Exit codes (every command):
  0  success: nothing to report
  1  faults found (a check failed, records were rejected)
  2  could not run (bad usage, unreadable input, a missing tool)"""

# name -> "module:attribute"; the module is imported only when the subcommand is used.
SUBCOMMANDS = {
    "backup": "agrs.backup_cli:backup",
    "demo": "agrs.loaders.demo_cli:demo",
    "export": "agrs.transfer_cli:export",
    "history": "agrs.history_cli:history",
    "import": "agrs.transfer_cli:import_",
    "load": "agrs.loaders.cli:load",
    "observatory": "agrs.loaders.observatory_cli:observatory",
    "ontology": "agrs.ontology_cli:ontology",
    "purge": "agrs.history_cli:purge",
    "push": "agrs.transfer_cli:push",
    "query": "agrs.query_cli:query",
    "reason": "agrs.derived.reason_cli:reason",
    "restore": "agrs.backup_cli:restore",
    "rollback": "agrs.history_cli:rollback",
    "rollup": "agrs.derived.rollup_cli:rollup",
    "serve": "agrs.server.serve_cli:serve",
    "store": "agrs.store_cli:store",
}


class LazyGroup(click.Group):
    """A group that imports a subcommand's module on first use, so `agrs --help` stays fast."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Return the subcommand names, sorted."""
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Import and return the named subcommand, or None when there is no such subcommand."""
        target = SUBCOMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        return getattr(importlib.import_module(module_name), attribute)


@click.group(cls=LazyGroup, epilog=EXIT_CODES, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="agrs")
def cli() -> None:
    """AGRS: the knowledge graph of the Approche globale, résiliente et solidaire."""


def main() -> None:
    """Run the `agrs` command line."""
    cli(prog_name="agrs")
