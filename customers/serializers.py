"""API representations of customers by tier (customers/api.py).

The tier counts and migrations are plain dictionaries built from customers.selectors and shaped (and
documented) by these serializers; a customer is a model instance, its name and identity number masked
for a reader without the right to personal data (lib.masking)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customers.models import Customer, Interest, Prospect, Referral, Territory, TerritoryKind, group_codes
from customers.selectors import MOVEMENTS
from lib.api import StrictFieldsMixin
from lib.api_fields import DateField, MonthField
from lib.ids import MAX_ID
from staff.access import Scope

MONTH_HELP = "The month, YYYY-MM."


class TierQuerySerializer(serializers.Serializer):
    """The query string of /customer-tiers/ and /tier-migrations/."""

    unit = serializers.CharField(max_length=32, help_text="The org unit whose subtree is counted, by code (GZ01).")
    month = MonthField(
        required=False,
        help_text="The month, YYYY-MM (2026-11), compared with the month before. Default: the latest month tiered.",
    )
    manager = serializers.CharField(
        required=False,
        max_length=32,
        help_text="Only the customers of this relationship manager, by staff code (S1001): where they are "
        "managed this month (or were last month, for a lost customer).",
    )


class TierCountSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Tier code (star1 … star5, private).")
    name = serializers.CharField(help_text="The tier's name in the request's language.")
    name_zh = serializers.CharField()
    name_en = serializers.CharField()
    rank = serializers.IntegerField(help_text="1 = the lowest tier.")
    premium = serializers.BooleanField(help_text="true for the premium tiers (优质客户, 三星及以上).")
    min_aum = serializers.DecimalField(
        max_digits=18, decimal_places=2, help_text="Lower bound of the month's average daily AUM (元), inclusive."
    )
    customers = serializers.IntegerField(help_text="Customers of this tier in `month`.")
    customers_before = serializers.IntegerField(help_text="Customers of this tier in `previous_month`.")
    change = serializers.IntegerField(help_text="customers − customers_before.")


class CountChangeSerializer(serializers.Serializer):
    customers = serializers.IntegerField()
    customers_before = serializers.IntegerField()
    change = serializers.IntegerField()


class CustomerTiersSerializer(serializers.Serializer):
    unit = serializers.CharField(help_text="The org unit whose subtree is counted.")
    month = serializers.CharField(help_text=MONTH_HELP)
    previous_month = serializers.CharField(help_text="The month compared with, YYYY-MM.")
    tiered = serializers.BooleanField(help_text="false while `month` has not been tiered: every count is 0.")
    manager = serializers.CharField(allow_null=True, help_text="The relationship manager asked for, or null.")
    tiers = TierCountSerializer(many=True, help_text="The tiers of the scheme in force in `month`, lowest first.")
    premium = CountChangeSerializer(help_text="Premium customers (三星及以上), by each month's own scheme.")
    total = CountChangeSerializer(help_text="All customers with a tier.")


class MigrationRowSerializer(serializers.Serializer):
    from_tier = serializers.CharField(allow_null=True, help_text="Last month's tier; null for a new customer.")
    to_tier = serializers.CharField(allow_null=True, help_text="This month's tier; null for a lost customer.")
    from_rank = serializers.IntegerField(allow_null=True)
    to_rank = serializers.IntegerField(allow_null=True)
    movement = serializers.ChoiceField(choices=MOVEMENTS, help_text="up, down, same, new or lost.")
    customers = serializers.IntegerField()


class MovementTotalsSerializer(serializers.Serializer):
    up = serializers.IntegerField()
    down = serializers.IntegerField()
    same = serializers.IntegerField()
    new = serializers.IntegerField()
    lost = serializers.IntegerField()


class TierMigrationsSerializer(serializers.Serializer):
    unit = serializers.CharField()
    month = serializers.CharField(help_text=MONTH_HELP)
    previous_month = serializers.CharField()
    tiered = serializers.BooleanField(help_text="false while `month` has not been tiered: `rows` is empty.")
    manager = serializers.CharField(allow_null=True)
    rows = MigrationRowSerializer(
        many=True,
        help_text="Non-empty cells of the matrix, by from-tier rank (new last), then to-tier rank (lost last).",
    )
    totals = MovementTotalsSerializer(help_text="Customers by movement.")


class CustomerSerializer(serializers.ModelSerializer):
    """A customer as the reader may see them. Needs `personal_data` and `month` (YYYY-MM or None) in the
    context, and the customer annotated with `tier` (that month's tier code or None)."""

    # The docstring above is the schema's description of Customer and is kept word for word; what
    # decides `personal_data` is the reader's Scope, passed as `scope` (staff.access.Scope.person_name).

    name = serializers.SerializerMethodField(help_text="The name, masked (张*三) unless you may read personal data.")
    id_number = serializers.SerializerMethodField(
        help_text="The identity number, masked (440106********1234) unless you may read personal data."
    )
    code = serializers.SerializerMethodField(
        help_text="The customer number, masked to its last 4 characters (****1024) unless you may read personal data."
    )
    masked = serializers.SerializerMethodField(help_text="true when `code`, `name` and `id_number` are masked.")
    home_outlet = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="Home outlet code.")
    manager = serializers.SlugRelatedField(
        slug_field="code",
        source="relationship_manager",
        read_only=True,
        allow_null=True,
        help_text="The relationship manager's staff code; null when none.",
    )
    groups = serializers.SerializerMethodField(
        help_text="Customer groups: young, silver, merchant, agricultural, other_bank_won, long_tail_corporate."
    )
    month = serializers.SerializerMethodField(help_text="The month `tier` is of, YYYY-MM; null before any tiering.")
    tier = serializers.SerializerMethodField(help_text="The tier code in `month`; null without a snapshot that month.")

    class Meta:
        model = Customer
        fields = ["code", "name", "id_number", "masked", "home_outlet", "manager", "groups", "month", "tier"]
        read_only_fields = fields

    def get_code(self, customer: Customer) -> str:
        return self.context["scope"].customer_code(customer.code)

    def get_name(self, customer: Customer) -> str:
        return self.context["scope"].person_name(customer.name)

    def get_id_number(self, customer: Customer) -> str:
        return self.context["scope"].id_number(customer.id_number)

    def get_masked(self, customer: Customer) -> bool:
        return self.context["scope"].masks_personal_data

    def get_groups(self, customer: Customer) -> list[str]:
        return group_codes(customer.groups)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_month(self, customer: Customer) -> str | None:
        return self.context["month"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_tier(self, customer: Customer) -> str | None:
        return getattr(customer, "tier", None)


# -- territories, prospects and referrals (issue 18) ------------------------------------------------------


class _ScopedSerializer(serializers.Serializer):
    """Reads the reader's scope from the context (`scope`): names and numbers go through it."""

    @property
    def scope(self) -> Scope:
        return self.context.get("scope") or Scope.nothing()


class TerritorySerializer(_ScopedSerializer):
    id = serializers.IntegerField(read_only=True, help_text="The territory's number.")
    kind = serializers.CharField(read_only=True, help_text="community, village, market, business_district or park.")
    name = serializers.CharField(read_only=True, help_text="Its name, such as 幸福社区.")
    outlet = serializers.CharField(source="outlet.code", read_only=True, help_text="The outlet's code.")
    owner = serializers.CharField(source="owner.code", read_only=True, help_text="The owner's staff code.")
    owner_name = serializers.SerializerMethodField(help_text="The owner's name, masked unless you may read it.")
    active = serializers.BooleanField(read_only=True, help_text="Still worked.")
    customers = serializers.IntegerField(source="customer_count", read_only=True, help_text="Customers in it.")
    prospects = serializers.IntegerField(source="prospect_count", read_only=True, help_text="Open prospects in it.")
    converted = serializers.IntegerField(
        source="converted_count", read_only=True, help_text="Prospects in it who became customers."
    )

    def get_owner_name(self, territory: Territory) -> str:
        return self.scope.person_name(territory.owner.name)


class TerritoryWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    outlet = serializers.CharField(max_length=32, help_text="The outlet's code.")
    kind = serializers.ChoiceField(choices=TerritoryKind.choices, help_text="The kind of territory.")
    name = serializers.CharField(max_length=60, help_text="Its name, once per outlet.")
    owner = serializers.CharField(max_length=32, help_text="Staff code of the owner, assigned to the outlet.")
    active = serializers.BooleanField(required=False, default=True, help_text="Still worked (default true).")


class ProspectSerializer(_ScopedSerializer):
    id = serializers.IntegerField(read_only=True, help_text="The prospect's number.")
    outlet = serializers.CharField(source="outlet.code", read_only=True, help_text="The outlet's code.")
    territory = serializers.IntegerField(
        source="territory_id", read_only=True, allow_null=True, help_text="The territory's number, or null."
    )
    place = serializers.CharField(read_only=True, help_text="Where the prospect was met.")
    name = serializers.SerializerMethodField(help_text="Name, masked (张*三) unless you may read personal data.")
    phone = serializers.SerializerMethodField(help_text="Phone, masked (138****5678) likewise.")
    id_number = serializers.SerializerMethodField(help_text="Identity number, masked (440106********1234) likewise.")
    interest = serializers.CharField(read_only=True, help_text="The product of interest.")
    captured_by = serializers.CharField(
        source="captured_by.code", read_only=True, allow_null=True, default=None, help_text="Who took it down."
    )
    captured_on = serializers.DateField(read_only=True, help_text="When, YYYY-MM-DD.")
    status = serializers.CharField(read_only=True, help_text="open, or converted (became a customer).")
    customer = serializers.SerializerMethodField(help_text="The customer it became (masked ****1024), or null.")
    converted_on = serializers.DateField(read_only=True, allow_null=True, help_text="When it became a customer.")
    masked = serializers.SerializerMethodField(help_text="Whether personal data is masked for you.")

    def get_name(self, prospect: Prospect) -> str:
        return self.scope.person_name(prospect.name)

    def get_phone(self, prospect: Prospect) -> str:
        return self.scope.phone(prospect.phone)

    def get_id_number(self, prospect: Prospect) -> str:
        return self.scope.id_number(prospect.id_number)

    def get_customer(self, prospect: Prospect) -> str | None:
        return self.scope.customer_code(prospect.customer.code) if prospect.customer_id else None

    def get_masked(self, prospect: Prospect) -> bool:
        return self.scope.masks_personal_data


class ProspectWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    outlet = serializers.CharField(max_length=32, help_text="The outlet's code.")
    name = serializers.CharField(max_length=60, help_text="The prospect's name.")
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, help_text="Mobile or fixed line.")
    id_number = serializers.CharField(
        max_length=32, required=False, allow_blank=True, help_text="18-character identity number, if given."
    )
    interest = serializers.ChoiceField(choices=Interest.choices, help_text="The product of interest.")
    territory = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_ID, help_text="A territory of the outlet."
    )
    place = serializers.CharField(max_length=100, required=False, allow_blank=True, help_text="Where they were met.")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, help_text="A note.")


