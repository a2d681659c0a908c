"""One attempt at a delivery (notify.services.delivery_send): safe to run twice and from two workers, a
send whose worker died taken over, a test message. Data: tests/kpi/freshness_data.py."""

from __future__ import annotations

import datetime

import pytest

from notify.models import Delivery, DeliveryKind, DeliveryStatus
from notify.services import CLAIM_STALE, channel_test_send, deliveries_queue, deliveries_to_release, delivery_send
from tests.kpi import freshness_data
from tests.kpi.freshness_data import AFTER_CUTOFF, BEFORE_CUTOFF, DAY
from tests.notify.conftest import wecom_channel

late = freshness_data.shared_late_network  # conftest.py's `late`, made once for the module (conftest.py's shared_late)

pytestmark = pytest.mark.django_db


@pytest.fixture
def daily(late, robot):
    channel = wecom_channel(late["GZ01"], robot)
    return Delivery.objects.create(channel=channel, day=DAY, kind=DeliveryKind.DAILY)


def test_a_delivery_sent_already_is_not_sent_again(daily, robot):
    delivery_send(delivery_id=daily.pk, now=AFTER_CUTOFF)

    outcome = delivery_send(delivery_id=daily.pk, now=AFTER_CUTOFF)

    assert outcome.status == DeliveryStatus.SENT
    assert len(robot.requests) == 1
    daily.refresh_from_db()
    assert daily.attempts == 1


def test_a_delivery_another_worker_is_sending_is_left_to_it(daily, robot):
    Delivery.objects.filter(pk=daily.pk).update(status=DeliveryStatus.SENDING, claimed_at=AFTER_CUTOFF)

    outcome = delivery_send(delivery_id=daily.pk, now=AFTER_CUTOFF + datetime.timedelta(minutes=1))

    assert outcome.status == "claimed elsewhere"
    assert robot.requests == []


def test_a_send_whose_worker_died_is_taken_over_once_its_claim_is_old(daily, robot):
    Delivery.objects.filter(pk=daily.pk).update(status=DeliveryStatus.SENDING, claimed_at=AFTER_CUTOFF)
    later = AFTER_CUTOFF + CLAIM_STALE + datetime.timedelta(seconds=1)

    assert deliveries_to_release(now=later) == [daily.pk]
    assert delivery_send(delivery_id=daily.pk, now=later).status == DeliveryStatus.SENT


def test_the_beat_leaves_a_recent_claim_alone_and_takes_the_waiting_ones(daily):
    assert deliveries_to_release(now=AFTER_CUTOFF) == [daily.pk]  # made waiting
    Delivery.objects.filter(pk=daily.pk).update(status=DeliveryStatus.SENDING, claimed_at=AFTER_CUTOFF)

    assert deliveries_to_release(now=AFTER_CUTOFF) == []


def test_waiting_records_why_and_counts_no_attempt(daily, robot):
    outcome = delivery_send(delivery_id=daily.pk, now=BEFORE_CUTOFF)

    daily.refresh_from_db()
    assert (outcome.status, daily.status, daily.attempts) == (DeliveryStatus.WAITING,) * 2 + (0,)
    assert daily.detail == "Waiting for 1 outlet (GZ0104) until the cut-off 16 Nov 2026 08:00."


def test_the_queue_makes_one_daily_delivery_per_channel_however_often_it_runs(daily):
    first = deliveries_queue(day=DAY, today=DAY)
    second = deliveries_queue(day=DAY, today=DAY)

    assert first == second == [daily.pk]
    assert Delivery.objects.count() == 1


def test_a_test_message_is_sent_now_and_recorded(late, robot, settings):
    channel = wecom_channel(late["GZ01"], robot)

    outcome = channel_test_send(channel=channel, now=AFTER_CUTOFF)

    assert outcome.status == DeliveryStatus.SENT
    delivery = Delivery.objects.get(channel=channel)
    assert (delivery.kind, delivery.day, delivery.attempts) == (DeliveryKind.TEST, datetime.date(2026, 11, 16), 1)
    content = robot.requests[0].body["markdown"]["content"]
    assert content.startswith("### Test message · 天河支行业务群")
    assert "BankOps reaches this chat (16 Nov 2026 08:01)." in content
