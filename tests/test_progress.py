"""Progress bars: every stage shape the loaders report draws without error, and nothing when disabled."""

import pytest

from agrs.progress import ProgressBars


@pytest.mark.parametrize("enabled", [True, False])
def test_stages_with_and_without_totals(enabled, capsys):
    with ProgressBars(enabled=enabled, prefix="territories/cog ") as progress:
        progress("read", 1, None)  # the read stage counts records of unknown total
        progress("read", 1, None)
        progress("validate", 0, 10)
        progress("validate", 10, None)
        progress("commit", 0, None)  # a stage of unknown length: this crashed click.progressbar(length=None)
    err = capsys.readouterr().err
    if enabled:
        assert "territories/cog read" in err and "territories/cog commit" in err
    else:
        assert err == ""
