"""The one answer to "may this user see this unit / this staff member" and "may they do this"
(staff/access.py, DOMAIN.md §7)."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import Q
from django.http import Http404

from branches.models import OrgUnit
from kpi.models import Scorecard
from staff.access import (
    ANOTHER_ROOT,
    Menu,
    Scope,
    another_root_exists,
    answers_reviews,
    fills_reviews,
    get_benchmark_or_404,
    get_staff_or_404,
    get_unit_or_404,
    has_follow_up_work,
    menu_for,
    own_overview_unit,
    own_scorecard_entity,
    own_unit_in_scope,
    scope_for_token,
    scope_for_user,
    starts_on_scorecard,
    token_reaches_network,
    unit_heads,
    users_who_may_follow_up,
)
from staff.models import ApiToken, Role, StaffMember
from staff.services import api_token_create
from tests.factories import AssignmentFactory, OrgUnitFactory, StaffMemberFactory, UserFactory
from tests.factories import post as post_named
from tests.kpi.scorecard_factories import ScorecardFactory, published_day

ALL_UNITS = {"HQ", "GZ", "GZ01", "GZ0101", "GZ0102", "GZ02", "GZ0201", "SZ", "SZ01", "SZ0101"}


@pytest.fixture
def roster(network, teller) -> dict[str, StaffMember]:
    """Staff across the network besides the teller 黄丽娟 (S1001, GZ0101).

    S1002 何静   lobby manager at GZ0101
    S1003 罗刚   customer manager at GZ0102
    S1004 梁敏   teller at GZ0201 (Conghua)
    S1005 谢芳   wealth manager at SZ0101 (Shenzhen)
    """
    people = {"S1001": teller.staff_member}
    for code, name, post, unit in [
        ("S1002", "何静", "lobby_manager", "GZ0101"),
        ("S1003", "罗刚", "customer_manager", "GZ0102"),
        ("S1004", "梁敏", "teller", "GZ0201"),
        ("S1005", "谢芳", "wealth_manager", "SZ0101"),
    ]:
        people[code] = StaffMemberFactory(code=code, name=name)
        AssignmentFactory(staff=people[code], post=post, unit=network[unit])
    return people


def _unit_codes(scope: Scope) -> set[str]:
    return set(scope.units().values_list("code", flat=True))


def _staff_codes(scope: Scope) -> set[str]:
    return set(scope.staff().values_list("code", flat=True))


# -- who sees which units ----------------------------------------------------------------------------


def test_the_hq_admin_sees_every_unit_and_may_change_things(hq_admin, roster):
    scope = scope_for_user(hq_admin)

    assert scope.everything
    assert not scope.read_only
    assert _unit_codes(scope) == ALL_UNITS
    assert _staff_codes(scope) == {"S1001", "S1002", "S1003", "S1004", "S1005"}


def test_the_auditor_sees_every_unit_but_read_only(auditor, roster):
    scope = scope_for_user(auditor)

    assert scope.everything
    assert scope.read_only
    assert _unit_codes(scope) == ALL_UNITS
    assert _staff_codes(scope) == {"S1001", "S1002", "S1003", "S1004", "S1005"}


def test_a_superuser_without_a_role_sees_everything(network):
    scope = scope_for_user(UserFactory(is_superuser=True, is_staff=True))

    assert _unit_codes(scope) == ALL_UNITS


def test_the_unit_manager_sees_the_sub_branch_and_its_outlets_only(unit_manager):
    scope = scope_for_user(unit_manager)

    assert not scope.everything
    assert _unit_codes(scope) == {"GZ01", "GZ0101", "GZ0102"}


def test_the_unit_manager_sees_neither_the_parent_branch_nor_a_sibling_nor_another_branch(unit_manager, network):
    scope = scope_for_user(unit_manager)

    assert scope.can_see_unit(network["GZ0102"])
    for code in ("HQ", "GZ", "GZ02", "GZ0201", "SZ", "SZ0101"):
        assert not scope.can_see_unit(network[code]), code


def test_the_outlet_head_sees_only_their_outlet(outlet_head, network):
    scope = scope_for_user(outlet_head)

    assert _unit_codes(scope) == {"GZ0101"}
    assert not scope.can_see_unit(network["GZ0102"])
    assert not scope.can_see_unit(network["GZ01"])


def test_the_teller_sees_no_unit(teller, network):
    scope = scope_for_user(teller)

    assert _unit_codes(scope) == set()
    assert not scope.can_see_unit(network["GZ0101"])


def test_the_outsider_sees_nothing(outsider, roster, network):
    scope = scope_for_user(outsider)

    assert scope == Scope.nothing()
    assert _unit_codes(scope) == set()
    assert _staff_codes(scope) == set()
    assert not scope.can_see_unit(network["HQ"])


def test_a_deactivated_hq_admin_sees_nothing(hq_admin):
    hq_admin.is_active = False
    hq_admin.save()

    assert scope_for_user(hq_admin) == Scope.nothing()


def test_a_unit_manager_whose_unit_is_missing_sees_nothing(db):
    # The admin refuses this (User.clean) but the scope must not fall back to "everything".
    assert scope_for_user(UserFactory(role=Role.UNIT_MANAGER, unit=None)) == Scope.nothing()


def test_a_staff_login_with_no_staff_record_sees_nothing(network):
    assert scope_for_user(UserFactory(role=Role.STAFF)) == Scope.nothing()


def test_the_scope_follows_a_sub_branch_that_moved(unit_manager, network):
    gz01 = network["GZ01"]
    gz01.parent = network["SZ"]
    gz01.save()
    unit_manager.refresh_from_db()

    assert _unit_codes(scope_for_user(unit_manager)) == {"GZ01", "GZ0101", "GZ0102"}


# -- who sees which staff ----------------------------------------------------------------------------


def test_the_unit_manager_sees_the_staff_of_every_outlet_under_the_sub_branch(unit_manager, roster):
    assert _staff_codes(scope_for_user(unit_manager)) == {"S1001", "S1002", "S1003"}


def test_the_outlet_head_sees_the_staff_of_their_outlet_only(outlet_head, roster):
    scope = scope_for_user(outlet_head)

    assert _staff_codes(scope) == {"S1001", "S1002"}
    assert scope.can_see_staff(roster["S1002"])
    assert not scope.can_see_staff(roster["S1003"])


def test_the_teller_sees_her_own_record_and_no_colleague(teller, roster):
    scope = scope_for_user(teller)

    assert _staff_codes(scope) == {"S1001"}
    assert scope.can_see_staff(teller.staff_member)
    assert not scope.can_see_staff(roster["S1002"])


def test_a_transferred_staff_member_stays_visible_where_they_worked_and_becomes_visible_where_they_went(
    outlet_head, network, roster
):
    # 梁敏 leaves Conghua (GZ0201) at the end of March and joins Tianhe Road (GZ0101) in April.
    liang = roster["S1004"]
    liang.assignments.update(end=datetime.date(2026, 3, 31))
    conghua_head = UserFactory(first_name="邓建华", role=Role.OUTLET_HEAD, unit=network["GZ0201"])
    assert not scope_for_user(outlet_head).can_see_staff(liang)

    AssignmentFactory(staff=liang, post="teller", unit=network["GZ0101"], start=datetime.date(2026, 4, 1))

    # Past scorecards stay readable where the work was done, and the new outlet sees its teller.
    assert scope_for_user(conghua_head).can_see_staff(liang)
    assert scope_for_user(outlet_head).can_see_staff(liang)


def test_a_staff_member_with_no_assignment_is_seen_only_by_the_whole_network_roles(
    hq_admin, unit_manager, outlet_head, network
):
    newcomer = StaffMemberFactory(code="S9001", name="钟思远")

    assert scope_for_user(hq_admin).can_see_staff(newcomer)
    assert not scope_for_user(unit_manager).can_see_staff(newcomer)
    assert not scope_for_user(outlet_head).can_see_staff(newcomer)


# -- rows held by a unit or a staff member (scorecards, targets) ------------------------------------------


def _held_rows(scope: Scope, network, roster, *, units=(), staff=()) -> set[str]:
    """Who holds the month scorecards of 2026-11-24 that the scope reads: an outlet's and a staff member's
    each, across the network, and those of the further `units` and `staff` given."""
    run = published_day().published_run
    for unit in [network[code] for code in ("GZ0101", "GZ0201", "SZ0101")] + list(units):
        ScorecardFactory(run=run, unit=unit)
    for member in [roster[code] for code in ("S1001", "S1004", "S1005")] + list(staff):
        ScorecardFactory(run=run, unit=None, staff=member)
    cards = run.scorecard_set.filter(scope.holder_records(on="date")).select_related("unit", "staff")
    return {card.unit.code if card.unit else card.staff.code for card in cards}


def test_hq_reads_every_held_row_without_naming_every_unit(hq_admin, network, roster):
    scope = scope_for_user(hq_admin)

    assert _held_rows(scope, network, roster) == {"GZ0101", "GZ0201", "SZ0101", "S1001", "S1004", "S1005"}
    sql = str(Scorecard.objects.filter(scope.holder_records(on="date")).query)
    assert "branches_orgunit" not in sql  # no subquery over every unit
    assert "branches_orgunit" not in str(Scorecard.objects.filter(scope.unit_records()).query)


def test_the_head_offices_token_reads_every_held_row_as_hq_does_without_naming_every_unit(network, roster):
    token, _key = api_token_create(name="warehouse", unit=network["HQ"], scopes="read")
    newcomer = StaffMemberFactory(code="S9001", name="钟思远")  # no assignment anywhere on the day
    scope = scope_for_token(token)

    assert scope.network_wide and scope.reads_every_row
    every_holder = {"GZ0101", "GZ0201", "SZ0101", "S1001", "S1004", "S1005", "S9001"}
    assert _held_rows(scope, network, roster, staff=[newcomer]) == every_holder
    sql = str(Scorecard.objects.filter(scope.holder_records(on="date")).query)
    assert "branches_orgunit" not in sql and "staff_assignment" not in sql  # no subquery per query or per row


def test_a_root_token_beside_another_tree_reads_only_its_own_tree(network, roster):
    # A database may hold several trees (clean() lets only the head office be without a parent, but
    # imports of two banks, or a test's units, can make more): the root's token then reads its own tree.
    other_bank = OrgUnitFactory.head_office(code="XB", name_zh="兴业总行", name_en="Other head office")
    other_outlet = OrgUnitFactory.outlet_of(other_bank, code="XB01")
    token, _key = api_token_create(name="warehouse", unit=network["HQ"], scopes="read,admin")
    scope = scope_for_token(token)

    assert not scope.network_wide and not scope.reads_every_row and not scope.may_start_rollup
    its_own_tree = {"GZ0101", "GZ0201", "SZ0101", "S1001", "S1004", "S1005"}
    assert _held_rows(scope, network, roster, units=[other_outlet]) == its_own_tree


def test_whether_a_token_reaches_the_whole_network_is_read_with_the_token_or_asked_once(
    network, django_assert_num_queries
):
    api_token_create(name="warehouse", unit=network["HQ"], scopes="read")
    api_token_create(name="tianhe", unit=network["GZ0101"], scopes="read")
    annotated = ApiToken.objects.select_related("unit").annotate(**{ANOTHER_ROOT: another_root_exists()})
    read_with_it = {token.name: token for token in annotated}
    plain = {token.name: token for token in ApiToken.objects.select_related("unit")}

    with django_assert_num_queries(0):
        assert token_reaches_network(read_with_it["warehouse"])
        assert not token_reaches_network(read_with_it["tianhe"])
        assert not token_reaches_network(plain["tianhe"])  # not a root: nothing to ask
    with django_assert_num_queries(1):
        assert token_reaches_network(plain["warehouse"])


def test_every_row_stays_every_row_when_another_condition_is_added_to_it(hq_admin, network, roster):
    # Q() | X would be X: HQ's condition must survive `|=` (meetings' action items add the owner's).
    scope = scope_for_user(hq_admin)
    _held_rows(scope, network, roster)

    widened = scope.unit_records() | Q(pk__in=[])

    assert Scorecard.objects.filter(widened).count() == Scorecard.objects.count() == 6


def test_a_sub_branch_reads_its_units_rows_and_those_of_the_staff_who_worked_there(unit_manager, network, roster):
    # Tianhe sub-branch (GZ01): its outlet GZ0101 and 黄丽娟 (S1001) at GZ0101; not Conghua's nor Shenzhen's.
    assert _held_rows(scope_for_user(unit_manager), network, roster) == {"GZ0101", "S1001"}


def test_a_teller_reads_her_own_rows_only(teller, network, roster):
    assert _held_rows(scope_for_user(teller), network, roster) == {"S1001"}


# -- the 404 helpers ---------------------------------------------------------------------------------


def test_get_unit_or_404_returns_a_unit_in_scope(unit_manager, network):
    assert get_unit_or_404(scope_for_user(unit_manager), "GZ0102") == network["GZ0102"]


def test_get_unit_or_404_answers_a_unit_out_of_scope_exactly_like_a_missing_one(unit_manager, network):
    scope = scope_for_user(unit_manager)
    assert OrgUnit.objects.filter(code="SZ0101").exists()

    with pytest.raises(Http404) as out_of_scope:
        get_unit_or_404(scope, "SZ0101")
    with pytest.raises(Http404) as missing:
        get_unit_or_404(scope, "NOPE01")

    assert str(out_of_scope.value) == str(missing.value)


@pytest.mark.parametrize("persona", ["teller", "outsider"])
def test_get_unit_or_404_refuses_every_unit_to_those_who_see_none(persona, request, network):
    scope = scope_for_user(request.getfixturevalue(persona))

    for code in ("HQ", "GZ0101"):
        with pytest.raises(Http404):
            get_unit_or_404(scope, code)


def test_a_benchmark_is_readable_by_those_who_see_it_or_an_outlet_that_copies_it(
    network, hq_admin, auditor, unit_manager, outlet_head, teller
):
    """GZ0101 (天河支行) is a benchmark; 太平镇网点 GZ0201 (从化支行) copies it. HQ and auditors read every
    benchmark; 天河支行's manager and 天河路网点's head read their own; 从化支行's manager and GZ0201's head
    read it because their outlet copies it; 福田支行's manager and a teller do not."""
    benchmark = network["GZ0101"]
    benchmark.is_benchmark = True
    benchmark.save()
    network["GZ0201"].benchmark = benchmark
    network["GZ0201"].save()
    conghua = UserFactory(role=Role.UNIT_MANAGER, unit=network["GZ02"])
    taiping_head = UserFactory(role=Role.OUTLET_HEAD, unit=network["GZ0201"])
    futian = UserFactory(role=Role.UNIT_MANAGER, unit=network["SZ01"])

    readers = {
        name: list(scope_for_user(user).benchmarks().values_list("code", flat=True))
        for name, user in {
            "hq_admin": hq_admin,
            "auditor": auditor,
            "unit_manager": unit_manager,
            "outlet_head": outlet_head,
            "conghua": conghua,
            "taiping_head": taiping_head,
            "futian": futian,
            "teller": teller,
        }.items()
    }

    assert readers == {
        "hq_admin": ["GZ0101"],
        "auditor": ["GZ0101"],
        "unit_manager": ["GZ0101"],
        "outlet_head": ["GZ0101"],
        "conghua": ["GZ0101"],
        "taiping_head": ["GZ0101"],
        "futian": [],
        "teller": [],
    }
    # Reading the comparison is all it grants: the benchmark itself stays outside 从化支行's scope.
    assert get_benchmark_or_404(scope_for_user(conghua), "GZ0101") == benchmark
    assert not scope_for_user(conghua).can_see_unit(benchmark)
    with pytest.raises(Http404):
        get_unit_or_404(scope_for_user(conghua), "GZ0101")
    # An outlet that is not a benchmark answers like a missing one, even inside the scope.
    with pytest.raises(Http404) as not_a_benchmark:
        get_benchmark_or_404(scope_for_user(hq_admin), "GZ0102")
    with pytest.raises(Http404) as missing:
        get_benchmark_or_404(scope_for_user(hq_admin), "NOPE01")
    assert str(not_a_benchmark.value) == str(missing.value)