class ReferralSerializer(_ScopedSerializer):
    id = serializers.IntegerField(read_only=True, help_text="The referral's number.")
    outlet = serializers.CharField(source="outlet.code", read_only=True, help_text="The outlet's code.")
    day = serializers.DateField(read_only=True, help_text="The day of the referral.")
    referrer = serializers.CharField(source="referrer.code", read_only=True, help_text="Who referred (staff code).")
    referrer_name = serializers.SerializerMethodField(help_text="Their name, masked unless you may read it.")
    channel = serializers.CharField(read_only=True, help_text="counter (柜面) or lobby (大堂).")
    receiver = serializers.CharField(source="receiver.code", read_only=True, help_text="To whom (staff code).")
    receiver_name = serializers.SerializerMethodField(help_text="Their name, masked likewise.")
    product = serializers.CharField(read_only=True, help_text="The product referred for.")
    customer = serializers.SerializerMethodField(help_text="The customer number (masked ****1024), or null.")
    status = serializers.CharField(read_only=True, help_text="referred, following, won (成交) or lost (未成交).")
    closed_on = serializers.DateField(read_only=True, allow_null=True, help_text="The day of the outcome.")

    def get_referrer_name(self, referral: Referral) -> str:
        return self.scope.person_name(referral.referrer.name)

    def get_receiver_name(self, referral: Referral) -> str:
        return self.scope.person_name(referral.receiver.name)

    def get_customer(self, referral: Referral) -> str | None:
        return self.scope.customer_code(referral.customer.code) if referral.customer_id else None


class ReferralWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    outlet = serializers.CharField(max_length=32, help_text="The outlet's code.")
    receiver = serializers.CharField(max_length=32, help_text="Staff code of the wealth or customer manager.")
    product = serializers.ChoiceField(choices=Interest.choices, help_text="The product referred for.")
    referrer = serializers.CharField(
        max_length=32, required=False, allow_blank=True, help_text="Who referred; leave out for yourself."
    )
    day = DateField(required=False, help_text="The day, YYYY-MM-DD, within the last week (default today).")
    customer = serializers.CharField(max_length=32, required=False, allow_blank=True, help_text="Customer number.")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, help_text="A note.")


class ReferralOutcomeSerializer(StrictFieldsMixin, serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[("following", "following"), ("won", "won"), ("lost", "lost")],
        help_text="following (跟进), won (成交) or lost (未成交).",
    )
    day = DateField(required=False, help_text="The day of the outcome, YYYY-MM-DD (default today).")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, help_text="A note.")
