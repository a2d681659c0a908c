"""kpi endpoints under /api/v1/: facts (push), scorecards (pull)."""

from __future__ import annotations

import json

from django.db.models import Prefetch
from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bankops.lib.csvimport import CsvRow, ImportRejected
from bankops.lib.periods import PERIOD_KINDS
from kpi import selectors
from kpi.models import ContestPair, IngestBatch
from kpi.serializers import (
    ApiErrorsSerializer,
    ContestListSerializer,
    ContestStandingsSerializer,
    FactBatchResultSerializer,
    FactBatchSerializer,
    FactErrorsSerializer,
    RankingListSerializer,
    RankingQuerySerializer,
    ScorecardListSerializer,
    ScorecardQuerySerializer,
    ScorecardSerializer,
)
from kpi.services.contests import contest_period, contest_standings
from kpi.services.facts import FACT_COLUMNS, facts_ingest
from staff.api import HasTokenScope
from staff.models import ApiToken, Role
from staff.selectors import Scope, get_staff_or_404, get_unit_or_404, scope_for_request

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
            "total_score": "42.0000",
            "vetoed": False,
            "veto_reason": "",
            "rank": 2,
            "rank_of": 4,
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
                    "score": "42.0000",
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
                    "score": None,
                },
            ],
        }
    ]
}


