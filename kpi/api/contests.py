"""PK contests (pull): GET /api/v1/contests/ and /api/v1/contests/{id}/."""

from __future__ import annotations

from django.db.models import Prefetch
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kpi.models import ContestPair
from kpi.selectors import contests as contests_reads
from kpi.selectors import scorecards as scorecards_reads
from kpi.serializers import (
    ContestListSerializer,
    ContestStandingsSerializer,
)
from kpi.services.contests import contest_period, contest_standings
from staff.access import scope_for_request

# -- PK contests (pull) ------------------------------------------------------------------------------

_CONTEST_LIST_EXAMPLE = {
    "results": [
        {
            "id": 7,
            "name": "十一月手机银行 PK 赛",
            "unit": "GZ01",
            "period": "2026-11",
            "period_start": "2026-11-01",
            "period_end": "2026-11-30",
            "template": None,
            "metrics": ["mobile_banking_signups", "complaints"],
            "judged": False,
            "state": "running",
            "pairs": [{"outlet_a": "GZ0101", "outlet_b": "GZ0102"}],
        }
    ]
}

_CONTEST_DETAIL_EXAMPLE = {
    "id": 7,
    "name": "十一月手机银行 PK 赛",
    "unit": "GZ01",
    "period": "2026-11",
    "period_start": "2026-11-01",
    "period_end": "2026-11-30",
    "template": None,
    "metrics": ["mobile_banking_signups", "complaints"],
    "figures_date": "2026-11-24",
    "ended": False,
    "final": False,
    "judged": False,
    "judging_closed": False,
    "pairs": [
        {
            "outlet_a": "GZ0101",
            "outlet_b": "GZ0102",
            "leader": "a",
            "winner": None,
            "score_a": None,
            "score_b": None,
            "vetoed_a": False,
            "vetoed_b": False,
            "metrics_led_a": 2,
            "metrics_led_b": 0,
            "metrics": [
                {
                    "metric": "mobile_banking_signups",
                    "direction": "higher",
                    "basis": "pace",
                    "leader": "a",
                    "a": {
                        "actual": "420.0000",
                        "target": "500.0000",
                        "attainment": "0.840000",
                        "pace_attainment": "1.050000",
                        "status": "green",
                        "score": None,
                    },
                    "b": {
                        "actual": "300.0000",
                        "target": "400.0000",
                        "attainment": "0.750000",
                        "pace_attainment": "0.937500",
                        "status": "amber",
                        "score": None,
                    },
                },
                {
                    "metric": "complaints",
                    "direction": "lower",
                    "basis": "actual",
                    "leader": "a",
                    "a": {
                        "actual": "1.0000",
                        "target": None,
                        "attainment": None,
                        "pace_attainment": None,
                        "status": None,
                        "score": None,
                    },
                    "b": {
                        "actual": "3.0000",
                        "target": None,
                        "attainment": None,
                        "pace_attainment": None,
                        "status": None,
                        "score": None,
                    },
                },
            ],
        }
    ],
}


def _contest_state(contest, today) -> str:
    if today < contest.period_start:
        return "upcoming"
    return "ended" if today > contest.period_end else "running"


class ContestListView(APIView):
    @extend_schema(
        operation_id="contests_list",
        summary="PK contests in scope",
        description=(
            "The PK contests (两两一组) the token (or user) may read: those organised by a unit of its subtree "
            "and those an outlet of its subtree competes in. Each with its calendar period, what it is fought "
            "on (a scorecard template or metrics), its state as of today and its pairs. The standings of a "
            "contest are at /api/v1/contests/{id}/."
        ),
        responses={
            200: OpenApiResponse(ContestListSerializer, examples=[OpenApiExample("A contest", _CONTEST_LIST_EXAMPLE)])
        },
        tags=["contests"],
    )
    def get(self, request: Request) -> Response:
        scope = scope_for_request(request)
        today = timezone.localdate()
        pairs = ContestPair.objects.select_related("outlet_a", "outlet_b").order_by("pk")
        contests = list(
            contests_reads.contests_visible(scope=scope)
            .prefetch_related(Prefetch("pairs", queryset=pairs), "metrics")
            .order_by("-period_start", "name", "pk")
        )
        for contest in contests:
            contest.period = contest_period(contest)[0].code
            contest.state = _contest_state(contest, today)
        return Response({"results": ContestListSerializer({"results": contests}).data["results"]})


class ContestDetailView(APIView):
    @extend_schema(
        operation_id="contests_retrieve",
        summary="A PK contest head to head",
        description=(
            "Every pair of the contest head to head as of the latest rolled-up day (`figures_date`: the "
            "latest rolled-up day of the contest so far). Per metric, each side's scorecard figures for the "
            "contest's period to date and who leads (`basis` pace: by pace-adjusted attainment when both sides "
            "have a target; actual: by the actual, the lower one for a lower-is-better metric). Overall "
            "(`leader`): by the total score on the template for a template contest (`score_a`, `score_b`), "
            "else by the number of metrics led; `tie` when equal. `winner` (a, b or `draw`) is set once the "
            "contest is over and its last day is rolled up (`final`). Decimals are strings; attainment and "
            "pace-adjusted attainment are fractions (1.05 means 105 %). A contest outside the token's (or "
            "user's) scope answers 404."
        ),
        responses={
            200: OpenApiResponse(
                ContestStandingsSerializer, examples=[OpenApiExample("A metrics contest", _CONTEST_DETAIL_EXAMPLE)]
            ),
            404: OpenApiResponse(description="No such contest in your scope."),
        },
        tags=["contests"],
    )
    def get(self, request: Request, contest_id: int) -> Response:
        scope = scope_for_request(request)
        contest = contests_reads.contest_get_or_404(scope=scope, contest_id=contest_id)
        as_of = scorecards_reads.latest_rolled_up_date() or timezone.localdate()
        if contest.judged:
            as_of = timezone.localdate()  # a judged contest closes by the calendar (kpi.services.judging)
        standings = contests_reads.contest_standings_for(contest_standings(contest=contest, as_of=as_of), scope=scope)
        return Response(ContestStandingsSerializer(standings).data)


urlpatterns = [
    path("contests/", ContestListView.as_view(), name="api-contests"),
    path("contests/<int:contest_id>/", ContestDetailView.as_view(), name="api-contest"),
]