def test_get_staff_or_404_answers_a_colleague_out_of_scope_exactly_like_a_missing_one(outlet_head, roster):
    scope = scope_for_user(outlet_head)

    assert get_staff_or_404(scope, "S1002") == roster["S1002"]
    with pytest.raises(Http404) as out_of_scope:
        get_staff_or_404(scope, "S1005")
    with pytest.raises(Http404) as missing:
        get_staff_or_404(scope, "S9999")
    assert str(out_of_scope.value) == str(missing.value)


def test_get_staff_or_404_gives_the_teller_her_own_record_only(teller, roster):
    scope = scope_for_user(teller)

    assert get_staff_or_404(scope, "S1001") == teller.staff_member
    with pytest.raises(Http404):
        get_staff_or_404(scope, "S1002")


# -- who may do what: the persona × permission table ---------------------------------------------------
#
# Units: the unit manager runs GZ01 (outlets GZ0101, GZ0102), the outlet head GZ0101; SZ0101 and SZ01 are
# in another branch, outside both. Tokens are of GZ01. A column is a named permission of Scope, with
# the unit it is asked about where it takes one.

COLUMNS = (
    "may_write",
    "may_write_network",
    "may_close_months",
    "may_start_rollup",
    "may_set_targets",
    "may_push_facts",
    "may_import",
    "personal_data",
    "sees_units",
    "may_follow_up GZ0101",
    "may_follow_up SZ0101",
    "may_review_from_above GZ0101",
    "may_review_from_above SZ0101",
    "may_manage_contests",
    "may_manage_contests GZ0101",
    "may_manage_contests SZ01",
    "may_annotate GZ01",
    "may_annotate GZ0101",
    "may_annotate SZ0101",
)
Y, N = True, False
# wr: may_write; net: may_write_network; clo, rol, tgt, fct, imp: may_close_months, may_start_rollup,
# may_set_targets, may_push_facts, may_import; pd: personal_data; unit: sees_units; fuG, fuS / rvG, rvS:
# may_follow_up / may_review_from_above of GZ0101, SZ0101; pk, pkG, pkS: may_manage_contests of no unit,
# GZ0101, SZ01; anG, anO, anS: may_annotate of GZ01, GZ0101, SZ0101.
#                           wr  net  clo  rol  tgt  fct  imp  pd  unit  fuG  fuS  rvG  rvS  pk  pkG  pkS  anG  anO  anS
PERMISSIONS = {
    "hq_admin":            (Y,  Y,   Y,   Y,   Y,   Y,   Y,   Y,  Y,    Y,   Y,   Y,   Y,   Y,  Y,   Y,  Y,   Y,   Y),
    "superuser":           (Y,  Y,   Y,   Y,   Y,   Y,   Y,   Y,  Y,    Y,   Y,   Y,   Y,   Y,  Y,   Y,  Y,   Y,   Y),
    "auditor":             (N,  N,   N,   N,   N,   N,   N,   Y,  Y,    N,   N,   N,   N,   N,  N,   N,  N,   N,   N),
    "unit_manager":        (Y,  N,   N,   N,   N,   N,   N,   Y,  Y,    Y,   N,   Y,   N,   Y,  Y,   N,  Y,   Y,   N),
    "outlet_head":         (Y,  N,   N,   N,   N,   N,   N,   Y,  Y,    Y,   N,   N,   N,   N,  N,   N,  N,   Y,   N),
    "teller":              (N,  N,   N,   N,   N,   N,   N,   Y,  N,    N,   N,   N,   N,   N,  N,   N,  N,   N,   N),
    "outsider":            (N,  N,   N,   N,   N,   N,   N,   N,  N,    N,   N,   N,   N,   N,  N,   N,  N,   N,   N),
    "token read":          (N,  N,   N,   N,   N,   N,   N,   N,  Y,    N,   N,   N,   N,   N,  N,   N,  N,   N,   N),
    "token read,personal": (N,  N,   N,   N,   N,   N,   N,   Y,  Y,    N,   N,   N,   N,   N,  N,   N,  N,   N,   N),
    # A writing token may change things in its subtree; which writes it may make is its scope's business
    # (staff.api.HasTokenScope), and the follow-up pages take signed-in people only.
    "token ingest":        (Y,  N,   N,   N,   N,   N,   N,   N,  Y,    Y,   N,   N,   N,   N,  N,   N,  Y,   Y,   N),
    "token read,admin":    (Y,  N,   N,   N,   N,   N,   N,   N,  Y,    Y,   N,   N,   N,   N,  N,   N,  Y,   Y,   N),
}  # fmt: skip


