"""Scorecard pages: what the outlet head opens at the 08:30 morning meeting (DOMAIN.md §1, §4).

Each view looks up the unit or staff member through the scope helper (out of scope: 404), reads the
published scorecard with kpi.selectors and renders it. A page issues the same number of queries
whatever the number of metrics, child units, staff or days of history: the trend charts of every
metric come from one query (selectors.metric_history) and are drawn by static/js/charts.js from one
JSON blob; the tables stay the accessible source of every figure.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from branches.models import OrgUnit, PeerGroup
from kpi import selectors
from kpi.forms import ContestForm, PairFormSet
from kpi.models import Contest, Metric, Scorecard, Status
from kpi.services.contests import (
    can_create_contests,
    contest_create,
    contest_pairs_propose,
    contest_pairs_set,
    contest_period,
    contest_standings,
)
from kpi.templatetags.kpi_format import Scale, amount_scale, format_date
from lib.exports import table_response
from lib.periods import PERIOD_KINDS, Period, PeriodKind, days_between, parse_date, period_of
from staff.models import StaffMember
from staff.selectors import Scope, get_staff_or_404, get_unit_or_404, scope_for_user

DEFAULT_PERIOD = PeriodKind.MONTH

# The trend switch: the last 30 or 90 days of daily history.
HISTORY_DAYS = (30, 90)
DEFAULT_DAYS = HISTORY_DAYS[0]

# Statuses that count as behind pace in the summary band.
BEHIND = (Status.AMBER, Status.RED)

# The period switch of the page: 日 周 月 季 年.
PERIOD_LABELS = {
    PeriodKind.DAY: gettext_lazy("Day"),
    PeriodKind.WEEK: gettext_lazy("Week"),
    PeriodKind.MONTH: gettext_lazy("Month"),
    PeriodKind.QUARTER: gettext_lazy("Quarter"),
    PeriodKind.YEAR: gettext_lazy("Year"),
}


@dataclass
class PageParams:
    """The query string of a scorecard page, read leniently: a bad value is reported and replaced by the
    default, so the page still shows something useful."""

    day: datetime.date | None
    period_kind: PeriodKind
    latest: datetime.date | None
    days: int = DEFAULT_DAYS
    errors: list[str] = field(default_factory=list)

    @property
    def period(self) -> Period | None:
        return period_of(self.period_kind, self.day) if self.day else None

    @property
    def history_days(self) -> list[datetime.date]:
        """The days of the trend charts: the last `days` days up to the business date."""
        if self.day is None:
            return []
        # Near 0001-01-01 the trend starts at the first date there is (it answered 500 there).
        back = min(self.days - 1, (self.day - datetime.date.min).days)
        return days_between(self.day - datetime.timedelta(days=back), self.day)

    def query(self, **overrides: str) -> str:
        """The query string that keeps this date, period and number of days (a link to another scorecard
        or period); the default number of days is left out."""
        values = {"date": self.day.isoformat() if self.day else "", "period": self.period_kind.value}
        if self.days != DEFAULT_DAYS:
            values["days"] = str(self.days)
        values.update(overrides)
        return urlencode({name: value for name, value in values.items() if value})


def _page_params(request: HttpRequest) -> PageParams:
    errors: list[str] = []
    period_text = request.GET.get("period") or DEFAULT_PERIOD.value
    try:
        period_kind = PeriodKind(period_text)
    except ValueError:
        errors.append(
            _("“%(value)s” is not a period; choose day, week, month, quarter or year.") % {"value": period_text}
        )
        period_kind = DEFAULT_PERIOD
    latest = selectors.latest_rolled_up_date()
    day = latest
    date_text = request.GET.get("date") or ""
    if date_text:
        try:
            day = parse_date(date_text)
        except ValueError:
            errors.append(_("“%(value)s” is not a date; pick one as YYYY-MM-DD.") % {"value": date_text})
            day = latest
    days = DEFAULT_DAYS
    days_text = request.GET.get("days") or ""
    if days_text:
        if days_text in {str(choice) for choice in HISTORY_DAYS}:
            days = int(days_text)
        else:
            errors.append(_("“%(value)s” is not a number of days to show; choose 30 or 90.") % {"value": days_text})
    return PageParams(day=day, period_kind=period_kind, latest=latest, days=days, errors=errors)


def _switches(request: HttpRequest, params: PageParams) -> dict:
    """The period switch (日 周 月 季 年) and the trend switch (30 or 90 days), keeping everything else."""
    return {
        "period_links": [
            {
                "kind": kind.value,
                "label": PERIOD_LABELS[kind],
                "url": f"{request.path}?{params.query(period=kind.value)}",
                "current": kind == params.period_kind,
            }
            for kind in PERIOD_KINDS
        ],
        "days_links": [
            {
                "days": days,
                "label": _("%(days)s days") % {"days": days},
                "url": f"{request.path}?{params.query(days='' if days == DEFAULT_DAYS else str(days))}",
                "current": days == params.days,
            }
            for days in HISTORY_DAYS
        ],
    }


def _who(entity: OrgUnit | StaffMember) -> dict:
    return {"unit": entity} if isinstance(entity, OrgUnit) else {"staff": entity}


def _base_context(request: HttpRequest, params: PageParams, *, entity: OrgUnit | StaffMember) -> dict:
    scorecard = None
    if params.day is not None:
        scorecard = selectors.scorecard_get(date=params.day, period=params.period_kind, **_who(entity))
    return {
        "params": params,
        "day": params.day,
        "latest": params.latest,
        "period_kind": params.period_kind.value,
        "period_label": PERIOD_LABELS[params.period_kind],
        "period": params.period,
        **_switches(request, params),
        "scorecard": scorecard,
        "sections": selectors.scorecard_sections(scorecard=scorecard) if scorecard else [],
        "keep": params.query(),
        "latest_url": f"{request.path}?{params.query(date='')}",
    }


def _summary(context: dict) -> dict:
    """The summary band: how many metrics with a target are behind pace (amber or red), and when the
    figures arrived (the published run of the day)."""
    lines = [line for _label, lines in context["sections"] for line in lines]
    with_status = [line for line in lines if line.status]
    published = selectors.published_day_get(date=context["day"]) if context["day"] else None
    return {
        "behind": sum(1 for line in with_status if line.status in BEHIND),
        "with_status": len(with_status),
        "published": published,
    }


def _trends(params: PageParams, entity: OrgUnit | StaffMember, scorecard: Scorecard | None) -> dict:
    """Every metric's daily history over the chosen days, for the sparklines: one query, one JSON blob.
    A day without a published scorecard is a null (a gap in the line, not a zero)."""
    if scorecard is None:
        return {}
    history_days = params.history_days
    points: dict[int, dict[datetime.date, selectors.HistoryPoint]] = {}
    for point in selectors.metric_history(
        period=params.period_kind, first=history_days[0], last=history_days[-1], **_who(entity)
    ):
        points.setdefault(point.metric_id, {})[point.date] = point
    return _chart_data(
        history_days,
        {line.metric: points.get(line.metric_id, {}) for line in scorecard.lines.all()},
    )


def _series_scale(metric: Metric, points: dict[datetime.date, selectors.HistoryPoint]) -> Scale:
    return amount_scale(metric, (value for point in points.values() for value in (point.actual, point.target)))


def _chart_data(
    history_days: list[datetime.date], series: dict[Metric, dict[datetime.date, selectors.HistoryPoint]]
) -> dict:
    """What static/js/charts.js draws: the days (written in the reader's language) and, per metric code,
    the actual and the pace line (target × time progress, or the target for a level), scaled like the
    tables (万元 or 亿元), with None for a day without figures."""
    metrics = {}
    for metric, points in series.items():
        scale = _series_scale(metric, points)
        days = [points.get(day) for day in history_days]
        metrics[metric.code] = {
            "actual": [scale.chart_value(point.actual) if point else None for point in days],
            "pace": [scale.chart_value(point.pace) if point else None for point in days],
            "unit": scale.unit,
            "places": scale.places,
        }
    return {
        "dates": [format_date(day, "short") for day in history_days],
        "names": {"actual": _("Actual"), "pace": _("Pace of the target")},
        "metrics": metrics,
    }


def _status_label(status: str | None) -> str:
    return str(Status(status).label) if status else _("No target")


def _scorecard_export(format_name: str, context: dict, entity: OrgUnit | StaffMember) -> HttpResponse:
    """The scorecard table as a spreadsheet: figures in the metric's own unit (万元, never 亿元), the
    fractions (attainment, time progress) as fractions, as in the API; text cells defused."""
    header = [
        _("Category"),
        _("Metric code"),
        _("Metric"),
        pgettext("unit of measure", "Unit"),
        _("Actual"),
        _("Target"),
        _("Attainment"),
        _("Time progress"),
        _("Pace-adjusted attainment"),
        _("Status"),
        _("Gap to pace"),
        _("Required per remaining day"),
    ]
    rows = (
        [
            str(category),
            line.metric.code,
            line.metric.name,
            line.metric.unit,
            line.actual,
            line.target,
            line.attainment,
            line.time_progress,
            line.pace_attainment,
            _status_label(line.status),
            line.gap_to_pace,
            line.required_per_day,
        ]
        for category, lines in context["sections"]
        for line in lines
    )
    day = context["day"].isoformat() if context["day"] else "none"
    filename = f"scorecard-{entity.code}-{day}-{context['period_kind']}"
    return table_response(format_name, filename, header, rows)


def _scorecard_page(request: HttpRequest, params: PageParams, entity: OrgUnit | StaffMember, **extra) -> HttpResponse:
    context = _base_context(request, params, entity=entity)
    export = request.GET.get("export")
    if export in EXPORT_FORMATS:
        return _scorecard_export(export, context, entity)
    context.update(_summary(context))
    context.update(extra)
    context["trends"] = _trends(params, entity, context["scorecard"])
    context["export_csv"] = f"{request.path}?{params.query(export='csv')}"
    context["export_xlsx"] = f"{request.path}?{params.query(export='xlsx')}"
    return render(request, "kpi/scorecard.html", context)


def _unit_page(request: HttpRequest, scope: Scope, unit: OrgUnit) -> HttpResponse:
    params = _page_params(request)
    if request.GET.get("export") in EXPORT_FORMATS:
        return _scorecard_page(request, params, unit)  # the table alone: no drill-down to read
    # Drill-down: up to the visible ancestors, down to the child units and the staff of this unit.
    ancestors = list(scope.units(unit.ancestors())) if unit.parent_id else []
    return _scorecard_page(
        request,
        params,
        unit,
        unit=unit,
        ancestors=ancestors,
        children=selectors.child_units(unit=unit),
        staff_members=selectors.staff_assigned(unit=unit, day=params.day or datetime.date.today()),
    )


def _staff_page(request: HttpRequest, scope: Scope, staff_member: StaffMember) -> HttpResponse:
    params = _page_params(request)
    if request.GET.get("export") in EXPORT_FORMATS:
        return _scorecard_page(request, params, staff_member)  # the table alone
    assignments = selectors.staff_assignments_on(staff=staff_member, day=params.day or datetime.date.today())
    return _scorecard_page(
        request,
        params,
        staff_member,
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
    entity = selectors.own_scorecard_entity(user=request.user)
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
    return _staff_page(request, scope, get_staff_or_404(scope, code))


# -- the daily history of one metric (drill-down from a scorecard line) -------------------------------


@dataclass(frozen=True)
class HistoryRow:
    """A day of the history table; `point` None: no published figures that day (a gap)."""

    day: datetime.date
    point: selectors.HistoryPoint | None


def _history_export(
    format_name: str, metric: Metric, rows: list[HistoryRow], entity: OrgUnit | StaffMember, params: PageParams
) -> HttpResponse:
    """The history table as a spreadsheet, one row per day (a day without figures keeps its row, empty);
    figures in the metric's own unit, fractions as fractions; the metric named on every row, so exports
    pasted together still say what they are."""
    header = [
        _("Business date"),
        _("Metric"),
        pgettext("unit of measure", "Unit"),
        _("Actual"),
        _("Target"),
        _("Pace of the target"),
        _("Time progress"),
        _("Attainment"),
        _("Pace-adjusted attainment"),
        _("Status"),
    ]

    def cells(row: HistoryRow) -> list:
        point = row.point
        if point is None:
            return [row.day, metric.name, metric.unit, *[None] * (len(header) - 3)]
        return [
            row.day,
            metric.name,
            metric.unit,
            point.actual,
            point.target,
            point.pace,
            point.time_progress,
            point.attainment,
            point.pace_attainment,
            _status_label(point.status),
        ]

    day = params.day.isoformat() if params.day else "none"
    filename = f"history-{entity.code}-{metric.code}-{day}-{params.period_kind.value}-{params.days}d"
    return table_response(format_name, filename, header, (cells(row) for row in rows))


def _metric_history_page(request: HttpRequest, entity: OrgUnit | StaffMember, metric_code: str) -> HttpResponse:
    """A metric's daily values over the last 30 or 90 days for the chosen period kind: a big chart of
    the actual against the pace line of its target, and the table of every day, newest first."""
    metric = Metric.objects.filter(code=metric_code).first()
    if metric is None:
        raise Http404("No such metric.")
    params = _page_params(request)
    history_days = params.history_days
    points: dict[datetime.date, selectors.HistoryPoint] = {}
    if history_days:
        history = selectors.metric_history(
            period=params.period_kind, first=history_days[0], last=history_days[-1], metric=metric, **_who(entity)
        )
        points = {point.date: point for point in history}
    rows = [HistoryRow(day=day, point=points.get(day)) for day in reversed(history_days)]
    export = request.GET.get("export")
    if export in EXPORT_FORMATS:
        return _history_export(export, metric, rows, entity, params)

    scorecard_name = "kpi:unit_scorecard" if isinstance(entity, OrgUnit) else "kpi:staff_scorecard"
    context = {
        "params": params,
        "day": params.day,
        "latest": params.latest,
        "period_kind": params.period_kind.value,
        "period_label": PERIOD_LABELS[params.period_kind],
        "period": params.period,
        **_switches(request, params),
        "metric": metric,
        "unit": entity if isinstance(entity, OrgUnit) else None,
        "staff_member": entity if isinstance(entity, StaffMember) else None,
        "entity": entity,
        "rows": rows,
        "with_figures": len(points),
        "scale": _series_scale(metric, points),
        "chart": _chart_data(history_days, {metric: points}) if points else {},
        "scorecard_url": f"{reverse(scorecard_name, args=[entity.code])}?{params.query()}",
        "keep": params.query(),
        "latest_url": f"{request.path}?{params.query(date='')}",
        "export_csv": f"{request.path}?{params.query(export='csv')}",
        "export_xlsx": f"{request.path}?{params.query(export='xlsx')}",
    }
    return render(request, "kpi/metric_history.html", context)


@login_required
def unit_metric_history(request: HttpRequest, code: str, metric_code: str) -> HttpResponse:
    scope = scope_for_user(request.user)
    return _metric_history_page(request, get_unit_or_404(scope, code), metric_code)


@login_required
def staff_metric_history(request: HttpRequest, code: str, metric_code: str) -> HttpResponse:
    scope = scope_for_user(request.user)
    return _metric_history_page(request, get_staff_or_404(scope, code), metric_code)


# -- the daily bulletin (每日通报) ----------------------------------------------------------------------

EXPORT_FORMATS = ("csv", "xlsx")


def _bulletin_subject(request: HttpRequest, scope: Scope) -> tuple[PeerGroup | None, OrgUnit | None]:
    """What to rank: ?group=CODE (a peer group) or ?unit=CODE (the outlets of a unit's subtree), both
    looked up with the scope (out of scope: 404). Without either, the reader's own: a unit manager's
    subtree, an outlet head's peer group (None when the outlet is in none yet), the whole network for
    HQ and auditors."""
    if group_code := request.GET.get("group"):
        return selectors.get_peer_group_or_404(scope, group_code), None
    if unit_code := request.GET.get("unit"):
        return None, get_unit_or_404(scope, unit_code)
    if scope.everything:
        return None, OrgUnit.objects.filter(parent=None).order_by("path").first()
    user = request.user
    if scope.unit_path and user.unit_id:
        if user.unit.is_outlet:
            return selectors.peer_group_default(outlet=user.unit), None
        return None, user.unit
    raise Http404("No bulletin for this login.")


def _bulletin_export(format_name: str, rows: list[selectors.BulletinRow], filename: str) -> HttpResponse:
    """The ranked table as a spreadsheet: numbers stay numbers, one column per key metric's status."""
    metrics: dict[int, str] = {}
    for row in rows:
        for chip in row.chips:
            metrics.setdefault(chip.metric.pk, chip.metric.name)
    header = [
        _("Rank"),
        _("Places gained"),
        _("Outlet code"),
        _("Outlet"),
        _("Score"),
        _("Vetoed"),
        _("Veto reason"),
        *metrics.values(),
    ]

    def cells(row: selectors.BulletinRow) -> list:
        status_of = {chip.metric.pk: chip.label for chip in row.chips}
        movement = _("new") if row.is_new else row.movement
        return [
            row.rank,
            movement,
            row.outlet.code,
            row.outlet.name,
            row.total_score,
            _("yes") if row.vetoed else "",
            row.veto_reason,
            *(str(status_of.get(metric_id, "")) for metric_id in metrics),
        ]

    return table_response(format_name, filename, header, (cells(row) for row in rows))


@login_required
def bulletin(request: HttpRequest) -> HttpResponse:
    """每日通报: the outlets of a peer group or of a unit's subtree ranked by score, with the movement
    since the previous day and the status of the key metrics; printable for the morning meeting and
    downloadable (?export=csv or xlsx). An outlet head reads their peers' scores but opens only their
    own scorecard."""
    scope = scope_for_user(request.user)
    if not scope.everything and not scope.unit_path:
        raise Http404("No bulletin for this login.")
    group, unit = _bulletin_subject(request, scope)
    subject = group or unit
    params = _page_params(request)
    rows = []
    if params.day is not None and subject is not None:
        rows = selectors.bulletin_rows(date=params.day, period=params.period_kind, group=group, unit=unit, scope=scope)
    choice = {"group": group.code} if group else {"unit": unit.code} if unit else {}

    export = request.GET.get("export")
    if export in EXPORT_FORMATS:
        day = params.day.isoformat() if params.day else "none"
        filename = f"bulletin-{subject.code if subject else 'none'}-{day}-{params.period_kind.value}"
        return _bulletin_export(export, rows, filename)

    period_links = [
        {
            "label": PERIOD_LABELS[kind],
            "url": f"{request.path}?{params.query(period=kind.value, **choice)}",
            "current": kind == params.period_kind,
        }
        for kind in PERIOD_KINDS
    ]
    context = {
        "params": params,
        "day": params.day,
        "latest": params.latest,
        "period_kind": params.period_kind.value,
        "period_label": PERIOD_LABELS[params.period_kind],
        "period": params.period,
        "period_links": period_links,
        "group": group,
        "unit": unit,
        "subject": subject,
        "choice": choice,
        # Only outlets in the reader's scope link to their scorecard (an outlet head's peers do not).
        "entries": [{"row": row, "link": scope.can_see_unit(row.outlet)} for row in rows],
        "rank_of": next((row.rank_of for row in rows if row.rank_of), 0),
        "groups": list(selectors.peer_groups_visible(scope=scope).order_by("code")),
        "units": selectors.bulletin_units(scope=scope),
        "keep": params.query(),
        "export_csv": f"{request.path}?{params.query(export='csv', **choice)}",
        "export_xlsx": f"{request.path}?{params.query(export='xlsx', **choice)}",
        "latest_url": f"{request.path}?{urlencode({'period': params.period_kind.value, **choice})}",
    }
    return render(request, "kpi/bulletin.html", context)


# -- PK contests (两两一组 PK) and benchmark outlets (标杆网点) ------------------------------------------------

# Rows for more pairs under a proposal (or an empty form), to add pairs by hand.
EXTRA_PAIR_ROWS = 2


def _contest_status(contest: Contest, today: datetime.date) -> tuple[str, str]:
    if today < contest.period_start:
        return "upcoming", _("Not started")
    if today > contest.period_end:
        return "ended", _("Ended")
    return "running", _("Running")


@login_required
def contest_list(request: HttpRequest) -> HttpResponse:
    """The contests the reader may follow: organised inside their scope, or with their outlets in it."""
    scope = scope_for_user(request.user)
    today = timezone.localdate()
    contests = list(
        selectors.contests_visible(scope=scope)
        .select_related("unit")
        .annotate(pair_count=Count("pairs"))
        .order_by("-period_start", "name")
    )
    rows = []
    for contest in contests:
        period, _calendar = contest_period(contest)
        status, status_label = _contest_status(contest, today)
        rows.append({"contest": contest, "period": period, "status": status, "status_label": status_label})
    export = request.GET.get("export")
    if export in EXPORT_FORMATS:
        header = [_("Contest"), _("Organised by"), _("Period"), _("From"), _("To"), _("Pairs"), _("State")]
        cells = (
            [
                row["contest"].name,
                row["contest"].unit.code,
                row["period"].code,
                row["contest"].period_start,
                row["contest"].period_end,
                row["contest"].pair_count,
                row["status_label"],
            ]
            for row in rows
        )
        return table_response(export, f"contests-{today:%Y%m%d}", header, cells)
    return render(
        request,
        "kpi/contest_list.html",
        {"rows": rows, "can_create": can_create_contests(request.user), **_export_links(request)},
    )


def _export_links(request: HttpRequest) -> dict[str, str]:
    """The page's own URL asking for its CSV and Excel export (other query parameters kept)."""
    links = {}
    for format_name in EXPORT_FORMATS:
        query = request.GET.copy()
        query["export"] = format_name
        links[f"export_{format_name}"] = f"{request.path}?{query.urlencode()}"
    return links


_LEAD_WORDS = {"a": "A", "b": "B", "tie": gettext_lazy("tie"), "draw": gettext_lazy("draw")}


def _contest_export(format_name: str, standings) -> HttpResponse:
    """One row per pair and metric: each side's actual, target and pace-adjusted attainment, who leads;
    what the reader may not see of a pair outside their scope is empty here as on the page."""
    header = [
        _("Outlet A"),
        _("Outlet B"),
        _("Metric"),
        _("A: actual"),
        _("A: target"),
        _("A: pace-adjusted attainment"),
        _("B: actual"),
        _("B: target"),
        _("B: pace-adjusted attainment"),
        _("Leads on the metric"),
        _("Leads overall"),
        _("Winner"),
    ]

    def side(figures) -> list:
        if figures is None:
            return ["", "", ""]
        return [figures.actual, figures.target, figures.pace_attainment]

    rows = []
    for pair in standings.pairs:
        overall = _LEAD_WORDS.get(str(pair.leader.value) if pair.leader else "", "")
        winner = _LEAD_WORDS.get({"tie": "draw"}.get(pair.winner.value, pair.winner.value) if pair.winner else "", "")
        for duel in pair.metrics:
            lead = _LEAD_WORDS.get(str(duel.leader.value) if duel.leader else "", "")
            rows.append(
                [
                    pair.outlet_a.code,
                    pair.outlet_b.code,
                    duel.metric.name,
                    *side(duel.a),
                    *side(duel.b),
                    lead,
                    overall,
                    winner,
                ]
            )
    return table_response(format_name, f"contest-{standings.contest.pk}", header, rows)


@login_required
def contest_detail(request: HttpRequest, contest_id: int) -> HttpResponse:
    """Head to head, pair by pair, as of the latest rolled-up day; the winner once the contest is over."""
    scope = scope_for_user(request.user)
    contest = selectors.contest_get_or_404(scope=scope, contest_id=contest_id)
    latest = selectors.latest_rolled_up_date()
    standings = selectors.contest_standings_for(
        contest_standings(contest=contest, as_of=latest or timezone.localdate()), scope=scope
    )
    export = request.GET.get("export")
    if export in EXPORT_FORMATS:
        return _contest_export(export, standings)
    # Outlets link to their scorecards only where the reader may go (no query: paths are loaded).
    visible = {
        outlet.pk for pair in standings.pairs for outlet in (pair.outlet_a, pair.outlet_b) if scope.can_see_unit(outlet)
    }
    return render(
        request,
        "kpi/contest_detail.html",
        {"contest": contest, "standings": standings, "latest": latest, "visible": visible, **_export_links(request)},
    )


def _outlet_choices(unit: OrgUnit | None, scope: Scope) -> list[tuple[str, str]]:
    outlets = OrgUnit.objects.subtree(unit) if unit is not None else scope.units()
    return [(outlet.code, f"{outlet.code} {outlet.name}") for outlet in outlets.outlets().active().order_by("code")]


@login_required
def contest_new(request: HttpRequest) -> HttpResponse:
    """Create a contest: settings first; "Propose pairs" pairs outlets of similar score (editable rows);
    "Create" saves the contest and its pairs together, or nothing."""
    if not can_create_contests(request.user):
        raise PermissionDenied(_("Only HQ administrators and unit managers create contests."))
    scope = scope_for_user(request.user)
    form = ContestForm(request.POST or None, scope=scope)
    pairs = None
    proposal = None
    errors: list[str] = []
    if request.method == "POST":
        action = request.POST.get("action")
        unit = form.cleaned_data.get("unit") if form.is_valid() else None
        choices = _outlet_choices(unit, scope)
        submitted = "pairs-TOTAL_FORMS" in request.POST
        if action == "propose" and unit is not None:
            period = form.cleaned_data["period"]
            draft = Contest(unit=unit, period_start=period.start, period_end=period.end)
            # Pair by the month score before the contest starts (or the latest, for a contest under way).
            proposal = contest_pairs_propose(contest=draft, as_of=period.start - datetime.timedelta(days=1))
            initial = [{"outlet_a": a.code, "outlet_b": b.code} for a, b in proposal.pairs]
            initial += [{}] * EXTRA_PAIR_ROWS
            pairs = PairFormSet(initial=initial, prefix="pairs", form_kwargs={"outlet_choices": choices})
        elif submitted:
            pairs = PairFormSet(request.POST, prefix="pairs", form_kwargs={"outlet_choices": choices})
        if action == "create" and not submitted:
            errors.append(_("Propose pairs first, then check them and create the contest."))
        elif action == "create" and form.is_valid() and pairs.is_valid():
            chosen = [(row["outlet_a"], row["outlet_b"]) for row in pairs.cleaned_data if row.get("outlet_a")]
            if not chosen:
                errors.append(_("Add at least one pair, or let the page propose pairs."))
            else:
                contest = _contest_save(request, form, chosen, errors)
                if contest is not None:
                    messages.success(request, _("Contest “%(name)s” created.") % {"name": contest.name})
                    return redirect("kpi:contest_detail", contest_id=contest.pk)
    return render(
        request,
        "kpi/contest_form.html",
        {"form": form, "pairs": pairs, "proposal": proposal, "errors": errors},
    )


def _contest_save(request: HttpRequest, form: ContestForm, chosen: list[tuple[str, str]], errors: list[str]):
    """The contest and its pairs in one transaction; the problems are added to `errors` otherwise."""
    units = OrgUnit.objects.in_bulk({code for pair in chosen for code in pair}, field_name="code")
    period = form.cleaned_data["period"]
    try:
        with transaction.atomic():
            contest = contest_create(
                name=form.cleaned_data["name"],
                unit=form.cleaned_data["unit"],
                period_start=period.start,
                period_end=period.end,
                template=form.cleaned_data["template"],
                metrics=form.cleaned_data["metrics"],
                created_by=request.user,
            )
            contest_pairs_set(contest=contest, pairs=[(units[a], units[b]) for a, b in chosen])
    except ValidationError as invalid:
        errors.extend(invalid.messages)
        return None
    return contest


@login_required
def benchmark(request: HttpRequest, code: str) -> HttpResponse:
    """A benchmark outlet (标杆网点) next to the outlets that replicate it (标杆复制网点): each replica's month
    before its transformation and its latest month, beside the benchmark's latest month."""
    scope = scope_for_user(request.user)
    outlet = get_unit_or_404(scope, code)
    if not outlet.is_benchmark:
        raise Http404("Not a benchmark outlet.")
    comparison = selectors.benchmark_comparison(scope=scope, benchmark=outlet)
    export = request.GET.get("export")
    if export in EXPORT_FORMATS:
        return _benchmark_export(export, comparison)
    return render(
        request, "kpi/benchmark.html", {"comparison": comparison, "benchmark": outlet, **_export_links(request)}
    )


def _benchmark_export(format_name: str, comparison: selectors.BenchmarkComparison) -> HttpResponse:
    """One row per replica and metric: actual and pace-adjusted attainment before the transformation, now,
    and the benchmark's now."""
    header = [
        _("Replica outlet"),
        _("Metric"),
        _("Before: actual"),
        _("Before: pace-adjusted attainment"),
        _("Now: actual"),
        _("Now: pace-adjusted attainment"),
        _("Benchmark: actual"),
        _("Benchmark: pace-adjusted attainment"),
    ]
    rows = []
    for replica in comparison.replicas:
        for row in replica.rows:
            cells = [replica.outlet.code, row.metric.name]
            for line in row.figures:
                cells += [line.actual, line.pace_attainment] if line is not None else ["", ""]
            rows.append(cells)
    return table_response(format_name, f"benchmark-{comparison.benchmark.code}", header, rows)
