"""kpi endpoints under /api/v1/: facts (push), scorecards (pull)."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kpi import selectors
from kpi.serializers import (
    ApiErrorsSerializer,
    ScorecardListSerializer,
    ScorecardQuerySerializer,
    ScorecardSerializer,
)
from staff.selectors import get_staff_or_404, get_unit_or_404, scope_for_request

# -- scorecards (pull) -------------------------------------------------------------------------------

_SCORECARD_EXAMPLE = {
    "results": [
        {
            "unit": "GZ0101",
            "staff": None,
            "date": "2026-11-24",
            "period": "month",
            "period_start": "2026-11-01",
            "period_end": "2026-11-30",
            "lines": [
                {
                    "metric": "mobile_banking_signups",
                    "actual": "420.0000",
                    "target": "500.0000",
                    "attainment": "0.840000",
                    "time_progress": "0.800000",
                    "pace_attainment": "1.050000",
                    "status": "green",
                    "gap_to_pace": "20.0000",
                    "required_per_day": "13.3333",
                },
                {
                    "metric": "complaints",
                    "actual": "1.0000",
                    "target": None,
                    "attainment": None,
                    "time_progress": "0.800000",
                    "pace_attainment": None,
                    "status": None,
                    "gap_to_pace": None,
                    "required_per_day": None,
                },
            ],
        }
    ]
}


def _errors(serializer_errors: dict) -> list[dict[str, str]]:
    """DRF's {"field": ["message", …]} as the API's [{"field": …, "message": …}, …]."""
    return [
        {"field": field, "message": str(message)}
        for field, messages in serializer_errors.items()
        for message in (messages if isinstance(messages, list) else [messages])
    ]


class ScorecardListView(APIView):
    @extend_schema(
        operation_id="scorecards_list",
        summary="A published scorecard of a unit or a staff member",
        description=(
            "The scorecard of one unit (`unit=CODE`) or one staff member (`staff=CODE`) as of a business "
            "day, for the day, ISO week, month, quarter or year that contains it. Only results of the "
            "day's published rollup are returned. `results` holds that scorecard, or is empty when the "
            "day has not been rolled up. Decimals are strings; `attainment`, `time_progress` and "
            "`pace_attainment` are fractions (1.38 means 138 %). A unit or staff member outside the "
            "token's (or user's) scope answers 404, as an unknown code does."
        ),
        parameters=[
            OpenApiParameter("unit", str, description="Org unit code, e.g. GZ0101. Give unit or staff."),
            OpenApiParameter("staff", str, description="Staff member code, e.g. S1001. Give unit or staff."),
            OpenApiParameter(
                "date",
                OpenApiTypes.DATE,
                description="Business date, YYYY-MM-DD. Default: the latest rolled-up day.",
            ),
            OpenApiParameter(
                "period",
                str,
                enum=["day", "week", "month", "quarter", "year"],
                default="month",
                description="Period kind. Default: month.",
            ),
        ],
        responses={
            200: OpenApiResponse(
                ScorecardListSerializer, examples=[OpenApiExample("An outlet's month", _SCORECARD_EXAMPLE)]
            ),
            400: OpenApiResponse(
                ApiErrorsSerializer,
                description="A bad date or period, or neither unit nor staff given.",
                examples=[
                    OpenApiExample(
                        "A bad date",
                        {
                            "errors": [
                                {"field": "date", "message": "Write the business date as YYYY-MM-DD, e.g. 2026-11-24."}
                            ]
                        },
                    )
                ],
            ),
            404: OpenApiResponse(description="No such unit or staff member in your scope."),
        },
        tags=["scorecards"],
    )
    def get(self, request: Request) -> Response:
        query = ScorecardQuerySerializer(data=request.query_params)
        if not query.is_valid():
            return Response({"errors": _errors(query.errors)}, status=status.HTTP_400_BAD_REQUEST)
        params = query.validated_data
        scope = scope_for_request(request)
        if params.get("unit"):
            who = {"unit": get_unit_or_404(scope, params["unit"])}
        else:
            who = {"staff": get_staff_or_404(scope, params["staff"])}
        day = params.get("date") or selectors.latest_rolled_up_date()
        scorecard = selectors.scorecard_get(date=day, period=params["period"], **who) if day else None
        results = [scorecard] if scorecard is not None else []
        return Response({"results": ScorecardSerializer(results, many=True).data})


urlpatterns: list = [
    path("scorecards/", ScorecardListView.as_view(), name="api-scorecards"),
]
