"""Reads of the checklists: what a reader may see (sheets, inspections, findings), an outlet's patrol day
(the rounds due, done, missed, open), its pass rate over some days, what waits for an outlet head, and
what lies behind an inspection's veto on a scorecard.

Who sees what. Patrol sheets: the readers of their outlet (Scope.units(): the outlet head, the managers
above, HQ, auditors) and the staff assigned to the outlet on the sheet's day. Inspections and findings:
the readers of the outlet, and a staff member the findings they are named responsible for.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import OrgUnit
from checklists.models import (
    ChecklistKind,
    ChecklistTemplate,
    Finding,
    Inspection,
    PatrolSheet,
    SheetAnswer,
    SheetStatus,
)
from checklists.services import Slot, outlets_of, slots_of, templates_in_force
from staff.access import Scope
from staff.models import Assignment, Role, User


def _staff_assigned(scope: Scope, unit_field: str, day_field: str) -> Q:
    held = Assignment.objects.filter(
        staff_id=scope.staff_id, unit=OuterRef(unit_field), start__lte=OuterRef(day_field)
    ).filter(Q(end__isnull=True) | Q(end__gte=OuterRef(day_field)))
    return Q(Exists(held))


def sheets_visible(scope: Scope, queryset: QuerySet[PatrolSheet] | None = None) -> QuerySet[PatrolSheet]:
    queryset = PatrolSheet.objects.all() if queryset is None else queryset
    if scope.everything:
        return queryset
    if scope.unit_path:
        return queryset.filter(unit__path__startswith=scope.unit_path)
    if scope.staff_id:
        return queryset.filter(_staff_assigned(scope, "unit", "day"))
    return queryset.none()


def inspections_visible(scope: Scope, queryset: QuerySet[Inspection] | None = None) -> QuerySet[Inspection]:
    queryset = Inspection.objects.all() if queryset is None else queryset
    if scope.everything:
        return queryset
    if scope.unit_path:
        return queryset.filter(unit__path__startswith=scope.unit_path)
    if scope.staff_id:
        return queryset.filter(Exists(Finding.objects.filter(inspection=OuterRef("pk"), staff_id=scope.staff_id)))
    return queryset.none()


def findings_visible(scope: Scope, queryset: QuerySet[Finding] | None = None) -> QuerySet[Finding]:
    queryset = Finding.objects.all() if queryset is None else queryset
    if scope.everything:
        return queryset
    if scope.unit_path:
        return queryset.filter(inspection__unit__path__startswith=scope.unit_path)
    if scope.staff_id:
        return queryset.filter(staff_id=scope.staff_id)
    return queryset.none()


def patrol_outlets(scope: Scope, user: User, day: datetime.date) -> QuerySet[OrgUnit]:
    """The outlets whose patrols the reader opens: those of their scope, or a staff member's outlets of
    the day."""
    if scope.staff_id:
        return OrgUnit.objects.filter(
            pk__in=Assignment.objects.on(day).filter(staff_id=scope.staff_id).values("unit_id")
        ).order_by("path")
    return scope.units().filter(kind="outlet").order_by("path")


# -- an outlet's patrol day ------------------------------------------------------------------------------


@dataclass
class Round:
    """One patrol round due at an outlet: its template version, slot, and sheet (None while not recorded)."""

    template: ChecklistTemplate
    slot: Slot
    sheet: PatrolSheet | None
    state: str  # done, missed, open, upcoming, overdue (time over, not yet marked missed)

    @property
    def label(self) -> str:
        if self.slot.time is not None:
            return self.slot.time.strftime("%H:%M")
        return str(self.template.get_frequency_display())


@dataclass
class PatrolDay:
    unit: OrgUnit
    day: datetime.date
    rounds: list[Round] = field(default_factory=list)

    @property
    def checked(self) -> int:
        return sum(r.sheet.items_checked for r in self.rounds if r.sheet is not None)

    @property
    def passed(self) -> int:
        return sum(r.sheet.items_passed for r in self.rounds if r.sheet is not None)

    @property
    def missed(self) -> int:
        return sum(1 for r in self.rounds if r.state == SheetStatus.MISSED)

    @property
    def pass_rate(self) -> Decimal | None:
        return pass_rate(self.checked, self.passed)


def pass_rate(checked: int, passed: int) -> Decimal | None:
    """100 × passed / checked, in percent (DOMAIN.md: a % metric is written in percent); None for nothing
    checked."""
    if not checked:
        return None
    return Decimal(100) * Decimal(passed) / Decimal(checked)


def patrol_day(*, unit: OrgUnit, day: datetime.date, now: datetime.datetime | None = None) -> PatrolDay:
    """The rounds due at `unit` on `day`, in time order, with their sheets: three queries."""
    now = now or timezone.now()
    templates = templates_in_force(kind=ChecklistKind.PATROL, day=day)
    applies = outlets_of(templates, day, units=[unit.pk])
    templates = [t for t in templates if applies[t.pk]]
    slots = [(template, slot) for template in templates for slot in slots_of(template, day)]
    sheets = {
        (sheet.template_id, sheet.day, sheet.slot): sheet
        for sheet in PatrolSheet.objects.filter(
            template__in=templates, unit=unit, day__in={slot.day for _t, slot in slots}
        ).select_related("filled_by", "staff", "seen_by")
    }
    result = PatrolDay(unit=unit, day=day)
    for template, slot in sorted(slots, key=lambda pair: (pair[1].time or datetime.time.max, pair[0].code)):
        sheet = sheets.get((template.pk, slot.day, slot.time))
        if sheet is not None:
            state = sheet.status
        elif now < slot.opens:
            state = "upcoming"
        elif now <= slot.due:
            state = "open"
        else:
            state = "overdue"
        result.rounds.append(Round(template=template, slot=slot, sheet=sheet, state=state))
    return result


@dataclass(frozen=True)
class PassRate:
    checked: int
    passed: int
    missed: int

    @property
    def rate(self) -> Decimal | None:
        return pass_rate(self.checked, self.passed)


def patrol_pass_rates(*, units: QuerySet[OrgUnit], first: datetime.date, last: datetime.date) -> dict[int, PassRate]:
    """Each outlet's patrol figures over [first, last] from its sheets (done and missed): one query."""
    rows = (
        PatrolSheet.objects.filter(unit__in=units, day__gte=first, day__lte=last)
        .values("unit_id")
        .annotate(
            checked=Sum("items_checked"),
            passed=Sum("items_passed"),
            missed=Count("pk", filter=Q(status=SheetStatus.MISSED)),
        )
    )
    return {row["unit_id"]: PassRate(row["checked"] or 0, row["passed"] or 0, row["missed"]) for row in rows}


