"""Targets: GET /api/v1/targets/ (and one), POST to create one, PUT /api/v1/targets/{id}/ to change its value.

Writes go through kpi.services.targets.target_set, as the admin's do: the same checks, a TargetChange
audit row (who: the signed-in user, or the token's name), and the rollup marked stale from the period's
start.
"""

from __future__ import annotations

import django_filters
import django_filters.rest_framework
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.urls import path
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics, permissions, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from kpi.models import Metric, Target
from kpi.services.targets import not_in_subtree_message, target_set
from lib.api import ApiErrorsSerializer, StableCursorPagination, StrictFieldsMixin
from lib.api_fields import NumberField, NumbersAsWrittenJSONParser, PeriodField, PeriodFilter
from lib.api_filters import FilterBackend
from lib.periods import PERIOD_KINDS
from staff.access import get_unit_or_404, scope_for_request
from staff.api import HasTokenScope
from staff.api_scope import BAD_LIST_QUERY, ScopedFilterMethods, ScopedViewMixin
from staff.models import ApiToken

_TARGET_EXAMPLE = {
    "id": 311,
    "unit": "GZ0101",
    "staff": None,
    "metric": "mobile_banking_signups",
    "period": "2026-11",
    "period_kind": "month",
    "period_start": "2026-11-01",
    "period_end": "2026-11-30",
    "value": "500.0000",
    "split_from": None,
    "updated_at": "2026-11-02T09:15:00+08:00",
}


class TargetSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="Org unit code; null for a staff target."
    )
    staff = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="Staff member code; null for a unit target."
    )
    metric = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="Metric code.")
    period_kind = serializers.ChoiceField(choices=[kind.value for kind in PERIOD_KINDS], read_only=True)
    split_from = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The target this one was decomposed from (指标分解), if any."
    )

    class Meta:
        model = Target
        fields = [
            "id",
            "unit",
            "staff",
            "metric",
            "period",
            "period_kind",
            "period_start",
            "period_end",
            "value",
            "split_from",
            "updated_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "period": {"help_text": "Period code: 2026, 2026-Q4, 2026-11, 2026-W48 or 2026-11-24."},
            "value": {"help_text": "For cumulative metrics the amount to reach by period end; otherwise a level."},
        }


class TargetWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    """A target to set: for a unit or a staff member (one of them), a metric, a period and a value."""

    unit = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, help_text="Org unit code (or give staff)."
    )
    staff = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, help_text="Staff member code (or give unit)."
    )
    metric = serializers.CharField(help_text="Metric code.")
    period = PeriodField(help_text="2026, 2026-Q4, 2026-11, 2026-W48 or 2026-11-24.")
    value = NumberField(
        max_digits=20,
        decimal_places=4,
        help_text='0 or more, at most 4 decimals, best as a string: "500" or "1,234.5" (no exponent such as 1E3).',
    )

    def validate(self, attrs: dict) -> dict:
        scope = self.context["scope"]
        errors: dict[str, str] = {}
        unit_code, staff_code = attrs.get("unit") or "", attrs.get("staff") or ""
        attrs["unit"] = attrs["staff"] = None
        if not unit_code and not staff_code:
            errors["unit"] = "a target is for a unit or a staff member; give unit or staff"
        if unit_code:
            attrs["unit"] = scope.units().filter(code=unit_code).first()
            if attrs["unit"] is None:
                errors["unit"] = f"unit '{unit_code}' is not known"
        if staff_code:
            # Only someone assigned inside the writer's subtree during the period (staff.access): the
            # old outlet of a teller who left sets no target of hers for a period after she left.
            period = attrs["period"]
            attrs["staff"] = scope.staff(during=(period.start, period.end)).filter(code=staff_code).first()
            if attrs["staff"] is None and scope.staff().filter(code=staff_code).exists():
                errors["staff"] = not_in_subtree_message(staff_code, period)
            elif attrs["staff"] is None:
                errors["staff"] = f"staff member '{staff_code}' is not known"
        attrs["metric"] = Metric.objects.filter(code=attrs["metric"]).first() or attrs["metric"]
        if not isinstance(attrs["metric"], Metric):
            errors["metric"] = f"metric '{attrs['metric']}' is not in the catalog"
        if errors:
            raise ValidationError(errors)
        return attrs


