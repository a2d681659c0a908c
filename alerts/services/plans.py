"""一点一策: one improvement plan per outlet and period, with measures that each have an owner, a due date
and a progress from 0 to 100 % (done when it reaches 100).

Whoever may follow up an alert of the outlet may write its plan: the outlet head, a unit manager above
it, HQ (DOMAIN.md §7); auditors and staff read only.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alerts.models import ImprovementPlan, Measure
from branches.models import OrgUnit
from lib.periods import PeriodKind, parse_period
from staff.access import scope_for_user
from staff.models import User

PLAN_PERIOD_KINDS = (PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR)
NOT_A_PLAN_PERIOD = gettext_lazy("Give a month, a quarter or a year: 2026-11, 2026-Q4 or 2026.")
PLAN_FIELDS = ("title", "diagnosis")
MEASURE_FIELDS = ("description", "owner", "due", "progress")


def can_plan(user: User, unit: OrgUnit) -> bool:
    """Whoever may follow the outlet up (staff.access)."""
    return scope_for_user(user).may_follow_up(unit)


def plan_create(*, unit: OrgUnit, period: str, title: str, by: User, diagnosis: str = "") -> ImprovementPlan:
    """A new plan for an outlet and a month, quarter or year (2026-11, 2026-Q4, 2026)."""
    if not can_plan(by, unit):
        raise PermissionDenied(_("You may not write plans for this unit."))
    problems = {}
    if not unit.is_outlet:
        problems["unit"] = _("A plan is made for an outlet.")
    try:
        parsed = parse_period(period, kinds=PLAN_PERIOD_KINDS)
    except ValueError:
        parsed = None
        problems["period"] = str(NOT_A_PLAN_PERIOD)
    title = (title or "").strip()
    if not title:
        problems["title"] = _("Give the plan a title.")
    if parsed is not None and ImprovementPlan.objects.filter(unit=unit, period=parsed.code).exists():
        problems["period"] = _("This outlet already has a plan for %(period)s.") % {"period": parsed.code}
    if problems:
        raise ValidationError(problems)
    try:
        with transaction.atomic():
            return ImprovementPlan.objects.create(
                unit=unit, period=parsed.code, title=title, diagnosis=(diagnosis or "").strip(), created_by=by
            )
    except IntegrityError:
        # Made by someone else a moment ago (plan_once_per_outlet_period).
        raise ValidationError({"period": _("This outlet already has a plan for %(period)s.") % {"period": parsed.code}})


def plan_update(*, plan: ImprovementPlan, by: User, **fields: str) -> ImprovementPlan:
    if not can_plan(by, plan.unit):
        raise PermissionDenied(_("You may not write plans for this unit."))
    _check_fields(fields, PLAN_FIELDS, "plan_update")
    for name, value in fields.items():
        setattr(plan, name, (value or "").strip())
    if not plan.title:
        raise ValidationError({"title": _("Give the plan a title.")})
    plan.save()
    return plan


def plan_measure_add(
    *,
    plan: ImprovementPlan,
    by: User,
    description: str,
    owner: User | None = None,
    due: datetime.date | None = None,
    progress: int = 0,
) -> Measure:
    if not can_plan(by, plan.unit):
        raise PermissionDenied(_("You may not write plans for this unit."))
    measure = Measure(plan=plan)
    return _measure_save(measure, description=description, owner=owner, due=due, progress=progress)


def plan_measure_update(*, measure: Measure, by: User, **fields) -> Measure:
    """Change a measure's description, owner, due date or progress; done when progress reaches 100."""
    if not can_plan(by, measure.plan.unit):
        raise PermissionDenied(_("You may not write plans for this unit."))
    _check_fields(fields, MEASURE_FIELDS, "plan_measure_update")
    current = {name: getattr(measure, name) for name in MEASURE_FIELDS}
    return _measure_save(measure, **{**current, **fields})


def _measure_save(
    measure: Measure, *, description: str, owner: User | None, due: datetime.date | None, progress: int
) -> Measure:
    problems = {}
    description = (description or "").strip()
    if not description:
        problems["description"] = _("Describe the measure.")
    if owner is not None and not scope_for_user(owner).can_see_unit(measure.plan.unit):
        problems["owner"] = _("The owner must be someone who sees this unit.")
    if not isinstance(progress, int) or not 0 <= progress <= 100:
        problems["progress"] = _("Progress is a whole percentage from 0 to 100.")
    if problems:
        raise ValidationError(problems)
    measure.description, measure.owner, measure.due, measure.progress = description, owner, due, progress
    if progress == 100 and measure.done_at is None:
        measure.done_at = timezone.now()
    elif progress < 100:
        measure.done_at = None
    measure.save()
    return measure


def _check_fields(fields: dict, allowed: tuple[str, ...], service: str) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValueError(f"{service}: unknown field(s) {sorted(unknown)}")
