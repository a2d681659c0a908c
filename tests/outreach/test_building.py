"""Lists built from a filter, frozen, assigned (outreach.services.building)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from customers.models import Territory
from outreach.models import AssignMode, DoNotContact, ListAssignment
from outreach.services.building import ListFilter, assignments_assign, candidates_count, list_build
from staff.access import scope_for_user
from tests.outreach.conftest import NOVEMBER

pytestmark = pytest.mark.django_db


def build(user, unit, criteria, mode=AssignMode.EVEN, staff=(), day=None, name="降级客户回访"):
    day = day or datetime.date(2026, 12, 1)
    return list_build(
        scope=scope_for_user(user),
        user=user,
        unit=unit,
        name=name,
        criteria=criteria,
        assign_mode=mode,
        staff=list(staff),
        starts_on=day,
        due_on=day + datetime.timedelta(days=14),
    )


def codes(outreach_list) -> list[tuple[str, str | None]]:
    rows = ListAssignment.objects.filter(outreach_list=outreach_list).order_by("position")
    return [(row.customer.code, row.staff.code if row.staff_id else None) for row in rows]


def test_a_moved_down_list_takes_the_customers_whose_tier_fell_in_the_subtree_only(
    outlet_head, network, book, customer_manager, teller_staff
):
    built = build(outlet_head, network["GZ0101"], ListFilter(month=NOVEMBER, movement="down"), staff=[customer_manager])
    # C-DOWN2 (150,000) before C-DOWN1 (80,000): AUM high to low; C-SZ is another outlet's.
    assert codes(built) == [("C-DOWN2", "S1002"), ("C-DOWN1", "S1002")]
    assert built.customers == 2
    assert built.criteria == {"month": "2026-11", "movement": "down"}


def test_lost_and_new_customers_are_their_own_movements(outlet_head, network, book, customer_manager):
    lost = build(outlet_head, network["GZ0101"], ListFilter(month=NOVEMBER, movement="lost"), staff=[customer_manager])
    new = build(outlet_head, network["GZ0101"], ListFilter(month=NOVEMBER, movement="new"), staff=[customer_manager])
    assert codes(lost) == [("C-LOST", "S1002")]
    assert ListAssignment.objects.get(outreach_list=lost).aum_avg_daily == Decimal("30000")  # October's
    assert codes(new) == [("C-NEW", "S1002")]


def test_even_assignment_deals_the_customers_round_the_staff_in_aum_order(
    outlet_head, network, book, customer_manager, teller_staff
):
    # Five customers of November, by AUM: DOWN2 150k, SAME 120k, DOWN1 80k, UP 60k, NEW 20k; dealt round
    # S1001, S1002 (by code): S1001 gets the 1st, 3rd and 5th, S1002 the 2nd and 4th.
    built = build(
        outlet_head, network["GZ0101"], ListFilter(month=NOVEMBER, tiers=["star3", "star2"]),
        staff=[customer_manager, teller_staff],
    )  # fmt: skip
    assert codes(built) == [
        ("C-DOWN2", "S1001"),
        ("C-SAME", "S1002"),
        ("C-DOWN1", "S1001"),
        ("C-UP", "S1002"),
        ("C-NEW", "S1001"),
    ]
    row = ListAssignment.objects.get(outreach_list=built, customer__code="C-SAME")
    assert (row.outlet.code, row.assigned_on, row.tier_code) == ("GZ0101", datetime.date(2026, 12, 1), "star3")


def test_assignment_by_manager_gives_each_customer_to_their_manager_and_leaves_the_rest(outlet_head, network, book):
    built = build(outlet_head, network["GZ0101"], ListFilter(month=NOVEMBER), mode=AssignMode.MANAGER)
    assert dict(codes(built)) == {
        "C-DOWN2": "S1002",
        "C-SAME": "S1001",
        "C-DOWN1": "S1002",
        "C-UP": "S1001",
        "C-NEW": None,  # no manager: left for assigning by hand
        "C-LOST": None,
    }


def test_assigning_by_hand_takes_the_next_unassigned_in_list_order(outlet_head, network, book, customer_manager):
    built = build(outlet_head, network["GZ0101"], ListFilter(month=NOVEMBER), mode=AssignMode.HAND)
    assert {staff for _code, staff in codes(built)} == {None}
    count = assignments_assign(
        scope=scope_for_user(outlet_head), outreach_list=built, staff=customer_manager, count=2,
        day=datetime.date(2026, 12, 2),
    )  # fmt: skip
    assert count == 2
    assert [staff for _code, staff in codes(built)][:3] == ["S1002", "S1002", None]


def test_the_filter_reads_groups_the_aum_band_the_manager_and_the_territory(
    outlet_head, network, book, customer_manager, teller_staff
):
    unit = network["GZ0101"]
    today = datetime.date(2026, 12, 1)
    assert candidates_count(unit=unit, criteria=ListFilter(groups=["silver", "merchant"]), today=today) == 2
    band = ListFilter(month=NOVEMBER, aum_min=Decimal("50000"), aum_max=Decimal("120000"))
    assert candidates_count(unit=unit, criteria=band, today=today) == 2  # DOWN1 80k, UP 60k (120k excluded)
    assert candidates_count(unit=unit, criteria=ListFilter(manager_id=customer_manager.pk), today=today) == 2
    territory = Territory.objects.create(kind="community", name="天河北社区", outlet=unit, owner=teller_staff)
    book["C-UP"].territory = territory
    book["C-UP"].save()
    assert candidates_count(unit=unit, criteria=ListFilter(territory_id=territory.pk), today=today) == 1


def test_a_customer_flagged_do_not_disturb_is_never_taken(outlet_head, network, book, customer_manager):
    DoNotContact.objects.create(customer=book["C-DOWN1"], by_outcome=True)
    built = build(outlet_head, network["GZ0101"], ListFilter(month=NOVEMBER, movement="down"), staff=[customer_manager])
    assert codes(built) == [("C-DOWN2", "S1002")]


def test_an_outlet_head_cannot_build_a_list_of_another_outlet_and_nothing_is_written(
    outlet_head, network, book, customer_manager
):
    with pytest.raises(ValidationError) as refused:
        build(outlet_head, network["SZ0101"], ListFilter(), staff=[customer_manager])
    assert "unit" in refused.value.message_dict
    assert not ListAssignment.objects.exists()


def test_a_staff_member_of_another_unit_cannot_be_given_the_list(unit_manager, network, book):
    from tests.factories import AssignmentFactory, StaffMemberFactory

    stranger = StaffMemberFactory(code="S9001", name="孙悟")
    AssignmentFactory(staff=stranger, post="teller", unit=network["SZ0101"], start=datetime.date(2026, 1, 1))
    with pytest.raises(ValidationError) as refused:
        build(unit_manager, network["GZ01"], ListFilter(), staff=[stranger])
    assert refused.value.message_dict["staff"] == ["Not working in this unit on 2026-12-01: S9001."]


def test_a_staff_member_may_not_build_lists(teller, network, book, teller_staff):
    with pytest.raises(ValidationError):
        build(teller, network["GZ0101"], ListFilter(), staff=[teller_staff])
