"""The transformation rollout (网点转型): the benchmark's checklist copied, readiness by weight, the stages,
the staffing mix against HQ's standard, and the benchmark page's progress line."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from branches.models import OutletFormat
from kpi.models import PracticeItem, RolloutItem, RolloutStage, StandardPostMix
from kpi.selectors.rollout import readiness, rollouts_of, staffing_mix
from kpi.services.rollout import rollout_advance, rollout_item_mark, rollout_start
from staff.access import scope_for_user
from staff.models import StaffMember
from tests.factories import AssignmentFactory, StaffMemberFactory, post

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def replica(network):
    """天河路 (GZ0101) is the benchmark; 珠江新城 (GZ0102) copies it. The checklist: 晨夕会 3, 厅堂营销 2,
    岗位设置 1, 客户分层维护 4 (Σ 10)."""
    benchmark, copy = network["GZ0101"], network["GZ0102"]
    benchmark.is_benchmark = True
    benchmark.save()
    copy.benchmark = benchmark
    copy.save()
    for order, (name, weight) in enumerate([("晨夕会", 3), ("厅堂营销", 2), ("岗位设置", 1), ("客户分层维护", 4)]):
        PracticeItem.objects.create(benchmark=benchmark, name=name, weight=weight, sort_order=order)
    return copy


def test_a_rollout_copies_the_benchmarks_checklist_and_readiness_is_done_weight_over_all(replica, unit_manager):
    scope = scope_for_user(unit_manager)
    project = rollout_start(scope=scope, outlet=replica, coach=None, started_on=datetime.date(2026, 11, 1))
    items = {item.name: item for item in project.items.all()}
    assert list(items) == ["晨夕会", "厅堂营销", "岗位设置", "客户分层维护"]

    today = timezone.localdate()
    rollout_item_mark(scope=scope, user=unit_manager, item=items["晨夕会"], done=True, evidence="晨会记录", day=today)
    rollout_item_mark(scope=scope, user=unit_manager, item=items["岗位设置"], done=True, evidence="排班表", day=today)

    # (3 + 1) / (3 + 2 + 1 + 4) = 4 / 10 = 0.4
    assert readiness(RolloutItem.objects.filter(project=project)) == Decimal("0.4000")
    progress = rollouts_of(outlet_ids=[replica.pk])[replica.pk]
    assert (progress.readiness, progress.done, progress.total) == (Decimal("0.4000"), 2, 4)


def test_acceptance_needs_every_practice_done(replica, unit_manager):
    scope = scope_for_user(unit_manager)
    project = rollout_start(scope=scope, outlet=replica, coach=None, started_on=datetime.date(2026, 11, 1))
    today = timezone.localdate()

    project = rollout_advance(scope=scope, project=project, day=today)
    assert project.stage == RolloutStage.CONSOLIDATE
    with pytest.raises(ValidationError):
        rollout_advance(scope=scope, project=project, day=today)

    for item in project.items.all():
        rollout_item_mark(scope=scope, user=unit_manager, item=item, done=True, evidence="现场检查", day=today)
    project = rollout_advance(scope=scope, project=project, day=today)
    assert (project.stage, project.accepted_on) == (RolloutStage.ACCEPT, today)


def test_a_practice_marked_done_needs_its_evidence(replica, unit_manager):
    scope = scope_for_user(unit_manager)
    project = rollout_start(scope=scope, outlet=replica, coach=None, started_on=datetime.date(2026, 11, 1))
    item = project.items.first()

    with pytest.raises(ValidationError):
        rollout_item_mark(scope=scope, user=unit_manager, item=item, done=True, evidence="  ", day=timezone.localdate())
    item.refresh_from_db()
    assert item.done_on is None


def test_the_staffing_mix_compares_the_assignments_with_the_standard_of_the_format(replica, unit_manager):
    # 珠江新城 is a light outlet: HQ's standard is 1 零售主管, 1 理财经理, 2 柜员.
    for code, count in (("retail_supervisor", 1), ("wealth_manager", 1), ("teller", 2)):
        StandardPostMix.objects.create(format=OutletFormat.LIGHT, post=post(code), count=count)
    start = datetime.date(2026, 1, 1)
    for number, code in enumerate(("teller", "teller", "teller", "market_manager")):
        AssignmentFactory(staff=StaffMemberFactory(code=f"Z{number}"), post=code, unit=replica, start=start)
    project = rollout_start(
        scope=scope_for_user(unit_manager), outlet=replica, coach=StaffMember.objects.get(code="Z0"), started_on=start
    )

    mix = {row.post.code: (row.standard, row.current, row.gap) for row in staffing_mix(project=project, on=start)}

    # 3 tellers for 2 (+1), no supervisor nor wealth manager (-1 each), a market manager beyond the standard.
    assert mix == {
        "retail_supervisor": (1, 0, -1),
        "wealth_manager": (1, 0, -1),
        "teller": (2, 3, 1),
        "market_manager": (0, 1, 1),
    }


def test_the_rollout_page_shows_readiness_and_lets_the_outlet_head_mark_a_practice(replica, unit_manager, client):
    from tests.factories import UserFactory

    project = rollout_start(
        scope=scope_for_user(unit_manager), outlet=replica, coach=None, started_on=datetime.date(2026, 11, 1)
    )
    head = UserFactory(username="zj.head", role="outlet_head", unit=replica)
    client.force_login(head)
    item = project.items.get(name="客户分层维护")

    refused = client.post(
        "/rollouts/GZ0102/", {"item": item.pk, "done": "1", "evidence": ""}, HTTP_ACCEPT_LANGUAGE="en"
    )
    done = client.post("/rollouts/GZ0102/", {"item": item.pk, "done": "1", "evidence": "分层台账"})
    page = client.get("/rollouts/GZ0102/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert refused.status_code == 400  # no evidence: nothing written
    assert done.status_code == 302
    # 4 / (3 + 2 + 1 + 4) = 40.0 %
    assert "40.0%" in page and "分层台账" in page