@pytest.fixture
def scope_of(request, network):
    """`scope_of("unit_manager")` / `scope_of("token read,admin")`: the Scope of a persona of the table."""

    def make(persona: str) -> Scope:
        if persona.startswith("token "):
            scopes = persona.removeprefix("token ")
            token, _key = api_token_create(name=persona, unit=network["GZ01"], scopes=scopes)
            return scope_for_token(token)
        if persona == "superuser":
            return scope_for_user(UserFactory(username="root", is_superuser=True, is_staff=True))
        return scope_for_user(request.getfixturevalue(persona))

    return make


def _ask(scope: Scope, column: str, network) -> bool:
    name, *arguments = column.split(" ")
    answer = getattr(scope, name)
    if arguments:  # a unit's code, and what else the permission asks of it (a period kind)
        return answer(network[arguments[0]], *arguments[1:])
    return answer() if callable(answer) else answer


@pytest.mark.parametrize("persona", PERMISSIONS)
def test_each_persona_has_exactly_the_permissions_of_the_table(persona, scope_of, network):
    scope = scope_of(persona)

    answers = {column: _ask(scope, column, network) for column in COLUMNS}

    assert answers == dict(zip(COLUMNS, PERMISSIONS[persona], strict=True))


# Target plans (issue 15), a table of their own: may_plan_targets of GZ01's year, GZ01's week, SZ01's week;
# may_plan_some_targets; may_acknowledge_targets of GZ0101 and GZ01.
PLAN_COLUMNS = (
    "may_plan_targets GZ01 year",
    "may_plan_targets GZ01 week",
    "may_plan_targets SZ01 week",
    "may_plan_some_targets",
    "may_acknowledge_targets GZ0101",
    "may_acknowledge_targets GZ01",
)
#                           plY  plW  plS  pl  akG  akU
PLAN_PERMISSIONS = {
    "hq_admin":            (Y,   Y,   Y,   Y,  N,   N),
    "superuser":           (Y,   Y,   Y,   Y,  N,   N),
    "auditor":             (N,   N,   N,   N,  N,   N),
    "unit_manager":        (N,   Y,   N,   Y,  N,   Y),
    "outlet_head":         (N,   N,   N,   N,  Y,   N),
    "teller":              (N,   N,   N,   N,  N,   N),
    "outsider":            (N,   N,   N,   N,  N,   N),
    "token read":          (N,   N,   N,   N,  N,   N),
    "token read,personal": (N,   N,   N,   N,  N,   N),
    # A writing token plans inside its subtree; the API asks its admin scope besides (HasTokenScope).
    "token ingest":        (Y,   Y,   N,   Y,  N,   N),
    "token read,admin":    (Y,   Y,   N,   Y,  N,   N),
}  # fmt: skip


