"""Reading CSV files for the all-or-nothing imports: the one shape every importer takes.

An import declares its columns once (`Columns`: each column's name, how a cell is read, whether it may
be empty). Its service then

1. reads the reference data the rows name in bulk (`codes_lookup`: one query per CHUNK codes, never
   one per row);
2. reads every row through its columns (`Columns.parse`) and checks the rules between cells, collecting
   every problem with its line and column;
3. writes only when there is none (`Checker.raise_if_any` raises ImportRejected otherwise), in one
   transaction.

The same `Problem` list is what the management command prints, the admin shows and the API returns.
A `CsvImporter` (kind, columns, service) is what the command and the admin upload run.

What a file and its cells may be, for every import (and, for numbers, the API too):

- Encoding: UTF-8, with or without a BOM, or GB18030 (a superset of GBK: what Chinese Excel's
  "CSV (逗号分隔)" writes). `encoding="auto"` tries UTF-8 strictly and falls back to GB18030; a file
  neither reads is refused with the line and column of each cell that cannot be read (a file that is
  mostly UTF-8 with a few bad bytes is reported as bad UTF-8, not read as GB18030). A NUL character
  in a cell is refused the same way.
- Shape: the header names the columns; a row with more non-empty cells than the header has columns
  is refused (an unquoted `1,234` would otherwise be read as 1, its `234` dropped).
- Numbers (`decimal`, and lib.api_fields.NumberField for the API): ASCII digits, an optional leading
  minus, optional thousands commas in groups of three (`1,234,567.5`) and an optional decimal point
  followed by digits. Nothing else: no exponent (`1E3`), no `+`, no NaN or Infinity, no spaces inside.
  Full-width digits and signs (`１２，３４５．６７`, `－５`), as a Chinese input method types them, are read
  as their ASCII forms; any other digits (Arabic-Indic `١٢`, Devanagari …) are refused.
- Dates (`date`): YYYY-MM-DD, or YYYY/MM/DD (also YYYY/M/D) as Chinese Excel writes them; from
  1900-01-01 to 2100-12-31 (lib.periods). Digits in dates and codes are ASCII only.
"""

from __future__ import annotations

import csv
import datetime
import functools
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
from django.db import connections
from django.db.models import BooleanField, Model, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy

from lib.periods import (
    FIRST_DAY,
    FIRST_YEAR,
    LAST_DAY,
    LAST_YEAR,
    NOT_A_MONTH,
    PERIOD_FORMATS_TEXT,
    OutOfRangeError,
    Period,
    parse_date,
    parse_month,
    parse_period,
)

# Codes per query of codes_lookup: well under SQLite's parameter limit.
CHUNK = 5000


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input. `line` is the file line (the header is line 1) or, for the API,
    the index of the row in the batch."""

    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else "file"
        return f"{where}, column '{self.field}': {self.message}" if self.field else f"{where}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class ImportRejected(Exception):
    """Nothing was written because of these problems."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s); nothing was imported")


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"

    def described(self) -> str:
        """The counts in the reader's language, for a page or the admin (str() is the commands' English)."""
        return gettext("%(created)s created, %(updated)s updated, %(unchanged)s unchanged") % asdict(self)


@dataclass(frozen=True)
class CsvRow:
    line: int
    values: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return (self.values.get(column) or "").strip()

    def has(self, column: str) -> bool:
        return column in self.values


ENCODINGS = ("auto", "utf-8", "gb18030")
_ENCODING_NAMES = {"utf-8": "UTF-8", "gb18030": "GB18030 (GBK)"}
# What a decoded cell may not hold: bytes the encoding could not read (kept by "surrogateescape" as
# U+DC80–U+DCFF, so they can be found again in their cell) and NUL.
_UNREADABLE = re.compile("[\x00\udc80-\udcff]")
_NON_ASCII_TEXT = re.compile("[^\x00-\x7f\udc80-\udcff]")


