"""The transformation rollout (网点转型: 导入 → 固化 → 验收): an outlet copies its benchmark's practices.

Why in kpi, beside the benchmark page, and not an app of its own: the benchmark page (kpi) shows each
replica's rollout beside its before/after figures, and kpi may not import an app above it; the rollout
needs nothing above kpi (outlets, posts and assignments are below it). A rank-4 app would have needed a
registry for one reader of one figure.

1. rollout_start: a project per outlet, copying its benchmark's practice checklist (PracticeItem, HQ's in
   the admin) into its own items, with a coach (a staff member); stage 导入.
2. rollout_item_mark: an item done (with its evidence: what was put in place, where to see it) or undone.
3. rollout_advance: one stage forward; 验收 only when every item is done (readiness 100 %).
4. readiness = Σ weights of the done items / Σ weights of all items (kpi.selectors.rollout).

Who: Scope.may_run_rollout(outlet): HQ, the unit manager above it, the outlet head.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from branches.models import OrgUnit, UnitKind
from kpi.models import PracticeItem, RolloutItem, RolloutProject, RolloutStage
from staff.access import Scope
from staff.models import StaffMember, User

STAGES = [RolloutStage.INTRODUCE, RolloutStage.CONSOLIDATE, RolloutStage.ACCEPT]


@transaction.atomic
def rollout_start(
    *, scope: Scope, outlet: OrgUnit, coach: StaffMember | None, started_on: datetime.date
) -> RolloutProject:
    """A rollout for an outlet that replicates a benchmark, its items copied from the benchmark's checklist."""
    if not scope.may_run_rollout(outlet):
        raise PermissionDenied(_("Only HQ, the unit manager and the outlet head run an outlet's rollout."))
    problems: dict[str, list[str]] = {}
    if outlet.kind != UnitKind.OUTLET or outlet.benchmark_id is None:
        problems["outlet"] = [_("Only an outlet that replicates a benchmark outlet has a rollout.")]
    elif RolloutProject.objects.filter(outlet=outlet).exists():
        problems["outlet"] = [_("%(code)s already has a rollout.") % {"code": outlet.code}]
    elif not PracticeItem.objects.filter(benchmark_id=outlet.benchmark_id).exists():
        problems["outlet"] = [
            _("The benchmark outlet has no practice checklist to copy yet (HQ keeps it in the admin).")
        ]
    if problems:
        raise ValidationError(problems)
    project = RolloutProject.objects.create(
        outlet=outlet, benchmark_id=outlet.benchmark_id, coach=coach, started_on=started_on
    )
    RolloutItem.objects.bulk_create(
        RolloutItem(project=project, name=item.name, weight=item.weight, sort_order=item.sort_order)
        for item in PracticeItem.objects.filter(benchmark_id=outlet.benchmark_id)
    )
    return project


@transaction.atomic
def rollout_item_mark(
    *, scope: Scope, user: User, item: RolloutItem, done: bool, evidence: str, day: datetime.date
) -> RolloutItem:
    """Mark an item done with its evidence (required), or not done. Nothing changes after 验收."""
    project = item.project
    if not scope.may_run_rollout(project.outlet):
        raise PermissionDenied(_("Only HQ, the unit manager and the outlet head run an outlet's rollout."))
    if project.stage == RolloutStage.ACCEPT:
        raise ValidationError({"item": [_("The rollout has passed acceptance (验收): its items are final.")]})
    evidence = (evidence or "").strip()
    if done and not evidence:
        raise ValidationError({"evidence": [_("Say what shows it is in place (the evidence).")]})
    item.done_on = day if done else None
    item.evidence = evidence if done else ""
    item.done_by = user if done and user.is_authenticated else None
    item.save(update_fields=["done_on", "evidence", "done_by"])
    return item


@transaction.atomic
def rollout_advance(*, scope: Scope, project: RolloutProject, day: datetime.date) -> RolloutProject:
    """One stage forward: 导入 → 固化 → 验收. Acceptance needs every item done."""
    if not scope.may_run_rollout(project.outlet):
        raise PermissionDenied(_("Only HQ, the unit manager and the outlet head run an outlet's rollout."))
    project = RolloutProject.objects.select_for_update().get(pk=project.pk)
    index = STAGES.index(RolloutStage(project.stage))
    if index == len(STAGES) - 1:
        raise ValidationError({"stage": [_("The rollout has already passed acceptance (验收).")]})
    following = STAGES[index + 1]
    if following == RolloutStage.ACCEPT and project.items.filter(done_on=None).exists():
        raise ValidationError({"stage": [_("Acceptance (验收) needs every practice done, with its evidence.")]})
    project.stage = following
    if following == RolloutStage.ACCEPT:
        project.accepted_on = day
    project.save(update_fields=["stage", "accepted_on"])
    return project