@pytest.mark.parametrize("persona", PLAN_PERMISSIONS)
def test_each_persona_plans_and_acknowledges_targets_as_the_plan_table_says(persona, scope_of, network):
    scope = scope_of(persona)

    answers = {column: _ask(scope, column, network) for column in PLAN_COLUMNS}

    assert answers == dict(zip(PLAN_COLUMNS, PLAN_PERMISSIONS[persona], strict=True))


# The points ledger (issue 16), a table of its own: may_enter_deductions of GZ0101 and SZ0101 (扣分 by the
# outlet head or the unit manager over the outlet, never HQ from afar, nor a token); may_approve_ledger of
# GZ0101 and SZ0101; may_approve_some_ledger (the approval page).
LEDGER_COLUMNS = (
    "may_enter_deductions GZ0101",
    "may_enter_deductions SZ0101",
    "may_approve_ledger GZ0101",
    "may_approve_ledger SZ0101",
    "may_approve_some_ledger",
)
#                           dedG dedS apG  apS  ap
LEDGER_PERMISSIONS = {
    "hq_admin":            (N,   N,   Y,   Y,   Y),
    "superuser":           (N,   N,   Y,   Y,   Y),
    "auditor":             (N,   N,   N,   N,   N),
    "unit_manager":        (Y,   N,   Y,   N,   Y),
    "outlet_head":         (Y,   N,   Y,   N,   Y),
    "teller":              (N,   N,   N,   N,   N),
    "outsider":            (N,   N,   N,   N,   N),
    "token read":          (N,   N,   N,   N,   N),
    "token read,personal": (N,   N,   N,   N,   N),
    # A writing token approves inside its subtree; the API asks its admin scope besides (HasTokenScope).
    "token ingest":        (N,   N,   Y,   N,   Y),
    "token read,admin":    (N,   N,   Y,   N,   Y),
}  # fmt: skip


@pytest.mark.parametrize("persona", LEDGER_PERMISSIONS)
def test_each_persona_enters_deductions_and_approves_ledger_entries_as_the_ledger_table_says(
    persona, scope_of, network
):
    scope = scope_of(persona)

    answers = {column: _ask(scope, column, network) for column in LEDGER_COLUMNS}

    assert answers == dict(zip(LEDGER_COLUMNS, LEDGER_PERMISSIONS[persona], strict=True))


# Campaigns (营销活动): may_manage_campaigns of no unit (somewhere), of GZ0101 and SZ0101 (HQ anywhere, a
# unit manager inside their subtree); may_record_gift of GZ0101 and SZ0101 for someone else's gift (the
# outlet's heads and HQ; never a token or an auditor); a staff member records only their own gifts
# (test_a_staff_member_records_only_their_own_gifts).
CAMPAIGN_COLUMNS = (
    "may_manage_campaigns",
    "may_manage_campaigns GZ0101",
    "may_manage_campaigns SZ0101",
    "may_record_gift GZ0101",
    "may_record_gift SZ0101",
)
#                           mc   mcG  mcS  giG  giS
CAMPAIGN_PERMISSIONS = {
    "hq_admin":            (Y,   Y,   Y,   Y,   Y),
    "superuser":           (Y,   Y,   Y,   Y,   Y),
    "auditor":             (N,   N,   N,   N,   N),
    "unit_manager":        (Y,   Y,   N,   Y,   N),
    "outlet_head":         (N,   N,   N,   Y,   N),
    "teller":              (N,   N,   N,   N,   N),
    "outsider":            (N,   N,   N,   N,   N),
    "token read":          (N,   N,   N,   N,   N),
    "token read,personal": (N,   N,   N,   N,   N),
    "token ingest":        (N,   N,   N,   N,   N),
    "token read,admin":    (N,   N,   N,   N,   N),
}  # fmt: skip


