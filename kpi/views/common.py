"""What the KPI pages share: the query string of a page (?date=&period=&days=), the period and trend
switches, the export formats and links."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.http import HttpRequest
from django.utils.translation import gettext as _

from branches.models import OrgUnit
from kpi.models import Metric, Status
from kpi.selectors.history import HistoryPoint
from kpi.selectors.scorecards import latest_rolled_up_date
from kpi.templatetags.kpi_format import Scale, amount_scale, format_date
from lib.periods import PERIOD_KINDS, PERIOD_LABELS, Period, PeriodKind, days_between, period_of, read_period_params
from staff.models import StaffMember

DEFAULT_PERIOD = PeriodKind.MONTH

# The trend switch: the last 30 or 90 days of daily history.
HISTORY_DAYS = (30, 90)
DEFAULT_DAYS = HISTORY_DAYS[0]

# Statuses that count as behind pace in the summary band.
BEHIND = (Status.AMBER, Status.RED)


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


def page_params(request: HttpRequest) -> PageParams:
    latest = latest_rolled_up_date()
    read = read_period_params(request.GET, latest=latest, default_kind=DEFAULT_PERIOD)
    errors = list(read.errors)
    days = DEFAULT_DAYS
    days_text = request.GET.get("days") or ""
    if days_text:
        if days_text in {str(choice) for choice in HISTORY_DAYS}:
            days = int(days_text)
        else:
            errors.append(_("“%(value)s” is not a number of days to show; choose 30 or 90.") % {"value": days_text})
    return PageParams(day=read.day, period_kind=read.kind, latest=latest, days=days, errors=errors)


def switches(request: HttpRequest, params: PageParams) -> dict:
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


EXPORT_FORMATS = ("csv", "xlsx")


def export_links(request: HttpRequest) -> dict[str, str]:
    """The page's own URL asking for its CSV and Excel export (other query parameters kept)."""
    links = {}
    for format_name in EXPORT_FORMATS:
        query = request.GET.copy()
        query["export"] = format_name
        links[f"export_{format_name}"] = f"{request.path}?{query.urlencode()}"
    return links


def who(entity: OrgUnit | StaffMember) -> dict:
    return {"unit": entity} if isinstance(entity, OrgUnit) else {"staff": entity}


def series_scale(metric: Metric, points: dict[datetime.date, HistoryPoint]) -> Scale:
    return amount_scale(metric, (value for point in points.values() for value in (point.actual, point.target)))


def trend_chart_data(
    history_days: list[datetime.date], series: dict[Metric, dict[datetime.date, HistoryPoint]]
) -> dict:
    """What static/js/charts.js draws: the days (written in the reader's language) and, per metric code,
    the actual and the pace line (target × time progress, or the target for a level), scaled like the
    history's table (万元, or 亿元 for the whole series: kpi_format's rule; an actual as the table writes
    it, a count's share with its decimals), with None for a day without figures, and the value axis
    whose ticks stay distinct with the series' decimals."""
    metrics = {}
    for metric, points in series.items():
        scale = series_scale(metric, points)
        days = [points.get(day) for day in history_days]
        actual = [scale.chart_value(point.actual, actual=True) if point else None for point in days]
        pace = [scale.chart_value(point.pace) if point else None for point in days]
        metrics[metric.code] = {
            "actual": actual,
            "pace": pace,
            "unit": scale.unit,
            "places": scale.places,
            # The value axis: ticks that stay distinct with `places` decimals (static/js/numbers.js).
            "axis": scale.axis(value for point in days if point for value in (point.actual, point.pace)),
        }
    return {
        "dates": [format_date(day, "short") for day in history_days],
        "names": {"actual": _("Actual"), "pace": _("Pace of the target")},
        "metrics": metrics,
    }
