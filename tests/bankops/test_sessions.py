"""A session ends after SESSION_IDLE_MINUTES (30) without a request; each request moves the end forward."""

from __future__ import annotations

import datetime

from django.contrib.sessions.models import Session
from django.utils import timezone


def _expiry(client) -> datetime.datetime:
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_a_session_ends_thirty_minutes_after_the_last_request_not_after_two_weeks(client, unit_manager, settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    client.force_login(unit_manager)

    client.get("/overview/")

    # Django's default: 14 days after sign-in, whatever happens between.
    assert abs((_expiry(client) - timezone.now()) - datetime.timedelta(minutes=30)) < datetime.timedelta(seconds=30)


def _signed_in_minutes_ago(client, minutes: int) -> None:
    session = client.session
    session["_refreshed"] -= minutes * 60
    session.save()
    Session.objects.filter(session_key=session.session_key).update(
        expire_date=timezone.now() + datetime.timedelta(minutes=30 - minutes)
    )


def test_a_request_at_minute_twenty_keeps_the_session_until_minute_fifty(client, unit_manager):
    client.force_login(unit_manager)
    _signed_in_minutes_ago(client, 20)

    assert client.get("/overview/").status_code == 200

    assert _expiry(client) - timezone.now() > datetime.timedelta(minutes=29)


def test_requests_within_a_minute_of_the_last_refresh_write_nothing(client, unit_manager):
    client.force_login(unit_manager)
    client.get("/overview/")
    before = _expiry(client)

    client.get("/overview/")

    assert _expiry(client) == before  # the expiry moves at most once a minute: no write per page


def test_after_thirty_idle_minutes_the_next_page_asks_to_sign_in_again(client, unit_manager):
    client.force_login(unit_manager)
    _signed_in_minutes_ago(client, 30)
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)  # the 30 minutes are up
    )

    response = client.get("/overview/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
