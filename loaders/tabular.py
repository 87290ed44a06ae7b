"""The one tabular reader every loader reads through: bytes to text, text to rows, workbooks to rows.

Text: UTF-8 (with or without BOM), UTF-16 (LE or BE, with a BOM, or without one when the NUL bytes of mostly
Latin text give it away), else Windows-1252 when the loader allows a legacy encoding. Latin-1 files are read by
that fallback: Latin-1 and Windows-1252 agree on every byte except 0x80-0x9F, where Latin-1 has control codes
no text file means; the five bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) stay an error,
so a file in some other encoding is refused, never read as mojibake.

CSV: `;` or `,`, whichever splits the first non-blank line into more cells; quoted cells may span lines; a row's
line is its first physical line; blank rows are skipped; a last row cut short by the end of the file is marked.

XLSX: openpyxl's read-only reader with the declared dimension dropped, so a sheet is read as its cells exist (a
stray cell at XFD1048576 costs one row, not a billion empty cells); the sheet a loader names, among the visible
ones, else the first visible sheet. Why openpyxl and not python-calamine: benchmarks/RESULTS.md, « Tabular reader ».
"""

import csv
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agrs.records import Problem, ReadError

#: the last row of a sheet Excel can address: rows claimed beyond it are not read
MAX_ROWS = 1_048_576
#: the last column a header may reach (AMJ): a header beyond it refuses the sheet (see Workbook.rows)
MAX_COLUMNS = 1024
#: the most a workbook's parts may unpack to, each and together: a zip of repeated XML unpacks a thousandfold
MAX_PART_BYTES, MAX_UNPACKED_BYTES = 256 * 2**20, 1024 * 2**20
#: RawRecord field a loader sets on a row the file ends inside (its value: "<n> of <m> cells")
TRUNCATED = "_truncated_row"

_UTF8_BOM, _UTF16_LE_BOM, _UTF16_BE_BOM = b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"
_LEGACY_NAMES = {"cp1252": "Windows-1252"}


# --- Text ------------------------------------------------------------------------------------------------


class Undecodable(ValueError):
    """Bytes that are in none of the encodings tried; `position` is the first bad byte's offset in the file."""

    def __init__(self, message: str, position: int, line: int, prefix: str):
        super().__init__(message)
        self.position, self.line = position, line
        #: the text before the bad byte, decoded: enough to tell the column it is in
        self.prefix = prefix


