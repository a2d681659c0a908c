"""签收: the head of a unit given targets by a published plan acknowledges them, or asks for a review
with a reason (申请复核); whoever sees the plan sees who has not answered yet (plans.selectors).

Only the unit's own head answers (staff.access.Scope.may_acknowledge_targets); an answer may be changed
(a review asked for, then acknowledged once it is settled), and each answer records who and when.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from plans.models import AcknowledgementStatus, TargetAcknowledgement
from plans.services.cells import PlanProblems, Problem
from staff.access import Scope

REASON_MAX = 2000


def can_acknowledge(scope: Scope, acknowledgement: TargetAcknowledgement) -> bool:
    return scope.may_acknowledge_targets(acknowledgement.unit)


def acknowledgement_answer(
    *, scope: Scope, acknowledgement: TargetAcknowledgement, status: str, reason: str = "", by=None
) -> TargetAcknowledgement:
    """Acknowledge (status "acknowledged") or ask for a review (status "review", with a reason)."""
    if not can_acknowledge(scope, acknowledgement):
        raise PermissionDenied(_("Only the head of %(unit)s answers for its targets.") % {"unit": acknowledgement.unit})
    reason = (reason or "").strip()
    if status not in (AcknowledgementStatus.ACKNOWLEDGED, AcknowledgementStatus.REVIEW):
        raise PlanProblems([Problem("status", _("Acknowledge the targets or ask for a review."))])
    if status == AcknowledgementStatus.REVIEW and not reason:
        raise PlanProblems([Problem("reason", _("Say why the targets should be reviewed."))])
    if len(reason) > REASON_MAX:
        raise PlanProblems([Problem("reason", _("At most %(count)s characters, please.") % {"count": REASON_MAX})])
    with transaction.atomic():
        row = TargetAcknowledgement.objects.select_for_update().get(pk=acknowledgement.pk)
        row.status, row.reason = status, reason
        row.answered_by, row.answered_at = by, timezone.now()
        row.save(update_fields=["status", "reason", "answered_by", "answered_at"])
    return row
