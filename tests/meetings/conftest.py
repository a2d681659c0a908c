"""The morning of Tuesday 24 November 2026 at 天河路网点 (GZ0101), for the meeting tests.

Two people work there: the teller 黄丽娟 (S1001, the `teller` persona) and the lobby manager 张伟 (S1002).
Through Monday the 23rd, 黄丽娟 signs up 1 customer to mobile banking a day and 张伟 2, so as of the 23rd
(the figures the morning meeting of the 24th reads) the month to date is 23 and 46 against November
targets of 40 and 60. November has 30 days: 7 remain after the 23rd, so each remaining day must bring
(40 − 23) / 7 = 2.43 sign-ups for 黄丽娟 (the sheet proposes 3) and (60 − 46) / 7 = 2 for 张伟 (2).
黄丽娟 also has a month target of 30 counter referrals, with 1 a day: 23 of 30, (30 − 23) / 7 = 1 a day.

The morning is made once for each module whose tests ask for `morning_of_d` (tests/shared_data.py): the
tests only read it (what one writes is undone at its end), and a rollup per test cost them a second or
more each. In such a test `network` and `teller` are the module's too, as copies (tests/conftest.py's
shared_data_of); a test without the morning gets its own.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from kpi.models import Fact, Target
from kpi.services.rollup import rollup_range
from lib.periods import PeriodKind, period_of
from staff.models import StaffMember
from tests.conftest import network_of_the_tests, teller_of
from tests.factories import AssignmentFactory, StaffMemberFactory
from tests.kpi.factories import metric
from tests.shared_data import a_copy, as_in_a_test, shared_data

D = datetime.date(2026, 11, 24)  # the meeting's day
FIGURES_DAY = D - datetime.timedelta(days=1)
NOVEMBER = period_of(PeriodKind.MONTH, D)


def month_target(staff_member: StaffMember, code: str, value: str) -> Target:
    return Target.objects.create(
        staff=staff_member,
        metric=metric(code),
        period_kind=NOVEMBER.kind,
        period=NOVEMBER.code,
        period_start=NOVEMBER.start,
        period_end=NOVEMBER.end,
        value=Decimal(value),
    )


def staff_facts(outlet, staff_member, code: str, per_day: dict[datetime.date, str]) -> None:
    Fact.objects.bulk_create(
        Fact(date=day, unit=outlet, staff=staff_member, metric=metric(code), value=Decimal(value))
        for day, value in per_day.items()
    )


def people_of(network) -> dict[str, StaffMember]:
    """黄丽娟 (the teller persona's staff record, S1001) and 张伟 (S1002), the lobby manager."""
    huang = StaffMember.objects.get(code="S1001")
    zhang = StaffMemberFactory(code="S1002", name="张伟")
    AssignmentFactory(staff=zhang, post="lobby_manager", unit=network["GZ0101"], start=datetime.date(2026, 1, 1))
    return {"S1001": huang, "S1002": zhang}


def the_morning_of_d(people, network) -> None:
    """Facts of 1–23 November and the month targets, rolled up for the 23rd (the morning of the 24th)."""
    outlet = network["GZ0101"]
    days = [datetime.date(2026, 11, day) for day in range(1, 24)]
    staff_facts(outlet, people["S1001"], "mobile_banking_signups", dict.fromkeys(days, "1"))
    staff_facts(outlet, people["S1002"], "mobile_banking_signups", dict.fromkeys(days, "2"))
    staff_facts(outlet, people["S1001"], "counter_referrals", dict.fromkeys(days, "1"))
    month_target(people["S1001"], "mobile_banking_signups", "40")
    month_target(people["S1002"], "mobile_banking_signups", "60")
    month_target(people["S1001"], "counter_referrals", "30")
    rollup_range(first=FIGURES_DAY, last=FIGURES_DAY)


@pytest.fixture(scope="module")
def shared_morning(django_db_setup, django_db_blocker) -> dict:
    """The network, the teller and the morning of D, made once for the module (tests/conftest.py's
    `network` and `teller` are these in a test that asks for the morning)."""
    # As the modules' tests see it: today is D (their autouse _today_is_d).
    with shared_data(django_db_blocker), as_in_a_test(), mock.patch.object(timezone, "localdate", lambda *a, **k: D):
        network = network_of_the_tests()
        teller = teller_of(network)
        people = people_of(network)
        the_morning_of_d(people, network)
        yield {"network": network, "teller": teller, "people": people}


@pytest.fixture
def morning_of_d(shared_morning, db) -> dict[str, StaffMember]:
    """黄丽娟 and 张伟 by staff code, with the facts of 1–23 November and the month targets, rolled up for
    the 23rd (the morning of the 24th)."""
    return a_copy(shared_morning["people"])


@pytest.fixture
def people(request, network, teller) -> dict[str, StaffMember]:
    """黄丽娟 and 张伟 by staff code, without the month's facts (the morning's people in a test of the morning)."""
    if "morning_of_d" in request.fixturenames:
        return request.getfixturevalue("morning_of_d")
    return people_of(network)
