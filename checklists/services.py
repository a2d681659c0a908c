"""Writes of the checklists: template versions, a patrol ticked (patrol_tick), patrols missed
(patrols_mark_missed), what an outlet head looked at (patrols_look_at), the patrol facts of a day
(patrol_facts_write), an inspection with its findings (inspection_record).

The patrol pass rate (巡检合格率), in the bank's terms: of the items the outlet's patrols were due to check
on a day, the share found in order. A patrol that was missed counts with all its items as checked and not
in order: nobody looked at the lobby, so nothing in it can be called in order, and an outlet that skips
its 15:30 patrol may not score better than one that walks it and writes down a broken queue machine. The
misses are also counted on their own (patrols_missed), so the page and the scorecard can tell a missed
patrol from a failed item. An item scored in points counts as in order only with all its points.

    patrol_items_checked = Σ items of the day's patrol sheets (done or missed)
    patrol_items_passed  = Σ items found in order on the done sheets
    patrol_pass_rate     = 100 × passed / checked (%, a ratio metric: summed parts, never a mean of days)

Every write is one transaction: bad input writes nothing (a ValidationError keyed by field, in the
reader's language).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from alerts.models import RuleKind
from alerts.services.raised import alert_raise
from branches.models import OrgUnit, UnitKind, UnitStatus
from checklists.links import FINDING_KIND, VETO_METRIC
from checklists.models import (
    ChecklistItem,
    ChecklistKind,
    ChecklistTemplate,
    Finding,
    Frequency,
    Inspection,
    PatrolSheet,
    Scoring,
    Severity,
    SheetAnswer,
    SheetStatus,
)
from kpi.models import IngestBatch, MonthClose
from kpi.services.facts import facts_ingest
from ledger import evidence
from ledger.models import ItemKind, LedgerItem
from ledger.services import Action, entries_decide, entry_create
from lib.csvimport import CsvRow, ImportRejected
from lib.ids import parse_ids
from lib.locks import transaction_lock
from staff.access import Scope, inspection_authority
from staff.models import Assignment, StaffMember, User

LOCK = "checklists.patrols"
# A patrol at 09:00 may be ticked from 08:30: the lobby manager starts the round a little early.
EARLY_MINUTES = 30
METRICS = {
    "checked": "patrol_items_checked",
    "passed": "patrol_items_passed",
    "missed": "patrols_missed",
}


# -- templates and their versions -------------------------------------------------------------------


def parse_times(times) -> list[datetime.time] | None:
    """["09:00", "15:30"] → times, sorted; None when something is not an HH:MM."""
    if not isinstance(times, list):
        return None
    parsed = []
    for value in times:
        try:
            parsed.append(datetime.datetime.strptime(str(value), "%H:%M").time())
        except ValueError:
            return None
    return sorted(set(parsed))


def template_problems(template: ChecklistTemplate) -> dict[str, str]:
    """What is wrong with a template's settings (the admin's clean and the services ask the same)."""
    problems: dict[str, str] = {}
    if template.kind == ChecklistKind.PATROL:
        if template.frequency == Frequency.AS_NEEDED:
            problems["frequency"] = _("A patrol is walked at set times, daily, weekly or monthly.")
        if template.frequency == Frequency.TIMES_A_DAY:
            times = parse_times(template.times)
            if not times:
                problems["times"] = _('Give the times of the day as a list of "HH:MM", such as ["09:00", "15:30"].')
    elif template.frequency != Frequency.AS_NEEDED:
        problems["frequency"] = _("An inspection is made when it is made: choose “When an inspection is made”.")
    reason = template_lock_reason(template)
    if reason:
        stored = ChecklistTemplate.objects.get(pk=template.pk)
        for name in ("kind", "effective_from", "post", "frequency", "times", "grace_minutes"):
            if getattr(stored, name) != getattr(template, name):
                problems[name] = reason
    return problems


def template_lock_reason(template: ChecklistTemplate) -> str | None:
    """Why this version's items and settings cannot change any more, or None. A version something was
    filled on (a patrol sheet, an inspection) keeps what it was filled on, as a scorecard template keeps
    the rules a published day was scored with: HQ adds a version from a later day instead."""
    if template.pk is None:
        return None
    used = (
        PatrolSheet.objects.filter(template=template).exists() or Inspection.objects.filter(template=template).exists()
    )
    if not used:
        return None
    return _("Sheets were filled on this version: add a new version from a later day instead of changing it.")


def templates_in_force(*, kind: str, day: datetime.date) -> list[ChecklistTemplate]:
    """The version of each template code in force on `day`: the latest that started on or before it (an
    inactive latest version means the template is withdrawn)."""
    versions = (
        ChecklistTemplate.objects.filter(kind=kind, effective_from__lte=day)
        .select_related("post")
        .order_by("code", "-effective_from")
    )
    latest: dict[str, ChecklistTemplate] = {}
    for version in versions:
        latest.setdefault(version.code, version)
    return [version for version in latest.values() if version.is_active]


def template_new_version(*, template: ChecklistTemplate, effective_from: datetime.date) -> ChecklistTemplate:
    """A copy of `template` (settings, outlets, sections and items) in force from `effective_from`, for HQ
    to edit: the old version stays as sheets were filled on it."""
    if effective_from <= template.effective_from:
        raise ValidationError({"effective_from": _("A new version starts after the version it replaces.")})
    if ChecklistTemplate.objects.filter(code=template.code, effective_from=effective_from).exists():
        raise ValidationError({"effective_from": _("A version of this template already starts on that day.")})
    with transaction.atomic():
        sections = list(template.sections.prefetch_related("items"))
        outlets = list(template.outlets.all())
        copy = ChecklistTemplate.objects.get(pk=template.pk)
        copy.pk = None
        copy.effective_from = effective_from
        copy.save()
        copy.outlets.set(outlets)
        for section in sections:
            items = list(section.items.all())
            section.pk = None
            section.template = copy
            section.save()
            for item in items:
                item.pk = None
                item.section = section
            ChecklistItem.objects.bulk_create(items)
    return copy


def template_items(template: ChecklistTemplate) -> list[ChecklistItem]:
    return list(
        ChecklistItem.objects.filter(section__template=template)
        .select_related("section")
        .order_by("section__sort_order", "section__pk", "sort_order", "pk")
    )


# -- slots: when a patrol is due ----------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """One patrol due: its sheet's day and time (None for daily and longer), when it may be ticked from
    and until when (aware datetimes, the bank's time zone)."""

    day: datetime.date
    time: datetime.time | None
    opens: datetime.datetime
    due: datetime.datetime

    @property
    def key(self) -> tuple[datetime.date, datetime.time | None]:
        return (self.day, self.time)


def _aware(day: datetime.date, time: datetime.time = datetime.time(0)) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, time), timezone.get_default_timezone())


