"""Scorecard pages, metric histories and the daily bulletin (kpi/views.py)."""

from __future__ import annotations

from django.urls import path

from kpi import views

app_name = "kpi"

urlpatterns = [
    path("scorecard/", views.my_scorecard, name="my_scorecard"),
    path("units/<str:code>/scorecard/", views.unit_scorecard, name="unit_scorecard"),
    path("staff/<str:code>/scorecard/", views.staff_scorecard, name="staff_scorecard"),
    path("units/<str:code>/metrics/<str:metric_code>/", views.unit_metric_history, name="unit_metric"),
    path("staff/<str:code>/metrics/<str:metric_code>/", views.staff_metric_history, name="staff_metric"),
    path("contests/", views.contest_list, name="contest_list"),
    path("contests/new/", views.contest_new, name="contest_new"),
    path("contests/<int:contest_id>/", views.contest_detail, name="contest_detail"),
    path("benchmarks/<str:code>/", views.benchmark, name="benchmark"),
    path("bulletin/", views.bulletin, name="bulletin"),
]
