"""Where the store is: the `--store PATH|URL` option, else the AGRS_STORE variable, else `$XDG_DATA_HOME/agrs/store`.

Every command that opens the store takes `--store` and passes its value (None when absent) to `store_location`,
which returns a folder (the embedded store) or a `RemoteLocation` (a SPARQL 1.1 server, for an http(s) URL).
A remote location names the query endpoint, and the update and Graph Store endpoints when the server separates
them; its credentials come from the environment only (AGRS_STORE_PASSWORD, AGRS_STORE_TOKEN), never from a
command line other users of the machine can read. The environment is a parameter so that callers and tests
never have to mutate os.environ.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

STORE_ENV = "AGRS_STORE"
AUTH_KINDS = ("basic", "digest", "bearer")
DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True)
class RemoteLocation:
    """A remote SPARQL 1.1 store: its endpoints and credentials. Picklable (query workers open the store from it)."""

    query_url: str  # the SPARQL 1.1 query endpoint
    update_url: str | None = None  # the update endpoint; None: query_url
    graph_store_url: str | None = None  # the Graph Store Protocol endpoint; None: uploads by INSERT DATA chunks
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)  # a bearer token
    auth: str | None = None  # "basic" | "digest" | "bearer" | None (bearer if token, basic if user)
    timeout: float = DEFAULT_TIMEOUT  # seconds per HTTP request

    def __post_init__(self) -> None:
        for name in ("query_url", "update_url", "graph_store_url"):
            value = getattr(self, name)
            if value is not None and not is_url(value):
                raise ValueError(f"{name} must be an http:// or https:// URL, not {value!r}")
        if self.auth is not None and self.auth not in AUTH_KINDS:
            raise ValueError(f"auth must be one of {', '.join(AUTH_KINDS)}, not {self.auth!r}")

    @classmethod
    def from_environment(
        cls,
        query_url: str,
        *,
        update_url: str | None = None,
        graph_store_url: str | None = None,
        environ: Mapping[str, str] | None = None,
        prefix: str = STORE_ENV,
        user: str | None = None,
        auth: str | None = None,
        timeout: float | None = None,
    ) -> "RemoteLocation":
        """Return the location of `query_url`, the rest read from `{prefix}_…` variables where not given.

        Read: {prefix}_UPDATE_URL, _GRAPH_STORE_URL, _USER, _PASSWORD, _TOKEN, _AUTH, _TIMEOUT (seconds).
        """
        environ = os.environ if environ is None else environ

        def env(name: str) -> str | None:
            return environ.get(f"{prefix}_{name}") or None

        timeout_text = env("TIMEOUT")
        try:
            default_timeout = float(timeout_text) if timeout_text else DEFAULT_TIMEOUT
        except ValueError as error:
            raise ValueError(f"{prefix}_TIMEOUT must be a number of seconds, not {timeout_text!r}") from error
        return cls(
            query_url,
            update_url=update_url or env("UPDATE_URL"),
            graph_store_url=graph_store_url or env("GRAPH_STORE_URL"),
            user=user or env("USER"),
            password=env("PASSWORD"),
            token=env("TOKEN"),
            auth=(auth or env("AUTH") or None),
            timeout=timeout if timeout is not None else default_timeout,
        )

    @property
    def updates(self) -> str:
        """The URL updates are sent to."""
        return self.update_url or self.query_url

    @property
    def auth_kind(self) -> str | None:
        """The authentication used: the one named, else bearer with a token, basic with a user, else none."""
        if self.auth:
            return self.auth
        if self.token:
            return "bearer"
        if self.user:
            return "basic"
        return None

    def __str__(self) -> str:
        return self.query_url

    def describe(self) -> str:
        """Say where the store is, for messages: the query URL, and the update URL when it differs."""
        if self.update_url and self.update_url != self.query_url:
            return f"{self.query_url} (updates: {self.update_url})"
        return self.query_url


def is_url(value) -> bool:
    """Return whether `value` is an http:// or https:// URL (a string)."""
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


def is_remote(location) -> bool:
    """Return whether a store location is remote: a RemoteLocation, or an http(s):// URL string."""
    return isinstance(location, RemoteLocation) or is_url(location)


def default_store_location(environ: Mapping[str, str] | None = None) -> Path:
    """Return the documented default: `$XDG_DATA_HOME/agrs/store`, i.e. `~/.local/share/agrs/store`."""
    environ = os.environ if environ is None else environ
    data_home = environ.get("XDG_DATA_HOME", "")
    # The XDG specification says to ignore a relative (or empty) XDG_DATA_HOME.
    home = Path(environ["HOME"]) if environ.get("HOME") else Path.home()
    base = Path(data_home) if os.path.isabs(data_home) else home / ".local" / "share"
    return base / "agrs" / "store"


def store_location(
    option: "str | os.PathLike | RemoteLocation | None" = None, environ: Mapping[str, str] | None = None
) -> "Path | RemoteLocation":
    """Return the store: `option` (the --store value) if given, else $AGRS_STORE if set, else the default folder.

    An http(s) URL gives a RemoteLocation (its other endpoints and credentials from the AGRS_STORE_… variables),
    anything else a folder.
    """
    environ = os.environ if environ is None else environ
    if isinstance(option, RemoteLocation):
        return option
    if option is not None and str(option) != "":
        return _location(option, environ)
    if environ.get(STORE_ENV):
        return _location(environ[STORE_ENV], environ)
    return default_store_location(environ)


def _location(value, environ: Mapping[str, str]) -> "Path | RemoteLocation":
    if is_url(value):
        return RemoteLocation.from_environment(value, environ=environ)
    return Path(value).expanduser()
