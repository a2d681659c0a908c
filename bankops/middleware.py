"""Project middleware."""

from __future__ import annotations

from django.utils import translation


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
