"""What the trend charts mark besides their lines (static/js/charts.js): the start of each period, so
that the drop of a month-to-date line on the 1st is seen as a new month and not a fall, and the notes
on the days shown (国庆节, 系统故障, 大额到期: kpi.selectors.notes).

Both go into the chart's JSON blob (json_script) beside `dates`, by the index of the day in `dates`:

    "boundaries": [{"index": 7, "label": "12月"}, …]
    "notes": [{"from": 2, "to": 8, "kind": "holiday", "label": "节假日", "text": "国庆节", "unit": "HQ",
               "metric": null}, …]

A note with a metric shows on that metric's chart only (`metric` its code); one that starts before the
first day shown or ends after the last is cut to the days shown.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.utils.translation import gettext as _

from kpi.models import Annotation
from lib.periods import PeriodKind, period_of


def boundary_label(kind: PeriodKind, day: datetime.date) -> str:
    """The label of the period that starts on `day`: 第49周, 12月, 第4季度, 2027年."""
    if kind == PeriodKind.WEEK:
        return _("Week %(week)s") % {"week": day.isocalendar().week}
    if kind == PeriodKind.MONTH:
        return _("Month %(month)s") % {"month": day.month}
    if kind == PeriodKind.QUARTER:
        return _("Quarter %(quarter)s") % {"quarter": (day.month - 1) // 3 + 1}
    return _("Year %(year)s") % {"year": day.year}


def period_boundaries(days: list[datetime.date], kind: PeriodKind | str) -> list[dict]:
    """The days shown on which a period of this kind starts (none for the day kind: every day is one)."""
    kind = PeriodKind(kind)
    if kind == PeriodKind.DAY:
        return []
    return [
        {"index": index, "label": boundary_label(kind, day)}
        for index, day in enumerate(days)
        if period_of(kind, day).start == day
    ]


def note_marks(days: list[datetime.date], notes: Iterable[Annotation]) -> list[dict]:
    """The notes that touch the days shown (consecutive days), cut to them."""
    if not days:
        return []
    first, last = days[0], days[-1]
    return [
        {
            "from": (max(note.start, first) - first).days,
            "to": (min(note.end, last) - first).days,
            "kind": note.kind,
            "label": note.get_kind_display(),
            "text": note.text,
            "unit": note.unit.code,
            "metric": note.metric.code if note.metric_id else None,
        }
        for note in notes
        if note.start <= last and note.end >= first
    ]


def chart_marks(days: list[datetime.date], kind: PeriodKind | str, notes: Iterable[Annotation]) -> dict:
    """The `boundaries` and `notes` of a chart blob."""
    return {"boundaries": period_boundaries(days, kind), "notes": note_marks(days, notes)}
