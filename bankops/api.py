"""The versioned REST API: /api/v1/. Each app registers its endpoints in its own api.py; this module
only collects them (cookiecutter-django's config/api_router.py)."""

from __future__ import annotations

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from lib.api import not_found

router = DefaultRouter(trailing_slash=True)

# App endpoints: each app's api.py exposes `urlpatterns` (plain paths) and/or registers on `router`.
app_urlpatterns: list = []


def _load_apps() -> None:
    from alerts import api as alerts_api
    from campaigns import api as campaigns_api
    from checklists import api as checklists_api
    from complaints import api as complaints_api
    from customers import api as customers_api
    from kpi import api as kpi_api
    from ledger import api as ledger_api
    from meetings import api as meetings_api
    from notify import api as notify_api
    from outreach import api as outreach_api
    from pay import api as pay_api
    from plans import api as plans_api
    from staff import api_org as org_api
    from staff import api_views as staff_api

    for app_api in (
        org_api, staff_api, kpi_api, customers_api, alerts_api, plans_api, notify_api, meetings_api, pay_api,
        ledger_api, campaigns_api, checklists_api, outreach_api, complaints_api,
    ):  # fmt: skip
        app_urlpatterns.extend(getattr(app_api, "urlpatterns", []))


_load_apps()

urlpatterns = [
    *app_urlpatterns,
    path("", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file (?script): the Content-Security-Policy allows no
    # inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    # Last: any other /api/v1/ path answers 404 in the API's error format, not Django's HTML page.
    # [\s\S]: a path with a newline in it (%0A) is an unknown path too, answered in JSON like the rest.
    re_path(r"^[\s\S]*$", not_found),
]
