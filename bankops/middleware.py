"""Project middleware."""

from __future__ import annotations

import time

from django.contrib.auth import SESSION_KEY
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import translation
from django.views.defaults import bad_request, page_not_found

from lib.ids import is_id


class ApiLanguageMiddleware:
    """The API speaks English unless the request asks otherwise.

    Pages default to Chinese (LANGUAGE_CODE). An integration sends no language cookie and often no
    Accept-Language, and its developers read the messages of the API's own checks, which are English; so
    under /api/ a request without an Accept-Language header gets English throughout (DRF's messages too).
    A client that sends `Accept-Language: zh-Hans` gets Chinese where a translation exists (metric names,
    DRF's messages). Placed after LocaleMiddleware, which has already chosen the page language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/") and not request.headers.get("Accept-Language"):
            translation.activate("en")
            request.LANGUAGE_CODE = "en"
        return self.get_response(request)


class FriendlyNotFoundMiddleware:
    """A page a view refuses with Http404 (a unit, person or record outside the reader's scope, a code
    that does not exist) answers with templates/404.html in the site's layout, DEBUG on or off.

    With DEBUG on, Django answers every 404 with its technical page, which lists the project's URL
    patterns; the demo runs with DEBUG on, and its readers follow links to what their role may not
    see. handler404 is only used with DEBUG off, so the view's Http404 is answered here, before
    Django's handler sees it. An address that matches no URL pattern never reaches a view: with
    DEBUG on it keeps Django's technical page, which is what a developer mistyping a URL wants. The
    API answers its own 404s in its JSON error format (lib.api) and is left alone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, Http404) and not request.path_info.startswith("/api/"):
            return page_not_found(request, exception)
        return None


class RefuseNulBytesMiddleware:
    """A NUL byte in the path or the query string is refused before any view runs: 400 (in the API's
    error format under /api/, Django's 400 page elsewhere).

    No code, date, period or word the pages and the API take holds one, and PostgreSQL refuses a string
    that does ("A string literal cannot contain NUL (0x00) characters"): a filter such as `?unit=%00`
    that reached a query answered 500. One check here covers every page and filter, the admin's search
    and those to come. Forms already refuse a NUL in a posted field; JSON bodies are checked where they
    are read (lib.api, kpi.api.facts)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        where = self._nul_in(request)
        if where is None:
            return self.get_response(request)
        message = f"{where} must not contain a NUL character (%00)"
        if request.path_info.startswith("/api/"):
            # Imported here: lib.api imports DRF's views, whose settings name classes of lib.api.
            from lib.api import api_error

            field = "" if where == "the path" else where
            return JsonResponse({"errors": [api_error(message, field=field)]}, status=400)
        return bad_request(request, SuspiciousOperation(message))

    @staticmethod
    def _nul_in(request) -> str | None:
        if "\x00" in request.path_info:
            return "the path"
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                return name.replace("\x00", "%00")
        return None


class AdminOutOfRangeMiddleware:
    """Two inputs Django's admin (5.2) turns into a 500, answered as it answers any wrong one:

    - a date hierarchy's `?<field>__year=` (or month, day) beyond a date: `datetime(int(year), …)` and the
      next year's `replace(year=year + 1)` raise OverflowError or ValueError outside its try. Sent back to
      the list with `?e=1`, the admin's "wrong lookup" answer;
    - an object number beyond any id in the path (`/admin/outreach/donotcontact/99999999999999999999/`):
      a primary key that is a one-to-one link is not range-checked and SQLite cannot bind it. 404.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self._admin = ""  # the admin's prefix, read on the first request (the URLconf loads after us)

    def __call__(self, request):
        if not self._admin:
            self._admin = reverse("admin:index")
        if not request.path_info.startswith(self._admin):
            return self.get_response(request)
        if any(part.isdigit() and not is_id(int(part)) for part in request.path_info.split("/")):
            raise Http404("No such object.")
        for name, values in request.GET.lists():
            if name.endswith(("__year", "__month", "__day")) and not all(self._date_part(v) for v in values):
                return HttpResponseRedirect(f"{request.path}?e=1")
        return self.get_response(request)

    @staticmethod
    def _date_part(value: str) -> bool:
        """A year, month or day Django can make a date of (and a year after it)."""
        return value.isascii() and value.isdigit() and 1 <= int(value) < 9999


# When a signed-in session's expiry was last moved forward (epoch seconds), in the session itself.
SESSION_REFRESHED = "_refreshed"
# Moving it costs a write; once a minute is precise enough for an idle timeout counted in minutes.
REFRESH_EVERY = 60


def note_session_refreshed(session) -> None:
    session[SESSION_REFRESHED] = int(time.time())


class SessionIdleTimeoutMiddleware:
    """A signed-in session ends SESSION_COOKIE_AGE seconds after its last request, not after it began.

    Django sets a session's expiry (cookie and row) to now + SESSION_COOKIE_AGE each time it saves it;
    SESSION_SAVE_EVERY_REQUEST would save it on every request, a write per page and per API call. Here it
    is saved when its expiry was last moved more than REFRESH_EVERY seconds ago: touching the marker
    marks the session modified, and SessionMiddleware (outside this one) saves it on the way out. Sign-in
    sets the marker (bankops.auth), so the first minute after it costs nothing either. A session nobody
    signed in to (an API token's request, the sign-in page) is left alone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and SESSION_KEY in session:
            refreshed = session.get(SESSION_REFRESHED, 0)
            if time.time() - refreshed >= REFRESH_EVERY:
                note_session_refreshed(session)
        return response
