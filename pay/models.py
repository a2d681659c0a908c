"""Performance pay (绩效工资, issue 16): the rules HQ sets per scorecard template, and the pay sheets a month's
close stores.

A PayRule is the pay of one scorecard template (by its code, so every version of the template) from a
month on: a value per point of the month's score (每分 X 元), piece rates per metric tiered by volume
(计件, marginal tiers: pay.arithmetic), gates (a veto, a minimum score) and a cap per person and month.
A TeamPool is an amount a unit shares among its staff by score. A PaySheet is one person's pay of one
month with every line it rests on (PaySheetLine); pay.services.sheets computes them from the month's
frozen scorecards (kpi's month close) and stores them when a unit's pay is closed.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from branches.models import OrgUnit, code_validator
from kpi.models import Metric
from lib.numbers import plain_number
from staff.models import StaffMember

MONEY = {"max_digits": 12, "decimal_places": 2}
VOLUME = {"max_digits": 20, "decimal_places": 4}
NOT_NEGATIVE = [MinValueValidator(Decimal(0))]


class PayRule(models.Model):
    """The pay of the staff scored by one scorecard template (考核方案), from a month on. The rule in force
    for a month is the latest that starts in or before it, so a month already paid is reproduced by the
    rule it was paid by: a rule a stored pay sheet rests on is not changed any more (pay.admin)."""

    template_code = models.CharField(
        _("scorecard template"),
        max_length=48,
        validators=[code_validator],
        help_text=_("The code of the scorecard template (every version of it) whose staff this rule pays."),
    )
    effective_from = models.DateField(_("effective from"), help_text=_("The first day of the first month it pays."))
    yuan_per_point = models.DecimalField(
        _("value per point (元)"), validators=NOT_NEGATIVE, help_text=_("每分 X 元: the month's score × this."), **MONEY
    )
    min_score = models.DecimalField(
        _("minimum score"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=NOT_NEGATIVE,
        help_text=_("Below this score the month's performance pay is not paid (a gate); empty: no minimum."),
    )
    veto_zeroes_pay = models.BooleanField(
        _("a veto zeroes the performance pay"),
        default=True,
        help_text=_(
            "一票否决: a vetoed scorecard is paid no points, no piece rates and no pool share. Unticked, its "
            "piece rates are still paid (its score, 0, earns neither points nor a pool share)."
        ),
    )
    monthly_cap = models.DecimalField(
        _("cap per person and month (元)"),
        null=True,
        blank=True,
        validators=NOT_NEGATIVE,
        help_text=_("封顶: the month's performance pay is cut to this; empty: no cap."),
        **MONEY,
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("pay rule")
        verbose_name_plural = _("pay rules")
        ordering = ["template_code", "-effective_from"]
        constraints = [models.UniqueConstraint(fields=["template_code", "effective_from"], name="pay_rule_once")]

    def __str__(self) -> str:
        return f"{self.template_code} ≥ {self.effective_from:%Y-%m}"


class PieceRate(models.Model):
    """计件: a staff metric's month volume (its scorecard line's actual, shared credit included) paid by
    tiers of volume (PieceRateTier), marginal like tax brackets (pay.arithmetic)."""

    rule = models.ForeignKey(PayRule, verbose_name=_("pay rule"), on_delete=models.CASCADE, related_name="piece_rates")
    metric = models.ForeignKey(
        Metric,
        verbose_name=_("metric"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"aggregation": "sum", "level__in": ("staff", "both")},
        help_text=_("A staff metric that adds up over the month (sign-ups, sales, visits)."),
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("piece rate")
        verbose_name_plural = _("piece rates")
        ordering = ["rule", "sort_order", "pk"]
        constraints = [models.UniqueConstraint(fields=["rule", "metric"], name="piece_rate_metric_once")]

    def __str__(self) -> str:
        return f"{self.rule}: {self.metric.code}"


class PieceRateTier(models.Model):
    """Units from `from_volume` up to `to_volume` (empty: and above) pay `yuan_per_unit` each."""

    piece_rate = models.ForeignKey(
        PieceRate, verbose_name=_("piece rate"), on_delete=models.CASCADE, related_name="tiers"
    )
    from_volume = models.DecimalField(_("volume from"), default=Decimal(0), validators=NOT_NEGATIVE, **VOLUME)
    to_volume = models.DecimalField(
        _("volume up to"), null=True, blank=True, help_text=_("Empty: and above (the last tier)."), **VOLUME
    )
    yuan_per_unit = models.DecimalField(_("元 per unit"), validators=NOT_NEGATIVE, **MONEY)

    class Meta:
        verbose_name = _("volume tier")
        verbose_name_plural = _("volume tiers")
        ordering = ["piece_rate", "from_volume"]

    def __str__(self) -> str:
        upper = plain_number(self.to_volume) if self.to_volume is not None else "∞"
        return f"{plain_number(self.from_volume)}–{upper}: {self.yuan_per_unit}"


class TeamPool(models.Model):
    """团队奖金池: an amount a unit shares among its staff with a pay sheet (those whose outlet is in its
    subtree), in proportion to their month's scores; a gated person has no share."""

    unit = models.ForeignKey(OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    amount = models.DecimalField(_("amount (元)"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("team pool")
        verbose_name_plural = _("team pools")
        ordering = ["-month", "unit__path"]
        constraints = [models.UniqueConstraint(fields=["unit", "month"], name="team_pool_once")]

    def __str__(self) -> str:
        return f"{self.unit.code} {self.month:%Y-%m} {self.amount}"


class LineKind(models.TextChoices):
    POINTS = "points", _("Points (score × value per point)")
    PIECE_RATE = "piece_rate", _("Piece rate (计件)")
    POOL = "pool", _("Team pool share")
    CAP = "cap", _("Cap (封顶)")
    CARRY_OVER = "carry_over", _("Carried over (上月补记)")


class Gate(models.TextChoices):
    VETO = "veto", _("Vetoed (一票否决)")
    MIN_SCORE = "min_score", _("Below the minimum score")


class PaySheetQuerySet(models.QuerySet):
    def of_month(self, month: datetime.date) -> PaySheetQuerySet:
        return self.filter(month=month.replace(day=1))


class PaySheet(models.Model):
    """One person's pay of one month, stored when their unit's pay was closed: what the month's frozen
    scorecard said (score, veto, rank; the scorecard's day and template), every line with what it rests
    on, and the total. Never recomputed: a correction of the month after it was closed is paid as a
    carry-over line of a later month (上月补记)."""

    month = models.DateField(_("month"))
    staff = models.ForeignKey(StaffMember, verbose_name=_("staff member"), on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("outlet"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Where the person worked on the month's last day, under the post of their template."),
    )
    rule = models.ForeignKey(
        PayRule, verbose_name=_("pay rule"), null=True, blank=True, on_delete=models.PROTECT, related_name="sheets"
    )
    template_code = models.CharField(_("scorecard template"), max_length=48, blank=True)
    template_from = models.DateField(_("template version"), null=True, blank=True)
    scorecard_date = models.DateField(_("scorecard of"), null=True, blank=True)
    score = models.DecimalField(_("score"), max_digits=10, decimal_places=4, null=True, blank=True)
    vetoed = models.BooleanField(_("vetoed"), default=False)
    veto_reason = models.CharField(_("veto reason"), max_length=300, blank=True)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    rank_of = models.PositiveIntegerField(_("ranked"), null=True, blank=True)
    total = models.DecimalField(_("total (元)"), **MONEY)
    carried = models.DecimalField(_("carried over (元)"), default=Decimal(0), **MONEY)
    closed_at = models.DateTimeField(_("closed"))
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = PaySheetQuerySet.as_manager()

    class Meta:
        verbose_name = _("pay sheet")
        verbose_name_plural = _("pay sheets")
        ordering = ["-month", "unit__path", "staff__code"]
        constraints = [models.UniqueConstraint(fields=["staff", "month"], name="pay_sheet_once")]
        indexes = [models.Index(fields=["month", "unit"])]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.staff_id}"

    @property
    def month_code(self) -> str:
        return f"{self.month:%Y-%m}"

    @property
    def base_total(self) -> Decimal:
        """The month's own pay: the total without what it carries over from earlier months."""
        return self.total - self.carried


class PaySheetLine(models.Model):
    """A line of a pay sheet: its amount and what it rests on (the metric and its volume, the tiers, the
    rate, the score, the pool; `basis` keeps the arithmetic as exact decimal strings). A gated line
    keeps its gross amount and says which gate zeroed it."""

    sheet = models.ForeignKey(PaySheet, verbose_name=_("pay sheet"), on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    kind = models.CharField(_("kind"), max_length=12, choices=LineKind.choices)
    metric = models.ForeignKey(
        Metric, verbose_name=_("metric"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    volume = models.DecimalField(_("volume"), null=True, blank=True, **VOLUME)
    rate = models.DecimalField(_("rate"), max_digits=14, decimal_places=4, null=True, blank=True)
    gross = models.DecimalField(_("before gates (元)"), **MONEY)
    amount = models.DecimalField(_("amount (元)"), **MONEY)
    gate = models.CharField(_("gate"), max_length=10, choices=Gate.choices, blank=True)
    source_month = models.DateField(_("month corrected"), null=True, blank=True)
    basis = models.JSONField(_("basis"), default=dict, blank=True)

    class Meta:
        verbose_name = _("pay sheet line")
        verbose_name_plural = _("pay sheet lines")
        ordering = ["sheet", "position"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="carry_over", source_month__isnull=False) | ~Q(kind="carry_over"),
                name="pay_line_carry_over_names_its_month",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"


class PayClose(models.Model):
    """Who closed the pay of which unit and month, when, and how many sheets it stored (the log of
    pay.services.sheets.pay_close; a rerun that finds every sheet stored records nothing)."""

    unit = models.ForeignKey(OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"))
    at = models.DateTimeField(_("when"), auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sheets = models.PositiveIntegerField(_("sheets stored"))
    total = models.DecimalField(_("total (元)"), max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("pay close")
        verbose_name_plural = _("pay closes")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month:%Y-%m} {self.at:%Y-%m-%d %H:%M}"
