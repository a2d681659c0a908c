"""Scorecard pages, metric histories and the daily bulletin (kpi/views.py)."""

from __future__ import annotations

from django.urls import path

from kpi import views
from lib import converters  # noqa: F401  (registers the <code:…> route converter)

app_name = "kpi"

urlpatterns = [
    path("scorecard/", views.my_scorecard, name="my_scorecard"),
    path("units/<code:code>/scorecard/", views.unit_scorecard, name="unit_scorecard"),
    path("staff/<code:code>/scorecard/", views.staff_scorecard, name="staff_scorecard"),
    path("units/<code:code>/metrics/<code:metric_code>/", views.unit_metric_history, name="unit_metric"),
    path("staff/<code:code>/metrics/<code:metric_code>/", views.staff_metric_history, name="staff_metric"),
    path("contests/", views.contest_list, name="contest_list"),
    path("contests/new/", views.contest_new, name="contest_new"),
    path("contests/<int:contest_id>/", views.contest_detail, name="contest_detail"),
    path("benchmarks/<code:code>/", views.benchmark, name="benchmark"),
    path("bulletin/", views.bulletin, name="bulletin"),
]
