"""The demo's points ledger (demo/ledger.py): three weeks of entries of the demo sub-branch to the last day of
facts, approved and added up into facts; the day after waiting for the outlet heads, a suspected duplicate
among them; one rejection; the demo logins' ledger pages alive; seeding again writes nothing."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum

from demo import network as demo_network
from demo.ledger import seed_ledger, seed_ledger_catalog
from kpi.models import Fact
from ledger.models import EntryStatus, LedgerEntry, LedgerItem
from ledger.selectors import with_duplicates
from staff.models import User
from tests.shared_data import as_in_a_test, shared_data

pytestmark = pytest.mark.django_db

END = datetime.date(2026, 12, 2)  # a Wednesday: the three weeks are 12 November – 2 December
OUTLETS = 12


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo network and its ledger, seeded once for the module (tests/shared_data.py; what a test
    writes, seeding again, is undone after it): the network's plan and what seed_ledger wrote."""
    with shared_data(django_db_blocker):
        with as_in_a_test():
            call_command("seed_demo", no_facts=True, outlets=OUTLETS, stdout=io.StringIO(), stderr=io.StringIO())
            plan = demo_network.network_plan(outlets=OUTLETS)
            seed_ledger_catalog()
            result = seed_ledger(plan=plan, end=END)
        yield plan, result


def test_the_items_are_the_seeds_practices_with_three_deductions():
    seed_ledger_catalog()
    assert set(LedgerItem.objects.values_list("name_zh", flat=True)) >= {
        "信用卡开卡",
        "手机银行绑卡",
        "代发工资签约",
        "走访商户",
        "发放宣传单",
        "转介理财",
        "劳动纪律扣分",
        "内控问题扣分",
        "服务违规扣分",
    }
    assert LedgerItem.objects.filter(kind="deduction").count() == 3
    assert set(LedgerItem.objects.values_list("metric__code", "metric__unit")) == {("ledger_points", "分")}


def test_three_weeks_are_approved_and_the_day_after_waits_with_a_suspected_duplicate(seeded):
    _plan, result = seeded
    assert result.approved > 100 and result.pending > 0 and result.rejected == 1
    days = set(LedgerEntry.objects.filter(status=EntryStatus.APPROVED).values_list("day", flat=True))
    assert min(days) >= datetime.date(2026, 11, 12) and max(days) == END
    waiting = LedgerEntry.objects.filter(status=EntryStatus.PENDING)
    assert set(waiting.values_list("day", flat=True)) == {END + datetime.timedelta(days=1)}
    head = User.objects.get(username="outlet_head")
    own = with_duplicates(waiting.filter(unit=head.unit))
    assert own.filter(suspected_duplicate=True).count() == 2
    rejected = LedgerEntry.objects.get(status=EntryStatus.REJECTED)
    assert rejected.rejection_reason and rejected.decided_by.role in ("outlet_head", "unit_manager")
    assert LedgerEntry.objects.filter(item__kind="deduction").exclude(note="").exists()


def test_each_persons_fact_is_the_sum_of_their_approved_entries(seeded):
    approved = LedgerEntry.objects.filter(status=EntryStatus.APPROVED)
    # By outlet too: a teller lent to a neighbour outlet has a fact at each.
    sums: dict[tuple, Decimal] = {}
    for row in approved.values("day", "unit_id", "staff_id").annotate(total=Sum("own_points")):
        sums[(row["day"], row["unit_id"], row["staff_id"])] = row["total"]
    # A teller's referral shared with the wealth manager (70/30): the wealth manager's part is in their fact.
    shared = approved.exclude(partner=None)
    assert shared.exists() and all(entry.partner_share == 30 for entry in shared)
    for row in shared.values("day", "unit_id", "partner_id").annotate(total=Sum("partner_points")):
        key = (row["day"], row["unit_id"], row["partner_id"])
        sums[key] = sums.get(key, Decimal(0)) + row["total"]
    facts = {
        (fact.date, fact.unit_id, fact.staff_id): fact.value
        for fact in Fact.objects.filter(metric__code="ledger_points", batch__source="ledger")
    }
    assert facts == sums
    teller = User.objects.get(username="teller").staff_member
    assert any(staff == teller.pk and value > 0 for (_day, _unit, staff), value in facts.items())
    assert all(value == value.quantize(Decimal("0.01")) for value in facts.values())


def test_seeding_again_writes_nothing(seeded):
    plan, _result = seeded
    count = LedgerEntry.objects.count()
    facts = list(Fact.objects.filter(metric__code="ledger_points").order_by("pk").values_list("pk", "value"))

    again = seed_ledger(plan=plan, end=END)

    assert (again.approved, again.pending, again.rejected, again.days) == (0, 0, 0, 0)
    assert LedgerEntry.objects.count() == count
    assert list(Fact.objects.filter(metric__code="ledger_points").order_by("pk").values_list("pk", "value")) == facts


@pytest.mark.parametrize(
    "persona, pages",
    [
        ("teller", ["/ledger/", "/ledger/entries/"]),
        ("outlet_head", ["/ledger/", "/ledger/approve/", "/ledger/entries/?unit={unit}"]),
        ("unit_manager", ["/ledger/", "/ledger/approve/", "/ledger/entries/?unit={unit}"]),
        ("hq_admin", ["/ledger/approve/", "/ledger/entries/?unit={unit}"]),
    ],
)
def test_the_demo_logins_ledger_pages_open_with_entries(seeded, client, persona, pages):
    user = User.objects.get(username=persona)
    unit = User.objects.get(username="outlet_head").unit.code
    client.force_login(user)
    for page in pages:
        url = page.format(unit=unit) + ("&" if "?" in page else "?") + f"date={END}"
        response = client.get(url)
        assert response.status_code == 200, url
        if "/entries/" in page or "/approve/" in page:  # (the home page lists the last two weeks from today)
            assert b"ledger-entry" in response.content, url