# Customer outreach (issue 18), a table of its own: may_build_lists of GZ0101 and SZ0101 (the outlet head at
# their outlet, the unit manager in their subtree, HQ anywhere; people only); may_build_some_lists (the
# build page); may_work_assignment of a GZ0101 list customer assigned to nobody in particular (those who
# may build its lists; the staff member it is assigned to, below); may_export_customers (the personal-data
# right).
LIST_COLUMNS = (
    "may_build_lists GZ0101",
    "may_build_lists SZ0101",
    "may_build_some_lists",
    "may_work_assignment GZ0101",
    "may_export_customers",
)
#                           bldG bldS some work export
LIST_PERMISSIONS = {
    "hq_admin":            (Y,   Y,   Y,   Y,   Y),
    "superuser":           (Y,   Y,   Y,   Y,   Y),
    "auditor":             (N,   N,   N,   N,   Y),
    "unit_manager":        (Y,   N,   Y,   Y,   Y),
    "outlet_head":         (Y,   N,   Y,   Y,   Y),
    "teller":              (N,   N,   N,   N,   Y),
    "outsider":            (N,   N,   N,   N,   N),
    "token read":          (N,   N,   N,   N,   N),
    "token read,personal": (N,   N,   N,   N,   Y),
    "token ingest":        (N,   N,   N,   N,   N),
    "token read,admin":    (N,   N,   N,   N,   N),
}  # fmt: skip


@pytest.mark.parametrize("persona", CAMPAIGN_PERMISSIONS)
def test_each_persona_manages_campaigns_and_records_gifts_as_the_campaign_table_says(persona, scope_of, network):
    scope = scope_of(persona)

    answers = {column: _ask(scope, column, network) for column in CAMPAIGN_COLUMNS}

    assert answers == dict(zip(CAMPAIGN_COLUMNS, CAMPAIGN_PERMISSIONS[persona], strict=True))


def test_a_staff_member_records_only_their_own_gifts(teller, network):
    scope = scope_for_user(teller)

    assert scope.may_record_gift(network["GZ0101"], own=True)
    assert not scope.may_record_gift(network["GZ0101"], own=False)


def test_campaigns_of_the_units_above_reach_an_outlet_head_but_not_a_sibling_sub_branchs(outlet_head, network):
    codes = set(scope_for_user(outlet_head).campaign_units().values_list("code", flat=True))

    # 天河路网点 reads the campaigns of HQ, 广州分行, 天河支行 and its own; not 从化支行's nor 深圳's.
    assert codes == {"HQ", "GZ", "GZ01", "GZ0101"}


# Patrols and inspections (issue 19), a table of their own: may_tick_patrol of GZ0101 for the lobby manager's
# post and for a template naming no post, and of GZ0102 (the teller works at GZ0101 only; the outlet head
# stands in at her own outlet); may_look_at_patrols of GZ0101 and SZ0101 (the heads, from the outlet up);
# may_record_inspection of GZ0101 and SZ0101 and may_record_some_inspection: from above the outlet (HQ, the
# supervising unit manager) and auditors anywhere, never the outlet's own head, nor a token.
CHECKLIST_COLUMNS = (
    "may_tick_patrol GZ0101 lobby_manager",
    "may_tick_patrol GZ0101 -",
    "may_tick_patrol GZ0102 -",
    "may_look_at_patrols GZ0101",
    "may_look_at_patrols SZ0101",
    "may_record_inspection GZ0101",
    "may_record_inspection SZ0101",
    "may_record_some_inspection",
)
#                           tkL  tk   tk2  lkG  lkS  inG  inS  in
CHECKLIST_PERMISSIONS = {
    "hq_admin":            (N,   N,   N,   Y,   Y,   Y,   Y,   Y),
    "superuser":           (N,   N,   N,   Y,   Y,   Y,   Y,   Y),
    "auditor":             (N,   N,   N,   N,   N,   Y,   Y,   Y),
    "unit_manager":        (N,   N,   N,   Y,   N,   Y,   N,   Y),
    "outlet_head":         (Y,   Y,   N,   Y,   N,   N,   N,   N),
    "teller":              (N,   Y,   N,   N,   N,   N,   N,   N),
    "outsider":            (N,   N,   N,   N,   N,   N,   N,   N),
    "token read":          (N,   N,   N,   N,   N,   N,   N,   N),
    "token read,admin":    (N,   N,   N,   N,   N,   N,   N,   N),
}  # fmt: skip


def _ask_checklist(scope: Scope, column: str, network) -> bool:
    name, *arguments = column.split(" ")
    if name == "may_tick_patrol":
        code, post_code = arguments
        post_id = None if post_code == "-" else post_named(post_code).pk
        return scope.may_tick_patrol(network[code], day=datetime.date(2026, 11, 16), post_id=post_id)
    return _ask(scope, column, network)


@pytest.mark.parametrize("persona", CHECKLIST_PERMISSIONS)
def test_each_persona_ticks_patrols_and_records_inspections_as_the_checklist_table_says(persona, scope_of, network):
    scope = scope_of(persona)

    answers = {column: _ask_checklist(scope, column, network) for column in CHECKLIST_COLUMNS}

    assert answers == dict(zip(CHECKLIST_COLUMNS, CHECKLIST_PERMISSIONS[persona], strict=True))


def _ask_lists(scope: Scope, column: str, network) -> bool:
    name, *code = column.split(" ")
    if name == "may_work_assignment":
        return scope.may_work_assignment(network[code[0]], None)
    return _ask(scope, column, network)


@pytest.mark.parametrize("persona", LIST_PERMISSIONS)
def test_each_persona_builds_and_works_outreach_lists_as_the_outreach_table_says(persona, scope_of, network):
    scope = scope_of(persona)

    answers = {column: _ask_lists(scope, column, network) for column in LIST_COLUMNS}

    assert answers == dict(zip(LIST_COLUMNS, LIST_PERMISSIONS[persona], strict=True))


def test_a_staff_member_works_the_list_customers_assigned_to_them_only(teller, network):
    scope = scope_for_user(teller)
    own = StaffMember.objects.get(user=teller)

    assert scope.may_work_assignment(network["GZ0101"], own.pk)
    assert not scope.may_work_assignment(network["GZ0101"], own.pk + 1)


def test_customer_numbers_are_masked_for_a_reader_without_personal_data():
    assert Scope(unit_path="/HQ/").customer_code("C0001024") == "****1024"
    assert Scope(unit_path="/HQ/", personal_data=True).customer_code("C0001024") == "C0001024"
    assert Scope(unit_path="/HQ/").customer_code("C12") == "***"