def failed_answers(sheets: list[PatrolSheet]) -> dict[int, list[SheetAnswer]]:
    """The items not in order of these sheets, by sheet id, in the checklist's order: one query."""
    failed: dict[int, list[SheetAnswer]] = {}
    done = [
        sheet.pk for sheet in sheets if sheet.status == SheetStatus.DONE and sheet.items_passed < sheet.items_checked
    ]
    if not done:
        return failed
    for answer in sheet_answers_of(done).filter(passed=False):
        failed.setdefault(answer.sheet_id, []).append(answer)
    return failed


def sheet_answers_of(sheet_ids: list[int]) -> QuerySet[SheetAnswer]:
    return (
        SheetAnswer.objects.filter(sheet_id__in=sheet_ids)
        .select_related("item", "item__section")
        .order_by("sheet_id", "item__section__sort_order", "item__section__pk", "item__sort_order", "item__pk")
    )


def needs_a_look() -> Q:
    return Q(status=SheetStatus.MISSED) | Q(items_passed__lt=F("items_checked"))


def patrols_to_look_at_of(user: User) -> QuerySet[PatrolSheet]:
    """Today's missed rounds and rounds with failed items of an outlet head's outlet, not yet looked at
    (the header badge: staff.access.waiting_work). Nothing for anyone else."""
    if user.role != Role.OUTLET_HEAD or not user.unit_id:
        # No rows, as a query (the badge counts it in a subquery; .none() would count as NULL, not 0).
        return PatrolSheet.objects.filter(pk__isnull=True)
    return PatrolSheet.objects.filter(
        needs_a_look(), unit_id=user.unit_id, day=timezone.localdate(), seen_at__isnull=True
    )


# -- inspections -------------------------------------------------------------------------------------------


def inspection_list(scope: Scope) -> QuerySet[Inspection]:
    return (
        inspections_visible(scope)
        .select_related("unit", "inspector", "template")
        .annotate(finding_count=Count("findings", distinct=True))
        .order_by("-day", "-pk")
    )


def inspection_findings(scope: Scope, inspection: Inspection) -> QuerySet[Finding]:
    return findings_visible(scope, inspection.findings.all()).select_related(
        "staff", "alert", "ledger_entry", "ledger_entry__item", "item"
    )


def inspection_veto_details(unit: OrgUnit, start: datetime.date, end: datetime.date) -> list[str]:
    """The vetoing findings behind a scorecard's veto on inspection_vetoes (kpi.veto_details): one line each,
    "内控检查 2026-11-20 天河路网点：重要空白凭证未入库（严重）". One query."""
    findings = (
        Finding.objects.filter(
            vetoes=True,
            inspection__unit__path__startswith=unit.path,
            inspection__day__gte=start,
            inspection__day__lte=end,
        )
        .select_related("inspection", "inspection__unit")
        .order_by("inspection__day", "pk")
    )
    return [
        _("%(title)s %(day)s %(unit)s: %(text)s (%(severity)s)")
        % {
            "title": finding.inspection.title,
            "day": finding.inspection.day.isoformat(),
            "unit": finding.inspection.unit.name,
            "text": finding.text,
            "severity": finding.get_severity_display(),
        }
        for finding in findings
    ]


def templates_list() -> QuerySet[ChecklistTemplate]:
    return (
        ChecklistTemplate.objects.select_related("post")
        .prefetch_related("sections__items")
        .order_by("kind", "code", "-effective_from")
    )
