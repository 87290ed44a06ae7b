"""Progress on a terminal: one bar per stage of a long command, on stderr.

Commands pass `enabled=False` with --quiet or when stderr is not a terminal.
"""

import sys

import click


class ProgressBars:
    """A progress callback drawing one bar per stage on stderr (a no-op when disabled)."""

    def __init__(self, enabled: bool, prefix: str = ""):
        self.enabled = enabled
        self.prefix = prefix
        self.bar = None
        self.stage = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._finish()

    def __call__(self, stage: str, amount: int, total: int | None) -> None:
        """Advance the bar of `stage` by `amount`, starting a new bar when the stage changes."""
        if not self.enabled:
            return
        if stage != self.stage:
            self._finish()
            self.stage = stage
            if total is None:  # a stage of unknown length (a commit): its name alone, no bar to draw
                click.echo(f"{self.prefix}{stage} …", err=True)
                return
            self.bar = click.progressbar(length=total, label=f"{self.prefix}{stage}", file=sys.stderr, show_pos=True)
            self.bar.__enter__()
        if amount and self.bar is not None:
            self.bar.update(amount)

    def _finish(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None
