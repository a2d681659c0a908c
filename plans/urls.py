"""Target plans (plans/views.py): the grid, its parts over time, the preview that publishes, 签收."""

from __future__ import annotations

from django.urls import path

from plans import views

app_name = "plans"

urlpatterns = [
    path("plans/targets/", views.plan_list, name="plan_list"),
    path("plans/targets/<int:target_plan_id>/", views.plan_grid, name="plan_grid"),
    path("plans/targets/<int:target_plan_id>/time/", views.plan_time, name="plan_time"),
    path("plans/targets/<int:target_plan_id>/preview/", views.plan_preview_page, name="plan_preview"),
    path(
        "plans/targets/acknowledgements/<int:acknowledgement_id>/",
        views.acknowledgement_detail,
        name="acknowledgement",
    ),
]
