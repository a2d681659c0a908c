from __future__ import annotations

import datetime
import io
from collections import Counter

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError

from branches.models import OrgUnit, PeerGroup, Transformation, UnitKind
from demo import network as demo_network
from staff.models import Assignment, Role, StaffMember, User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # Authentication is what these tests check, not PBKDF2's cost: five logins at a million rounds each
    # would be most of the module's run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(**options) -> str:
    """seed_demo's network and logins; its facts and targets are tests/bankops/test_demo_facts.py's."""
    out = io.StringIO()
    call_command("seed_demo", stdout=out, stderr=io.StringIO(), **{"no_facts": True, **options})
    return out.getvalue()


def printed_logins(output: str) -> dict[str, str]:
    """username → password, read off the table the command printed (after its header and rule)."""
    table = output.split("Demo logins:\n", 1)[1].splitlines()[2:]
    return {line.split()[0]: line.split()[-1] for line in table if line.strip()}


def snapshot() -> dict[str, list]:
    """Everything seed_demo writes, but the password hashes (set anew on every run)."""
    return {
        "units": list(
            OrgUnit.objects.order_by("code").values_list(
                "code",
                "parent__code",
                "name_zh",
                "name_en",
                "kind",
                "area",
                "format",
                "transformation",
                "transformed_on",
                "is_benchmark",
                "benchmark__code",
                "opened_on",
                "path",
                "depth",
            )
        ),
        "staff": list(StaffMember.objects.order_by("code").values_list("code", "name", "user__username")),
        "assignments": list(
            Assignment.objects.order_by("staff__code", "unit__code", "start").values_list(
                "staff__code", "post__code", "unit__code", "start", "end"
            )
        ),
        "peer_groups": list(
            PeerGroup.objects.order_by("code", "members__code").values_list("code", "name_zh", "members__code")
        ),
        "users": list(
            User.objects.order_by("username").values_list(
                "username", "role", "unit__code", "last_name", "first_name", "is_staff", "is_superuser", "is_active"
            )
        ),
    }


def test_a_small_seed_makes_hq_three_branches_two_sub_branches_and_twenty_outlets():
    seed(outlets=20)

    kinds = Counter(OrgUnit.objects.values_list("kind", flat=True))
    assert kinds == {UnitKind.HQ: 1, UnitKind.BRANCH: 3, UnitKind.SUB_BRANCH: 2, UnitKind.OUTLET: 20}
    # Two sub-branches go to the first two cities, ten outlets each.
    assert list(OrgUnit.objects.filter(kind=UnitKind.SUB_BRANCH).values_list("code", flat=True)) == ["LY01", "NY01"]
    assert {sub.code: sub.children.count() for sub in OrgUnit.objects.filter(kind=UnitKind.SUB_BRANCH)} == {
        "LY01": 10,
        "NY01": 10,
    }
    assert PeerGroup.objects.filter(is_default=True).exists()


def test_a_small_seed_staffs_every_outlet_post_by_post():
    seed(outlets=20)

    # 11 to 16 people per outlet (DOMAIN.md §2 posts, sized as OUTLET_STAFFING says).
    assert 20 * 11 <= StaffMember.objects.count() <= 20 * 16
    posts = Counter(Assignment.objects.values_list("unit__code", "post__code"))
    for outlet in OrgUnit.objects.outlets().values_list("code", flat=True):
        assert posts[outlet, "outlet_head"] == 1
        assert posts[outlet, "retail_supervisor"] == 1
        assert 1 <= posts[outlet, "wealth_manager"] <= 2
        assert 2 <= posts[outlet, "customer_manager"] <= 3
        # 4–6 of its own, and perhaps one lent by a neighbouring outlet.
        assert 4 <= posts[outlet, "teller"] <= 7
    assert StaffMember.objects.filter(code__regex=r"^S\d{6}$").count() == StaffMember.objects.count()


