"""What the kpi endpoints share: the query parameters of the scorecard-like endpoints."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from lib.periods import PERIOD_KINDS

DATE_PARAMETER = OpenApiParameter(
    "date", OpenApiTypes.DATE, description="Business date, YYYY-MM-DD. Default: the latest rolled-up day."
)
PERIOD_PARAMETER = OpenApiParameter(
    "period",
    str,
    enum=[kind.value for kind in PERIOD_KINDS],
    default="month",
    description="Period kind: day, ISO week, month, quarter or year to date. Default: month.",
)
