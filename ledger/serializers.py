"""The ledger's API shapes: items, entries (names and customer numbers through the reader's scope), the
entry to record, the batch decision and one's own entry withdrawn."""

from __future__ import annotations

from rest_framework import serializers

from ledger.models import LedgerEntry, LedgerItem
from ledger.services import MAX_QUANTITY, Action
from lib.api import StrictFieldsMixin
from lib.api_fields import DateField
from lib.ids import MAX_ID


class LedgerItemSerializer(serializers.ModelSerializer):
    metric = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text="The metric its points count toward."
    )
    posts = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True, help_text="Posts that may record it; empty: every post."
    )
    signed_points_per_unit = serializers.DecimalField(
        max_digits=9, decimal_places=2, read_only=True, help_text="Points a unit adds (below 0 for a deduction)."
    )

    class Meta:
        model = LedgerItem
        fields = [
            "code",
            "name_zh",
            "name_en",
            "kind",
            "metric",
            "points_per_unit",
            "signed_points_per_unit",
            "unit_label",
            "requires_customer",
            "requires_evidence",
            "requires_approval",
            "posts",
            "daily_cap",
            "is_active",
        ]
        read_only_fields = fields


class LedgerEntrySerializer(serializers.ModelSerializer):
    item = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="Ledger item code.")
    metric = serializers.CharField(source="item.metric.code", read_only=True, help_text="The metric it counts toward.")
    staff = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="Whose points (staff code).")
    staff_name = serializers.SerializerMethodField(help_text="Their name, masked unless you may read personal data.")
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="The outlet.")
    partner = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="The colleague sharing the points (分润)."
    )
    partner_name = serializers.SerializerMethodField(help_text="The partner's name, masked likewise; empty if none.")
    customer_code = serializers.SerializerMethodField(
        help_text="The customer number, masked (****1024) unless you may read personal data."
    )
    has_photo = serializers.BooleanField(read_only=True, help_text="A photo is kept (served on the ledger's pages).")
    decided_by = serializers.SerializerMethodField(help_text="Who approved or rejected it (masked likewise).")
    fact = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The fact its points are in, once approved; null before."
    )
    partner_fact = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The partner's fact, once approved; null before or without one."
    )
    batch = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The ingest batch that last wrote them; null before approval."
    )

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "item",
            "metric",
            "staff",
            "staff_name",
            "unit",
            "day",
            "quantity",
            "points",
            "own_points",
            "partner",
            "partner_name",
            "partner_share",
            "partner_points",
            "customer_code",
            "note",
            "has_photo",
            "status",
            "entered_at",
            "decided_by",
            "decided_at",
            "rejection_reason",
            "fact",
            "partner_fact",
            "batch",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "points": {"help_text": "quantity × points per unit; below 0 for a deduction."},
            "own_points": {"help_text": "The staff member's part (all of it without a partner)."},
            "partner_points": {"help_text": "The partner's part; own_points + partner_points = points."},
            "partner_share": {"help_text": "The partner's share in percent, from the standing split rule."},
            "status": {"help_text": "pending, approved, rejected, or withdrawn by the person who recorded it."},
        }

    def _scope(self):
        return self.context["scope"]

    def get_staff_name(self, entry: LedgerEntry) -> str:
        return self._scope().person_name(entry.staff.name)

    def get_partner_name(self, entry: LedgerEntry) -> str:
        return self._scope().person_name(entry.partner.name) if entry.partner_id else ""

    def get_customer_code(self, entry: LedgerEntry) -> str:
        return self._scope().customer_code(entry.customer_code)

    def get_decided_by(self, entry: LedgerEntry) -> str:
        user = entry.decided_by
        return self._scope().person_name(user.get_full_name() or user.username) if user else ""


class EntryCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    item = serializers.CharField(max_length=32, help_text="Ledger item code.")
    day = DateField(help_text="Today or yesterday, YYYY-MM-DD.")
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY, help_text="How many units.")
    staff = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text="For a deduction: the staff member it is entered against; leave out for your own entry.",
    )
    customer_code = serializers.CharField(max_length=32, required=False, allow_blank=True)
    partner = serializers.CharField(
        max_length=32, required=False, allow_blank=True, help_text="A colleague's staff code to share the points with."
    )
    note = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="A note; for a deduction, its reason (required)."
    )
    photo = serializers.FileField(required=False, help_text="Evidence (multipart only): JPEG, PNG or WebP, ≤ 5 MB.")


class EntriesDecideSerializer(StrictFieldsMixin, serializers.Serializer):
    entries = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), min_length=1, max_length=1000
    )
    action = serializers.ChoiceField(choices=Action.ALL, help_text="approve, reject or withdraw (an approval).")
    reason = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="Why: required to reject."
    )


class EntryWithdrawSerializer(StrictFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="Why, if you like (数量填错): kept in the entry's history. The body may be left out.",
    )


class DecidedSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=Action.ALL)
    entries = serializers.IntegerField(help_text="Entries changed.")
    facts_changed = serializers.IntegerField(help_text="Facts created or changed (approve, withdraw).")
