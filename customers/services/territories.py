"""Territories (网格): writes, and the rule that a territory's owner is one of the outlet's staff
(定员定岗定责)."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import OrgUnit
from staff.models import Assignment, StaffMember


def owner_refusal(*, outlet: OrgUnit, owner: StaffMember, day: datetime.date | None = None) -> str:
    """Why `owner` may not own a territory of `outlet` on `day` (today by default), or "" when they may:
    the owner must hold an assignment at that very outlet on that day."""
    day = day or timezone.localdate()
    if not outlet.is_outlet:
        return _("A territory belongs to an outlet, not to %(unit)s.") % {"unit": outlet.code}
    if not Assignment.objects.on(day).filter(staff=owner, unit=outlet).exists():
        return _(
            "%(staff)s is not assigned to outlet %(outlet)s on %(day)s: "
            "a territory's owner must be one of the outlet's staff."
        ) % {
            "staff": owner.code,
            "outlet": outlet.code,
            "day": day.isoformat(),
        }
    return ""