def decode(data: bytes, *, fallback: str | None = "cp1252") -> str:
    """Return the text of a file: UTF-8 (BOM dropped), UTF-16 (BOM, or none with NULs), else `fallback`.

    `fallback` is tried only when the bytes are not strictly UTF-8; None refuses anything else. Raises
    Undecodable naming the first byte no encoding tried accepts.
    """
    if data.startswith(_UTF8_BOM):
        return _strict(data, len(_UTF8_BOM), "utf-8", "is not UTF-8 (the file starts with a UTF-8 byte-order mark)")
    if data.startswith((_UTF16_LE_BOM, _UTF16_BE_BOM)):
        codec = "utf-16-le" if data.startswith(_UTF16_LE_BOM) else "utf-16-be"
        return _strict(data, 2, codec, "is not UTF-16 (the file starts with a UTF-16 byte-order mark)")
    codec = _utf16_without_bom(data)
    if codec is not None:
        return _strict(data, 0, codec, "is not UTF-16 (read as UTF-16 for its NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        if fallback is None:
            raise _undecodable(data, 0, "utf-8", error, "is not UTF-8") from None
    name = _LEGACY_NAMES.get(fallback, fallback)
    return _strict(data, 0, fallback, f"is neither UTF-8 nor {name}")


def _utf16_without_bom(data: bytes) -> str | None:
    """Return the UTF-16 codec of text without a BOM, told by its NUL bytes, or None.

    Latin-script text in UTF-16 has a NUL as the high byte of nearly every character; UTF-8 and Windows-1252
    text has none, so the test cannot mistake them. Text in other scripts without a BOM is not recognised.
    """
    sample = data[:4096]
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even, odd = sample[0 : 2 * pairs : 2].count(0), sample[1 : 2 * pairs : 2].count(0)
    if odd >= pairs * 0.4 and even <= pairs * 0.01:
        return "utf-16-le"
    if even >= pairs * 0.4 and odd <= pairs * 0.01:
        return "utf-16-be"
    return None


def _strict(data: bytes, start: int, codec: str, reason: str) -> str:
    try:
        return data[start:].decode(codec)
    except UnicodeDecodeError as error:
        raise _undecodable(data, start, codec, error, reason) from None


def _undecodable(data: bytes, start: int, codec: str, error: UnicodeDecodeError, reason: str) -> Undecodable:
    """Describe the first bad byte: its offset in the file, its line, the text before it."""
    position = start + error.start
    prefix = data[start:position].decode(codec)  # decodes: the error is the first one
    shown = " ".join(f"0x{byte:02X}" for byte in data[position : start + error.end])
    word = "byte" if error.end - error.start == 1 else "bytes"
    return Undecodable(f"{word} {shown} {reason}", position, prefix.count("\n") + 1, prefix)


def read_text(data: bytes, file: str, *, fallback: str | None = "cp1252", hint: str = "") -> str:
    """Decode a file (see `decode`); ReadError naming the line of the first bad byte (and `hint`, if given)."""
    try:
        return decode(data, fallback=fallback)
    except Undecodable as error:
        raise ReadError(file, f"{error}{hint}", line=error.line) from None


def read_json(data: bytes, file: str, *, fallback: str | None = "cp1252", hint: str = "") -> Any:
    """Decode and parse a JSON document; ReadError naming the line of a bad byte or of the syntax error."""
    text = read_text(data, file, fallback=fallback, hint=hint)
    try:
        return json.loads(text, parse_int=_json_int)
    except json.JSONDecodeError as error:
        raise ReadError(file, f"invalid JSON: {error.msg} (column {error.colno})", line=error.lineno) from None
    except RecursionError:
        raise ReadError(file, "refused: JSON nested too deeply (thousands of [ or { inside one another)") from None
    except ValueError as error:  # _json_int's refusal of a number no field holds
        raise ReadError(file, f"refused: {error}") from None


#: digits an integer in a JSON source may have: no code, count or amount is longer (Python refuses 4300 anyway)
MAX_JSON_DIGITS = 100


def _json_int(digits: str) -> int:
    """Parse a JSON integer, refusing one too long to be data (a huge number costs quadratic time to convert)."""
    if len(digits.lstrip("-")) > MAX_JSON_DIGITS:
        count = len(digits.lstrip("-"))
        raise ValueError(f"a JSON number of {count} digits (more than {MAX_JSON_DIGITS}): no field holds one")
    return int(digits)


def looks_like_json(data: bytes) -> bool:
    """Return whether a file's first non-blank character (after any BOM) opens a JSON array or object."""
    try:
        head = decode(data[:256], fallback="latin-1")
    except Undecodable as error:  # a character cut by the 256-byte window: what comes before it is enough
        head = error.prefix
    return head.lstrip("\ufeff \t\r\n")[:1] in ("[", "{")


# --- Headers and cells -----------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Return a key for loose comparison: no accents, lower case, runs of other characters as one hyphen."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[^a-z0-9]+", "-", bare.lower()).strip("-")


def sniff_separator(header: str) -> str:
    """Return `;` or `,`, whichever separates more cells of the header line (`,` when neither does)."""
    counts = {sep: len(next(csv.reader([header], delimiter=sep), [])) for sep in ";,"}
    return ";" if counts[";"] > counts[","] else ","


def cell_text(value: Any) -> str:
    """Return a spreadsheet or JSON value as the text a CSV cell would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a SIREN typed as a number comes back as 213300635.0
    if isinstance(value, list):
        return "; ".join(cell_text(item) for item in value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


def csv_line(cells: list[str]) -> str:
    """Return cells as one CSV line (`,`, minimal quoting): the text the quarantine shows for a sheet row."""
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()


def match_columns(
    headers: list[str], aliases: dict[str, str], required: tuple[str, ...], *, file: str, line: int | None,
    missing: str = "required column missing",
) -> list[str | None]:  # fmt: skip
    """Map header cells to canonical columns by their `normalise`d aliases (None for a column not used).

    Raises ReadError when a required column is missing or two headers mean the same column.
    """
    columns: list[str | None] = []
    for header in headers:
        column = aliases.get(normalise(header))
        if column is not None and column in columns:
            raise ReadError(file, f"two columns mean {column!r} (the second is {header!r})", line=line, field=column)
        columns.append(column)
    for name in required:
        if name not in columns:
            if any("\x00" in header for header in headers):
                # UTF-16 of non-Latin text without a BOM has too few NULs for `decode` to tell it, but its ASCII
                # header keeps one after each letter: say so rather than list columns that look like `i d`.
                raise ReadError(file, "the header holds NUL bytes: the file looks like UTF-16 without a byte-order "
                                "mark; save it as UTF-8 (or UTF-16 with its BOM)", line=line)  # fmt: skip
            found = ", ".join(repr(header) for header in headers if header) or "none"
            raise ReadError(file, f"{missing} (columns found: {found})", line=line, field=name)
    return columns


def split_cells(columns: list[str | None], cells: list[str]) -> tuple[dict[str, str], int]:
    """Return one row's fields (canonical column → stripped text, "" when absent) and its stray cells' count.

    Stray cells are the non-empty cells beyond the header's last column.
    """
    fields = {column: "" for column in columns if column}
    for column, cell in zip(columns, cells, strict=False):
        if column:
            fields[column] = cell.strip()
    return fields, sum(1 for cell in cells[len(columns) :] if cell.strip())


def truncation_problems(fields: dict[str, Any]) -> list[Problem]:
    """Return the problem of a row the file ends inside (its fields carry TRUNCATED), else nothing."""
    if not fields.get(TRUNCATED):
        return []
    message = (
        f"the file ends inside this row (only {fields[TRUNCATED]} and no line end): the rest of "
        "the row is missing; was the file cut short?"
    )
    return [Problem(message, None, "truncated-row")]


# --- Rows ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One non-blank row: its line (first physical CSV line, or sheet row number), cells, text as in the file.

    `truncated` ("<n> of <m> cells") marks the row the file ends inside: no line end after it and fewer cells
    than the header, the last row of a file cut short, which must not load as if it were whole.
    """

    line: int
    cells: list[str]
    text: str
    truncated: str | None = None


def read_csv(
    data: bytes, file: str, *, fallback: str | None = "cp1252", field_of: Callable[[str], str | None] | None = None,
    hint: str = "",
) -> Iterator[Row]:  # fmt: skip
    """Yield the non-blank rows of a CSV file, the header first; ReadError for an empty file or bad quoting.

    The error for an undecodable byte names its line, and its field through `field_of` (see `decode_csv`).
    """
    text = decode_csv(data, file, fallback=fallback, field_of=field_of, hint=hint)
    # The same line splitting as the csv module's, so that a row's text lines up with its line numbers.
    lines = list(io.StringIO(text, newline=""))
    first = next((line for line in lines if line.strip()), None)
    if first is None:
        raise ReadError(file, "empty file: no header row", line=1)
    ends_cleanly = text.endswith(("\n", "\r"))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_separator(first.rstrip("\r\n")), strict=True)
    width, previous = None, 0
    try:
        for cells in reader:
            start, end = previous + 1, reader.line_num
            previous = end
            if not any(cell.strip() for cell in cells):
                continue
            truncated = None
            if width is None:
                width = len(cells)
            elif not ends_cleanly and end == len(lines) and len(cells) < width:
                truncated = f"{len(cells)} of {width} cells"
            yield Row(start, cells, "".join(lines[start - 1 : end]).rstrip("\r\n"), truncated)
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise ReadError(
                file, f"refused: a cell longer than {csv.field_size_limit()} characters (a quote never closed, or not "
                "a CSV file?)", line=reader.line_num,
            ) from None  # fmt: skip
        raise ReadError(file, f"malformed CSV: {error}", line=reader.line_num) from None


