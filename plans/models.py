"""Target plans (目标计划, issue 15): targets proposed on a page before they are set.

A Plan is a draft of targets for a unit's subtree, one period and a set of metrics: HQ's year plan for a
branch, split over sub-branches, outlets and staff in one sitting, or a unit manager's Monday meeting
(周例会), where each outlet gets its ISO-week targets. Its PlanCells are the proposals (who, metric,
period, value, how the value was reached); nothing is a target until the plan is published, which
writes every cell through kpi.services.targets in one transaction (TargetChange source "plan", with the
plan in its reference).

A unit has at most one draft for a period (plan_one_draft_per_unit_period): prefilling the week or
making a plan again opens the draft that is there (plans.services.cells.plan_create). Several plans of a
unit and period are otherwise on purpose: a published plan is read only, so its targets are changed (a
review asked for, a week replanned) by a new draft beside it, made only when asked for as a revision.

A published plan asks the head of each unit that received targets to acknowledge them (签收) or to ask
for a review with a reason: a TargetAcknowledgement per plan and unit.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from branches.models import OrgUnit
from kpi.models import AMOUNT, Metric
from lib.numbers import plain_number
from lib.periods import PERIOD_KINDS, PERIOD_LABELS, Period, PeriodKind
from staff.models import StaffMember

PERIOD_KIND_CHOICES = [(kind.value, PERIOD_LABELS[kind]) for kind in PERIOD_KINDS]


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class Plan(models.Model):
    """Targets proposed for `unit`'s subtree (the unit itself, the units below it and their staff) for
    one period and a set of metrics."""

    name = models.CharField(_("name"), max_length=100)
    unit = models.ForeignKey(OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="target_plans")
    period_kind = models.CharField(_("period kind"), max_length=8, choices=PERIOD_KIND_CHOICES)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    period = models.CharField(_("period"), max_length=10, help_text=_("2027, 2027-Q1, 2027-01 or 2026-W48"))
    metrics = models.ManyToManyField(Metric, verbose_name=_("metrics"), related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    token_name = models.CharField(_("API token"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    class Meta:
        verbose_name = _("target plan")
        verbose_name_plural = _("target plans")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "period_start"])]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "period_kind", "period_start"],
                condition=Q(status=PlanStatus.DRAFT),
                name="plan_one_draft_per_unit_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.period})"

    @property
    def period_obj(self) -> Period:
        return Period(self.period_start, self.period_end, PeriodKind(self.period_kind))

    @property
    def is_draft(self) -> bool:
        return self.status == PlanStatus.DRAFT

    @property
    def published_by_name(self) -> str:
        """Who published: the login's name, or the API token's."""
        return _login_name(self.published_by) or self.token_name

    @property
    def reference(self) -> str:
        """How the target history names this plan (TargetChange.reference)."""
        return f"plan {self.pk} {self.name}"[:120]


class PlanCell(models.Model):
    """One proposed target: for a unit (staff empty) or a staff member at an outlet (`unit` is that
    outlet: where the person's row sits in the plan; the target itself follows the person, as in
    kpi.services.targets). `value` empty: nothing proposed yet. `basis`: how the value was reached, in
    the words of the page ("按 2026-10 实际", "平均分配", "手工"), shown beside it."""

    plan = models.ForeignKey(Plan, verbose_name=_("target plan"), on_delete=models.CASCADE, related_name="cells")
    unit = models.ForeignKey(OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    staff = models.ForeignKey(
        StaffMember, verbose_name=_("staff member"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    metric = models.ForeignKey(Metric, verbose_name=_("metric"), on_delete=models.PROTECT, related_name="+")
    period_kind = models.CharField(_("period kind"), max_length=8, choices=PERIOD_KIND_CHOICES)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    period = models.CharField(_("period"), max_length=10)
    value = models.DecimalField(_("proposed target"), null=True, blank=True, **AMOUNT)
    basis = models.CharField(_("basis"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("plan cell")
        verbose_name_plural = _("plan cells")
        ordering = ["plan", "unit__path", "staff__code", "metric__sort_order", "period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "unit", "metric", "period_kind", "period_start"],
                condition=Q(staff__isnull=True),
                name="plan_cell_unique_unit",
            ),
            models.UniqueConstraint(
                fields=["plan", "unit", "staff", "metric", "period_kind", "period_start"],
                condition=Q(staff__isnull=False),
                name="plan_cell_unique_staff",
            ),
        ]

    def __str__(self) -> str:
        who = self.staff.code if self.staff_id else self.unit.code
        return f"{self.period} {who} {self.metric.code} → {plain_number(self.value)}"

    @property
    def period_obj(self) -> Period:
        return Period(self.period_start, self.period_end, PeriodKind(self.period_kind))


class AcknowledgementStatus(models.TextChoices):
    PENDING = "pending", _("Not yet acknowledged")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged (已签收)")
    REVIEW = "review", _("Review requested (申请复核)")


class TargetAcknowledgement(models.Model):
    """The answer of a unit's head to the targets a published plan gave the unit (and its staff)."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("target plan"), on_delete=models.CASCADE, related_name="acknowledgements"
    )
    unit = models.ForeignKey(OrgUnit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        _("status"), max_length=12, choices=AcknowledgementStatus.choices, default=AcknowledgementStatus.PENDING
    )
    reason = models.TextField(_("reason"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("target acknowledgement")
        verbose_name_plural = _("target acknowledgements")
        ordering = ["plan", "unit__path"]
        constraints = [models.UniqueConstraint(fields=["plan", "unit"], name="acknowledgement_once_per_plan_unit")]

    def __str__(self) -> str:
        return f"{self.plan} · {self.unit} · {self.get_status_display()}"

    @property
    def answered_by_name(self) -> str:
        return _login_name(self.answered_by)


def _login_name(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""