def read_csv(source: str | Path | IO[bytes] | bytes, *, columns: Iterable[str], encoding: str = "auto") -> list[CsvRow]:
    """Rows of a CSV file whose header holds at least `columns`.

    `encoding` is "utf-8" (with or without a BOM), "gb18030" (GBK files too) or "auto": UTF-8 if the
    whole file is UTF-8, else GB18030 (see the module's docstring). Raises ImportRejected, naming the
    line and column, when a cell cannot be decoded or holds NUL, a row has more cells than the header
    has columns, or a required column is missing.
    """
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown encoding {encoding!r}; one of {', '.join(ENCODINGS)}")
    raw = _raw(source)
    text, read_as, unreadable = _decode(raw, encoding)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header_cells = next(reader, [])
        header = [name.strip() for name in header_cells]
        problems = []
        scan = unreadable or "\x00" in text  # once: each row's cells are searched only when needed
        if scan:
            problems += _unreadable_cells(1, header_cells, [""] * len(header_cells), read_as, encoding)
        missing = [column for column in columns if column not in header]
        if missing and not problems:
            expected = ",".join(columns)
            raise ImportRejected(
                [
                    Problem(
                        1,
                        column,
                        gettext("the header has no '%(column)s' column (expected %(expected)s)")
                        % {"column": column, "expected": expected},
                    )
                    for column in missing
                ]
            )
        rows = []
        width = len(header)
        for cells in reader:
            if len(cells) == width and not scan and cells[0] and not cells[0].isspace():
                # The common row, in its cheapest form: as wide as the header, its first cell not blank.
                rows.append(CsvRow(line=reader.line_num, values=dict(zip(header, cells, strict=False))))
                continue
            if not any(cell.strip() for cell in cells):
                continue  # blank line
            line = reader.line_num
            if scan:
                problems += _unreadable_cells(line, cells, header, read_as, encoding)
            if any(cell.strip() for cell in cells[len(header) :]):
                # Empty cells after the last column (a spreadsheet writes `…,12,`) hold nothing to lose.
                used = max(index for index, cell in enumerate(cells) if cell.strip()) + 1
                extra = ", ".join(f"'{cell.strip()}'" for cell in cells[len(header) : used])
                problems.append(
                    Problem(
                        line,
                        "",
                        gettext(
                            "has %(used)s cells but the header has %(columns)s columns (the extra: %(extra)s); "
                            'quote a value that holds a comma, such as "1,234"'
                        )
                        % {"used": used, "columns": len(header), "extra": extra},
                    )
                )
            # A short row's missing cells are empty (the column is in the file), as csv.DictReader has it.
            cells += [""] * (len(header) - len(cells))
            rows.append(CsvRow(line=line, values=dict(zip(header, cells, strict=False))))
    except csv.Error as error:  # a cell larger than the csv module's limit (128 KB), a stray quote
        message = gettext("cannot be read as CSV (%(error)s)") % {"error": error}
        raise ImportRejected([Problem(reader.line_num or 1, "", message)]) from None
    if problems:
        raise ImportRejected(problems)
    return rows


def read_csv_columns(
    source: str | Path | IO[bytes] | bytes, *, columns: Iterable[str], encoding: str = "auto"
) -> pd.DataFrame:
    """read_csv's rows column-wise: a DataFrame with a `line` column (the file line, as CsvRow.line) and
    one column of text per header name (cells as written, not stripped; a short row's missing cells
    empty), for a service that checks a large file a column at a time (kpi's facts_ingest).

    The same file reads to the same rows and lines as read_csv, and the same problems are raised: a
    plain file (no quote character, no bare carriage return, no blank line, each row exactly as wide as
    the header, decoded without a bad byte or a NUL) is read by pandas' C reader, half a million rows in
    a fraction of a second; any other file goes through read_csv and its rows are laid out as columns.
    """
    raw = _raw(source)
    text, _read_as, unreadable = _decode(raw, encoding) if encoding in ENCODINGS else ("", "", True)
    frame = None if unreadable else _plain_columns(text)
    if frame is not None and not all(column in frame.columns for column in columns):
        frame = None  # read_csv says which column is missing
    if frame is None:
        return rows_as_columns(read_csv(raw, columns=columns, encoding=encoding))
    return frame


