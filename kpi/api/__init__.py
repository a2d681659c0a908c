"""kpi endpoints under /api/v1/, one module per resource; bankops/api.py mounts `urlpatterns`."""

from __future__ import annotations

from kpi.api import contests, facts, judging, metrics, notes, rankings, rollouts, rollups, scorecards, targets

urlpatterns = [
    *metrics.urlpatterns,
    *scorecards.urlpatterns,
    *rankings.urlpatterns,
    *facts.urlpatterns,
    *contests.urlpatterns,
    *targets.urlpatterns,
    *rollups.urlpatterns,
    *notes.urlpatterns,
    *judging.urlpatterns,
    *rollouts.urlpatterns,
]
