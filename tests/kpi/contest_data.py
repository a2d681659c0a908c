"""Figures for the PK contest and benchmark tests, put through the real rollup (as test_scoring.py does).

November 2026 has 30 days; rolled up as of Sunday 2026-11-15 its time progress is 15/30 = 0.5.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from branches.models import OrgUnit
from kpi.models import Contest, ContestPair, Fact, LineKind, Metric, ScorecardTemplate, Target, TemplateLine
from kpi.services import rollup
from lib.periods import parse_period
from tests.factories import OrgUnitFactory

D = datetime.date
MID_NOVEMBER = D(2026, 11, 15)
NOVEMBER_END = D(2026, 11, 30)


def metric(code: str) -> Metric:
    return Metric.objects.get(code=code)


def fact(unit: OrgUnit, code: str, value, day: datetime.date = MID_NOVEMBER) -> None:
    Fact.objects.create(date=day, unit=unit, metric=metric(code), value=Decimal(str(value)))


def target(unit: OrgUnit, code: str, value, period: str = "2026-11") -> None:
    parsed = parse_period(period)
    Target.objects.create(
        unit=unit, metric=metric(code), period_kind=parsed.kind.value, period_start=parsed.start,
        period_end=parsed.end, period=parsed.code, value=Decimal(str(value)),
    )  # fmt: skip


YEAR_START = D(2026, 1, 1)


def template(code: str = "T-PK", *, lines=(), effective: datetime.date = YEAR_START) -> ScorecardTemplate:
    """An outlet template for every outlet; lines as (metric code, kind, options)."""
    made = ScorecardTemplate.objects.create(
        code=code, name_zh=code, name_en=code, subject="outlet", effective_from=effective
    )
    for order, (metric_code, kind, options) in enumerate(lines):
        TemplateLine.objects.create(template=made, metric=metric(metric_code), kind=kind, sort_order=order, **options)
    return made


def points_template(code: str = "T-POINTS", metric_code: str = "customers_served") -> ScorecardTemplate:
    """One point per unit of the metric: an outlet's total score is its month's actual."""
    return template(code, lines=[(metric_code, LineKind.POINTS, {"points_per_unit": 1})])


def roll(day: datetime.date = MID_NOVEMBER) -> None:
    # `today` is the business day itself, so scorecards are kept whatever the date the tests run on.
    rollup.rollup_day(day=day, today=day)


def outlets_under(parent: OrgUnit, *codes: str) -> list[OrgUnit]:
    return [OrgUnitFactory.outlet_of(parent, code=code) for code in codes]


def contest(unit: OrgUnit, *pairs: tuple[OrgUnit, OrgUnit], name: str = "十一月 PK 赛", template=None, metrics=(),
            period: str = "2026-11") -> Contest:  # fmt: skip
    parsed = parse_period(period)
    made = Contest.objects.create(
        name=name, unit=unit, period_start=parsed.start, period_end=parsed.end, template=template
    )
    made.metrics.set([metric(code) for code in metrics])
    for outlet_a, outlet_b in pairs:
        ContestPair.objects.create(contest=made, outlet_a=outlet_a, outlet_b=outlet_b)
    return made
