"""The staff endpoints (pull): GET /api/v1/staff/ and /api/v1/staff/{code}/.

Not in staff/api.py, where the app's API would normally live: that module holds the token
authentication and permission classes named in REST_FRAMEWORK's defaults, which DRF imports while its
own views module is loading; a module that subclasses DRF's generic views cannot be imported then.
"""

from __future__ import annotations

import datetime

import django_filters
import django_filters.rest_framework
from django.db.models import Exists, OuterRef, Prefetch, QuerySet, prefetch_related_objects
from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics

from lib import converters  # noqa: F401  (registers the <code:…> route converter)
from lib.api import ApiErrorsSerializer, StableCursorPagination
from lib.api_filters import FilterBackend, StableOrderingFilter
from lib.periods import parse_date
from staff.access import Scope, get_staff_or_404, get_unit_or_404
from staff.api_scope import ScopedViewMixin
from staff.models import Assignment, Post, StaffMember
from staff.serializers import StaffMemberSerializer

_STAFF_EXAMPLE = {
    "code": "S1001",
    "name": "黄*",
    "name_masked": True,
    "assignments": [{"unit": "GZ0101", "post": "teller", "start": "2026-01-01", "end": None}],
}


def _assignments_shown(scope: Scope, day: datetime.date) -> QuerySet[Assignment]:
    """Assignments in force on `day` that the scope may see: at units in its subtree (so a staff member
    who also serves an outlet elsewhere does not give away that outlet's code), all of one's own for the
    staff role. The `unit`, `under` and `post` filters match these same assignments."""
    held = Assignment.objects.on(day)
    if scope.everything or (scope.staff_id is not None and not scope.unit_path):
        return held
    return held.filter(scope.unit_records())


def _assignments_prefetch(scope: Scope, day: datetime.date) -> Prefetch:
    shown = _assignments_shown(scope, day).select_related("unit", "post").order_by("start", "unit__code", "post__code")
    return Prefetch("assignments", queryset=shown, to_attr="assignments_shown")


def _assignment_day(request) -> datetime.date:
    """`date` (YYYY-MM-DD, default today): the day the assignments shown and filtered on are in force."""
    raw = request.query_params.get("date", "")
    if not raw:
        return timezone.localdate()
    try:
        return parse_date(raw)
    except ValueError as error:
        raise exceptions.ValidationError({"date": [f"{error}, e.g. 2026-11-24"]}) from None


def _post_or_400(code: str) -> Post:
    found = Post.objects.filter(code=code).first()
    if found is None:
        codes = ", ".join(Post.objects.values_list("code", flat=True))
        raise exceptions.ValidationError({"post": [f"“{code}” is not a post; use one of {codes}"]})
    return found


class StaffMemberFilter(django_filters.FilterSet):
    """`unit`, `under` and `post` must hold for one and the same assignment in force on `date`: a teller of
    GZ0101 who is a lobby manager at GZ0102 is not found by unit=GZ0101&post=lobby_manager."""

    unit = django_filters.CharFilter(
        method="filter_by_assignment", help_text="Assigned to this unit on `date`, by code (GZ0101)."
    )
    under = django_filters.CharFilter(
        method="filter_by_assignment",
        help_text="Assigned to a unit of this unit's subtree (the unit included) on `date`, by code (GZ01).",
    )
    post = django_filters.CharFilter(
        method="filter_by_assignment",
        help_text="Holding this post on `date`: outlet_head, retail_supervisor, wealth_manager, customer_manager, "
        "market_manager, lobby_manager, teller or service_specialist.",
    )
    date = django_filters.DateFilter(
        method="filter_by_assignment",
        help_text="The day the assignments are read on, YYYY-MM-DD (default today). Alone it does not narrow the "
        "list: it says which assignments are shown and which the other filters match.",
    )

    class Meta:
        model = StaffMember
        fields = ["unit", "under", "post", "date"]

    def filter_by_assignment(self, queryset, name, value):
        # Applied together in filter_queryset, as one condition on one assignment.
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        scope, wanted = self.request.scope, self.form.cleaned_data
        conditions = {}
        if wanted.get("unit"):
            conditions["unit"] = get_unit_or_404(scope, wanted["unit"])
        if wanted.get("under"):
            conditions["unit__path__startswith"] = get_unit_or_404(scope, wanted["under"]).path
        if wanted.get("post"):
            conditions["post"] = _post_or_400(wanted["post"])
        if not conditions:
            return queryset
        held = _assignments_shown(scope, self.request.assignment_day).filter(staff=OuterRef("pk"), **conditions)
        return queryset.filter(Exists(held))


