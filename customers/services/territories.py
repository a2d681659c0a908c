"""Territories (网格): writes, and the rule that a territory's owner is one of the outlet's staff
(定员定岗定责)."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import OrgUnit
from customers.models import Territory, TerritoryKind
from staff.access import Scope
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


def territory_save(
    *,
    scope: Scope,
    outlet: OrgUnit,
    kind: str,
    name: str,
    owner: StaffMember | None,
    active: bool = True,
    territory: Territory | None = None,
) -> Territory:
    """Create a territory of `outlet`, or change `territory` (which must be the outlet's).

    Who: Scope.may_edit_territories (HQ, the outlet head); anyone else is refused (PermissionDenied).
    Checks, every problem collected by field before anything is written (ValidationError): a known kind;
    a name of 1–60 characters, once per outlet; an owner assigned to the outlet today (owner_refusal
    says why not)."""
    if not scope.may_edit_territories(outlet):
        raise PermissionDenied(_("Only HQ and the outlet head may change the outlet's territories."))
    problems: dict[str, list[str]] = {}
    name = (name or "").strip()
    if kind not in TerritoryKind.values:
        problems["kind"] = [_("Choose the kind of territory: community, village, market, business district or park.")]
    if not name:
        problems["name"] = [_("Give the territory a name, such as 幸福社区 or 东风村.")]
    elif len(name) > Territory._meta.get_field("name").max_length:
        problems["name"] = [_("Keep the name to 60 characters.")]
    elif Territory.objects.filter(outlet=outlet, name=name).exclude(pk=territory.pk if territory else None).exists():
        problems["name"] = [_("The outlet already has a territory of that name.")]
    if owner is None:
        problems["owner"] = [_("Name the staff member who owns the territory (定员定岗定责).")]
    elif refusal := owner_refusal(outlet=outlet, owner=owner):
        problems["owner"] = [refusal]
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        if territory is None:
            territory = Territory(outlet=outlet)
        territory.kind, territory.name, territory.owner, territory.active = kind, name, owner, bool(active)
        territory.save()
    return territory
