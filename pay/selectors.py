"""What the pay pages and the API read: a unit's month of pay (stored sheets beside the previews of
those not closed yet), one person's sheet of a month, and the stored sheets in a reader's scope."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from branches.models import OrgUnit
from kpi.models import MonthClose, Scorecard
from lib.periods import Period, PeriodKind
from pay.arithmetic import ZERO
from pay.models import LineKind, PaySheet, PaySheetLine
from pay.services.sheets import month_of, pay_compute, reopened_months
from staff.access import Scope
from staff.models import StaffMember


@dataclass
class MonthPay:
    """A month's pay of a unit's staff (or of one person): stored sheets and previews side by side
    (`sheet.preview`), and what the page says about the month."""

    month: Period
    sheets: list[PaySheet]
    kpi_closed: bool
    scored: bool  # the month's last day is published: there is something to pay from
    waiting: list[datetime.date] = field(default_factory=list)  # reopened months whose correction waits

    @property
    def previews(self) -> list[PaySheet]:
        return [sheet for sheet in self.sheets if sheet.preview]

    @property
    def stored(self) -> list[PaySheet]:
        return [sheet for sheet in self.sheets if not sheet.preview]

    @property
    def total(self) -> Decimal:
        return sum((sheet.total for sheet in self.sheets), ZERO)


def stored_sheets() -> QuerySet[PaySheet]:
    return PaySheet.objects.select_related("staff", "unit", "rule", "closed_by").prefetch_related(
        Prefetch("lines", queryset=PaySheetLine.objects.select_related("metric").order_by("position"))
    )


def _ready(sheet: PaySheet) -> PaySheet:
    sheet.preview, sheet.line_list = False, list(sheet.lines.all())
    sheet.gate = next((line.gate for line in sheet.line_list if line.gate), "")
    return sheet


def default_month(today: datetime.date | None = None) -> datetime.date:
    """The month a pay page opens on: last month (the one being paid)."""
    today = today or timezone.localdate()
    return (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def _month_state(period: Period) -> dict:
    return {
        "kpi_closed": MonthClose.objects.closed(period.start).exists(),
        "scored": Scorecard.objects.published(on=period.end).filter(period=PeriodKind.MONTH.value).exists(),
        "waiting": reopened_months(period.start),
    }


def unit_month_pay(*, unit: OrgUnit, month: datetime.date) -> MonthPay:
    """The month's pay of `unit`'s staff: each person's stored sheet, or the preview of one not closed
    yet (computed, not stored). A fixed number of queries whatever the number of staff."""
    period = month_of(month)
    stored = {
        sheet.staff_id: _ready(sheet)
        for sheet in stored_sheets().of_month(period.start).filter(unit__path__startswith=unit.path)
    }
    state = _month_state(period)
    computed = pay_compute(month=period.start, under=unit) if state["scored"] else []
    sheets = [*stored.values(), *(sheet for sheet in computed if sheet.staff_id not in stored)]
    sheets.sort(key=lambda sheet: (sheet.unit.path, sheet.staff.code))
    return MonthPay(month=period, sheets=sheets, **state)


def person_month_pay(*, staff: StaffMember, month: datetime.date) -> MonthPay:
    """One person's sheet of the month: stored, or its preview (none when they have no pay rule)."""
    period = month_of(month)
    sheet = stored_sheets().of_month(period.start).filter(staff=staff).first()
    state = _month_state(period)
    if sheet is not None:
        sheets = [_ready(sheet)]
    elif state["scored"]:
        sheets = pay_compute(month=period.start, staff_ids={staff.pk})
    else:
        sheets = []
    return MonthPay(month=period, sheets=sheets, **state)


def corrected_later(sheet: PaySheet) -> list[PaySheetLine]:
    """The carry-over lines of later sheets that correct this stored sheet's month (shown on it)."""
    if sheet.preview:
        return []
    return list(
        PaySheetLine.objects.filter(
            kind=LineKind.CARRY_OVER, source_month=sheet.month, sheet__staff_id=sheet.staff_id
        ).select_related("sheet")
    )


def sheets_in_scope(scope: Scope) -> QuerySet[PaySheet]:
    """The stored sheets a reader may read: those of the outlets they see; a staff member their own."""
    if scope.everything:
        return stored_sheets()
    condition = Q(unit__in=scope.units()) if scope.unit_path else Q(pk__in=[])
    if scope.staff_id is not None:
        condition |= Q(staff_id=scope.staff_id)
    return stored_sheets().filter(condition)