def test_a_few_tellers_serve_two_outlets_of_the_same_sub_branch():
    seed(outlets=20)

    shared = [
        member
        for member in StaffMember.objects.prefetch_related("assignments__unit", "assignments__post")
        if member.assignments.count() > 1
    ]
    assert shared
    for member in shared:
        assignments = list(member.assignments.all())
        assert {a.post.code for a in assignments} == {"teller"}
        assert len({a.unit.code for a in assignments}) == len(assignments)
        assert len({a.unit.parent_id for a in assignments}) == 1


def test_the_five_personas_log_in_with_the_printed_password():
    output = seed(outlets=20)

    logins = printed_logins(output)
    assert set(logins) == {"hq_admin", "unit_manager", "outlet_head", "teller", "auditor"}
    for username, password in logins.items():
        assert password == demo_network.DEMO_PASSWORD
        user = authenticate(username=username, password=password)
        assert user is not None, username
        assert user.last_name and user.first_name
    hq_admin = User.objects.get(username="hq_admin")
    assert (hq_admin.role, hq_admin.is_staff, hq_admin.is_superuser) == (Role.HQ_ADMIN, True, True)
    assert User.objects.get(username="auditor").role == Role.AUDITOR
    assert not User.objects.get(username="auditor").is_staff


def test_the_outlet_head_persona_runs_an_outlet_and_the_unit_manager_a_sub_branch():
    seed(outlets=20)

    unit_manager = User.objects.get(username="unit_manager")
    outlet_head = User.objects.get(username="outlet_head")
    teller = User.objects.get(username="teller")
    assert (unit_manager.role, unit_manager.unit.kind) == (Role.UNIT_MANAGER, UnitKind.SUB_BRANCH)
    assert (outlet_head.role, outlet_head.unit.kind) == (Role.OUTLET_HEAD, UnitKind.OUTLET)
    assert outlet_head.unit.parent == unit_manager.unit
    # Each is the staff member who holds the post at that outlet, under the same name.
    head_member = outlet_head.staff_member
    assert head_member.assignments.filter(post__code="outlet_head", unit=outlet_head.unit).exists()
    assert head_member.name == f"{outlet_head.last_name}{outlet_head.first_name}"
    assert teller.role == Role.STAFF
    assert teller.staff_member.assignments.filter(post__code="teller", unit=outlet_head.unit).exists()


def test_running_it_twice_changes_nothing():
    seed(outlets=20)
    before = snapshot()

    # --force goes through it all again (without it the run finds the demo seeded: test_seed_demo_runs.py).
    output = seed(outlets=20, force=True)

    assert snapshot() == before
    assert "units 0 created, 0 updated" in output
    assert "assignments 0 created, 0 updated" in output
    for username, password in printed_logins(output).items():
        assert authenticate(username=username, password=password) is not None


def test_the_same_seed_gives_the_same_outlet_names_and_codes():
    seed(outlets=20, seed=7)

    def outlets(plan: demo_network.NetworkPlan) -> list[tuple[str, str, str]]:
        return [(unit.code, unit.name_zh, unit.name_en) for unit in plan.outlets]

    written = list(OrgUnit.objects.outlets().order_by("code").values_list("code", "name_zh", "name_en"))
    assert written == outlets(demo_network.network_plan(outlets=20, seed=7))
    assert outlets(demo_network.network_plan(outlets=20, seed=7)) == outlets(
        demo_network.network_plan(outlets=20, seed=7)
    )
    assert outlets(demo_network.network_plan(outlets=20, seed=8)) != outlets(
        demo_network.network_plan(outlets=20, seed=7)
    )


def test_demo_logins_prints_the_table_seed_demo_printed():
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    assert "run `python manage.py seed_demo`" in out.getvalue()

    seeded = seed(outlets=10)
    out = io.StringIO()
    call_command("demo_logins", stdout=out)

    assert out.getvalue().strip() == seeded.split("\n\n", 1)[1].strip()


def test_it_refuses_a_network_without_outlets():
    with pytest.raises(CommandError, match="at least 1"):
        seed(outlets=0)
    assert not OrgUnit.objects.exists()


