"""Facts: POST /api/v1/facts/ (push, all or nothing) and GET /api/v1/facts/."""

from __future__ import annotations

from functools import partial

import django_filters
import django_filters.rest_framework
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q
from django.urls import path
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from kpi.models import Fact, IngestBatch
from kpi.serializers import FactBatchResultSerializer, FactBatchSerializer
from kpi.services.facts import FACT_COLUMNS, facts_ingest
from lib.api import ApiErrorsSerializer, DepthLimitedJSONParser, StableCursorPagination, loads_json
from lib.api_fields import JsonNumber, json_loads
from lib.api_filters import FilterBackend, IdFilter
from lib.csvimport import CsvRow, ImportRejected
from staff.access import scope_for_request
from staff.api import HasTokenScope
from staff.api_scope import BAD_LIST_QUERY, ScopedFilterMethods, ScopedViewMixin
from staff.models import ApiToken

# -- facts (push) -----------------------------------------------------------------------------------

MAX_FACTS_PER_REQUEST = 50_000
# 50,000 facts take about 6 MB of JSON; a body far beyond that is refused before it is parsed.
MAX_BODY_BYTES = 32 * 1024 * 1024
# A batch that is wrong throughout would answer with one error per fact; the first ones say enough.
MAX_ERRORS = 1000

# No code, date or number holds a NUL byte, and PostgreSQL refuses one in a query (a 500).
NUL = "\x00"
NO_NUL = "must not contain a NUL character (\\u0000)"

_FACT_FIELDS = frozenset(column.name for column in FACT_COLUMNS.declared)
_BATCH_FIELDS = frozenset({"facts", "label"})


class CanIngestFacts(permissions.BasePermission):
    """A token passes here (HasTokenScope has checked its `ingest` scope); a logged-in user must be an HQ
    administrator."""

    message = "Only HQ administrators and tokens with the ingest scope may push facts."

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS or isinstance(request.auth, ApiToken):
            return True
        return scope_for_request(request).may_push_facts


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
    elif NUL in label:
        errors.append(_error(None, "label", NO_NUL))
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
                errors.append(
                    _error(
                        index,
                        name,
                        "unknown field (a fact has date, unit, staff, metric, value and optionally partner)",
                    )
                )
            elif value is None:
                values[name] = ""
            elif isinstance(value, str) and NUL in value:
                errors.append(_error(index, name, NO_NUL))
            elif isinstance(value, str) and not isinstance(value, JsonNumber):
                values[name] = value
            elif name == "value" and isinstance(value, (int, JsonNumber)) and not isinstance(value, bool):
                # A JSON number as written (1E3 stays 1E3): the one number grammar judges it in facts_ingest.
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
        return loads_json(raw, loads=partial(json_loads, strict_constants=False)), None
    except ValueError as error:
        return None, _rejected([_error(None, "", f"the body is not valid JSON ({error})")])


