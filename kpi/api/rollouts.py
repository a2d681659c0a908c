"""Transformation rollouts (网点转型):

    GET  /api/v1/rollouts/                               rollouts in scope with readiness and items
    POST /api/v1/rollouts/{outlet}/items/{id}/           mark a practice done (with evidence) or not

Writes through kpi.services.rollout (who: Scope.may_run_rollout): people only.
"""

from __future__ import annotations

from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from kpi.models import RolloutProject
from kpi.selectors.rollout import readiness, rollout_get_or_404, rollouts_visible
from kpi.services.rollout import rollout_item_mark
from lib.api import ApiErrorsSerializer, DepthLimitedJSONParser, StrictFieldsMixin
from staff.api_scope import ScopedViewMixin, refuse_tokens

TAGS = ["rollouts"]


class RolloutItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    weight = serializers.DecimalField(max_digits=6, decimal_places=2, read_only=True)
    done_on = serializers.DateField(read_only=True, allow_null=True)
    evidence = serializers.CharField(read_only=True)


class RolloutSerializer(serializers.Serializer):
    outlet = serializers.CharField(source="outlet.code", read_only=True, help_text="The outlet transformed.")
    benchmark = serializers.CharField(source="benchmark.code", read_only=True, help_text="The benchmark it copies.")
    stage = serializers.CharField(read_only=True, help_text="introduce (导入), consolidate (固化), accept (验收).")
    coach = serializers.CharField(source="coach.code", read_only=True, allow_null=True, default=None)
    started_on = serializers.DateField(read_only=True)
    accepted_on = serializers.DateField(read_only=True, allow_null=True)
    readiness = serializers.SerializerMethodField(help_text="Σ weights of done items / Σ weights, a fraction.")
    items = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_readiness(self, project: RolloutProject) -> str | None:
        value = readiness(project.items.all())
        return None if value is None else f"{value:f}"

    @extend_schema_field(RolloutItemSerializer(many=True))
    def get_items(self, project: RolloutProject) -> list[dict]:
        return RolloutItemSerializer(project.items.all(), many=True).data


class RolloutItemMarkSerializer(StrictFieldsMixin, serializers.Serializer):
    done = serializers.BooleanField(help_text="Done (with evidence) or not done.")
    evidence = serializers.CharField(max_length=500, required=False, allow_blank=True)


class RolloutListView(ScopedViewMixin, APIView):
    """The transformation rollouts of the outlets in the reader's scope, each with its readiness and items."""

    @extend_schema(
        operation_id="rollouts_list",
        summary="Transformation rollouts in scope",
        responses={200: RolloutSerializer(many=True)},
        tags=TAGS,
    )
    def get(self, request):
        projects = rollouts_visible(scope=request.scope).prefetch_related("items").order_by("outlet__code")
        return Response(RolloutSerializer(projects, many=True).data)


class RolloutItemView(ScopedViewMixin, APIView):
    """Mark a practice of an outlet's rollout done (with its evidence) or not done."""

    parser_classes = [DepthLimitedJSONParser]

    @extend_schema(
        operation_id="rollouts_item_mark",
        summary="Mark a rollout practice",
        request=RolloutItemMarkSerializer,
        responses={
            200: RolloutSerializer,
            400: OpenApiResponse(ApiErrorsSerializer),
            403: OpenApiResponse(ApiErrorsSerializer),
            404: OpenApiResponse(ApiErrorsSerializer),
        },
        tags=TAGS,
    )
    def post(self, request, code: str, item_id: int):
        refuse_tokens(request, "a rollout is run by people: sign in (tokens read)")
        # The body first: a body the parser refuses is a 400 whatever the path names.
        incoming = RolloutItemMarkSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        project = rollout_get_or_404(scope=request.scope, code=code)
        item = project.items.filter(pk=item_id).first()
        if item is None:
            raise NotFound("No such practice in this rollout.")
        rollout_item_mark(
            scope=request.scope,
            user=request.user,
            item=item,
            done=data["done"],
            evidence=data.get("evidence", ""),
            day=timezone.localdate(),
        )
        project = (
            RolloutProject.objects.prefetch_related("items")
            .select_related("outlet", "benchmark", "coach")
            .get(pk=project.pk)
        )
        return Response(RolloutSerializer(project).data)


urlpatterns = [
    path("rollouts/", RolloutListView.as_view(), name="rollout-list"),
    path("rollouts/<code:code>/items/<int:item_id>/", RolloutItemView.as_view(), name="rollout-item"),
]
