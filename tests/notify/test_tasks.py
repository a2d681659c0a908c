"""The push through the real rollup: kpi publishes a day (kpi.signals.day_published), notify.receivers
queues notify.tasks.push_day once the publication commits, each delivery is sent by its own task with
retries, and the beat's release_waiting sends what waited for the day's data.

The day is Sunday 2026-11-15 of tests/kpi/freshness_data.py: GZ0104 (Shipai) has not reported it.
HQ's cut-off is 08:00 on the 16th; the clock starts at 07:00.
"""

from __future__ import annotations

import datetime
from unittest import mock

import pytest

from kpi.models import RollupDay
from notify.models import Delivery, DeliveryKind, DeliveryStatus
from notify.tasks import MAX_RETRIES, DeliveryFailed, release_waiting, send_delivery
from tests.kpi import freshness_data
from tests.kpi.freshness_data import AFTER_CUTOFF, DAY, LATE, PREVIOUS
from tests.kpi.ranking_data import roll, scored_day
from tests.notify.conftest import OK, wecom_channel

late = freshness_data.shared_late_network  # conftest.py's `late`, made once for the module (conftest.py's shared_late)

pytestmark = pytest.mark.django_db


@pytest.fixture
def publish(django_capture_on_commit_callbacks):
    """Roll a day up and let what waits for the commit run (the announcement, then notify's task)."""

    def run(day: datetime.date = DAY) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            roll(day)

    return run


def contents(robot) -> list[str]:
    return [request.body["markdown"]["content"] for request in robot.requests]


def test_a_day_published_before_the_cut_off_with_an_outlet_missing_waits(late, robot, clock, publish):
    channel = wecom_channel(late["GZ01"], robot)

    publish()

    delivery = Delivery.objects.get(channel=channel, day=DAY)
    assert (delivery.kind, delivery.status, delivery.attempts) == (DeliveryKind.DAILY, DeliveryStatus.WAITING, 0)
    assert delivery.detail == "Waiting for 1 outlet (GZ0104) until the cut-off 16 Nov 2026 08:00."
    assert robot.requests == []


def test_it_is_sent_as_soon_as_the_late_outlet_reports_and_the_day_is_published_again(late, robot, clock, publish):
    channel = wecom_channel(late["GZ01"], robot)
    publish()

    scored_day(late[LATE], (25, 26), DAY)  # 07:00: Shipai's batch arrives
    publish()

    delivery = Delivery.objects.get(channel=channel, day=DAY)
    assert (delivery.status, delivery.attempts, delivery.missing) == (DeliveryStatus.SENT, 1, "")
    (content,) = contents(robot)
    # Month to date 75 served and 46 sign-ups: 60 × 0.5 + 40 × 0.92 = 66.80, fourth of four.
    assert (
        "Ranking: 1 Tianhe Road Outlet 110.00; 2 Zhujiang New Town Outlet 100.00; 2 Tiyu West Outlet 100.00; "
        "4 Shipai Outlet 66.80" in content
    )
    assert "All 4 outlets expected have reported." in content


def test_at_the_cut_off_the_beat_sends_it_naming_the_outlet_with_no_data(late, robot, clock, publish):
    channel = wecom_channel(late["GZ01"], robot)
    publish()
    clock.moment = AFTER_CUTOFF

    assert release_waiting() == [Delivery.objects.get(channel=channel).pk]

    delivery = Delivery.objects.get(channel=channel, day=DAY)
    assert (delivery.status, delivery.missing_codes) == (DeliveryStatus.SENT, [LATE])
    (content,) = contents(robot)
    assert "3 outlets ranked" in content
    assert "No data (not ranked): Shipai Outlet" in content


