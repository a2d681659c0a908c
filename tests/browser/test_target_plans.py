"""Target planning in a browser (issue 15), in real headless Chromium: HQ plans 天河支行's December sign-ups
and sends them down to its outlets and their staff in one sitting, counting the actions (the admin took
12 for the first level and some 40 more for the staff; the target is under 10 for the whole sub-branch and
one metric).

The network of tests/conftest.py: 天河支行 GZ01 has 天河路网点 GZ0101 (黄丽娟 S1001, 王强 S1002) and 珠江新城网点
GZ0102 (刘洋 S2001). 100 sign-ups split equally: 50 and 50 to the outlets, 25 and 25 to GZ0101's staff, 50
to GZ0102's.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from kpi.models import Target, TargetChange
from plans.models import Plan, PlanStatus
from tests.browser.conftest import needs_chromium, shot, sign_in
from tests.factories import AssignmentFactory, StaffMemberFactory

SIGNUPS = "mobile_banking_signups"


@pytest.fixture
def sub_branch(network, teller):
    AssignmentFactory(
        staff=StaffMemberFactory(code="S1002", name="王强"), unit=network["GZ0101"], post="customer_manager"
    )
    AssignmentFactory(staff=StaffMemberFactory(code="S2001", name="刘洋"), unit=network["GZ0102"], post="teller")
    return network["GZ01"]


@pytest.mark.django_db
@needs_chromium
def test_hq_cascades_a_sub_branchs_month_to_outlets_and_staff_in_under_ten_actions(page, server, sub_branch, hq_admin):
    sign_in(page, server.url, hq_admin)
    actions: list[str] = []

    def act(what: str, doing) -> None:
        actions.append(what)
        doing()

    act("open the plans", lambda: page.goto(f"{server.url}/plans/targets/"))
    act("choose 天河支行", lambda: page.select_option("#id_plan-unit", "GZ01"))
    act("type the month", lambda: page.fill("#id_plan-period", "2026-12"))
    act("tick 手机银行签约", lambda: page.check(f'input[name="plan-metrics"][value="{SIGNUPS}"]'))
    act("make the plan", lambda: page.click('form:has(input[value="create"]) button.primary'))
    page.wait_for_load_state()
    top = page.locator(f'input[name="v:GZ01::{SIGNUPS}"]')
    remainder = page.locator(f'output[data-remainder-for="{SIGNUPS}"]')
    act("type 天河支行's 100", lambda: top.fill("100"))
    # Live, before anything is saved: nothing given to the outlets yet, 100 left to give.
    assert remainder.text_content() == "100.00"
    act("fill every level equally", lambda: page.click('button[name="action"][value="cascade"]'))
    page.wait_for_load_state()
    assert page.locator(f'input[name="v:GZ0101::{SIGNUPS}"]').input_value() == "50"
    assert remainder.text_content() == "0.00"
    shot(page, "plans-1-sub-branch")

    # Each level stays editable before publishing (a look at 天河路网点's staff, not counted): a change
    # shows at once in what is left to give, and is not kept until saved.
    page.click('a.plan-drill[href$="level=GZ0101"]')
    staff_input = page.locator(f'input[name="v:GZ0101:S1001:{SIGNUPS}"]')
    assert staff_input.input_value() == "25"
    staff_input.fill("30")
    assert page.locator(f'output[data-remainder-for="{SIGNUPS}"]').text_content() == "-5.00"
    shot(page, "plans-2-staff")
    staff_input.fill("25")

    act("save and preview", lambda: page.click('button[name="action"][value="preview"]'))
    page.wait_for_load_state()
    assert "exact" in page.locator("table").first.inner_text() or "✓" in page.content()
    shot(page, "plans-3-preview")
    act("publish", lambda: page.click('form:has(input[name="fingerprint"]) button.primary'))
    page.wait_for_load_state()
    shot(page, "plans-4-published")

    assert len(actions) < 10, actions
    targets = Target.objects.filter(period="2026-12", metric__code=SIGNUPS).select_related("unit", "staff")
    assert {(target.staff or target.unit).code: target.value for target in targets} == {
        "GZ01": Decimal(100),
        "GZ0101": Decimal(50),
        "GZ0102": Decimal(50),
        "S1001": Decimal(25),
        "S1002": Decimal(25),
        "S2001": Decimal(50),
    }
    plan = Plan.objects.get()
    assert plan.status == PlanStatus.PUBLISHED
    assert set(TargetChange.objects.values_list("source", "changed_by", "reference")) == {
        ("plan", hq_admin.pk, f"plan {plan.pk} {plan.name}")
    }
