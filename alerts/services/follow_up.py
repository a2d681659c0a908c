"""Follow-through of an alert (整改 → 复查): owner and plan, the state machine, comments, history.

    open ──► in_progress ──► done ──► verified
      ▲           ▲            │
      │           └─ reopened ◄┘
      └ (the rollup opens it; it closes itself as `cleared` while still `open`)

No skipping: an alert reaches `verified` only through `done`, and `done` only through `in_progress`.
Moving to `in_progress` needs an owner, a cause, an action plan and a deadline. Verifying (复查) or
reopening is for the level above the outlet (a unit manager or HQ), never for the outlet head who did
the work. Every change leaves an AlertEvent with who and when.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alerts.models import ACTIVE_STATUSES, Alert, AlertEvent, AlertStatus, Cause
from lib.links import objects_closed_announce
from staff.access import scope_for_user
from staff.models import User

TRANSITIONS: dict[str, frozenset[str]] = {
    AlertStatus.OPEN: frozenset({AlertStatus.IN_PROGRESS}),
    AlertStatus.REOPENED: frozenset({AlertStatus.IN_PROGRESS}),
    AlertStatus.IN_PROGRESS: frozenset({AlertStatus.DONE}),
    AlertStatus.DONE: frozenset({AlertStatus.VERIFIED, AlertStatus.REOPENED}),
}
# Moves only the level above the outlet makes.
REVIEW_MOVES = frozenset({AlertStatus.VERIFIED, AlertStatus.REOPENED})
FOLLOW_UP_FIELDS = ("owner", "cause", "action_plan", "deadline")
# How far ahead a deadline (整改期限) may be set: a quarter. Longer work is an improvement plan (一点一策).
DEADLINE_MAX_DAYS = 90
# The follow-up fields whose change the history records by a person's name (_describe): personal data,
# shown through Scope.person_name wherever the history is read.
PERSON_FIELDS = frozenset({"owner"})


def can_follow_up(user: User, alert: Alert) -> bool:
    """Whoever may change things in the alert's unit (DOMAIN.md §7): HQ, the unit manager above it, the
    outlet head of it. Auditors and staff read only."""
    return scope_for_user(user).may_follow_up(alert.unit)


def can_review(user: User, alert: Alert) -> bool:
    """复查 is done from above: HQ or a unit manager whose subtree holds the unit, not its outlet head."""
    return scope_for_user(user).may_review_from_above(alert.unit)


def next_statuses(user: User, alert: Alert) -> list[str]:
    """The statuses this user may move the alert to now (for the page's buttons)."""
    if not can_follow_up(user, alert):
        return []
    allowed = TRANSITIONS.get(alert.status, frozenset())
    if not can_review(user, alert):
        allowed = allowed - REVIEW_MOVES
    return [status for status in AlertStatus.values if status in allowed]


def alert_update(*, alert: Alert, by: User, **fields) -> Alert:
    """Set the owner, cause, action plan or deadline; records what changed (old → new)."""
    if not can_follow_up(by, alert):
        raise PermissionDenied(_("You may not follow up this alert."))
    unknown = set(fields) - set(FOLLOW_UP_FIELDS)
    if unknown:
        raise ValueError(f"alert_update: unknown field(s) {sorted(unknown)}")
    if not alert.is_active:
        raise ValidationError(_("This alert is closed; nothing about it can change."))
    problems = {}
    if fields.get("cause") and fields["cause"] not in Cause.values:
        problems["cause"] = _("Choose market, customer or internal process.")
    owner = fields.get("owner")
    if owner is not None and not scope_for_user(owner).can_see_unit(alert.unit):
        problems["owner"] = _("The owner must be someone who sees this unit.")
    deadline = fields.get("deadline")
    if (
        deadline is not None
        and alert.deadline is not None
        and deadline > alert.deadline
        and is_overdue(alert, timezone.localdate())
        and not can_review(by, alert)
    ):
        # Else the outlet that missed its deadline makes "overdue" disappear by moving it.
        problems["deadline"] = _(
            "The alert is overdue (deadline %(deadline)s): a later deadline is given by the unit manager or HQ."
        ) % {"deadline": alert.deadline.isoformat()}
    if problems:
        raise ValidationError(problems)
    changes = {}
    for name, value in fields.items():
        old = getattr(alert, name)
        if old != value:
            changes[name] = [_describe(old), _describe(value)]
            setattr(alert, name, value)
    if changes:
        with transaction.atomic():
            alert.save()
            AlertEvent.objects.create(alert=alert, by=by, changes=changes)
    return alert


def alert_transition(*, alert: Alert, to: str, by: User, comment: str = "") -> Alert:
    """Move the alert along the state machine; ValidationError says why a move is not possible."""
    if not can_follow_up(by, alert):
        raise PermissionDenied(_("You may not follow up this alert."))
    if to not in TRANSITIONS.get(alert.status, frozenset()):
        raise ValidationError(
            _("An alert that is “%(from)s” cannot become “%(to)s”.")
            % {"from": AlertStatus(alert.status).label, "to": AlertStatus(to).label if to in AlertStatus.values else to}
        )
    if to in REVIEW_MOVES and not can_review(by, alert):
        raise PermissionDenied(_("Verifying or reopening is done by the unit manager or HQ."))
    if to == AlertStatus.IN_PROGRESS:
        missing = [name for name in FOLLOW_UP_FIELDS if not getattr(alert, name)]
        if missing:
            raise ValidationError(
                {name: _("Needed before the work starts.") for name in missing},
            )
    if to == AlertStatus.REOPENED and not comment.strip():
        raise ValidationError({"comment": _("Say why the alert is reopened.")})
    with transaction.atomic():
        previous = alert.status
        alert.status = to
        if to == AlertStatus.VERIFIED:
            alert.closed_at = timezone.now()
        alert.save()
        AlertEvent.objects.create(alert=alert, by=by, from_status=previous, to_status=to, comment=comment)
        if to == AlertStatus.VERIFIED:
            # What other apps link to this alert (a meeting's action item) closes with it, once committed.
            objects_closed_announce(Alert, [alert.pk])
    return alert


def alert_comment(*, alert: Alert, by: User, text: str) -> AlertEvent:
    if not can_follow_up(by, alert):
        raise PermissionDenied(_("You may not follow up this alert."))
    if not text.strip():
        raise ValidationError({"comment": _("Write something.")})
    return AlertEvent.objects.create(alert=alert, by=by, comment=text.strip())


def is_overdue(alert: Alert, today: datetime.date | None = None) -> bool:
    today = today or timezone.localdate()
    return (
        alert.deadline is not None
        and alert.deadline < today
        and alert.status in (AlertStatus.OPEN, AlertStatus.IN_PROGRESS, AlertStatus.REOPENED)
    )


def _describe(value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, User):
        return value.get_full_name() or value.username
    return str(value)


__all__ = [
    "ACTIVE_STATUSES",
    "PERSON_FIELDS",
    "TRANSITIONS",
    "alert_comment",
    "alert_transition",
    "alert_update",
    "can_follow_up",
    "can_review",
    "is_overdue",
    "next_statuses",
]
