"""Customers by tier (客户分层分群, DOMAIN.md §6).

A customer is a pseudonymous record (its `code` is what systems exchange) with a home outlet, a
relationship manager and groups. Each month brings a snapshot of its assets (AUM) and the month's average
daily AUM (月日均). HQ sets tiers as thresholds on that average, in versioned schemes that take effect
from a month. The monthly tiering (customers.services.tiering) gives every customer a tier for the month,
counts the migrations from the month before per outlet and relationship manager, and writes the tier
counts as KPI facts.

Names and identity numbers are personal data: shown only to readers whose scope has `personal_data`
(staff.access.Scope), masked everywhere else (lib.masking), never logged.
"""

from __future__ import annotations

import enum

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from branches.models import OrgUnit, _localized, code_validator
from staff.models import StaffMember

MONEY = {"max_digits": 18, "decimal_places": 2}


class Group(enum.IntFlag):
    """Customer groups (客群), the second axis beside tiers: a customer may be in several. Stored as a
    bit mask in Customer.groups, so "in group X" is one bitwise test, whatever the number of customers."""

    YOUNG = 1  # 年轻客群 (90后/00后)
    SILVER = 2  # 银发客群 (50+)
    MERCHANT = 4  # 商户
    AGRICULTURAL = 8  # 涉农
    OTHER_BANK_WON = 16  # 他行策反
    LONG_TAIL_CORPORATE = 32  # 长尾对公

    @property
    def code(self) -> str:
        return self.name.lower()


GROUP_LABELS = {
    Group.YOUNG: _("Young (born 1990s/2000s)"),
    Group.SILVER: _("Silver (50+)"),
    Group.MERCHANT: _("Merchants"),
    Group.AGRICULTURAL: _("Agricultural"),
    Group.OTHER_BANK_WON: _("Won from other banks"),
    Group.LONG_TAIL_CORPORATE: _("Long-tail corporate"),
}
GROUP_BY_CODE = {group.code: group for group in Group}


def groups_from_codes(codes: list[str]) -> int:
    """['young', 'merchant'] → 5; KeyError names an unknown code."""
    mask = 0
    for code in codes:
        mask |= GROUP_BY_CODE[code]
    return mask


def group_codes(mask: int) -> list[str]:
    return [group.code for group in Group if mask & group]


class TerritoryKind(models.TextChoices):
    """What a territory (网格) is: the outlet's ground is cut into communities, villages, markets,
    business districts and industrial parks, each given to one of its staff (定员定岗定责)."""

    COMMUNITY = "community", _("Community (社区)")
    VILLAGE = "village", _("Village (村)")
    MARKET = "market", _("Market (市场)")
    BUSINESS_DISTRICT = "business_district", _("Business district (商圈)")
    PARK = "park", _("Industrial park (园区)")


