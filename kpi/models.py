"""Metrics, facts, targets and the rollup's results (DOMAIN.md §3–4).

Facts are daily values at the level where they are reported: an outlet's own fact (staff empty) or a
staff member's fact at an outlet. The rollup turns them into scorecards for every unit (units above
outlets add up their subtree) and every staff member, for the day, week, month, quarter and year to
date. Results are written under a RollupRun and published by switching RollupDay.published_run, so a
reader sees a day's previous results until the new ones are complete.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from fractions import Fraction

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.models import Area, OrgUnit, OutletFormat, _localized, code_validator
from lib.numbers import plain_number
from lib.periods import FIRST_DAY, LAST_DAY, PERIOD_KINDS, PERIOD_LABELS, BusinessCalendar
from staff.models import Post, StaffMember

AMOUNT = {"max_digits": 20, "decimal_places": 4}
FRACTION = {"max_digits": 18, "decimal_places": 6}
# A partner's share of a sale (分润), in percent with four decimals: 30 means 30 %, 33.3333 a third.
SHARE = {"max_digits": 7, "decimal_places": 4}


class Aggregation(models.TextChoices):
    SUM = "sum", _("Sum (flow)")
    LAST = "last", _("Last value (stock)")
    AVERAGE = "average", _("Daily average (日均)")
    CHANGE = "change", _("Net change (净增)")
    RATIO = "ratio", _("Ratio")


# Kinds whose target is an amount to reach by period end; the others are a level to reach and hold.
CUMULATIVE = frozenset({Aggregation.SUM, Aggregation.CHANGE})
BASE_KINDS = frozenset({Aggregation.SUM, Aggregation.LAST})


class Direction(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


class Level(models.TextChoices):
    OUTLET = "outlet", _("Units")
    STAFF = "staff", _("Staff")
    BOTH = "both", _("Units and staff")


class MetricUnit(models.TextChoices):
    WAN_YUAN = "万元", _("万元 (10,000 CNY)")
    HOUSEHOLDS = "户", _("户 (accounts)")
    TRANSACTIONS = "笔", _("笔 (transactions)")
    PEOPLE = "人", _("人 (people)")
    ITEMS = "件", _("件 (items)")
    MINUTES = "分钟", _("分钟 (minutes)")
    PERCENT = "%", _("% (percent)")
    # Points of the points ledger (台账积分): a staff `sum` metric whose facts only the ledger writes (the
    # day's net points of a person: rewards less deductions, so a day's fact may be below 0).
    POINTS = "分", _("分 (points)")


class TimeBasis(models.TextChoices):
    """What a metric's time progress (时间进度) counts: calendar days (DOMAIN.md §4, the default) or
    business days on the bank's calendar (CalendarDay); lib.periods.period_timing has the rule."""

    CALENDAR = "calendar", _("Calendar days")
    BUSINESS = "business", _("Business days")


class Category(models.TextChoices):
    DEPOSITS = "deposits", _("Deposits")
    LOANS = "loans", _("Loans and risk")
    CHANNELS = "channels", _("Channels")
    SERVICE = "service", _("Service")
    MARKETING = "marketing", _("Marketing")
    CUSTOMERS = "customers", _("Customers")
    COMPLIANCE = "compliance", _("Compliance")


