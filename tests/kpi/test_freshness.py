"""Freshness before ranking (kpi.selectors.freshness): who is expected to report a day, who has, and
when the day stops waiting (HQ's cut-off, kpi.models.ReportingCutoff). Data: tests/kpi/freshness_data.py."""

from __future__ import annotations

import datetime

import pytest

from branches.models import OrgUnit, UnitStatus
from kpi.models import DEFAULT_REPORTING_CUTOFF, Fact, Metric, ReportingCutoff
from kpi.selectors.freshness import freshness_of, outlets_expected
from staff.models import StaffMember
from tests.factories import OrgUnitFactory
from tests.kpi import freshness_data
from tests.kpi.freshness_data import AFTER_CUTOFF, BEFORE_CUTOFF, DUE_AT, LATE, report
from tests.kpi.ranking_data import DAY, fact

late = freshness_data.shared_late_network  # the fixture: GZ0104 has not reported Sunday the 15th (made once)
shared_late = freshness_data.shared_late  # what `late` reads

pytestmark = pytest.mark.django_db


def gz01(network):
    return OrgUnit.objects.subtree(network["GZ01"])


def test_an_outlet_in_the_habit_of_reporting_that_sent_nothing_is_missing(late):
    freshness = freshness_of(day=DAY, outlets=gz01(late), now=BEFORE_CUTOFF)

    assert (freshness.expected, freshness.reported) == (4, 3)
    assert [outlet.code for outlet in freshness.missing] == [LATE]
    assert freshness.missing_ids == {late[LATE].pk}
    assert not freshness.complete


def test_before_the_cut_off_the_day_waits_and_from_it_the_day_is_final(late):
    before = freshness_of(day=DAY, outlets=gz01(late), now=BEFORE_CUTOFF)
    at = freshness_of(day=DAY, outlets=gz01(late), now=DUE_AT)

    assert before.due_at == DUE_AT  # 08:00 on Monday the 16th, the default cut-off
    assert (before.waiting, before.final) == (True, False)
    assert (at.cutoff_passed, at.final) == (True, True)
    assert [outlet.code for outlet in at.missing] == [LATE]  # still named once final


def test_the_day_is_final_before_the_cut_off_once_the_late_outlet_reports(late):
    report(late[LATE], DAY)

    freshness = freshness_of(day=DAY, outlets=gz01(late), now=BEFORE_CUTOFF)

    assert (freshness.expected, freshness.reported, freshness.complete, freshness.final) == (4, 4, True, True)


def test_a_staff_members_fact_counts_as_the_outlet_reporting(late, teller):
    staff = StaffMember.objects.get(user=teller)
    Fact.objects.create(
        date=DAY, unit=late[LATE], staff=staff, metric=Metric.objects.get(code="customer_visits"), value=1
    )

    assert freshness_of(day=DAY, outlets=gz01(late), now=BEFORE_CUTOFF).complete


def test_hqs_cut_off_moves_when_the_day_is_due(late):
    ReportingCutoff.objects.update(cutoff=datetime.time(6, 30))

    freshness = freshness_of(day=DAY, outlets=gz01(late), now=BEFORE_CUTOFF)  # 07:00 on the 16th

    assert freshness.due_at == DUE_AT.replace(hour=6, minute=30)
    assert freshness.final


def test_the_migration_writes_hqs_one_row_at_eight_the_next_morning(db):
    cutoff = ReportingCutoff.objects.current()

    assert (cutoff.pk, cutoff.cutoff) == (ReportingCutoff.SINGLETON, DEFAULT_REPORTING_CUTOFF)
    assert ReportingCutoff.objects.count() == 1


def test_saving_the_cut_off_keeps_one_row(db):
    ReportingCutoff(cutoff=datetime.time(9, 0)).save()

    assert list(ReportingCutoff.objects.values_list("pk", "cutoff")) == [(1, datetime.time(9, 0))]


def test_an_outlet_that_reported_on_one_sunday_in_four_is_not_waited_for(late):
    # GZ0104 loses the 8th: one Sunday of the four before the 15th is not a habit (two are).
    late[LATE].facts.filter(date=datetime.date(2026, 11, 8)).delete()

    freshness = freshness_of(day=DAY, outlets=gz01(late), now=BEFORE_CUTOFF)

    assert (freshness.expected, freshness.missing) == (3, [])


def test_a_new_outlet_and_one_closed_before_the_day_are_not_expected(late):
    new = OrgUnitFactory.outlet_of(late["GZ01"], code="GZ0105", opened_on=DAY)
    closed = OrgUnitFactory.outlet_of(
        late["GZ01"], code="GZ0106", status=UnitStatus.CLOSED, closed_on=DAY - datetime.timedelta(days=1)
    )
    for sunday in (datetime.date(2026, 11, 1), datetime.date(2026, 11, 8)):
        fact(closed, "new_merchants", 1, sunday)

    expected = {outlet.code for outlet in outlets_expected(day=DAY, outlets=gz01(late))}

    assert new.code not in expected and closed.code not in expected
    assert expected == {"GZ0101", "GZ0102", "GZ0103", "GZ0104"}


def test_an_outlet_closed_after_the_day_is_still_expected_on_it(late):
    late[LATE].status = UnitStatus.CLOSED
    late[LATE].closed_on = DAY + datetime.timedelta(days=10)
    late[LATE].save()

    assert LATE in {outlet.code for outlet in outlets_expected(day=DAY, outlets=gz01(late))}


def test_without_a_set_the_whole_network_is_read_in_two_queries(late, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        freshness = freshness_of(day=DAY, now=AFTER_CUTOFF)

    assert [outlet.code for outlet in freshness.missing] == [LATE]
