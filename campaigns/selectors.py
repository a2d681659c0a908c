"""Reads of the campaigns: which a reader sees, their outlets and window, the outlet and staff
leaderboards (from the stored CampaignScore rows), the uplift against the days just before (from the
facts), the gift ledger and its summary per outlet. Each a fixed number of queries, whatever the number
of outlets or people."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from branches.models import OrgUnit, UnitKind
from campaigns.models import Campaign, CampaignMetric, CampaignScore, CampaignTarget, GiftRecord
from kpi.models import Fact, Level, Metric
from kpi.selectors.scorecards import latest_rolled_up_date
from lib.masking import mask_name
from staff.access import Scope
from staff.models import StaffMember

ZERO = Decimal(0)


def campaigns_visible(scope: Scope, queryset: QuerySet[Campaign] | None = None) -> QuerySet[Campaign]:
    """The campaigns a reader sees: those organised by a unit of their subtree or by a unit above it (HQ's
    campaign reaches every outlet head), for a staff member those of the units they work at and above
    (Scope.campaign_units)."""
    queryset = Campaign.objects.all() if queryset is None else queryset
    return queryset.filter(unit__in=scope.campaign_units())


def get_campaign_or_404(scope: Scope, code: str) -> Campaign:
    from django.http import Http404

    campaign = campaigns_visible(scope).select_related("unit").filter(code=code).first()
    if campaign is None:
        raise Http404("No such campaign.")
    return campaign


def counted_until() -> datetime.date:
    """The last day a campaign's figures count so far: the latest published day, the day every scorecard,
    the 晨会 and the bulletin show (yesterday before the first rollup). Not today: today's facts arrive
    tonight, and a window that counted today would compare a day without facts with a day before the
    campaign that has them."""
    return latest_rolled_up_date() or timezone.localdate() - datetime.timedelta(days=1)


def window_of(campaign: Campaign, as_of: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The days counted so far: the first day to the last or `as_of`, whichever is earlier (last < first
    before the campaign starts)."""
    return campaign.start, min(campaign.end, as_of)


