"""The demo's scorecard templates (demo/scorecard_templates.py)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from demo import scorecard_templates as demo_templates
from kpi.models import Fact, LineKind, Metric, RollupDay, Scorecard, ScorecardTemplate, TemplateLine
from kpi.services import rollup
from tests.factories import AssignmentFactory, StaffMemberFactory
from tests.kpi.scorecard_factories import published_day

D = datetime.date
JAN_1 = D(2026, 1, 1)
pytestmark = pytest.mark.django_db


def snapshot() -> list[tuple]:
    templates = list(
        ScorecardTemplate.objects.order_by("code").values_list(
            "pk", "code", "name_zh", "name_en", "subject", "effective_from", "area", "format", "is_active"
        )
    )
    lines = list(TemplateLine.objects.order_by("template__code", "sort_order").values_list())
    posts = list(ScorecardTemplate.posts.through.objects.order_by("pk").values_list())
    return [*templates, *lines, *posts]


def test_every_template_with_weighted_lines_weighs_exactly_100():
    demo_templates.seed_templates(effective_from=JAN_1)

    for template in ScorecardTemplate.objects.all():
        weights = [line.weight for line in template.lines.all() if line.kind == LineKind.WEIGHTED]
        assert not weights or sum(weights) == Decimal(100), template.code


def test_one_outlet_template_per_area_and_one_staff_template_per_front_line_post():
    result = demo_templates.seed_templates(effective_from=JAN_1)

    outlets = dict(ScorecardTemplate.objects.filter(subject="outlet").values_list("area", "code"))
    assert outlets == {"urban": "OUTLET-URBAN", "county": "OUTLET-COUNTY", "township": "OUTLET-TOWNSHIP"}
    posts = sorted(ScorecardTemplate.objects.filter(subject="staff").values_list("posts__code", flat=True))
    assert posts == sorted(
        ["wealth_manager", "customer_manager", "market_manager", "lobby_manager", "teller", "service_specialist"]
    )
    assert set(ScorecardTemplate.objects.values_list("effective_from", flat=True)) == {JAN_1}
    assert (result.created, result.updated, result.unchanged) == (9, 0, 0)


def test_outlet_templates_veto_risk_events_and_staff_templates_use_staff_metrics():
    demo_templates.seed_templates(effective_from=JAN_1)

    vetoes = TemplateLine.objects.filter(kind=LineKind.VETO)
    assert set(vetoes.values_list("template__subject", "metric__code", "allowed_value", "veto_reason")) == {
        ("outlet", "risk_events", Decimal(0), "发生内控风险事件，一票否决")
    }
    assert vetoes.count() == 3
    staff_levels = set(TemplateLine.objects.filter(template__subject="staff").values_list("metric__level", flat=True))
    assert staff_levels <= {"staff", "both"}
    assert TemplateLine.objects.filter(template__subject="staff", kind=LineKind.POINTS).exists()
    assert all(template.lines.filter(is_key=True).exists() for template in ScorecardTemplate.objects.all())


def test_seeding_twice_changes_nothing():
    demo_templates.seed_templates(effective_from=JAN_1)
    before = snapshot()

    again = demo_templates.seed_templates(effective_from=JAN_1)

    assert snapshot() == before
    assert (again.created, again.updated, again.unchanged, again.days_marked_stale) == (0, 0, 9, 0)


def test_a_template_edited_by_hand_is_put_back_to_the_plan():
    demo_templates.seed_templates(effective_from=JAN_1)
    template = ScorecardTemplate.objects.get(code="OUTLET-URBAN")
    template.lines.filter(metric__code="wealth_sales").update(weight=20)

    again = demo_templates.seed_templates(effective_from=JAN_1)

    assert (again.updated, again.unchanged) == (1, 8)
    assert template.lines.get(metric__code="wealth_sales").weight == 12


def test_days_rolled_up_before_the_templates_existed_are_marked_for_scoring():
    published_day(D(2026, 11, 24))

    result = demo_templates.seed_templates(effective_from=JAN_1)

    assert result.days_marked_stale == 1
    assert RollupDay.objects.get().stale_since is not None


def test_the_rollup_scores_an_urban_outlet_and_a_teller_by_the_seeded_templates(network):
    demo_templates.seed_templates(effective_from=JAN_1)
    outlet, day = network["GZ0101"], D(2026, 11, 15)
    teller = StaffMemberFactory()
    AssignmentFactory(staff=teller, unit=outlet, post="teller")
    # A teller's 台账: 12 counter referrals × 1 point and 30 sign-ups × 0.5 point = 27 points.
    for code, value in (("counter_referrals", 12), ("mobile_banking_signups", 30)):
        Fact.objects.create(date=day, unit=outlet, staff=teller, metric=Metric.objects.get(code=code), value=value)
    Fact.objects.create(date=day, unit=outlet, metric=Metric.objects.get(code="risk_events"), value=0)

    rollup.rollup_day(day=day)

    outlet_card = Scorecard.objects.published().get(date=day, period="month", unit=outlet)
    teller_card = Scorecard.objects.published().get(date=day, period="month", staff=teller)
    assert outlet_card.template.code == "OUTLET-URBAN"
    assert (teller_card.template.code, teller_card.total_score) == ("STAFF-TELLER", Decimal(27))