def rows_as_columns(rows: list[CsvRow], names: Iterable[str] | None = None) -> pd.DataFrame:
    """CsvRow objects as read_csv_columns lays them out: `line`, then a column per name (by default every
    name any row has; a row without a name has None there)."""
    if names is None:
        names = list(dict.fromkeys(name for row in rows for name in row.values))
    data = {"line": np.fromiter((row.line for row in rows), dtype=np.int64, count=len(rows))}
    for name in names:
        cells = np.empty(len(rows), dtype=object)
        cells[:] = [row.values.get(name) for row in rows]
        data[name] = pd.Series(cells, dtype=object)  # as given: pandas would read None as NaN in a str column
    return pd.DataFrame(data)


def _raw(source: str | Path | IO[bytes] | bytes) -> bytes:
    if isinstance(source, (str, Path)):
        return Path(source).read_bytes()
    if isinstance(source, bytes):
        return source
    return source.read()


def _plain_columns(text: str) -> pd.DataFrame | None:
    """The rows of a plain file (see read_csv_columns) through pandas, or None when the file is not one
    (read_csv then reads it: it has the words for what is wrong)."""
    if '"' in text or "\x00" in text or text.count("\r") != text.count("\r\n"):
        return None
    text = text.replace("\r\n", "\n") if "\r" in text else text
    header_line, _newline, body = text.partition("\n")
    header = [name.strip() for name in header_line.split(",")]
    if not header_line.strip() or len(set(header)) != len(header):
        return None
    lines = body.count("\n") + (1 if body and not body.endswith("\n") else 0)
    if "\n\n" in body or body.startswith("\n"):
        return None  # a blank line: read_csv skips it, and the lines after it keep their numbers
    if not lines:
        return pd.DataFrame(
            {"line": np.zeros(0, dtype=np.int64), **{name: np.zeros(0, dtype=object) for name in header}}
        )
    try:
        frame = pd.read_csv(io.StringIO(body), header=None, dtype=str, na_filter=False, index_col=False, engine="c")
    except (pd.errors.ParserError, ValueError):
        return None  # a row wider than the first one
    if frame.shape != (lines, len(header)):
        return None
    frame.columns = header
    first = frame[header[0]]
    blank_first = (first.str.strip() == "").to_numpy()
    if blank_first.any() and any(
        not any(cell.strip() for cell in cells) for cells in frame[blank_first].itertuples(index=False)
    ):
        return None  # a row of empty cells: read_csv leaves it out
    frame.insert(0, "line", np.arange(2, lines + 2, dtype=np.int64))
    return frame


def _decode(raw: bytes, encoding: str) -> tuple[str, str, bool]:
    """(the text, the encoding it was read as, whether some bytes could not be read). Bytes that could
    not be read are in the text as U+DC80–U+DCFF ("surrogateescape"), so read_csv can say in which
    cells they are."""
    if encoding == "auto":
        try:
            return raw.decode("utf-8-sig"), "utf-8", False
        except UnicodeDecodeError:
            pass
        as_utf8 = raw.decode("utf-8-sig", "surrogateescape")
        bad_utf8 = len(_UNREADABLE.findall(as_utf8))
        # More well-formed non-ASCII characters than bad bytes: a UTF-8 file with a few bad bytes, which
        # GB18030 would read without complaint as nonsense (its two-byte range takes most byte pairs).
        if len(_NON_ASCII_TEXT.findall(as_utf8)) > bad_utf8:
            return as_utf8, "utf-8", True
        try:
            return raw.decode("gb18030").removeprefix("\ufeff"), "gb18030", False
        except UnicodeDecodeError:
            pass
        as_gb = raw.decode("gb18030", "surrogateescape").removeprefix("\ufeff")
        if len(_UNREADABLE.findall(as_gb)) < bad_utf8:
            return as_gb, "gb18030", True
        return as_utf8, "utf-8", True
    codec = "utf-8-sig" if encoding == "utf-8" else encoding
    try:
        return raw.decode(codec).removeprefix("\ufeff"), encoding, False
    except UnicodeDecodeError:
        return raw.decode(codec, "surrogateescape").removeprefix("\ufeff"), encoding, True