class Territory(models.Model):
    """A territory (网格) of an outlet, with its owner: a staff member assigned to the outlet, who answers
    for the customers and prospects of the territory (定员定岗定责). The owner's assignment is checked by
    customers.services.territories (territory_save) and by the admin form through clean()."""

    kind = models.CharField(_("kind"), max_length=20, choices=TerritoryKind.choices)
    name = models.CharField(_("name"), max_length=60)
    outlet = models.ForeignKey(
        OrgUnit,
        verbose_name=_("outlet"),
        on_delete=models.PROTECT,
        related_name="territories",
        limit_choices_to={"kind": "outlet"},
    )
    owner = models.ForeignKey(
        StaffMember, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="territories"
    )
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("territory")
        verbose_name_plural = _("territories")
        ordering = ["outlet", "kind", "name"]
        constraints = [models.UniqueConstraint(fields=["outlet", "name"], name="territory_name_once_per_outlet")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # Imported here: the rule lives in the services (one answer), the model only asks it.
        from customers.services.territories import owner_refusal

        if self.outlet_id and self.owner_id:
            refusal = owner_refusal(outlet=self.outlet, owner=self.owner)
            if refusal:
                raise ValidationError({"owner": refusal})


class Customer(models.Model):
    code = models.CharField(_("customer id"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=60)
    id_number = models.CharField(_("identity number"), max_length=32, blank=True)
    home_outlet = models.ForeignKey(
        OrgUnit, verbose_name=_("home outlet"), on_delete=models.PROTECT, related_name="customers"
    )
    relationship_manager = models.ForeignKey(
        StaffMember,
        verbose_name=_("relationship manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
    )
    territory = models.ForeignKey(
        Territory,
        verbose_name=_("territory"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
    )
    # "groups" in the customers' sense (客群): Django's auth has its own "groups" (用户组).
    groups = models.PositiveSmallIntegerField(
        pgettext_lazy("customer", "groups"), default=0, help_text=_("Bit mask of customers.Group")
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["code"]

    def __str__(self) -> str:
        # The code only: a customer's name must not reach logs or error pages through str().
        return self.code

    @property
    def group_codes(self) -> list[str]:
        return group_codes(self.groups)


class Snapshot(models.Model):
    """A customer's assets at the end of a month (元), and the month's average daily AUM (月日均),
    which decides the tier."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="snapshots", db_constraint=False
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    deposits = models.DecimalField(_("deposits"), default=0, **MONEY)
    wealth = models.DecimalField(_("wealth products"), default=0, **MONEY)
    funds = models.DecimalField(_("funds"), default=0, **MONEY)
    insurance = models.DecimalField(_("insurance"), default=0, **MONEY)
    bonds = models.DecimalField(_("bonds"), default=0, **MONEY)
    aum_avg_daily = models.DecimalField(_("average daily AUM"), **MONEY)

    class Meta:
        verbose_name = _("monthly AUM snapshot")
        verbose_name_plural = _("monthly AUM snapshots")
        constraints = [models.UniqueConstraint(fields=["customer", "month"], name="snapshot_one_per_month")]
        indexes = [models.Index(fields=["month"])]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.month:%Y-%m}"

    @property
    def aum(self):
        return self.deposits + self.wealth + self.funds + self.insurance + self.bonds


class TierScheme(models.Model):
    """A version of the tier thresholds, in force from `effective_month` until the next scheme's."""

    name = models.CharField(_("name"), max_length=100)
    effective_month = models.DateField(_("in force from"), unique=True, help_text=_("The first day of a month."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("tier scheme")
        verbose_name_plural = _("tier schemes")
        ordering = ["-effective_month"]

    def __str__(self) -> str:
        return f"{self.name} ({self.effective_month:%Y-%m})"

    def clean(self) -> None:
        if self.effective_month and self.effective_month.day != 1:
            raise ValidationError({"effective_month": _("A scheme takes effect on the first day of a month.")})


class Tier(models.Model):
    """One tier of a scheme: customers whose average daily AUM is at least `min_aum` (元) and below the
    next tier's. `rank` orders tiers from the lowest (1); moving up or down is a change of rank, so
    migrations compare ranks, and tier codes stay the same from one scheme to the next."""

    scheme = models.ForeignKey(
        TierScheme, verbose_name=_("tier scheme"), on_delete=models.CASCADE, related_name="tiers"
    )
    code = models.CharField(_("code"), max_length=16, validators=[code_validator])
    name_zh = models.CharField(_("name (Chinese)"), max_length=20)
    name_en = models.CharField(_("name (English)"), max_length=40)
    rank = models.PositiveSmallIntegerField(_("rank"), help_text=_("1 = the lowest tier."))
    min_aum = models.DecimalField(_("from average daily AUM (元)"), **MONEY)
    is_premium = models.BooleanField(_("premium (优质客户)"), default=False)

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        ordering = ["scheme", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="tier_code_once_per_scheme"),
            models.UniqueConstraint(fields=["scheme", "rank"], name="tier_rank_once_per_scheme"),
            models.UniqueConstraint(fields=["scheme", "min_aum"], name="tier_threshold_once_per_scheme"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _localized(self.name_zh, self.name_en)


class CustomerMonth(models.Model):
    """The tiering of one customer for one month: the tier, and where the customer belonged then (home
    outlet and relationship manager), so that later moves do not rewrite history. Written by the
    monthly tiering, which replaces a month's rows whole."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    month = models.DateField(_("month"))
    # No index of its own: every read of a month's rows by outlet uses the (month, outlet) index below,
    # and keeping a second one costs the monthly tiering a third of its time (bench/customers.py).
    outlet = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False)
    relationship_manager = models.ForeignKey(
        StaffMember, null=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    tier_code = models.CharField(_("tier"), max_length=16)
    tier_rank = models.PositiveSmallIntegerField(_("tier rank"))
    aum_avg_daily = models.DecimalField(_("average daily AUM"), **MONEY)

    class Meta:
        verbose_name = _("customer tier of a month")
        verbose_name_plural = _("customer tiers by month")
        constraints = [models.UniqueConstraint(fields=["month", "customer"], name="customer_month_once")]
        indexes = [models.Index(fields=["month", "outlet"])]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.month:%Y-%m} {self.tier_code}"


class TierMigration(models.Model):
    """How many customers of an outlet (and relationship manager) went from one tier to another between
    the month before and `month`. `from_code` empty: new this month; `to_code` empty: lost (no snapshot
    this month). Written by the monthly tiering with the CustomerMonth rows it derives from."""

    month = models.DateField(_("month"))
    outlet = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    relationship_manager = models.ForeignKey(
        StaffMember, null=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    from_code = models.CharField(_("from tier"), max_length=16, blank=True)
    to_code = models.CharField(_("to tier"), max_length=16, blank=True)
    from_rank = models.PositiveSmallIntegerField(null=True)
    to_rank = models.PositiveSmallIntegerField(null=True)
    customers = models.PositiveIntegerField(_("customers"))

    class Meta:
        verbose_name = _("tier migration")
        verbose_name_plural = _("tier migrations")
        indexes = [models.Index(fields=["month", "outlet"])]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.from_code or 'new'} → {self.to_code or 'lost'}: {self.customers}"

    @property
    def movement(self) -> str:
        if not self.from_code:
            return "new"
        if not self.to_code:
            return "lost"
        if self.to_rank > self.from_rank:
            return "up"
        return "down" if self.to_rank < self.from_rank else "same"


class TieringRun(models.Model):
    """One monthly tiering, with its progress for whoever started it (command, admin or API)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    month = models.DateField(_("month"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.RUNNING)
    progress = models.PositiveSmallIntegerField(_("progress %"), default=0)
    message = models.CharField(_("message"), max_length=300, blank=True)
    customers = models.PositiveIntegerField(_("customers tiered"), default=0)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Touched as the run advances and while it waits for the tiering lock: a running run whose heartbeat
    # is older than settings.RUN_STALE_AFTER has lost its worker and is reaped (customers.services.runs).
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)

    class Meta:
        verbose_name = _("tiering run")
        verbose_name_plural = _("tiering runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.get_status_display()}"