# Query parameters shared by the scorecard and ranking endpoints.
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
            "`pace_attainment` are fractions (1.38 means 138 %). `total_score`, `rank` and each line's "
            "`score` come from the scorecard template that applies (null without one); `rank` is inside the "
            "peer group (same template, same parent unit). A unit or staff member outside the "
            "token's (or user's) scope answers 404, as an unknown code does."
        ),
        parameters=[
            OpenApiParameter("unit", str, description="Org unit code, e.g. GZ0101. Give unit or staff."),
            OpenApiParameter("staff", str, description="Staff member code, e.g. S1001. Give unit or staff."),
            DATE_PARAMETER,
            PERIOD_PARAMETER,
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


# -- facts (push) -----------------------------------------------------------------------------------

MAX_FACTS_PER_REQUEST = 50_000
# 50,000 facts take about 6 MB of JSON; a body far beyond that is refused before it is parsed.
MAX_BODY_BYTES = 32 * 1024 * 1024
# A batch that is wrong throughout would answer with one error per fact; the first ones say enough.
MAX_ERRORS = 1000

_FACT_FIELDS = frozenset(FACT_COLUMNS)
_BATCH_FIELDS = frozenset({"facts", "label"})


class CanIngestFacts(permissions.BasePermission):
    """A token passes here (HasTokenScope has checked its `ingest` scope); a logged-in user must be an HQ
    administrator."""

    message = "Only HQ administrators and tokens with the ingest scope may push facts."

    def has_permission(self, request, view) -> bool:
        if isinstance(request.auth, ApiToken):
            return True
        user = request.user
        return bool(user.is_superuser or getattr(user, "role", "") == Role.HQ_ADMIN)


def _error(row: int | None, field: str, message: str) -> dict:
    return {"row": row, "field": field, "message": message}


def _rejected(errors: list[dict], status_code: int = status.HTTP_400_BAD_REQUEST) -> Response:
    if len(errors) > MAX_ERRORS:
        more = len(errors) - MAX_ERRORS
        errors = [*errors[:MAX_ERRORS], _error(None, "facts", f"… and {more} more problem(s) not listed")]
    return Response({"errors": errors}, status=status_code)


def _fact_rows(body) -> tuple[list[CsvRow], str, list[dict]]:
    """The body's facts as CsvRow objects whose `line` is the fact's 0-based index in `facts`, its label,
    and the problems of its structure (wrong types, unknown fields): the values are facts_ingest's job."""
    if not isinstance(body, dict):
        return [], "", [_error(None, "", 'the body must be a JSON object: {"facts": [...]}')]
    errors = [
        _error(None, name, "unknown field (the body has 'facts' and optionally 'label')")
        for name in body
        if name not in _BATCH_FIELDS
    ]
    label = body.get("label") or ""
    if not isinstance(label, str):
        errors.append(_error(None, "label", "must be a string"))
    facts = body.get("facts")
    if facts is None:
        return [], "", [*errors, _error(None, "facts", "is required (a list of facts)")]
    if not isinstance(facts, list):
        return [], "", [*errors, _error(None, "facts", "must be a list of facts")]
    if len(facts) > MAX_FACTS_PER_REQUEST:
        message = (
            f"at most {MAX_FACTS_PER_REQUEST} facts per request (this one has {len(facts)}); send the rest in another"
        )
        return [], "", [*errors, _error(None, "facts", message)]
    rows = []
    for index, fact in enumerate(facts):
        if not isinstance(fact, dict):
            errors.append(_error(index, "", "each fact must be an object with date, unit, staff, metric and value"))
            continue
        values = {}
        for name, value in fact.items():
            if name not in _FACT_FIELDS:
                errors.append(_error(index, name, "unknown field (a fact has date, unit, staff, metric and value)"))
            elif value is None:
                values[name] = ""
            elif isinstance(value, str):
                values[name] = value
            elif name == "value" and isinstance(value, (int, float)) and not isinstance(value, bool):
                values[name] = str(value)
            elif name == "value":
                errors.append(_error(index, name, 'must be a number, best written as a string such as "123.45"'))
            else:
                errors.append(_error(index, name, "must be a string"))
        rows.append(CsvRow(line=index, values=values))
    return rows, label, errors


def _json_body(request: Request) -> tuple[object, Response | None]:
    """The parsed JSON body, or the answer refusing it.

    Read here rather than through request.data: DRF's JSON parser applies Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB, about 20,000 facts) and answers a larger body with a 500,
    and its errors are not in this endpoint's format. This endpoint has its own, larger, limit.
    """
    if request.content_type.split(";")[0].strip().lower() != "application/json":
        message = "send the body as JSON, with 'Content-Type: application/json'"
        return None, _rejected([_error(None, "", message)], status.HTTP_415_UNSUPPORTED_MEDIA_TYPE)
    too_large = _rejected(
        [_error(None, "facts", f"the body is larger than {MAX_BODY_BYTES // 2**20} MB; send fewer facts per request")],
        status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )
    try:
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES:
            return None, too_large
    except ValueError:
        pass
    stream = request.stream
    raw = stream.read(MAX_BODY_BYTES + 1) if stream is not None else b""
    if len(raw) > MAX_BODY_BYTES:
        return None, too_large
    try:
        return json.loads(raw), None
    except ValueError as error:
        return None, _rejected([_error(None, "", f"the body is not valid JSON ({error})")])


class FactIngestView(APIView):
    parser_classes = [JSONParser]
    permission_classes = [permissions.IsAuthenticated, HasTokenScope, CanIngestFacts]
    required_scopes = {"POST": ApiToken.ScopeName.INGEST}

    @extend_schema(
        operation_id="facts_ingest",
        summary="Push a batch of daily facts",
        description=(
            "Creates or updates daily facts, all or nothing: if any fact is wrong nothing is written and "
            "every problem is listed with the fact's 0-based index in `facts` (`row`), the field and what "
            "was expected. A fact already stored with the same value is unchanged; sending the same batch "
            "twice changes nothing. Facts are reported by outlets (units above add them up), only for base "
            "metrics (sum, last), and a staff fact needs the staff member assigned to that outlet on that "
            f"date. At most {MAX_FACTS_PER_REQUEST} facts per request. A token needs the `ingest` scope and "
            "reaches only the units of its subtree (others are reported as unknown); a logged-in user must "
            "be an HQ administrator. The rollup is queued when the batch has been written."
        ),
        request=FactBatchSerializer,
        examples=[
            OpenApiExample(
                "An outlet's day and a teller's sign-ups",
                {
                    "facts": [
                        {
                            "date": "2026-11-24",
                            "unit": "GZ0101",
                            "staff": None,
                            "metric": "customers_served",
                            "value": "120",
                        },
                        {
                            "date": "2026-11-24",
                            "unit": "GZ0101",
                            "staff": None,
                            "metric": "deposit_balance",
                            "value": "5234.56",
                        },
                        {
                            "date": "2026-11-24",
                            "unit": "GZ0101",
                            "staff": "S1001",
                            "metric": "mobile_banking_signups",
                            "value": "3",
                        },
                    ],
                    "label": "core-banking T+1 2026-11-24",
                },
                request_only=True,
            )
        ],
        responses={
            201: OpenApiResponse(
                FactBatchResultSerializer,
                examples=[OpenApiExample("Written", {"batch": 42, "created": 2, "updated": 1, "unchanged": 0})],
            ),
            400: OpenApiResponse(
                FactErrorsSerializer,
                description="Malformed JSON, a body of the wrong shape, too many facts, or bad facts.",
                examples=[
                    OpenApiExample(
                        "Bad facts",
                        {
                            "errors": [
                                {"row": 0, "field": "unit", "message": "unit 'GZ9999' is not known"},
                                {
                                    "row": 2,
                                    "field": "metric",
                                    "message": "'npl_ratio' is a ratio metric; it is computed: send its parts "
                                    "(npl_balance and loan_balance) instead",
                                },
                            ]
                        },
                    )
                ],
            ),
            401: OpenApiResponse(description="No or unknown token."),
            403: OpenApiResponse(
                description="The token lacks the ingest scope, or the user is not an HQ administrator."
            ),
        },
        tags=["facts"],
    )
    def post(self, request: Request) -> Response:
        body, refusal = _json_body(request)
        if refusal is not None:
            return refusal
        rows, label, errors = _fact_rows(body)
        if errors:
            return _rejected(errors)
        token = request.auth if isinstance(request.auth, ApiToken) else None
        try:
            batch = facts_ingest(
                rows=rows,
                source=IngestBatch.Source.API,
                created_by=None if token else request.user,
                token=token,
                label=label,
            )
        except ImportRejected as rejected:
            return _rejected([_error(problem.line, problem.field, problem.message) for problem in rejected.problems])
        result = {"batch": batch.pk, "created": batch.created, "updated": batch.updated, "unchanged": batch.unchanged}
        return Response(result, status=status.HTTP_201_CREATED)


urlpatterns: list = [
    path("scorecards/", ScorecardListView.as_view(), name="api-scorecards"),
    path("facts/", FactIngestView.as_view(), name="api-facts"),
]


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
            selectors.contests_visible(scope=scope)
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
        contest = selectors.contest_get_or_404(scope=scope, contest_id=contest_id)
        as_of = selectors.latest_rolled_up_date() or timezone.localdate()
        standings = selectors.contest_standings_for(contest_standings(contest=contest, as_of=as_of), scope=scope)
        return Response(ContestStandingsSerializer(standings).data)


urlpatterns += [
    path("contests/", ContestListView.as_view(), name="api-contests"),
    path("contests/<int:contest_id>/", ContestDetailView.as_view(), name="api-contest"),
]


# -- rankings (pull) ---------------------------------------------------------------------------------

_RANKING_EXAMPLE = {
    "date": "2026-11-15",
    "period": "month",
    "group": "GZ01-urban",
    "results": [
        {"unit": "GZ0101", "total_score": "110.0000", "vetoed": False, "veto_reason": "", "rank": 1, "rank_of": 4,
         "movement": 2},
        {"unit": "GZ0102", "total_score": "100.0000", "vetoed": False, "veto_reason": "", "rank": 2, "rank_of": 4,
         "movement": -1},
        {"unit": "GZ0103", "total_score": "100.0000", "vetoed": False, "veto_reason": "", "rank": 2, "rank_of": 4,
         "movement": 0},
        {"unit": "GZ0104", "total_score": "0.0000", "vetoed": True, "veto_reason": "发生内控风险事件", "rank": 4,
         "rank_of": 4, "movement": 0},
    ],
}  # fmt: skip


def _ranked_set(scope: Scope, code: str):
    """A peer group with this code in scope, else a unit in scope whose outlets are ranked; 404 when neither."""
    group = selectors.peer_groups_visible(scope=scope).filter(code=code).first()
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
            "scorecards; outlets without a score come last with `rank` null. `movement` is the places gained "
            "since the previous day inside the same set (negative: places lost), null when the outlet is not "
            "ranked now or was not ranked then. A vetoed outlet scores 0 and says why. `results` is empty "
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
                ApiErrorsSerializer,
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
            404: OpenApiResponse(description="No such peer group or unit in your scope."),
        },
        tags=["rankings"],
    )
    def get(self, request: Request) -> Response:
        query = RankingQuerySerializer(data=request.query_params)
        if not query.is_valid():
            return Response({"errors": _errors(query.errors)}, status=status.HTTP_400_BAD_REQUEST)
        params = query.validated_data
        scope = scope_for_request(request)
        group, unit = _ranked_set(scope, params["group"])
        day = params.get("date") or selectors.latest_rolled_up_date()
        rows = (
            selectors.bulletin_rows(date=day, period=params["period"], group=group, unit=unit, scope=scope)
            if day
            else []
        )
        answer = {"date": day, "period": params["period"], "group": params["group"], "results": rows}
        return Response(RankingListSerializer(answer).data)


urlpatterns += [
    path("rankings/", RankingListView.as_view(), name="api-rankings"),
]
