"""The push's tests: a local HTTP server that plays the WeCom and DingTalk robots, a clock, channels.

`robot` answers every POST with the next of its scripted answers ((status, body); {"errcode": 0,
"errmsg": "ok"} once they run out) and keeps each request: path, query (decoded) and JSON body. It
listens on 127.0.0.1 only, on a port of its own, and stops with the test.

The messages are written in settings.LANGUAGE_CODE (the bank's zh-Hans in production); the tests write
them in English, so they read the same before and after the catalog is translated.
"""

from __future__ import annotations

import datetime
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from notify import credentials
from notify.models import Channel, ChannelKind
from tests.conftest import network_of_the_tests
from tests.kpi import freshness_data
from tests.kpi.freshness_data import DUE_AT
from tests.shared_data import as_in_a_test, shared_data

late = freshness_data.late  # the fixture: GZ0104 has not reported Sunday the 15th

WECOM_KEY = "693a91f6-7a0c-4bc4-97a0-0ec2sifa5aaa"
DINGTALK_TOKEN = "bf73c0ffee5ee0f7d3b2a1c9e8d7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9"
DINGTALK_SECRET = "SEC5a3ecf88f2b3eb50db30ecfc00f53033ac909c99bf7f88fd612bda89d7f3a9dc"
OK = (200, {"errcode": 0, "errmsg": "ok"})


@dataclass
class RobotRequest:
    path: str
    query: dict[str, str]
    body: dict


@dataclass
class Robot:
    url: str
    answers: list[tuple[int, dict | str]] = field(default_factory=list)
    requests: list[RobotRequest] = field(default_factory=list)


@pytest.fixture
def robot():
    state = Robot(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            parts = urlsplit(self.path)
            query = {name: values[0] for name, values in parse_qs(parts.query).items()}
            state.requests.append(RobotRequest(path=parts.path, query=query, body=json.loads(raw or b"{}")))
            status, body = state.answers.pop(0) if state.answers else OK
            payload = (body if isinstance(body, str) else json.dumps(body)).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


# Webhooks on (the embedded default keeps them off), the messages in English, links on a known site.
PUSH_SETTINGS = {
    "NOTIFY_WEBHOOKS_ENABLED": True,
    "LANGUAGE_CODE": "en",
    "SITE_URL": "https://bankops.example.com",
    "NOTIFY_TIMEOUT": 5,
}


@pytest.fixture(autouse=True)
def _push(settings):
    """PUSH_SETTINGS for every test."""
    for name, value in PUSH_SETTINGS.items():
        setattr(settings, name, value)


@pytest.fixture(scope="module")
def shared_late(django_db_setup, django_db_blocker) -> dict:
    """tests/kpi/freshness_data.py's shared_late, made with PUSH_SETTINGS as a test here makes `late`."""
    with shared_data(django_db_blocker), as_in_a_test(**PUSH_SETTINGS):
        yield {"network": freshness_data.late_of(network_of_the_tests())}


class Clock:
    """timezone.now() stands still at `moment` until moved (the cut-off's tests)."""

    def __init__(self, moment: datetime.datetime):
        self.moment = moment

    def __call__(self) -> datetime.datetime:
        return self.moment


@pytest.fixture
def clock(monkeypatch):
    """The morning after the day: an hour before HQ's cut-off (08:00 on the 16th)."""
    now = Clock(DUE_AT - datetime.timedelta(hours=1))
    monkeypatch.setattr(timezone, "now", now)
    return now


def wecom_channel(unit, robot: Robot, **kwargs) -> Channel:
    return Channel.objects.create(
        name="天河支行业务群",
        unit=unit,
        kind=ChannelKind.WECOM,
        webhook=credentials.seal(f"{robot.url}/cgi-bin/webhook/send?key={WECOM_KEY}"),
        **kwargs,
    )


def dingtalk_channel(unit, robot: Robot, **kwargs) -> Channel:
    return Channel.objects.create(
        name="天河支行钉钉群",
        unit=unit,
        kind=ChannelKind.DINGTALK,
        webhook=credentials.seal(f"{robot.url}/robot/send?access_token={DINGTALK_TOKEN}"),
        secret=credentials.seal(DINGTALK_SECRET),
        **kwargs,
    )


def email_channel(unit, **kwargs) -> Channel:
    return Channel.objects.create(
        name="天河支行管理层邮件",
        unit=unit,
        kind=ChannelKind.EMAIL,
        recipients="chen.zhiqiang@bank.example.com, lin.xiaoyan@bank.example.com",
        **kwargs,
    )
