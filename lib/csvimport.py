"""Reading CSV files for the all-or-nothing imports, and the error vocabulary they share.

An importer validates every row first and collects every problem (line, column, what was expected);
only when there is none does it write, inside one transaction. The same `Problem` list is what the
management command prints, the admin shows and the API returns.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from lib.periods import parse_date


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


_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


class Checker:
    """Collects problems while parsing fields, so one pass reports every bad row."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, line: int | None, field_name: str, message: str) -> None:
        self.problems.append(Problem(line, field_name, message))

    def raise_if_any(self) -> None:
        if self.problems:
            raise ImportRejected(sorted(self.problems, key=lambda p: (p.line or 0, p.field)))

    def required(self, line: int | None, field_name: str, value: str) -> str | None:
        if not value:
            self.add(line, field_name, "is required")
            return None
        return value

    def code(self, line: int | None, field_name: str, value: str, pattern: str) -> str | None:
        if not value:
            self.add(line, field_name, "is required")
            return None
        if not re.match(pattern, value):
            self.add(line, field_name, f"'{value}' is not a valid code (letters, digits, '_', '.', '-'; at most 32)")
            return None
        return value

    def choice(
        self, line: int | None, field_name: str, value: str, choices: Iterable[str], *, required: bool = True
    ) -> str | None:
        allowed = list(choices)
        if not value:
            if required:
                self.add(line, field_name, f"is required (one of {', '.join(allowed)})")
            return None
        if value not in allowed:
            self.add(line, field_name, f"'{value}' is not one of {', '.join(allowed)}")
            return None
        return value

    def date(self, line: int | None, field_name: str, value: str, *, required: bool = True) -> datetime.date | None:
        if not value:
            if required:
                self.add(line, field_name, "is required (a date as YYYY-MM-DD)")
            return None
        try:
            return parse_date(value)
        except ValueError as exc:
            self.add(line, field_name, str(exc))
            return None

    def decimal(self, line: int | None, field_name: str, value: str, *, required: bool = True) -> Decimal | None:
        if not value:
            if required:
                self.add(line, field_name, "is required (a number such as 123.45)")
            return None
        # Thousands separators as a spreadsheet writes them (1,234.56) are accepted; any other comma is not.
        text = value.replace(",", "") if _GROUPED.match(value) else value
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            self.add(line, field_name, f"'{value}' is not a number (expected digits such as 123.45)")
            return None
        return number

    def boolean(self, line: int | None, field_name: str, value: str) -> bool | None:
        lowered = value.lower()
        if lowered in ("", "0", "false", "no", "n", "否"):
            return False
        if lowered in ("1", "true", "yes", "y", "是"):
            return True
        self.add(line, field_name, f"'{value}' is not yes/no (1/0, true/false)")
        return None
