"""Scorecard pages and the daily bulletin (kpi/views.py)."""

from __future__ import annotations

from django.urls import path

from kpi import views

app_name = "kpi"

urlpatterns = [
    path("scorecard/", views.my_scorecard, name="my_scorecard"),
    path("units/<str:code>/scorecard/", views.unit_scorecard, name="unit_scorecard"),
    path("staff/<str:code>/scorecard/", views.staff_scorecard, name="staff_scorecard"),
    path("bulletin/", views.bulletin, name="bulletin"),
]