def test_a_push_lost_with_the_broker_is_made_up_by_the_beat(late, robot, clock, publish):
    # The broker is down when the publication commits: the push is logged and lost (robust on_commit).
    channel = wecom_channel(late["GZ01"], robot)
    clock.moment = AFTER_CUTOFF
    with mock.patch("notify.tasks.push_day.delay", side_effect=ConnectionError("broker down")):
        publish()
    assert not Delivery.objects.exists()

    released = release_waiting()

    delivery = Delivery.objects.get(channel=channel, day=DAY)
    assert released == [delivery.pk]
    assert (delivery.kind, delivery.status, delivery.missing_codes) == (DeliveryKind.DAILY, DeliveryStatus.SENT, [LATE])
    assert len(robot.requests) == 1
    # Made up once: the next round finds the day pushed.
    assert release_waiting() == []
    assert len(robot.requests) == 1


def test_a_correction_whose_push_was_lost_is_made_up_by_the_beat(late, robot, clock, publish):
    channel = wecom_channel(late["GZ01"], robot)
    clock.moment = AFTER_CUTOFF
    publish()  # the summary goes at the cut-off, Shipai without data
    assert release_waiting() == []  # nothing lost: the push handled this publication
    scored_day(late[LATE], (25, 26), DAY)  # Shipai reports late
    with mock.patch("notify.tasks.push_day.delay", side_effect=ConnectionError("broker down")):
        publish()  # the republished day's push is lost: no correction made
    assert not Delivery.objects.filter(kind=DeliveryKind.CORRECTION).exists()

    released = release_waiting()

    correction = Delivery.objects.get(channel=channel, kind=DeliveryKind.CORRECTION)
    assert released == [correction.pk]
    assert correction.status == DeliveryStatus.SENT
    _first, second = contents(robot)
    assert second.startswith("### [Correction] Daily bulletin · Tianhe Sub-branch · 2026-11-15")
    assert "4 Shipai Outlet 66.80" in second
    # Made up once.
    assert release_waiting() == []
    assert len(robot.requests) == 2


def test_before_the_cut_off_the_beat_leaves_it_waiting(late, robot, clock, publish):
    wecom_channel(late["GZ01"], robot)
    publish()

    release_waiting()

    assert Delivery.objects.get().status == DeliveryStatus.WAITING
    assert robot.requests == []


def test_a_day_published_again_with_the_same_figures_is_not_sent_twice(late, robot, clock, publish):
    channel = wecom_channel(late["GZ01"], robot)
    clock.moment = AFTER_CUTOFF
    publish()

    publish()  # a rerun of the rollup: nothing the message shows has moved

    assert Delivery.objects.filter(channel=channel).count() == 1
    assert len(robot.requests) == 1


def test_a_late_report_after_the_summary_went_sends_a_correction(late, robot, clock, publish):
    channel = wecom_channel(late["GZ01"], robot)
    clock.moment = AFTER_CUTOFF
    publish()

    scored_day(late[LATE], (25, 26), DAY)  # Shipai reports at 09:00, after its day was sent
    publish()

    daily, correction = Delivery.objects.filter(channel=channel).order_by("pk")
    assert (daily.kind, correction.kind, correction.status) == (
        DeliveryKind.DAILY,
        DeliveryKind.CORRECTION,
        DeliveryStatus.SENT,
    )
    _first, second = contents(robot)
    assert second.startswith("### [Correction] Daily bulletin · Tianhe Sub-branch · 2026-11-15")
    assert "4 Shipai Outlet 66.80" in second and "No data" not in second

    publish()  # once more, the same corrected figures: no second correction
    assert len(robot.requests) == 2


def test_an_older_day_published_again_is_not_pushed(late, robot, clock, publish):
    wecom_channel(late["GZ01"], robot)
    publish(PREVIOUS)  # the 14th again, while the 15th is the newest published day

    assert Delivery.objects.count() == 0


def test_a_day_older_than_the_push_looks_back_is_not_pushed(late, robot, clock, publish, settings):
    wecom_channel(late["GZ01"], robot)
    clock.moment += datetime.timedelta(days=4)  # the 20th: the 15th is more than 3 days old

    publish()

    assert Delivery.objects.count() == 0


