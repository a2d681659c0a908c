"""The complaints register's reads, in the reader's scope."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from complaints.models import Complaint
from staff.access import Scope


def complaints_visible(*, scope: Scope) -> QuerySet[Complaint]:
    """HQ and auditors: all; a unit's heads and tokens: the outlets of their subtree; a staff member: the
    complaints that name them (their own record)."""
    complaints = Complaint.objects.select_related("unit", "staff")
    if scope.everything:
        return complaints
    if scope.unit_path:
        return complaints.filter(unit__path__startswith=scope.unit_path)
    if scope.staff_id:
        return complaints.filter(staff_id=scope.staff_id)
    return complaints.none()


def complaint_get_or_404(*, scope: Scope, complaint_id: int) -> Complaint:
    complaint = complaints_visible(scope=scope).filter(pk=complaint_id).first()
    if complaint is None:
        raise Http404("No such complaint.")
    return complaint
