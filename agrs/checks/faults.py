"""What a check reports: faults, and the error a check raises when it cannot run at all."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    """One fault found by a check: which check, which rule, on which term, and why."""

    check: str
    rule: str
    message: str
    term: str | None = None
    file: str | None = None
    line: int | None = None

    def render(self) -> str:
        """Return the fault as one line: where, which check and rule, the term, the message."""
        where = f"{self.file}:{self.line}: " if self.file and self.line else (f"{self.file}: " if self.file else "")
        term = f" <{self.term}>" if self.term else ""
        return f"{where}[{self.check}/{self.rule}]{term} {self.message}"


class CheckCannotRun(RuntimeError):
    """A check could not run (a tool is missing, a file cannot be read); exit code 2."""
