"""Rankings (pull): GET /api/v1/rankings/, the daily bulletin as data."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kpi.api.common import DATE_PARAMETER, PERIOD_PARAMETER
from kpi.models import RollupDay
from kpi.retention import scorecards_not_kept
from kpi.selectors import bulletin as bulletin_reads
from kpi.selectors import scorecards as scorecards_reads
from kpi.serializers import (
    RankingListSerializer,
    RankingQuerySerializer,
)
from lib.api import conditional_response
from staff.access import Scope, get_unit_or_404, scope_for_request

# -- rankings (pull) ---------------------------------------------------------------------------------

_RANKING_EXAMPLE = {
    "date": "2026-11-15",
    "period": "month",
    "group": "GZ01-urban",
    "freshness": {"expected": 4, "reported": 4, "missing": [], "complete": True,
                  "due_at": "2026-11-16T08:00:00+08:00", "final": True},
    "results": [
        {"unit": "GZ0101", "total_score": "110.0000", "vetoed": False, "veto_reason": "", "rank": 1, "rank_of": 4,
         "movement": 2, "no_data": False},
        {"unit": "GZ0102", "total_score": "100.0000", "vetoed": False, "veto_reason": "", "rank": 2, "rank_of": 4,
         "movement": -1, "no_data": False},
        {"unit": "GZ0103", "total_score": "100.0000", "vetoed": False, "veto_reason": "", "rank": 2, "rank_of": 4,
         "movement": 0, "no_data": False},
        {"unit": "GZ0104", "total_score": "0.0000", "vetoed": True, "veto_reason": "发生内控风险事件", "rank": 4,
         "rank_of": 4, "movement": 0, "no_data": False},
    ],
}  # fmt: skip


def _ranked_set(scope: Scope, code: str):
    """A peer group with this code in scope, else a unit in scope whose outlets are ranked; 404 when neither."""
    group = bulletin_reads.peer_groups_visible(scope=scope).filter(code=code).first()
    if group is not None:
        return group, None
    return None, get_unit_or_404(scope, code)


class RankingListView(APIView):
    @extend_schema(
        operation_id="rankings_list",
        summary="Outlets ranked by score inside a peer group or a unit's subtree",
        description=(
            "The daily bulletin (每日通报) as data: the outlets of a peer group (`group` = its code), or every "
            "outlet under a unit (`group` = a unit code), ranked by their published score for the business day "
            "and the period kind that contains it. `rank` is the standard competition rank (1, 2, 2, 4) inside "
            "this set, so ranking a whole sub-branch can differ from the stored peer-group rank of the "
            "scorecards. An outlet expected to report the day that did not (no fact dated that day) is "
            "`no_data`: not ranked (`rank` null), listed after the ranked outlets, rather than ranked last; "
            "`freshness` says how many were expected and reported, which are missing, HQ's cut-off for the day "
            "and whether the ranking is `final` (every outlet in, or the cut-off passed). Outlets without a "
            "score come last with `rank` null. `movement` is the places gained since the previous day inside "
            "the same set (negative: places lost), null when the outlet is not "
            "ranked now or was not ranked then, and for every outlet when the previous day lies in an earlier "
            "period (the first day of a week, month, quarter or year; always for the day kind): ranks of two "
            "different periods are not compared. A vetoed outlet scores 0 and says why. `results` is empty "
            "when the day has not been rolled up. A token (or user) sees the groups wholly inside its subtree "
            "and the groups its own unit belongs to (an outlet's peer group); any other group or unit answers "
            "404, as an unknown code does."
        ),
        parameters=[
            OpenApiParameter(
                "group",
                str,
                required=True,
                description="A peer group code (e.g. GZ01-urban) or a unit code (e.g. GZ01) whose outlets are ranked.",
            ),
            DATE_PARAMETER,
            PERIOD_PARAMETER,
        ],
        responses={
            200: OpenApiResponse(
                RankingListSerializer, examples=[OpenApiExample("A peer group's month", _RANKING_EXAMPLE)]
            ),
            400: OpenApiResponse(
                description="A bad date or period, or no group given.",
                examples=[
                    OpenApiExample(
                        "No group",
                        {
                            "errors": [
                                {
                                    "field": "group",
                                    "message": "Give group=CODE: a peer group code, or a unit code whose outlets "
                                    "are ranked together.",
                                }
                            ]
                        },
                    )
                ],
            ),
            404: OpenApiResponse(
                description="No such peer group or unit in your scope, or a day whose scorecards were not kept "
                "(the message names the nearest day kept)."
            ),
        },
        tags=["rankings"],
    )
    def get(self, request: Request) -> Response:
        query = RankingQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        scope = scope_for_request(request)
        group, unit = _ranked_set(scope, params["group"])
        day = params.get("date") or scorecards_reads.latest_rolled_up_date()
        not_kept = scorecards_not_kept(date=day) if day else None
        if not_kept is not None:
            raise NotFound({"date": [not_kept.api_message()]})
        freshness = bulletin_reads.bulletin_freshness(date=day, group=group, unit=unit) if day else None
        rows = (
            bulletin_reads.bulletin_rows(
                date=day, period=params["period"], group=group, unit=unit, scope=scope, freshness=freshness
            )
            if day
            else []
        )
        answer = {
            "date": day,
            "period": params["period"],
            "group": params["group"],
            "freshness": freshness if rows else None,
            "results": rows,
        }
        published_at = (
            RollupDay.objects.filter(date=day).values_list("published_at", flat=True).first() if day else None
        )
        return conditional_response(request, RankingListSerializer(answer).data, last_modified=published_at)


urlpatterns = [
    path("rankings/", RankingListView.as_view(), name="api-rankings"),
]