def _unreadable_cells(line: int, cells: list[str], header: list[str], read_as: str, encoding: str) -> list[Problem]:
    """A problem for each cell of a row that holds bytes the encoding could not read, or NUL."""
    problems = []
    for index, cell in enumerate(cells):
        found = _UNREADABLE.search(cell)
        if found is None:
            continue
        column = header[index] if index < len(header) else ""
        where = (
            gettext("column %(number)s") % {"number": index + 1} if line == 1 or not column else gettext("this cell")
        )
        if found.group() == "\x00":
            problems.append(
                Problem(line, column, gettext("%(where)s holds a NUL character; remove it") % {"where": where})
            )
            continue
        if encoding == "auto":
            message = gettext(
                '%(where)s is neither UTF-8 nor GB18030 (GBK) text; save the file as "CSV UTF-8" or as "CSV (逗号分隔)"'
            ) % {"where": where}
        else:
            message = gettext("%(where)s is not %(encoding)s text; choose the file's encoding (or auto)") % {
                "where": where,
                "encoding": _ENCODING_NAMES[read_as],
            }
        problems.append(Problem(line, column, message))
    return problems


# -- reading a cell -----------------------------------------------------------------------------------
# A parser reads one non-empty, stripped cell and raises ValueError (saying what is wrong) when it
# cannot. Its `expected`, when it has one, completes the problem of an empty required cell:
# "is required (a date as YYYY-MM-DD)".

