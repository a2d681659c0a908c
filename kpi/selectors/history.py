"""The daily history of metrics: the scorecard's trend charts and the metric history page."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from django.utils.translation import gettext_lazy as _

from branches.models import OrgUnit
from kpi import formulas
from kpi.models import (
    Metric,
    RollupDay,
    ScorecardLine,
    Status,
    shown_status,
    shown_status_label,
)
from lib.periods import PeriodKind
from staff.models import StaffMember


def published_day_get(*, date: datetime.date) -> RollupDay | None:
    """The rolled-up day with its published run (when its facts arrived, when it was published), or None
    when the day has not been published (one query)."""
    return RollupDay.objects.published(on=date).select_related("published_run").first()


@dataclass(frozen=True)
class HistoryPoint:
    """One metric of one entity on one business day, as that day's published scorecard of the period kind
    has it (month to date on each day, for a month). `pace` is where the target says the actual should be
    that day: target × time progress for the cumulative kinds, the target itself for the level kinds, to
    four decimals like the stored amounts; None without a target."""

    date: datetime.date
    metric_id: int
    actual: Decimal | None
    target: Decimal | None
    time_progress: Decimal
    attainment: Decimal | None
    pace_attainment: Decimal | None
    status: str | None
    pace: Decimal | None

    @property
    def status_label(self) -> str:
        return Status(self.status).label if self.status else _("No target")

    @property
    def shown_status(self) -> str | None:
        """The status the page shows: muted ("early") on the first days of a period (kpi.models)."""
        return shown_status(self.status, self.time_progress)

    @property
    def shown_status_label(self) -> str:
        return shown_status_label(self.status, self.time_progress)


def _amount(value: float) -> Decimal:
    """A float of the vectorised formulas back to an amount with four decimals (500 × 0.666667 is
    333.33349999999996 in floating point, 333.3335 here)."""
    from decimal import ROUND_HALF_UP  # local: the module's imports are shared, this section only appends

    return Decimal(repr(float(value))).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP) + 0


def metric_history(
    *,
    period: PeriodKind | str,
    first: datetime.date,
    last: datetime.date,
    unit: OrgUnit | None = None,
    staff: StaffMember | None = None,
    metric: Metric | None = None,
) -> list[HistoryPoint]:
    """The daily values of one metric (or of every metric) of a unit or a staff member for a period kind,
    from the published scorecard of each day from `first` to `last`, ordered by metric and date.

    One query, whatever the number of days or metrics: the lines of the entity's scorecards in the
    published runs of those days (a subquery on RollupDay), no query per day. A day that was not rolled
    up, or whose daily scorecards were pruned (SCORECARD_RETENTION_DAYS keeps only period ends of older
    days), has no point: the caller shows it as a gap.
    """
    # Local: the module's imports are shared, and this section only appends.
    from kpi.models import CUMULATIVE

    if (unit is None) == (staff is None):
        raise ValueError("metric_history: pass exactly one of unit= or staff=")
    published_runs = RollupDay.objects.published().filter(date__range=(first, last)).runs()
    # The line's own date too: on PostgreSQL only those days' partitions are searched (kpi.partitions).
    lines = ScorecardLine.objects.filter(
        date__range=(first, last),
        scorecard__run__in=published_runs,
        scorecard__date__range=(first, last),
        scorecard__period=str(period),
    )
    if unit is not None:
        lines = lines.filter(scorecard__unit=unit, scorecard__staff=None)
    else:
        lines = lines.filter(scorecard__staff=staff)
    if metric is not None:
        lines = lines.filter(metric=metric)
    rows = list(
        lines.order_by("metric_id", "scorecard__date", "scorecard_id").values(
            "scorecard__date",
            "metric_id",
            "metric__aggregation",
            "actual",
            "target",
            "time_progress",
            "attainment",
            "pace_attainment",
            "status",
        )
    )
    # One line per metric and day (the latest scorecard, as scorecard_get reads it).
    rows = list({(row["metric_id"], row["scorecard__date"]): row for row in rows}.values())
    if not rows:
        return []
    targets = pd.Series([row["target"] for row in rows], dtype="float64").to_numpy()
    progress = pd.Series([row["time_progress"] for row in rows], dtype="float64").to_numpy()
    cumulative = [row["metric__aggregation"] in CUMULATIVE for row in rows]
    # The pace line is the actual at which the gap to pace would be 0: gap_to_pace(0, …) negated.
    paces = -formulas.gap_to_pace(0.0, targets, progress, cumulative=cumulative)
    return [
        HistoryPoint(
            date=row["scorecard__date"],
            metric_id=row["metric_id"],
            actual=row["actual"],
            target=row["target"],
            time_progress=row["time_progress"],
            attainment=row["attainment"],
            pace_attainment=row["pace_attainment"],
            status=row["status"],
            pace=None if pd.isna(pace) else _amount(pace),
        )
        for row, pace in zip(rows, paces, strict=True)
    ]
