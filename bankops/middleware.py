"""Project middleware."""

from __future__ import annotations

from django.core.exceptions import SuspiciousOperation
from django.http import JsonResponse
from django.utils import translation
from django.views.defaults import bad_request


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