Parser = Callable[[str], Any]
# The number grammar (see the module's docstring): matched whole, on ASCII only.
_NUMBER = re.compile(r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?")
# Full-width digits, comma, point and minus, as a Chinese input method types them.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９，．－", "0123456789,.-")


def valid_code(pattern: str) -> Parser:
    regex = re.compile(pattern)

    def parse(value: str) -> str:
        if not regex.match(value):
            raise ValueError(
                gettext("'%(value)s' is not a valid code (letters, digits, '_', '.', '-'; at most 32)")
                % {"value": value}
            )
        return value

    return parse


class _OneOf:
    """A choice's `expected`, in the reader's language when it is written: "one of urban, county"."""

    def __init__(self, listed: str) -> None:
        self.listed = listed

    def __str__(self) -> str:
        return gettext("one of %(listed)s") % {"listed": self.listed}


def choice(values: Iterable[str]) -> Parser:
    allowed = list(values)
    listed = ", ".join(allowed)

    def parse(value: str) -> str:
        if value not in allowed:
            raise ValueError(gettext("'%(value)s' is not one of %(listed)s") % {"value": value, "listed": listed})
        return value

    parse.expected = _OneOf(listed)
    return parse


def date(value: str) -> datetime.date:
    try:
        return _date(value)
    except OutOfRangeError:
        raise OutOfRangeError(
            gettext("'%(value)s' is outside the supported range (%(first)s to %(last)s)")
            % {"value": value, "first": FIRST_DAY, "last": LAST_DAY}
        ) from None
    except ValueError:
        raise ValueError(gettext("'%(value)s' is not a date as YYYY-MM-DD") % {"value": value}) from None


@functools.lru_cache(maxsize=4096)  # a file holds a handful of dates in many rows
def _date(value: str) -> datetime.date:
    return parse_date(value, slashes=True)


def decimal(value: str) -> Decimal:
    """A number of the one grammar of the imports and the API (see the module's docstring)."""
    text = value if value.isascii() else value.translate(_FULL_WIDTH)
    if not _NUMBER.fullmatch(text):
        raise ValueError(gettext("'%(value)s' is not a number (expected digits such as 123.45)") % {"value": value})
    return Decimal(text.replace(",", "") if "," in text else text)


date.expected, decimal.expected = gettext_lazy("a date as YYYY-MM-DD"), gettext_lazy("a number such as 123.45")


def period(value: str) -> Period:
    """A period code of any kind (lib.periods.parse_period), said wrong in the reader's language."""
    try:
        return parse_period(value)
    except OutOfRangeError:
        raise OutOfRangeError(
            gettext("'%(value)s' is outside the supported range (years %(first)s to %(last)s)")
            % {"value": value, "first": FIRST_YEAR, "last": LAST_YEAR}
        ) from None
    except ValueError:
        raise ValueError(
            gettext("'%(value)s' is not a period (expected %(formats)s)")
            % {"value": value, "formats": PERIOD_FORMATS_TEXT}
        ) from None


def month(value: str) -> datetime.date:
    """A month as YYYY-MM (lib.periods.parse_month), stored as its first day."""
    try:
        return parse_month(value)
    except ValueError:
        raise ValueError(gettext(NOT_A_MONTH) % {"text": value}) from None


period.expected = format_lazy(gettext_lazy("expected {formats}"), formats=PERIOD_FORMATS_TEXT)
month.expected = gettext_lazy("a month as YYYY-MM, such as 2026-11")


def boolean(value: str) -> bool:
    lowered = value.lower()
    if lowered in ("0", "false", "no", "n", "否"):
        return False
    if lowered in ("1", "true", "yes", "y", "是"):
        return True
    raise ValueError(gettext("'%(value)s' is not yes/no (1/0, true/false)") % {"value": value})


def known(found: Mapping[str, Any], unknown: str) -> Parser:
    """A code among those read in bulk (codes_lookup): its value there. `unknown` says what is wrong
    with any other, '{}' standing for the code."""

    def parse(value: str) -> Any:
        try:
            return found[value]
        except KeyError:
            raise ValueError(unknown.format(value)) from None

    return parse


# -- the columns of an import -------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of an import file.

    required: an empty cell is a problem: "is required", completed by the text given here or else by
              the parser's `expected`. An empty cell of a column that is not required reads as `default`.
    optional: the header may leave the column out; the rows then have no value for it at all (an
              update keeps what is stored).
    """

    name: str
    parse: Parser = str
    required: bool | str = False
    default: Any = None
    optional: bool = False

    @property
    def missing(self) -> str:
        """The problem of an empty cell that is required (or that a rule of its row requires)."""
        hint = getattr(self.parse, "expected", "") if isinstance(self.required, bool) else self.required
        return gettext("is required (%(hint)s)") % {"hint": hint} if hint else gettext("is required")


class Columns(tuple):
    """The columns of an import, declared once. As a tuple it holds the names the header must have (what
    read_csv checks and the upload page shows); `declared` holds every Column, optional ones too."""

    declared: tuple[Column, ...]

    def __new__(cls, *declared: Column) -> Columns:
        names = super().__new__(cls, (column.name for column in declared if not column.optional))
        names.declared = declared
        return names

    def parse(self, rows: Iterable[CsvRow], check: Checker, **parsers: Parser) -> Iterator[Row]:
        """Each row with its cells read by their columns, every problem added to `check`.

        `parsers` replace, for this run, the parser of the columns they name: those that need the data
        the run read in bulk (`known(units, …)`, a `choice` among the posts in the database).
        """
        by_name = {column.name: column for column in self.declared}
        if unknown := parsers.keys() - by_name.keys():
            raise TypeError(f"no column named {', '.join(sorted(unknown))}")
        by_name.update({name: replace(by_name[name], parse=parse) for name, parse in parsers.items()})
        # The loop below runs for every cell of files of a hundred thousand rows: plain tuples, no calls.
        columns = [(c.name, c.parse, c.required and c.missing, c.default, c.optional) for c in by_name.values()]
        for cells in rows:
            row = Row(cells, check, by_name)
            for name, parse, missing, default, optional in columns:
                if optional and not cells.has(name):
                    continue
                row.texts[name] = text = cells[name]
                if not text:
                    if missing:
                        check.add(cells.line, name, missing)
                    row[name] = default
                    continue
                try:
                    row[name] = parse(text)
                except ValueError as exc:
                    check.add(cells.line, name, str(exc))
                    row[name] = None
            yield row


class Row(dict):
    """A row read through its columns: `row["unit"]` is the cell's value (None when it is empty or
    wrong, or its column optional and not in the file), `row.text("unit")` the cell as written. Rules
    between cells add problems with `row.problem()`."""

    __slots__ = ("_before", "_check", "_columns", "cells", "texts")

    def __init__(self, cells: CsvRow, check: Checker, columns: dict[str, Column]):
        super().__init__()
        self.cells, self.texts = cells, {}
        self._check, self._before, self._columns = check, len(check.problems), columns

    def __missing__(self, name: str) -> None:
        if name not in self._columns:
            raise KeyError(name)

    @property
    def line(self) -> int:
        return self.cells.line

    @property
    def ok(self) -> bool:
        """No problem in this row so far."""
        return len(self._check.problems) == self._before

    def text(self, name: str) -> str:
        return self.texts.get(name, "")

    def problem(self, column: str, message: str) -> None:
        self._check.add(self.cells.line, column, message)

    def require(self, *names: str) -> None:
        """Cells a rule of the row requires (an outlet's area): each empty one is a problem."""
        for name in names:
            if not self.text(name):
                self.problem(name, self._columns[name].missing)


class Checker:
    """Collects problems while rows are read, so one pass reports every bad row."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self._first_line: dict[Any, int | None] = {}

    def add(self, line: int | None, field_name: str, message: str) -> None:
        self.problems.append(Problem(line, field_name, message))

    def raise_if_any(self) -> None:
        if self.problems:
            raise ImportRejected(sorted(self.problems, key=lambda p: (p.line or 0, p.field)))

    def seen(self) -> set:
        """The keys repeated() has been asked about."""
        return set(self._first_line)

    def repeated(self, key: Any, line: int | None) -> int | None:
        """The line of an earlier row with this key (what a file may hold once), else None: then this
        line is remembered as the key's."""
        if key in self._first_line:
            return self._first_line[key]
        self._first_line[key] = line
        return None


# -- reference data in bulk ---------------------------------------------------------------------------


def chunked(items: Iterable, size: int = CHUNK) -> Iterator[list]:
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def codes_lookup(
    source: type[Model] | QuerySet, codes: Iterable[str], *fields: str, field: str = "code", chunk: int = CHUNK
) -> dict[str, Any]:
    """{code: pk} of the `codes` that `source` (a model or a queryset) holds, or {code: (fields…)} when
    fields are named. Empty codes are skipped; `chunk` codes a query.

    The `IN` list is written as SQL: Django prepares the values of a `field__in` list one by one, which
    takes five times as long (34 ms against 7 ms for 5,000 codes on SQLite) and most of the time of the
    reads of a large file.
    """
    queryset = source if isinstance(source, QuerySet) else source._default_manager.all()
    quote = connections[queryset.db].ops.quote_name
    meta = queryset.model._meta
    column = f"{quote(meta.db_table)}.{quote(meta.get_field(field).column)}"
    found: dict[str, Any] = {}
    for part in chunked(sorted({value for value in codes if value}), chunk):
        inside = RawSQL(f"{column} IN ({', '.join(['%s'] * len(part))})", part, output_field=BooleanField())
        for key, *values in queryset.filter(inside).order_by().values_list(field, *(fields or ("pk",))):
            found[key] = tuple(values) if fields else values[0]
    return found


# -- what the command and the admin upload run ---------------------------------------------------------


@dataclass(frozen=True)
class CsvImporter:
    """An import as `manage.py import_csv KIND FILE` and the admin upload run it: the file is read for its
    columns, then the service takes the rows (and, when `user_kwarg` names its keyword, who sent them)."""

    kind: str
    columns: Columns
    run: Callable[..., ImportResult]
    user_kwarg: str | None = None
    # read_csv, or read_csv_columns for a service that takes the rows column-wise (kpi's facts).
    read: Callable[..., Any] = read_csv

    def __call__(self, source: str | Path | IO[bytes] | bytes, *, user=None, encoding: str = "auto") -> ImportResult:
        rows = self.read(source, columns=self.columns, encoding=encoding)
        if self.user_kwarg:
            return self.run(rows=rows, **{self.user_kwarg: user})
        return self.run(rows=rows)
