"""Checklists (issue 19): one engine for the sheets an outlet is checked against, the lobby patrol (巡检记录表)
ticked by the lobby staff a few times a day, and the inspections (稽核检查, 内控检查) a supervisor or an
auditor records with their findings.

- A ChecklistTemplate is defined by HQ in the admin: sections (环境, 着装, 设备, 物料) of items, each scored
  pass/fail or in points, with or without an evidence photo; who fills it (a post, or a role for
  inspections) and how often (at set times of the day, daily, weekly, monthly). Templates are versioned
  like scorecard templates (kpi.services.templates): a version is (code, effective_from), the one in
  force on a day is the latest that started on or before it, and a version something was filled on is
  not edited any more: HQ adds a version from a later day (checklists.services.template_lock_reason).
- A PatrolSheet is one patrol of an outlet at one slot (a day and a time, or a day for daily and longer
  frequencies), filled on the version in force that day (it keeps its FK to that version), or marked
  missed once its time is over (checklists.services.patrols_mark_missed). Its answers say, item by item,
  passed or failed (or the points given).
- An Inspection of an outlet has Findings: the item, the severity, the staff member responsible, the
  deadline, an evidence photo. Each finding opens an alert of kind `inspection` in alerts' 整改 → 复查 flow
  (Finding.alert; the alert links back to the finding through lib.links); a severe one may carry a
  deduction entered in the points ledger (Finding.ledger_entry) or a veto of the month's scorecard (the
  metric `inspection_vetoes`, whose veto line kpi explains with the finding: kpi.veto_details).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from branches.models import OrgUnit, _localized, code_validator
from staff.models import Post, Role, StaffMember


class ChecklistKind(models.TextChoices):
    PATROL = "patrol", _("Patrol (巡检)")
    INSPECTION = "inspection", _("Inspection (检查)")


class Frequency(models.TextChoices):
    TIMES_A_DAY = "times", _("At set times of the day")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    AS_NEEDED = "as_needed", _("When an inspection is made")


class Scoring(models.TextChoices):
    PASS_FAIL = "pass_fail", _("Pass or fail")
    POINTS = "points", _("Points")


class ChecklistTemplate(models.Model):
    code = models.CharField(_("code"), max_length=32, validators=[code_validator])
    name_zh = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=ChecklistKind.choices, default=ChecklistKind.PATROL)
    effective_from = models.DateField(_("in force from"))
    post = models.ForeignKey(
        Post,
        verbose_name=_("filled by the post"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("A patrol: the post of the outlet's staff who tick it (the outlet head may tick it too)."),
    )
    role = models.CharField(
        _("filled by the role"),
        max_length=16,
        choices=Role.choices,
        blank=True,
        help_text=_("An inspection: the role of who records it (a unit manager, an auditor); empty: either."),
    )
    frequency = models.CharField(_("how often"), max_length=10, choices=Frequency.choices, default=Frequency.DAILY)
    times = models.JSONField(
        _("times of the day"),
        default=list,
        blank=True,
        help_text=_('At set times: a list of "HH:MM", such as ["09:00", "12:00", "15:30"].'),
    )
    grace_minutes = models.PositiveSmallIntegerField(
        _("minutes to tick after the time"),
        default=60,
        help_text=_("A patrol at 09:00 may be ticked until this many minutes later; after that it is missed."),
    )
    outlets = models.ManyToManyField(
        OrgUnit,
        verbose_name=_("outlets"),
        blank=True,
        related_name="+",
        limit_choices_to={"kind": "outlet"},
        help_text=_("Empty: every open outlet."),
    )
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("checklist template")
        verbose_name_plural = _("checklist templates")
        ordering = ["kind", "code", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["code", "effective_from"], name="checklist_template_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.effective_from})"

    @property
    def name(self) -> str:
        return _localized(self.name_zh, self.name_en)

    def clean(self) -> None:
        from checklists.services import template_problems  # the rules live with the writes

        problems = template_problems(self)
        if problems:
            raise ValidationError(problems)


class ChecklistSection(models.Model):
    template = models.ForeignKey(
        ChecklistTemplate, verbose_name=_("template"), on_delete=models.CASCADE, related_name="sections"
    )
    name = models.CharField(_("section"), max_length=60, help_text=_("环境, 着装, 设备, 物料, …"))
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("checklist section")
        verbose_name_plural = _("checklist sections")
        ordering = ["sort_order", "pk"]

    def __str__(self) -> str:
        return self.name


class ChecklistItem(models.Model):
    section = models.ForeignKey(
        ChecklistSection, verbose_name=_("section"), on_delete=models.CASCADE, related_name="items"
    )
    text = models.CharField(_("item"), max_length=200)
    scoring = models.CharField(_("scored"), max_length=10, choices=Scoring.choices, default=Scoring.PASS_FAIL)
    max_points = models.DecimalField(
        _("points"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Scored in points: the most it gives; it counts as passed only with all of them."),
    )
    evidence_required = models.BooleanField(_("photo required"), default=False)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["sort_order", "pk"]

    def __str__(self) -> str:
        return self.text

    def clean(self) -> None:
        if self.scoring == Scoring.POINTS and not self.max_points:
            raise ValidationError({"max_points": _("An item scored in points says how many points it gives.")})


class SheetStatus(models.TextChoices):
    DONE = "done", _("Done")
    MISSED = "missed", _("Missed")


class PatrolSheet(models.Model):
    template = models.ForeignKey(
        ChecklistTemplate, verbose_name=_("template version"), on_delete=models.PROTECT, related_name="sheets"
    )
    unit = models.ForeignKey(OrgUnit, verbose_name=_("outlet"), on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("day"), help_text=_("Weekly and monthly sheets: the first day of their period."))
    slot = models.TimeField(_("time"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=SheetStatus.choices)
    filled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ticked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    staff = models.ForeignKey(
        StaffMember, verbose_name=_("staff member"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    filled_at = models.DateTimeField(_("ticked at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    # Counted when the sheet is written, so the pages and the facts add up without reading the answers.
    items_checked = models.PositiveSmallIntegerField(_("items checked"), default=0)
    items_passed = models.PositiveSmallIntegerField(_("items passed"), default=0)
    seen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("looked at by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The outlet head who looked at a missed patrol or a failed item (it leaves their badge)."),
    )
    seen_at = models.DateTimeField(_("looked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("patrol sheet")
        verbose_name_plural = _("patrol sheets")
        ordering = ["-day", "slot", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["template", "unit", "day", "slot"], name="patrol_sheet_once_per_slot"),
            models.UniqueConstraint(
                fields=["template", "unit", "day"], condition=Q(slot__isnull=True), name="patrol_sheet_once_per_day"
            ),
        ]
        indexes = [models.Index(fields=["unit", "day"])]

    def __str__(self) -> str:
        slot = f" {self.slot:%H:%M}" if self.slot else ""
        return f"{self.unit_id} {self.day}{slot} {self.get_status_display()}"

    @property
    def items_failed(self) -> int:
        return self.items_checked - self.items_passed

    @property
    def needs_a_look(self) -> bool:
        return self.status == SheetStatus.MISSED or self.items_passed < self.items_checked


class SheetAnswer(models.Model):
    sheet = models.ForeignKey(PatrolSheet, verbose_name=_("sheet"), on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(ChecklistItem, verbose_name=_("item"), on_delete=models.PROTECT, related_name="+")
    passed = models.BooleanField(_("passed"))
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2, null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    # The photo's name in the evidence storage (ledger.evidence), streamed by a view that checks scope.
    photo = models.CharField(_("photo"), max_length=200, blank=True, editable=False)
    photo_type = models.CharField(_("photo type"), max_length=16, blank=True, editable=False)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["item__section__sort_order", "item__sort_order", "pk"]
        constraints = [models.UniqueConstraint(fields=["sheet", "item"], name="sheet_answer_once_per_item")]

    def __str__(self) -> str:
        return f"{self.sheet_id} {self.item_id} {'✓' if self.passed else '✗'}"


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor (一般)")
    MAJOR = "major", _("Major (较重)")
    SEVERE = "severe", _("Severe (严重)")


class Inspection(models.Model):
    template = models.ForeignKey(
        ChecklistTemplate,
        verbose_name=_("checklist version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    unit = models.ForeignKey(OrgUnit, verbose_name=_("outlet"), on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("day of the inspection"))
    title = models.CharField(_("title"), max_length=100, help_text=_("稽核检查, 内控检查, …"))
    summary = models.TextField(_("summary"), blank=True)
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("inspector"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-day", "-pk"]
        indexes = [models.Index(fields=["unit", "day"])]

    def __str__(self) -> str:
        return f"{self.day} {self.unit_id} {self.title}"


class Finding(models.Model):
    inspection = models.ForeignKey(
        Inspection, verbose_name=_("inspection"), on_delete=models.CASCADE, related_name="findings"
    )
    item = models.ForeignKey(
        ChecklistItem,
        verbose_name=_("checklist item"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.CharField(_("what was found"), max_length=300)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, default=Severity.MINOR)
    staff = models.ForeignKey(
        StaffMember, verbose_name=_("responsible"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    deadline = models.DateField(_("rectify by"))
    photo = models.CharField(_("photo"), max_length=200, blank=True, editable=False)
    photo_type = models.CharField(_("photo type"), max_length=16, blank=True, editable=False)
    alert = models.OneToOneField(
        "alerts.Alert",
        verbose_name=_("alert (整改)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ledger_entry = models.OneToOneField(
        "ledger.LedgerEntry",
        verbose_name=_("deduction (扣分)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    vetoes = models.BooleanField(
        _("vetoes the month's scorecard"),
        default=False,
        help_text=_("一票否决: a severe finding counts as an inspection veto of the outlet's month."),
    )

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["inspection", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(vetoes=False) | Q(severity="severe"), name="finding_veto_only_severe")
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.text[:40]}"
