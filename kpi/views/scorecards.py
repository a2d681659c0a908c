"""Scorecard pages: what the outlet head opens at the 08:30 morning meeting (DOMAIN.md §1, §4).

Each view looks up the unit or staff member through the scope helper (out of scope: 404), reads the
published scorecard with kpi.selectors and renders it. A page issues the same number of queries
whatever the number of metrics, child units, staff or days of history: the trend charts of every
metric come from one query (kpi.selectors.history.metric_history) and are drawn by static/js/charts.js
from one JSON blob; the tables stay the accessible source of every figure.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from branches.models import OrgUnit
from kpi.day_goals import DayGoal, day_goals, goal_day
from kpi.models import Scorecard, Status
from kpi.retention import scorecards_not_kept
from kpi.selectors.comparisons import comparison_days, lines_compare
from kpi.selectors.history import HistoryPoint, metric_history, published_day_get
from kpi.selectors.pace import early_period_get
from kpi.selectors.score_explanation import score_explanation
from kpi.selectors.scorecards import (
    behind_first,
    child_units,
    scorecard_get,
    scorecard_sections,
    staff_assignments_on,
)
from kpi.selectors.staff_ranking import staff_ranking
from kpi.tables import SCORECARD_COMPARED, STAFF_SCORES
from kpi.views.common import (
    BEHIND,
    EXPORT_FORMATS,
    PageParams,
    page_params,
    switches,
    trend_chart_data,
    who,
)
from kpi.views.notes import add_chart_notes
from lib.periods import PERIOD_LABELS
from staff.access import Scope, get_staff_or_404, get_unit_or_404, own_scorecard_entity, scope_for_user
from staff.models import StaffMember


def _base_context(request: HttpRequest, params: PageParams, *, entity: OrgUnit | StaffMember) -> dict:
    scorecard = None
    if params.day is not None:
        scorecard = scorecard_get(date=params.day, period=params.period_kind, **who(entity))
    # A day whose scorecards the retention rule pruned says so, with a link to the nearest day kept.
    not_kept = scorecards_not_kept(date=params.day) if params.day is not None and scorecard is None else None
    return {
        "not_kept": not_kept,
        "retention_days": settings.SCORECARD_RETENTION_DAYS,
        "nearest_kept_url": f"{request.path}?{params.query(date=not_kept.nearest.isoformat())}"
        if not_kept and not_kept.nearest
        else "",
        "params": params,
        "day": params.day,
        "latest": params.latest,
        "period_kind": params.period_kind.value,
        "period_label": PERIOD_LABELS[params.period_kind],
        "period": params.period,
        **switches(request, params),
        "scorecard": scorecard,
        "sections": scorecard_sections(scorecard=scorecard) if scorecard else [],
        "keep": params.query(),
        "latest_url": f"{request.path}?{params.query(date='')}",
    }


def _summary(context: dict) -> dict:
    """The summary band: how many metrics with a target are behind pace (amber or red; none too early in
    the period to judge), how many of them are amber (预警) beside the red (落后) ones the lines are
    labelled with, and when the figures arrived (the published run of the day)."""
    lines = [line for _label, lines in context["sections"] for line in lines]
    with_status = [line for line in lines if line.status]
    published = published_day_get(date=context["day"]) if context["day"] else None
    return {
        "behind": sum(1 for line in with_status if line.shown_status in BEHIND),
        "behind_red": sum(1 for line in with_status if line.shown_status == Status.RED),
        "behind_amber": sum(1 for line in with_status if line.shown_status == Status.AMBER),
        "with_status": len(with_status),
        "published": published,
    }


def _trends(
    params: PageParams, entity: OrgUnit | StaffMember, scorecard: Scorecard | None, scope: Scope | None = None
) -> dict:
    """Every metric's daily history over the chosen days, for the sparklines: one query, one JSON blob.
    A day without a published scorecard is a null (a gap in the line, not a zero); so is a day of a
    staff member the reader may not read (they worked outside the reader's subtree then)."""
    if scorecard is None:
        return {}
    history_days = params.history_days
    shown = None
    if isinstance(entity, StaffMember) and scope is not None:
        shown = scope.staff_days(entity, history_days[0], history_days[-1])
    points: dict[int, dict[datetime.date, HistoryPoint]] = {}
    for point in metric_history(period=params.period_kind, first=history_days[0], last=history_days[-1], **who(entity)):
        if shown is None or point.date in shown:
            points.setdefault(point.metric_id, {})[point.date] = point
    return trend_chart_data(
        history_days,
        {line.metric: points.get(line.metric_id, {}) for line in scorecard.lines.all()},
    )


def _attach_day_goals(context: dict, goals: list[DayGoal]) -> None:
    """Each line's goal of the day (`line.day_goal`, the lines of the table and of the phone's cards are
    the same objects), and the goals of metrics without a line on the page (`day_goals_apart`: nothing
    recorded that day and no target, or no scorecard yet), so that no goal set for the reader is hidden.
    A goal is shown beside the figures, never in them: the lines' targets and scores stay as published."""
    by_metric = {goal.metric.pk: goal for goal in goals}
    for _label, lines in context["sections"]:
        for line in lines:
            line.day_goal = by_metric.pop(line.metric_id, None)
    context["day_goals_apart"] = list(by_metric.values())


def _scorecard_export(format_name: str, context: dict, entity: OrgUnit | StaffMember) -> HttpResponse:
    """The scorecard table as a spreadsheet, with each line's comparisons and forecast
    (kpi.tables.SCORECARD_COMPARED)."""
    day = context["day"].isoformat() if context["day"] else "none"
    filename = f"scorecard-{entity.code}-{day}-{context['period_kind']}"
    card = context["scorecard"]
    lines = (
        {"category": category, "line": line, "card": card} for category, lines in context["sections"] for line in lines
    )
    return SCORECARD_COMPARED.response(format_name, filename, lines)


def _scorecard_page(
    request: HttpRequest,
    params: PageParams,
    entity: OrgUnit | StaffMember,
    scope: Scope | None = None,
    *,
    goals: list[DayGoal] | None = None,
    **extra,
) -> HttpResponse:
    context = _base_context(request, params, entity=entity)
    if context["scorecard"] is not None:
        # 环比, 同比, 较年初 and the forecast of each line (line.compared), for the page and its downloads.
        lines_compare([context["scorecard"]])
        context["comparison_days"] = comparison_days(context["scorecard"])
    export = request.GET.get("export")
    if export in EXPORT_FORMATS:
        return _scorecard_export(export, context, entity)
    # How the score was reached (one query for the template's lines): the lines' rules, the total's
    # scale and template, which veto fired, and whether a day is scored at all.
    context["explanation"] = score_explanation(scorecard=context["scorecard"]) if context["scorecard"] else None
    context.update(_summary(context))
    context["cards"] = behind_first(context["sections"])  # the phone's cards: the same lines, red first
    _attach_day_goals(context, goals or [])
    # Early in the period: the previous period's final leads, and statuses are muted (kpi.selectors.pace).
    context["early"] = early_period_get(scorecard=context["scorecard"]) if context["scorecard"] else None
    context["targets_from_children"] = any(
        line.target_from_children for _label, lines in context["sections"] for line in lines
    )
    context.update(extra)
    context["trends"] = _trends(params, entity, context["scorecard"], scope)
    # Period starts and notes on the sparklines, and the notes as text (kpi.views.notes).
    notes_scope = scope or scope_for_user(request.user)
    add_chart_notes(context, blob=context["trends"], scope=notes_scope, entity=entity, params=params)
    context["export_csv"] = f"{request.path}?{params.query(export='csv')}"
    context["export_xlsx"] = f"{request.path}?{params.query(export='xlsx')}"
    return render(request, "kpi/scorecard.html", context)


def _unit_page(request: HttpRequest, scope: Scope, unit: OrgUnit) -> HttpResponse:
    params = page_params(request)
    if request.GET.get("export") in EXPORT_FORMATS:
        return _scorecard_page(request, params, unit)  # the table alone: no drill-down to read
    # Drill-down: up to the visible ancestors, down to the child units and the staff of this unit, the
    # staff with their scores and ranks for the same period (one query).
    ancestors = list(scope.units(unit.ancestors())) if unit.parent_id else []
    staff_members = staff_ranking(
        unit=unit,
        day=params.day or datetime.date.today(),
        period=params.period_kind,
        scope=scope,
        scores_of=params.day,
    )
    return _scorecard_page(
        request,
        params,
        unit,
        unit=unit,
        ancestors=ancestors,
        children=child_units(unit=unit),
        staff_members=staff_members,
        staff_table=STAFF_SCORES.page(staff_members, keep=params.query()),
    )


def _staff_page(
    request: HttpRequest, scope: Scope, staff_member: StaffMember, params: PageParams | None = None
) -> HttpResponse:
    params = params or page_params(request)
    if request.GET.get("export") in EXPORT_FORMATS:
        return _scorecard_page(request, params, staff_member)  # the table alone
    assignments = staff_assignments_on(staff=staff_member, day=params.day or datetime.date.today())
    # The goals set for them at the morning meeting (meetings, through kpi.day_goals) of the day shown,
    # or of today on this month's page: one query, none on a page of another period.
    today = timezone.localdate()
    shown = goal_day(period_kind=params.period_kind, day=params.day, period=params.period, today=today)
    return _scorecard_page(
        request,
        params,
        staff_member,
        scope,
        goals=day_goals(scope=scope, staff=staff_member, day=shown),
        staff_member=staff_member,
        # Where they work, linked only where the reader may go (a teller may not open the outlet).
        workplaces=[
            {"assignment": assignment, "visible": scope.can_see_unit(assignment.unit)} for assignment in assignments
        ],
    )


@login_required
def my_scorecard(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own scorecard: their unit, their staff record, or the head office."""
    scope = scope_for_user(request.user)
    entity = own_scorecard_entity(user=request.user)
    if isinstance(entity, OrgUnit) and scope.can_see_unit(entity):
        return _unit_page(request, scope, entity)
    if isinstance(entity, StaffMember) and scope.can_see_staff(entity):
        return _staff_page(request, scope, entity)
    raise Http404("No scorecard for this login.")


@login_required
def unit_scorecard(request: HttpRequest, code: str) -> HttpResponse:
    scope = scope_for_user(request.user)
    return _unit_page(request, scope, get_unit_or_404(scope, code))


@login_required
def staff_scorecard(request: HttpRequest, code: str) -> HttpResponse:
    scope = scope_for_user(request.user)
    # The scorecard of a day is read where they worked that day (staff.access).
    params = page_params(request)
    return _staff_page(request, scope, get_staff_or_404(scope, code, on=params.day or datetime.date.today()), params)
