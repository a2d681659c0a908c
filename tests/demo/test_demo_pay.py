"""The demo's pay (demo/pay.py): rules for every staff template, last whole month closed and paid for the
network but the unit manager's other outlets, and a seed on a later day that keeps what was paid.

The network of tests/demo/test_demo_coherence.py: twelve outlets, 23 January – 5 February 2026, so the
last whole month is January (its month scorecards of the 31st are there)."""

from __future__ import annotations

import datetime
import io
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.management import call_command

from kpi.models import MonthClose
from pay.models import LineKind, PayRule, PaySheet, PaySheetLine, TeamPool
from pay.selectors import unit_month_pay
from staff.models import Role, User

pytestmark = pytest.mark.django_db

END = datetime.date(2026, 2, 5)
JANUARY = datetime.date(2026, 1, 1)


@pytest.fixture(autouse=True)
def _keep_daily_scorecards(settings):
    settings.SCORECARD_RETENTION_DAYS = 100_000


def seed(end: datetime.date = END) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--outlets=12", "--days=14", f"--end={end}", stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def demo() -> str:
    return seed()


def persona(role: str) -> User:
    return User.objects.select_related("unit").get(role=role, username__in=["teller", "outlet_head", "unit_manager"])


def test_every_staff_template_has_a_pay_rule_in_the_seeds_words(demo):
    rules = {rule.template_code: rule for rule in PayRule.objects.all()}

    assert set(rules) == {
        "STAFF-TELLER",
        "STAFF-WEALTH-MANAGER",
        "STAFF-CUSTOMER-MANAGER",
        "STAFF-MARKET-MANAGER",
        "STAFF-LOBBY-MANAGER",
        "STAFF-SERVICE-SPECIALIST",
    }
    assert all(rule.note.startswith("每分") for rule in rules.values())
    assert rules["STAFF-TELLER"].piece_rates.get().metric.code == "mobile_banking_signups"


def test_january_is_closed_and_the_teller_and_the_outlet_heads_outlet_are_paid(demo):
    teller = persona(Role.STAFF)

    assert MonthClose.objects.closed(JANUARY).exists()
    sheet = PaySheet.objects.get(month=JANUARY, staff__user=teller)
    assert sheet.unit == persona(Role.OUTLET_HEAD).unit
    assert sheet.lines.filter(kind=LineKind.POINTS).exists()
    assert "Pay: 6 rules written" in demo


def test_the_unit_managers_other_outlets_wait_as_a_preview_for_their_close(demo):
    manager = persona(Role.UNIT_MANAGER)

    pay = unit_month_pay(unit=manager.unit, month=JANUARY)

    assert pay.kpi_closed and pay.stored and pay.previews
    assert {sheet.unit_id for sheet in pay.stored} == {persona(Role.OUTLET_HEAD).unit_id}


def test_each_pool_adds_up_to_its_amount_over_stored_sheets_and_previews(demo):
    manager = persona(Role.UNIT_MANAGER)
    pay = unit_month_pay(unit=manager.unit, month=JANUARY)
    shared: dict[str, Decimal] = defaultdict(Decimal)
    sharing: dict[str, int] = {}

    for sheet in pay.sheets:
        for line in sheet.line_list:
            if line.kind == LineKind.POOL:
                shared[line.basis["unit"]] += line.amount
                sharing[line.basis["unit"]] = line.basis["sharing"]

    pools = {pool.unit.code: pool.amount for pool in TeamPool.objects.filter(month=JANUARY).select_related("unit")}
    # Nine days of January make low scores: at an outlet where nobody reaches 60 nobody shares its pool.
    assert shared == {code: amount if sharing[code] else Decimal(0) for code, amount in pools.items()}
    assert sum(1 for people in sharing.values() if people) >= 2


def test_a_seed_on_the_next_day_keeps_what_was_paid(demo):
    paid = dict(PaySheet.objects.values_list("staff__code", "total"))

    out = seed(datetime.date(2026, 2, 6))

    assert MonthClose.objects.closed(JANUARY).exists()
    assert dict(PaySheet.objects.values_list("staff__code", "total")) == paid
    assert not PaySheetLine.objects.filter(kind=LineKind.CARRY_OVER).exists()
    assert "Pay: 0 rules written, 0 pools; months closed: 2026-01" in out
