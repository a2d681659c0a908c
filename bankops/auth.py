"""Signing in: the lockout with django-axes (settings: AXES_*), the backend that refuses a locked-out
sign-in and the page that says so; and the idle timeout's marker set at sign-in (bankops.middleware)."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.shortcuts import render

from bankops.middleware import note_session_refreshed


class LoginLockoutBackend(AxesStandaloneBackend):
    """django-axes' check, for sign-ins over the network. A call of authenticate() without a request (a
    shell, a management command, the test client's login()) is no attempt from an address: it is left
    to the next backend, where axes' own backend would raise an error."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the sign-in page's look, with how long the lockout lasts (429)."""
    minutes = round(get_cool_off(request).total_seconds() / 60)
    return render(
        request, "registration/locked_out.html", {"minutes": minutes}, status=settings.AXES_HTTP_RESPONSE_CODE
    )


@receiver(user_logged_in)
def _session_refreshed_at_sign_in(sender, request, user, **kwargs):
    """A new session's expiry is now + SESSION_COOKIE_AGE: the idle timeout's marker says so."""
    if getattr(request, "session", None) is not None:
        note_session_refreshed(request.session)