# -- the plan alone (no database writes) -------------------------------------------------------------


def test_sub_branches_scale_at_one_per_ten_outlets_spread_over_the_branches():
    assert [unit.code for unit in demo_network.network_plan(outlets=5).sub_branches] == ["LY01"]
    assert [unit.code for unit in demo_network.network_plan(outlets=35).sub_branches] == ["LY01", "NY01", "XY01"]
    plan = demo_network.network_plan(outlets=120)
    per_branch = Counter(unit.parent for unit in plan.sub_branches)
    assert per_branch == {"LY": 4, "NY": 4, "XY": 4}
    assert len(plan.outlets) == 120
    assert len(plan.of_kind(UnitKind.BRANCH)) == 3
    assert len(plan.of_kind(UnitKind.HQ)) == 1


def test_the_default_network_has_the_mix_of_a_real_one():
    plan = demo_network.network_plan()

    assert {o.area for o in plan.outlets} == {"urban", "county", "township"}
    assert {o.outlet_format for o in plan.outlets} == {"full", "light", "smart"}
    assert {o.transformation for o in plan.outlets} == set(Transformation.values)
    assert all(o.transformed_on for o in plan.outlets if o.transformation == Transformation.TRANSFORMED)
    assert 1_400 <= len({a.code for a in plan.assignments}) <= 1_700
    opened_on = {o.code: o.opened_on for o in plan.outlets}
    assert all(opened_on[a.unit] < a.start <= datetime.date(2024, 12, 31) for a in plan.assignments)
    # Each sub-branch's first outlet is its 营业部.
    assert all(o.name_zh.endswith("营业部") == o.code.endswith("01") for o in plan.outlets), (
        "营业部 is the first outlet"
    )


def test_benchmarks_are_transformed_and_replicated_in_their_own_city():
    plan = demo_network.network_plan()
    by_code = {unit.code: unit for unit in plan.units}

    benchmarks = [o for o in plan.outlets if o.is_benchmark]
    replicas = [o for o in plan.outlets if o.benchmark]
    assert 2 <= len(benchmarks) <= 5
    assert all(b.transformation == Transformation.TRANSFORMED for b in benchmarks)
    assert len(replicas) >= 2 * len(benchmarks)
    for replica in replicas:
        benchmark = by_code[replica.benchmark]
        assert benchmark.is_benchmark and not replica.is_benchmark
        assert by_code[replica.parent].parent == by_code[benchmark.parent].parent


def test_replicas_transform_in_the_first_month_whose_month_before_ends_on_a_rolled_up_day():
    # Rolled up from Monday 19 October to Wednesday 2 December 2026: October's end is rolled up, so the
    # replicas transform in the first ten days of November (their "before" is October).
    first, last = datetime.date(2026, 10, 19), datetime.date(2026, 12, 2)
    plan = demo_network.network_plan(replicas_transformed=(first, last))
    plain = {unit.code: unit for unit in demo_network.network_plan().units}

    replicas = [outlet for outlet in plan.outlets if outlet.benchmark]
    assert replicas
    for replica in replicas:
        assert replica.transformation == Transformation.TRANSFORMED
        assert datetime.date(2026, 11, 1) <= replica.transformed_on <= datetime.date(2026, 11, 10)
    # Nothing else of the plan moves.
    assert [(u.code, u.name_zh, u.benchmark) for u in plan.units] == [
        (u.code, u.name_zh, u.benchmark) for u in plain.values()
    ]
    assert all(plain[o.code].transformed_on == o.transformed_on for o in plan.outlets if not o.benchmark)
    # A window that starts on a month's first day takes the next month; one without a month end, none.
    day = demo_network.replica_transformation_day
    assert datetime.date(2026, 12, 1) <= day("LY0101", datetime.date(2026, 11, 1), last) <= last
    assert day("LY0101", datetime.date(2026, 10, 31), last) < datetime.date(2026, 11, 11)
    assert day("LY0101", datetime.date(2026, 11, 3), datetime.date(2026, 11, 20)) is None