def slots_of(template: ChecklistTemplate, day: datetime.date) -> list[Slot]:
    """The patrols of `template` that fall on `day`: one per time of the day; one for the day; the week's
    (its sheet dated Monday) or the month's (dated the 1st) for a weekly or monthly template."""
    frequency = template.frequency
    if frequency == Frequency.TIMES_A_DAY:
        grace = datetime.timedelta(minutes=template.grace_minutes)
        early = datetime.timedelta(minutes=EARLY_MINUTES)
        return [
            Slot(day, time, _aware(day, time) - early, _aware(day, time) + grace)
            for time in parse_times(template.times) or []
        ]
    if frequency == Frequency.DAILY:
        return [Slot(day, None, _aware(day), _aware(day + datetime.timedelta(days=1)))]
    if frequency == Frequency.WEEKLY:
        monday = day - datetime.timedelta(days=day.weekday())
        return [Slot(monday, None, _aware(monday), _aware(monday + datetime.timedelta(days=7)))]
    if frequency == Frequency.MONTHLY:
        first = day.replace(day=1)
        following = (first + datetime.timedelta(days=32)).replace(day=1)
        return [Slot(first, None, _aware(first), _aware(following))]
    return []


def outlets_of(templates: list[ChecklistTemplate], day: datetime.date, units=None) -> dict[int, list[OrgUnit]]:
    """The outlets each template applies to on `day` (its own list, or every outlet open that day),
    optionally among `units`: two queries whatever the number of templates."""
    open_outlets = OrgUnit.objects.filter(kind=UnitKind.OUTLET, status=UnitStatus.ACTIVE).filter(
        Q(opened_on__isnull=True) | Q(opened_on__lte=day), Q(closed_on__isnull=True) | Q(closed_on__gte=day)
    )
    if units is not None:
        open_outlets = open_outlets.filter(pk__in=units)
    outlets = {unit.pk: unit for unit in open_outlets.order_by("path")}
    listed: dict[int, list[int]] = defaultdict(list)
    through = ChecklistTemplate.outlets.through
    for template_id, unit_id in through.objects.filter(checklisttemplate__in=templates).values_list(
        "checklisttemplate_id", "orgunit_id"
    ):
        listed[template_id].append(unit_id)
    return {
        template.pk: (
            [outlets[pk] for pk in listed[template.pk] if pk in outlets]
            if listed[template.pk]
            else list(outlets.values())
        )
        for template in templates
    }


