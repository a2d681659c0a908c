"""The push in the admin (notify/admin.py): HQ configures channels whose secrets are never shown back in
full, sends a test message, and reads the deliveries."""

from __future__ import annotations

import pytest

from notify import credentials
from notify.models import Channel, ChannelKind, Delivery, DeliveryKind, DeliveryStatus
from tests.factories import UserFactory
from tests.kpi.freshness_data import DAY
from tests.notify.conftest import DINGTALK_SECRET, WECOM_KEY, dingtalk_channel, wecom_channel

pytestmark = pytest.mark.django_db

ADD = "/admin/notify/channel/add/"


@pytest.fixture
def admin_client(client, network):
    """张国栋, an HQ superuser, in the admin in English."""
    client.force_login(UserFactory(username="zhang.guodong", first_name="张国栋", is_staff=True, is_superuser=True))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def form(network, **fields) -> dict:
    return {
        "name": "天河支行业务群",
        "unit": network["GZ01"].pk,
        "kind": ChannelKind.WECOM,
        "period": "month",
        "recipients": "",
        "is_active": "on",
        "webhook_input": "",
        "secret_input": "",
        **fields,
    }


def test_a_wecom_channel_is_saved_with_its_key_sealed(admin_client, network):
    webhook = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}"

    response = admin_client.post(ADD, form(network, webhook_input=webhook))

    assert response.status_code == 302
    channel = Channel.objects.get()
    assert channel.webhook.startswith("fernet:") and WECOM_KEY not in channel.webhook
    assert credentials.unseal(channel.webhook) == webhook


def test_the_change_page_never_shows_a_secret_in_full(admin_client, late, robot):
    channel = dingtalk_channel(late["GZ01"], robot)

    page = admin_client.get(f"/admin/notify/channel/{channel.pk}/change/").content.decode()

    webhook = credentials.unseal(channel.webhook)
    for secret in (webhook, webhook.split("access_token=")[1], DINGTALK_SECRET, channel.webhook, channel.secret):
        assert secret not in page
    assert "••••" + webhook[-4:] in page and "••••" + DINGTALK_SECRET[-4:] in page


def test_the_list_shows_the_webhook_masked(admin_client, late, robot):
    channel = wecom_channel(late["GZ01"], robot)

    page = admin_client.get("/admin/notify/channel/").content.decode()

    assert WECOM_KEY not in page and channel.webhook not in page
    assert "••••5aaa" in page


def test_a_change_with_the_secret_fields_left_empty_keeps_the_secrets(admin_client, late, robot):
    channel = dingtalk_channel(late["GZ01"], robot)
    sealed = channel.webhook, channel.secret

    response = admin_client.post(
        f"/admin/notify/channel/{channel.pk}/change/", form(late, kind=ChannelKind.DINGTALK, name="改名")
    )

    assert response.status_code == 302
    channel.refresh_from_db()
    assert (channel.name, (channel.webhook, channel.secret)) == ("改名", sealed)


def test_the_signing_secret_can_be_removed(admin_client, late, robot):
    channel = dingtalk_channel(late["GZ01"], robot)

    admin_client.post(
        f"/admin/notify/channel/{channel.pk}/change/", form(late, kind=ChannelKind.DINGTALK, clear_secret="on")
    )

    channel.refresh_from_db()
    assert channel.secret == "" and channel.webhook


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({}, "webhook_input", "A robot channel needs its webhook."),
        ({"webhook_input": "env:lower"}, "webhook_input", "Write env:NAME with NAME in capitals"),
        ({"webhook_input": "ftp://robot/send"}, "webhook_input", "A webhook address starts with https://."),
        ({"webhook_input": "a key with spaces"}, "webhook_input", "A webhook has no spaces"),
        ({"webhook_input": WECOM_KEY, "secret_input": "SEC1"}, "secret_input", "WeCom robots are not signed"),
        ({"kind": ChannelKind.EMAIL}, "recipients", "An e-mail channel needs at least one address."),
        ({"kind": ChannelKind.EMAIL, "recipients": "chen@bank.example.com, not-an-address"}, "recipients",
         "“not-an-address” is not an e-mail address."),
    ],
)  # fmt: skip
def test_a_channel_set_up_wrong_is_refused_with_what_is_wrong(admin_client, network, fields, field, message):
    response = admin_client.post(ADD, form(network, **fields))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert any(message in error for error in errors[field])
    assert not Channel.objects.exists()


def test_send_a_test_message_reaches_the_robot_and_says_so(admin_client, late, robot):
    channel = wecom_channel(late["GZ01"], robot)

    response = admin_client.post(
        "/admin/notify/channel/", {"action": "send_test_message", "_selected_action": [channel.pk]}, follow=True
    )

    assert "天河支行业务群: the test message was sent." in response.content.decode()
    assert robot.requests[0].body["markdown"]["content"].startswith("### Test message · 天河支行业务群")
    assert Delivery.objects.get().kind == DeliveryKind.TEST


def test_a_failed_test_message_shows_the_robots_answer(admin_client, late, robot):
    channel = wecom_channel(late["GZ01"], robot)
    robot.answers.append((200, {"errcode": 93000, "errmsg": "invalid webhook url"}))

    response = admin_client.post(
        "/admin/notify/channel/", {"action": "send_test_message", "_selected_action": [channel.pk]}, follow=True
    )

    page = response.content.decode()
    assert "the test message failed" in page and "93000" in page


def test_deliveries_are_read_only(admin_client, late, robot):
    delivery = Delivery.objects.create(
        channel=wecom_channel(late["GZ01"], robot), day=DAY, status=DeliveryStatus.SENT, attempts=1
    )

    assert admin_client.get("/admin/notify/delivery/").status_code == 200
    page = admin_client.get(f"/admin/notify/delivery/{delivery.pk}/change/")
    assert page.status_code == 200 and WECOM_KEY not in page.content.decode()
    assert admin_client.get("/admin/notify/delivery/add/").status_code == 403
    assert admin_client.post(f"/admin/notify/delivery/{delivery.pk}/delete/").status_code == 403


def test_an_auditor_reads_a_channel_with_its_masks_and_no_inputs(client, late, robot, auditor):
    from django.contrib.auth.models import Permission

    auditor.is_staff = True
    auditor.save()
    auditor.user_permissions.set(Permission.objects.filter(codename__in=["view_channel", "view_delivery"]))
    channel = wecom_channel(late["GZ01"], robot)
    client.force_login(auditor)

    response = client.get(f"/admin/notify/channel/{channel.pk}/change/")

    fields = [field for _name, options in response.context["adminform"].fieldsets for field in options["fields"]]
    assert "webhook_input" not in fields and "webhook_hint" in fields
    assert WECOM_KEY not in response.content.decode()
