"""Sign-in lockout with django-axes (settings: AXES_*): the backend that refuses a locked-out sign-in and
the page that says so."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django.conf import settings
from django.shortcuts import render


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
