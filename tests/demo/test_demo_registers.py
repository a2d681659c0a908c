"""The demo's registers (demo/registers.py): the outlet head's complaints with their replies and an overdue
hotline complaint (its alert), the register's counts as the days' facts, a judged 营销话术 PK with five
judges, a rollout in 固化 copied from a benchmark; the pages alive for the demo logins; seeding again
writes nothing."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client

from alerts.models import Alert, RuleKind
from complaints.models import Complaint
from demo import network as demo_network
from demo.registers import seed_complaints, seed_registers
from kpi.models import Contest, ContestJudge, Fact, JudgeSheet, RolloutProject, RolloutStage
from kpi.selectors.rollout import rollouts_of
from staff.models import User
from tests.shared_data import as_in_a_test, shared_data

pytestmark = pytest.mark.django_db

END = datetime.date(2026, 12, 2)
OUTLETS = 12


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo network and its registers, seeded once for the module (tests/shared_data.py; what a test
    writes, seeding again, is undone after it): the network's plan, the complaints written and what
    seed_registers wrote."""
    with shared_data(django_db_blocker):
        with as_in_a_test():
            call_command("seed_demo", no_facts=True, outlets=OUTLETS, stdout=io.StringIO(), stderr=io.StringIO())
            plan = demo_network.network_plan(outlets=OUTLETS)
            complaints = seed_complaints(plan=plan, end=END)
            registers = seed_registers(plan=plan, end=END)
        yield plan, complaints, registers


def test_the_outlet_heads_register_counts_its_valid_complaints_as_the_days_facts(seeded):
    _plan, complaints, _registers = seeded
    head = User.objects.get(username="outlet_head")
    assert complaints == 5
    # 12 days before: one valid 意见簿 entry → 1; 9 days before: not valid → 0 (the register holds the day).
    facts = dict(
        Fact.objects.filter(unit=head.unit, metric__code="complaints", staff=None).values_list("date", "value")
    )
    assert facts[END - datetime.timedelta(days=12)] == Decimal(1)
    assert facts[END - datetime.timedelta(days=9)] == Decimal(0)
    assert Complaint.objects.filter(channel="hotline", replied_on=None, staff__user__username="teller").exists()


def test_the_hotline_complaint_not_replied_to_raises_the_outlets_alert(seeded):
    head = User.objects.get(username="outlet_head")
    alert = Alert.objects.get(rule__kind=RuleKind.OVERDUE_REPLY)
    assert (alert.unit, alert.value, alert.owner) == (head.unit, Decimal(1), head)


def test_last_months_judged_contest_has_five_judges_and_this_months_only_the_managers_sheets(seeded):
    _plan, _complaints, registers = seeded
    manager = User.objects.get(username="unit_manager")
    judged = list(Contest.objects.filter(judged=True).order_by("period_start"))
    assert [contest.name for contest in judged] == ["11月营销话术PK赛", "12月营销话术PK赛"]
    assert ContestJudge.objects.filter(contest=judged[0]).count() == 5
    last, this = (JudgeSheet.objects.filter(contest=contest) for contest in judged)
    assert set(last.values_list("judge", flat=True)).__len__() == 5
    assert set(this.values_list("judge", flat=True)) == {manager.pk}
    assert registers.judged_contests == 2


def test_the_rollout_is_in_consolidation_with_five_practices_done(seeded):
    project = RolloutProject.objects.get()
    assert project.stage == RolloutStage.CONSOLIDATE
    progress = rollouts_of(outlet_ids=[project.outlet_id])[project.outlet_id]
    # Done: 3 + 2 + 3 + 2 + 1 = 11 of 3 + 2 + 3 + 2 + 1 + 2 + 1 + 1 = 15 → 0.7333
    assert (progress.done, progress.total, progress.readiness) == (5, 8, Decimal("0.7333"))


def test_the_pages_are_alive_for_the_demo_logins(seeded):
    project = RolloutProject.objects.get()
    complaint = Complaint.objects.order_by("pk").first()
    contest = Contest.objects.filter(judged=True).order_by("period_start").first()
    pages = {
        "outlet_head": [
            "/complaints/", f"/complaints/{complaint.pk}/", "/rollouts/", f"/rollouts/{project.outlet.code}/",
        ],
        "teller": ["/complaints/"],
        "unit_manager": [
            "/complaints/", f"/complaints/{complaint.pk}/", "/rollouts/", f"/contests/{contest.pk}/",
            f"/contests/{contest.pk + 1}/judge/",
        ],
    }  # fmt: skip
    for username, urls in pages.items():
        client = Client()
        client.force_login(User.objects.get(username=username))
        for url in urls:
            assert client.get(url).status_code == 200, (username, url)
    teller = Client()
    teller.force_login(User.objects.get(username="teller"))
    # The teller reads the one complaint that names them.
    assert teller.get("/complaints/").content.decode().count('class="card complaint"') == 1


def test_seeding_again_writes_nothing(seeded):
    plan, _complaints, _registers = seeded
    counts = (Complaint.objects.count(), JudgeSheet.objects.count(), RolloutProject.objects.count())

    assert seed_complaints(plan=plan, end=END) == 0
    again = seed_registers(plan=plan, end=END)

    assert (again.judged_contests, again.rollouts, again.practices) == (0, 0, 0)
    assert (Complaint.objects.count(), JudgeSheet.objects.count(), RolloutProject.objects.count()) == counts
