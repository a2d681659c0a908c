"""kpi endpoints under /api/v1/: facts (push), scorecards (pull)."""

from __future__ import annotations

urlpatterns: list = []
