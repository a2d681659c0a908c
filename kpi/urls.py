"""The KPI pages (kpi/views/): overview, scorecards, metric histories, the daily bulletin, contests, benchmarks
and the notes on the figures."""

from __future__ import annotations

from django.urls import path

from kpi.views import bulletin, contests, credit, history, notes, overview, rollout, scorecards
from lib import converters  # noqa: F401  (registers the <code:…> route converter)

app_name = "kpi"

urlpatterns = [
    path("overview/", overview.overview, name="overview"),
    path("units/<code:code>/overview/", overview.unit_overview, name="unit_overview"),
    path("scorecard/", scorecards.my_scorecard, name="my_scorecard"),
    path("units/<code:code>/scorecard/", scorecards.unit_scorecard, name="unit_scorecard"),
    path("staff/<code:code>/scorecard/", scorecards.staff_scorecard, name="staff_scorecard"),
    path("units/<code:code>/metrics/<code:metric_code>/", history.unit_metric_history, name="unit_metric"),
    path("staff/<code:code>/metrics/<code:metric_code>/", history.staff_metric_history, name="staff_metric"),
    path("contests/", contests.contest_list, name="contest_list"),
    path("contests/new/", contests.contest_new, name="contest_new"),
    path("contests/<int:contest_id>/", contests.contest_detail, name="contest_detail"),
    path("contests/<int:contest_id>/judge/", contests.contest_judge, name="contest_judge"),
    path("benchmarks/<code:code>/", contests.benchmark, name="benchmark"),
    path("rollouts/", rollout.rollout_list, name="rollout_list"),
    path("rollouts/<code:code>/", rollout.rollout_detail, name="rollout_detail"),
    path("bulletin/", bulletin.bulletin, name="bulletin"),
    path("units/<code:code>/notes/", notes.unit_notes, name="unit_notes"),
    path("units/<code:code>/notes/<int:note_id>/delete/", notes.unit_note_delete, name="unit_note_delete"),
    path("units/<code:code>/credit-splits/", credit.unit_credit_splits, name="unit_credit_splits"),
]
