"""October 2026 at 天河路网点 (GZ0101), paid by hand-worked numbers.

Five tellers are scored by T-TELLER (a points template): 1 point per mobile-banking sign-up, and a veto
when a staff violation (员工违规, a staff metric made here) is above 0. The month's sign-ups are the
scores: 王芳 91, 李强 87, 张敏 72, 赵雷 55, and 陈静 80 but vetoed to 0.

The pay rule of T-TELLER from 2026-10: 20.00 元 a point, minimum score 60, a veto zeroes the pay, cap
5,500.00 元 a month; counter referrals (柜面转介) paid on marginal tiers 0–10 at 5 元, 10–30 at 8 元,
above 30 at 12 元. GZ0101 shares a pool of 10,000.00 元 by score.

              score  points        referrals → piece              pool      cap       total
    王芳  S1    91   91×20=1,820   35 → 10×5+20×8+5×12 = 270.00    3,640.00  -230.00   5,500.00
    李强  S2    87   87×20=1,740   12 → 10×5+2×8       =  66.00    3,480.00            5,286.00
    张敏  S3    72   72×20=1,440    0                  =   0.00    2,880.00            4,320.00
    赵雷  S4    55   below 60: 1,100 and 8 → 40.00 gross, zeroed; no pool share          0.00
    陈静  S5     0   vetoed: 0 and 20 → 10×5+10×8 = 130.00 gross, zeroed; no share       0.00

The pool: 10,000.00 over 91 + 87 + 72 = 250 points is 40 元 a point: 3,640, 3,480 and 2,880, with no
fen left. 王芳's 1,820 + 270 + 3,640 = 5,730.00 is cut by 230.00 to the cap of 5,500.00.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from kpi.models import Fact, LineKind, Metric, ScorecardTemplate, TemplateLine
from kpi.services import rollup
from kpi.services.closing import month_close
from pay.models import PayRule, PieceRate, PieceRateTier, TeamPool
from tests.factories import AssignmentFactory, StaffMemberFactory, post

D = datetime.date
OCTOBER, OCT_15, OCT_31 = D(2026, 10, 1), D(2026, 10, 15), D(2026, 10, 31)
NOVEMBER, NOV_15, NOV_30 = D(2026, 11, 1), D(2026, 11, 15), D(2026, 11, 30)
DECEMBER = D(2026, 12, 1)
AFTER_OCTOBER, AFTER_NOVEMBER = D(2026, 11, 5), D(2026, 12, 5)
VETO = "员工违规，一票否决"

# code, name, sign-ups, counter referrals, violations
TELLERS = (
    ("S1", "王芳", 91, 35, 0),
    ("S2", "李强", 87, 12, 0),
    ("S3", "张敏", 72, 0, 0),
    ("S4", "赵雷", 55, 8, 0),
    ("S5", "陈静", 80, 20, 1),
)


def metric(code: str) -> Metric:
    return Metric.objects.get(code=code)


def fact(unit, staff, code: str, value, day: datetime.date = OCT_15) -> Fact:
    fact, _created = Fact.objects.update_or_create(
        date=day, unit=unit, staff=staff, metric=metric(code), defaults={"value": Decimal(str(value))}
    )
    return fact


def teller_template() -> ScorecardTemplate:
    violations = Metric.objects.create(
        code="staff_violations", name_zh="员工违规", name_en="Staff violations", unit="件", aggregation="sum",
        direction="lower", level="staff", category="compliance",
    )  # fmt: skip
    template = ScorecardTemplate.objects.create(
        code="T-TELLER", name_zh="柜员考核", subject="staff", effective_from=D(2026, 1, 1)
    )
    template.posts.add(post("teller"))
    TemplateLine.objects.create(
        template=template, metric=metric("mobile_banking_signups"), kind=LineKind.POINTS, points_per_unit=1
    )
    TemplateLine.objects.create(
        template=template, metric=violations, kind=LineKind.VETO, allowed_value=0, veto_reason=VETO, sort_order=1
    )
    return template


def teller_rule(**changes) -> PayRule:
    fields = {
        "template_code": "T-TELLER",
        "effective_from": OCTOBER,
        "yuan_per_point": Decimal("20.00"),
        "min_score": Decimal("60"),
        "veto_zeroes_pay": True,
        "monthly_cap": Decimal("5500.00"),
        "note": "每分 20 元，得分低于 60 分不发放绩效工资",
    }
    rule = PayRule.objects.create(**{**fields, **changes})
    referrals = PieceRate.objects.create(rule=rule, metric=metric("counter_referrals"))
    for start, end, rate in ((0, 10, "5"), (10, 30, "8"), (30, None, "12")):
        PieceRateTier.objects.create(
            piece_rate=referrals, from_volume=start, to_volume=end, yuan_per_unit=Decimal(rate)
        )
    return rule


@pytest.fixture
def october(network):
    """The five tellers at GZ0101 with October's facts, 31 October rolled up and October closed (kpi);
    the pay rule and GZ0101's pool. Returns the staff members by code."""
    teller_template()
    outlet = network["GZ0101"]
    staff = {}
    for code, name, signups, referrals, violations in TELLERS:
        member = StaffMemberFactory(code=code, name=name)
        AssignmentFactory(staff=member, unit=outlet, post="teller", start=D(2026, 1, 1))
        fact(outlet, member, "mobile_banking_signups", signups)
        fact(outlet, member, "counter_referrals", referrals)
        fact(outlet, member, "staff_violations", violations)
        staff[code] = member
    teller_rule()
    TeamPool.objects.create(unit=outlet, month=OCTOBER, amount=Decimal("10000.00"))
    rollup.rollup_day(day=OCT_31, today=AFTER_OCTOBER)
    month_close(month=OCTOBER, by=None, today=AFTER_OCTOBER)
    return staff
