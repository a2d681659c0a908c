"""The complaints register: one source per outlet and day for the `complaints` facts, the overdue
replies' alert, and who may record and review."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from alerts.models import Alert, AlertStatus, RuleKind
from complaints.models import Channel, Complaint, Validity
from complaints.services import (
    complaint_create,
    complaint_reply,
    complaint_review,
    complaints_check_overdue,
    complaints_feed_facts,
)
from kpi.models import Fact, IngestBatch
from kpi.services.facts import facts_ingest
from lib.csvimport import CsvRow
from staff.access import scope_for_user

pytestmark = pytest.mark.django_db


def _push(rows: list[tuple[datetime.date, str, int]]) -> IngestBatch:
    """The hotline system's count pushed over the API (source api)."""
    return facts_ingest(
        rows=[
            CsvRow(
                line=index, values={"date": day.isoformat(), "unit": unit, "metric": "complaints", "value": str(value)}
            )
            for index, (day, unit, value) in enumerate(rows)
        ],
        source=IngestBatch.Source.API,
    )


def _complaints_fact(unit, day) -> Decimal | None:
    return (
        Fact.objects.filter(unit=unit, date=day, metric__code="complaints", staff=None)
        .values_list("value", flat=True)
        .first()
    )


def _record(head, unit, day, *, channel=Channel.BOOK, today=None, **extra) -> Complaint:
    return complaint_create(
        scope=scope_for_user(head),
        user=head,
        unit=unit,
        channel=channel,
        category="attitude",
        received_on=day,
        summary="柜员态度生硬",
        today=today,
        **extra,
    )


def test_a_complaint_is_counted_once_the_register_holds_its_day_and_the_push_stands_elsewhere(
    network, outlet_head, unit_manager, hq_admin, today
):
    day = today - datetime.timedelta(days=2)
    tianhe, zhujiang = network["GZ0101"], network["GZ0102"]
    # The 95xxx system pushes 2 for 天河路 (it counted the register's complaint too) and 1 for 珠江新城.
    _push([(day, "GZ0101", 2), (day, "GZ0102", 1)])
    # The register holds 天河路's day: two complaints, one found valid, one not.
    valid = _record(outlet_head, tianhe, day)
    invalid = _record(outlet_head, tianhe, day, channel=Channel.HOTLINE)
    complaint_review(scope=scope_for_user(unit_manager), user=unit_manager, complaint=valid, validity=Validity.VALID)
    complaint_review(
        scope=scope_for_user(unit_manager), user=unit_manager, complaint=invalid, validity=Validity.INVALID
    )

    complaints_feed_facts(today=today)

    # 天河路: the register's count, 1 valid (not 2 pushed, nor 2 + 1); 珠江新城: the pushed 1 stands.
    assert _complaints_fact(tianhe, day) == Decimal(1)
    assert _complaints_fact(zhujiang, day) == Decimal(1)
    # The push of the same day again does not overwrite the register's count: counted as unchanged.
    again = _push([(day, "GZ0101", 2), (day, "GZ0102", 1)])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert _complaints_fact(tianhe, day) == Decimal(1)
    # The task run twice writes nothing the second time.
    second = complaints_feed_facts(today=today)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 1)
    assert Fact.objects.filter(metric__code="complaints", date=day).count() == 2


def test_a_day_held_with_no_valid_complaint_is_zero_not_the_pushed_count(network, outlet_head, today):
    day = today - datetime.timedelta(days=1)
    _push([(day, "GZ0101", 3)])
    _record(outlet_head, network["GZ0101"], day)  # not reviewed yet: not valid

    complaints_feed_facts(today=today)

    assert _complaints_fact(network["GZ0101"], day) == Decimal(0)


def test_an_overdue_reply_raises_an_alert_once_and_the_reply_clears_it(network, outlet_head, today):
    tianhe = network["GZ0101"]
    # Received 4 days ago by the hotline: due 2 days later, so 2 days overdue today.
    late = _record(outlet_head, tianhe, today - datetime.timedelta(days=4), channel=Channel.HOTLINE)
    _record(outlet_head, tianhe, today)  # due in 3 days: not overdue
    assert late.reply_due == today - datetime.timedelta(days=2)

    complaints_check_overdue(today=today)
    complaints_check_overdue(today=today)  # run twice: still one alert

    alert = Alert.objects.get(unit=tianhe, rule__kind=RuleKind.OVERDUE_REPLY)
    assert alert.status == AlertStatus.OPEN
    assert alert.value == Decimal(1)
    assert alert.owner == outlet_head  # the outlet's one head
    assert (today - datetime.timedelta(days=2)).isoformat() in alert.detail

    complaint_reply(
        scope=scope_for_user(outlet_head), user=outlet_head, complaint=late, reply="已致电客户致歉", today=today
    )
    complaints_check_overdue(today=today + datetime.timedelta(days=1))

    alert.refresh_from_db()
    assert alert.status == AlertStatus.CLEARED


def test_the_outlet_head_may_not_review_its_own_outlets_complaint(network, outlet_head, today):
    complaint = _record(outlet_head, network["GZ0101"], today)

    with pytest.raises(PermissionDenied):
        complaint_review(
            scope=scope_for_user(outlet_head), user=outlet_head, complaint=complaint, validity=Validity.VALID
        )
    complaint.refresh_from_db()
    assert complaint.validity == Validity.PENDING


def test_bad_input_is_refused_with_every_problem_and_nothing_is_written(network, outlet_head, today):
    with pytest.raises(ValidationError) as refused:
        complaint_create(
            scope=scope_for_user(outlet_head),
            user=outlet_head,
            unit=network["GZ0101"],
            channel="fax",
            category="nonsense",
            received_on=today + datetime.timedelta(days=1),
            summary="  ",
            complainant_phone="call me",
        )

    assert set(refused.value.message_dict) == {"channel", "category", "received_on", "summary", "complainant_phone"}
    assert not Complaint.objects.exists()


def test_another_branchs_outlet_head_may_not_record_a_complaint_here(network, today):
    from tests.factories import UserFactory

    shenzhen_head = UserFactory(username="sz.head", role="outlet_head", unit=network["SZ0101"])

    with pytest.raises(PermissionDenied):
        _record(shenzhen_head, network["GZ0101"], today)
    assert not Complaint.objects.exists()