def decode_csv(
    data: bytes, file: str, *, fallback: str | None = "cp1252", field_of: Callable[[str], str | None] | None = None,
    hint: str = "",
) -> str:  # fmt: skip
    """Decode a CSV file (see `decode`); ReadError naming the line and, through `field_of`, the field of a bad byte.

    `field_of` turns the header cell of the column the byte is in into the field the error names (best effort:
    a quoted cell spanning lines misleads it); without it the error names the line only.
    """
    try:
        return decode(data, fallback=fallback)
    except Undecodable as error:
        field = _field_at(error, field_of) if field_of is not None else None
        raise ReadError(file, f"{error}{hint}", line=error.line, field=field) from None


def _field_at(error: Undecodable, field_of: Callable[[str], str | None]) -> str | None:
    """Return the field of the column an undecodable byte is in (None on the header line or when unknown)."""
    try:
        return _column_at(error, field_of)
    except csv.Error:  # text before the byte that is no CSV (a binary file): the line is all that can be said
        return None


def _column_at(error: Undecodable, field_of: Callable[[str], str | None]) -> str | None:
    lines = error.prefix.split("\n")
    header = next((line.rstrip("\r") for line in lines[:-1] if line.strip()), None)
    if header is None:
        return None  # the bad byte is on the header line
    # Tabs too: some loaders (the COG's) read tab-separated files.
    separator = max(";,\t", key=lambda sep: len(next(csv.reader([header], delimiter=sep), [])))
    column = len(next(csv.reader([lines[-1]], delimiter=separator), [""])) - 1
    headers = next(csv.reader([header], delimiter=separator), [])
    return field_of(headers[column]) if 0 <= column < len(headers) and headers[column] else None


