"""The outreach API's shapes: lists, their customers (names through the reader's scope: masked unless they
may read personal data), contacts, and the contact to record."""

from __future__ import annotations

from rest_framework import serializers

from lib.api import StrictFieldsMixin
from lib.api_fields import DateField, NumberField
from lib.ids import MAX_ID
from outreach.models import Channel, Contact, ListAssignment, Outcome, OutreachList
from outreach.selectors import aum_band


class OutreachListSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="Whose customers (unit code).")
    criteria = serializers.JSONField(
        read_only=True,
        help_text="The filter it was built from: month (YYYY-MM), movement (down, lost, new), tiers, groups, "
        "aum_min and aum_max (元), manager_id, territory_id, no_contact_days; absent parts were not used.",
    )

    class Meta:
        model = OutreachList
        fields = [
            "id",
            "name",
            "unit",
            "channel",
            "criteria",
            "assign_mode",
            "starts_on",
            "due_on",
            "customers",
            "created_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "channel": {"help_text": "call (电话回访) or visit (走访)."},
            "assign_mode": {"help_text": "even, manager (by relationship manager) or hand."},
            "customers": {"help_text": "Customers frozen into the list when it was built."},
        }


class ListAssignmentSerializer(serializers.ModelSerializer):
    list = serializers.PrimaryKeyRelatedField(source="outreach_list", read_only=True, help_text="The list's id.")
    customer = serializers.SerializerMethodField(
        help_text="The customer number, masked (****1024) unless you may read personal data."
    )
    customer_name = serializers.SerializerMethodField(help_text="The name, masked unless you may read personal data.")
    tier = serializers.CharField(source="tier_code", read_only=True, help_text="The tier when the list was built.")
    aum_band = serializers.SerializerMethodField(help_text="The average daily AUM's band, e.g. 5–20万.")
    staff = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="Assigned to (staff code); null: not yet."
    )
    staff_name = serializers.SerializerMethodField(help_text="Their name, masked likewise; empty if none.")
    outlet = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="The staff member's outlet when assigned."
    )
    do_not_contact = serializers.BooleanField(read_only=True, help_text="The customer is flagged 勿扰.")
    # Declared: a model field's read-only ChoiceField loses allow_blank, and the schema's enum its "".
    last_outcome = serializers.ChoiceField(
        choices=Outcome.choices,
        allow_blank=True,
        read_only=True,
        help_text="The last contact's outcome; empty: not contacted.",
    )

    class Meta:
        model = ListAssignment
        fields = [
            "id",
            "list",
            "position",
            "customer",
            "customer_name",
            "tier",
            "aum_avg_daily",
            "aum_band",
            "staff",
            "staff_name",
            "outlet",
            "assigned_on",
            "last_outcome",
            "first_contact_on",
            "converted_on",
            "next_follow_up",
            "product_interest",
            "do_not_contact",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "aum_avg_daily": {"help_text": "The month's average daily AUM (元) when the list was built."},
            "first_contact_on": {
                "help_text": "The day the customer was first reached, by any outcome but no_answer (未接通); "
                "coverage counts it. Null while not reached: a customer called without an answer is still to "
                "contact (last_outcome no_answer)."
            },
            "converted_on": {"help_text": "The day of the first 已办理 (conversion counts it)."},
        }

    def _scope(self):
        return self.context["scope"]

    def get_customer(self, row: ListAssignment) -> str:
        return self._scope().customer_code(row.customer.code)

    def get_customer_name(self, row: ListAssignment) -> str:
        return self._scope().person_name(row.customer.name)

    def get_aum_band(self, row: ListAssignment) -> str:
        return aum_band(row.aum_avg_daily)

    def get_staff_name(self, row: ListAssignment) -> str:
        return self._scope().person_name(row.staff.name) if row.staff_id else ""


class ContactSerializer(serializers.ModelSerializer):
    assignment = serializers.PrimaryKeyRelatedField(read_only=True, help_text="The list customer's id.")
    staff = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="Who made it (staff code).")
    outlet = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text="Their outlet that day: where the contact counts."
    )
    has_photo = serializers.BooleanField(read_only=True, help_text="A visit's photo is kept (served on the pages).")

    class Meta:
        model = Contact
        fields = [
            "id",
            "assignment",
            "staff",
            "outlet",
            "day",
            "channel",
            "outcome",
            "product",
            "next_follow_up",
            "note",
            "has_photo",
            "latitude",
            "longitude",
            "recorded_at",
        ]
        read_only_fields = fields


class ContactCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    assignment = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="The list customer's id.")
    outcome = serializers.ChoiceField(choices=Outcome.values, help_text="connected 接通, no_answer 未接通, "
        "interested 有意向, done 已办理, refused 拒绝, dnd 勿扰 (flags the customer).")  # fmt: skip
    channel = serializers.ChoiceField(
        choices=Channel.values, required=False, help_text="call or visit; the list's channel by default."
    )
    day = DateField(required=False, help_text="Today (the default) or yesterday, YYYY-MM-DD.")
    product = serializers.CharField(max_length=50, required=False, allow_blank=True, help_text="Product of interest.")
    next_follow_up = DateField(required=False, allow_null=True, help_text="The next follow-up, YYYY-MM-DD.")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)
    latitude = NumberField(
        max_digits=9, decimal_places=6, required=False, allow_null=True, help_text="Where (WGS-84), optional."
    )
    longitude = NumberField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    photo = serializers.FileField(required=False, help_text="A visit's photo (multipart only): JPEG, PNG or WebP.")
