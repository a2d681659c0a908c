"""The demo's checklists (demo/checklists.py): the two templates in the seeds' words, a week of patrols of
the demo sub-branch with misses and failures and their facts, two inspections with findings in 整改 (one
taken on by the outlet head), a deduction in the ledger; the demo logins' pages alive; seeding again
writes nothing."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.db.models import Sum

from alerts.models import Alert, AlertStatus
from checklists.models import ChecklistItem, Finding, Inspection, PatrolSheet, SheetStatus
from demo import network as demo_network
from demo.checklists import seed_checklists, seed_checklists_catalog
from demo.ledger import seed_ledger_catalog
from kpi.models import Fact
from staff.models import User
from tests.shared_data import as_in_a_test, shared_data

pytestmark = pytest.mark.django_db

END = datetime.date(2026, 12, 2)
OUTLETS = 12


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo network and a week of its checklists, seeded once for the module (tests/shared_data.py;
    what a test writes, seeding again, is undone after it): the network's plan and what seed_checklists
    wrote."""
    with shared_data(django_db_blocker):
        with as_in_a_test():
            call_command("seed_demo", no_facts=True, outlets=OUTLETS, stdout=io.StringIO(), stderr=io.StringIO())
            plan = demo_network.network_plan(outlets=OUTLETS)
            seed_ledger_catalog()
            seed_checklists_catalog()
            result = seed_checklists(plan=plan, end=END)
        yield plan, result


def test_the_lobby_patrol_has_the_four_sections_of_the_seeds():
    seed_checklists_catalog()
    sections = set(
        ChecklistItem.objects.filter(section__template__code="lobby_patrol").values_list("section__name", flat=True)
    )
    assert sections == {"环境", "着装", "设备", "物料"}


def test_a_week_of_rounds_with_misses_and_failures_adds_up_to_the_facts(seeded):
    _plan, result = seeded
    assert result.rounds > 0 and result.missed > 0 and result.failed_items > 0
    week = PatrolSheet.objects.filter(day__lte=END)
    sheets = week.aggregate(checked=Sum("items_checked"), passed=Sum("items_passed"))
    facts = dict(
        Fact.objects.filter(metric__code__in=["patrol_items_checked", "patrol_items_passed"])
        .values("metric__code")
        .annotate(total=Sum("value"))
        .values_list("metric__code", "total")
    )
    assert (facts["patrol_items_checked"], facts["patrol_items_passed"]) == (sheets["checked"], sheets["passed"])
    assert Fact.objects.filter(metric__code="patrols_missed").aggregate(total=Sum("value"))["total"] == (
        week.filter(status=SheetStatus.MISSED).count()
    )
    # Today's 09:00 round waits for the outlet head: the queue machine is down.
    today = PatrolSheet.objects.filter(day=END + datetime.timedelta(days=1))
    assert today.exists() and all(sheet.items_passed < sheet.items_checked for sheet in today)


def test_two_inspections_have_findings_in_rectification(seeded):
    assert Inspection.objects.count() == 2
    findings = Finding.objects.select_related("alert")
    assert findings.count() == 3
    assert all(finding.alert.rule.kind == "inspection" for finding in findings)
    assert sorted(finding.alert.status for finding in findings) == [
        AlertStatus.IN_PROGRESS,
        AlertStatus.OPEN,
        AlertStatus.OPEN,
    ]
    severe = findings.get(severity="severe")
    assert severe.ledger_entry is not None and severe.ledger_entry.points == -5


def test_seeding_again_writes_nothing(seeded):
    plan, _result = seeded
    counts = (PatrolSheet.objects.count(), Inspection.objects.count(), Alert.objects.count(), Fact.objects.count())
    again = seed_checklists(plan=plan, end=END)
    assert again.rounds == 0 and again.inspections == 0
    assert (
        PatrolSheet.objects.count(),
        Inspection.objects.count(),
        Alert.objects.count(),
        Fact.objects.count(),
    ) == counts


@pytest.mark.parametrize("username", ["outlet_head", "teller", "unit_manager", "hq_admin", "auditor"])
def test_the_demo_logins_open_the_patrols_and_inspections(seeded, client, username):
    client.force_login(User.objects.get(username=username))
    home = client.get("/checklists/", follow=True)
    assert home.status_code == 200
    assert client.get("/checklists/inspections/").status_code == 200