class _StaffViewMixin(ScopedViewMixin):
    serializer_class = StaffMemberSerializer

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        request.assignment_day = _assignment_day(request)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema asks without a request
            return StaffMember.objects.none()
        # The staff of the day asked for: someone who left the subtree is listed on the days they were
        # there, not after (staff.access: staff follow the dates of their assignments).
        scope, day = self.request.scope, self.request.assignment_day
        return scope.staff(on=day).prefetch_related(_assignments_prefetch(scope, day))

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "scope": getattr(self.request, "scope", None)}


class StaffMemberListView(_StaffViewMixin, generics.ListAPIView):
    filterset_class = StaffMemberFilter
    filter_backends = [FilterBackend, StableOrderingFilter]
    # Only by code: ordering by name would tell a reader who sees masked names the order of the hidden ones.
    ordering_fields = ["code"]
    ordering = ["code"]
    pagination_class = StableCursorPagination

    @extend_schema(
        operation_id="staff_list",
        summary="The staff members in your scope",
        description=(
            "The staff members the token (or user) may see on `date` (default today): those assigned to a unit of "
            "its subtree that day (someone who moved away is listed for the days they were there, not after), "
            "everyone for HQ and auditors, or oneself for a staff login. Each comes with "
            "the assignments in force on `date` at units you may see: unit, post, first and "
            "last day (null while still there). Filter by `unit`, `under` (a subtree) and `post`, which must "
            "all hold for the same assignment on `date`. Names are personal data: masked (王芳 → 王*, "
            "`name_masked` true) unless the token has the `personal` scope or the user may read personal data. "
            "A page at a time (`cursor`, `page_size` up to 1000), ordered by code (`ordering=-code` reverses). "
            "A `unit` or `under` outside your scope answers 404, as an unknown code does; a bad `date` or an "
            "unknown `post` answers 400 naming the parameter."
        ),
        responses={
            200: OpenApiResponse(
                StaffMemberSerializer(many=True),
                examples=[OpenApiExample("A teller, name masked", _STAFF_EXAMPLE)],
            ),
            400: OpenApiResponse(
                ApiErrorsSerializer,
                description="A bad date or an unknown post.",
                examples=[
                    OpenApiExample(
                        "A bad date",
                        {
                            "errors": [
                                {
                                    "field": "date",
                                    "message": "'2026-13-01' is not a date as YYYY-MM-DD, e.g. 2026-11-24",
                                    "row": None,
                                }
                            ]
                        },
                    )
                ],
            ),
            404: OpenApiResponse(ApiErrorsSerializer, description="No such `unit` or `under` unit in your scope."),
        },
        tags=["staff"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class StaffMemberDetailView(_StaffViewMixin, generics.RetrieveAPIView):
    lookup_field = "code"

    def get_object(self) -> StaffMember:
        staff_member = get_staff_or_404(self.request.scope, self.kwargs["code"], on=self.request.assignment_day)
        prefetch_related_objects([staff_member], _assignments_prefetch(self.request.scope, self.request.assignment_day))
        return staff_member

    @extend_schema(
        operation_id="staff_retrieve",
        summary="One staff member",
        description=(
            "One staff member by code, as in the list, with the assignments in force on `date` (default today). "
            "Someone outside the token's (or user's) scope on `date` answers 404, as an unknown code does."
        ),
        parameters=[
            OpenApiParameter(
                "date", OpenApiTypes.DATE, description="The day the assignments are read on (default today)."
            )
        ],
        responses={
            200: OpenApiResponse(
                StaffMemberSerializer, examples=[OpenApiExample("A teller, name masked", _STAFF_EXAMPLE)]
            ),
            400: OpenApiResponse(ApiErrorsSerializer, description="A bad date."),
            404: OpenApiResponse(ApiErrorsSerializer, description="No such staff member in your scope."),
        },
        tags=["staff"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


urlpatterns = [
    path("staff/", StaffMemberListView.as_view(), name="api-staff-list"),
    path("staff/<code:code>/", StaffMemberDetailView.as_view(), name="api-staff-detail"),
]
