"""The checklist pages (checklists/views.py): patrols (巡检) and inspections (检查)."""

from __future__ import annotations

from django.urls import path

from checklists import views
from lib import converters  # noqa: F401  (registers the <code:…> route converter)

app_name = "checklists"

urlpatterns = [
    path("checklists/", views.checklists_home, name="home"),
    path("checklists/outlets/<code:code>/patrols/", views.patrol_day_page, name="patrol_day"),
    path(
        "checklists/outlets/<code:code>/patrols/<int:template_id>/<str:slot>/",
        views.patrol_tick_page,
        name="patrol_tick",
    ),
    path("checklists/inspections/", views.inspection_list, name="inspection_list"),
    path("checklists/inspections/new/", views.inspection_new, name="inspection_new"),
    path("checklists/inspections/<int:inspection_id>/", views.inspection_detail, name="inspection_detail"),
    path("checklists/answers/<int:answer_id>/photo/", views.answer_photo, name="answer_photo"),
    path("checklists/findings/<int:finding_id>/photo/", views.finding_photo, name="finding_photo"),
]
