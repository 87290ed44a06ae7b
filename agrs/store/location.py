"""Where the store is: the `--store PATH` option, else the AGRS_STORE variable, else `$XDG_DATA_HOME/agrs/store`.

Every command that opens the store takes `--store PATH` and passes its value (None when absent) to
`store_location`. The environment is a parameter so that callers and tests never have to mutate os.environ.
"""

import os
from collections.abc import Mapping
from pathlib import Path

STORE_ENV = "AGRS_STORE"


def default_store_location(environ: Mapping[str, str] | None = None) -> Path:
    """Return the documented default: `$XDG_DATA_HOME/agrs/store`, i.e. `~/.local/share/agrs/store`."""
    environ = os.environ if environ is None else environ
    data_home = environ.get("XDG_DATA_HOME", "")
    # The XDG specification says to ignore a relative (or empty) XDG_DATA_HOME.
    home = Path(environ["HOME"]) if environ.get("HOME") else Path.home()
    base = Path(data_home) if os.path.isabs(data_home) else home / ".local" / "share"
    return base / "agrs" / "store"


def store_location(option: str | os.PathLike | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """Return the store folder: `option` (the --store value) if given, else $AGRS_STORE if set, else the default."""
    environ = os.environ if environ is None else environ
    if option is not None and str(option) != "":
        return Path(option).expanduser()
    if environ.get(STORE_ENV):
        return Path(environ[STORE_ENV]).expanduser()
    return default_store_location(environ)
