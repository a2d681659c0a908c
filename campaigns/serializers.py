"""The campaigns' API shapes: a campaign with its focus metrics and materials, its leaderboards (names
masked through the reader's scope), its uplift, a gift (customer number and name masked) and the gift
to record."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from campaigns.models import Campaign, CampaignMaterial, CampaignMetric, GiftRecord
from lib.api import StrictFieldsMixin
from lib.api_fields import DateField, NumberField


class CampaignMetricSerializer(serializers.ModelSerializer):
    metric = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="The focus metric's code.")

    class Meta:
        model = CampaignMetric
        fields = ["metric", "rule", "factor"]
        read_only_fields = fields
        extra_kwargs = {
            "rule": {"help_text": "per_unit: factor points per unit of the metric; multiplier: its points × factor."},
            "factor": {"help_text": "Points per unit, or the multiplier."},
        }


class CampaignMaterialSerializer(serializers.ModelSerializer):
    # A plain string: empty where the material has no link, which `format: uri` would not allow.
    url = serializers.CharField(read_only=True, help_text="A link to the material (http or https), or empty.")

    class Meta:
        model = CampaignMaterial
        fields = ["kind", "title", "body", "url"]
        read_only_fields = fields
        extra_kwargs = {
            "kind": {"help_text": "script (话术), material (宣传物料) or gift (礼品)."},
            "body": {"help_text": "The script's or material's text."},
        }


class CampaignSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="The organising unit.")
    units = serializers.SlugRelatedField(
        slug_field="code",
        many=True,
        read_only=True,
        help_text="Units whose outlets take part; empty: all under `unit`.",
    )
    posts = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True, help_text="Posts taking part; empty: every post."
    )
    metrics = CampaignMetricSerializer(source="lines", many=True, read_only=True, help_text="Focus metrics.")
    materials = CampaignMaterialSerializer(many=True, read_only=True, help_text="Scripts (话术) and materials.")

    class Meta:
        model = Campaign
        fields = [
            "code",
            "name_zh",
            "name_en",
            "theme",
            "unit",
            "start",
            "end",
            "units",
            "posts",
            "metrics",
            "gift_budget",
            "gift_limit_per_customer",
            "description",
            "materials",
            "scores_refreshed_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "gift_budget": {"help_text": "Yuan (元): the value of all the campaign's gifts, at most."},
            "gift_limit_per_customer": {"help_text": "Yuan (元) one customer may receive; null: no limit."},
            "scores_refreshed_at": {"help_text": "When the scores were last computed from the facts."},
        }


class MetricFigureSerializer(serializers.Serializer):
    metric = serializers.CharField(source="metric.code", help_text="Metric code.")
    value = serializers.DecimalField(max_digits=24, decimal_places=4, help_text="Its total in the window so far.")
    bonus = serializers.DecimalField(max_digits=24, decimal_places=4, help_text="The bonus points it earned.")
    target = serializers.DecimalField(
        max_digits=24, decimal_places=4, allow_null=True, help_text="The outlet's campaign target; null: none."
    )
    attainment = serializers.DecimalField(
        max_digits=24, decimal_places=6, allow_null=True, help_text="value / target as a fraction (1.2 = 120 %)."
    )


class OutletRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField(help_text="Competition rank by bonus (1, 2, 2, 4).")
    outlet = serializers.CharField(source="outlet.code", help_text="Outlet code.")
    outlet_name = serializers.CharField(source="outlet.name", help_text="Outlet name.")
    bonus = serializers.DecimalField(max_digits=24, decimal_places=4, help_text="Bonus points from its own facts.")
    figures = MetricFigureSerializer(many=True, help_text="Per focus metric.")


class StaffOutletSerializer(serializers.Serializer):
    outlet = serializers.CharField(help_text="Outlet code where the facts were.")
    bonus = serializers.DecimalField(max_digits=24, decimal_places=4, help_text="Bonus points credited there.")


class StaffRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField(help_text="Competition rank by bonus.")
    staff = serializers.CharField(source="staff.code", help_text="Staff code.")
    name = serializers.CharField(help_text="Name, masked unless you may read personal data of this person.")
    bonus = serializers.DecimalField(max_digits=24, decimal_places=4, help_text="Bonus points in all.")
    outlets = serializers.SerializerMethodField(help_text="Where the bonus was credited (the facts' outlets).")

    @extend_schema_field(StaffOutletSerializer(many=True))
    def get_outlets(self, row) -> list[dict]:
        # Through the declared serializer, so a bonus reads 62.9200 as every other one (str() wrote
        # 62.9200000000000 or 453, as the sum happened to come out).
        rows = [{"outlet": outlet.code, "bonus": bonus} for outlet, bonus in row.outlets]
        return StaffOutletSerializer(rows, many=True).data


class UpliftSerializer(serializers.Serializer):
    metric = serializers.CharField(source="metric.code", help_text="Metric code.")
    days = serializers.IntegerField(help_text="Days of the campaign counted, and of the window before it.")
    during = serializers.DecimalField(max_digits=24, decimal_places=4, help_text="Total in the campaign so far.")
    before = serializers.DecimalField(max_digits=24, decimal_places=4, help_text="Total in as many days before.")
    change = serializers.DecimalField(max_digits=24, decimal_places=4, help_text="during − before.")
    ratio = serializers.DecimalField(
        max_digits=24, decimal_places=6, allow_null=True, help_text="(during − before) / before; null when before is 0."
    )


class LeaderboardSerializer(serializers.Serializer):
    campaign = serializers.CharField(help_text="Campaign code.")
    outlets = OutletRowSerializer(many=True, help_text="Every outlet of the campaign, ranked.")
    staff = StaffRowSerializer(many=True, help_text="The staff members with a bonus, ranked.")
    uplift = UpliftSerializer(many=True, help_text="Per focus metric, against the same number of days before.")


class GiftSerializer(serializers.ModelSerializer):
    campaign = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="Campaign code.")
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="The outlet.")
    staff = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="Who gave it.")
    staff_name = serializers.SerializerMethodField(help_text="Their name, masked unless you may read personal data.")
    customer_code = serializers.SerializerMethodField(help_text="The customer number, masked (****1024) likewise.")
    customer_name = serializers.SerializerMethodField(help_text="The customer's name, masked (张*) likewise.")

    class Meta:
        model = GiftRecord
        fields = [
            "id",
            "campaign",
            "unit",
            "staff",
            "staff_name",
            "day",
            "customer_code",
            "customer_name",
            "item",
            "value",
            "note",
            "entered_at",
        ]
        read_only_fields = fields
        extra_kwargs = {"value": {"help_text": "Yuan (元)."}}

    def get_staff_name(self, gift: GiftRecord) -> str:
        return self.context["scope"].person_name(gift.staff.name)

    def get_customer_code(self, gift: GiftRecord) -> str:
        return self.context["scope"].customer_code(gift.customer_code)

    def get_customer_name(self, gift: GiftRecord) -> str:
        return self.context["scope"].person_name(gift.customer_name) if gift.customer_name else ""


class GiftCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    staff = serializers.CharField(
        max_length=32, required=False, allow_blank=True, help_text="Who gave it (staff code); leave out: yourself."
    )
    day = DateField(help_text="A day of the campaign, not after today, YYYY-MM-DD.")
    customer_code = serializers.CharField(max_length=32, help_text="The customer number of the core system.")
    customer_name = serializers.CharField(max_length=40, required=False, allow_blank=True)
    item = serializers.CharField(max_length=60, help_text="The gift.")
    value = NumberField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("999999.99"),
        help_text="Yuan (元).",
    )
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)