# The push's delivery records (issue 17): HQ's operations, read by HQ, auditors and writing tokens.
#                           dlv
DELIVERY_PERMISSIONS = {
    "hq_admin":            (Y,),
    "superuser":           (Y,),
    "auditor":             (Y,),
    "unit_manager":        (N,),
    "outlet_head":         (N,),
    "teller":              (N,),
    "outsider":            (N,),
    "token read":          (N,),
    "token read,personal": (N,),
    # A writing token, inside its subtree; the API asks its admin scope besides (HasTokenScope).
    "token ingest":        (Y,),
    "token read,admin":    (Y,),
}  # fmt: skip
DELIVERY_COLUMNS = ("may_read_deliveries",)


@pytest.mark.parametrize("persona", DELIVERY_PERMISSIONS)
def test_each_persona_reads_the_push_deliveries_as_the_table_says(persona, scope_of, network):
    scope = scope_of(persona)

    answers = {column: _ask(scope, column, network) for column in DELIVERY_COLUMNS}

    assert answers == dict(zip(DELIVERY_COLUMNS, DELIVERY_PERMISSIONS[persona], strict=True))


# Credit sharing (分润), a table of its own: may_adjust_credit_split of GZ0101 (the outlet head's outlet),
# GZ0102 (another outlet of the unit manager's GZ01) and SZ0101 (another branch's).
CREDIT_COLUMNS = (
    "may_adjust_credit_split GZ0101",
    "may_adjust_credit_split GZ0102",
    "may_adjust_credit_split SZ0101",
)
#                           csO  csG  csS
CREDIT_PERMISSIONS = {
    "hq_admin":            (Y,   Y,   Y),
    "superuser":           (Y,   Y,   Y),
    "auditor":             (N,   N,   N),
    "unit_manager":        (Y,   Y,   N),
    "outlet_head":         (Y,   N,   N),
    "teller":              (N,   N,   N),
    "outsider":            (N,   N,   N),
    "token read":          (N,   N,   N),
    "token read,personal": (N,   N,   N),
    # A split is a person's call with a reason: no token adjusts one, whatever its scopes.
    "token ingest":        (N,   N,   N),
    "token read,admin":    (N,   N,   N),
}  # fmt: skip


@pytest.mark.parametrize("persona", CREDIT_PERMISSIONS)
def test_each_persona_adjusts_credit_splits_as_the_credit_table_says(persona, scope_of, network):
    scope = scope_of(persona)

    answers = {column: _ask(scope, column, network) for column in CREDIT_COLUMNS}

    assert answers == dict(zip(CREDIT_COLUMNS, CREDIT_PERMISSIONS[persona], strict=True))


# Meetings (issue 17), a table of their own: may_run_meeting of GZ0101 (the outlet head's), GZ01 (the unit
# manager's) and SZ0101 (another branch's); may_settle_action_item of an item of SZ01's meeting, as a reader
# who does not own it and as its owner (an item may go to someone above whose scope the meeting is).
MEETING_COLUMNS = (
    "may_run_meeting GZ0101",
    "may_run_meeting GZ01",
    "may_run_meeting SZ0101",
    "may_settle_action_item SZ01",
    "may_settle_action_item SZ01 owner",
)
#                           mtO  mtU  mtS  stl  own
MEETING_PERMISSIONS = {
    "hq_admin":            (Y,   Y,   Y,   Y,   Y),
    "superuser":           (Y,   Y,   Y,   Y,   Y),
    "auditor":             (N,   N,   N,   N,   N),
    "unit_manager":        (Y,   Y,   N,   N,   Y),
    "outlet_head":         (Y,   N,   N,   N,   Y),
    # A staff member changes nothing (DOMAIN.md §7): their outlet head marks their item done.
    "teller":              (N,   N,   N,   N,   N),
    "outsider":            (N,   N,   N,   N,   N),
    "token read":          (N,   N,   N,   N,   N),
    "token read,personal": (N,   N,   N,   N,   N),
    # Meetings are held by people, whom the goals' audit names: no token, however it is scoped.
    "token ingest":        (N,   N,   N,   N,   N),
    "token read,admin":    (N,   N,   N,   N,   N),
}  # fmt: skip


def _ask_meeting(scope: Scope, column: str, network) -> bool:
    name, code, *owner = column.split(" ")
    if name == "may_settle_action_item":
        return scope.may_settle_action_item(network[code], owns_it=bool(owner))
    return getattr(scope, name)(network[code])


@pytest.mark.parametrize("persona", MEETING_PERMISSIONS)
def test_each_persona_holds_meetings_and_settles_action_items_as_the_meeting_table_says(persona, scope_of, network):
    scope = scope_of(persona)

    answers = {column: _ask_meeting(scope, column, network) for column in MEETING_COLUMNS}

    assert answers == dict(zip(MEETING_COLUMNS, MEETING_PERMISSIONS[persona], strict=True))


# Pay (issue 16), a table of its own: may_close_pay of GZ01 (the unit manager's sub-branch), GZ0101 (the
# outlet head's outlet), SZ01 (another branch's sub-branch). HQ closes any unit, a unit manager their
# subtree (二次分配); outlet heads read their outlet's sheets, auditors everything; nobody else closes.
PAY_COLUMNS = ("may_close_pay GZ01", "may_close_pay GZ0101", "may_close_pay SZ01")
#                           GZ01 GZ0101 SZ01
PAY_PERMISSIONS = {
    "hq_admin":            (Y,   Y,     Y),
    "superuser":           (Y,   Y,     Y),
    "auditor":             (N,   N,     N),
    "unit_manager":        (Y,   Y,     N),
    "outlet_head":         (N,   N,     N),
    "teller":              (N,   N,     N),
    "outsider":            (N,   N,     N),
    "token read":          (N,   N,     N),
    "token read,personal": (N,   N,     N),
    "token ingest":        (N,   N,     N),
    "token read,admin":    (N,   N,     N),
}  # fmt: skip


@pytest.mark.parametrize("persona", PAY_PERMISSIONS)
def test_each_persona_closes_pay_as_the_pay_table_says(persona, scope_of, network):
    scope = scope_of(persona)

    answers = {column: _ask(scope, column, network) for column in PAY_COLUMNS}

    assert answers == dict(zip(PAY_COLUMNS, PAY_PERMISSIONS[persona], strict=True))


