"""AGRS: the knowledge graph of the Approche globale, résiliente et solidaire."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("agrs")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
