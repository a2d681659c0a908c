"""One message to one channel (notify.senders) against a local server playing the robots: the WeCom and
DingTalk payloads, DingTalk's signature worked out again by hand, the robots' refusals, e-mail.

The day is Sunday 2026-11-15 of tests/kpi/freshness_data.py, sent after HQ's cut-off: GZ01-urban ranks
Tianhe Road 110, Zhujiang New Town 100, Tiyu West 100 (1, 2, 2 of 3); Shipai (GZ0104) sent nothing and
is named as no data. Tianhe sub-branch's own lines (its outlets added up, targets from its outlets):
customers served 515 of 1,200 (42.9 %, pace 515 / 600 = 85.8 %: red) and mobile banking sign-ups
175 of 400 (43.8 %, pace 175 / 200 = 87.5 %: red), at a time progress of 15/30 = 50.0 %.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest
from django.core import mail

from notify import credentials, senders
from notify.messages import summary_message
from notify.selectors import day_summary
from tests.kpi import freshness_data
from tests.kpi.freshness_data import AFTER_CUTOFF, DAY
from tests.notify.conftest import (
    DINGTALK_SECRET,
    DINGTALK_TOKEN,
    WECOM_KEY,
    dingtalk_channel,
    email_channel,
    wecom_channel,
)

late = freshness_data.shared_late_network  # conftest.py's `late`, made once for the module (conftest.py's shared_late)

pytestmark = pytest.mark.django_db

LINK = "[Open the whole bulletin](https://bankops.example.com/bulletin/?unit=GZ01&date=2026-11-15&period=month)"


def message_for(channel):
    return summary_message(day_summary(channel=channel, day=DAY, now=AFTER_CUTOFF))


def test_wecom_gets_a_markdown_message_with_the_ranking_the_red_lines_and_the_link(late, robot):
    channel = wecom_channel(late["GZ01"], robot)

    result = senders.send(channel, message_for(channel))

    assert result.ok and result.detail == '{"errcode": 0, "errmsg": "ok"}'
    (request,) = robot.requests
    assert (request.path, request.query) == ("/cgi-bin/webhook/send", {"key": WECOM_KEY})
    assert request.body["msgtype"] == "markdown"
    assert request.body["markdown"]["content"].split("\n") == [
        "### Daily bulletin · Tianhe Sub-branch · 2026-11-15",
        "Month to date (2026-11), business date 2026-11-15",
        '<font color="warning">1 outlet had not reported by the cut-off (16 Nov 2026 08:00): shown as no data, '
        "not ranked: Shipai Outlet.</font>",
        "#### Tianhe Sub-branch · urban outlets (3 outlets ranked)",
        "Ranking: 1 Tianhe Road Outlet 110.00; 2 Zhujiang New Town Outlet 100.00; 2 Tiyu West Outlet 100.00",
        '<font color="warning">No data (not ranked): Shipai Outlet</font>',
        "#### Red lines of Tianhe Sub-branch",
        '<font color="warning">Mobile banking sign-ups: attainment 43.8%, pace 87.5% (time progress 50.0%)</font>',
        '<font color="warning">Customers served: attainment 42.9%, pace 85.8% (time progress 50.0%)</font>',
        LINK,
    ]


def test_a_bare_wecom_key_is_sent_to_the_configured_robot_address(late, robot, settings):
    settings.NOTIFY_WECOM_URL = f"{robot.url}/proxy/wecom/send"
    channel = wecom_channel(late["GZ01"], robot)
    channel.webhook = credentials.seal(WECOM_KEY)

    assert senders.send(channel, message_for(channel)).ok
    assert (robot.requests[0].path, robot.requests[0].query) == ("/proxy/wecom/send", {"key": WECOM_KEY})


def test_dingtalk_gets_title_and_text_signed_with_the_timestamp_and_the_secret(late, robot):
    channel = dingtalk_channel(late["GZ01"], robot)
    before = round(time.time() * 1000)

    assert senders.send(channel, message_for(channel)).ok

    (request,) = robot.requests
    assert request.path == "/robot/send"
    assert set(request.query) == {"access_token", "timestamp", "sign"}
    assert request.query["access_token"] == DINGTALK_TOKEN
    timestamp = request.query["timestamp"]
    assert before <= int(timestamp) <= round(time.time() * 1000)  # milliseconds, now
    # DingTalk's rule, by hand: Base64(HmacSHA256(key=secret, message=timestamp + "\n" + secret)); the
    # server decoded the URL-encoding of the query.
    expected = base64.b64encode(
        hmac.new(DINGTALK_SECRET.encode(), f"{timestamp}\n{DINGTALK_SECRET}".encode(), hashlib.sha256).digest()
    ).decode()
    assert request.query["sign"] == expected
    markdown = request.body["markdown"]
    assert request.body["msgtype"] == "markdown"
    assert markdown["title"] == "Daily bulletin · Tianhe Sub-branch · 2026-11-15"
    # Paragraphs apart (DingTalk joins single lines), no WeCom colours.
    assert markdown["text"].split("\n\n")[4:6] == [
        "Ranking: 1 Tianhe Road Outlet 110.00; 2 Zhujiang New Town Outlet 100.00; 2 Tiyu West Outlet 100.00",
        "No data (not ranked): Shipai Outlet",
    ]
    assert "<font" not in markdown["text"] and markdown["text"].endswith(LINK)


def test_the_signature_is_url_encoded_in_the_query_as_dingtalk_expects():
    # A signature with "+" and "/" in its Base64 travels as %2B and %2F.
    sign = senders.dingtalk_sign(secret="SECtest", timestamp="1700000000000")
    digest = hmac.new(b"SECtest", b"1700000000000\nSECtest", hashlib.sha256).digest()

    assert sign == base64.b64encode(digest).decode().replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")


def test_a_dingtalk_robot_without_a_signing_secret_is_sent_unsigned(late, robot):
    channel = dingtalk_channel(late["GZ01"], robot)
    channel.secret = ""

    assert senders.send(channel, message_for(channel)).ok
    assert robot.requests[0].query == {"access_token": DINGTALK_TOKEN}


def test_an_errcode_other_than_zero_is_a_failure_with_the_robots_answer(late, robot):
    robot.answers.append((200, {"errcode": 310000, "errmsg": "sign not match"}))
    channel = dingtalk_channel(late["GZ01"], robot)

    result = senders.send(channel, message_for(channel))

    assert (result.ok, result.retryable) == (False, True)
    assert result.detail == '{"errcode": 310000, "errmsg": "sign not match"}'


def test_an_http_error_is_a_failure_worth_a_retry(late, robot):
    robot.answers.append((500, "upstream down"))
    channel = wecom_channel(late["GZ01"], robot)

    result = senders.send(channel, message_for(channel))

    assert (result.ok, result.retryable, result.detail) == (False, True, "HTTP 500 from the robot.")


def test_a_robot_that_cannot_be_reached_is_network_unreachable(late, robot):
    channel = wecom_channel(late["GZ01"], robot)
    channel.webhook = credentials.seal("http://127.0.0.1:9/cgi-bin/webhook/send?key=x")  # discard port: refused

    result = senders.send(channel, message_for(channel))

    assert (result.ok, result.retryable) == (False, True)
    assert result.detail.startswith("Network unreachable: ")
    assert "key=" not in result.detail  # the address, which holds the key, is never recorded


def test_with_webhooks_off_nothing_leaves_the_machine_and_it_is_not_retried(late, robot, settings):
    settings.NOTIFY_WEBHOOKS_ENABLED = False
    channel = wecom_channel(late["GZ01"], robot)

    result = senders.send(channel, message_for(channel))

    assert (result.ok, result.retryable) == (False, False)
    assert result.detail.startswith("Network unreachable: pushing to chat robots is off on this server")
    assert robot.requests == []


def test_a_webhook_named_in_the_environment_is_read_from_it(late, robot, monkeypatch):
    monkeypatch.setenv("WECOM_GZ01_WEBHOOK", f"{robot.url}/cgi-bin/webhook/send?key=from-env")
    channel = wecom_channel(late["GZ01"], robot)
    channel.webhook = "env:WECOM_GZ01_WEBHOOK"

    assert senders.send(channel, message_for(channel)).ok
    assert robot.requests[0].query == {"key": "from-env"}


def test_a_missing_environment_variable_fails_without_a_retry(late, robot, monkeypatch):
    monkeypatch.delenv("WECOM_NOWHERE", raising=False)
    channel = wecom_channel(late["GZ01"], robot)
    channel.webhook = "env:WECOM_NOWHERE"

    result = senders.send(channel, message_for(channel))

    assert (result.ok, result.retryable, result.detail) == (
        False,
        False,
        "The environment variable WECOM_NOWHERE is not set.",
    )


def test_e_mail_goes_to_every_recipient_with_the_summary_as_plain_text(late, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    channel = email_channel(late["GZ01"])

    result = senders.send(channel, message_for(channel))

    assert (result.ok, result.detail) == (True, "Sent to 2 recipients.")  # the count: the record names no one
    (sent,) = mail.outbox
    assert sent.subject == "Daily bulletin · Tianhe Sub-branch · 2026-11-15"
    assert sent.to == ["chen.zhiqiang@bank.example.com", "lin.xiaoyan@bank.example.com"]
    lines = sent.body.splitlines()
    assert lines[0] == "Daily bulletin · Tianhe Sub-branch · 2026-11-15"
    assert "Ranking: 1 Tianhe Road Outlet 110.00; 2 Zhujiang New Town Outlet 100.00; 2 Tiyu West Outlet 100.00" in lines
    assert "No data (not ranked): Shipai Outlet" in lines
    assert lines[-1] == (
        "Open the whole bulletin: https://bankops.example.com/bulletin/?unit=GZ01&date=2026-11-15&period=month"
    )
