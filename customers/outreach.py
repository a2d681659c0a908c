"""Reads of territories (网格), prospects (潜在客户) and referrals (转介) for the pages and the API.

Who sees what follows the reader's Scope (staff.access): a unit-scoped reader (a unit manager, an outlet
head, a token) the rows of the outlets of its subtree; HQ and auditors all; a staff login their own work:
the territories they own, the prospects they took down or that are in their territories, the referrals
they made or received. Each read is one query whatever the size of the network (the counts of a
territory list are annotated, not asked per row). Personal data is masked by the callers through
Scope.person_name, Scope.id_number and Scope.phone.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from branches.models import OrgUnit
from customers.models import Prospect, ProspectStatus, Referral, ReferralStatus, Territory
from staff.access import Scope


def territories_visible(scope: Scope) -> QuerySet[Territory]:
    queryset = Territory.objects.select_related("outlet", "owner")
    if scope.everything:
        return queryset
    if scope.unit_path:
        return queryset.filter(outlet__path__startswith=scope.unit_path)
    if scope.staff_id is not None:
        return queryset.filter(owner_id=scope.staff_id)
    return queryset.none()


def territories_with_counts(scope: Scope, *, outlet: OrgUnit | None = None) -> QuerySet[Territory]:
    """The territories the scope sees (of `outlet` when given), each with its number of customers, open
    prospects and prospects converted, in one query."""
    queryset = territories_visible(scope)
    if outlet is not None:
        queryset = queryset.filter(outlet=outlet)
    return queryset.annotate(
        customer_count=Count("customers", distinct=True),
        prospect_count=Count("prospects", filter=Q(prospects__status=ProspectStatus.OPEN), distinct=True),
        converted_count=Count("prospects", filter=Q(prospects__status=ProspectStatus.CONVERTED), distinct=True),
    ).order_by("outlet__code", "kind", "name")


def prospects_visible(scope: Scope) -> QuerySet[Prospect]:
    queryset = Prospect.objects.select_related("outlet", "territory", "captured_by", "customer")
    if scope.everything:
        return queryset
    if scope.unit_path:
        return queryset.filter(outlet__path__startswith=scope.unit_path)
    if scope.staff_id is not None:
        return queryset.filter(Q(captured_by_id=scope.staff_id) | Q(territory__owner_id=scope.staff_id))
    return queryset.none()


def referrals_visible(scope: Scope) -> QuerySet[Referral]:
    queryset = Referral.objects.select_related("outlet", "referrer", "receiver", "customer")
    if scope.everything:
        return queryset
    if scope.unit_path:
        return queryset.filter(outlet__path__startswith=scope.unit_path)
    if scope.staff_id is not None:
        return queryset.filter(Q(referrer_id=scope.staff_id) | Q(receiver_id=scope.staff_id))
    return queryset.none()


@dataclass(frozen=True)
class ReferralSummary:
    referred: int
    won: int
    lost: int
    open: int

    @property
    def conversion_rate(self) -> float | None:
        """成交/转介 in %: the deals of the span over the referrals of the span, as the metric
        referral_conversion_rate counts them (None without referrals)."""
        return None if not self.referred else 100 * self.won / self.referred


def referral_summary(queryset: QuerySet[Referral], *, first: datetime.date, last: datetime.date) -> ReferralSummary:
    """From `first` to `last`: the referrals made (by their day), the deals and no-deals (by the day of
    the outcome), and the referrals still open now; one query. The same counting as the facts
    (customers.services.referrals), so the page and the scorecard agree."""
    span = (first, last)
    counts = queryset.aggregate(
        referred=Count("pk", filter=Q(day__range=span)),
        won=Count("pk", filter=Q(status=ReferralStatus.WON, closed_on__range=span)),
        lost=Count("pk", filter=Q(status=ReferralStatus.LOST, closed_on__range=span)),
        open=Count("pk", filter=Q(status__in=(ReferralStatus.REFERRED, ReferralStatus.FOLLOWING))),
    )
    return ReferralSummary(**counts)
