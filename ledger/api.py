"""The points ledger over the REST API (issue 16):

    GET  /api/v1/ledger-items/              what may be recorded, how many points, by whom
    GET  /api/v1/ledger-entries/            entries in scope (filters unit, under, staff, status, item, metric,
                                            since, until)
    POST /api/v1/ledger-entries/            record an entry (a signed-in person: their own, or a deduction)
    POST /api/v1/ledger-entries/decide/     approve, reject or withdraw entries in one batch
    POST /api/v1/ledger-entries/{entry_id}/withdraw/
                                            withdraw (撤回) one's own entry while it waits for approval

Reads need the read scope. Entries are recorded by people (a signed-in user, with the page's rules): a
token cannot speak for a staff member. Deciding needs a signed-in user who may approve for each entry's
outlet (staff.access.Scope.may_approve_ledger) or a token with the admin scope in its subtree. An entry
is withdrawn by the signed-in person who recorded it (ledger.services.entry_withdraw). Every
write goes through ledger.services, as the pages' do: the same checks and words, nothing written on any
error. Names and customer numbers are masked unless the reader may read personal data.
"""

from __future__ import annotations

import django_filters
import django_filters.rest_framework
from django.db.models import Q
from django.urls import path
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from ledger.models import EntryStatus, ItemKind, LedgerEntry, LedgerItem
from ledger.selectors import entries_visible, get_entry_or_404, with_details
from ledger.serializers import (
    DecidedSerializer,
    EntriesDecideSerializer,
    EntryCreateSerializer,
    EntryWithdrawSerializer,
    LedgerEntrySerializer,
    LedgerItemSerializer,
)
from ledger.services import entries_decide, entry_create, entry_withdraw
from lib.api import ApiErrorsSerializer, DepthLimitedJSONParser
from staff.access import get_staff_or_404
from staff.api_scope import BAD_LIST_QUERY, ScopedFilterMethods, ScopedListView, ScopedViewMixin
from staff.models import ApiToken, Assignment, StaffMember

TAGS = ["points ledger"]
_ENTRY_EXAMPLE = {
    "id": 41,
    "item": "credit_card",
    "metric": "ledger_points",
    "staff": "S1001",
    "staff_name": "黄*娟",
    "unit": "GZ0101",
    "day": "2026-12-02",
    "quantity": 2,
    "points": "5.0000",
    "own_points": "5.0000",
    "partner": None,
    "partner_name": "",
    "partner_share": None,
    "partner_points": "0.0000",
    "customer_code": "****1024",
    "note": "柜面推荐办卡",
    "has_photo": False,
    "status": "approved",
    "entered_at": "2026-12-02T16:40:00+08:00",
    "decided_by": "林*燕",
    "decided_at": "2026-12-03T08:10:00+08:00",
    "rejection_reason": "",
    "fact": 90211,
    "partner_fact": None,
    "batch": 812,
}
_BAD = OpenApiResponse(
    ApiErrorsSerializer,
    description="An unknown field or code, a day other than today or yesterday, a closed month, the daily cap, a "
    "missing customer number, photo or reason, a partner without a split rule: every problem, by field.",
    examples=[
        OpenApiExample(
            "A closed month",
            {
                "errors": [
                    {
                        "field": "day",
                        "message": "2026-11 is closed (月结): its points are frozen, so nothing of 2026-11-30 may be "
                        "recorded, approved or withdrawn; HQ reopens the month to correct it.",
                        "row": None,
                    }
                ]
            },
        )
    ],
)


