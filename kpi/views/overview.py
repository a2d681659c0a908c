"""The overview of a unit (DOMAIN.md §1, §7): a heatmap of the unit's children × key metrics, the ranking
of the outlets under it and the lines behind pace. Unit managers, HQ administrators and auditors start the
day here (bankops.views.home); auditors read the same page: it has no form.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import OrgUnit
from kpi.models import EARLY, EARLY_LABEL, too_early_to_judge
from kpi.selectors.bulletin import bulletin_rows
from kpi.selectors.overview import OVERVIEW_STATES, Overview, behind_pace_lines, overview_get
from kpi.selectors.scorecards import latest_rolled_up_date
from kpi.tables import RANKING, RANKING_PAGE, overview_table
from kpi.views.common import DEFAULT_PERIOD, EXPORT_FORMATS
from lib import operations
from lib.periods import PERIOD_KINDS, PERIOD_LABELS, PeriodKind, period_of, read_period_params
from staff.access import Scope, get_unit_or_404, own_overview_unit, scope_for_user

# The overview shows the top of the ranking; the daily bulletin and the download have every outlet.
RANKING_ON_PAGE = 10


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own overview (the header's "Overview" link)."""
    scope = scope_for_user(request.user)
    unit = own_overview_unit(user=request.user)
    if unit is None or not scope.can_see_unit(unit):
        raise Http404("No overview for this login.")
    return overview_page(request, scope, unit, own=True)


@login_required
def unit_overview(request: HttpRequest, code: str) -> HttpResponse:
    """The overview of any unit in the reader's scope (404 outside it)."""
    scope = scope_for_user(request.user)
    if not scope.sees_units:
        raise Http404("No overview for this login.")
    return overview_page(request, scope, get_unit_or_404(scope, code))


def overview_page(request: HttpRequest, scope: Scope, unit: OrgUnit, *, own: bool = False) -> HttpResponse:
    # ?period= read leniently (a bad value is reported and the month shown); the overview is always of the
    # latest rolled-up day, so ?date= is not read.
    params = read_period_params(request.GET, latest=None, default_kind=DEFAULT_PERIOD, dated=False)
    period_kind, errors = params.kind, list(params.errors)
    keep = urlencode({"period": period_kind.value})
    if unit.is_outlet:
        # Nothing under an outlet to colour: its scorecard is its overview.
        return redirect(f"{reverse('kpi:unit_scorecard', args=[unit.code])}?{keep}")
    day = latest_rolled_up_date()
    export = request.GET.get("export")
    if export in EXPORT_FORMATS:
        return _overview_export(request, export, scope=scope, unit=unit, day=day, period_kind=period_kind)

    heatmap = overview_get(unit=unit, date=day, period=period_kind)
    ranking = bulletin_rows(date=day, period=period_kind, unit=unit, scope=scope) if day else []
    behind, behind_count = behind_pace_lines(unit=unit, date=day, period=period_kind)
    rows = [{"row": row, "url": _unit_url(row.unit, row.has_children, keep)} for row in heatmap.rows]
    context = {
        "section": "overview",  # marks the header's link as the current page
        "own": own,
        "scope": scope,
        "unit": unit,
        # Up the tree as far as the reader may go (an HQ overview has nothing above it).
        "ancestors": list(scope.units(unit.ancestors())) if unit.parent_id else [],
        "day": day,
        "period": period_of(period_kind, day) if day else None,
        "period_label": PERIOD_LABELS[period_kind],
        "period_links": [
            {
                "label": PERIOD_LABELS[kind],
                "url": f"{request.path}?{urlencode({'period': kind.value})}",
                "current": kind == period_kind,
            }
            for kind in PERIOD_KINDS
        ],
        "errors": errors,
        # What the people who run BankOps must hear about (yesterday not published in time, a stuck run):
        # for HQ only, who can act on it.
        "operations": operations.problems(timezone.now()) if scope.everything else [],
        "keep": keep,
        "heatmap": heatmap,
        "rows": rows,
        "chart": _chart_data(heatmap, rows),
        "ranking": ranking[:RANKING_ON_PAGE],
        "ranking_table": RANKING_PAGE.page(ranking[:RANKING_ON_PAGE], keep=keep),
        "ranking_total": len(ranking),
        "behind": behind,
        "behind_count": behind_count,
        # Too early in the period to judge pace: nothing is listed as behind, and the page says why.
        "early": bool(day) and too_early_to_judge(period_of(period_kind, day).time_progress(day)),
        "early_below": settings.EARLY_PERIOD_BELOW,
        "targets_from_children": any(cell.target_from_children for row in heatmap.rows for cell in row.cells),
        "bulletin_url": f"{reverse('kpi:bulletin')}?{urlencode({'unit': unit.code, 'period': period_kind.value})}",
        "scorecard_url": f"{reverse('kpi:unit_scorecard', args=[unit.code])}?{keep}",
        # overview_csv, overview_xlsx, ranking_csv, ranking_xlsx
        "exports": {
            f"{table}_{format_name}": f"{request.path}?{keep}&{urlencode({'export': format_name, 'table': table})}"
            for table in ("overview", "ranking")
            for format_name in EXPORT_FORMATS
        },
    }
    return render(request, "kpi/overview.html", context)


def _unit_url(unit: OrgUnit, has_children: bool, keep: str) -> str:
    """A row of the heatmap opens the child's own overview, or its scorecard when nothing is under it."""
    name = "kpi:unit_overview" if has_children else "kpi:unit_scorecard"
    return f"{reverse(name, args=[unit.code])}?{keep}"


def _chart_data(heatmap: Overview, rows: list[dict]) -> dict:
    """What static/js/heatmap.js draws: the same cells as the table, read from a json_script."""
    labels = {
        "green": _("On pace"),
        "amber": _("Slightly behind"),
        "red": _("Behind"),
        "none": _("No target"),
        "missing": _("No figures"),
        EARLY: str(EARLY_LABEL),
    }
    states = list(OVERVIEW_STATES)
    return {
        "metrics": [metric.name for metric in heatmap.metrics],
        "units": [
            {"name": entry["row"].unit.name, "code": entry["row"].unit.code, "url": entry["url"]} for entry in rows
        ],
        "states": [{"key": state, "label": labels[state]} for state in states],
        # [metric index, unit index, state index, pace-adjusted attainment in % or None]
        "cells": [
            [
                x,
                y,
                states.index(cell.state),
                round(float(cell.pace_attainment) * 100, 1) if cell.pace_attainment is not None else None,
            ]
            for y, entry in enumerate(rows)
            for x, cell in enumerate(entry["row"].cells)
        ],
        "title": _("Status by unit and key metric"),
    }


def _overview_export(
    request: HttpRequest, format_name: str, *, scope: Scope, unit: OrgUnit, day, period_kind: PeriodKind
) -> HttpResponse:
    """?export=csv|xlsx: the heatmap's table (kpi.tables.overview_table), or with &table=ranking the
    ranking of every outlet under the unit (kpi.tables.RANKING)."""
    stem = f"{unit.code}-{day.isoformat() if day else 'none'}-{period_kind.value}"
    if request.GET.get("table") == "ranking":
        ranking = bulletin_rows(date=day, period=period_kind, unit=unit, scope=scope) if day else []
        return RANKING.response(format_name, f"ranking-{stem}", ranking)
    heatmap = overview_get(unit=unit, date=day, period=period_kind)
    return overview_table(heatmap.metrics).response(format_name, f"overview-{stem}", heatmap.rows)
