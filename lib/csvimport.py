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
"""

from __future__ import annotations

import csv
import datetime
import functools
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from django.db import connections
from django.db.models import BooleanField, Model, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext

from lib.periods import parse_date

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
        return f"{where}, column '{self.field}': {self.message}"

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


def read_csv(source: str | Path | IO[bytes] | bytes, *, columns: Iterable[str]) -> list[CsvRow]:
    """Rows of a UTF-8 CSV file (with or without a BOM) whose header holds at least `columns`.

    Raises ImportRejected when the file cannot be decoded or a required column is missing.
    """
    if isinstance(source, (str, Path)):
        raw = Path(source).read_bytes()
    elif isinstance(source, bytes):
        raw = source
    else:
        raw = source.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRejected([Problem(None, "", f"the file is not UTF-8 (byte {exc.start}); save it as CSV UTF-8")])
    nul = text.find("\x00")
    if nul >= 0:
        # Python's csv reads it, but PostgreSQL refuses it in a query (a 500): no code or name holds one.
        line = text.count("\n", 0, nul) + 1
        message = "has a NUL character: a CSV file holds text only; save it again as CSV UTF-8"
        raise ImportRejected([Problem(line, "", message)])
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [column for column in columns if column not in header]
    if missing:
        expected = ",".join(columns)
        raise ImportRejected(
            [Problem(1, column, f"the header has no '{column}' column (expected {expected})") for column in missing]
        )
    rows = []
    for values in reader:
        if not any((value or "").strip() for key, value in values.items() if key is not None):
            continue  # blank line
        rows.append(CsvRow(line=reader.line_num, values={k: v for k, v in values.items() if k is not None}))
    return rows


# -- reading a cell -----------------------------------------------------------------------------------
# A parser reads one non-empty, stripped cell and raises ValueError (saying what is wrong) when it
# cannot. Its `expected`, when it has one, completes the problem of an empty required cell:
# "is required (a date as YYYY-MM-DD)".

Parser = Callable[[str], Any]
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def valid_code(pattern: str) -> Parser:
    regex = re.compile(pattern)

    def parse(value: str) -> str:
        if not regex.match(value):
            raise ValueError(f"'{value}' is not a valid code (letters, digits, '_', '.', '-'; at most 32)")
        return value

    return parse


def choice(values: Iterable[str]) -> Parser:
    allowed = list(values)
    listed = ", ".join(allowed)

    def parse(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"'{value}' is not one of {listed}")
        return value

    parse.expected = f"one of {listed}"
    return parse


@functools.lru_cache(maxsize=4096)  # a file holds a handful of dates in many rows
def date(value: str) -> datetime.date:
    return parse_date(value)


def decimal(value: str) -> Decimal:
    # Thousands separators as a spreadsheet writes them (1,234.56) are accepted; any other comma is not.
    try:
        number = Decimal(value.replace(",", "") if _GROUPED.match(value) else value)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise ValueError(f"'{value}' is not a number (expected digits such as 123.45)")
    return number


date.expected, decimal.expected = "a date as YYYY-MM-DD", "a number such as 123.45"


def boolean(value: str) -> bool:
    lowered = value.lower()
    if lowered in ("0", "false", "no", "n", "否"):
        return False
    if lowered in ("1", "true", "yes", "y", "是"):
        return True
    raise ValueError(f"'{value}' is not yes/no (1/0, true/false)")


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
        hint = self.required if isinstance(self.required, str) else getattr(self.parse, "expected", "")
        return f"is required ({hint})" if hint else "is required"


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

    def __call__(self, source: str | Path | IO[bytes] | bytes, *, user=None) -> ImportResult:
        rows = read_csv(source, columns=self.columns)
        if self.user_kwarg:
            return self.run(rows=rows, **{self.user_kwarg: user})
        return self.run(rows=rows)
