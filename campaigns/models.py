"""Campaigns (营销活动, issue 20): time-boxed pushes with their own rules, leaderboards and gift budgets.

The seeds run the year as a string of campaigns: 他行揽储 (deposits won from other banks), 积分送好礼
(points for gifts), 开门红 and other 阶段性营销活动, each with a product focus, a script (话术), gifts
and a leaderboard.

- A Campaign is organised by a unit (HQ for the network, a sub-branch inside its own subtree) for a
  period, over the outlets of some units of that subtree, for some posts.
- Its focus metrics (CampaignMetric) each score bonus points: so many points per unit of the metric
  (每万元 2 分), or a multiplier of a points metric (台账积分 × 1.5).
- Its targets (CampaignTarget) are per outlet and focus metric over the whole campaign window. The
  planning grid (plans) plans periods (a year, a quarter, a month, an ISO week), and a campaign runs
  from any day to any day, so its targets live here.
- Its scripts and materials (CampaignMaterial), and its gift ledger (GiftRecord): each gift given,
  checked against the budget and the per-customer limit when it is recorded (campaigns.services).
- Its score is kept beside the template's score, never merged into it: CampaignScore, one row per
  campaign, day, outlet, staff member (or none: the outlet's own fact) and focus metric, computed from
  the facts (campaigns.services.scores). Pay and scorecards never read it, so a month closed mid-
  campaign keeps its pay whatever the campaign does.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from branches.models import OrgUnit, _localized, code_validator
from kpi.models import AMOUNT, Aggregation, Metric, MetricUnit
from staff.models import StaffMember

MONEY = {"max_digits": 14, "decimal_places": 2}
BONUS = {"max_digits": 20, "decimal_places": 4}


class Theme(models.TextChoices):
    OTHER_BANK_DEPOSITS = "other_bank_deposits", _("Winning deposits from other banks (他行揽储)")
    POINTS_FOR_GIFTS = "points_for_gifts", _("Points for gifts (积分送好礼)")
    OPENING = "opening", _("Strong start of the year (开门红)")
    STAGE = "stage", _("Seasonal marketing (阶段性营销活动)")


class CampaignQuerySet(models.QuerySet):
    def running_on(self, day: datetime.date) -> CampaignQuerySet:
        return self.filter(start__lte=day, end__gte=day)


class Campaign(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name_zh = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    theme = models.CharField(_("theme"), max_length=24, choices=Theme.choices, default=Theme.STAGE)
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("organised by"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("HQ for the whole network, or a sub-branch for a campaign of its own subtree."),
    )
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    units = models.ManyToManyField(
        OrgUnit,
        verbose_name=_("units in scope"),
        blank=True,
        related_name="+",
        help_text=_("The outlets of these units take part; empty: every outlet under the organiser."),
    )
    posts = models.ManyToManyField(
        "staff.Post",
        verbose_name=_("posts taking part"),
        blank=True,
        related_name="+",
        help_text=_("Staff facts count for people in these posts on the fact's day; empty: every post."),
    )
    gift_budget = models.DecimalField(
        _("gift budget (yuan)"),
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("The value of all gifts given in the campaign, at most; 0: no gifts."),
        **MONEY,
    )
    gift_limit_per_customer = models.DecimalField(
        _("gift limit per customer (yuan)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("The value of the gifts one customer may receive in the campaign; empty: no limit."),
        **MONEY,
    )
    description = models.TextField(_("description"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    scores_refreshed_at = models.DateTimeField(_("scores computed"), null=True, blank=True, editable=False)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-start", "code"]
        constraints = [models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="campaign_end_after_start")]

    def __str__(self) -> str:
        return f"{self.name} ({self.start} – {self.end})"

    @property
    def name(self) -> str:
        return _localized(self.name_zh, self.name_en)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def clean(self) -> None:
        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": _("A campaign ends on or after the day it starts.")})


class BonusRule(models.TextChoices):
    PER_UNIT = "per_unit", _("Points per unit of the metric")
    MULTIPLIER = "multiplier", _("Multiplier of a points metric")


class CampaignMetric(models.Model):
    """A focus metric of a campaign and how it scores: `factor` points per unit of the metric (2 points
    per 万元 won from other banks), or the metric's own points (分) times `factor` (台账积分 × 1.5)."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="lines")
    metric = models.ForeignKey(
        Metric,
        verbose_name=_("focus metric"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"aggregation": Aggregation.SUM},
    )
    rule = models.CharField(_("bonus rule"), max_length=10, choices=BonusRule.choices, default=BonusRule.PER_UNIT)
    factor = models.DecimalField(
        _("points per unit or multiplier"),
        max_digits=10,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0.0001"))],
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("focus metric")
        verbose_name_plural = _("focus metrics")
        ordering = ["sort_order", "pk"]
        constraints = [models.UniqueConstraint(fields=["campaign", "metric"], name="campaign_metric_once")]

    def __str__(self) -> str:
        return f"{self.metric.code} × {self.factor}"

    def clean(self) -> None:
        if self.metric_id is None:
            return
        if self.metric.aggregation != Aggregation.SUM:
            raise ValidationError(
                {"metric": _("A focus metric is a flow (a sum of daily facts), so the campaign window adds it up.")}
            )
        if self.rule == BonusRule.MULTIPLIER and self.metric.unit != MetricUnit.POINTS:
            raise ValidationError(
                {
                    "rule": _(
                        "A multiplier multiplies points: choose a metric counted in points (分), or points per unit."
                    )
                }
            )


class CampaignTarget(models.Model):
    """An outlet's target for a focus metric over the whole campaign window."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="targets")
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("outlet"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": "outlet"},
    )
    metric = models.ForeignKey(Metric, verbose_name=_("metric"), on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(_("target"), validators=[MinValueValidator(Decimal("0.0001"))], **AMOUNT)

    class Meta:
        verbose_name = _("campaign target")
        verbose_name_plural = _("campaign targets")
        ordering = ["unit__path", "metric__sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "unit", "metric"], name="campaign_target_once"),
        ]

    def __str__(self) -> str:
        return f"{self.unit.code} {self.metric.code} {self.value}"


class MaterialKind(models.TextChoices):
    SCRIPT = "script", _("Script (话术)")
    MATERIAL = "material", _("Material (宣传物料)")
    GIFT = "gift", _("Gift list (礼品)")


class CampaignMaterial(models.Model):
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="materials"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=MaterialKind.choices, default=MaterialKind.SCRIPT)
    title = models.CharField(_("title"), max_length=80)
    body = models.TextField(_("text"), blank=True)
    url = models.URLField(_("link"), blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("script or material")
        verbose_name_plural = _("scripts and materials")
        ordering = ["sort_order", "pk"]

    def __str__(self) -> str:
        return self.title


class GiftRecord(models.Model):
    """A gift given to a customer in a campaign: what, worth how much, by whom, at which outlet, when."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="gifts")
    unit = models.ForeignKey(OrgUnit, verbose_name=_("outlet"), on_delete=models.PROTECT, related_name="+")
    staff = models.ForeignKey(
        StaffMember, verbose_name=_("staff member"), on_delete=models.PROTECT, related_name="campaign_gifts"
    )
    day = models.DateField(_("day"))
    customer_code = models.CharField(_("customer number"), max_length=32)
    customer_name = models.CharField(_("customer name"), max_length=40, blank=True)
    item = models.CharField(_("gift"), max_length=60)
    value = models.DecimalField(_("value (yuan)"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY)
    note = models.CharField(_("note"), max_length=200, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("entered by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_at = models.DateTimeField(_("entered"), auto_now_add=True)

    class Meta:
        verbose_name = _("gift given")
        verbose_name_plural = _("gift ledger")
        ordering = ["-day", "-pk"]
        indexes = [
            models.Index(fields=["campaign", "customer_code"]),
            models.Index(fields=["campaign", "unit"]),
        ]
        constraints = [models.CheckConstraint(condition=Q(value__gt=0), name="gift_value_positive")]

    def __str__(self) -> str:
        return f"{self.day} {self.unit.code} {self.item} {self.value}"


class CampaignScore(models.Model):
    """A day's campaign score of an outlet (staff empty: the outlet's own fact) or of a staff member at the
    outlet where the fact is, for one focus metric: the fact's value and the bonus it earns. Written by
    campaigns.services.scores only; a day of a closed month is not rewritten."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="scores")
    day = models.DateField(_("day"))
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+", db_index=False)
    staff = models.ForeignKey(StaffMember, null=True, on_delete=models.CASCADE, related_name="+", db_index=False)
    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="+", db_index=False)
    value = models.DecimalField(_("value"), **AMOUNT)
    bonus = models.DecimalField(_("bonus points"), **BONUS)

    class Meta:
        verbose_name = _("campaign score")
        verbose_name_plural = _("campaign scores")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "day", "unit", "metric"],
                condition=Q(staff__isnull=True),
                name="campaign_score_unit_day",
            ),
            models.UniqueConstraint(
                fields=["campaign", "day", "unit", "staff", "metric"],
                condition=Q(staff__isnull=False),
                name="campaign_score_staff_day",
            ),
        ]
        indexes = [models.Index(fields=["campaign", "staff", "unit"])]

    def __str__(self) -> str:
        who = self.staff.code if self.staff_id else self.unit.code
        return f"{self.day} {who} {self.metric.code} +{self.bonus}"