def days_before(campaign: Campaign, as_of: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The comparison window: as many days as the campaign has counted, just before its first day."""
    first, last = window_of(campaign, as_of)
    days = max((last - first).days + 1, 0)
    return first - datetime.timedelta(days=days), first - datetime.timedelta(days=1)


def campaign_outlets(campaign: Campaign) -> QuerySet[OrgUnit]:
    """The outlets taking part: under the organiser and, when units are named, under one of them."""
    outlets = OrgUnit.objects.filter(kind=UnitKind.OUTLET, path__startswith=campaign.unit.path)
    paths = [unit.path for unit in campaign.units.all()]
    if paths:
        condition = Q()
        for path in paths:
            condition |= Q(path__startswith=path)
        outlets = outlets.filter(condition)
    return outlets


def with_lines(queryset: QuerySet[Campaign]) -> QuerySet[Campaign]:
    return queryset.select_related("unit").prefetch_related("lines__metric", "materials", "posts", "units")


# -- leaderboards -------------------------------------------------------------------------------------


@dataclass
class MetricFigure:
    metric: Metric
    value: Decimal = ZERO
    bonus: Decimal = ZERO
    target: Decimal | None = None

    @property
    def attainment(self) -> Decimal | None:
        if not self.target:
            return None
        return self.value / self.target


@dataclass
class OutletRow:
    outlet: OrgUnit
    bonus: Decimal = ZERO
    figures: list[MetricFigure] = field(default_factory=list)
    rank: int = 0
    visible: bool = False  # the reader may open its scorecard


@dataclass
class StaffRow:
    staff: StaffMember
    name: str
    bonus: Decimal = ZERO
    outlets: list[tuple[OrgUnit, Decimal]] = field(default_factory=list)
    rank: int = 0


def _rank(rows: list) -> None:
    """Standard competition ranking by bonus, highest first (1, 2, 2, 4)."""
    rows.sort(key=lambda row: (-row.bonus, getattr(getattr(row, "outlet", None), "path", "") or row.name))
    previous, rank = None, 0
    for position, row in enumerate(rows, start=1):
        if row.bonus != previous:
            rank, previous = position, row.bonus
        row.rank = rank


def outlet_leaderboard(*, campaign: Campaign, scope: Scope) -> list[OutletRow]:
    """Every outlet of the campaign with its bonus (from its own facts: the staff facts count on the staff
    board), each focus metric's value, target and attainment, ranked. Four queries."""
    lines = list(campaign.lines.select_related("metric").all())
    outlets = list(campaign_outlets(campaign).order_by("path"))
    visible = set(scope.units(OrgUnit.objects.filter(pk__in=[o.pk for o in outlets])).values_list("pk", flat=True))
    sums = (
        CampaignScore.objects.filter(campaign=campaign, staff__isnull=True)
        .values("unit_id", "metric_id")
        .annotate(value=Sum("value"), bonus=Sum("bonus"))
        .order_by()
    )
    by_key = {(row["unit_id"], row["metric_id"]): row for row in sums}
    targets = {
        (target.unit_id, target.metric_id): target.value for target in CampaignTarget.objects.filter(campaign=campaign)
    }
    rows = []
    for outlet in outlets:
        row = OutletRow(outlet=outlet, visible=outlet.pk in visible)
        for line in lines:
            found = by_key.get((outlet.pk, line.metric_id), {})
            figure = MetricFigure(
                metric=line.metric,
                value=found.get("value") or ZERO,
                bonus=found.get("bonus") or ZERO,
                target=targets.get((outlet.pk, line.metric_id)),
            )
            row.figures.append(figure)
            row.bonus += figure.bonus
        rows.append(row)
    _rank(rows)
    return rows


def staff_leaderboard(*, campaign: Campaign, scope: Scope, unit: OrgUnit | None = None) -> list[StaffRow]:
    """The staff members with a campaign bonus, ranked: each with the outlets where their facts were (a
    person who moved mid-campaign shows both, each fact credited at its own outlet). With `unit`: only
    what was credited at that outlet. Names through the reader's scope; the names of people outside it
    masked (a leaderboard reaches every outlet head of the campaign). Three queries."""
    scores = CampaignScore.objects.filter(campaign=campaign, staff__isnull=False)
    if unit is not None:
        scores = scores.filter(unit__path__startswith=unit.path)
    sums = list(scores.values("staff_id", "unit_id").annotate(bonus=Sum("bonus")).order_by())
    staff_ids = {row["staff_id"] for row in sums}
    people = {member.pk: member for member in StaffMember.objects.filter(pk__in=staff_ids)}
    units = {outlet.pk: outlet for outlet in OrgUnit.objects.filter(pk__in={row["unit_id"] for row in sums})}
    seen = set(scope.staff(StaffMember.objects.filter(pk__in=staff_ids)).values_list("pk", flat=True))
    rows: dict[int, StaffRow] = {}
    for row in sums:
        member = people[row["staff_id"]]
        if member.pk not in rows:
            name = scope.person_name(member.name) if member.pk in seen else mask_name(member.name)
            rows[member.pk] = StaffRow(staff=member, name=name)
        rows[member.pk].bonus += row["bonus"]
        rows[member.pk].outlets.append((units[row["unit_id"]], row["bonus"]))
    ranked = list(rows.values())
    for row in ranked:
        row.outlets.sort(key=lambda pair: pair[0].path)
    _rank(ranked)
    return ranked


# -- uplift ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Uplift:
    """A focus metric's total in the campaign window against the same number of days just before it."""

    metric: Metric
    during: Decimal
    before: Decimal
    days: int

    @property
    def change(self) -> Decimal:
        return self.during - self.before

    @property
    def ratio(self) -> Decimal | None:
        """(during − before) / before; none when nothing came before."""
        if not self.before:
            return None
        return (self.during - self.before) / self.before


def uplift(*, campaign: Campaign, as_of: datetime.date, unit: OrgUnit | None = None) -> list[Uplift]:
    """Per focus metric: the outlets' own facts (staff empty) summed over the campaign window up to `as_of`
    (counted_until()) and over as many days just before it, for the campaign's outlets (under `unit` when
    given); a metric reported per staff member only (台账积分) has no outlet facts, and sums its staff's.
    One query."""
    first, last = window_of(campaign, as_of)
    lines = list(campaign.lines.select_related("metric").all())
    if last < first or not lines:
        return []
    before_first, before_last = days_before(campaign, as_of)
    outlets = campaign_outlets(campaign)
    if unit is not None:
        outlets = outlets.filter(path__startswith=unit.path)
    per_staff = [line.metric_id for line in lines if line.metric.level == Level.STAFF]
    sums = (
        Fact.objects.filter(
            Q(staff__isnull=True) | Q(metric_id__in=per_staff),
            metric_id__in=[line.metric_id for line in lines],
            unit__in=outlets,
            date__gte=before_first,
            date__lte=last,
        )
        .values("metric_id")
        .annotate(
            during=Sum("value", filter=Q(date__gte=first)),
            before=Sum("value", filter=Q(date__lte=before_last)),
        )
        .order_by()
    )
    by_metric = {row["metric_id"]: row for row in sums}
    days = (last - first).days + 1
    return [
        Uplift(
            metric=line.metric,
            during=by_metric.get(line.metric_id, {}).get("during") or ZERO,
            before=by_metric.get(line.metric_id, {}).get("before") or ZERO,
            days=days,
        )
        for line in lines
    ]


# -- gifts -------------------------------------------------------------------------------------------


def gifts_visible(scope: Scope, campaign: Campaign) -> QuerySet[GiftRecord]:
    """The gifts of a campaign a reader sees: of the outlets of their subtree (HQ, auditors: all); a staff
    member the gifts they gave."""
    gifts = GiftRecord.objects.filter(campaign=campaign)
    if scope.everything:
        return gifts
    if scope.unit_path:
        return gifts.filter(unit__path__startswith=scope.unit_path)
    if scope.staff_id:
        return gifts.filter(staff_id=scope.staff_id)
    return gifts.none()


@dataclass(frozen=True)
class GiftSummary:
    outlet: OrgUnit
    gifts: int
    customers: int
    value: Decimal


def gift_summary(gifts: QuerySet[GiftRecord]) -> list[GiftSummary]:
    """Per outlet: gifts given, customers who received one, their value. Two queries."""
    sums = list(
        gifts.values("unit_id")
        .annotate(gifts=Count("pk"), customers=Count("customer_code", distinct=True), value=Sum("value"))
        .order_by()
    )
    units = {outlet.pk: outlet for outlet in OrgUnit.objects.filter(pk__in=[row["unit_id"] for row in sums])}
    rows = [
        GiftSummary(outlet=units[row["unit_id"]], gifts=row["gifts"], customers=row["customers"], value=row["value"])
        for row in sums
    ]
    return sorted(rows, key=lambda row: row.outlet.path)


def budget_used(campaign: Campaign) -> Decimal:
    return GiftRecord.objects.filter(campaign=campaign).aggregate(total=Sum("value"))["total"] or ZERO


def focus_lines(campaign: Campaign) -> list[CampaignMetric]:
    return list(campaign.lines.select_related("metric").all())