class TargetFilter(ScopedFilterMethods, django_filters.FilterSet):
    unit = django_filters.CharFilter(method="filter_unit", help_text="Targets of one org unit, by code.")
    under = django_filters.CharFilter(
        method="filter_under", help_text="Targets of every unit in a subtree and of the staff assigned there."
    )
    staff = django_filters.CharFilter(method="filter_staff", help_text="Targets of one staff member, by code.")
    metric = django_filters.CharFilter(field_name="metric__code", help_text="Metric code.")
    period = PeriodFilter(method="filter_period", help_text="Period code, e.g. 2026-11.")
    period_kind = django_filters.ChoiceFilter(choices=[(kind.value, kind.value) for kind in PERIOD_KINDS])
    active_on = django_filters.DateFilter(method="filter_active_on", help_text="Targets whose period contains a day.")

    class Meta:
        model = Target
        fields = ["unit", "under", "staff", "metric", "period", "period_kind", "active_on"]

    def filter_under(self, queryset, name, value):
        top = get_unit_or_404(self.request.scope, value)
        staff_there = self.request.scope.within(top).staff_records(span=("period_start", "period_end"))
        return queryset.filter(Q(unit__path__startswith=top.path) | staff_there)

    def filter_period(self, queryset, name, value):
        return queryset.filter(period=value.code)

    def filter_active_on(self, queryset, name, value):
        return queryset.filter(period_start__lte=value, period_end__gte=value)


class CanWriteTargets(permissions.BasePermission):
    """Reading needs the read scope (HasTokenScope). Writing: a token with the admin scope (inside its
    subtree), or an HQ administrator signed in (DOMAIN.md §7: HQ sets targets)."""

    message = "Only HQ administrators and tokens with the admin scope may set targets."

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS or isinstance(request.auth, ApiToken):
            return True
        return scope_for_request(request).may_set_targets


