"""The daily digest (alerts/services/digest.py): one message per owner, overdue alerts first, measures due
within a week; pytest-django sends to the locmem backend (mail.outbox)."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from alerts.models import AlertStatus
from alerts.services.digest import digests_send
from tests.alerts.factories import AlertFactory, AlertRuleFactory, ImprovementPlanFactory, MeasureFactory
from tests.factories import UserFactory

D = datetime.date
TODAY = D(2026, 11, 25)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_digest_sent_yet():
    """The sent marks live in the cache, which outlives a test's database."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def owned(network, outlet_head, unit_manager):
    """林晓燕 owns three alerts to act on (two overdue), one done and one verified, and four measures;
    陈志强 owns one alert; 孙浩, who has no e-mail address, one."""
    gz0101, gz0102 = network["GZ0101"], network["GZ0102"]
    wait = AlertRuleFactory(name="平均等待超过10分钟")
    pace = AlertRuleFactory(name="手机银行签约落后进度")
    veto = AlertRuleFactory(name="一票否决")
    late = AlertRuleFactory(name="数据未按时报送")
    AlertFactory(rule=wait, unit=gz0101, owner=outlet_head, deadline=D(2026, 11, 28), status=AlertStatus.IN_PROGRESS)
    AlertFactory(rule=pace, unit=gz0101, owner=outlet_head, deadline=D(2026, 11, 22))
    AlertFactory(rule=veto, unit=gz0101, owner=outlet_head, deadline=D(2026, 11, 20), status=AlertStatus.REOPENED)
    AlertFactory(rule=late, unit=gz0101, owner=outlet_head, deadline=D(2026, 11, 1), status=AlertStatus.DONE)
    AlertFactory(rule=wait, unit=gz0101, owner=outlet_head, status=AlertStatus.VERIFIED, opened_on=D(2026, 10, 1))
    AlertFactory(rule=pace, unit=gz0102, owner=unit_manager, deadline=D(2026, 12, 1))
    no_email = UserFactory(first_name="孙浩", email="", role="outlet_head", unit=network["GZ0201"])
    AlertFactory(rule=wait, unit=network["GZ0201"], owner=no_email, deadline=D(2026, 12, 1))

    plan = ImprovementPlanFactory(unit=gz0101)
    MeasureFactory(plan=plan, owner=outlet_head, description="晨会演练营销话术", due=D(2026, 11, 30), progress=40)
    MeasureFactory(plan=plan, owner=outlet_head, description="走访周边商户", due=D(2026, 11, 20), progress=10)
    MeasureFactory(plan=plan, owner=outlet_head, description="年底前更新宣传物料", due=D(2026, 12, 10))
    MeasureFactory(
        plan=plan, owner=outlet_head, description="调整排班", due=D(2026, 11, 26), progress=100, done_at=timezone.now()
    )
    return network


def message_to(address: str):
    (message,) = [message for message in mail.outbox if message.to == [address]]
    return message


def test_one_message_per_owner_with_an_address(owned):
    result = digests_send(today=TODAY)

    assert sorted(message.to[0] for message in mail.outbox) == [
        "chen.zhiqiang@bank.example.com",
        "lin.xiaoyan@bank.example.com",
    ]
    assert (result.sent, result.without_email, result.already_sent) == (2, 1, 0)


def test_overdue_alerts_come_first_then_by_deadline_and_done_or_closed_ones_are_left_out(owned):
    digests_send(today=TODAY)

    body = message_to("lin.xiaoyan@bank.example.com").body
    chinese = body.split("----------------------------------------")[0]
    order = [chinese.index(name) for name in ("一票否决", "手机银行签约落后进度", "平均等待超过10分钟")]
    # Overdue: the veto (deadline 20 Nov) and the pace (22 Nov); then the wait (28 Nov).
    assert order == sorted(order)
    lines = {
        name: next(line for line in chinese.splitlines() if name in line) for name in ("一票否决", "平均等待超过10分钟")
    }
    assert lines["一票否决"].startswith("- [")
    assert not lines["平均等待超过10分钟"].startswith("- [")
    assert "数据未按时报送" not in body
    assert chinese.count("平均等待超过10分钟") == 1


def test_the_measures_due_within_a_week_or_overdue_are_listed(owned):
    digests_send(today=TODAY)

    body = message_to("lin.xiaoyan@bank.example.com").body
    assert "走访周边商户" in body and "晨会演练营销话术" in body
    assert body.index("走访周边商户") < body.index("晨会演练营销话术")
    assert "年底前更新宣传物料" not in body
    assert "调整排班" not in body


def test_the_message_has_the_chinese_part_then_the_english(owned):
    digests_send(today=TODAY)

    message = message_to("lin.xiaoyan@bank.example.com")
    chinese, english = message.body.split("----------------------------------------")
    assert "天河路网点" in chinese and "Tianhe Road Outlet" in english
    assert "2026-11-25" in message.subject
    assert "3" in message.subject and "2" in message.subject


def test_a_second_run_the_same_day_sends_nothing_again(owned):
    digests_send(today=TODAY)

    result = digests_send(today=TODAY)

    assert len(mail.outbox) == 2
    assert (result.sent, result.already_sent) == (0, 2)


def test_the_next_day_sends_again(owned):
    digests_send(today=TODAY)

    digests_send(today=TODAY + datetime.timedelta(days=1))

    assert len(mail.outbox) == 4


def test_nobody_with_nothing_to_do_gets_mail(network, hq_admin):
    result = digests_send(today=TODAY)

    assert mail.outbox == []
    assert result.sent == 0


@pytest.mark.parametrize(
    ("environment", "backend"),
    [
        ({"DEBUG": "true"}, "django.core.mail.backends.console.EmailBackend"),
        ({"DEBUG": "false", "SECRET_KEY": "x" * 50}, "django.core.mail.backends.smtp.EmailBackend"),
        (
            {
                "DEBUG": "false",
                "SECRET_KEY": "x" * 50,
                "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            },
            "django.core.mail.backends.locmem.EmailBackend",
        ),
    ],
)
def test_the_mail_backend_is_the_console_in_development_and_smtp_otherwise(environment, backend):
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("EMAIL_", "DEBUG", "SECRET_KEY"))}
    found = subprocess.run(
        [sys.executable, "-c", "from bankops import settings; print(settings.EMAIL_BACKEND)"],
        env={**clean, **environment},
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
    )
    assert found.stdout.strip() == backend