def test_a_failing_robot_is_retried_with_backoff_recorded_as_failed_and_the_day_stays_published(
    late, robot, clock, publish
):
    channel = wecom_channel(late["GZ01"], robot)
    clock.moment = AFTER_CUTOFF
    robot.answers.extend([(500, "busy")] * (MAX_RETRIES + 1))

    publish()

    delivery = Delivery.objects.get(channel=channel)
    # The first attempt and MAX_RETRIES retries (eager: one after the other, no countdown).
    assert (delivery.status, delivery.attempts, delivery.detail) == (
        DeliveryStatus.FAILED,
        MAX_RETRIES + 1,
        "HTTP 500 from the robot.",
    )
    assert len(robot.requests) == MAX_RETRIES + 1
    assert RollupDay.objects.published(on=DAY).exists()


def test_a_robot_that_refuses_once_is_retried_and_the_message_sent(late, robot, clock, publish):
    channel = wecom_channel(late["GZ01"], robot)
    clock.moment = AFTER_CUTOFF
    robot.answers.extend([(200, {"errcode": 45009, "errmsg": "api freq out of limit"}), OK])

    publish()

    delivery = Delivery.objects.get(channel=channel)
    assert (delivery.status, delivery.attempts, delivery.detail) == (
        DeliveryStatus.SENT,
        2,
        '{"errcode": 0, "errmsg": "ok"}',
    )


def test_a_failed_channel_does_not_keep_the_others_from_their_message(late, robot, clock, publish, settings):
    broken = wecom_channel(late["GZ01"], robot, is_active=True)
    broken.webhook = "env:WECOM_NOWHERE"  # set up wrong: not retried
    broken.save()
    working = wecom_channel(late["GZ01"], robot)
    clock.moment = AFTER_CUTOFF

    publish()

    assert Delivery.objects.get(channel=broken).status == DeliveryStatus.FAILED
    assert Delivery.objects.get(channel=broken).attempts == 1
    assert Delivery.objects.get(channel=working).status == DeliveryStatus.SENT


def test_an_inactive_channel_gets_nothing(late, robot, clock, publish):
    wecom_channel(late["GZ01"], robot, is_active=False)
    clock.moment = AFTER_CUTOFF

    publish()

    assert Delivery.objects.count() == 0


def test_with_a_broker_a_failure_is_handed_to_celery_to_retry_with_exponential_backoff(late, robot, clock):
    """A worker's attempt raises DeliveryFailed; Celery's autoretry retries it after up to 60 s × 2^retries
    (jittered, at most 30 minutes): here the third retry, after at most 8 minutes."""
    channel = wecom_channel(late["GZ01"], robot)
    clock.moment = AFTER_CUTOFF
    delivery = Delivery.objects.create(channel=channel, day=DAY, kind=DeliveryKind.DAILY)
    robot.answers.append((502, "bad gateway"))

    class Retried(Exception):
        pass

    send_delivery.push_request(retries=3, is_eager=False)
    try:
        with mock.patch.object(send_delivery, "retry", side_effect=Retried) as retry, pytest.raises(Retried):
            send_delivery.run(delivery.pk)
    finally:
        send_delivery.pop_request()

    (call,) = retry.call_args_list
    assert isinstance(call.kwargs["exc"], DeliveryFailed)
    assert 0 <= call.kwargs["countdown"] <= 60 * 2**3
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.detail) == (
        DeliveryStatus.FAILED,
        1,
        "HTTP 502 from the robot.",
    )


def test_the_last_retry_is_recorded_as_failed_not_raised(late, robot, clock):
    channel = wecom_channel(late["GZ01"], robot)
    clock.moment = AFTER_CUTOFF
    delivery = Delivery.objects.create(channel=channel, day=DAY, kind=DeliveryKind.DAILY)
    robot.answers.append((502, "bad gateway"))

    send_delivery.push_request(retries=MAX_RETRIES, is_eager=False)
    try:
        outcome = send_delivery.run(delivery.pk)
    finally:
        send_delivery.pop_request()

    assert (outcome["status"], outcome["retryable"]) == (DeliveryStatus.FAILED, True)
