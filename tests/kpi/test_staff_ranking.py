"""The staff of a unit with their scores (kpi.selectors.staff_ranking), on the figures of
tests/kpi/explanation_data.py: tellers 李小梅 9 points (1 of 2) and 黄丽娟 7 (2 of 2), lobby manager 何静
without a template."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from kpi.selectors.staff_ranking import staff_ranking
from staff.access import Scope, scope_for_user
from staff.models import StaffMember
from tests.factories import AssignmentFactory, StaffMemberFactory
from tests.kpi import explanation_data
from tests.kpi.explanation_data import DAY

explained = explanation_data.shared_explained  # the fixture, made once for the module
shared_explanation = explanation_data.shared_explanation  # what `explained` reads: made once for the module

pytestmark = pytest.mark.django_db


# Post names are read in the active language: zh-Hans, the default.
def _summary(rows) -> list[tuple]:
    return [(row.staff.code, row.name, row.posts, row.total_score, row.rank, row.rank_of) for row in rows]


def test_the_scored_come_first_by_post_and_rank_then_the_others(explained, outlet_head):
    rows = staff_ranking(
        unit=explained["GZ0101"], day=DAY, period="month", scope=scope_for_user(outlet_head), scores_of=DAY
    )

    assert _summary(rows) == [
        ("S1003", "李小梅", ["柜员"], Decimal("9"), 1, 2),
        ("S1001", "黄丽娟", ["柜员"], Decimal("7"), 2, 2),
        ("S1002", "何静", ["大堂经理"], None, None, None),
    ]


def test_names_are_masked_for_a_reader_without_the_right_to_personal_data(explained):
    reader = Scope(everything=True, personal_data=False)

    rows = staff_ranking(unit=explained["GZ0101"], day=DAY, period="month", scope=reader, scores_of=DAY)

    assert [row.name for row in rows] == ["李*梅", "黄*娟", "何*"]


def test_someone_holding_two_posts_is_listed_once_with_both(explained, outlet_head, teller):
    AssignmentFactory(staff=teller.staff_member, post="service_specialist", unit=explained["GZ0101"])

    rows = staff_ranking(
        unit=explained["GZ0101"], day=DAY, period="month", scope=scope_for_user(outlet_head), scores_of=DAY
    )

    assert [row.posts for row in rows if row.staff.code == "S1001"] == [["柜员", "服务专员"]]


def test_those_who_left_are_not_listed_and_without_a_rolled_up_day_nobody_is_scored(explained, outlet_head):
    gone = StaffMemberFactory(code="S1009")
    AssignmentFactory(staff=gone, unit=explained["GZ0101"], end=datetime.date(2026, 6, 30))

    rows = staff_ranking(
        unit=explained["GZ0101"], day=DAY, period="month", scope=scope_for_user(outlet_head), scores_of=None
    )

    assert [row.staff.code for row in rows] == ["S1002", "S1001", "S1003"]  # by post (lobby manager first), code
    assert not any(row.scored for row in rows)


def test_it_is_one_query_however_many_staff(explained, outlet_head, django_assert_num_queries):
    scope = scope_for_user(outlet_head)
    for _ in range(12):
        AssignmentFactory(unit=explained["GZ0101"], post="customer_manager")

    with django_assert_num_queries(1):
        rows = staff_ranking(unit=explained["GZ0101"], day=DAY, period="month", scope=scope, scores_of=DAY)
    assert len(rows) == 15


def test_a_teller_also_working_at_another_outlet_shows_there_the_rank_of_the_outlet_she_is_ranked_at(
    explained, hq_admin, django_assert_num_queries
):
    # 李小梅 (1 of 2 among 天河路's tellers) also a teller at 珠江新城 from the day: she is ranked at her
    # first teller post, 天河路's (the rollup's rule, kpi.services.scoring.staff_templates).
    AssignmentFactory(staff=StaffMember.objects.get(code="S1003"), unit=explained["GZ0102"], start=DAY)
    scope = scope_for_user(hq_admin)

    here = staff_ranking(unit=explained["GZ0101"], day=DAY, period="month", scope=scope, scores_of=DAY)
    with django_assert_num_queries(7):  # the list, the templates of the day (4), her posts, the outlet's code
        there = staff_ranking(unit=explained["GZ0102"], day=DAY, period="month", scope=scope, scores_of=DAY)

    assert [(row.staff.code, row.rank, row.rank_of, row.ranked_at) for row in here][:2] == [
        ("S1003", 1, 2, ""),
        ("S1001", 2, 2, ""),
    ]
    (row,) = [row for row in there if row.staff.code == "S1003"]
    assert (row.rank, row.rank_of, row.ranked_at) == (1, 2, "GZ0101")
