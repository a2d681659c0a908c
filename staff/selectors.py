"""Reads about people. Who may see whom is staff/access.py (Scope, get_staff_or_404)."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet

from branches.models import OrgUnit
from staff.models import Assignment


def assignments_on(*, day: datetime.date, unit: OrgUnit | None = None) -> QuerySet[Assignment]:
    queryset = Assignment.objects.on(day).select_related("staff", "post", "unit")
    if unit is not None:
        queryset = queryset.filter(unit=unit)
    return queryset
