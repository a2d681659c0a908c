"""A scored month for explaining scores, through the real rollup (kpi.services.rollup), as of Sunday
2026-11-15: month time progress 15/30 = 0.5.

The template T-URBAN has two versions: 2026-01-01 (customers served alone, weight 100) and the one in
force, 2026-07-01:

  line                     rule                              GZ0101 (figures → score)
  customers_served         weighted 20, cap 120 %, floor 0   225 of 300: 75 %, pace 150 % → 20 × 120 % = 24
  wealth_sales             weighted 80, cap 100 %, floor 50 % 100 of 1,000 万元: 10 %, pace 20 % → 80 × 50 % = 40
  mobile_banking_signups   points 2 a unit, max 5            3 × 2 = 6 → 5
  complaints               points −2 a unit, no max          1 × −2 = −2
  risk_events              veto above 0                      0: not vetoed
                                                             total 24 + 40 + 5 − 2 = 67

Its scale: 满分 20 + 80 = 100; bonus 20 × (120 % − 100 %) + 80 × 0 + 5 (the points' maximum) = 9, so at
most 109; a complaint deducts. GZ0102 has the same figures and a risk event: vetoed, 0, "1 > 0".

Staff of GZ0101 under T-TELLER (counter referrals, 1 point each, max 60): 黄丽娟 (S1001) 7 → 7 points,
rank 2 of 2; 李小梅 (S1003) 9 → 9, rank 1 of 2; 何静 (S1002), lobby manager, has no template: no score.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from kpi.models import Fact, LineKind, Metric, ScorecardTemplate, Target, TemplateLine
from kpi.services import rollup
from tests.conftest import network_of_the_tests, teller_of
from tests.factories import AssignmentFactory, StaffMemberFactory, post
from tests.shared_data import as_in_a_test, shared_data

D = datetime.date
DAY = D(2026, 11, 15)
VETO_WORDS = "发生内控风险事件，一票否决"


def metric(code: str) -> Metric:
    return Metric.objects.get(code=code)


def fact(unit, code, value, *, staff=None, day=DAY) -> None:
    Fact.objects.create(date=day, unit=unit, staff=staff, metric=metric(code), value=Decimal(str(value)))


NOVEMBER = (D(2026, 11, 1), D(2026, 11, 30))


def target(unit, code, value, *, kind="month", start=NOVEMBER[0], end=NOVEMBER[1], period="2026-11"):
    Target.objects.create(
        unit=unit, metric=metric(code), period_kind=kind, period_start=start, period_end=end, period=period,
        value=Decimal(str(value)),
    )  # fmt: skip


def template(code, name_zh, name_en, *, effective, lines, subject="outlet", posts=()) -> ScorecardTemplate:
    made = ScorecardTemplate.objects.create(
        code=code, name_zh=name_zh, name_en=name_en, subject=subject, effective_from=effective
    )
    for order, (metric_code, kind, options) in enumerate(lines):
        TemplateLine.objects.create(template=made, metric=metric(metric_code), kind=kind, sort_order=order, **options)
    for post_code in posts:
        made.posts.add(post(post_code))
    return made


URBAN_LINES = [
    ("customers_served", LineKind.WEIGHTED, {"weight": 20, "cap": Decimal("1.2")}),
    ("wealth_sales", LineKind.WEIGHTED, {"weight": 80, "cap": Decimal("1.0"), "floor": Decimal("0.5")}),
    ("mobile_banking_signups", LineKind.POINTS, {"points_per_unit": 2, "max_points": 5}),
    ("complaints", LineKind.POINTS, {"points_per_unit": -2}),
    ("risk_events", LineKind.VETO, {"allowed_value": 0, "veto_reason": VETO_WORDS}),
]


def urban_template() -> ScorecardTemplate:
    template(
        "T-URBAN", "城区网点考核方案", "Urban outlets",
        effective=D(2026, 1, 1), lines=[("customers_served", LineKind.WEIGHTED, {"weight": 100})],
    )  # fmt: skip
    return template("T-URBAN", "城区网点考核方案", "Urban outlets", effective=D(2026, 7, 1), lines=URBAN_LINES)


def outlet_figures(outlet, *, risk_events=0) -> None:
    target(outlet, "customers_served", 300)
    target(outlet, "wealth_sales", 1000)
    fact(outlet, "customers_served", 225)
    fact(outlet, "wealth_sales", 100)
    fact(outlet, "mobile_banking_signups", 3)
    fact(outlet, "complaints", 1)
    fact(outlet, "risk_events", risk_events)


def explained_of(network, teller):
    """The module docstring's figures on `network`, rolled up on 2026-11-15."""
    urban_template()
    template(
        "T-TELLER", "柜员岗位考核方案", "Tellers", subject="staff", posts=["teller"], effective=D(2026, 1, 1),
        lines=[("counter_referrals", LineKind.POINTS, {"points_per_unit": 1, "max_points": 60})],
    )  # fmt: skip
    outlet_figures(network["GZ0101"])
    outlet_figures(network["GZ0102"], risk_events=1)
    colleague = StaffMemberFactory(code="S1003", name="李小梅")
    AssignmentFactory(staff=colleague, post="teller", unit=network["GZ0101"], start=D(2026, 1, 1))
    lobby = StaffMemberFactory(code="S1002", name="何静")
    AssignmentFactory(staff=lobby, post="lobby_manager", unit=network["GZ0101"], start=D(2026, 1, 1))
    fact(network["GZ0101"], "counter_referrals", 7, staff=teller.staff_member)
    fact(network["GZ0101"], "counter_referrals", 9, staff=colleague)
    rollup.rollup_day(day=DAY)
    return network


@pytest.fixture
def explained(network, teller):
    """The module docstring's figures, rolled up on 2026-11-15, made for the test (a browser test's live
    server cannot share a module's data: see shared_explained)."""
    return explained_of(network, teller)


@pytest.fixture(scope="module")
def shared_explanation(django_db_setup, django_db_blocker) -> dict:
    """The explained network made once for the module (tests/shared_data.py), for modules whose tests only
    read it: rolling it up cost each of them a second or more. tests/conftest.py's `network` and `teller`
    are these in a test that asks for it."""
    with shared_data(django_db_blocker), as_in_a_test():
        network = network_of_the_tests()
        teller = teller_of(network)
        yield {"network": explained_of(network, teller), "teller": teller}


@pytest.fixture(name="explained")
def shared_explained(shared_explanation, network):
    """`explained`, the module's: a module takes it with `explained = explanation_data.shared_explained`
    and `shared_explanation = explanation_data.shared_explanation`. The test's `network` is the same dict."""
    return network
