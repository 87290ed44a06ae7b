"""Where a term is written: the file and line of a fault that names a term but no file.

The meta-shapes, the quality queries and HermiT report terms (IRIs), not places. A methodologist fixes a file,
so each such fault gets the file and line where the term's subject block starts (`agrs:Commons a owl:Class ;`),
or, for a term that has no block of its own (an undeclared one), the first line that mentions it.
"""

import re
from dataclasses import replace
from pathlib import Path

from agrs.checks.faults import Fault

PREFIX = re.compile(r"^\s*@prefix\s+([\w-]*):\s*<([^>]*)>\s*\.", re.IGNORECASE)
# A subject block starts at column 0 with an IRI or a prefixed name, followed by white space.
SUBJECT = re.compile(r"^(<[^>\s]*>|[A-Za-z][\w-]*:[^\s;,()\[\]]*|:[^\s;,()\[\]]*)\s")


class TermIndex:
    """The subject lines and the mentions of every IRI in a list of Turtle files (read lazily, once)."""

    def __init__(self, files: list[Path]):
        self.files = [path for path in files if path.suffix == ".ttl" and path.is_file()]
        self._subjects: dict[str, tuple[str, int]] | None = None
        self._texts: dict[Path, list[str]] = {}

    def _lines(self, path: Path) -> list[str]:
        if path not in self._texts:
            try:
                self._texts[path] = path.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                self._texts[path] = []
        return self._texts[path]

    @staticmethod
    def _prefixes(lines: list[str]) -> dict[str, str]:
        return {m.group(1): m.group(2) for m in map(PREFIX.match, lines) if m}

    @staticmethod
    def _expand(token: str, prefixes: dict[str, str]) -> str | None:
        if token.startswith("<"):
            return token[1:-1]
        name, _, local = token.partition(":")
        return prefixes[name] + local if name in prefixes else None

    def subjects(self) -> dict[str, tuple[str, int]]:
        """Return, for every IRI that starts a subject block, its first file and line."""
        if self._subjects is None:
            self._subjects = {}
            for path in self.files:
                lines = self._lines(path)
                prefixes = self._prefixes(lines)
                for number, line in enumerate(lines, start=1):
                    found = SUBJECT.match(line)
                    if found and not line.startswith("@"):
                        iri = self._expand(found.group(1), prefixes)
                        if iri:
                            self._subjects.setdefault(iri, (str(path), number))
        return self._subjects

    def mention(self, iri: str) -> tuple[str, int] | None:
        """Return the first file and line that write `iri`, in full or as a prefixed name."""
        for path in self.files:
            lines = self._lines(path)
            forms = [f"<{iri}>"] + [
                f"{name}:{iri[len(namespace) :]}"
                for name, namespace in self._prefixes(lines).items()
                if iri.startswith(namespace) and len(iri) > len(namespace)
            ]
            patterns = [re.compile(r"(?<![\w:/-])" + re.escape(form) + r"(?![\w-])") for form in forms]
            for number, line in enumerate(lines, start=1):
                if not line.lstrip().startswith(("#", "@prefix")) and any(p.search(line) for p in patterns):
                    return str(path), number
        return None

    def where(self, iri: str) -> tuple[str, int] | None:
        """Return where `iri` is defined (its subject block), else where it is first mentioned."""
        return self.subjects().get(iri) or self.mention(iri)


def locate_faults(faults: list[Fault], index: TermIndex) -> list[Fault]:
    """Give each fault that names a term but no line the file (if it has none) and line of that term."""
    located = []
    for fault in faults:
        if fault.term and not fault.line:
            place = index.where(fault.term) if not fault.file else TermIndex([Path(fault.file)]).where(fault.term)
            if place and (not fault.file or Path(place[0]) == Path(fault.file)):
                fault = replace(fault, file=place[0], line=place[1])
        located.append(fault)
    return located
