"""Scored data for the bulletin and the rankings API, through the real rollup (kpi.services.rollup).

The Tianhe sub-branch (GZ01) gets two more urban outlets, so its default peer group GZ01-urban has four.
One template scores every outlet: customers served, weight 60, and mobile banking sign-ups, weight 40
(both key metrics, targets 300 and 100 for November), plus a veto on internal-control risk events.

Saturday 2026-11-14 (time progress 14/30: the pace needs 140 served and 46.67 sign-ups):

  outlet   served  sign-ups   score                                   rank
  GZ0101     70       20      60 × 0.5   + 40 × 0.4286 =  47.14          3
  GZ0102    140       50      60 × 1.0   + 40 × 1.0714 = 102.86          1
  GZ0103    100       30      60 × 0.7143 + 40 × 0.6429 =  68.57         2
  GZ0104     50       20      60 × 0.3571 + 40 × 0.4286 =  38.57         4

Sunday 2026-11-15 (time progress 15/30: the pace needs 150 served and 50 sign-ups), month to date:

  outlet   served  sign-ups   score                                   rank   movement
  GZ0101    165       55      60 × 1.1 + 40 × 1.1   = 110             1      ↑ 2
  GZ0102    150       50      60 × 1.0 + 40 × 1.0   = 100             2      ↓ 1
  GZ0103    150       50      60 × 1.0 + 40 × 1.0   = 100             2      =
  GZ0104     75       46      60 × 0.5 + 40 × 0.92  = 66.8, but a risk
                              event on the 15th vetoes it: 0           4      =

Chips on the 15th: GZ0101 and GZ0102 on pace in both; GZ0104 behind in customers served (0.5, red)
and slightly behind in sign-ups (0.92, amber). SZ0101 (Futian, its own group SZ01-urban) scores
like GZ0102.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from branches.models import OrgUnit
from branches.services import peer_groups_rebuild
from kpi.models import Fact, LineKind, Metric, ScorecardTemplate, Target, TemplateLine
from kpi.services import rollup
from tests.conftest import network_of_the_tests
from tests.factories import OrgUnitFactory
from tests.shared_data import as_in_a_test, shared_data

D = datetime.date
PREVIOUS = D(2026, 11, 14)
DAY = D(2026, 11, 15)
VETO_REASON = "发生内控风险事件"

# outlet code → ((served, sign-ups) on the 14th, (served, sign-ups) on the 15th)
FIGURES = {
    "GZ0101": ((70, 20), (95, 35)),
    "GZ0102": ((140, 50), (10, 0)),
    "GZ0103": ((100, 30), (50, 20)),
    "GZ0104": ((50, 20), (25, 26)),
    "SZ0101": ((140, 50), (10, 0)),
}


def metric(code: str) -> Metric:
    return Metric.objects.get(code=code)


def fact(unit: OrgUnit, code: str, value, day: datetime.date) -> None:
    Fact.objects.create(date=day, unit=unit, metric=metric(code), value=Decimal(str(value)))


def month_targets(unit: OrgUnit, *, served=300, signups=100) -> None:
    for code, value in (("customers_served", served), ("mobile_banking_signups", signups)):
        Target.objects.create(
            unit=unit, metric=metric(code), period_kind="month", period_start=D(2026, 11, 1),
            period_end=D(2026, 11, 30), period="2026-11", value=Decimal(value),
        )  # fmt: skip


def outlet_template(code: str = "T-OUTLET", lines=None) -> ScorecardTemplate:
    """The template of the module docstring, or one made of `lines`: (metric code, kind, options)."""
    template = ScorecardTemplate.objects.create(
        code=code, name_zh=code, subject=ScorecardTemplate.Subject.OUTLET, effective_from=D(2026, 1, 1)
    )
    lines = lines or [
        ("customers_served", LineKind.WEIGHTED, {"weight": 60, "is_key": True}),
        ("mobile_banking_signups", LineKind.WEIGHTED, {"weight": 40, "is_key": True}),
        ("risk_events", LineKind.VETO, {"allowed_value": 0, "veto_reason": VETO_REASON}),
    ]
    for order, (metric_code, kind, options) in enumerate(lines):
        TemplateLine.objects.create(
            template=template, metric=metric(metric_code), kind=kind, sort_order=order, **options
        )
    return template


def scored_day(unit: OrgUnit, figures, day: datetime.date) -> None:
    served, signups = figures
    fact(unit, "customers_served", served, day)
    fact(unit, "mobile_banking_signups", signups, day)


def roll(*days: datetime.date) -> None:
    for day in days:
        rollup.rollup_day(day=day, today=DAY)


@pytest.fixture(scope="module")
def shared_ranking(django_db_setup, django_db_blocker) -> dict:
    """The ranked network made once for the module (tests/shared_data.py): its tests only read it, and
    scoring and rolling up two days cost each of them seconds. tests/conftest.py's `network` is this one
    in a test that asks for `ranked`, and a test of the module that does not ask for it would still find
    its rows: such tests live in modules of their own."""
    with shared_data(django_db_blocker), as_in_a_test():
        yield {"network": ranked_of(network_of_the_tests())}


@pytest.fixture
def ranked(shared_ranking, network) -> dict[str, OrgUnit]:
    """The network of tests/conftest.py with GZ0103 and GZ0104, scored and rolled up on the 14th and 15th
    (the module's: the test's `network` is the same dict)."""
    return network


def ranked_of(network: dict[str, OrgUnit]) -> dict[str, OrgUnit]:
    """What `ranked` makes of a network, for a module's shared data (tests/shared_data.py)."""
    gz01 = network["GZ01"]
    network["GZ0103"] = OrgUnitFactory.outlet_of(gz01, code="GZ0103", name_zh="体育西网点", name_en="Tiyu West Outlet")
    network["GZ0104"] = OrgUnitFactory.outlet_of(gz01, code="GZ0104", name_zh="石牌网点", name_en="Shipai Outlet")
    peer_groups_rebuild()
    outlet_template()
    for code, (previous, today) in FIGURES.items():
        month_targets(network[code])
        scored_day(network[code], previous, PREVIOUS)
        scored_day(network[code], today, DAY)
    fact(network["GZ0104"], "risk_events", 1, DAY)
    roll(PREVIOUS, DAY)
    return network
