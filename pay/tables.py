"""The tables of the pay pages, declared once (lib.tables): a unit's sheets (one row a person, the page and
the HR download) and their lines (the download with every line and its arithmetic).

Names go through the reader's Scope (`person_name`): whole for those who may read personal data (HQ,
the unit's managers, auditors), masked for anyone else, on the page and in the files alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kpi.models import Metric
from lib.tables import DATE, DECIMAL, Column, Table
from pay.arithmetic import ZERO
from pay.explain import gate_text, line_details, line_title
from pay.models import Gate, LineKind, PaySheet, PaySheetLine
from staff.access import Scope

STATUS_PREVIEW = _("Preview (not closed)")


@dataclass(frozen=True)
class SheetRow:
    """A person's sheet as one row: the sum of each kind of line."""

    sheet: PaySheet
    name: str
    month: str
    points: Decimal
    piece_rates: Decimal
    pool: Decimal
    cap: Decimal
    carried: Decimal
    gate: str
    status: str

    @property
    def url(self) -> str:
        return f"{reverse('pay:staff_pay', args=[self.sheet.staff.code])}?month={self.month}"


def _sum(sheet: PaySheet, kind: str) -> Decimal:
    return sum((line.amount for line in sheet.line_list if line.kind == kind), ZERO)


def sheet_rows(sheets: Iterable[PaySheet], *, scope: Scope) -> list[SheetRow]:
    rows = []
    for sheet in sheets:
        status = STATUS_PREVIEW if sheet.preview else _("Settled")
        rows.append(
            SheetRow(
                sheet=sheet,
                name=scope.person_name(sheet.staff.name),
                month=f"{sheet.month:%Y-%m}",
                points=_sum(sheet, LineKind.POINTS),
                piece_rates=_sum(sheet, LineKind.PIECE_RATE),
                pool=_sum(sheet, LineKind.POOL),
                cap=_sum(sheet, LineKind.CAP),
                carried=_sum(sheet, LineKind.CARRY_OVER),
                gate=str(Gate(sheet.gate).label) if getattr(sheet, "gate", "") else "",
                status=str(status),
            )
        )
    return rows


def _name_link(row: SheetRow, context) -> str:
    return format_html('<a href="{}">{}</a>', row.url, row.name)


SHEETS = Table(
    Column("month", _("Month"), "month"),
    Column("staff_code", _("Staff code"), "sheet.staff.code"),
    Column("name", _("Staff name"), "name", html=_name_link, row_header=True),
    Column("outlet_code", _("Outlet code"), "sheet.unit.code"),
    Column("outlet", _("Outlet"), "sheet.unit.name"),
    Column("template", _("Scorecard template"), "sheet.template_code"),
    Column("score", _("Score"), "sheet.score", kind=DECIMAL, places=2),
    Column("points", _("Points pay (元)"), "points", kind=DECIMAL, places=2),
    Column("piece_rates", _("Piece rates (元)"), "piece_rates", kind=DECIMAL, places=2),
    Column("pool", _("Team pool (元)"), "pool", kind=DECIMAL, places=2),
    Column("cap", _("Cap (元)"), "cap", kind=DECIMAL, places=2),
    Column("gate", _("Gate"), "gate"),
    Column("carried", _("Carried over (元)"), "carried", kind=DECIMAL, places=2),
    Column("total", _("Total (元)"), "sheet.total", kind=DECIMAL, places=2),
    Column("status", _("Status"), "status"),
    Column(
        "closed_at", _("Settled on"), lambda row: None if row.sheet.preview else row.sheet.closed_at.date(), kind=DATE
    ),
)
SHEETS_PAGE = SHEETS.only(
    "name", "score", "points", "piece_rates", "pool", "cap", "carried", "total", "status"
)  # fmt: skip


@dataclass(frozen=True)
class LineRow:
    row: SheetRow
    line: PaySheetLine
    title: str
    details: str
    gate: str


def line_rows(rows: Iterable[SheetRow], metrics: dict[str, Metric]) -> list[LineRow]:
    return [
        LineRow(
            row=row,
            line=line,
            title=line_title(line),
            details="; ".join(line_details(line, metrics)),
            gate=gate_text(line, row.sheet),
        )
        for row in rows
        for line in row.sheet.line_list
    ]


LINES = Table(
    Column("month", _("Month"), "row.month"),
    Column("staff_code", _("Staff code"), "row.sheet.staff.code"),
    Column("name", _("Staff name"), "row.name"),
    Column("outlet_code", _("Outlet code"), "row.sheet.unit.code"),
    Column("line", _("Pay line"), "title"),
    Column("metric", _("Metric"), "line.metric.code"),
    Column("volume", _("Volume"), "line.volume", kind=DECIMAL, places=2),
    Column("rate", _("Rate (元)"), "line.rate", kind=DECIMAL, places=2),
    Column("gross", _("Before gates (元)"), "line.gross", kind=DECIMAL, places=2),
    Column("amount", _("Amount (元)"), "line.amount", kind=DECIMAL, places=2),
    Column("gate", _("Gate"), "gate"),
    Column("basis", _("How it is reached"), "details"),
    Column("status", _("Status"), "row.status"),
)