class Metric(models.Model):
    code = models.CharField(_("code"), max_length=48, unique=True, validators=[code_validator])
    name_zh = models.CharField(_("name (Chinese)"), max_length=50)
    name_en = models.CharField(_("name (English)"), max_length=80)
    unit = models.CharField(_("unit"), max_length=8, choices=MetricUnit.choices)
    aggregation = models.CharField(_("aggregation"), max_length=8, choices=Aggregation.choices)
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices, default=Direction.HIGHER)
    level = models.CharField(_("level"), max_length=8, choices=Level.choices, default=Level.OUTLET)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices, default=Category.DEPOSITS)
    base = models.ForeignKey(
        "self",
        verbose_name=_("base metric"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="derived",
        help_text=_("For a daily average or a net change: the stock (last value) it is computed from."),
    )
    numerator = models.ForeignKey(
        "self", verbose_name=_("numerator"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    denominator = models.ForeignKey(
        "self", verbose_name=_("denominator"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    time_basis = models.CharField(
        _("time progress in"),
        max_length=8,
        choices=TimeBasis.choices,
        default=TimeBasis.CALENDAR,
        help_text=_(
            "Business days: time progress and what each remaining day must bring count the working days of "
            "the bank's calendar (holidays and make-up working days) instead of calendar days."
        ),
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("metric")
        verbose_name_plural = _("metrics")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def name(self) -> str:
        return _localized(self.name_zh, self.name_en)

    @property
    def takes_facts(self) -> bool:
        return self.aggregation in BASE_KINDS

    @property
    def is_cumulative(self) -> bool:
        return self.aggregation in CUMULATIVE

    @property
    def for_units(self) -> bool:
        return self.level in (Level.OUTLET, Level.BOTH)

    @property
    def for_staff(self) -> bool:
        return self.level in (Level.STAFF, Level.BOTH)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        kind = self.aggregation
        if kind == Aggregation.RATIO:
            if not self.numerator_id:
                errors["numerator"] = _("A ratio names its numerator metric.")
            if not self.denominator_id:
                errors["denominator"] = _("A ratio names its denominator metric.")
            for name in ("numerator", "denominator"):
                part = getattr(self, name) if getattr(self, f"{name}_id") else None
                if part is not None and part.aggregation == Aggregation.RATIO:
                    errors[name] = _("A ratio's parts must not be ratios themselves.")
                if part is not None and part.pk == self.pk:
                    errors[name] = _("A ratio cannot be made of itself.")
        elif self.numerator_id or self.denominator_id:
            errors["numerator"] = _("Only a ratio has a numerator and a denominator.")
        if kind in (Aggregation.AVERAGE, Aggregation.CHANGE):
            if not self.base_id:
                errors["base"] = _("A daily average or a net change names its base metric.")
            elif self.base.aggregation != Aggregation.LAST:
                errors["base"] = _("The base metric must be a stock (aggregation 'last').")
        elif self.base_id:
            errors["base"] = _("Only a daily average or a net change has a base metric.")
        if errors:
            raise ValidationError(errors)

    def components(self) -> list[Metric]:
        """The base metrics whose facts this metric is computed from."""
        if self.aggregation == Aggregation.RATIO:
            return [self.numerator, self.denominator]
        if self.aggregation in (Aggregation.AVERAGE, Aggregation.CHANGE):
            return [self.base]
        return [self]


class IngestBatchQuerySet(models.QuerySet):
    def delete(self):
        """Unlink each batch's facts (batch set to empty, as SET_NULL would), then delete the batches. Asked
        within each batch's dates: facts_ingest sets a fact's batch only on facts of the batch's days, and
        no index carries batch_id (Fact.batch), so the collector's `batch_id IN (…)` would read the whole
        fact table. Nothing deletes a batch today (its admin is read-only); this keeps one correct."""
        with transaction.atomic():
            for batch in self.only("pk", "first_date", "last_date"):
                batch.unlink_facts()
            return super().delete()


class IngestBatch(models.Model):
    """One delivery of facts (a file or an API call): what came in, from whom, and what it changed."""

    objects = IngestBatchQuerySet.as_manager()

    class Source(models.TextChoices):
        CSV = "csv", _("CSV file")
        API = "api", _("API")
        DEMO = "demo", _("Demo data")
        TIERING = "tiering", _("Customer tiering")
        LEDGER = "ledger", _("Points ledger")
        REFERRAL = "referral", _("Referrals (转介)")
        CHECKLISTS = "checks", _("Patrols and inspections")
        OUTREACH = "outreach", _("Customer outreach")
        COMPLAINTS = "complaints", _("Complaints register")

    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    label = models.CharField(_("label"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("received"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    token_name = models.CharField(_("API token"), max_length=100, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    first_date = models.DateField(_("first date"), null=True, blank=True)
    last_date = models.DateField(_("last date"), null=True, blank=True)

    class Meta:
        verbose_name = _("ingest batch")
        verbose_name_plural = _("ingest batches")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_source_display()} {self.created_at:%Y-%m-%d %H:%M}"

    def unlink_facts(self) -> int:
        """Set the batch of the facts it last wrote to empty (within its dates: Fact.objects.of_batch)."""
        return Fact.objects.of_batch(self).update(batch=None)

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            self.unlink_facts()
            return super().delete(*args, **kwargs)


class FactQuerySet(models.QuerySet):
    def of_batch(self, batch: IngestBatch | None) -> FactQuerySet:
        """The facts `batch` last wrote: its id, asked within its first and last date, so the read goes by
        the fact's date-leading key (batch_id carries no index: Fact.batch). facts_ingest writes a fact's
        batch only on the batch's days; a batch that wrote nothing (no dates), or none, has no facts."""
        if batch is None or batch.first_date is None or batch.last_date is None:
            return self.none()
        return self.filter(date__gte=batch.first_date, date__lte=batch.last_date, batch_id=batch.pk)


class Fact(models.Model):
    """A daily value (DOMAIN.md §3). Written only by kpi.services.facts.facts_ingest, which checks every
    code against the units, staff and metrics it read (an unknown code is refused with its line): the
    foreign keys therefore carry no database constraint (`db_constraint=False`). A deferred constraint
    checked every row of a 500,000-fact load again at commit, a third of the load's time, protecting
    nothing the service had not checked; deleting a unit, staff member or metric that has facts is still
    refused by on_delete=PROTECT (Django asks before it deletes). Each index names the queries it serves:
    an index is paid for on every fact written (issue 21)."""

    date = models.DateField(_("date"))
    # Leads fact_unit_metric_date (below); no index of its own.
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="facts",
        db_constraint=False,
        db_index=False,
    )
    # Indexed by fact_staff_date (below, partial: staff facts only), not on its own.
    staff = models.ForeignKey(
        StaffMember,
        verbose_name=_("staff member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="facts",
        db_constraint=False,
        db_index=False,
    )
    # Second in fact_unit_metric_date and last in fact_unique_key (below); no index of its own.
    metric = models.ForeignKey(
        Metric,
        verbose_name=_("metric"),
        on_delete=models.PROTECT,
        related_name="facts",
        db_constraint=False,
        db_index=False,
    )
    value = models.DecimalField(_("value"), **AMOUNT)
    # No index (issue 21): every write of a fact sets its batch, so an index on it would make every update
    # touch every index of the table (no HOT update). The facts of a batch are asked within the batch's
    # dates instead (Fact.objects.of_batch: GET /api/v1/facts/?batch=ID), through the date-leading key;
    # deleting a batch (nothing does: its admin is read-only) unlinks its facts the same way
    # (IngestBatchQuerySet.delete, IngestBatch.delete), not through the collector's batch_id IN (…).
    batch = models.ForeignKey(
        IngestBatch,
        verbose_name=_("ingest batch"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="facts",
        db_constraint=False,
        db_index=False,
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = FactQuerySet.as_manager()

    class Meta:
        verbose_name = _("fact")
        verbose_name_plural = _("facts")
        constraints = [
            # The fact's one key: (date, unit, staff, metric), an outlet's own fact (no staff) counting as staff
            # 0, which no staff member has (ids start at 1). One index on both databases: PostgreSQL's UNIQUE
            # NULLS NOT DISTINCT (Django's nulls_distinct=False) is not created on SQLite at all (Django
            # skips it there, warning models.W047), and two partial keys made two indexes to keep and two
            # upserts. It is the arbiter of facts_ingest's upsert (ON CONFLICT, kpi.services.facts._WRITE) and,
            # led by the date, serves the reads by day: the rollup's facts of a day and of a window
            # (kpi.services.rollup: date = D, date BETWEEN …), facts_ingest's stored facts of a batch
            # (_existing_facts: date BETWEEN, metric IN), a batch's facts (Fact.objects.of_batch: date BETWEEN
            # the batch's first and last date), freshness (unit = U, date IN the habit weeks), alerts' missing
            # data, referrals' and outreach's facts of their days. (The facts API's date_from/date_to page is
            # planned as a walk of the primary key, which meets the history first: README "### Ingest".) A
            # read by date and a few metrics walks the day's entries of this index, checking the metric in
            # the index (EXPLAIN: bench/ingest.py).
            models.UniqueConstraint(
                F("date"), F("unit"), Coalesce(F("staff"), Value(0)), F("metric"), name="fact_unique_key"
            ),
        ]
        indexes = [
            # Reads by unit, and by metric over a set of units (issue 21: one index where (metric, unit, date)
            # and (unit, date) were, each paid on every fact written): PROTECT's check before a unit is
            # deleted (unit_id IN …), the facts API's ?unit=&metric=, and the reads the planner drives from
            # their units, probing (unit, metric) and the dates here: decomposition's outlet facts under a
            # unit (metric = M, unit path), campaigns' facts of their outlets (metric IN, unit IN, date
            # BETWEEN), the ledger's facts of its entries. Reads by day go by fact_unique_key, checking the
            # unit or metric in its entries of the day: alerts' missing data (date IN the day and its habit
            # weeks, metric IN), freshness (unit = U, date IN), a fanned-out part's day. A read of a metric
            # alone has no index: the rollup's carried balances of a fold from scratch (metric IN the stocks,
            # every earlier date) and PROTECT's check before a metric is deleted read the table (a metric's
            # facts lie on every page of it). Plans: bench/ingest.py --history-days 40 --analyze.
            models.Index(fields=["unit", "metric", "date"], name="fact_unit_metric_date"),
            # Pay sheets' late facts (staff_id IN …, date BETWEEN), the facts API's ?staff=, PROTECT's check
            # before a staff member is deleted. Partial: outlet facts (staff empty) are never asked by staff.
            models.Index(fields=["staff", "date"], condition=Q(staff__isnull=False), name="fact_staff_date"),
        ]

    def __str__(self) -> str:
        who = self.staff.code if self.staff_id else self.unit.code
        return f"{self.date} {who} {self.metric.code}={plain_number(self.value)}"


class Target(models.Model):
    """A target for a unit or a staff member, for one metric and one period (year, quarter, month, week,
    or a day). For cumulative kinds it is the amount to reach by period end; otherwise a level."""

    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.CASCADE, related_name="targets"
    )
    staff = models.ForeignKey(
        StaffMember,
        verbose_name=_("staff member"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="targets",
    )
    metric = models.ForeignKey(Metric, verbose_name=_("metric"), on_delete=models.PROTECT, related_name="targets")
    period_kind = models.CharField(
        _("period kind"), max_length=8, choices=[(kind.value, PERIOD_LABELS[kind]) for kind in PERIOD_KINDS]
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    period = models.CharField(_("period"), max_length=10, help_text=_("2026, 2026-Q4, 2026-11 or 2026-W48"))
    value = models.DecimalField(_("target"), **AMOUNT)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Set on the parts of a decomposition (指标分解), so splitting the same target again replaces the
    # earlier parts (kpi.services.decomposition). Deleting the parent keeps the parts as plain targets.
    split_from = models.ForeignKey(
        "self",
        verbose_name=_("split from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="parts",
        editable=False,
    )

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["period_start", "metric__sort_order"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__isnull=True, staff__isnull=False) | Q(unit__isnull=False, staff__isnull=True),
                name="target_unit_xor_staff",
            ),
            models.UniqueConstraint(
                fields=["unit", "metric", "period_kind", "period_start"],
                condition=Q(staff__isnull=True),
                name="target_unique_unit",
            ),
            models.UniqueConstraint(
                fields=["staff", "metric", "period_kind", "period_start"],
                condition=Q(unit__isnull=True),
                name="target_unique_staff",
            ),
        ]
        indexes = [models.Index(fields=["period_kind", "period_start"])]

    def __str__(self) -> str:
        who = self.staff.code if self.staff_id else self.unit.code
        return f"{self.period} {who} {self.metric.code} → {plain_number(self.value)}"


class TargetChange(models.Model):
    """Audit trail: every change to a target, with who, when, where from and the old value."""

    class Source(models.TextChoices):
        ADMIN = "admin", _("Administration")
        API = "api", _("API")
        CSV = "csv", _("CSV file")
        SPLIT = "split", _("Split (指标分解)")
        PLAN = "plan", _("Target plan")

    target = models.ForeignKey(
        Target, verbose_name=_("target"), null=True, on_delete=models.SET_NULL, related_name="changes"
    )
    metric_code = models.CharField(_("metric"), max_length=48)
    entity_code = models.CharField(_("unit or staff"), max_length=32)
    period = models.CharField(_("period"), max_length=10)
    old_value = models.DecimalField(_("old value"), null=True, blank=True, **AMOUNT)
    new_value = models.DecimalField(_("new value"), null=True, blank=True, **AMOUNT)
    changed_at = models.DateTimeField(_("changed"), auto_now_add=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    token_name = models.CharField(_("API token"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    # Where the change came from beyond its source, in words: the target plan that published it
    # ("plan 12 2027 年度存款计划"). Text, because the apps that write it sit above kpi.
    reference = models.CharField(_("reference"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("target change")
        verbose_name_plural = _("target changes")
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        # "—" for a target that did not exist before (or no longer does): a reader sees no "None", and
        # no stored column's trailing zeros ("2500", not "2500.0000").
        old, new = (plain_number(value) for value in (self.old_value, self.new_value))
        return f"{self.period} {self.entity_code} {self.metric_code}: {old} → {new}"


class RollupRun(models.Model):
    """One computation of one business day. Its results are visible once it is the day's published run."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        PUBLISHED = "published", _("Published")
        FAILED = "failed", _("Failed")
        SUPERSEDED = "superseded", _("Superseded")
        SKIPPED = "skipped", _("Skipped (month closed)")

    date = models.DateField(_("business date"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress %"), default=0)
    message = models.CharField(_("message"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("queued"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    chained = models.BooleanField(_("from the previous day"), default=False)
    scorecards = models.PositiveIntegerField(_("scorecards"), default=0)
    lines = models.PositiveIntegerField(_("lines"), default=0)
    facts_loaded_at = models.DateTimeField(_("latest fact received"), null=True, blank=True)
    # Touched as a running run advances and while it waits for the rollup lock: a run whose heartbeat is
    # older than settings.RUN_STALE_AFTER has lost its worker (kpi.services.runs).
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    # When a later publication of the day passed this run by and its rows (scorecards, lines, running
    # totals) were removed (kpi.retention.passed_by_discard): such a run is not looked at again, and a
    # fanned-out part of it that was still running writes nothing (kpi.services.fanout.part_run).
    discarded_at = models.DateTimeField(_("rows removed"), null=True, blank=True)

    class Meta:
        verbose_name = _("rollup run")
        verbose_name_plural = _("rollup runs")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["date", "status"])]

    def __str__(self) -> str:
        return f"{self.date} #{self.pk} {self.get_status_display()}"


class RollupDayQuerySet(models.QuerySet):
    def published(self, *, on: datetime.date | None = None) -> RollupDayQuerySet:
        """The days that have a published run (the one day `on`, if given)."""
        days = self.exclude(published_run=None)
        return days if on is None else days.filter(date=on)

    def runs(self) -> models.QuerySet:
        """The published runs of these days, as a subquery: `run__in=RollupDay.objects.published().runs()`."""
        return self.values("published_run")


class RollupDay(models.Model):
    """The published state of a business day. `stale_since` is set when a fact on or before this day
    changed after it was published; the next rollup recomputes it.

    `stale_version` counts those changes: a rollup notes it before it reads anything and clears
    `stale_since` only if it has not moved by the time it publishes (a compare-and-swap), so a fact that
    arrives while the day computes leaves it stale for the next rollup instead of being lost. The row
    exists from the start of the day's first rollup, so that such a fact has a row to mark."""

    date = models.DateField(_("business date"), unique=True)
    published_run = models.ForeignKey(RollupRun, null=True, on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    stale_since = models.DateTimeField(_("stale since"), null=True, blank=True)
    stale_version = models.PositiveBigIntegerField(_("changes since first rolled up"), default=0)

    objects = RollupDayQuerySet.as_manager()

    class Meta:
        verbose_name = _("rolled-up day")
        verbose_name_plural = _("rolled-up days")
        ordering = ["-date"]

    def __str__(self) -> str:
        return str(self.date)


class RollupState(models.Model):
    """The running totals of one base metric for one fact holder (an outlet, or a staff member at an
    outlet) as of a day, so the next day is computed from this one and the day's facts alone.

    Amounts are integers in ten-thousandths (exact). For a `sum` metric: `value` is the day's total and
    ptd_* the period-to-date totals. For a `last` metric: `value` is the carried-forward value, ptd_*
    the sums of daily values since each period's start (for daily averages) and open_* the value on the
    day before each period's start (for net changes).
    """

    # No database-level foreign keys on the two high-volume tables the rollup writes (millions of rows a
    # day at the scale of a province): only the rollup writes them, from ids it has just read, and
    # PostgreSQL's deferred FK checks took as long as the COPY itself. The rollup deletes them too.
    # On PostgreSQL the table is partitioned by id (migration 0035, kpi.partitions): each run's own and
    # mirror running totals are a table of their own, written bare and read whole, with no index; the
    # indexes below are the plain partition's (rows written otherwise, or before 0035). There, only the
    # index on run: every read and delete of states is by run, and each extra index costs as much as the
    # row itself on a write of this size. And a partial one on run for the mirror rows alone (as_of set, a
    # few days' worth): reading and pruning those of a run by the index on run walked all its own rows
    # too, 618,000 a province day (kpi.services.mirrors.states_prune).
    run = models.ForeignKey(RollupRun, on_delete=models.DO_NOTHING, related_name="states", db_constraint=False)
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False)
    staff = models.ForeignKey(
        StaffMember, null=True, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False)
    value = models.BigIntegerField(null=True)
    ptd_week = models.BigIntegerField(null=True)
    ptd_month = models.BigIntegerField(null=True)
    ptd_quarter = models.BigIntegerField(null=True)
    ptd_year = models.BigIntegerField(null=True)
    open_day = models.BigIntegerField(null=True)
    open_week = models.BigIntegerField(null=True)
    open_month = models.BigIntegerField(null=True)
    open_quarter = models.BigIntegerField(null=True)
    open_year = models.BigIntegerField(null=True)
    # Null: the running totals as of the run's own day. A date: the running totals as of that earlier
    # day, carried along for the comparisons (环比, 同比: kpi.services.mirrors), so that the next day
    # advances them by a day of facts instead of folding them again from the start of a year.
    as_of = models.DateField(null=True)

    class Meta:
        verbose_name = _("running totals")
        verbose_name_plural = _("running totals")
        indexes = [models.Index(fields=["run"], condition=Q(as_of__isnull=False), name="rollupstate_mirror_run")]

    def __str__(self) -> str:
        return f"{self.run_id} {self.unit_id} {self.staff_id} {self.metric_id}"


class RollupFanout(models.Model):
    """A business day rolled up as parts, one per subtree, on as many Celery workers as there are
    (kpi.services.fanout): the plan of its run. The run is published only once every part is done and the
    levels above the parts are written; until then readers keep the day's previous published run."""

    run = models.OneToOneField(RollupRun, on_delete=models.CASCADE, related_name="fanout")
    # The parts are the subtrees of the units at this depth; the units above them are the upper levels.
    depth = models.PositiveSmallIntegerField(_("depth of the parts' units"), default=1)
    # The day's stale_version when the plan was made (the publication's compare-and-swap) and the run of
    # the day before the parts chain from (the publication refuses if it is no longer published).
    seen_version = models.PositiveBigIntegerField(default=0)
    previous_run = models.ForeignKey(RollupRun, null=True, on_delete=models.SET_NULL, related_name="+")
    chained = models.BooleanField(default=False)
    with_scorecards = models.BooleanField(default=True)
    # Seconds of each step after the parts (upper levels, network ranks, publication).
    timings = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("fanned-out rollup")
        verbose_name_plural = _("fanned-out rollups")

    def __str__(self) -> str:
        return f"{self.run}"


class RollupPart(models.Model):
    """One subtree's share of a fanned-out day: its outlets, the units under its head and the staff whose
    post is there. Done means its rows are written (in the same transaction), so a part is never half
    written; a part whose worker died (running, heartbeat older than RUN_STALE_AFTER) is run again."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    fanout = models.ForeignKey(RollupFanout, on_delete=models.CASCADE, related_name="parts")
    # The head of the subtree; none for the part of the units above the parts' depth (their own outlets
    # and staff).
    unit = models.ForeignKey(OrgUnit, null=True, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    unit_ids = models.JSONField(_("units"), default=list)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    seconds = models.FloatField(_("seconds"), null=True)
    # Of which writing its rows (COPY): what the database sustains, for scaling out (README).
    write_seconds = models.FloatField(_("seconds writing"), null=True)
    worker = models.CharField(_("worker"), max_length=100, blank=True)
    peak_rss_kb = models.PositiveBigIntegerField(_("peak memory of its worker (KiB)"), null=True)
    scorecards = models.PositiveIntegerField(_("scorecards"), default=0)
    lines = models.PositiveIntegerField(_("lines"), default=0)
    # The subtree's totals per metric, period kind and snapshot (the day, each comparison day, the start
    # of the year): what the upper levels add up, instead of reading the subtree's facts again.
    totals = models.JSONField(default=list, blank=True)
    # The staff whose running totals (own and mirror) the part wrote: where the parts of a later day find
    # theirs (kpi.services.fanout.slots_holding). None for a part done before they were recorded.
    staff_ids = models.JSONField(_("staff"), null=True, blank=True)
    message = models.CharField(_("message"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("rollup part")
        verbose_name_plural = _("rollup parts")
        constraints = [models.UniqueConstraint(fields=["fanout", "unit"], name="kpi_rollup_part_once")]

    def __str__(self) -> str:
        return f"{self.fanout_id}/{self.unit_id or 'top'} {self.status}"


class Status(models.TextChoices):
    GREEN = "green", _("On pace")
    AMBER = "amber", _("Slightly behind")
    RED = "red", _("Behind")


# What the pages show instead of a status while it is too early in the period to judge pace.
EARLY = "early"
EARLY_LABEL = _("Too early to judge")


def too_early_to_judge(time_progress: Decimal | Fraction | float | None) -> bool:
    """Whether a figure at this time progress is too early in its period for its pace to mean anything
    (below settings.EARLY_PERIOD_BELOW, 10 % by default): on 2 December "513.5 % of pace" is noise.

    Pages show the status of such a line muted (EARLY) rather than red or amber; the stored status, the
    score and the API's status are the formulas' and do not change."""
    if time_progress is None:
        return False
    # As floats: a stored 0.100000, the exact 3/30 and the setting's 0.10 are the same number.
    return float(time_progress) < float(settings.EARLY_PERIOD_BELOW)


def shown_status(status: str | None, time_progress: Decimal | Fraction | float | None) -> str | None:
    """The status a page shows: EARLY for a status too early in its period to judge, else the status."""
    return EARLY if status and too_early_to_judge(time_progress) else status


def shown_status_label(status: str | None, time_progress: Decimal | Fraction | float | None) -> str:
    shown = shown_status(status, time_progress)
    if shown == EARLY:
        return EARLY_LABEL
    return Status(shown).label if shown else _("No target")


class ScorecardQuerySet(models.QuerySet):
    def published(self, *, on: datetime.date | None = None) -> ScorecardQuerySet:
        """Only results of each day's published run; `on`: only the scorecards of that business day."""
        cards = self.filter(run__in=RollupDay.objects.published(on=on).runs())
        return cards if on is None else cards.filter(date=on)


class Scorecard(models.Model):
    # (run, period, unit) and (run, period, staff) below serve lookups by run.
    run = models.ForeignKey(RollupRun, on_delete=models.CASCADE, related_name="scorecard_set", db_index=False)
    date = models.DateField(_("business date"))
    period = models.CharField(_("period"), max_length=8, choices=[(k.value, k.value) for k in PERIOD_KINDS])
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    unit = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.CASCADE, related_name="scorecards")
    staff = models.ForeignKey(StaffMember, null=True, blank=True, on_delete=models.CASCADE, related_name="scorecards")

    # Scores and ranks (DOMAIN.md §5), filled by the rollup when a template applies.
    template = models.ForeignKey(
        "ScorecardTemplate", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    total_score = models.DecimalField(_("score"), null=True, max_digits=10, decimal_places=4)
    vetoed = models.BooleanField(_("vetoed"), default=False)
    veto_reason = models.CharField(_("veto reason"), max_length=300, blank=True)
    # Outlets: inside the peer group (same template, same parent unit); staff: inside their outlet,
    # among the staff under the same template.
    rank = models.PositiveIntegerField(_("rank"), null=True)
    rank_of = models.PositiveIntegerField(_("ranked"), null=True)
    # Across the network: outlets under the same template; staff under the same template (post).
    network_rank = models.PositiveIntegerField(_("network rank"), null=True)
    network_rank_of = models.PositiveIntegerField(_("ranked in the network"), null=True)

    objects = ScorecardQuerySet.as_manager()

    class Meta:
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        indexes = [
            models.Index(fields=["run", "period", "unit"]),
            models.Index(fields=["run", "period", "staff"]),
            # GET /api/v1/scorecards/: a run's scorecards of a period, a page at a time in id order (cursor
            # pagination: run = R AND period = P AND id > C ORDER BY id LIMIT n). Without it the planner
            # walks the primary key and filters out every other run's scorecards (3.6 s a page on the
            # province bench's database against 57 ms with it; issue 21).
            models.Index(fields=["run", "period", "id"], name="scorecard_run_period_id"),
            models.Index(fields=["date", "period"]),
        ]

    def __str__(self) -> str:
        who = self.staff.code if self.staff_id else self.unit.code
        return f"{who} {self.date} {self.period}"


class ScorecardLine(models.Model):
    # No database-level foreign keys: see RollupState. DO_NOTHING: the rollup deletes a run's lines
    # before its scorecards, each in one statement.
    # One index, (scorecard, metric), serves every read: lines are always fetched by scorecard.
    # On PostgreSQL the table is partitioned by `date`, one partition a business day (kpi.partitions,
    # migration 0021), with no primary key (migration 0036: nothing reads a line by its id); the rollup
    # creates a day's partition before it writes the day, and retention drops a day's partition instead
    # of deleting its rows. Reads that know the day filter on `date` too, so that only that day's
    # partition is searched.
    scorecard = models.ForeignKey(
        Scorecard, on_delete=models.DO_NOTHING, related_name="lines", db_constraint=False, db_index=False
    )
    # The scorecard's business date, repeated here as the partition key.
    date = models.DateField(_("business date"))
    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False)
    actual = models.DecimalField(null=True, **AMOUNT)
    target = models.DecimalField(null=True, **AMOUNT)
    attainment = models.DecimalField(null=True, **FRACTION)
    time_progress = models.DecimalField(**FRACTION)
    pace_attainment = models.DecimalField(null=True, **FRACTION)
    status = models.CharField(max_length=5, choices=Status.choices, null=True)
    gap_to_pace = models.DecimalField(null=True, **AMOUNT)
    required_per_day = models.DecimalField(null=True, **AMOUNT)
    # The days time progress and required per day counted: the metric's basis, or calendar days when
    # its period has no business day (lib.periods.period_timing).
    time_basis = models.CharField(
        max_length=8, choices=TimeBasis.choices, default=TimeBasis.CALENDAR, db_default=TimeBasis.CALENDAR
    )
    score = models.DecimalField(null=True, max_digits=10, decimal_places=4)
    rank = models.PositiveIntegerField(null=True)
    rank_of = models.PositiveIntegerField(null=True)
    # A unit above outlets without a target of its own for a cumulative metric is measured against the
    # sum of the targets of the units under it (kpi.services.rollup.targets_from_children): said so here.
    target_from_children = models.BooleanField(default=False)
    # The comparisons (kpi.services.mirrors), in the metric's unit: the value of the same kind of period
    # as of the day of the previous period with as many days elapsed (环比), and as of the same day last
    # year (同比); the value at the start of the year and the year-to-date value (较年初).
    previous_actual = models.DecimalField(null=True, **AMOUNT)
    last_year_actual = models.DecimalField(null=True, **AMOUNT)
    year_start_actual = models.DecimalField(null=True, **AMOUNT)
    year_to_date_actual = models.DecimalField(null=True, **AMOUNT)

    class Meta:
        verbose_name = _("scorecard line")
        verbose_name_plural = _("scorecard lines")
        indexes = [models.Index(fields=["scorecard", "metric"])]

    def __str__(self) -> str:
        return f"{self.scorecard_id} {self.metric_id}: {self.actual} / {self.target}"

    @property
    def too_early_to_judge(self) -> bool:
        return too_early_to_judge(self.time_progress)

    @property
    def shown_status(self) -> str | None:
        """The status pages show: EARLY ("too early to judge", muted) early in the period."""
        return shown_status(self.status, self.time_progress)

    @property
    def shown_status_label(self) -> str:
        return shown_status_label(self.status, self.time_progress)


class ScorecardTemplate(models.Model):
    """A scorecard template (考核方案): how outlets (chosen by area, format or an explicit list) or staff
    (by post) are scored, from an effective date. A new version is a new row with the same code and a
    later effective date; the version in force on a day is the latest that started on or before it, so
    scores already published under an older version are reproduced unchanged."""

    class Subject(models.TextChoices):
        OUTLET = "outlet", _("Outlets")
        STAFF = "staff", _("Staff")

    code = models.CharField(_("code"), max_length=48, validators=[code_validator])
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    subject = models.CharField(_("applies to"), max_length=8, choices=Subject.choices)
    effective_from = models.DateField(_("effective from"))
    area = models.CharField(
        _("area"), max_length=16, blank=True, choices=Area.choices, help_text=_("Outlets of this area; empty: any.")
    )
    format = models.CharField(
        _("format"),
        max_length=16,
        blank=True,
        choices=OutletFormat.choices,
        help_text=_("Outlets of this format; empty: any."),
    )
    outlets = models.ManyToManyField(
        OrgUnit,
        verbose_name=_("explicit outlets"),
        blank=True,
        related_name="+",
        limit_choices_to={"kind": "outlet"},
        help_text=_("When set, the template applies to exactly these outlets."),
    )
    posts = models.ManyToManyField("staff.Post", verbose_name=_("posts"), blank=True, related_name="+")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("scorecard template")
        verbose_name_plural = _("scorecard templates")
        ordering = ["code", "-effective_from"]
        constraints = [models.UniqueConstraint(fields=["code", "effective_from"], name="template_version_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.name} (≥ {self.effective_from})"

    @property
    def name(self) -> str:
        return _localized(self.name_zh, self.name_en)


class LineKind(models.TextChoices):
    WEIGHTED = "weighted", _("Weighted (权重)")
    POINTS = "points", _("Points (台账计分)")
    VETO = "veto", _("Veto (一票否决)")


class TemplateLine(models.Model):
    template = models.ForeignKey(
        ScorecardTemplate, verbose_name=_("template"), on_delete=models.CASCADE, related_name="lines"
    )
    metric = models.ForeignKey(Metric, verbose_name=_("metric"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=8, choices=LineKind.choices, default=LineKind.WEIGHTED)
    weight = models.DecimalField(_("weight"), max_digits=6, decimal_places=2, null=True, blank=True)
    cap = models.DecimalField(_("cap"), max_digits=6, decimal_places=3, default=Decimal("1.2"))
    floor = models.DecimalField(_("floor"), max_digits=6, decimal_places=3, default=Decimal("0"))
    points_per_unit = models.DecimalField(_("points per unit"), max_digits=10, decimal_places=4, null=True, blank=True)
    max_points = models.DecimalField(_("maximum points"), max_digits=10, decimal_places=4, null=True, blank=True)
    allowed_value = models.DecimalField(_("allowed value"), max_digits=12, decimal_places=4, null=True, blank=True)
    veto_reason = models.CharField(_("veto reason"), max_length=200, blank=True)
    green_at = models.DecimalField(_("green from"), max_digits=6, decimal_places=3, default=Decimal("1.0"))
    amber_at = models.DecimalField(_("amber from"), max_digits=6, decimal_places=3, default=Decimal("0.9"))
    is_key = models.BooleanField(_("key metric"), default=False, help_text=_("Shown as a chip on the bulletin."))
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("template line")
        verbose_name_plural = _("template lines")
        ordering = ["sort_order", "pk"]
        # Scoring merges lines on (template, metric): a metric twice would double the scorecard's lines.
        constraints = [models.UniqueConstraint(fields=["template", "metric"], name="template_line_metric_once")]

    def __str__(self) -> str:
        return f"{self.template.code}: {self.metric.code} ({self.get_kind_display()})"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.kind == LineKind.WEIGHTED and (self.weight is None or self.weight <= 0):
            errors["weight"] = _("A weighted line needs a weight above 0.")
        if self.kind == LineKind.POINTS and self.points_per_unit is None:
            errors["points_per_unit"] = _("A points line needs its points per unit.")
        if self.kind == LineKind.VETO:
            if self.allowed_value is None:
                errors["allowed_value"] = _("A veto line needs the value it must not exceed.")
            if not self.veto_reason:
                errors["veto_reason"] = _("Say why this vetoes the score; the scorecard shows it.")
        if self.floor is not None and self.cap is not None and self.floor > self.cap:
            errors["floor"] = _("The floor is above the cap.")
        if self.amber_at is not None and self.green_at is not None and self.amber_at > self.green_at:
            errors["amber_at"] = _("Amber must start at or below green.")
        if errors:
            raise ValidationError(errors)


class MonthCloseQuerySet(models.QuerySet):
    def closed(self, day: datetime.date | None = None) -> MonthCloseQuerySet:
        """The closed months; with `day`, the close of the month of that day, if it is closed: "is this
        month closed?" is `MonthClose.objects.closed(day).exists()`."""
        closes = self.filter(is_closed=True)
        return closes if day is None else closes.filter(month=day.replace(day=1))


class MonthClose(models.Model):
    """A closed month's scorecards are frozen (the basis of performance pay) until HQ reopens it."""

    month = models.DateField(_("month"), unique=True, help_text=_("The first day of the month."))
    is_closed = models.BooleanField(_("closed"), default=True)
    changed_at = models.DateTimeField(_("changed"), auto_now=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = MonthCloseQuerySet.as_manager()

    class Meta:
        verbose_name = _("month close")
        verbose_name_plural = _("month closes")
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {_('closed') if self.is_closed else _('open')}"


class MonthCloseEvent(models.Model):
    """Who closed or reopened which month, and when."""

    month = models.DateField(_("month"))
    action = models.CharField(_("action"), max_length=8, choices=[("close", _("closed")), ("reopen", _("reopened"))])
    at = models.DateTimeField(_("when"), auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed or reopened by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("month close event")
        verbose_name_plural = _("month close events")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"


class CreditSplit(models.Model):
    """分润: part of a staff member's fact credited to a second staff member. The fact's own staff member
    keeps 100 − share percent; the rollup attributes the rest to `partner`."""

    fact = models.OneToOneField(Fact, verbose_name=_("fact"), on_delete=models.CASCADE, related_name="credit_split")
    partner = models.ForeignKey(StaffMember, verbose_name=_("shared with"), on_delete=models.PROTECT, related_name="+")
    share = models.DecimalField(_("partner's share %"), **SHARE)
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
        verbose_name = _("credit split")
        verbose_name_plural = _("credit splits")
        constraints = [
            models.CheckConstraint(condition=Q(share__gt=0) & Q(share__lt=100), name="credit_split_share_between")
        ]

    def __str__(self) -> str:
        return f"{self.fact} → {self.partner.code} {plain_number(self.share)}%"


class CreditSplitRuleQuerySet(models.QuerySet):
    def in_force(self, day: datetime.date) -> CreditSplitRuleQuerySet:
        """Active rules whose dates hold `day` (from ≤ day, and to empty or ≥ day)."""
        return self.filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=day), active=True, effective_from__lte=day
        )


class CreditSplitRule(models.Model):
    """A standing 分润 rule set by HQ: a sale of `metric` by a holder of `owner_post` shared with a
    holder of `partner_post` gives the partner `share` percent (理财 70/30: the wealth manager keeps 70,
    the referring teller gets 30). An outlet head may move the share between `min_share` and
    `max_share` for their outlet (CreditSplitAdjustment). kpi.services.credit.share_for reads them."""

    metric = models.ForeignKey(
        Metric,
        verbose_name=_("metric"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"aggregation": Aggregation.SUM, "level__in": [Level.STAFF, Level.BOTH]},
        help_text=_("A flow measured per staff member (a sale, a sign-up)."),
    )
    owner_post = models.ForeignKey(
        Post,
        verbose_name=_("seller's post"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The post of the staff member whose fact it is (the one who made the sale)."),
    )
    partner_post = models.ForeignKey(
        Post,
        verbose_name=_("partner's post"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The post of the colleague named as partner (the one who referred the customer)."),
    )
    share = models.DecimalField(
        _("partner's share %"), **SHARE, help_text=_("30 means 30%; the seller keeps the rest.")
    )
    min_share = models.DecimalField(
        _("lowest share an outlet may set %"), **SHARE, help_text=_("An outlet head adjusts within these limits.")
    )
    max_share = models.DecimalField(_("highest share an outlet may set %"), **SHARE)
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True, help_text=_("Empty: still in force."))
    active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = CreditSplitRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("credit sharing rule")
        verbose_name_plural = _("credit sharing rules")
        ordering = [
            "metric__sort_order",
            "metric__code",
            "owner_post__sort_order",
            "partner_post__sort_order",
            "-effective_from",
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "owner_post", "partner_post", "effective_from"], name="credit_split_rule_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(min_share__gt=0)
                & Q(min_share__lte=models.F("share"))
                & Q(share__lte=models.F("max_share"))
                & Q(max_share__lt=100),
                name="credit_split_rule_shares_in_order",
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=models.F("effective_from")),
                name="credit_split_rule_to_after_from",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric.code} {self.owner_post.code}/{self.partner_post.code} {plain_number(self.share)}%"

    def clamped(self, share: Decimal) -> Decimal:
        """`share` held inside this rule's limits (an outlet's adjustment after HQ narrowed them)."""
        return min(max(share, self.min_share), self.max_share)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.metric_id and not (self.metric.aggregation == Aggregation.SUM and self.metric.for_staff):
            errors["metric"] = _("Only a flow measured per staff member (a sum metric of staff level) is shared.")
        shares = (self.min_share, self.share, self.max_share)
        if None not in shares and not 0 < self.min_share <= self.share <= self.max_share < 100:
            errors["share"] = _(
                "The shares must be above 0 and below 100, with lowest ≤ share ≤ highest (for example 20 ≤ 30 ≤ 40)."
            )
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            errors["effective_to"] = _("The end date is before the start date.")
        if not errors and self.active and self.metric_id and self.owner_post_id and self.partner_post_id:
            overlapping = CreditSplitRule.objects.filter(
                metric_id=self.metric_id,
                owner_post_id=self.owner_post_id,
                partner_post_id=self.partner_post_id,
                active=True,
            ).exclude(pk=self.pk)
            if self.effective_to:
                overlapping = overlapping.filter(effective_from__lte=self.effective_to)
            overlapping = overlapping.filter(Q(effective_to__isnull=True) | Q(effective_to__gte=self.effective_from))
            if other := overlapping.first():
                errors["effective_from"] = _(
                    "Another active rule for the same metric and posts is in force on some of these days "
                    "(from %(start)s); end it first or choose other dates."
                ) % {"start": other.effective_from}
        if errors:
            raise ValidationError(errors)


class CreditSplitAdjustment(models.Model):
    """An outlet's own share under a standing rule, set by its head within the rule's limits. One per
    outlet and rule; every change is kept in CreditSplitAdjustmentChange."""

    outlet = models.ForeignKey(OrgUnit, verbose_name=_("outlet"), on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(
        CreditSplitRule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="adjustments"
    )
    share = models.DecimalField(_("partner's share %"), **SHARE)
    changed_at = models.DateTimeField(_("changed"), auto_now=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("outlet's credit split")
        verbose_name_plural = _("outlets' credit splits")
        constraints = [
            models.UniqueConstraint(fields=["outlet", "rule"], name="credit_split_adjustment_once"),
            models.CheckConstraint(
                condition=Q(share__gt=0) & Q(share__lt=100), name="credit_split_adjustment_share_between"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.outlet.code} · {self.rule} → {plain_number(self.share)}%"


class CreditSplitAdjustmentChange(models.Model):
    """The audit of an outlet's adjustment: who moved the share, when, from what to what, and why.
    `old_share` empty: the outlet followed the rule before; `new_share` empty: back to the rule."""

    outlet = models.ForeignKey(OrgUnit, verbose_name=_("outlet"), on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(CreditSplitRule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="+")
    old_share = models.DecimalField(_("old share %"), null=True, blank=True, **SHARE)
    new_share = models.DecimalField(_("new share %"), null=True, blank=True, **SHARE)
    reason = models.CharField(_("reason"), max_length=200)
    changed_at = models.DateTimeField(_("changed"), auto_now_add=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("credit split change")
        verbose_name_plural = _("credit split changes")
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        old = "—" if self.old_share is None else plain_number(self.old_share)
        new = "—" if self.new_share is None else plain_number(self.new_share)
        return f"{self.outlet.code} · {self.rule} {old} → {new}"


class Contest(models.Model):
    """A PK contest (两两一组): outlets paired head to head over a period, on a template or a set of metrics."""

    name = models.CharField(_("name"), max_length=100)
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("organised by"), on_delete=models.PROTECT, related_name="contests",
        help_text=_("The unit whose outlets compete; its manager and HQ can see it."),
    )  # fmt: skip
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    template = models.ForeignKey(
        ScorecardTemplate, verbose_name=_("template"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    metrics = models.ManyToManyField(Metric, verbose_name=_("metrics"), blank=True, related_name="+")
    judged = models.BooleanField(
        _("judged by a panel"),
        default=False,
        help_text=_(
            "营销话术, 服务礼仪, 晨会 PK: a panel scores each outlet on the contest's form instead of reading KPIs."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("PK contest")
        verbose_name_plural = _("PK contests")
        ordering = ["-period_start", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.period_start} – {self.period_end})"

    def clean(self) -> None:
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError({"period_end": _("The contest ends before it starts.")})


class ContestPair(models.Model):
    contest = models.ForeignKey(Contest, verbose_name=_("PK contest"), on_delete=models.CASCADE, related_name="pairs")
    outlet_a = models.ForeignKey(
        OrgUnit,
        verbose_name=_("outlet A"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": "outlet"},
    )
    outlet_b = models.ForeignKey(
        OrgUnit,
        verbose_name=_("outlet B"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": "outlet"},
    )

    class Meta:
        verbose_name = _("contest pair")
        verbose_name_plural = _("contest pairs")
        constraints = [
            models.CheckConstraint(condition=~Q(outlet_a=models.F("outlet_b")), name="contest_pair_two_outlets"),
        ]

    def __str__(self) -> str:
        return _("%(a)s vs %(b)s") % {"a": self.outlet_a.code, "b": self.outlet_b.code}


class JudgingItem(models.Model):
    """A line of a judged contest's form (评分表): what the panel scores, its weight and its full marks."""

    contest = models.ForeignKey(
        Contest, verbose_name=_("PK contest"), on_delete=models.CASCADE, related_name="judging_items"
    )
    name = models.CharField(_("item"), max_length=100)
    weight = models.DecimalField(
        _("weight"), max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    max_score = models.DecimalField(
        _("full marks"), max_digits=6, decimal_places=2, default=Decimal(100),
        validators=[MinValueValidator(Decimal("1"))],
    )  # fmt: skip
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("judging item")
        verbose_name_plural = _("judging items")
        ordering = ["sort_order", "pk"]

    def __str__(self) -> str:
        return self.name


class ContestJudge(models.Model):
    """A member of a judged contest's panel (评委)."""

    contest = models.ForeignKey(Contest, verbose_name=_("PK contest"), on_delete=models.CASCADE, related_name="judges")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("judge"), on_delete=models.CASCADE, related_name="judged_contests"
    )

    class Meta:
        verbose_name = _("judge")
        verbose_name_plural = _("judges")
        constraints = [models.UniqueConstraint(fields=["contest", "user"], name="contest_judge_once")]

    def __str__(self) -> str:
        return str(self.user)


class JudgeSheet(models.Model):
    """One judge's score sheet for one outlet of a judged contest: a score per item (`scores`, item id →
    score) and their weighted total on a 100 scale (kpi.services.judging)."""

    contest = models.ForeignKey(Contest, verbose_name=_("PK contest"), on_delete=models.CASCADE, related_name="sheets")
    judge = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("judge"), on_delete=models.CASCADE, related_name="judge_sheets"
    )
    outlet = models.ForeignKey(
        OrgUnit,
        verbose_name=_("outlet"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": "outlet"},
    )
    scores = models.JSONField(_("scores"), default=dict)
    total = models.DecimalField(_("total"), max_digits=7, decimal_places=4)
    comment = models.CharField(_("comment"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("saved"), auto_now=True)

    class Meta:
        verbose_name = _("score sheet")
        verbose_name_plural = _("score sheets")
        ordering = ["contest", "outlet__code", "pk"]
        constraints = [models.UniqueConstraint(fields=["contest", "judge", "outlet"], name="judge_sheet_once")]

    def __str__(self) -> str:
        return f"{self.contest_id} · {self.outlet_id} · {self.judge_id}"


# -- the transformation rollout (网点转型: 导入 → 固化 → 验收) ------------------------------------------------


class RolloutStage(models.TextChoices):
    INTRODUCE = "introduce", _("Introduce (导入)")
    CONSOLIDATE = "consolidate", _("Consolidate (固化)")
    ACCEPT = "accept", _("Acceptance (验收)")


class PracticeItem(models.Model):
    """A line of a benchmark outlet's practice checklist (晨夕会, 厅堂营销 routines, 岗位设置 …), kept by HQ:
    what an outlet copying it must put in place, and its weight in the readiness score."""

    benchmark = models.ForeignKey(
        OrgUnit, verbose_name=_("benchmark outlet"), on_delete=models.CASCADE, related_name="practice_items",
        limit_choices_to={"is_benchmark": True},
    )  # fmt: skip
    name = models.CharField(_("practice"), max_length=150)
    weight = models.DecimalField(
        _("weight"), max_digits=6, decimal_places=2, default=Decimal(1), validators=[MinValueValidator(Decimal("0.01"))]
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("benchmark practice")
        verbose_name_plural = _("benchmark practices")
        ordering = ["benchmark", "sort_order", "pk"]

    def __str__(self) -> str:
        return self.name


class RolloutProject(models.Model):
    """An outlet's transformation (网点转型) on its benchmark's model: 导入 → 固化 → 验收, with a coach."""

    outlet = models.OneToOneField(
        OrgUnit, verbose_name=_("outlet"), on_delete=models.CASCADE, related_name="rollout",
        limit_choices_to={"kind": "outlet"},
    )  # fmt: skip
    benchmark = models.ForeignKey(
        OrgUnit, verbose_name=_("benchmark outlet"), on_delete=models.PROTECT, related_name="+",
        limit_choices_to={"is_benchmark": True},
    )  # fmt: skip
    coach = models.ForeignKey(
        StaffMember, verbose_name=_("coach"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stage = models.CharField(_("stage"), max_length=12, choices=RolloutStage.choices, default=RolloutStage.INTRODUCE)
    started_on = models.DateField(_("started"))
    accepted_on = models.DateField(_("accepted"), null=True, blank=True)

    class Meta:
        verbose_name = _("transformation rollout")
        verbose_name_plural = _("transformation rollouts")
        ordering = ["outlet__code"]

    def __str__(self) -> str:
        return f"{self.outlet} ← {self.benchmark}"


class RolloutItem(models.Model):
    """A practice copied from the benchmark's checklist into a rollout, done or not, with its evidence."""

    project = models.ForeignKey(
        RolloutProject, verbose_name=_("rollout"), on_delete=models.CASCADE, related_name="items"
    )
    name = models.CharField(_("practice"), max_length=150)
    weight = models.DecimalField(_("weight"), max_digits=6, decimal_places=2, default=Decimal(1))
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    evidence = models.TextField(_("evidence"), blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("marked by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    class Meta:
        verbose_name = _("rollout item")
        verbose_name_plural = _("rollout items")
        ordering = ["project", "sort_order", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def done(self) -> bool:
        return self.done_on is not None


class StandardPostMix(models.Model):
    """HQ's standard staffing of an outlet format (岗位配置标准): so many of a post in a full-service,
    light or smart outlet."""

    format = models.CharField(_("format"), max_length=16, choices=OutletFormat.choices)
    post = models.ForeignKey(Post, verbose_name=_("post"), on_delete=models.PROTECT, related_name="+")
    count = models.PositiveSmallIntegerField(_("people"))

    class Meta:
        verbose_name = _("standard post mix")
        verbose_name_plural = _("standard post mix")
        ordering = ["format", "post__sort_order"]
        constraints = [models.UniqueConstraint(fields=["format", "post"], name="standard_post_mix_once")]

    def __str__(self) -> str:
        return f"{self.get_format_display()} · {self.post} × {self.count}"


class CalendarDayQuerySet(models.QuerySet):
    def business_calendar(self) -> BusinessCalendar:
        """The bank's calendar as lib.periods takes it: one query for every row (a few dozen a year)."""
        holidays, workdays = set(), set()
        for day, kind in self.values_list("date", "kind"):
            (workdays if kind == CalendarDay.Kind.WORKDAY else holidays).add(day)
        return BusinessCalendar(holidays=frozenset(holidays), workdays=frozenset(workdays))


class CalendarDay(models.Model):
    """A day of the bank's calendar that is not what its weekday says: a holiday (节假日, a weekday off;
    the weekend days of a holiday block may be listed too, under the holiday's name) or a make-up
    working day (调休上班, a Saturday or Sunday worked). Business days (工作日) are Monday to Friday
    except holidays, plus the make-up working days; metrics with TimeBasis.BUSINESS take their time
    progress in them. Kept by HQ per year in the admin (or a CSV import); kpi.services.calendar writes."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday")
        WORKDAY = "workday", _("Make-up working day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=50, blank=True, help_text=_("Such as 国庆节 or 春节调休."))

    objects = CalendarDayQuerySet.as_manager()

    class Meta:
        verbose_name = _("holiday or make-up working day")
        verbose_name_plural = _("holidays and make-up working days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}".rstrip()

    def clean(self) -> None:
        if self.date is None:
            return
        if not FIRST_DAY <= self.date <= LAST_DAY:
            raise ValidationError(
                {"date": _("Give a date from %(first)s to %(last)s.") % {"first": FIRST_DAY, "last": LAST_DAY}}
            )
        if self.kind == CalendarDay.Kind.WORKDAY and self.date.weekday() < 5:
            raise ValidationError(
                {"kind": _("A make-up working day is a Saturday or a Sunday; a weekday is a working day already.")}
            )


class AnnotationKind(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday")
    SYSTEM_OUTAGE = "system_outage", _("System outage")
    LARGE_MATURITY = "large_maturity", _("Large maturity")
    OTHER = "other", _("Other")


class AnnotationQuerySet(models.QuerySet):
    def overlapping(self, first: datetime.date, last: datetime.date) -> AnnotationQuerySet:
        """Notes with a day from `first` to `last` (both included)."""
        return self.filter(start__lte=last, end__gte=first)


class Annotation(models.Model):
    """A manager's note on days of a unit's figures (国庆节, 系统故障, 大额到期), shown on the charts and in
    the bulletin so that a dip is explained where it is seen. It speaks to the unit's whole subtree: a
    note on HQ shows on every outlet's charts, a note on an outlet on that outlet's and on those of the
    units above it (whose totals it moves). Without a metric it concerns every metric of the unit.
    Who reads it and who writes it: staff.access (Scope.notice_units, Scope.may_annotate)."""

    unit = models.ForeignKey(OrgUnit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="annotations")
    metric = models.ForeignKey(
        Metric,
        verbose_name=_("metric"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Leave empty for a note on every metric of the unit."),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=AnnotationKind.choices)
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    text = models.CharField(_("note"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = AnnotationQuerySet.as_manager()

    class Meta:
        verbose_name = _("annotation")
        verbose_name_plural = _("annotations")
        ordering = ["start", "end", "pk"]
        indexes = [models.Index(fields=["start", "end"])]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="annotation_end_after_start")
        ]

    def __str__(self) -> str:
        days = f"{self.start}" if self.start == self.end else f"{self.start} – {self.end}"
        return f"{self.unit.code} {days} {self.get_kind_display()}: {self.text}"


# The cut-off before HQ sets one: the facts of a business day are due by 08:00 the next morning, half an
# hour before the morning meeting (晨会) that reads the bulletin.
DEFAULT_REPORTING_CUTOFF = datetime.time(8, 0)


class ReportingCutoffQuerySet(models.QuerySet):
    def current(self) -> ReportingCutoff:
        """HQ's cut-off: the one row (the migration writes it), or the default when it is missing."""
        return self.filter(pk=ReportingCutoff.SINGLETON).first() or ReportingCutoff(cutoff=DEFAULT_REPORTING_CUTOFF)


class ReportingCutoff(models.Model):
    """When a business day's ranking stops waiting for late outlets (数据报送截止时间), set by HQ in the admin.

    The bulletin ranks, and the push (notify) sends, a day once every outlet expected that day has
    reported (kpi.selectors.freshness) or once this time of the next morning has passed, whichever
    comes first; an outlet still missing then is shown as 无数据 and named. One row."""

    SINGLETON = 1

    cutoff = models.TimeField(
        _("cut-off time"),
        default=DEFAULT_REPORTING_CUTOFF,
        help_text=_(
            "The facts of a business day are due by this time the next morning (bank time). Until then the "
            "bulletin and the pushed summary wait for every outlet expected that day; after it they rank the "
            "outlets that reported and name the others as no data."
        ),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ReportingCutoffQuerySet.as_manager()

    class Meta:
        verbose_name = _("reporting cut-off")
        verbose_name_plural = _("reporting cut-off")

    def __str__(self) -> str:
        return _("Facts due by %(time)s the next morning") % {"time": self.cutoff.strftime("%H:%M")}

    def save(self, *args, **kwargs) -> None:
        self.pk = self.SINGLETON  # one row, whatever the form sent
        super().save(*args, **kwargs)

    def due_at(self, day: datetime.date) -> datetime.datetime:
        """The moment the facts of `day` are due: the cut-off on the next day, in the bank's time zone."""
        due = datetime.datetime.combine(day + datetime.timedelta(days=1), self.cutoff)
        return timezone.make_aware(due, timezone.get_default_timezone())