# Territories, prospects and referrals (issue 18), a table of its own: may_edit_territories of GZ0101 and
# SZ0101 (HQ and the outlet head, not the unit manager above); may_record_outreach of GZ0101 for someone
# who does not work there and ("works") who does; may_follow_referral of GZ0101 for a reader who is not the
# receiver and ("receives") who is. People only: no token, no auditor.
OUTREACH_COLUMNS = (
    "may_edit_territories GZ0101",
    "may_edit_territories SZ0101",
    "may_record_outreach GZ0101",
    "may_record_outreach GZ0101 works",
    "may_follow_referral GZ0101",
    "may_follow_referral GZ0101 receives",
)
#                           edG  edS  rec  recW fol  folR
OUTREACH_PERMISSIONS = {
    "hq_admin":            (Y,   Y,   Y,   Y,   Y,   Y),
    "superuser":           (Y,   Y,   Y,   Y,   Y,   Y),
    "auditor":             (N,   N,   N,   N,   N,   N),
    "unit_manager":        (N,   N,   Y,   Y,   Y,   Y),
    "outlet_head":         (Y,   N,   Y,   Y,   Y,   Y),
    "teller":              (N,   N,   N,   Y,   N,   Y),
    "outsider":            (N,   N,   N,   N,   N,   N),
    "token read":          (N,   N,   N,   N,   N,   N),
    "token read,personal": (N,   N,   N,   N,   N,   N),
    "token ingest":        (N,   N,   N,   N,   N,   N),
    "token read,admin":    (N,   N,   N,   N,   N,   N),
}  # fmt: skip


def _ask_outreach(scope: Scope, column: str, network) -> bool:
    name, code, *flag = column.split(" ")
    if name == "may_record_outreach":
        return scope.may_record_outreach(network[code], works_there=bool(flag))
    if name == "may_follow_referral":
        return scope.may_follow_referral(network[code], receives_it=bool(flag))
    return getattr(scope, name)(network[code])


@pytest.mark.parametrize("persona", OUTREACH_PERMISSIONS)
def test_each_persona_edits_territories_and_records_outreach_as_the_outreach_table_says(persona, scope_of, network):
    scope = scope_of(persona)

    answers = {column: _ask_outreach(scope, column, network) for column in OUTREACH_COLUMNS}

    assert answers == dict(zip(OUTREACH_COLUMNS, OUTREACH_PERMISSIONS[persona], strict=True))


def test_phone_numbers_are_masked_for_a_reader_without_personal_data():
    assert Scope(unit_path="/HQ/").phone("13812345678") == "138****5678"
    assert Scope(unit_path="/HQ/", personal_data=True).phone("13812345678") == "13812345678"


# The complaints register and the transformation rollout (issue 19), a table of their own: recording and
# replying to a complaint of GZ0101 and SZ0101; reviewing one of GZ0101 (never the outlet itself: the
# unit manager above it or HQ); running GZ0101's rollout.
REGISTER_COLUMNS = (
    "may_record_complaints GZ0101",
    "may_record_complaints SZ0101",
    "may_review_complaints GZ0101",
    "may_run_rollout GZ0101",
)
#                           recO recS revO  run
REGISTER_PERMISSIONS = {
    "hq_admin":            (Y,   Y,   Y,    Y),
    "superuser":           (Y,   Y,   Y,    Y),
    "auditor":             (N,   N,   N,    N),
    "unit_manager":        (Y,   N,   Y,    Y),
    "outlet_head":         (Y,   N,   N,    Y),
    "teller":              (N,   N,   N,    N),
    "outsider":            (N,   N,   N,    N),
    "token read":          (N,   N,   N,    N),
    "token read,personal": (N,   N,   N,    N),
    "token ingest":        (N,   N,   N,    N),
    "token read,admin":    (N,   N,   N,    N),
}  # fmt: skip


@pytest.mark.parametrize("persona", REGISTER_PERMISSIONS)
def test_each_persona_records_reviews_and_runs_rollouts_as_the_register_table_says(persona, scope_of, network):
    scope = scope_of(persona)

    answers = {column: _ask(scope, column, network) for column in REGISTER_COLUMNS}

    assert answers == dict(zip(REGISTER_COLUMNS, REGISTER_PERMISSIONS[persona], strict=True))


def test_the_table_names_every_permission_of_the_scope():
    named = {name for name in dir(Scope) if name.startswith("may_")}

    tables = (
        *COLUMNS, *PLAN_COLUMNS, *DELIVERY_COLUMNS, *CREDIT_COLUMNS, *MEETING_COLUMNS, *PAY_COLUMNS, *LEDGER_COLUMNS,
        *OUTREACH_COLUMNS,
        *LIST_COLUMNS,
        *CAMPAIGN_COLUMNS,
        *CHECKLIST_COLUMNS,
        *REGISTER_COLUMNS,
    )  # fmt: skip
    assert named <= {column.split(" ")[0] for column in tables}


def test_a_deactivated_hq_admin_may_do_nothing(hq_admin, network):
    hq_admin.is_active = False
    hq_admin.save()
    scope = scope_for_user(hq_admin)

    assert not scope.may_write_network
    assert not scope.may_follow_up(network["GZ0101"])
    assert not scope.may_manage_contests()


# -- what waits for whom ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona, follow_up_work, fills, answers",
    [
        ("hq_admin", True, False, False),
        ("auditor", False, False, False),
        ("unit_manager", True, False, True),
        ("outlet_head", True, True, False),
        ("teller", False, False, False),
        ("outsider", False, False, False),
    ],
)
def test_alerts_wait_for_hq_and_unit_heads_and_reviews_for_outlet_heads_and_unit_managers(
    persona, follow_up_work, fills, answers, request, network
):
    user = request.getfixturevalue(persona)

    assert (has_follow_up_work(user), fills_reviews(user), answers_reviews(user)) == (follow_up_work, fills, answers)


def test_a_superuser_without_a_role_has_follow_up_work(network):
    assert has_follow_up_work(UserFactory(username="root", is_superuser=True, is_staff=True))


@pytest.mark.parametrize("unit_code", ["GZ0101", "GZ01", "SZ0101"])
def test_the_people_who_may_follow_up_a_unit_are_those_whose_scope_says_so(
    unit_code, hq_admin, auditor, unit_manager, outlet_head, teller, outsider, network
):
    unit = network[unit_code]
    everyone = [hq_admin, auditor, unit_manager, outlet_head, teller, outsider]

    found = set(users_who_may_follow_up(unit))

    assert found == {user for user in everyone if scope_for_user(user).may_follow_up(unit)}


def test_the_people_who_may_follow_up_the_tianhe_road_outlet_are_hq_its_manager_and_its_head(
    hq_admin, auditor, unit_manager, outlet_head, teller, outsider, network
):
    assert set(users_who_may_follow_up(network["GZ0101"])) == {hq_admin, unit_manager, outlet_head}


def test_a_unit_is_headed_by_its_own_outlet_head_or_unit_manager_not_by_those_above(
    hq_admin, unit_manager, outlet_head, network
):
    heads = set(unit_heads([network["GZ0101"].pk, network["GZ01"].pk, network["HQ"].pk]))

    assert heads == {unit_manager, outlet_head}


# -- the same answer through user.has_perm (AccessBackend) ---------------------------------------------


@pytest.mark.parametrize(
    "persona, may_import",
    [
        ("hq_admin", True),
        ("auditor", False),
        ("unit_manager", False),
        ("outlet_head", False),
        ("teller", False),
        ("outsider", False),
    ],
)
def test_has_perm_answers_the_named_permissions_as_the_scope_does(persona, may_import, request, network):
    user = request.getfixturevalue(persona)

    for name in ("may_import", "may_write_network", "may_close_months", "may_start_rollup"):
        assert user.has_perm(f"access.{name}") is may_import
        assert getattr(scope_for_user(user), name) is may_import


