"""Rollups: POST /api/v1/rollups/ queues the rollup of a business day (202 and the run's id); GET
/api/v1/rollups/{id}/ tells its state and progress; GET /api/v1/rollups/ lists recent runs."""

from __future__ import annotations

import logging

import django_filters
import django_filters.rest_framework
from django.db import transaction
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from kombu.exceptions import KombuError
from rest_framework import generics, permissions, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from kpi.models import Fact, MonthClose, RollupRun
from kpi.services.rollup import rollup_first_date
from kpi.tasks import rollup_run
from lib.api import ApiErrorsSerializer, StableCursorPagination, StrictFieldsMixin, api_error, errors_response
from lib.api_fields import DateField
from lib.api_filters import FilterBackend
from staff.access import scope_for_request
from staff.api import HasTokenScope

logger = logging.getLogger(__name__)

# A broker that does not answer is not waited for: two quick tries, then 503 (not an HTML 500 after 19 s).
QUEUE_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
NOT_QUEUED = (
    "the rollup could not be queued: the task queue (broker) is not reachable; nothing was started, try again "
    "in a minute"
)

_RUN_EXAMPLE = {
    "id": 1207,
    "date": "2026-11-24",
    "status": "running",
    "progress": 60,
    "message": "2026-11-24: writing",
    "created_at": "2026-11-25T06:00:02+08:00",
    "started_at": "2026-11-25T06:00:03+08:00",
    "finished_at": None,
    "scorecards": 0,
    "lines": 0,
    "facts_loaded_at": None,
}


class RollupRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = RollupRun
        fields = [
            "id",
            "date",
            "status",
            "progress",
            "message",
            "created_at",
            "started_at",
            "finished_at",
            "scorecards",
            "lines",
            "facts_loaded_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "status": {
                "help_text": "queued → running → published (its figures are the day's), or failed (the previous "
                "figures stay published; `message` says why), or skipped (the month is closed). A published run "
                "becomes superseded when the day is rolled up again."
            },
            "progress": {"help_text": "Percent done, 0–100."},
            "message": {"help_text": "What it is doing now, or why it failed."},
            "facts_loaded_at": {"help_text": "When the latest fact it used arrived."},
        }


class RollupRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    date = DateField(help_text="The business day to roll up, YYYY-MM-DD: from the first fact's day to yesterday.")

    def validate_date(self, value):
        if value >= timezone.localdate():
            raise ValidationError(f"{value} has not ended yet; a business day is rolled up once it is over")
        first = rollup_first_date()
        if value < first:
            raise ValidationError(f"{value} is before {first}, the first business day the rollup computes")
        if MonthClose.objects.closed(value).exists():
            raise ValidationError(f"month {value:%Y-%m} is closed (月结); reopen it in the admin to roll it up again")
        # Before the first fact there is nothing to roll up, and a run there (0001-01-01) would only
        # publish empty days the chain of running totals then starts from.
        first = Fact.objects.order_by("date").values_list("date", flat=True).first()
        if first is None or value < first:
            since = f"the first fact is of {first}" if first else "no fact has been received yet"
            raise ValidationError(f"{value} is before the facts begin ({since}); there is nothing to roll up")
        return value


class CanStartRollups(permissions.BasePermission):
    """Reading needs the read scope; starting a rollup a signed-in HQ administrator or a token of the
    head office with the admin scope (HasTokenScope asks the scope, Scope.may_start_rollup the unit): a
    rollup recomputes the whole network, so a token of a branch or an outlet may not start one. Rollup
    runs are network-wide facts about the system, visible to every reader."""

    message = (
        "Only HQ administrators and head-office tokens with the admin scope may start a rollup: it recomputes "
        "the whole network."
    )

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return scope_for_request(request).may_start_rollup


class RollupFilter(django_filters.FilterSet):
    date = django_filters.DateFilter(help_text="Runs of one business day.")
    status = django_filters.ChoiceFilter(choices=RollupRun.Status.choices)

    class Meta:
        model = RollupRun
        fields = ["date", "status"]


class NewestFirst(StableCursorPagination):
    ordering = ("-pk",)


