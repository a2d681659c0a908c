"""The points ledger (台账, issue 16): every piece of work a person does (a card opened, a merchant
visited, leaflets handed out, a referral) and every deduction (劳动纪律, 内控问题, 服务违规) written
down, scored in points, approved by the outlet head before the morning meeting (晨会) and added up as
the person's facts.

- A LedgerItem is defined by HQ in the admin: what is recorded, how many points a unit of it is worth,
  the metric its points count toward (a staff `sum` metric in points, 分), who may record it.
- A LedgerEntry is one record: so many units of an item, by a staff member on a day at an outlet,
  perhaps shared with a partner colleague (分润), pending until approved or rejected, or withdrawn (撤回)
  by the person who recorded it while it waits (a mistyped quantity: withdrawn and recorded again, the
  withdrawn one kept, counting nothing).
- The fact of (day, outlet, staff member, metric) is the sum of the points of that person's approved
  entries of items counting toward the metric (their own part, and their part of the entries they are
  the partner of): ledger.services writes it through kpi's facts_ingest (source `ledger`), so the
  rollup, the scorecards, the ranks and the alerts see it like any fact.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from branches.models import OrgUnit, _localized, code_validator
from kpi.models import Aggregation, Fact, IngestBatch, Metric, MetricUnit
from lib.numbers import plain_number
from staff.models import StaffMember

# Points: exact to ten-thousandths, as facts are, so a partner's share of 2.5 points splits exactly.
POINTS = {"max_digits": 14, "decimal_places": 4}


class ItemKind(models.TextChoices):
    """A reward adds its points; a deduction takes them away. The points per unit are written positive
    for both: the kind says the sign, so HQ never has to remember to type a minus."""

    REWARD = "reward", _("Points (加分)")
    DEDUCTION = "deduction", _("Deduction (扣分)")


class LedgerItem(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name_zh = models.CharField(_("name (Chinese)"), max_length=50)
    name_en = models.CharField(_("name (English)"), max_length=80, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=ItemKind.choices, default=ItemKind.REWARD)
    metric = models.ForeignKey(
        Metric,
        verbose_name=_("counts toward"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"aggregation": Aggregation.SUM, "unit": MetricUnit.POINTS},
        help_text=_("A staff metric that sums points (unit 分): the item's points are added to it."),
    )
    points_per_unit = models.DecimalField(
        _("points per unit"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Above 0; a deduction item takes these points away."),
    )
    unit_label = models.CharField(
        _("counted in"), max_length=8, blank=True, help_text=_("What one unit is, such as 户, 张, 笔 or 次.")
    )
    requires_customer = models.BooleanField(_("customer number required"), default=False)
    requires_evidence = models.BooleanField(_("photo required"), default=False)
    requires_approval = models.BooleanField(
        _("needs approval"),
        default=True,
        help_text=_("Without it an entry counts at once; the outlet head may still withdraw it."),
    )
    posts = models.ManyToManyField(
        "staff.Post",
        verbose_name=_("posts that may record it"),
        blank=True,
        related_name="+",
        help_text=_("Empty: every post. For a deduction: the posts it may be entered against."),
    )
    daily_cap = models.PositiveIntegerField(
        _("daily cap (units)"),
        null=True,
        blank=True,
        help_text=_("At most this many units a person a day (pending and approved entries); empty: no cap."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("ledger item")
        verbose_name_plural = _("ledger items")
        ordering = ["kind", "sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def name(self) -> str:
        return _localized(self.name_zh, self.name_en)

    @property
    def is_deduction(self) -> bool:
        return self.kind == ItemKind.DEDUCTION

    @property
    def signed_points_per_unit(self) -> Decimal:
        return -self.points_per_unit if self.is_deduction else self.points_per_unit

    def clean(self) -> None:
        if self.metric_id is None:
            return
        metric = self.metric
        problems = []
        if metric.aggregation != Aggregation.SUM:
            problems.append(_("it is not a sum (a flow)"))
        if not metric.for_staff:
            problems.append(_("it is not measured per staff member"))
        if metric.unit != MetricUnit.POINTS:
            problems.append(_("it is not counted in points (分)"))
        if problems:
            raise ValidationError(
                {
                    "metric": _("A ledger item counts toward a staff metric that sums points; %(metric)s: %(why)s.")
                    % {"metric": metric.name, "why": "; ".join(str(problem) for problem in problems)}
                }
            )


class EntryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    # By the person who recorded it, while it waited: it counts nothing and stays in the history.
    WITHDRAWN = "withdrawn", _("Withdrawn")


class LedgerEntry(models.Model):
    item = models.ForeignKey(LedgerItem, verbose_name=_("item"), on_delete=models.PROTECT, related_name="entries")
    staff = models.ForeignKey(
        StaffMember, verbose_name=_("staff member"), on_delete=models.PROTECT, related_name="ledger_entries"
    )
    unit = models.ForeignKey(OrgUnit, verbose_name=_("outlet"), on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("day"))
    quantity = models.PositiveIntegerField(_("quantity"))
    # quantity × points per unit, signed (a deduction is below 0), as it was when the entry was made.
    points = models.DecimalField(_("points"), **POINTS)
    # 分润: the partner's share (percent) of the points, from the standing split rule on the entry's day
    # (kpi.services.credit.share_for); own_points + partner_points = points, exactly.
    partner = models.ForeignKey(
        StaffMember,
        verbose_name=_("shared with"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_entries_shared",
    )
    partner_share = models.DecimalField(_("partner's share %"), max_digits=5, decimal_places=2, null=True, blank=True)
    own_points = models.DecimalField(_("own points"), **POINTS)
    partner_points = models.DecimalField(_("partner's points"), default=Decimal(0), **POINTS)
    customer_code = models.CharField(_("customer number"), max_length=32, blank=True)
    note = models.CharField(_("note or reason"), max_length=200, blank=True)
    # The photo's name in the evidence storage (ledger.evidence), never a public URL: it is streamed by
    # a view that checks the reader's scope first.
    photo = models.CharField(_("photo"), max_length=200, blank=True, editable=False)
    photo_type = models.CharField(_("photo type"), max_length=16, blank=True, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=EntryStatus.choices, default=EntryStatus.PENDING)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("entered by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_at = models.DateTimeField(_("entered"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved or rejected by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("approved or rejected"), null=True, blank=True)
    rejection_reason = models.CharField(_("reason for rejection"), max_length=200, blank=True)
    # The facts an approved entry's points are in (its staff member's; its partner's), and the batch
    # that last wrote them: entry → fact → scorecard, both ways.
    fact = models.ForeignKey(
        Fact, verbose_name=_("fact"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    partner_fact = models.ForeignKey(
        Fact, verbose_name=_("partner's fact"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    batch = models.ForeignKey(
        IngestBatch, verbose_name=_("ingest batch"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-day", "-pk"]
        indexes = [
            models.Index(fields=["unit", "day", "status"]),
            models.Index(fields=["staff", "day"]),
            models.Index(fields=["partner", "day"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="ledger_entry_quantity_positive"),
            models.CheckConstraint(condition=~Q(partner=models.F("staff")), name="ledger_entry_partner_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.staff.code} {self.item.code} × {self.quantity} = {plain_number(self.points)}"

    @property
    def has_photo(self) -> bool:
        return bool(self.photo)


class EntryChange(models.Model):
    """Who did what to an entry, and when: its audit trail (recorded, approved, rejected, its approval
    withdrawn by the approver, or the entry withdrawn by the person who recorded it)."""

    class Action(models.TextChoices):
        CREATED = "created", _("recorded")
        APPROVED = "approved", _("approved")
        AUTO_APPROVED = "auto", _("counted without approval")
        REJECTED = "rejected", _("rejected")
        WITHDRAWN = "withdrawn", _("approval withdrawn")
        ENTRY_WITHDRAWN = "entry_withdrawn", _("withdrawn by the person who recorded it")

    entry = models.ForeignKey(LedgerEntry, verbose_name=_("entry"), on_delete=models.CASCADE, related_name="changes")
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    token_name = models.CharField(_("API token"), max_length=100, blank=True)
    at = models.DateTimeField(_("when"), auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("entry change")
        verbose_name_plural = _("entry changes")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.entry_id} {self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"