class LedgerItemListView(ScopedListView):
    model = LedgerItem
    serializer_class = LedgerItemSerializer
    filter_backends = []

    def scoped_queryset(self, scope):
        items = LedgerItem.objects.select_related("metric").prefetch_related("posts").order_by("pk")
        kind = self.request.query_params.get("kind")
        if kind:
            if kind not in ItemKind.values:
                raise ValidationError({"kind": [f"'{kind}' is not a kind; one of {', '.join(ItemKind.values)}"]})
            items = items.filter(kind=kind)
        return items.filter(is_active=True)

    @extend_schema(
        operation_id="ledger_items_list",
        summary="Ledger items",
        description="The active items of the points ledger (台账): what may be recorded, the points a unit counts "
        "(a deduction's below 0), the metric they count toward, who may record it and what it needs.",
        parameters=[OpenApiParameter("kind", str, enum=ItemKind.values, description="reward or deduction.")],
        responses={200: LedgerItemSerializer(many=True), 400: OpenApiResponse(ApiErrorsSerializer)},
        tags=TAGS,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class EntryFilter(ScopedFilterMethods, django_filters.FilterSet):
    unit = django_filters.CharFilter(method="filter_unit", help_text="Entries of one outlet, by code.")
    under = django_filters.CharFilter(method="filter_under", help_text="Entries of the outlets of a subtree.")
    staff = django_filters.CharFilter(
        method="filter_staff", help_text="A staff member's entries: their own and those they share as partner."
    )
    status = django_filters.ChoiceFilter(choices=EntryStatus.choices)
    item = django_filters.CharFilter(field_name="item__code", help_text="Ledger item code.")
    metric = django_filters.CharFilter(field_name="item__metric__code", help_text="Metric code.")
    since = django_filters.DateFilter(field_name="day", lookup_expr="gte", help_text="From this day on.")
    until = django_filters.DateFilter(field_name="day", lookup_expr="lte", help_text="Up to this day.")

    class Meta:
        model = LedgerEntry
        fields = ["unit", "under", "staff", "status", "item", "metric", "since", "until"]

    def filter_staff(self, queryset, name, value):
        member = get_staff_or_404(self.request.scope, value)
        return queryset.filter(Q(staff=member) | Q(partner=member))


def _colleagues(user, partner: StaffMember) -> bool:
    """Whether `partner` has ever been assigned to an outlet the user's own staff record has: whom the
    user may name as a partner (the service then checks the entry's outlet and day)."""
    own = StaffMember.objects.filter(user=user).values("pk")
    units = Assignment.objects.filter(staff__in=own).values("unit_id")
    return Assignment.objects.filter(staff=partner, unit_id__in=units).exists()


def _token(request) -> ApiToken | None:
    return request.auth if isinstance(request.auth, ApiToken) else None


class LedgerEntryListView(ScopedListView):
    model = LedgerEntry
    serializer_class = LedgerEntrySerializer
    filterset_class = EntryFilter
    parser_classes = [DepthLimitedJSONParser, MultiPartParser]

    def scoped_queryset(self, scope):
        return with_details(entries_visible(scope)).order_by("pk")

    @extend_schema(
        operation_id="ledger_entries_list",
        summary="Ledger entries in scope",
        description="Entries of the outlets of the token's (or user's) subtree; a staff member's own and those "
        "they share. Filter by outlet, subtree, staff member, status, item, metric or days; a page at a time.",
        responses={
            200: OpenApiResponse(
                LedgerEntrySerializer(many=True), examples=[OpenApiExample("An approved entry", _ENTRY_EXAMPLE)]
            ),
            400: BAD_LIST_QUERY,
            404: OpenApiResponse(ApiErrorsSerializer, description="No such unit or staff member in your scope."),
        },
        tags=TAGS,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="ledger_entries_create",
        summary="Record an entry",
        description=(
            "Records so many units of an item for today or yesterday, as the ledger page does: your own entry "
            "(a signed-in staff member), or a deduction against `staff` (an outlet head or unit manager, with the "
            "reason in `note`). A photo is sent as multipart form data. An item that needs no approval counts at "
            "once. Tokens may not record entries (403): a staff member records their own work."
        ),
        request={"application/json": EntryCreateSerializer, "multipart/form-data": EntryCreateSerializer},
        examples=[
            OpenApiExample(
                "Two cards",
                {"item": "credit_card", "day": "2026-12-02", "quantity": 2, "customer_code": "C0001024"},
                request_only=True,
            )
        ],
        responses={
            201: LedgerEntrySerializer,
            400: _BAD,
            403: OpenApiResponse(ApiErrorsSerializer, description="A token, or a deduction by someone who may not."),
        },
        tags=TAGS,
    )
    def post(self, request, *args, **kwargs):
        if _token(request) is not None:
            raise PermissionDenied("entries are recorded by people: sign in as the staff member (tokens may not)")
        incoming = EntryCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        item = LedgerItem.objects.filter(code=data["item"]).select_related("metric").first()
        people = {
            member.code: member
            for member in StaffMember.objects.filter(code__in=[data.get("staff") or "", data.get("partner") or ""])
        }
        errors = {}
        if item is None:
            errors["item"] = [f"ledger item '{data['item']}' is not known"]
        staff = people.get(data.get("staff") or "")
        if data.get("staff") and (staff is None or not request.scope.can_see_staff(staff)):
            errors["staff"] = [f"staff member '{data['staff']}' is not known"]
        partner = people.get(data.get("partner") or "")
        if partner is not None and not _colleagues(request.user, partner):
            partner = None  # someone of another outlet: not known here, as to the page's list of colleagues
        if data.get("partner") and partner is None:
            errors["partner"] = [f"staff member '{data['partner']}' is not known"]
        if errors:
            raise ValidationError(errors)
        entry = entry_create(
            scope=request.scope,
            user=request.user,
            item=item,
            day=data["day"],
            quantity=data["quantity"],
            staff=staff,
            customer_code=data.get("customer_code", ""),
            partner=partner,
            note=data.get("note", ""),
            photo=data.get("photo"),
        )
        entry = with_details(LedgerEntry.objects.filter(pk=entry.pk)).get()
        return Response(
            LedgerEntrySerializer(entry, context={"scope": request.scope}).data, status=status.HTTP_201_CREATED
        )


class LedgerEntriesDecideView(ScopedViewMixin, APIView):
    @extend_schema(
        operation_id="ledger_entries_decide",
        summary="Approve, reject or withdraw entries",
        description=(
            "One batch, all or nothing, as the approval page: `approve` pending entries (their points become the "
            "staff members' facts, source `ledger`, and the scorecards follow after the rollup), `reject` pending "
            "ones with a `reason`, or `withdraw` the approval of approved ones (back to pending; the facts added up "
            "again). Each entry must be of an outlet you may approve for, and of an open month to approve or "
            "withdraw. Needs a signed-in outlet head, unit manager or HQ, or a token with the `admin` scope."
        ),
        request=EntriesDecideSerializer,
        examples=[OpenApiExample("Approve two", {"entries": [41, 42], "action": "approve"}, request_only=True)],
        responses={200: DecidedSerializer, 400: _BAD, 403: OpenApiResponse(ApiErrorsSerializer)},
        tags=TAGS,
    )
    def post(self, request):
        if not request.scope.may_approve_some_ledger:
            raise PermissionDenied("you may not approve ledger entries (an auditor or a staff member reads them)")
        incoming = EntriesDecideSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        token = _token(request)
        decided = entries_decide(
            scope=request.scope,
            user=None if token else request.user,
            token=token,
            entry_ids=data["entries"],
            action=data["action"],
            reason=data.get("reason", ""),
        )
        return Response(
            DecidedSerializer(
                {"action": decided.action, "entries": decided.entries, "facts_changed": decided.facts_changed}
            ).data
        )


class LedgerEntryWithdrawView(ScopedViewMixin, APIView):
    @extend_schema(
        operation_id="ledger_entries_withdraw",
        summary="Withdraw one's own entry",
        description=(
            "Withdraws (撤回) an entry you recorded for yourself while it waits for approval, as the ledger page's "
            "button does: its status becomes `withdrawn`, it counts nothing (no fact changes) and is kept in the "
            "history, and the right entry may be recorded again. Withdrawing it again changes nothing (200, the "
            "entry as it is). An approved or rejected entry is refused (400; the outlet head withdraws an "
            "approval through `decide`); someone else's entry is a 403, one out of your sight a 404. Tokens may "
            "not withdraw entries (403). An optional `reason` is kept in the entry's history."
        ),
        request=EntryWithdrawSerializer,
        examples=[OpenApiExample("Quantity mistyped", {"reason": "数量填错"}, request_only=True)],
        responses={
            200: OpenApiResponse(LedgerEntrySerializer, description="The entry, withdrawn."),
            400: OpenApiResponse(ApiErrorsSerializer, description="Approved or rejected; an unknown field."),
            403: OpenApiResponse(ApiErrorsSerializer, description="A token, or an entry you did not record."),
            404: OpenApiResponse(ApiErrorsSerializer, description="No such entry in your scope."),
        },
        tags=TAGS,
    )
    def post(self, request, entry_id: int):
        if _token(request) is not None:
            raise PermissionDenied("entries are withdrawn by the person who recorded them: sign in (tokens may not)")
        incoming = EntryWithdrawSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        entry = get_entry_or_404(request.scope, entry_id)
        entry_withdraw(user=request.user, entry=entry, reason=incoming.validated_data.get("reason", ""))
        entry = with_details(LedgerEntry.objects.filter(pk=entry.pk)).get()
        return Response(LedgerEntrySerializer(entry, context={"scope": request.scope}).data)


urlpatterns = [
    path("ledger-items/", LedgerItemListView.as_view(), name="ledger-item-list"),
    path("ledger-entries/", LedgerEntryListView.as_view(), name="ledger-entry-list"),
    path("ledger-entries/decide/", LedgerEntriesDecideView.as_view(), name="ledger-entries-decide"),
    path("ledger-entries/<int:entry_id>/withdraw/", LedgerEntryWithdrawView.as_view(), name="ledger-entry-withdraw"),
]
