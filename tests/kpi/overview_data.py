"""Published scorecards behind the overview (kpi.selectors.overview.overview_get, kpi/views/overview.py).

Tuesday 2026-11-24, the month of November: 24 of 30 days gone, time progress 24/30 = 0.8. The outlets
of the Tianhe sub-branch (GZ01) are scored by template T-OUTLET (deposit_balance, mobile_banking_signups,
risk_events, in that order): the overview's columns under GZ01.

  unit    metric                   actual      target    attainment  pace-adjusted           status
  GZ0101  deposit_balance          46,123.45   50,000    0.922469    0.922469 (a level)      amber
  GZ0101  mobile_banking_signups   420         500       0.84        0.84 / 0.8 = 1.05       green
  GZ0101  risk_events              0           —         —           —                       none (no target)
  GZ0102  deposit_balance          30,000      40,000    0.75        0.75                    red
  GZ0102  mobile_banking_signups   200         400       0.5         0.5 / 0.8 = 0.625       red
  GZ0102  risk_events              (no line)                                                 missing
  GZ01    deposit_balance          76,123.45   90,000    0.845816    0.845816                red
  GZ01    mobile_banking_signups   620         900       0.688889    0.688889 / 0.8 = 0.861111 red

Scores (weight × pace, deposits 50, sign-ups 40): GZ0101 50 × 0.922469 + 40 × 1.05 = 88.1235,
GZ0102 50 × 0.75 + 40 × 0.625 = 62.5.

Outside the Tianhe subtree, for HQ's overview (children GZ and SZ, no template: the default columns):
GZ deposit_growth 8,400 of 10,000 → 0.84 / 0.8 = 1.05 green; SZ deposit_growth 1,472 of 2,000 →
0.736 / 0.8 = 0.92 amber;
red lines at GZ0201 (Conghua) and SZ0101 (Futian) that a Tianhe manager must never see.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from branches.models import OrgUnit
from kpi.models import LineKind, RollupDay, Scorecard, ScorecardTemplate, TemplateLine
from tests.kpi.scorecard_factories import (
    BUSINESS_DATE,
    ScorecardFactory,
    ScorecardLineFactory,
    metric,
    published_day,
)

DAY = BUSINESS_DATE
TEMPLATE_METRICS = ["deposit_balance", "mobile_banking_signups", "risk_events"]


def outlet_template(code: str = "T-OUTLET") -> ScorecardTemplate:
    template = ScorecardTemplate.objects.create(
        code=code, name_zh=code, subject=ScorecardTemplate.Subject.OUTLET, effective_from=datetime.date(2026, 1, 1)
    )
    lines = [
        ("deposit_balance", {"weight": 50}),
        ("mobile_banking_signups", {"weight": 40}),
        ("risk_events", {"kind": LineKind.VETO, "allowed_value": 0, "veto_reason": "内控风险事件"}),
    ]
    for order, (code_, options) in enumerate(lines):
        TemplateLine.objects.create(template=template, metric=metric(code_), sort_order=order, **options)
    return template


def line(card: Scorecard, code: str, actual, target=None, pace=None, status=None, attainment=None):
    """A scorecard line; `attainment` defaults to `pace` (the level kinds)."""
    return ScorecardLineFactory(
        scorecard=card,
        metric=metric(code),
        actual=Decimal(str(actual)),
        target=Decimal(str(target)) if target is not None else None,
        attainment=Decimal(str(attainment if attainment is not None else pace)) if pace is not None else None,
        pace_attainment=Decimal(str(pace)) if pace is not None else None,
        status=status,
    )


def card(day: RollupDay, unit: OrgUnit, *, template=None, score=None, period: str = "month") -> Scorecard:
    return ScorecardFactory(
        run=day.published_run,
        unit=unit,
        period=period,
        template=template,
        total_score=Decimal(str(score)) if score is not None else None,
    )


def rolled_up_network(network: dict[str, OrgUnit]) -> RollupDay:
    """The figures of the module docstring, on the published run of 2026-11-24."""
    day = published_day(DAY)
    template = outlet_template()

    tianhe_road = card(day, network["GZ0101"], template=template, score="88.1235")
    line(tianhe_road, "deposit_balance", "46123.45", 50000, "0.922469", "amber")
    line(tianhe_road, "mobile_banking_signups", 420, 500, "1.05", "green", attainment="0.84")
    line(tianhe_road, "risk_events", 0)

    zhujiang = card(day, network["GZ0102"], template=template, score="62.5")
    line(zhujiang, "deposit_balance", 30000, 40000, "0.75", "red")
    line(zhujiang, "mobile_banking_signups", 200, 400, "0.625", "red", attainment="0.5")

    tianhe = card(day, network["GZ01"])
    line(tianhe, "deposit_balance", "76123.45", 90000, "0.845816", "red")
    line(tianhe, "mobile_banking_signups", 620, 900, "0.861111", "red", attainment="0.688889")

    guangzhou = card(day, network["GZ"])
    line(guangzhou, "deposit_growth", 8400, 10000, "1.05", "green", attainment="0.84")
    shenzhen = card(day, network["SZ"])
    line(shenzhen, "deposit_growth", 1472, 2000, "0.92", "amber", attainment="0.736")

    taiping = card(day, network["GZ0201"], template=template, score="40")
    line(taiping, "mobile_banking_signups", 10, 100, "0.125", "red", attainment="0.1")
    huaqiangbei = card(day, network["SZ0101"], template=template, score="30")
    line(huaqiangbei, "deposit_balance", 1000, 20000, "0.05", "red")

    # The year: GZ0101's sign-ups 5,210 of 6,000 (0.868333 / time progress 0.898630 = 0.966284, amber).
    year = card(day, network["GZ0101"], template=template, period="year")
    line(year, "mobile_banking_signups", 5210, 6000, "0.966284", "amber", attainment="0.868333")
    return day
