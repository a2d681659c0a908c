"""The API's shape of a stored pay sheet and its lines (pay/api.py)."""

from __future__ import annotations

from rest_framework import serializers

from lib.api_fields import MonthField
from pay.models import Gate, LineKind, PaySheet, PaySheetLine


class PaySheetLineSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=LineKind.values, read_only=True)
    metric = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="The piece rate's metric."
    )
    gate = serializers.ChoiceField(
        choices=["", *Gate.values], read_only=True, help_text="Why the line is not paid: `veto`, `min_score`, or ''."
    )
    source_month = MonthField(
        read_only=True, allow_null=True, help_text="A carry-over (上月补记): the month it corrects."
    )
    basis = serializers.JSONField(
        read_only=True,
        help_text=(
            "What the line rests on, in exact decimal strings: the score and value per point; the tiers "
            "(from, to, rate, units, amount; marginal); the pool (unit, pool, score, scores_total, sharing); the "
            "cap (cap, before, cut); a carry-over's month, due, paid, carried_before, score_was, score_now, "
            "changes of volume and the late facts."
        ),
    )

    class Meta:
        model = PaySheetLine
        fields = ["position", "kind", "metric", "volume", "rate", "gross", "amount", "gate", "source_month", "basis"]
        read_only_fields = fields


class PaySheetSerializer(serializers.ModelSerializer):
    month = MonthField(read_only=True)
    staff = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="The staff member's code.")
    staff_name = serializers.SerializerMethodField(
        help_text="The staff member's name, masked (王*) unless the token may read personal data."
    )
    unit = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text="The outlet the pay belongs to (the month's last day)."
    )
    closed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    lines = PaySheetLineSerializer(many=True, read_only=True)

    class Meta:
        model = PaySheet
        fields = [
            "id",
            "month",
            "staff",
            "staff_name",
            "unit",
            "template_code",
            "template_from",
            "scorecard_date",
            "score",
            "vetoed",
            "veto_reason",
            "rank",
            "rank_of",
            "total",
            "carried",
            "closed_at",
            "closed_by",
            "lines",
        ]
        read_only_fields = fields

    def get_staff_name(self, sheet: PaySheet) -> str:
        return self.context["scope"].person_name(sheet.staff.name)