# -- a patrol ticked ------------------------------------------------------------------------------------


@dataclass
class AnswerIn:
    """One item's answer as a page or the API sends it."""

    item_id: int
    passed: bool | None = None
    points: str | Decimal | None = None
    note: str = ""
    photo: object | None = None


def patrol_tick(
    *,
    scope: Scope,
    user: User,
    template: ChecklistTemplate,
    unit: OrgUnit,
    day: datetime.date,
    slot: datetime.time | None,
    answers: list[AnswerIn],
    note: str = "",
    now: datetime.datetime | None = None,
) -> PatrolSheet:
    """Record a patrol of `unit` at (`day`, `slot`) on `template`, all items answered.

    Checks (all collected before anything is written): the template is a patrol in force on `day` for
    the outlet; the reader may tick it (Scope.may_tick_patrol: the post it names, or the outlet head);
    the slot is one of the template's and is open now (from EARLY_MINUTES before its time to its grace
    after); it was not ticked or missed already; every item is answered once (pass/fail, or points from
    0 to the item's points), with a photo where the item needs one.
    """
    now = now or timezone.now()
    problems: dict[str, list[str]] = {}

    def problem(field: str, message: str) -> None:
        problems.setdefault(field, []).append(str(message))

    note = (note or "").strip()
    in_force = {version.code: version for version in templates_in_force(kind=ChecklistKind.PATROL, day=day)}
    if template.kind != ChecklistKind.PATROL or in_force.get(template.code) != template:
        problem("template", _("This checklist is not the patrol in force on %(day)s.") % {"day": day.isoformat()})
    elif unit not in outlets_of([template], day, units=[unit.pk])[template.pk]:
        problem("unit", _("%(unit)s does not walk this patrol.") % {"unit": unit.name})
    if not scope.may_tick_patrol(unit, day=day, post_id=template.post_id):
        raise PermissionDenied(_("The patrol is ticked by the outlet's staff of its post, or by the outlet head."))
    slot_found = next((one for one in slots_of(template, day) if one.time == slot), None)
    if slot_found is None:
        problem("slot", _("This patrol has no round at that time."))
    elif now < slot_found.opens:
        problem(
            "slot",
            _("This round opens at %(time)s.") % {"time": timezone.localtime(slot_found.opens).strftime("%H:%M")},
        )
    elif now > slot_found.due:
        problem(
            "slot",
            _("This round closed at %(time)s: it counts as missed.")
            % {"time": timezone.localtime(slot_found.due).strftime("%Y-%m-%d %H:%M")},
        )
    if len(note) > 200:
        problem("note", _("Keep the note to 200 characters."))

    items = {item.pk: item for item in template_items(template)}
    given: dict[int, AnswerIn] = {}
    for answer in answers:
        if answer.item_id not in items:
            problem("answers", _("Item %(id)s is not on this checklist.") % {"id": answer.item_id})
        elif answer.item_id in given:
            problem("answers", _("Item %(id)s is answered twice.") % {"id": answer.item_id})
        else:
            given[answer.item_id] = answer
    rows: list[tuple[ChecklistItem, bool, Decimal | None, AnswerIn, str]] = []
    for item in items.values():
        answer = given.get(item.pk)
        if answer is None:
            problem("answers", _("Answer “%(item)s”.") % {"item": item.text})
            continue
        points = None
        if item.scoring == Scoring.POINTS:
            try:
                points = Decimal(str(answer.points)) if answer.points not in (None, "") else None
            except InvalidOperation:
                points = None
            if points is None or not points.is_finite() or not Decimal(0) <= points <= item.max_points:
                problem(
                    "answers",
                    _("“%(item)s”: give the points, from 0 to %(max)s.") % {"item": item.text, "max": item.max_points},
                )
                continue
            passed = points == item.max_points
        else:
            if answer.passed is None:
                problem("answers", _("“%(item)s”: say whether it is in order.") % {"item": item.text})
                continue
            passed = bool(answer.passed)
        content_type = ""
        if answer.photo is not None:
            try:
                content_type = evidence.photo_check(answer.photo)
            except ValidationError as refused:
                problem("answers", f"“{item.text}”: {refused.messages[0]}")
                continue
        elif item.evidence_required:
            problem("answers", _("“%(item)s” needs a photo.") % {"item": item.text})
            continue
        if len(answer.note or "") > 200:
            problem("answers", _("“%(item)s”: keep the note to 200 characters.") % {"item": item.text})
            continue
        rows.append((item, passed, points, answer, content_type))
    if problems:
        raise ValidationError(problems)

    staff = StaffMember.objects.filter(user=user).first() if getattr(user, "pk", None) else None
    stored: list[str] = []
    try:
        with transaction.atomic():
            transaction_lock(LOCK)
            existing = PatrolSheet.objects.filter(template=template, unit=unit, day=slot_found.day, slot=slot).first()
            if existing is not None:
                raise ValidationError(
                    {
                        "slot": [
                            _("This round is already recorded (%(status)s).")
                            % {"status": existing.get_status_display()}
                        ]
                    }
                )
            sheet = PatrolSheet.objects.create(
                template=template,
                unit=unit,
                day=slot_found.day,
                slot=slot,
                status=SheetStatus.DONE,
                filled_by=user,
                staff=staff,
                filled_at=now,
                note=note,
                items_checked=len(rows),
                items_passed=sum(1 for row in rows if row[1]),
            )
            answer_rows = []
            for item, passed, points, answer, content_type in rows:
                name = evidence.photo_save(answer.photo, content_type=content_type) if answer.photo is not None else ""
                if name:
                    stored.append(name)
                answer_rows.append(
                    SheetAnswer(
                        sheet=sheet,
                        item=item,
                        passed=passed,
                        points=points,
                        note=(answer.note or "").strip(),
                        photo=name,
                        photo_type=content_type,
                    )
                )
            SheetAnswer.objects.bulk_create(answer_rows)
    except IntegrityError:
        for name in stored:
            evidence.photo_delete(name)
        raise ValidationError({"slot": [_("This round is already recorded.")]})
    except BaseException:
        for name in stored:
            evidence.photo_delete(name)
        raise
    return sheet


