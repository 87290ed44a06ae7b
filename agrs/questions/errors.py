"""The two errors of the question library: a broken question file, and a caller's bad parameter value."""

from pathlib import Path


class QuestionError(ValueError):
    """A question file is wrong (header, parameters, SPARQL), or a caller's parameter value is.

    `str(error)` reads `file:line: message` when the file (and line) are known.
    """

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        self.message, self.path, self.line = message, path, line
        where = "" if path is None else f"{path}:" + ("" if line is None else f"{line}:")
        super().__init__(f"{where} {message}" if where else message)


class ParameterError(QuestionError):
    """A caller gave a bad value, an unknown parameter, or left a required one out (400 / exit 2)."""