def test_has_perm_grants_no_model_permission_and_no_unknown_name(hq_admin):
    assert not hq_admin.has_perm("kpi.add_fact")
    assert not hq_admin.has_perm("access.may_follow_up")
    assert not hq_admin.has_perm("access.everything")


def test_has_perm_refuses_a_deactivated_hq_admin(hq_admin):
    hq_admin.is_active = False
    hq_admin.save()

    assert not hq_admin.has_perm("access.may_import")


# -- a person's name or its mask -----------------------------------------------------------------------


def test_a_reader_with_personal_data_sees_names_and_identity_numbers_whole():
    scope = Scope(unit_path="/HQ/GZ/GZ01/", personal_data=True)

    assert scope.person_name("王芳") == "王芳"
    assert scope.id_number("440106199003071234") == "440106199003071234"
    assert not scope.masks_personal_data


def test_a_reader_without_personal_data_sees_their_masks():
    scope = Scope(unit_path="/HQ/GZ/GZ01/")

    assert scope.person_name("王芳") == "王*"
    assert scope.person_name("欧阳娜娜") == "欧**娜"
    assert scope.id_number("440106199003071234") == "440106********1234"
    assert scope.masks_personal_data


def test_a_read_token_sees_masks_and_a_personal_token_the_names(network):

    read, _key = api_token_create(name="read", unit=network["GZ01"], scopes="read")
    personal, _key = api_token_create(name="personal", unit=network["GZ01"], scopes="read,personal")

    assert scope_for_token(read).person_name("张小三") == "张*三"
    assert scope_for_token(personal).person_name("张小三") == "张小三"


# -- one's own pages (moved from tests/kpi/test_selectors.py and tests/kpi/test_overview.py) -----------


def test_my_scorecard_is_the_outlet_heads_outlet_the_managers_unit_the_tellers_own_and_hq_for_admins(
    network, outlet_head, unit_manager, teller, hq_admin, auditor, outsider
):
    assert own_scorecard_entity(user=outlet_head) == network["GZ0101"]
    assert own_scorecard_entity(user=unit_manager) == network["GZ01"]
    assert own_scorecard_entity(user=teller) == teller.staff_member
    assert own_scorecard_entity(user=hq_admin) == network["HQ"]
    assert own_scorecard_entity(user=auditor) == network["HQ"]
    assert own_scorecard_entity(user=outsider) is None


def test_a_unit_manager_overviews_their_unit_hq_and_auditors_the_network(
    network, unit_manager, hq_admin, auditor, outlet_head, teller, outsider
):
    assert own_overview_unit(user=unit_manager) == network["GZ01"]
    assert own_overview_unit(user=hq_admin) == network["HQ"]
    assert own_overview_unit(user=auditor) == network["HQ"]
    assert own_overview_unit(user=UserFactory(username="root", is_superuser=True)) == network["HQ"]
    for user in (outlet_head, teller, outsider):
        assert own_overview_unit(user=user) is None


def test_a_my_page_opens_on_the_logins_own_unit_and_for_hq_and_auditors_on_the_network(
    network, unit_manager, outlet_head, hq_admin, auditor
):
    def opens_on(user):
        return own_unit_in_scope(scope=scope_for_user(user), user=user)

    assert opens_on(unit_manager) == network["GZ01"]
    assert opens_on(outlet_head) == network["GZ0101"]
    assert opens_on(hq_admin) == network["HQ"]
    assert opens_on(auditor) == network["HQ"]


@pytest.mark.parametrize(
    "persona, on_scorecard",
    [
        ("hq_admin", False),
        ("auditor", False),
        ("unit_manager", False),
        ("outlet_head", True),
        ("teller", True),
        ("outsider", False),
    ],
)
def test_outlet_heads_and_staff_start_the_day_on_their_scorecard(persona, on_scorecard, request, network):
    assert starts_on_scorecard(request.getfixturevalue(persona)) is on_scorecard


@pytest.mark.parametrize(
    ("unit", "scopes", "may_start"),
    [
        ("HQ", "read,admin", True),
        ("HQ", "read", False),
        ("GZ", "read,admin", False),
        ("GZ0101", "read,admin", False),
    ],
)
def test_only_a_writing_token_of_the_head_office_may_start_a_network_wide_rollup(network, unit, scopes, may_start):
    token, _key = api_token_create(name=f"{unit} {scopes}", unit=network[unit], scopes=scopes)

    scope = scope_for_token(token)

    assert scope.may_start_rollup is may_start
    # Network-wide to start, but it writes nothing the HQ administrator alone may (closing a month, imports).
    assert not scope.may_write_network


# -- the header's menu -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona, overview, own_pages, network_pages, credit_splits, meetings, pay, ledger, outreach, campaigns, "
    "checklists, call_lists, complaints, rollouts",
    [
        # HQ sets the credit sharing rules in the admin; the heads of units adjust their own unit's. The
        # ledger (台账) is entered by staff and approved by outlet heads and unit managers. Outreach,
        # campaigns, patrols and inspections (巡检, 检查) are everyone's with a role: the lobby ticks, the
        # heads look, auditors inspect. Call lists (名单) are built by HQ and unit heads and worked by staff.
        # A staff member reads the complaints that name them; rollouts are read by everyone but staff.
        ("hq_admin", True, True, True, False, True, True, False, True, True, True, True, True, True),
        ("auditor", True, True, True, False, True, True, False, True, True, True, False, True, True),
        ("unit_manager", True, True, True, True, True, True, True, True, True, True, True, True, True),
        ("outlet_head", False, True, True, True, True, True, True, True, True, True, True, True, True),
        ("teller", False, True, False, False, False, True, True, True, True, True, True, True, False),
        ("outsider", False, False, False, False, False, False, False, False, False, False, False, False, False),
    ],
)
def test_the_menu_shows_each_persona_the_pages_it_opens(
    persona, overview, own_pages, network_pages, credit_splits, meetings, pay, ledger, outreach, campaigns, checklists,
    call_lists, complaints, rollouts, request, network,
):  # fmt: skip
    expected = Menu(
        overview, own_pages, network_pages, credit_splits, meetings, pay, ledger, outreach, campaigns, checklists,
        call_lists, complaints, rollouts,
    )  # fmt: skip

    assert menu_for(request.getfixturevalue(persona)) == expected


def test_the_menu_of_a_superuser_without_a_role_has_every_page(network):
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)

    assert menu_for(superuser) == Menu(
        True, True, True, False, True, True, outreach=True, campaigns=True, checklists=True, call_lists=True,
        complaints=True, rollouts=True,
    )  # fmt: skip