def patrols_mark_missed(*, now: datetime.datetime | None = None, days: int = 2) -> int:
    """Record as missed every patrol round whose time is over without a sheet, for the `days` days up to
    now (the beat runs it every quarter of an hour; the facts' job runs it for the day it writes). Safe to
    run twice and by two workers at once: a round already recorded, done or missed, is left alone (the
    unique slot), and the work is set-based: two queries per day, whatever the number of outlets.
    Returns how many rounds were marked missed."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    marked = 0
    for offset in range(days - 1, -1, -1):
        day = today - datetime.timedelta(days=offset)
        templates = [
            t for t in templates_in_force(kind=ChecklistKind.PATROL, day=day) if t.frequency != Frequency.AS_NEEDED
        ]
        if not templates:
            continue
        outlets = outlets_of(templates, day)
        item_counts = dict(
            ChecklistItem.objects.filter(section__template__in=templates)
            .values_list("section__template")
            .annotate(count=Count("pk"))
            .values_list("section__template", "count")
        )
        slot_days = {slot.day for template in templates for slot in slots_of(template, day)}
        have = set(
            PatrolSheet.objects.filter(template__in=templates, day__in=slot_days).values_list(
                "template_id", "unit_id", "day", "slot"
            )
        )
        missed = []
        for template in templates:
            for slot in slots_of(template, day):
                if slot.due > now:
                    continue  # still open (a weekly round: until the week is over)
                for unit in outlets[template.pk]:
                    if (template.pk, unit.pk, slot.day, slot.time) in have:
                        continue
                    have.add((template.pk, unit.pk, slot.day, slot.time))
                    missed.append(
                        PatrolSheet(
                            template=template,
                            unit=unit,
                            day=slot.day,
                            slot=slot.time,
                            status=SheetStatus.MISSED,
                            items_checked=item_counts.get(template.pk, 0),
                            items_passed=0,
                        )
                    )
        if missed:
            with transaction.atomic():
                transaction_lock(LOCK)
                PatrolSheet.objects.bulk_create(missed, ignore_conflicts=True)
            marked += len(missed)
    return marked


def patrols_look_at(*, scope: Scope, user: User, sheet_ids: list[int], now: datetime.datetime | None = None) -> int:
    """The outlet head marks missed rounds and rounds with failed items as looked at (they leave the
    badge). Sheets outside what the reader may do are refused as not found, all or nothing."""
    now = now or timezone.now()
    try:
        ids = parse_ids(sheet_ids)
    except (TypeError, ValueError):
        raise ValidationError({"sheets": _("Sheets are named by their numbers.")})
    if not ids:
        raise ValidationError({"sheets": _("Tick at least one round.")})
    sheets = list(PatrolSheet.objects.filter(pk__in=ids).select_related("unit"))
    allowed = [sheet for sheet in sheets if scope.may_look_at_patrols(sheet.unit)]
    if len(allowed) != len(ids):
        raise ValidationError({"sheets": _("No such rounds.")})
    return PatrolSheet.objects.filter(pk__in=ids, seen_at__isnull=True).update(seen_by=user, seen_at=now)


# The nightly patrol facts cover this many ended days, so the facts of a night the beat missed are written
# the next night it runs (and a sheet recorded late is counted).
PATROL_FACT_DAYS = 7


def patrol_facts_write(*, days: Sequence[datetime.date], now: datetime.datetime | None = None) -> IngestBatch | None:
    """The patrol facts of `days` for every outlet that had rounds due: items checked, items passed, rounds
    missed (the module's docstring says how a miss counts), through facts_ingest (source `checks`), in one
    batch. The misses from the first of the days up to now are marked first, so the facts are final once a
    day is over (the beat runs it at 00:20 for the PATROL_FACT_DAYS days before). A day in a closed month
    is left as it was closed. Safe to run twice: facts_ingest leaves an unchanged fact alone and the misses
    are marked once. Nothing when no round was due."""
    now = now or timezone.now()
    if not days:
        return None
    patrols_mark_missed(now=now, days=max(1, (timezone.localdate(now) - min(days)).days + 1))
    months = {day.replace(day=1) for day in days}
    closed = set(MonthClose.objects.closed().filter(month__in=months).values_list("month", flat=True))
    open_days = sorted(day for day in set(days) if day.replace(day=1) not in closed)
    rows = patrol_fact_rows(open_days) if open_days else []
    if not rows:
        return None
    first, last = open_days[0], open_days[-1]
    label = f"巡检 {first.isoformat()}" if first == last else f"巡检 {first.isoformat()}–{last.isoformat()}"
    return facts_ingest(rows=rows, source=IngestBatch.Source.CHECKLISTS, label=label)


def patrol_days_ended(*, now: datetime.datetime | None = None, count: int = PATROL_FACT_DAYS) -> list[datetime.date]:
    """The `count` days before today, oldest first: what the nightly job writes."""
    today = timezone.localdate(now or timezone.now())
    return [today - datetime.timedelta(days=offset) for offset in range(count, 0, -1)]


def patrol_fact_rows(days: list[datetime.date]) -> list[CsvRow]:
    """The facts of the patrols of these days, per outlet and day, from their sheets (one query): items
    checked, items in order, rounds missed. Rounds at set times and daily ones count on their day; a
    weekly or monthly round is a check of its own, not of a day's lobby."""
    totals = (
        PatrolSheet.objects.filter(day__in=days, template__frequency__in=(Frequency.TIMES_A_DAY, Frequency.DAILY))
        .values("day", "unit__code")
        .annotate(
            checked=Sum("items_checked"),
            passed=Sum("items_passed"),
            missed=Count("pk", filter=Q(status=SheetStatus.MISSED)),
        )
        .order_by("day", "unit__code")
    )
    rows = []
    for outlet in totals:
        for key, metric in METRICS.items():
            rows.append(
                CsvRow(
                    line=len(rows),
                    values={
                        "date": outlet["day"].isoformat(),
                        "unit": outlet["unit__code"],
                        "staff": "",
                        "metric": metric,
                        "value": str(outlet[key] or 0),
                    },
                )
            )
    return rows


# -- inspections --------------------------------------------------------------------------------------


@dataclass
class FindingIn:
    text: str
    severity: str = Severity.MINOR
    deadline: datetime.date | None = None
    item: ChecklistItem | None = None
    staff: StaffMember | None = None
    photo: object | None = None
    deduction_item: LedgerItem | None = None
    deduction_quantity: int = 1
    vetoes: bool = False


def inspection_record(
    *,
    scope: Scope,
    user: User,
    unit: OrgUnit,
    day: datetime.date,
    title: str,
    findings: list[FindingIn],
    template: ChecklistTemplate | None = None,
    summary: str = "",
    today: datetime.date | None = None,
) -> Inspection:
    """Record an inspection of `unit` on `day` with its findings, all or nothing.

    1. Checks: the reader may inspect the outlet (Scope.may_record_inspection); the day is not in the
       future nor in a closed month; the checklist (if any) is an inspection template in force that day
       and each finding's item is on it; no finding only with a summary (an inspection that found
       nothing says so); each finding has a text, a severity, a deadline on or after the
       day; a responsible staff member works at the outlet that day; a deduction (扣分) or a veto only on
       a severe finding, a deduction only for a responsible person, with an active deduction item.
    2. Writes, in one transaction: the inspection, its findings, for each finding an alert of kind
       `inspection` (alerts.services.raised: the 整改 → 复查 flow, deadline the finding's) linked back to
       it; a deduction entered in the ledger and approved in the finding's name (staff.access.
       inspection_authority: the ledger's day window is the day the inspection is recorded, today or
       yesterday); the outlet's veto count of the day through facts_ingest (metric inspection_vetoes,
       source `checks`), which a template's veto line turns into 一票否决 on the month's scorecard.
    """
    today = today or timezone.localdate()
    problems: dict[str, list[str]] = {}

    def problem(field: str, message: str) -> None:
        problems.setdefault(field, []).append(str(message))

    if not scope.may_record_inspection(unit):
        raise PermissionDenied(_("Inspections are recorded by HQ, the supervising unit manager or an auditor."))
    title = (title or "").strip()
    if unit.kind != UnitKind.OUTLET:
        problem("unit", _("Inspections are of outlets."))
    if not title or len(title) > 100:
        problem("title", _("Give the inspection a title (稽核检查, 内控检查), up to 100 characters."))
    if day > today:
        problem("day", _("An inspection is recorded once it is made, not before."))
    elif MonthClose.objects.closed(day).exists():
        problem(
            "day", _("%(month)s is closed (月结): record the inspection in an open month.") % {"month": f"{day:%Y-%m}"}
        )
    item_ids: set[int] = set()
    if template is not None:
        in_force = {version.code: version for version in templates_in_force(kind=ChecklistKind.INSPECTION, day=day)}
        if template.kind != ChecklistKind.INSPECTION or in_force.get(template.code) != template:
            problem(
                "template",
                _("This checklist is not an inspection checklist in force on %(day)s.") % {"day": day.isoformat()},
            )
        item_ids = set(ChecklistItem.objects.filter(section__template=template).values_list("pk", flat=True))
    if not findings and not (summary or "").strip():
        # An inspection that found nothing is a record too (检查未发现问题), and says so in its summary.
        problem("summary", _("Record the findings, or say in the summary that the inspection found nothing."))
    staff_here = set(
        Assignment.objects.on(day)
        .filter(unit=unit, staff__in=[f.staff for f in findings if f.staff])
        .values_list("staff_id", flat=True)
    )
    for number, finding in enumerate(findings, start=1):
        where = _("Finding %(n)s") % {"n": number}
        text = (finding.text or "").strip()
        if not text or len(text) > 300:
            problem("findings", f"{where}: " + _("say what was found, up to 300 characters."))
        if finding.severity not in Severity.values:
            problem("findings", f"{where}: " + _("choose minor, major or severe."))
        if finding.deadline is None or finding.deadline < day:
            problem("findings", f"{where}: " + _("give the day to rectify by, on or after the inspection."))
        if finding.item is not None and finding.item.pk not in item_ids:
            problem("findings", f"{where}: " + _("the item is not on the inspection's checklist."))
        if finding.staff is not None and finding.staff.pk not in staff_here:
            problem(
                "findings",
                f"{where}: " + _("%(who)s does not work at the outlet on that day.") % {"who": finding.staff.code},
            )
        severe = finding.severity == Severity.SEVERE
        if finding.vetoes and not severe:
            problem("findings", f"{where}: " + _("only a severe finding vetoes the month."))
        if finding.deduction_item is not None:
            if not severe:
                problem("findings", f"{where}: " + _("only a severe finding carries a deduction."))
            if finding.staff is None:
                problem("findings", f"{where}: " + _("a deduction is taken from the person responsible: name them."))
            if finding.deduction_item.kind != ItemKind.DEDUCTION or not finding.deduction_item.is_active:
                problem("findings", f"{where}: " + _("choose an active deduction item (扣分) of the ledger."))
            if not isinstance(finding.deduction_quantity, int) or not 1 <= finding.deduction_quantity <= 100:
                problem("findings", f"{where}: " + _("the deduction counts from 1 to 100 units."))
        if finding.photo is not None:
            try:
                finding.photo_type = evidence.photo_check(finding.photo)
            except ValidationError as refused:
                problem("findings", f"{where}: {refused.messages[0]}")
    if len(summary or "") > 5000:
        problem("summary", _("Keep the summary to 5,000 characters."))
    if problems:
        raise ValidationError(problems)

    stored: list[str] = []
    try:
        with transaction.atomic():
            inspection = Inspection.objects.create(
                template=template, unit=unit, day=day, title=title, summary=(summary or "").strip(), inspector=user
            )
            authority = inspection_authority(unit)
            for finding in findings:
                photo = ""
                if finding.photo is not None:
                    photo = evidence.photo_save(finding.photo, content_type=finding.photo_type)
                    stored.append(photo)
                row = Finding.objects.create(
                    inspection=inspection,
                    item=finding.item,
                    text=finding.text.strip(),
                    severity=finding.severity,
                    staff=finding.staff,
                    deadline=finding.deadline,
                    photo=photo,
                    photo_type=getattr(finding, "photo_type", "") if photo else "",
                    vetoes=finding.vetoes,
                )
                row.alert = alert_raise(
                    kind=RuleKind.INSPECTION,
                    unit=unit,
                    link_kind_code=FINDING_KIND,
                    link_id=row.pk,
                    detail=f"{title} {day.isoformat()}：{row.text}（{row.get_severity_display()}）",
                    deadline=finding.deadline,
                    by=user,
                    day=today,
                )
                if finding.deduction_item is not None:
                    try:
                        entry = entry_create(
                            scope=authority,
                            user=user,
                            item=finding.deduction_item,
                            day=day,
                            quantity=finding.deduction_quantity,
                            staff=finding.staff,
                            note=f"{title}：{row.text}"[:200],
                            today=today,
                        )
                        if entry.status != "approved":
                            entries_decide(scope=authority, user=user, entry_ids=[entry.pk], action=Action.APPROVE)
                    except ValidationError as refused:
                        raise ValidationError({"findings": [f"{row.text}: {message}" for message in refused.messages]})
                    row.ledger_entry = entry
                row.save(update_fields=["alert", "ledger_entry"])
            if any(finding.vetoes for finding in findings):
                _veto_facts_write(unit=unit, day=day, user=user)
    except BaseException:
        for name in stored:
            evidence.photo_delete(name)
        raise
    return inspection


def _veto_facts_write(*, unit: OrgUnit, day: datetime.date, user: User | None) -> None:
    """The outlet's count of vetoing findings of the day, as the fact of inspection_vetoes."""
    count = Finding.objects.filter(inspection__unit=unit, inspection__day=day, vetoes=True).count()
    row = CsvRow(
        line=0,
        values={"date": day.isoformat(), "unit": unit.code, "staff": "", "metric": VETO_METRIC, "value": str(count)},
    )
    try:
        facts_ingest(
            rows=[row], source=IngestBatch.Source.CHECKLISTS, created_by=user, label=f"检查否决 {day.isoformat()}"
        )
    except ImportRejected as rejected:
        raise ValidationError({"findings": [problem.message for problem in rejected.problems]})
