"""Customer outreach over the REST API (issue 18):

    GET  /api/v1/outreach-lists/          the lists in scope (filters unit, under)
    GET  /api/v1/outreach-assignments/    their customers (filters list, staff, outcome, contacted)
    GET  /api/v1/outreach-contacts/       calls and visits (filters list, staff, since, until)
    POST /api/v1/outreach-contacts/       record a call or visit (a signed-in person)

Reads need the read scope; a token sees the lists of its subtree, a staff member their own customers.
Contacts are recorded by people through outreach.services.contacts, as on the phone page: a token cannot
speak for a staff member. Names and customer numbers are masked unless the reader may read personal data.
"""

from __future__ import annotations

import django_filters
import django_filters.rest_framework
from django.urls import path
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from lib.api import ApiErrorsSerializer, DepthLimitedJSONParser
from lib.api_filters import IdFilter
from outreach import selectors
from outreach.models import Contact, ListAssignment, Outcome, OutreachList
from outreach.serializers import (
    ContactCreateSerializer,
    ContactSerializer,
    ListAssignmentSerializer,
    OutreachListSerializer,
)
from outreach.services.contacts import contact_record
from staff.api_scope import BAD_LIST_QUERY, ScopedFilterMethods, ScopedListView, refuse_tokens

TAGS = ["customer outreach"]
_404 = OpenApiResponse(ApiErrorsSerializer, description="No such unit, list or staff member in your scope.")


class ListFilter(ScopedFilterMethods, django_filters.FilterSet):
    unit = django_filters.CharFilter(method="filter_unit", help_text="Lists of one unit, by code.")
    under = django_filters.CharFilter(method="filter_under", help_text="Lists of the units of a subtree.")

    class Meta:
        model = OutreachList
        fields = ["unit", "under"]


class OutreachListView(ScopedListView):
    model = OutreachList
    serializer_class = OutreachListSerializer
    filterset_class = ListFilter

    def scoped_queryset(self, scope):
        return selectors.lists_visible(scope).order_by("pk")

    @extend_schema(
        operation_id="outreach_lists_list",
        summary="Call and visit lists in scope",
        description="Lists (名单) built from a filter and frozen: of the units of your subtree, or those holding "
        "customers assigned to you. A page at a time.",
        responses={200: OutreachListSerializer(many=True), 400: BAD_LIST_QUERY, 404: _404},
        tags=TAGS,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class AssignmentFilter(ScopedFilterMethods, django_filters.FilterSet):
    list = IdFilter(field_name="outreach_list_id", help_text="One list's customers, by its id.")
    staff = django_filters.CharFilter(method="filter_staff", help_text="Customers assigned to one staff member.")
    outcome = django_filters.ChoiceFilter(
        field_name="last_outcome", choices=Outcome.choices, help_text="By the last contact's outcome."
    )
    contacted = django_filters.BooleanFilter(
        field_name="first_contact_on",
        lookup_expr="isnull",
        exclude=True,
        help_text="Reached (true: by any outcome but no_answer, as coverage counts) or still to contact (false, "
        "with those called without an answer).",
    )

    class Meta:
        model = ListAssignment
        fields = ["list", "staff", "outcome", "contacted"]


class AssignmentListView(ScopedListView):
    model = ListAssignment
    serializer_class = ListAssignmentSerializer
    filterset_class = AssignmentFilter

    def scoped_queryset(self, scope):
        return selectors.with_details(selectors.assignments_visible(scope)).order_by("pk")

    @extend_schema(
        operation_id="outreach_assignments_list",
        summary="The customers of the lists",
        description="Each list customer, whom it is assigned to and where the work stands. Names and customer "
        "numbers are masked unless you may read personal data (a token's `personal` scope).",
        responses={200: ListAssignmentSerializer(many=True), 400: BAD_LIST_QUERY, 404: _404},
        tags=TAGS,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ContactFilter(ScopedFilterMethods, django_filters.FilterSet):
    list = IdFilter(field_name="assignment__outreach_list_id", help_text="One list's contacts.")
    staff = django_filters.CharFilter(method="filter_staff", help_text="Contacts made by one staff member.")
    since = django_filters.DateFilter(field_name="day", lookup_expr="gte", help_text="From this day on.")
    until = django_filters.DateFilter(field_name="day", lookup_expr="lte", help_text="Up to this day.")

    class Meta:
        model = Contact
        fields = ["list", "staff", "since", "until"]


class ContactListView(ScopedListView):
    model = Contact
    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    parser_classes = [DepthLimitedJSONParser, MultiPartParser]

    def scoped_queryset(self, scope):
        return selectors.contacts_visible(scope).select_related("staff", "outlet").order_by("pk")

    @extend_schema(
        operation_id="outreach_contacts_list",
        summary="Calls and visits",
        description="The contacts of the list customers you see, with their outcomes.",
        responses={200: ContactSerializer(many=True), 400: BAD_LIST_QUERY, 404: _404},
        tags=TAGS,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="outreach_contacts_create",
        summary="Record a call or visit",
        description=(
            "Records a contact of one of your list customers, as the phone page does: the outcome, the product of "
            "interest, the next follow-up; a visit's photo as multipart form data; the location, optional. The "
            "outcome dnd (勿扰) flags the customer, whom no later list takes. The rates follow as facts (source "
            "`outreach`). Tokens may not record contacts (403): a person records their own work."
        ),
        request={"application/json": ContactCreateSerializer, "multipart/form-data": ContactCreateSerializer},
        examples=[
            OpenApiExample(
                "Interested in a wealth product",
                {"assignment": 812, "outcome": "interested", "product": "理财", "next_follow_up": "2026-12-08"},
                request_only=True,
            )
        ],
        responses={
            201: ContactSerializer,
            400: OpenApiResponse(ApiErrorsSerializer, description="Every problem, by field."),
            403: OpenApiResponse(ApiErrorsSerializer, description="A token."),
            404: _404,
        },
        tags=TAGS,
    )
    def post(self, request, *args, **kwargs):
        refuse_tokens(request, "contacts are recorded by people: sign in as the staff member (tokens may not)")
        incoming = ContactCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        assignment = (
            selectors.assignments_visible(request.scope)
            .select_related("outreach_list__unit", "customer")
            .filter(pk=data["assignment"])
            .first()
        )
        if assignment is None:
            raise ValidationError({"assignment": [f"list customer {data['assignment']} is not known"]})
        contact = contact_record(
            scope=request.scope,
            user=request.user,
            assignment=assignment,
            outcome=data["outcome"],
            channel=data.get("channel"),
            product=data.get("product", ""),
            next_follow_up=data.get("next_follow_up"),
            note=data.get("note", ""),
            photo=data.get("photo"),
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
            day=data.get("day"),
        )
        contact = Contact.objects.select_related("staff", "outlet").get(pk=contact.pk)
        return Response(ContactSerializer(contact).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("outreach-lists/", OutreachListView.as_view(), name="outreach-list-list"),
    path("outreach-assignments/", AssignmentListView.as_view(), name="outreach-assignment-list"),
    path("outreach-contacts/", ContactListView.as_view(), name="outreach-contact-list"),
]
