"""Reads of the points ledger: the entries a reader may see, a person's day, the approval list with its
suspected duplicates, the entries behind a scorecard line."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Sum
from django.http import Http404

from branches.models import OrgUnit
from kpi.models import Metric
from ledger.models import EntryStatus, ItemKind, LedgerEntry, LedgerItem
from lib.ids import is_id
from staff.access import Scope
from staff.models import Assignment, StaffMember


def entries_visible(scope: Scope, queryset: QuerySet[LedgerEntry] | None = None) -> QuerySet[LedgerEntry]:
    """The entries a reader may see: those of the outlets of their subtree (HQ and auditors: all); a staff
    member their own and those they share (as the partner)."""
    queryset = LedgerEntry.objects.all() if queryset is None else queryset
    if scope.everything:
        return queryset
    if scope.unit_path:
        return queryset.filter(unit__path__startswith=scope.unit_path)
    if scope.staff_id:
        return queryset.filter(Q(staff_id=scope.staff_id) | Q(partner_id=scope.staff_id))
    return queryset.none()


def get_entry_or_404(scope: Scope, entry_id: int) -> LedgerEntry:
    """The entry with this id if the reader may see it (entries_visible); 404 whether it is missing or
    out of sight."""
    entry = with_details(entries_visible(scope)).filter(pk=entry_id).first() if is_id(entry_id) else None
    if entry is None:
        raise Http404("No such entry.")
    return entry


def with_details(queryset: QuerySet[LedgerEntry]) -> QuerySet[LedgerEntry]:
    return queryset.select_related("item", "item__metric", "staff", "partner", "unit", "decided_by", "entered_by")


def with_duplicates(queryset: QuerySet[LedgerEntry]) -> QuerySet[LedgerEntry]:
    """Annotates `suspected_duplicate`: another entry (not rejected or withdrawn) of the same customer,
    item, day and outlet, by anyone (two colleagues claiming the same card opened), one subquery for the
    list. An entry withdrawn and recorded again is no duplicate of itself."""
    others = LedgerEntry.objects.filter(
        unit_id=OuterRef("unit_id"),
        item_id=OuterRef("item_id"),
        day=OuterRef("day"),
        customer_code=OuterRef("customer_code"),
    ).exclude(pk=OuterRef("pk"))
    # An entry without a customer number matches only others without one, which are left out.
    counted = (EntryStatus.PENDING, EntryStatus.APPROVED)
    others = others.filter(status__in=counted).exclude(customer_code="")
    # A rejected or withdrawn entry is flagged neither: it claims nothing any longer.
    flagged = ExpressionWrapper(Q(Exists(others), status__in=counted), output_field=BooleanField())
    return queryset.annotate(suspected_duplicate=flagged)


def items_for_entry(*, deductions: bool = False) -> QuerySet[LedgerItem]:
    kind = ItemKind.DEDUCTION if deductions else ItemKind.REWARD
    return LedgerItem.objects.filter(is_active=True, kind=kind).select_related("metric").prefetch_related("posts")


def items_for_staff(staff: StaffMember, days: tuple[datetime.date, datetime.date]) -> list[LedgerItem]:
    """The reward items a person may record on either day: those open to every post or to a post they
    hold at an outlet then (the service checks the day's own post again)."""
    first, last = days
    posts = set(
        Assignment.objects.filter(staff=staff, start__lte=last, unit__kind="outlet")
        .exclude(end__lt=first)
        .values_list("post_id", flat=True)
    )
    return [
        item for item in items_for_entry() if not (allowed := {post.pk for post in item.posts.all()}) or allowed & posts
    ]


@dataclass(frozen=True)
class DayPoints:
    approved: Decimal
    pending: Decimal


def day_points(*, staff: StaffMember, day: datetime.date) -> DayPoints:
    """A person's points of a day: approved, and waiting for approval (their own part of their entries and
    their part of those they share), in one query each."""
    sums = {EntryStatus.APPROVED: Decimal(0), EntryStatus.PENDING: Decimal(0)}
    entries = LedgerEntry.objects.filter(day=day, status__in=list(sums))
    for status, total in entries.filter(staff=staff).values_list("status").annotate(total=Sum("own_points")):
        sums[status] += total
    for status, total in entries.filter(partner=staff).values_list("status").annotate(total=Sum("partner_points")):
        sums[status] += total
    return DayPoints(approved=sums[EntryStatus.APPROVED], pending=sums[EntryStatus.PENDING])


def approval_units(scope: Scope) -> QuerySet[OrgUnit]:
    """The outlets whose entries the reader approves."""
    return scope.units(OrgUnit.objects.filter(kind="outlet")).order_by("path")


def pending_entries(*, scope: Scope, unit: OrgUnit) -> QuerySet[LedgerEntry]:
    """What waits for the outlet's approval, the oldest day first, with the suspected duplicates flagged."""
    entries = entries_visible(scope).filter(unit=unit, status=EntryStatus.PENDING)
    return with_duplicates(with_details(entries)).order_by("day", "staff__code", "pk")


def recently_approved(*, scope: Scope, unit: OrgUnit, since: datetime.date) -> QuerySet[LedgerEntry]:
    """Approved entries of the outlet from `since` on: those whose approval may still be withdrawn."""
    entries = entries_visible(scope).filter(unit=unit, status=EntryStatus.APPROVED, day__gte=since)
    return with_duplicates(with_details(entries)).order_by("-day", "staff__code", "pk")


def entries_behind(
    *,
    scope: Scope,
    first: datetime.date,
    last: datetime.date,
    metric: Metric | None = None,
    staff: StaffMember | None = None,
    unit: OrgUnit | None = None,
    status: str | None = None,
) -> QuerySet[LedgerEntry]:
    """The entries behind a scorecard line: a person's (their own and those they share) or the outlets' of
    a unit's subtree, of a metric, from `first` to `last`. A unit-scoped reader sees a person's entries at
    the outlets of their subtree only (entries_visible)."""
    entries = entries_visible(scope).filter(day__gte=first, day__lte=last)
    if metric is not None:
        entries = entries.filter(item__metric=metric)
    if staff is not None:
        entries = entries.filter(Q(staff=staff) | Q(partner=staff))
    if unit is not None:
        entries = entries.filter(unit__path__startswith=unit.path)
    if status:
        entries = entries.filter(status=status)
    return with_duplicates(with_details(entries)).order_by("-day", "-pk")


def points_of(entry: LedgerEntry, staff: StaffMember | None) -> Decimal:
    """The points an entry gives `staff`: their part when they are its partner, else its own part."""
    if staff is not None and entry.partner_id == staff.pk:
        return entry.partner_points
    return entry.own_points


def approved_points(entries: QuerySet[LedgerEntry], *, staff: StaffMember | None = None) -> Decimal:
    """The points the approved ones of these entries count: for a person their part of each (own or as
    partner), else the entries' whole points. Two aggregate queries at most."""
    approved = entries.filter(status=EntryStatus.APPROVED).order_by()
    if staff is None:
        return approved.aggregate(total=Sum("points"))["total"] or Decimal(0)
    own = approved.filter(staff=staff).aggregate(total=Sum("own_points"))["total"] or Decimal(0)
    shared = approved.filter(partner=staff).aggregate(total=Sum("partner_points"))["total"] or Decimal(0)
    return own + shared
