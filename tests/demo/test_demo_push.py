"""The demo's push (demo/push.py, issue 17) on the tiny network of tests/demo/test_demo_facts.py: four
outlets, ten days of facts to Tuesday 20 January 2026."""

from __future__ import annotations

import datetime
import io
from unittest import mock

import pytest
from django.core.management import call_command

from notify import credentials
from notify.models import Channel, ChannelKind, Delivery, DeliveryKind, DeliveryStatus
from staff.models import Role, User

pytestmark = pytest.mark.django_db

END = datetime.date(2026, 1, 20)


@pytest.fixture(autouse=True)
def _keep_daily_scorecards(settings):
    settings.SCORECARD_RETENTION_DAYS = 100_000


def seed(*flags: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--outlets=4", "--days=10", f"--end={END}", *flags, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_hq_and_the_unit_managers_sub_branch_have_a_robot_each_and_an_e_mail_list():
    output = seed()

    manager = User.objects.get(role=Role.UNIT_MANAGER)
    channels = {(channel.unit.code, channel.kind) for channel in Channel.objects.select_related("unit")}
    head_office = Channel.objects.get(kind=ChannelKind.WECOM).unit
    assert head_office.parent_id is None
    assert channels == {
        (head_office.code, ChannelKind.WECOM),
        (manager.unit.code, ChannelKind.DINGTALK),
        (manager.unit.code, ChannelKind.EMAIL),
    }
    assert "Push: 3 channels" in output


def test_the_demos_robots_point_at_addresses_that_never_resolve_and_their_secrets_are_sealed():
    seed()

    for channel in Channel.objects.exclude(kind=ChannelKind.EMAIL):
        assert channel.webhook.startswith("fernet:")
        assert ".example.invalid/" in credentials.unseal(channel.webhook)
    assert credentials.unseal(Channel.objects.get(kind=ChannelKind.DINGTALK).secret).startswith("SEC")


def test_the_last_three_days_have_deliveries_the_robots_failed_and_the_e_mails_sent():
    seed()

    days = sorted(set(Delivery.objects.filter(kind=DeliveryKind.DAILY).values_list("day", flat=True)))
    assert days == [datetime.date(2026, 1, 18), datetime.date(2026, 1, 19), END]
    by_kind = {
        kind: set(Delivery.objects.filter(channel__kind=kind, kind=DeliveryKind.DAILY).values_list("status", flat=True))
        for kind in ChannelKind.values
    }
    assert by_kind == {
        ChannelKind.WECOM: {DeliveryStatus.FAILED},
        ChannelKind.DINGTALK: {DeliveryStatus.FAILED},
        ChannelKind.EMAIL: {DeliveryStatus.SENT},
    }
    assert Delivery.objects.filter(kind=DeliveryKind.TEST).count() == 1


def test_seeding_sends_nothing_and_again_writes_nothing_more():
    with mock.patch("notify.senders.send") as send:
        seed()
        count = Delivery.objects.count()
        seed("--force")

    send.assert_not_called()
    assert Delivery.objects.count() == count == 3 * 3 + 1
    assert Channel.objects.count() == 3
