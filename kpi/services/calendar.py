"""Writes about the bank's calendar (kpi.models.CalendarDay) and the metrics that count business days.

A metric with TimeBasis.BUSINESS takes its time progress and its required per remaining day in business
days (lib.periods.period_timing), so a change of the calendar moves its figures in every period around
the changed day, before the day as well as after it: each published day from the start of the earliest
such period (its year, or its ISO week when that began the year before) is marked stale. Nothing is
marked while no metric counts business days: then no figure depends on the calendar. A metric switched
to another basis changes every published scorecard that shows it, so every published day is marked.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext

from kpi.models import CalendarDay, Metric, TimeBasis
from kpi.services.rollup import days_mark_stale
from lib.csvimport import Checker, Column, Columns, CsvRow, ImportResult, choice, date
from lib.periods import FIRST_DAY, PeriodKind, period_of

CALENDAR_COLUMNS = Columns(
    Column("date", date, required=True),
    Column("kind", choice(CalendarDay.Kind.values), required=True),
    Column("name", default="", optional=True),
)

_NAME_LENGTH = CalendarDay._meta.get_field("name").max_length


def calendar_day_problem(day: datetime.date, kind: str) -> str | None:
    """What is wrong with a calendar day (in the imports' words), or None."""
    if kind == CalendarDay.Kind.WORKDAY and day.weekday() < 5:
        return gettext(
            "%(day)s is a %(weekday)s: a make-up working day is a Saturday or a Sunday (a weekday is a working day)"
        ) % {"day": day, "weekday": WEEKDAYS[day.weekday()]}
    return None


def calendar_changed(*, dates: Iterable[datetime.date]) -> int:
    """These days of the calendar changed: mark the published days whose business-day figures they move
    (see the module's docstring). Returns the number of days marked."""
    dates = list(dates)
    if not dates or not Metric.objects.filter(time_basis=TimeBasis.BUSINESS).exists():
        return 0
    first = min(period_of(kind, day).start for day in dates for kind in (PeriodKind.YEAR, PeriodKind.WEEK))
    return days_mark_stale(first_date=first)


def calendar_day_save(*, calendar_day: CalendarDay, previous_date: datetime.date | None = None) -> CalendarDay:
    """Save a day (the admin's form has validated it); `previous_date` when its date was moved."""
    with transaction.atomic():
        calendar_day.save()
        calendar_changed(dates={calendar_day.date, previous_date or calendar_day.date})
    return calendar_day


def calendar_days_delete(*, days: QuerySet[CalendarDay]) -> int:
    with transaction.atomic():
        dates = list(days.values_list("date", flat=True))
        deleted, _by_model = days.delete()
        calendar_changed(dates=dates)
    return deleted


def calendar_days_import(*, rows: list[CsvRow]) -> ImportResult:
    """Import holidays and make-up working days (columns date, kind, name), keyed by date: a day already
    in the calendar takes the file's kind and name. All or nothing.

    1. Read every row: a date (YYYY-MM-DD or YYYY/MM/DD), a kind (holiday or workday), a name of at most
       50 characters; a make-up working day must be a Saturday or a Sunday; a date only once.
    2. Write the new and changed days in one transaction and mark the rollup stale around them
       (calendar_changed).
    """
    check = Checker()
    parsed: dict[datetime.date, tuple[str, str]] = {}
    for row in CALENDAR_COLUMNS.parse(rows, check):
        day, kind, name = row["date"], row["kind"], row["name"] or ""
        if len(name) > _NAME_LENGTH:
            row.problem(
                "name",
                gettext("is %(length)s characters long (at most %(most)s)")
                % {"length": len(name), "most": _NAME_LENGTH},
            )
        if day is not None and kind and (problem := calendar_day_problem(day, kind)):
            row.problem("kind", problem)
        if not row.ok:
            continue
        if (first := check.repeated(day, row.line)) is not None:
            row.problem("date", gettext("%(day)s is already on line %(first)s") % {"day": day, "first": first})
            continue
        parsed[day] = (kind, name)
    check.raise_if_any()

    result = ImportResult()
    with transaction.atomic():
        existing = {day.date: day for day in CalendarDay.objects.filter(date__in=parsed)}
        to_create, to_update = [], []
        for day, (kind, name) in parsed.items():
            stored = existing.get(day)
            if stored is None:
                to_create.append(CalendarDay(date=day, kind=kind, name=name))
                result.created += 1
            elif (stored.kind, stored.name) != (kind, name):
                stored.kind, stored.name = kind, name
                to_update.append(stored)
                result.updated += 1
            else:
                result.unchanged += 1
        CalendarDay.objects.bulk_create(to_create)
        CalendarDay.objects.bulk_update(to_update, ["kind", "name"])
        calendar_changed(dates=[day.date for day in (*to_create, *to_update)])
    return result


def time_basis_changed() -> int:
    """A metric now counts its time progress on another basis: every published day is recomputed."""
    return days_mark_stale(first_date=FIRST_DAY)


def metrics_time_basis_set(*, codes: Iterable[str], time_basis: TimeBasis | str) -> int:
    """Count these metrics' time progress in `time_basis`; returns how many metrics changed (the rollup
    is marked stale when any did)."""
    with transaction.atomic():
        metrics = Metric.objects.filter(code__in=list(codes)).exclude(time_basis=time_basis)
        changed = metrics.update(time_basis=time_basis)
        if changed:
            time_basis_changed()
    return changed