class RollupListView(generics.ListAPIView):
    serializer_class = RollupRunSerializer
    permission_classes = [permissions.IsAuthenticated, HasTokenScope, CanStartRollups]
    filterset_class = RollupFilter
    filter_backends = [FilterBackend]
    pagination_class = NewestFirst
    queryset = RollupRun.objects.all()

    @extend_schema(
        operation_id="rollups_list",
        summary="Rollup runs, newest first",
        description="Every computation of a business day with its state, newest first, a page at a time.",
        responses={
            200: OpenApiResponse(RollupRunSerializer(many=True), examples=[OpenApiExample("A run", _RUN_EXAMPLE)]),
            400: OpenApiResponse(ApiErrorsSerializer, description="A filter, the cursor or the page size is wrong."),
        },
        tags=["rollups"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="rollups_create",
        summary="Roll up a business day",
        description=(
            "Queues the computation of a business day's scorecards (for instance after a late correction of "
            "facts) and answers at once with 202 and the run, whose `id` GET /api/v1/rollups/{id}/ follows. The "
            "day's current figures stay published until the run publishes its own; if it fails they stay. The day "
            "must be over, and its month not closed. Needs a token with the `admin` scope or a signed-in HQ "
            "administrator. Later days are not recomputed by this call; the nightly rollup does that for every day "
            "marked stale."
        ),
        request=RollupRequestSerializer,
        examples=[OpenApiExample("A day", {"date": "2026-11-24"}, request_only=True)],
        responses={
            202: OpenApiResponse(
                RollupRunSerializer,
                examples=[OpenApiExample("Queued", {**_RUN_EXAMPLE, "status": "queued", "progress": 0})],
            ),
            400: OpenApiResponse(
                ApiErrorsSerializer,
                description="No date, a malformed date, a day not over yet or before the first fact, a closed month.",
                examples=[
                    OpenApiExample(
                        "Not over yet",
                        {
                            "errors": [
                                {
                                    "field": "date",
                                    "message": "2026-11-25 has not ended yet; a business day is rolled up once it is "
                                    "over",
                                    "row": None,
                                }
                            ]
                        },
                    )
                ],
            ),
            403: OpenApiResponse(ApiErrorsSerializer, description="The token lacks the admin scope."),
            503: OpenApiResponse(
                ApiErrorsSerializer,
                description="The task queue is not reachable: nothing was started (the run is recorded as failed, "
                "saying so); try again later (Retry-After).",
            ),
        },
        tags=["rollups"],
    )
    def post(self, request, *args, **kwargs):
        incoming = RollupRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        with transaction.atomic():
            run = RollupRun.objects.create(date=incoming.validated_data["date"], status=RollupRun.Status.QUEUED)
        # Queued once the run row is committed (the block above, in an autocommit request), so the worker
        # always finds it; at once rather than on commit, so that a broker that is down is answered here.
        try:
            rollup_run.apply_async((run.pk,), retry_policy=QUEUE_RETRY_POLICY)
        except (KombuError, OSError) as exc:  # Celery raises kombu's OperationalError for a broker that is down
            logger.error("rollup run %s could not be queued: %s: %s", run.pk, type(exc).__name__, exc)
            # No run left "queued" for ever: it says why it never ran.
            RollupRun.objects.filter(pk=run.pk, status=RollupRun.Status.QUEUED).update(
                status=RollupRun.Status.FAILED, finished_at=timezone.now(), message=NOT_QUEUED[:300]
            )
            return errors_response(
                [api_error(NOT_QUEUED)], status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "60"}
            )
        return Response(RollupRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class RollupDetailView(generics.RetrieveAPIView):
    serializer_class = RollupRunSerializer
    permission_classes = [permissions.IsAuthenticated, HasTokenScope]
    queryset = RollupRun.objects.all()

    @extend_schema(
        operation_id="rollups_retrieve",
        summary="A rollup run's state and progress",
        description="Poll this after POST /api/v1/rollups/ until `status` is published, failed or skipped.",
        responses={
            200: OpenApiResponse(RollupRunSerializer, examples=[OpenApiExample("Running", _RUN_EXAMPLE)]),
            404: OpenApiResponse(ApiErrorsSerializer, description="No such run."),
        },
        tags=["rollups"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


urlpatterns = [
    path("rollups/", RollupListView.as_view(), name="api-rollups"),
    path("rollups/<int:pk>/", RollupDetailView.as_view(), name="api-rollup"),
]
