"""The daily history of one metric (drill-down from a scorecard line)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from branches.models import OrgUnit
from kpi.models import Metric
from kpi.selectors.history import HistoryPoint, metric_history
from kpi.tables import history_table
from kpi.views.common import (
    EXPORT_FORMATS,
    PageParams,
    page_params,
    series_scale,
    switches,
    trend_chart_data,
    who,
)
from kpi.views.notes import add_chart_notes
from lib.periods import PERIOD_LABELS
from staff.access import Scope, get_staff_or_404, get_unit_or_404, scope_for_user
from staff.models import StaffMember


@dataclass(frozen=True)
class HistoryRow:
    """A day of the history table; `point` None: no published figures that day (a gap)."""

    day: datetime.date
    point: HistoryPoint | None


def _history_export(
    format_name: str, metric: Metric, rows: list[HistoryRow], entity: OrgUnit | StaffMember, params: PageParams
) -> HttpResponse:
    """The history table as a spreadsheet, one row per day (kpi.tables.history_table)."""
    day = params.day.isoformat() if params.day else "none"
    filename = f"history-{entity.code}-{metric.code}-{day}-{params.period_kind.value}-{params.days}d"
    return history_table(metric).response(format_name, filename, rows)


def _metric_history_page(
    request: HttpRequest, entity: OrgUnit | StaffMember, metric_code: str, scope: Scope | None = None
) -> HttpResponse:
    """A metric's daily values over the last 30 or 90 days for the chosen period kind: a big chart of
    the actual against the pace line of its target, and the table of every day, newest first. A staff
    member's days outside the reader's subtree are gaps (staff.access: read for the dates they were
    assigned there)."""
    metric = Metric.objects.filter(code=metric_code).first()
    if metric is None:
        raise Http404("No such metric.")
    params = page_params(request)
    history_days = params.history_days
    points: dict[datetime.date, HistoryPoint] = {}
    if history_days:
        history = metric_history(
            period=params.period_kind, first=history_days[0], last=history_days[-1], metric=metric, **who(entity)
        )
        shown = None
        if isinstance(entity, StaffMember) and scope is not None:
            shown = scope.staff_days(entity, history_days[0], history_days[-1])
        points = {point.date: point for point in history if shown is None or point.date in shown}
    rows = [HistoryRow(day=day, point=points.get(day)) for day in reversed(history_days)]
    export = request.GET.get("export")
    if export in EXPORT_FORMATS:
        return _history_export(export, metric, rows, entity, params)

    scorecard_name = "kpi:unit_scorecard" if isinstance(entity, OrgUnit) else "kpi:staff_scorecard"
    chart = trend_chart_data(history_days, {metric: points}) if points else {}
    context = {
        "params": params,
        "day": params.day,
        "latest": params.latest,
        "period_kind": params.period_kind.value,
        "period_label": PERIOD_LABELS[params.period_kind],
        "period": params.period,
        **switches(request, params),
        "metric": metric,
        "unit": entity if isinstance(entity, OrgUnit) else None,
        "staff_member": entity if isinstance(entity, StaffMember) else None,
        "entity": entity,
        "rows": rows,
        "with_figures": len(points),
        "scale": series_scale(metric, points),
        "chart": chart,
        "scorecard_url": f"{reverse(scorecard_name, args=[entity.code])}?{params.query()}",
        "keep": params.query(),
        "latest_url": f"{request.path}?{params.query(date='')}",
        "export_csv": f"{request.path}?{params.query(export='csv')}",
        "export_xlsx": f"{request.path}?{params.query(export='xlsx')}",
    }
    # Period starts and notes on the chart, and the notes as text (kpi.views.notes).
    notes_scope = scope or scope_for_user(request.user)
    add_chart_notes(context, blob=chart, scope=notes_scope, entity=entity, params=params, metric=metric)
    return render(request, "kpi/metric_history.html", context)


@login_required
def unit_metric_history(request: HttpRequest, code: str, metric_code: str) -> HttpResponse:
    scope = scope_for_user(request.user)
    return _metric_history_page(request, get_unit_or_404(scope, code), metric_code)


@login_required
def staff_metric_history(request: HttpRequest, code: str, metric_code: str) -> HttpResponse:
    scope = scope_for_user(request.user)
    return _metric_history_page(request, get_staff_or_404(scope, code), metric_code, scope)
