"""What flows through a load: source files, raw records with their line numbers, mapped records, problems."""

import dataclasses
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib.term import Node


class ReadError(Exception):
    """A source cannot be read at all (encoding, format, missing column): the load stops with exit code 2.

    The message names the file, the line (or record) and the field.
    """

    def __init__(self, file: str, message: str, *, line: int | None = None, field: str | None = None):
        self.file, self.line, self.field, self.reason = file, line, field, message
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"{where}: {f'field {field!r}: ' if field else ''}{message}")


@dataclass(frozen=True)
class SourceFile:
    """One input file, identified by content (SHA-256), not by name."""

    path: Path
    sha256: str
    size: int

    @classmethod
    def of(cls, path: Path) -> "SourceFile":
        """Hash a file (streamed) and return its description."""
        digest = hashlib.sha256()
        with open(path, "rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
        return cls(path, digest.hexdigest(), path.stat().st_size)


@dataclass(frozen=True)
class Problem:
    """Why a record is rejected: the field (or SHACL path) and a readable message, and the rule that fired.

    `summary` is a shorter message (a SHACL result's English one, when `message` holds English and French), for
    summaries that list many records at once.
    """

    message: str
    field: str | None = None
    rule: str | None = None
    summary: str | None = dataclasses.field(default=None, compare=False)


@dataclass
class RawRecord:
    """A record as read: its file, its line (1 = first line of the file) or record number, its fields."""

    file: str
    line: int | None
    fields: dict[str, Any]
    original: str | None = None  # the record's text as it stands in the file, for the quarantine


@dataclass
class Record:
    """A mapped record: its triples (rdflib terms), the nodes it describes, its problems and warnings.

    Problems (mapping errors, SHACL violations) reject the record; warnings (SHACL results of severity
    sh:Warning or sh:Info, such as an organisation whose actor type is unknown) are reported, not rejected.
    """

    raw: RawRecord
    triples: list[tuple[Node, Node, Node]] = field(default_factory=list)
    subjects: set[Node] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        """Return whether the record has a problem (mapping or SHACL)."""
        return bool(self.problems)
