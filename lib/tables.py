"""Tables declared once: each column says what its header is, how to read its value from a row and what
kind of value it is; the table is then rendered to a CSV or Excel download (through lib.exports), to an
HTML table (templates/_table.html) and to the fields of an API serializer, wherever the same table
appears in several.

A page, its download and the API seldom show a table exactly alike: the download gives an outlet's code
and name their own columns where the page links the name; the API writes a score as a string of four
decimals, the download as a number. So the columns are the unit of declaration, and a `Table` is an
ordered choice of them (`only()` and `plus()` compose another). What differs between the renderings of
one column is declared on the column (`file`, `html`, `page_label`, `api`), next to what they share (the
value and its kind).

    RANK = Column("rank", _("Rank"), "rank", kind=INTEGER)
    OUTLET = Column("outlet", _("Outlet"), "outlet.name")
    RANKING = Table(RANK, OUTLET)
    RANKING.response("csv", "ranking-2026-11-24", rows)       # the download
    RANKING.page(rows)                                       # {% include "_table.html" with table=… %}

The kinds say how a value is written where the renderings differ: a file keeps numbers and dates as they
are (a spreadsheet computes with them) and writes a boolean as a word ("yes", or empty); a page groups
thousands, shows a fraction as a percentage and a date as YYYY-MM-DD (lib.numbers: the same grammar as
the KPI pages' kpi_format). An XLSX download shows each number column with the page's decimals (a
number format: the cell keeps the exact figure); a CSV writes a figure without its trailing zeros.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from lib.exports import table_response
from lib.numbers import PERCENT_PLACES, format_number, format_percent

TEXT = "text"
INTEGER = "integer"
DECIMAL = "decimal"  # `places` decimals on a page (2 when not said: money in 万元); as it is in a file
FRACTION = "fraction"  # 1.385 is 138.5 %: a percentage on a page (one decimal), the fraction in a file
DEFAULT_DECIMAL_PLACES = 2
DATE = "date"
BOOLEAN = "boolean"  # a word (`yes`) or nothing in a file
YES = gettext_lazy("yes")
KINDS = (TEXT, INTEGER, DECIMAL, FRACTION, DATE, BOOLEAN)
NUMERIC_KINDS = (INTEGER, DECIMAL, FRACTION)

# A row is whatever the selector hands the view (a model instance, a dataclass, a dict entry): the
# accessor reads it, so the table does not care.
Accessor = str | Callable[[Any], Any]


def read(row: Any, path: str) -> Any:
    """`row.outlet.code` for the path "outlet.code"; None as soon as a step is None (an alert without
    a metric has no metric code)."""
    value = row
    for name in path.split("."):
        if value is None:
            return None
        value = value[name] if isinstance(value, Mapping) else getattr(value, name)
    return value


@dataclass(frozen=True)
class Column:
    """One column of a table.

    key: its name: the API's field name, and how `Table.only()` picks it.
    label: its header (translatable: give a gettext_lazy string, it is read in the reader's language).
    value: the attribute path ("outlet.code") or a function of the row.
    kind: one of KINDS; `places`: the decimals a page shows of a DECIMAL (None: 2, as money in 万元;
        never the stored column's four).
    yes: what a file writes for a true BOOLEAN (a false one is empty).
    file: what a download writes instead of the value, a function of the row (e.g. "new" for an outlet
        ranked for the first time where the API says null).
    html: the page's cell instead of the formatted value: a function of the row and the page's context
        returning safe HTML (format_html), for a link or a status chip.
    page_label: the page's header where it differs from the file's.
    row_header: the page writes the cell as the row's header (<th scope="row">).
    api: the API's field: a DRF field class or a functools.partial of one (help_text, allow_null…);
        its `source` is the value's path when that is not the key.
    """

    key: str
    label: Any = ""
    value: Accessor | None = None
    kind: str = TEXT
    places: int | None = None
    yes: Any = YES
    file: Callable[[Any], Any] | None = None
    html: Callable[[Any, Mapping], str] | None = None
    page_label: Any = None
    row_header: bool = False
    api: Callable[..., Any] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Column {self.key!r}: kind {self.kind!r} is not one of {', '.join(KINDS)}.")

    def read(self, row: Any) -> Any:
        """The value of this column in a row, as it is (a Decimal, a date, a bool…)."""
        accessor = self.key if self.value is None else self.value
        return read(row, accessor) if isinstance(accessor, str) else accessor(row)

    def file_cell(self, row: Any) -> Any:
        """What a download writes: numbers and dates as they are (lib.exports defuses the text)."""
        if self.file is not None:
            return self.file(row)
        value = self.read(row)
        if self.kind == BOOLEAN:
            return str(self.yes) if value else ""
        return value

    def page_text(self, value: Any) -> str:
        """The value as a page writes it when the column declares no `html`."""
        if value is None or value == "":
            return ""
        if self.kind == BOOLEAN:
            return str(self.yes) if value else ""
        # Numbers by lib.numbers, the grammar of kpi/templatetags/kpi_format.py's rule.
        if self.kind == INTEGER:
            return format_number(value, 0)
        if self.kind == DECIMAL:
            return format_number(value, DEFAULT_DECIMAL_PLACES if self.places is None else self.places)
        if self.kind == FRACTION:
            return format_percent(value, places=PERCENT_PLACES)
        if self.kind == DATE:
            return value.isoformat()
        return str(value)

    @property
    def excel_format(self) -> str | None:
        """The number format of its cells in an XLSX download: the page's decimals (None: General)."""
        if self.kind == INTEGER:
            return "#,##0"
        if self.kind == DECIMAL and self.places is not None:
            return "#,##0" + ("." + "0" * self.places if self.places else "")
        if self.kind == FRACTION:
            return "0." + "0" * PERCENT_PLACES + "%"
        return None

    @property
    def css(self) -> str:
        """The class of its cells on a page: "num" aligns numbers to the right."""
        return "num" if self.kind in NUMERIC_KINDS else ""


@dataclass(frozen=True)
class PageCell:
    content: str  # text (escaped by the template) or safe HTML
    css: str = ""
    row_header: bool = False


@dataclass(frozen=True)
class PageTable:
    """What templates/_table.html draws: the headers and the cells, already formatted."""

    headers: list[tuple[str, str]]  # (label, css)
    rows: list[list[PageCell]]


@dataclass(frozen=True, init=False)
class Table:
    """An ordered choice of columns."""

    columns: tuple[Column, ...]

    def __init__(self, *columns: Column) -> None:
        keys = [column.key for column in columns]
        if len(set(keys)) != len(keys):
            raise ValueError(f"A table has each column once: {', '.join(keys)}.")
        object.__setattr__(self, "columns", tuple(columns))

    def only(self, *keys: str) -> Table:
        """The columns named, in this order (another rendering of the same table)."""
        by_key = {column.key: column for column in self.columns}
        return Table(*(by_key[key] for key in keys))

    def plus(self, *columns: Column) -> Table:
        """This table with more columns at the end (e.g. one per metric, known only at run time)."""
        return Table(*self.columns, *columns)

    # -- downloads -------------------------------------------------------------------------------------

    def header(self) -> list[str]:
        return [str(column.label) for column in self.columns]

    def file_rows(self, rows: Iterable[Any]) -> Iterable[list]:
        return ([column.file_cell(row) for column in self.columns] for row in rows)

    def response(self, format_name: str, filename: str, rows: Iterable[Any]) -> HttpResponse:
        """The download: `format_name` is "csv" or "xlsx" (a page's ?export=), `filename` without its
        extension."""
        return table_response(
            format_name,
            filename,
            self.header(),
            self.file_rows(rows),
            formats=[column.excel_format for column in self.columns],
        )

    # -- pages -----------------------------------------------------------------------------------------

    def page(self, rows: Iterable[Any], **context: Any) -> PageTable:
        """The table for templates/_table.html; `context` reaches the columns' `html` (e.g. the page's
        query string, kept on the links)."""
        headers = [
            (str(column.label if column.page_label is None else column.page_label), column.css)
            for column in self.columns
        ]
        cells = [
            [
                PageCell(
                    content=column.html(row, context) if column.html else column.page_text(column.read(row)),
                    css=column.css,
                    row_header=column.row_header,
                )
                for column in self.columns
            ]
            for row in rows
        ]
        return PageTable(headers=headers, rows=cells)

    # -- the API ---------------------------------------------------------------------------------------

    def serializer_fields(self) -> dict[str, Any]:
        """A new DRF field for each column that declares `api`, by key, in order."""
        fields = {}
        for column in self.columns:
            if column.api is None:
                continue
            source = column.value if isinstance(column.value, str) and column.value != column.key else None
            fields[column.key] = column.api(source=source) if source else column.api()
        return fields

    def serializer(self, base: type | None = None) -> type:
        """A Serializer class with the columns' API fields, to subclass (the subclass names the schema
        component and documents it):

            class RankingRowSerializer(RANKING_API.serializer()):
                \"\"\"One outlet of the ranked set.\"\"\"
        """
        return type("TableSerializer", (base or serializers.Serializer,), self.serializer_fields())