# --- Workbooks -------------------------------------------------------------------------------------------


def format_of(path: Path, *, formats: tuple[str, ...] = ("csv", "xlsx", "json")) -> str:
    """Return how to read a file: "xlsx", "json" or "csv", by suffix, else by content.

    A zip is a workbook whatever its name; `.json` or content opening with `[`/`{` is JSON (when the loader
    reads JSON); anything else is CSV. ReadError for a missing file and for Excel 97 workbooks (.xls).
    """
    if not path.is_file():
        raise ReadError(str(path), "no such file")
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise ReadError(str(path), "Excel 97 workbooks (.xls) are not read: save it as .xlsx or .csv")
    with open(path, "rb") as stream:
        head = stream.read(256)
    if suffix in (".xlsx", ".xlsm") or head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if "json" in formats and (suffix == ".json" or (suffix not in (".csv", ".txt") and looks_like_json(head))):
        return "json"
    return "csv"


def _check_unpacked_size(path: Path, file: str, what: str) -> None:
    """Refuse a workbook whose parts would unpack to more than MAX_PART_BYTES each or MAX_UNPACKED_BYTES in all.

    The zip's directory gives the sizes, and Python's zip reader stops at the size given, so this bounds reading.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            sizes = [(info.filename, info.file_size) for info in archive.infolist()]
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ReadError(file, f"not a readable {what}: {error}") from None
    largest = max(sizes, key=lambda item: item[1], default=("", 0))
    total = sum(size for _, size in sizes)
    if largest[1] > MAX_PART_BYTES or total > MAX_UNPACKED_BYTES:
        raise ReadError(
            file, f"refused: the {what} unpacks to {total // 2**20} MB ({largest[0]}: {largest[1] // 2**20} MB), more "
            f"than the {MAX_PART_BYTES // 2**20} MB a part or {MAX_UNPACKED_BYTES // 2**20} MB in all that are read",
        )  # fmt: skip


class Workbook:
    """An XLSX workbook opened read-only: sheets chosen among the visible ones, rows read as their cells exist.

    Use it as a context manager (read-only mode keeps the file open until closed).
    """

    def __init__(self, path: Path, *, what: str = "XLSX workbook"):
        import openpyxl  # only workbooks need it: CSV and JSON loads do not pay for the import

        self.file = str(path)
        _check_unpacked_size(path, self.file, what)
        try:
            self._book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as error:
            # openpyxl raises many kinds on a malformed part (BadZipFile, InvalidFileException, KeyError, ValueError,
            # TypeError, the XML parser's ParseError…): each means a file it cannot read, never a bug of the caller
            raise ReadError(self.file, f"not a readable {what}: {error}") from None

    def __enter__(self) -> "Workbook":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Close the file."""
        self._book.close()

    @property
    def names(self) -> list[str]:
        """The titles of every worksheet, hidden ones too, in workbook order."""
        return [sheet.title for sheet in self._book.worksheets]

    def sheet(self, *names: str, hidden: bool = False):
        """Return the first visible sheet whose title means one of `names` (compared by `normalise`), or None.

        With `hidden`, a hidden sheet of that name is taken when no visible one has it (for formats that name
        their sheets, such as XLSForm, whose tools read hidden sheets too); a visible one always wins.
        """
        wanted = {normalise(name) for name in names}
        candidates = [sheet for sheet in self._book.worksheets if normalise(sheet.title) in wanted]
        visible = [sheet for sheet in candidates if sheet.sheet_state == "visible"]
        if visible:
            return visible[0]
        return candidates[0] if hidden and candidates else None

    def first_visible(self):
        """Return the first visible worksheet (hidden and very hidden sheets are skipped); ReadError if none."""
        for sheet in self._book.worksheets:
            if sheet.sheet_state == "visible":
                return sheet
        raise ReadError(self.file, "the workbook has no visible sheet")

    def rows(self, sheet) -> Iterator[Row]:
        """Yield the non-empty rows of a sheet, the header first; the line is the row number.

        Only the cells the sheet's XML holds are read: the declared dimension is ignored and missing rows are not
        made up, so a stray cell at XFD1048576 costs one cell, not a million empty rows. A row's cells run over
        the header's columns, then its non-empty cells beyond them, side by side (the loaders reject a row with
        cells beyond the header): a row costs what the file holds, never 16,384 padded cells. A header reaching
        beyond column MAX_COLUMNS refuses the sheet (ReadError naming the cell). A row's text is its cells as a
        CSV line, padded to the header's width.
        """
        from openpyxl.utils import get_column_letter
        from openpyxl.worksheet._reader import WorkSheetParser

        width, number = None, 0
        try:
            # openpyxl's own row parser, as its read-only sheets use it, without the padding of their iter_rows:
            # it yields each <row> with the cells it holds, nothing for the rows and cells that do not exist.
            with sheet._get_source() as source:
                parser = WorkSheetParser(
                    source, sheet._shared_strings, data_only=True, epoch=self._book.epoch,
                    date_formats=self._book._date_formats, timedelta_formats=self._book._timedelta_formats,
                )  # fmt: skip
                for number, parsed in parser.parse():
                    present = {}
                    for cell in parsed:
                        text = cell_text(cell["value"])
                        if text:
                            present[cell["column"]] = text
                    if not present or number > MAX_ROWS:
                        continue
                    if width is None:
                        width = max(present)
                        if width > MAX_COLUMNS:
                            raise ReadError(
                                self.file, f"sheet {sheet.title!r}: refused: its header reaches cell "
                                f"{get_column_letter(width)}{number}, beyond column {get_column_letter(MAX_COLUMNS)} "
                                "(the last one read): delete the stray cell (Ctrl+End in Excel shows the last one)",
                                line=number,
                            )  # fmt: skip
                    cells = [present.get(column, "") for column in range(1, width + 1)]
                    cells += [present[column] for column in sorted(present) if column > width]
                    while cells and not cells[-1]:
                        cells.pop()
                    yield Row(number, cells, csv_line(cells + [""] * (width - len(cells))))
        except ReadError:
            raise
        except Exception as error:
            # A sheet part that is not well-formed XML, a cell reference that is no reference, a bad shared string:
            # openpyxl raises many kinds (KeyError, ValueError, IndexError, ParseError…), each a file it cannot read.
            raise ReadError(self.file, f"sheet {sheet.title!r} is not readable after row {number}: {error}") from None


__all__ = [
    "MAX_COLUMNS", "MAX_ROWS", "TRUNCATED", "Row", "Undecodable", "Workbook", "cell_text", "csv_line", "decode",
    "decode_csv",
    "format_of", "looks_like_json", "match_columns", "normalise", "read_csv", "read_json", "read_text",
    "sniff_separator", "split_cells", "truncation_problems",
]  # fmt: skip
