"""Reads about people, and the one answer to "may this user see this unit / this staff member".

Every view and every API endpoint goes through `scope_for_user` (or, for API tokens, a Scope built the
same way) and `get_unit_or_404` / `get_staff_or_404`: something outside one's scope is a 404, never a
hint that it exists (DOMAIN.md §7).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from branches.models import OrgUnit
from staff.models import ApiToken, Assignment, Role, StaffMember, User


@dataclass(frozen=True)
class Scope:
    """What a principal (a user, later an API token) may see.

    everything: HQ administrators, auditors and superusers.
    unit_path:  the materialised path of the unit whose subtree is visible (unit managers, outlet heads).
    staff_id:   a staff member who sees only their own record (the staff role).
    Nothing set: sees nothing.
    personal_data: may read names and identity numbers unmasked (lib.masking): people who
                manage the staff and customers they see, and tokens given the `personal` scope.
    """

    everything: bool = False
    unit_path: str | None = None
    staff_id: int | None = None
    read_only: bool = True
    personal_data: bool = False

    @classmethod
    def nothing(cls) -> Scope:
        return cls()

    def units(self, queryset: QuerySet[OrgUnit] | None = None) -> QuerySet[OrgUnit]:
        queryset = OrgUnit.objects.all() if queryset is None else queryset
        if self.everything:
            return queryset
        if self.unit_path:
            return queryset.filter(path__startswith=self.unit_path)
        return queryset.none()

    def can_see_unit(self, unit: OrgUnit) -> bool:
        if self.everything:
            return True
        return bool(self.unit_path) and unit.path.startswith(self.unit_path)

    def staff(self, queryset: QuerySet[StaffMember] | None = None) -> QuerySet[StaffMember]:
        """Staff members visible in this scope: those ever assigned inside the subtree (so past
        scorecards stay readable after a transfer), or oneself for the staff role."""
        queryset = StaffMember.objects.all() if queryset is None else queryset
        if self.everything:
            return queryset
        if self.unit_path:
            in_subtree = Assignment.objects.filter(staff=OuterRef("pk"), unit__path__startswith=self.unit_path)
            return queryset.filter(Exists(in_subtree))
        if self.staff_id:
            return queryset.filter(pk=self.staff_id)
        return queryset.none()

    def can_see_staff(self, staff_member: StaffMember) -> bool:
        if self.everything:
            return True
        if self.staff_id is not None and self.staff_id == staff_member.pk:
            return True
        return self.staff(StaffMember.objects.filter(pk=staff_member.pk)).exists()


def scope_for_user(user: User) -> Scope:
    if not user.is_authenticated or not user.is_active:
        return Scope.nothing()
    if user.is_superuser or user.role == Role.HQ_ADMIN:
        return Scope(everything=True, read_only=False, personal_data=True)
    if user.role == Role.AUDITOR:
        return Scope(everything=True, read_only=True, personal_data=True)
    if user.role in (Role.UNIT_MANAGER, Role.OUTLET_HEAD) and user.unit_id:
        return Scope(unit_path=user.unit.path, read_only=False, personal_data=True)
    if user.role == Role.STAFF:
        staff_member = StaffMember.objects.filter(user=user).only("pk").first()
        if staff_member:
            # Their own record only, which is their own data.
            return Scope(staff_id=staff_member.pk, personal_data=True)
    return Scope.nothing()


def get_unit_or_404(scope: Scope, code: str) -> OrgUnit:
    """The unit with this code if the scope may see it; 404 whether it is missing or out of scope."""
    unit = scope.units().filter(code=code).first()
    if unit is None:
        raise Http404("No such unit.")
    return unit


def get_staff_or_404(scope: Scope, code: str) -> StaffMember:
    staff_member = scope.staff().filter(code=code).first()
    if staff_member is None:
        raise Http404("No such staff member.")
    return staff_member


def assignments_on(*, day: datetime.date, unit: OrgUnit | None = None) -> QuerySet[Assignment]:
    queryset = Assignment.objects.on(day).select_related("staff", "post", "unit")
    if unit is not None:
        queryset = queryset.filter(unit=unit)
    return queryset


def scope_for_token(token: ApiToken) -> Scope:
    """An integration token sees its unit's subtree; it writes only with the ingest or admin scope."""
    if not token.is_active:
        return Scope.nothing()
    read_only = not (token.scope_names & {ApiToken.ScopeName.INGEST, ApiToken.ScopeName.ADMIN})
    personal_data = ApiToken.ScopeName.PERSONAL in token.scope_names
    return Scope(unit_path=token.unit.path, read_only=read_only, personal_data=personal_data)


def scope_for_request(request) -> Scope:
    """The scope of whoever made an API or page request: the token if one authenticated it, else the user."""
    token = getattr(request, "auth", None)
    if isinstance(token, ApiToken):
        return scope_for_token(token)
    return scope_for_user(request.user)