class _TargetViewMixin(ScopedViewMixin):
    serializer_class = TargetSerializer
    permission_classes = [permissions.IsAuthenticated, HasTokenScope, CanWriteTargets]
    # The value's number as written, so that 1E3 is refused as the CSV import refuses it (NumberField).
    parser_classes = [NumbersAsWrittenJSONParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema asks without a request
            return Target.objects.none()
        scope = self.request.scope
        return (
            # A staff target is read where its holder worked during its period (staff.access).
            Target.objects.filter(scope.holder_records(span=("period_start", "period_end")))
            .select_related("unit", "staff", "metric")
            .order_by("pk")
        )

    def _write(self, request, *, existing: Target | None) -> Response:
        incoming = TargetWriteSerializer(data=request.data, context={"scope": request.scope})
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        if existing is not None:
            same = (
                data["unit"] == existing.unit
                and data["staff"] == existing.staff
                and data["metric"] == existing.metric
                and data["period"].code == existing.period
            )
            if not same:
                message = "a target's unit, staff member, metric and period cannot change; POST a new target instead"
                raise ValidationError({"": [message]})
        token = request.auth if isinstance(request.auth, ApiToken) else None
        try:
            target, created = target_set(
                metric=data["metric"],
                period=data["period"],
                value=data["value"],
                unit=data["unit"],
                staff=data["staff"],
                changed_by=None if token else request.user,
                source="api",
                token_name=token.name if token else "",
                scope=request.scope,
            )
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        answer = TargetSerializer(target).data
        return Response(answer, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


_WRITE_RESPONSES = {
    400: OpenApiResponse(
        ApiErrorsSerializer,
        description="Malformed JSON, an unknown field, an unknown code, a bad period or value.",
        examples=[
            OpenApiExample(
                "A metric measured per staff member only",
                {
                    "errors": [
                        {
                            "field": "metric",
                            "message": "metric 'mobile_banking_signups' is measured per staff member only; give a "
                            "staff code",
                            "row": None,
                        }
                    ]
                },
            )
        ],
    ),
    403: OpenApiResponse(ApiErrorsSerializer, description="The token lacks the admin scope, or the user is not HQ."),
}
_WRITE_EXAMPLE = OpenApiExample(
    "An outlet's month",
    {"unit": "GZ0101", "metric": "deposit_balance", "period": "2026-12", "value": "52000"},
    request_only=True,
)


class TargetListView(_TargetViewMixin, generics.ListAPIView):
    filterset_class = TargetFilter
    filter_backends = [FilterBackend]
    pagination_class = StableCursorPagination

    @extend_schema(
        operation_id="targets_list",
        summary="Targets in scope",
        description=(
            "The targets of the units and staff members in the token's (or user's) scope, filtered by unit, "
            "subtree, staff member, metric, period or a day their period contains, a page at a time (`cursor`, "
            "`page_size` up to 1000). A unit or staff member outside the scope answers 404."
        ),
        responses={
            200: OpenApiResponse(TargetSerializer(many=True), examples=[OpenApiExample("A target", _TARGET_EXAMPLE)]),
            400: BAD_LIST_QUERY,
            404: OpenApiResponse(ApiErrorsSerializer, description="No such unit or staff member in your scope."),
        },
        tags=["targets"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="targets_create",
        summary="Set a target",
        description=(
            "Sets the target of a unit or a staff member for a metric and a period, with the checks of the admin: "
            "the metric's level must fit (a staff target needs a metric measured per staff member), the value is 0 "
            "or more with at most 4 decimals, a staff target that also names a unit needs the staff member assigned "
            "there during the period. Answers 201 with the new target, or 200 when a target for the same unit or "
            "staff member, metric and period existed and its value was replaced. Every new or changed value is "
            "audited (who, when, old → new) and the scorecards from the period's start are recomputed by the next "
            "rollup. Needs a token with the `admin` scope (for its own subtree) or a signed-in HQ administrator."
        ),
        request=TargetWriteSerializer,
        examples=[_WRITE_EXAMPLE],
        responses={
            201: OpenApiResponse(TargetSerializer, examples=[OpenApiExample("Created", _TARGET_EXAMPLE)]),
            200: OpenApiResponse(TargetSerializer, description="The target existed; its value was replaced."),
            **_WRITE_RESPONSES,
        },
        tags=["targets"],
    )
    def post(self, request, *args, **kwargs):
        return self._write(request, existing=None)


class TargetDetailView(_TargetViewMixin, generics.RetrieveAPIView):
    @extend_schema(
        operation_id="targets_retrieve",
        summary="One target",
        description="A target by id; 404 when it is not in the token's (or user's) scope.",
        responses={
            200: OpenApiResponse(TargetSerializer, examples=[OpenApiExample("A target", _TARGET_EXAMPLE)]),
            404: OpenApiResponse(ApiErrorsSerializer, description="No such target in your scope."),
        },
        tags=["targets"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="targets_update",
        summary="Change a target's value",
        description=(
            "Replaces the value of this target. The body is the target as for POST: its unit or staff member, "
            "metric and period must be the target's own (they cannot change); the same checks and audit apply. "
            "Writing the same value again changes nothing and leaves no audit row."
        ),
        request=TargetWriteSerializer,
        examples=[_WRITE_EXAMPLE],
        responses={200: TargetSerializer, 404: OpenApiResponse(ApiErrorsSerializer), **_WRITE_RESPONSES},
        tags=["targets"],
    )
    def put(self, request, *args, **kwargs):
        return self._write(request, existing=self.get_object())


urlpatterns = [
    path("targets/", TargetListView.as_view(), name="api-targets"),
    path("targets/<int:pk>/", TargetDetailView.as_view(), name="api-target"),
]
