"""Alerts raised by another app for one object each (RuleKind in RAISED_KINDS): an inspection's finding
(the checklists app) opens an alert of kind `inspection`, which then follows the one 整改 → 复查 flow of
alerts.services.follow_up (owner, cause, plan and deadline; in progress; done; verified from above).

The alert names the object by its lib.links kind and id (Alert.link_kind, link_id): alerts does not import
the app above it, and the registry says where the object's page is and who may see it (`raised_for`).
One rule per kind is kept for these alerts (created on first use, named in the reader's language of the
day it was created; HQ may rename it or change its severity and days to act in the admin).
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from alerts.models import Alert, AlertEvent, AlertRule, RuleKind
from branches.models import OrgUnit
from lib.links import link_kind
from staff.models import User

# The rule of each raised kind (alerts/migrations/0006 installs the inspection one; made here if HQ deleted it).
_RULE_NAMES = {RuleKind.INSPECTION: "检查发现整改"}


def raised_rule(kind: str) -> AlertRule:
    """The rule of a raised kind, made the first time it is needed."""
    rule = AlertRule.objects.filter(kind=kind).order_by("pk").first()
    if rule is None:
        rule = AlertRule.objects.create(name=_RULE_NAMES.get(kind, kind), kind=kind, unit_kind="outlet")
    return rule


def alert_raise(
    *,
    kind: str,
    unit: OrgUnit,
    link_kind_code: str,
    link_id: int,
    detail: str,
    deadline: datetime.date | None,
    by: User | None,
    day: datetime.date | None = None,
) -> Alert:
    """Open the alert of one object (an inspection's finding), or return the one it already has (raising
    twice opens one alert). The history says who raised it and why, as the evaluation's alerts do."""
    day = day or timezone.localdate()
    with transaction.atomic():
        existing = Alert.objects.filter(link_kind=link_kind_code, link_id=link_id).first()
        if existing is not None:
            return existing
        rule = raised_rule(kind)
        alert = Alert.objects.create(
            rule=rule,
            unit=unit,
            opened_on=day,
            last_seen_on=day,
            detail=detail[:300],
            deadline=deadline,
            link_kind=link_kind_code,
            link_id=link_id,
        )
        AlertEvent.objects.create(
            alert=alert, by=by if getattr(by, "pk", None) else None, to_status=alert.status, comment=detail[:1000]
        )
    return alert


def raised_for(alert: Alert, scope) -> dict | None:
    """What the alert was raised for, for its page: {"label", "text", "url"} when the reader may see the
    object, None otherwise (or for an alert of the evaluation)."""
    if not alert.link_kind or alert.link_id is None:
        return None
    kind = link_kind(alert.link_kind)
    if kind is None:
        return None
    found = kind.visible(kind.objects().filter(pk=alert.link_id), scope).first()
    if found is None:
        return None
    return {"label": kind.label, "text": kind.describe(found), "url": kind.url(found)}


__all__ = ["alert_raise", "raised_for", "raised_rule"]