class FactOutSerializer(serializers.ModelSerializer):
    """A stored daily fact as it was last pushed."""

    unit = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="Outlet code.")
    staff = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="Staff member code; null for the outlet's own."
    )
    metric = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="Metric code.")
    batch = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True, help_text="The ingest batch.")
    partner = serializers.SerializerMethodField(
        help_text="分润: the staff code of the colleague who shares it, or null."
    )
    partner_share = serializers.SerializerMethodField(
        help_text="分润: the partner's share in percent (30.0000 means 30 %), or null; the staff member keeps the rest."
    )

    class Meta:
        model = Fact
        fields = ["id", "date", "unit", "staff", "metric", "value", "partner", "partner_share", "batch", "updated_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_partner(self, fact: Fact) -> str | None:
        split = _split_of(fact)
        return None if split is None else split.partner.code

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_partner_share(self, fact: Fact) -> str | None:
        split = _split_of(fact)
        return None if split is None else f"{split.share:.4f}"


def _split_of(fact: Fact):
    try:
        return fact.credit_split
    except ObjectDoesNotExist:
        return None


class FactFilter(ScopedFilterMethods, django_filters.FilterSet):
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte", help_text="First date, YYYY-MM-DD.")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", help_text="Last date, YYYY-MM-DD.")
    unit = django_filters.CharFilter(method="filter_unit", help_text="Facts of one outlet, by code.")
    under = django_filters.CharFilter(method="filter_under", help_text="Facts of every outlet under a unit, by code.")
    staff = django_filters.CharFilter(method="filter_staff", help_text="Facts of one staff member, by code.")
    holder = django_filters.ChoiceFilter(
        choices=[("unit", "unit"), ("staff", "staff")],
        method="filter_holder",
        help_text="unit: outlets' own facts only; staff: staff members' facts only. Default: both.",
    )
    metric = django_filters.CharFilter(field_name="metric__code", help_text="Metric code.")
    batch = IdFilter(method="filter_batch", help_text="Facts last written by this ingest batch (its id).")

    class Meta:
        model = Fact
        fields = ["date_from", "date_to", "unit", "under", "staff", "holder", "metric", "batch"]

    def filter_batch(self, queryset, name, value):
        # Within the batch's dates (Fact.objects.of_batch): batch_id has no index of its own.
        return queryset.of_batch(IngestBatch.objects.filter(pk=value).only("first_date", "last_date").first())

    def filter_holder(self, queryset, name, value):
        return queryset.filter(staff=None) if value == "unit" else queryset.exclude(staff=None)


class FactIngestView(ScopedViewMixin, generics.ListAPIView):
    serializer_class = FactOutSerializer
    filterset_class = FactFilter
    filter_backends = [FilterBackend]
    pagination_class = StableCursorPagination
    parser_classes = [DepthLimitedJSONParser]
    permission_classes = [permissions.IsAuthenticated, HasTokenScope, CanIngestFacts]
    required_scopes = {"POST": ApiToken.ScopeName.INGEST}

    @extend_schema(
        operation_id="facts_list",
        summary="Stored daily facts",
        description=(
            "The daily facts stored for the outlets and staff members in the token's (or user's) scope, filtered "
            "by date range, unit, subtree, staff member, metric or ingest batch, a page at a time (`cursor`, "
            "`page_size` up to 1000, in the order they were first stored). A unit or staff member outside the "
            "scope answers 404, as an unknown code does. Values are strings with 4 decimal places."
        ),
        responses={
            200: OpenApiResponse(
                FactOutSerializer(many=True),
                examples=[
                    OpenApiExample(
                        "A teller's sign-ups",
                        {
                            "id": 9001,
                            "date": "2026-11-24",
                            "unit": "GZ0101",
                            "staff": "S1001",
                            "metric": "mobile_banking_signups",
                            "value": "3.0000",
                            "partner": None,
                            "partner_share": None,
                            "batch": 42,
                            "updated_at": "2026-11-25T01:12:09.125000+08:00",
                        },
                    )
                ],
            ),
            400: BAD_LIST_QUERY,
            404: OpenApiResponse(ApiErrorsSerializer, description="No such unit or staff member in your scope."),
        },
        tags=["facts"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema asks without a request
            return Fact.objects.none()
        scope = self.request.scope
        visible = scope.unit_records()
        if scope.staff_id is not None:
            visible |= Q(staff_id=scope.staff_id)
        return Fact.objects.filter(visible).select_related("unit", "staff", "metric", "credit_split__partner")

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
            "be an HQ administrator. A staff fact of a flow may name a `partner` (分润): the colleague's share "
            "comes from HQ's standing rule for the two people's posts, and a pair no rule covers is refused. "
            "The rollup is queued when the batch has been written."
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
            415: OpenApiResponse(ApiErrorsSerializer, description="The body is not sent as application/json."),
            413: OpenApiResponse(ApiErrorsSerializer, description="The body is larger than 32 MB."),
            400: OpenApiResponse(
                ApiErrorsSerializer,
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


urlpatterns = [
    path("facts/", FactIngestView.as_view(), name="api-facts"),
]
