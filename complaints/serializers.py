"""The complaints register's API shapes: a complaint (the complainant's name and phone, the staff member's
name masked unless the reader may read personal data), a new complaint, a reply, a review."""

from __future__ import annotations

from rest_framework import serializers

from complaints.models import Category, Channel, Complaint, Validity
from lib.api import StrictFieldsMixin
from lib.api_fields import DateField


class ComplaintSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="The outlet complained about.")
    staff = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="The staff member concerned (staff code)."
    )
    staff_name = serializers.SerializerMethodField(help_text="Their name, masked unless you may read personal data.")
    complainant_name = serializers.SerializerMethodField(help_text="Masked (张*) unless you may read personal data.")
    complainant_phone = serializers.SerializerMethodField(
        help_text="Masked (138****5678) unless you may read personal data."
    )
    overdue = serializers.SerializerMethodField(help_text="No reply and the reply deadline has passed.")

    class Meta:
        model = Complaint
        fields = [
            "id",
            "unit",
            "channel",
            "category",
            "received_on",
            "complainant_name",
            "complainant_phone",
            "summary",
            "staff",
            "staff_name",
            "reply_due",
            "reply",
            "replied_on",
            "overdue",
            "validity",
            "review_note",
            "reviewed_at",
        ]
        read_only_fields = fields

    def _scope(self):
        return self.context["scope"]

    def get_staff_name(self, complaint: Complaint) -> str:
        return self._scope().person_name(complaint.staff.name) if complaint.staff_id else ""

    def get_complainant_name(self, complaint: Complaint) -> str:
        return self._scope().complainant_name(complaint.complainant_name) if complaint.complainant_name else ""

    def get_complainant_phone(self, complaint: Complaint) -> str:
        return self._scope().complainant_phone(complaint.complainant_phone) if complaint.complainant_phone else ""

    def get_overdue(self, complaint: Complaint) -> bool:
        return complaint.is_overdue(self.context["today"])


class ComplaintCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    unit = serializers.CharField(max_length=32, help_text="Outlet code.")
    channel = serializers.ChoiceField(choices=Channel.choices)
    category = serializers.ChoiceField(choices=Category.choices)
    received_on = DateField(help_text="The day it was received (YYYY-MM-DD), today or before.")
    summary = serializers.CharField(max_length=2000, help_text="What the complaint says.")
    complainant_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    complainant_phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    staff = serializers.CharField(max_length=32, required=False, allow_blank=True, help_text="Staff code, if any.")
    reply_due = DateField(required=False, help_text="Empty: the channel's usual deadline.")


class ComplaintReplySerializer(StrictFieldsMixin, serializers.Serializer):
    reply = serializers.CharField(max_length=2000, help_text="The reply given to the complainant.")


class ComplaintReviewSerializer(StrictFieldsMixin, serializers.Serializer):
    validity = serializers.ChoiceField(choices=[(Validity.VALID, "valid"), (Validity.INVALID, "invalid")])
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)
