"""Early warning and follow-through (预警 → 整改 → 复查, issue 8).

HQ configures alert rules per metric and unit kind. The rollup evaluates them for each published day
(alerts.services.evaluation); an ongoing condition is one Alert, kept open while it lasts and closed by
the system when it clears, unless someone is working on it. An alert gets an owner, a cause, an action
plan with a deadline, and moves open → in progress → done → verified (复查), or back to reopened; every
change and comment is an AlertEvent with who and when.

The Monday review (周例会) asks every outlet that missed last week's weekly target what happened, why,
the remedy and what support it needs; its unit manager answers. An improvement plan (一点一策) holds one
outlet's measures for a period, each with an owner, a due date and progress.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from branches.models import OrgUnit, UnitKind
from kpi.models import Metric
from lib.periods import PERIOD_KINDS, PERIOD_LABELS


class RuleKind(models.TextChoices):
    BEHIND_PACE = "behind_pace", _("Behind pace for N days running")
    THRESHOLD = "threshold", _("Threshold crossed")
    SUDDEN_CHANGE = "sudden_change", _("Sudden change (k standard deviations)")
    MISSING_DATA = "missing_data", _("Facts missing by the cut-off")
    VETO = "veto", _("Veto event (一票否决)")
    FORECAST_MISS = "forecast_miss", _("Forecast: the period's target missed at this pace")
    INSPECTION = "inspection", _("Inspection finding (检查整改)")
    # Seen by an app above alerts, not by evaluating the day's figures: the complaints register reports
    # the outlets whose complaint replies are overdue (alerts.services.evaluation.alerts_report).
    OVERDUE_REPLY = "overdue_reply", _("Complaint reply overdue")


# Kinds whose alerts are raised by another app for one object each (an inspection's finding, by the
# checklists app through alerts.services.raised), not by the evaluation of published days: the evaluation
# skips their rules, and such an alert never clears by itself.
RAISED_KINDS = frozenset({RuleKind.INSPECTION})
# The kinds whose sightings another app reports (alerts_report); the day's evaluation skips them.
REPORTED_KINDS = (RuleKind.OVERDUE_REPLY,)


# A forecast rule judges nothing before this share of its period has passed, unless it says otherwise.
DEFAULT_MIN_TIME_PROGRESS = Decimal("0.3")


class Comparison(models.TextChoices):
    BELOW = "below", _("below")
    ABOVE = "above", _("above")


class Severity(models.TextChoices):
    WARNING = "warning", _("Warning")
    CRITICAL = "critical", _("Critical")


class AlertRule(models.Model):
    """What to watch, where, and when it fires.

    - behind_pace: the metric's pace-adjusted attainment for `period` is under `threshold` (e.g. 0.9)
      on `days_running` consecutive published days.
    - threshold: the metric's value for `period` (the day's, by default) is `comparison` `threshold`
      (average wait above 10 minutes, satisfaction below 85 %).
    - sudden_change: the day's value lies more than `k` standard deviations from the mean of the
      `window_days` days before (the "overdue rate suddenly rises" case); `comparison` restricts it to
      one direction, or either when blank.
    - missing_data: an outlet has no fact for the business day by `cutoff` the next morning.
    - veto: a scorecard of the day is vetoed.
    - inspection: raised by the checklists app, one alert per finding of an inspection (alerts.services.raised);
      the rule only names the kind, its severity and its days to act; it watches nothing.
    - forecast_miss (预计本期无法完成): once `min_time_progress` of the `period` has passed, the metric's
      projected attainment at this pace (kpi.selectors.comparisons: last year's curve, or the run rate)
      is under `threshold` (empty: 1.0, the target itself). A cumulative metric (sum, change) only.
    """

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=RuleKind.choices)
    metric = models.ForeignKey(
        Metric, verbose_name=_("metric"), null=True, blank=True, on_delete=models.PROTECT, related_name="alert_rules"
    )
    unit_kind = models.CharField(
        _("unit kind"), max_length=16, choices=UnitKind.choices, blank=True, help_text=_("Empty: every kind.")
    )
    period = models.CharField(
        _("period"), max_length=8, choices=[(kind.value, PERIOD_LABELS[kind]) for kind in PERIOD_KINDS], default="month"
    )
    comparison = models.CharField(_("comparison"), max_length=8, choices=Comparison.choices, blank=True)
    threshold = models.DecimalField(_("threshold"), max_digits=20, decimal_places=6, null=True, blank=True)
    days_running = models.PositiveSmallIntegerField(_("days running"), default=1)
    k = models.DecimalField(_("k (standard deviations)"), max_digits=6, decimal_places=2, null=True, blank=True)
    window_days = models.PositiveSmallIntegerField(_("trailing window (days)"), default=30)
    cutoff = models.TimeField(_("cut-off time"), null=True, blank=True)
    min_time_progress = models.DecimalField(
        _("minimum time progress"),
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        default=DEFAULT_MIN_TIME_PROGRESS,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text=_(
            "Forecast rules: judge only once this share of the period has passed, as early projections are noise "
            "(0.3 for 30 %; empty: 0.3)."
        ),
    )
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, default=Severity.WARNING)
    follow_up_days = models.PositiveSmallIntegerField(
        _("days to act"), default=7, help_text=_("The action deadline proposed when the alert opens.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """The parameters each kind needs (alerts.services.evaluation reads them as documented above)."""
        errors: dict[str, str] = {}
        needs_metric = self.kind in (
            RuleKind.BEHIND_PACE,
            RuleKind.THRESHOLD,
            RuleKind.SUDDEN_CHANGE,
            RuleKind.FORECAST_MISS,
        )
        if needs_metric and not self.metric_id:
            errors["metric"] = _("This kind of rule watches a metric: choose one.")
        elif needs_metric and not self.metric.for_units:
            errors["metric"] = _("Alerts are raised for units: choose a metric kept for units.")
        if self.kind in (RuleKind.BEHIND_PACE, RuleKind.THRESHOLD) and self.threshold is None:
            errors["threshold"] = (
                _("Give the pace-adjusted attainment to stay above, as a fraction (0.9 for 90 %).")
                if self.kind == RuleKind.BEHIND_PACE
                else _("Give the value that must not be crossed, in the metric's unit (85 for 85 %).")
            )
        if self.kind == RuleKind.BEHIND_PACE and self.days_running < 1:
            errors["days_running"] = _("At least 1 day.")
        if self.kind == RuleKind.THRESHOLD and not self.comparison:
            errors["comparison"] = _("Say whether the alert is for a value above or below the threshold.")
        if self.kind == RuleKind.SUDDEN_CHANGE:
            if self.k is None or self.k <= 0:
                errors["k"] = _("Give how many standard deviations count as sudden (3, say).")
            if self.window_days < 5:
                errors["window_days"] = _("The trailing window needs at least 5 days.")
        if self.kind == RuleKind.FORECAST_MISS:
            if self.metric_id and not self.metric.is_cumulative:
                errors["metric"] = _(
                    "A forecast is made for an amount to reach by the period's end: choose a flow or a net change."
                )
            if self.period == "day":
                errors["period"] = _("A day is over when it is published: choose a week, month, quarter or year.")
            if self.threshold is not None and self.threshold <= 0:
                errors["threshold"] = _("Give the projected attainment to stay above, as a fraction (1 for 100 %).")
        if self.kind == RuleKind.MISSING_DATA:
            if self.cutoff is None:
                errors["cutoff"] = _("Give the time of the next morning by which the facts must be in (09:00, say).")
            if self.unit_kind and self.unit_kind != UnitKind.OUTLET:
                errors["unit_kind"] = _("Facts are reported by outlets: leave it empty or choose outlets.")
            if self.metric_id and not self.metric.for_units:
                errors["metric"] = _("Alerts are raised for units: choose a metric kept for units.")
        if errors:
            raise ValidationError(errors)


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done, to be verified")
    VERIFIED = "verified", _("Verified (closed)")
    REOPENED = "reopened", _("Reopened")
    CLEARED = "cleared", _("Cleared by itself (closed)")


# Alerts someone must still act on; a rule and unit have at most one of them at a time.
ACTIVE_STATUSES = (AlertStatus.OPEN, AlertStatus.IN_PROGRESS, AlertStatus.DONE, AlertStatus.REOPENED)


class Cause(models.TextChoices):
    MARKET = "market", _("Market")
    CUSTOMER = "customer", _("Customer")
    INTERNAL = "internal", _("Internal process")


class Alert(models.Model):
    rule = models.ForeignKey(AlertRule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="alerts")
    unit = models.ForeignKey(OrgUnit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="alerts")
    metric = models.ForeignKey(
        Metric, verbose_name=_("metric"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=12, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    opened_on = models.DateField(_("first seen"))
    last_seen_on = models.DateField(_("last seen"))
    cleared_on = models.DateField(_("condition cleared"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=6, null=True, blank=True)
    detail = models.CharField(_("what was seen"), max_length=300, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_alerts",
    )
    cause = models.CharField(_("cause"), max_length=12, choices=Cause.choices, blank=True)
    action_plan = models.TextField(_("action plan (整改)"), blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    # The object another app raised this alert for (an inspection's finding), by lib.links kind and id:
    # alerts may not import the app above it, and the registry says who may see it and where its page is.
    # Empty for the alerts the evaluation opens.
    link_kind = models.CharField(_("raised for"), max_length=32, blank=True)
    link_id = models.PositiveBigIntegerField(_("raised for (id)"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-opened_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "unit"],
                condition=Q(status__in=ACTIVE_STATUSES, link_kind=""),
                name="alert_one_active_per_rule_unit",
            ),
            # An object raises one alert (an inspection's finding is rectified once, 整改 → 复查).
            models.UniqueConstraint(
                fields=["link_kind", "link_id"], condition=~Q(link_kind=""), name="alert_once_per_linked_object"
            ),
        ]
        indexes = [models.Index(fields=["status", "deadline"]), models.Index(fields=["unit", "status"])]

    def __str__(self) -> str:
        return f"{self.rule} · {self.unit_id} · {self.opened_on}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


def status_label(code: str) -> str:
    """An alert status's label. An event keeps its statuses as plain codes: with choices, the API schema
    would name a second enum of the same values (drf-spectacular's W001)."""
    return str(AlertStatus(code).label) if code in AlertStatus.values else code


class AlertEvent(models.Model):
    """One entry of an alert's history: a change of status or of its follow-up fields, or a comment."""

    alert = models.ForeignKey(Alert, verbose_name=_("alert"), on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("when"), auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty: the system (the rollup)."),
    )
    from_status = models.CharField(_("from"), max_length=12, blank=True)
    to_status = models.CharField(_("to"), max_length=12, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("alert event")
        verbose_name_plural = _("alert events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return (
            f"{self.alert_id} {self.at:%Y-%m-%d %H:%M} {status_label(self.from_status)}→{status_label(self.to_status)}"
        )


class ReviewStatus(models.TextChoices):
    TO_FILL = "to_fill", _("To fill in")
    SUBMITTED = "submitted", _("Submitted")
    ANSWERED = "answered", _("Answered")


class WeeklyReview(models.Model):
    """The Monday review (周例会) of an outlet that missed last week's weekly target(s)."""

    unit = models.ForeignKey(OrgUnit, verbose_name=_("outlet"), on_delete=models.CASCADE, related_name="reviews")
    week_start = models.DateField(_("week (Monday)"))
    missed = models.JSONField(
        _("targets missed"), default=list, help_text=_("[{metric, target, actual, attainment}, …] of the week.")
    )
    what_happened = models.TextField(_("what happened"), blank=True)
    why = models.TextField(_("why"), blank=True)
    remedy = models.TextField(_("remedy"), blank=True)
    support_needed = models.TextField(_("support needed"), blank=True)
    support_from = models.CharField(_("support from whom"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.TO_FILL)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    answer = models.TextField(_("manager's answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("weekly review")
        verbose_name_plural = _("weekly reviews")
        ordering = ["-week_start", "unit__path"]
        constraints = [models.UniqueConstraint(fields=["unit", "week_start"], name="review_once_per_outlet_week")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.week_start}"


class ImprovementPlan(models.Model):
    """一点一策: one improvement plan per outlet and period (a month, a quarter, …, as a period code)."""

    unit = models.ForeignKey(OrgUnit, verbose_name=_("outlet"), on_delete=models.CASCADE, related_name="plans")
    period = models.CharField(_("period"), max_length=10, help_text=_("2026-11, 2026-Q4 or 2026"))
    title = models.CharField(_("title"), max_length=200)
    diagnosis = models.TextField(_("diagnosis"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("improvement plan (一点一策)")
        verbose_name_plural = _("improvement plans (一点一策)")
        ordering = ["-period", "unit__path"]
        constraints = [models.UniqueConstraint(fields=["unit", "period"], name="plan_once_per_outlet_period")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.period} {self.title}"


class Measure(models.Model):
    plan = models.ForeignKey(
        ImprovementPlan,
        verbose_name=_("improvement plan (一点一策)"),
        on_delete=models.CASCADE,
        related_name="measures",
    )
    description = models.CharField(_("measure"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    due = models.DateField(_("due"), null=True, blank=True)
    progress = models.PositiveSmallIntegerField(_("progress %"), default=0)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        ordering = ["due", "pk"]
        constraints = [models.CheckConstraint(condition=Q(progress__lte=100), name="measure_progress_at_most_100")]

    def __str__(self) -> str:
        return self.description


class PeriodDone(models.Model):
    """Which periods the catch-up jobs have done (alerts.services.catch_up): the evaluation of a published
    day and the Monday review of a week, each with the rollup run it read; the missing-data check of a day
    after its cut-off. A period whose day is
    published again (a late fact) is done again; one missed (the beat or the worker was down) is made up
    by the next run. Internal bookkeeping: not shown anywhere."""

    class Job(models.TextChoices):
        EVALUATION = "evaluation"
        REVIEWS = "reviews"
        MISSING_DATA = "missing_data"

    job = models.CharField(max_length=12, choices=Job.choices)
    start = models.DateField()
    run = models.ForeignKey("kpi.RollupRun", null=True, on_delete=models.SET_NULL, related_name="+")
    done_at = models.DateTimeField(auto_now=True)

    class Meta:
        # Shown nowhere but in the list of permissions a group or a user may be given.
        verbose_name = _("catch-up job done")
        verbose_name_plural = _("catch-up jobs done")
        constraints = [models.UniqueConstraint(fields=["job", "start"], name="period_done_once")]

    def __str__(self) -> str:
        return f"{self.job} {self.start}"

    @classmethod
    def record(cls, job: str, start, run_id: int | None) -> None:
        # One statement (INSERT … ON CONFLICT DO UPDATE), safe when two workers record the same period.
        cls.objects.bulk_create(
            [cls(job=job, start=start, run_id=run_id)],
            update_conflicts=True,
            unique_fields=["job", "start"],
            update_fields=["run", "done_at"],
        )
