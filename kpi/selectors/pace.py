"""Reading pace with sense early in a period (issue 14).

On 2 December a month is 2/31 gone and pace-adjusted attainment is noise ("513.5 % of pace"). Below
settings.EARLY_PERIOD_BELOW of time progress (kpi.models.too_early_to_judge) the pages show pace
statuses muted, and the scorecard leads with the previous period's final result beside the period to
date: November's final actual, attainment and status next to December so far.

"The previous period's final" is the published scorecard of the previous period's last day, for the same
entity and period kind: what the rollup published for 30 November's month is November's final month
(retention keeps every period end, kpi.retention). Read in two queries whatever the number of lines.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from kpi.models import Metric, Scorecard, ScorecardLine
from kpi.selectors.scorecards import scorecard_get, scorecard_lines
from lib.periods import Period, period_of


@dataclass(frozen=True)
class PreviousPeriodRow:
    """One metric: the previous period's final line (None: no figure then) beside this period's line to
    date (None: no figure yet)."""

    metric: Metric
    final: ScorecardLine | None
    to_date: ScorecardLine | None


@dataclass(frozen=True)
class EarlyPeriod:
    """A scorecard too early in its period to judge pace, and what the page shows first instead."""

    period: Period
    time_progress: Decimal  # of `period` on the scorecard's day, a fraction
    previous: Period
    previous_scorecard: Scorecard | None  # None when the previous period's last day has none published
    rows: list[PreviousPeriodRow]


def early_period_get(*, scorecard: Scorecard) -> EarlyPeriod | None:
    """None unless the scorecard is too early in its period to judge pace (a line of it is below
    EARLY_PERIOD_BELOW of time progress); then the previous period's final figures beside this period's.

    Rows follow this scorecard's lines in their order, then the metrics the previous period had and this
    one has not yet. Two queries (the previous scorecard, its lines); none when it is not early.
    """
    period = period_of(scorecard.period, scorecard.date)
    lines = scorecard_lines(scorecard=scorecard)
    if not any(line.too_early_to_judge for line in lines) or period.start <= datetime.date.min:
        return None
    progress = period.time_progress(scorecard.date)
    previous = period.previous()
    entity = {"staff": scorecard.staff} if scorecard.staff_id else {"unit": scorecard.unit}
    previous_scorecard = scorecard_get(date=previous.end, period=scorecard.period, **entity)
    finals = (
        {line.metric_id: line for line in scorecard_lines(scorecard=previous_scorecard)} if previous_scorecard else {}
    )
    rows = [
        PreviousPeriodRow(metric=line.metric, final=finals.pop(line.metric_id, None), to_date=line) for line in lines
    ]
    rows += [PreviousPeriodRow(metric=line.metric, final=line, to_date=None) for line in finals.values()]
    return EarlyPeriod(
        period=period,
        time_progress=(Decimal(progress.numerator) / Decimal(progress.denominator)).quantize(Decimal("0.000001")),
        previous=previous,
        previous_scorecard=previous_scorecard,
        rows=rows,
    )
