"""Reads of customers by tier (客户分层, DOMAIN.md §6) for the pages and the API: the tier pyramid of a unit
and its change since last month, the migration matrix, and the customers who moved down (for the
follow-up calls, 电话回访).

Set-based: each read is one query over the unit's subtree (the outlet of the month's CustomerMonth or
TierMigration row under the unit's materialised path), whatever the number of customers or outlets; the
tier schemes of the month and the month before are read once (`tier_schemes`) and may be handed from one
read to the next. The callers have already checked the unit against the reader's Scope
(staff.access.get_unit_or_404); `unit=None` reads the whole network and is used with `manager` for a
relationship manager's own customers. Personal data leaves this module masked unless the reader's scope
has `personal_data` (staff.access.Scope.person_name and id_number).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum

from branches.models import OrgUnit
from customers.models import Customer, CustomerMonth, Tier, TieringRun, TierMigration, TierScheme
from customers.services.tiering import PREMIUM_METRIC, month_end, month_start, previous_month, scheme_for
from kpi.models import Scorecard, ScorecardLine
from kpi.selectors.scorecards import latest_rolled_up_date
from lib.periods import PeriodKind
from staff.access import Scope
from staff.models import StaffMember

MOVEMENTS = ("up", "down", "same", "new", "lost")


def tiered_months(*, limit: int = 120) -> list[datetime.date]:
    """The months whose tiering has finished, newest first (from the small TieringRun table, not by
    scanning millions of CustomerMonth rows)."""
    months = (
        TieringRun.objects.filter(status=TieringRun.Status.DONE)
        .values_list("month", flat=True)
        .distinct()
        .order_by("-month")
    )
    return list(months[:limit])


def latest_tiered_month() -> datetime.date | None:
    return (
        TieringRun.objects.filter(status=TieringRun.Status.DONE)
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )


def is_tiered(month: datetime.date) -> bool:
    return TieringRun.objects.filter(status=TieringRun.Status.DONE, month=month_start(month)).exists()


def customers_in_scope(scope: Scope) -> QuerySet[Customer]:
    """Customers whose home outlet is in the scope's subtree; for the staff role, those they manage as
    relationship manager (their own work, as their own record is)."""
    if scope.everything:
        return Customer.objects.all()
    if scope.unit_path:
        return Customer.objects.filter(home_outlet__path__startswith=scope.unit_path)
    if scope.staff_id is not None:
        return Customer.objects.filter(relationship_manager_id=scope.staff_id)
    return Customer.objects.none()


# -- the schemes of a month and the month before ---------------------------------------------------------


@dataclass(frozen=True)
class TierSchemes:
    """The tiers in force in `month` and in the month before (the same scheme unless a new one took effect
    this month). `before` is empty when no scheme was in force the month before."""

    month: datetime.date
    now: list[Tier]
    before: list[Tier]

    @property
    def previous(self) -> datetime.date:
        return previous_month(self.month)

    @property
    def names(self) -> dict[str, str]:
        """Tier code → name, this month's wording first."""
        return {tier.code: tier.name for tier in [*self.before, *self.now]}

    @property
    def ranks(self) -> dict[str, int]:
        return {tier.code: tier.rank for tier in [*self.before, *self.now]}


def tier_schemes(month: datetime.date) -> TierSchemes:
    """Two or three queries; ValueError (from scheme_for) when no scheme is in force in `month`."""
    month = month_start(month)
    scheme = scheme_for(month)
    schemes = [scheme]
    earlier: TierScheme | None = scheme
    if scheme.effective_month == month:
        try:
            earlier = scheme_for(previous_month(month))
            schemes.append(earlier)
        except ValueError:
            earlier = None
    tiers = list(Tier.objects.filter(scheme__in=schemes).order_by("rank"))
    now = [tier for tier in tiers if tier.scheme_id == scheme.pk]
    before = [tier for tier in tiers if earlier is not None and tier.scheme_id == earlier.pk]
    return TierSchemes(month=month, now=now, before=before)


def tier_names(*, month: datetime.date | None = None) -> dict[str, str]:
    """Tier code → its name in the reader's language (三星客户, not star3), for the pages that show a tier
    stored as a code (a list customer's tier, frozen when the list was built). One query over the few
    tiers of every scheme: the scheme in force in `month` names a code first, then the latest scheme
    that has it (codes stay the same from one scheme to the next, names may be reworded)."""
    names: dict[str, str] = {}
    in_force: dict[str, str] = {}
    for tier in Tier.objects.select_related("scheme").order_by("scheme__effective_month", "rank"):
        names[tier.code] = tier.name
        if month is not None and tier.scheme.effective_month <= month_start(month):
            in_force[tier.code] = tier.name
    return {**names, **in_force}


def _where(*, unit: OrgUnit | None, manager: StaffMember | None) -> Q:
    """The rows of a subtree (by the outlet of the row's month) and of one relationship manager."""
    where = Q()
    if unit is not None:
        where &= Q(outlet__path__startswith=unit.path)
    if manager is not None:
        where &= Q(relationship_manager=manager)
    return where


# -- the pyramid -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TierCount:
    tier: Tier
    customers: int
    customers_before: int

    @property
    def change(self) -> int:
        return self.customers - self.customers_before

    @property
    def direction(self) -> str:
        return "up" if self.change > 0 else "down" if self.change < 0 else "same"


@dataclass(frozen=True)
class Pyramid:
    """Customers per tier of the scheme in force in `month`, lowest tier first, this month and last. A
    tier of last month's scheme that no longer exists is listed too (rank and name of last month)."""

    month: datetime.date
    previous: datetime.date
    tiers: list[TierCount]
    premium: int
    premium_before: int

    @property
    def premium_change(self) -> int:
        return self.premium - self.premium_before

    @property
    def premium_direction(self) -> str:
        change = self.premium_change
        return "up" if change > 0 else "down" if change < 0 else "same"

    @property
    def total(self) -> int:
        return sum(row.customers for row in self.tiers)

    @property
    def total_before(self) -> int:
        return sum(row.customers_before for row in self.tiers)

    @property
    def total_change(self) -> int:
        return self.total - self.total_before

    @property
    def total_direction(self) -> str:
        change = self.total_change
        return "up" if change > 0 else "down" if change < 0 else "same"


def tier_pyramid(
    *,
    unit: OrgUnit | None,
    month: datetime.date,
    manager: StaffMember | None = None,
    schemes: TierSchemes | None = None,
) -> Pyramid:
    """The tier counts of the unit's subtree this month and last month, in one query (plus the schemes).
    Premium customers (优质客户) are counted by each month's own scheme."""
    schemes = schemes or tier_schemes(month)
    month, previous = schemes.month, schemes.previous
    counts = (
        CustomerMonth.objects.filter(_where(unit=unit, manager=manager), month__in=[previous, month])
        .values_list("month", "tier_code")
        .annotate(customers=Count("pk"))
        .order_by()
    )
    now: dict[str, int] = {}
    before: dict[str, int] = {}
    for row_month, code, customers in counts:
        (now if row_month == month else before)[code] = customers
    tiers = list(schemes.now)
    known = {tier.code for tier in tiers}
    tiers += [tier for tier in schemes.before if tier.code not in known and before.get(tier.code)]
    tiers.sort(key=lambda tier: tier.rank)
    before_scheme = schemes.before or schemes.now
    return Pyramid(
        month=month,
        previous=previous,
        tiers=[TierCount(tier, now.get(tier.code, 0), before.get(tier.code, 0)) for tier in tiers],
        premium=sum(now.get(tier.code, 0) for tier in schemes.now if tier.is_premium),
        premium_before=sum(before.get(tier.code, 0) for tier in before_scheme if tier.is_premium),
    )


@dataclass(frozen=True)
class ScorecardPremium:
    """Premium customers (三星及以上客户数) as a unit's scorecard shows them on the day the month's tiering
    is dated (its last day) and on the latest day rolled up, when that is later.

    The tiering writes the tier counts and the premium count as facts of the month's last day; the
    scorecard of a later day carries the tier counts forward until the next month is tiered, but shows
    the premium count of any premium_customers fact reported after the tiering (a daily extract): then
    the scorecard of the latest day and this page count different days, and the page says so."""

    counted_on: datetime.date
    on_counted_day: int | None  # None: that day's scorecard is not (or no longer) there
    latest: datetime.date | None  # None: no day after `counted_on` is rolled up
    on_latest: int | None


def scorecard_premium(*, unit: OrgUnit, month: datetime.date) -> ScorecardPremium:
    """Two queries: the latest day rolled up, then the premium line of the unit's published month
    scorecards of the two days."""
    counted_on = month_end(month_start(month))
    latest = latest_rolled_up_date()
    latest = latest if latest is not None and latest > counted_on else None
    days = [counted_on, *([latest] if latest else [])]
    cards = Scorecard.objects.published().filter(date__in=days, period=PeriodKind.MONTH.value, unit=unit, staff=None)
    found = dict(
        ScorecardLine.objects.filter(date__in=days, metric__code=PREMIUM_METRIC, scorecard__in=cards)
        .exclude(actual=None)
        .values_list("date", "actual")
    )

    def count(day: datetime.date | None) -> int | None:
        return int(found[day]) if day in found else None

    return ScorecardPremium(
        counted_on=counted_on, on_counted_day=count(counted_on), latest=latest, on_latest=count(latest)
    )


# -- the migration matrix --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MigrationCell:
    """Customers who went from `from_code` ('' = new this month) to `to_code` ('' = lost)."""

    from_code: str
    to_code: str
    from_rank: int | None
    to_rank: int | None
    customers: int

    @property
    def movement(self) -> str:
        # The one definition of up/down/same/new/lost is TierMigration's.
        return TierMigration(
            from_code=self.from_code, to_code=self.to_code, from_rank=self.from_rank, to_rank=self.to_rank
        ).movement


@dataclass(frozen=True)
class MatrixRow:
    code: str  # '' for the row of new customers
    name: str
    counts: list[int | None]  # one per column; None where no customer can be (new → lost)
    total: int


@dataclass
class Matrix:
    """From-tier (rows: last month's tiers, lowest first, then new) × to-tier (columns: this month's tiers,
    lowest first, then lost), summed over the subtree, and the totals by movement."""

    month: datetime.date
    previous: datetime.date
    from_tiers: list[tuple[str, str]]  # (code, name)
    to_tiers: list[tuple[str, str]]
    cells: list[MigrationCell]
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def columns(self) -> list[tuple[str, str]]:
        """(code, name) of every column: the tiers, then '' for lost (named by the page)."""
        return [*self.to_tiers, ("", "")]

    @property
    def rows(self) -> list[MatrixRow]:
        found = {(cell.from_code, cell.to_code): cell.customers for cell in self.cells}
        rows = []
        for code, name in [*self.from_tiers, ("", "")]:
            counts: list[int | None] = [
                None if code == "" and to_code == "" else found.get((code, to_code), 0) for to_code, _ in self.columns
            ]
            rows.append(MatrixRow(code=code, name=name, counts=counts, total=sum(count or 0 for count in counts)))
        return rows

    @property
    def column_totals(self) -> list[int]:
        return [
            sum(cell.customers for cell in self.cells if cell.to_code == to_code) for to_code, _name in self.columns
        ]

    @property
    def customers(self) -> int:
        return sum(cell.customers for cell in self.cells)


def migration_matrix(
    *,
    unit: OrgUnit | None,
    month: datetime.date,
    manager: StaffMember | None = None,
    schemes: TierSchemes | None = None,
) -> Matrix:
    """The month's TierMigration rows of the subtree (and of one relationship manager: where the customer
    is managed this month, or was last month for a lost one) summed by from → to, in one query."""
    schemes = schemes or tier_schemes(month)
    summed = (
        TierMigration.objects.filter(_where(unit=unit, manager=manager), month=schemes.month)
        .values_list("from_code", "to_code", "from_rank", "to_rank")
        .annotate(customers=Sum("customers"))
        .order_by()
    )
    cells = [MigrationCell(*row) for row in summed if row[4]]
    names = schemes.names
    from_tiers = {tier.code: tier.rank for tier in (schemes.before or schemes.now)}
    to_tiers = {tier.code: tier.rank for tier in schemes.now}
    # Codes a scheme no longer has (edited after the tiering) still get their row or column.
    for cell in cells:
        if cell.from_code and cell.from_code not in from_tiers:
            from_tiers[cell.from_code] = cell.from_rank or 0
        if cell.to_code and cell.to_code not in to_tiers:
            to_tiers[cell.to_code] = cell.to_rank or 0
    cells.sort(
        key=lambda cell: (
            cell.from_rank is None,
            cell.from_rank or 0,
            cell.to_rank is None,
            cell.to_rank or 0,
            cell.from_code,
            cell.to_code,
        )
    )
    totals = dict.fromkeys(MOVEMENTS, 0)
    for cell in cells:
        totals[cell.movement] += cell.customers
    return Matrix(
        month=schemes.month,
        previous=schemes.previous,
        from_tiers=[(code, names.get(code, code)) for code in sorted(from_tiers, key=from_tiers.get)],
        to_tiers=[(code, names.get(code, code)) for code in sorted(to_tiers, key=to_tiers.get)],
        cells=cells,
        totals=totals,
    )


# -- the customers who moved down ------------------------------------------------------------------------


@dataclass(frozen=True)
class MovedDownRow:
    """A customer whose tier rank fell since last month, as a reader may see them: name and identity
    number masked unless the reader's scope has personal data."""

    code: str
    name: str
    id_number: str
    masked: bool
    outlet: OrgUnit
    manager: StaffMember | None
    from_code: str
    from_name: str
    from_rank: int
    to_code: str
    to_name: str
    to_rank: int
    aum_before: Decimal
    aum_now: Decimal

    @property
    def fall(self) -> int:
        """Tiers down (2: from 四星 to 二星)."""
        return self.from_rank - self.to_rank

    @property
    def aum_change(self) -> Decimal:
        return self.aum_now - self.aum_before


class MovedDown:
    """The moved-down list, lazily, so Django's Paginator can page it and an export take its first rows:
    `count()` is one query, a slice two (the ordered page of ids, then its rows), whatever the number of
    customers.

    This month's and last month's CustomerMonth rows are joined on the customer in plain SQL: the ORM
    can only reach last month's row through correlated subqueries, which PostgreSQL runs once per
    customer of the subtree (measured: 4 times slower than a hash join at 200,000 customers)."""

    def __init__(
        self,
        *,
        unit: OrgUnit | None,
        month: datetime.date,
        manager: StaffMember | None,
        scope: Scope,
        names: dict[str, str],
    ):
        self.month = month_start(month)
        self.scope = scope
        self.names = names
        table = connection.ops.quote_name(CustomerMonth._meta.db_table)
        sql = [
            f"FROM {table} cur JOIN {table} prev",
            "ON prev.customer_id = cur.customer_id AND prev.month = %s",
            "WHERE cur.month = %s AND prev.tier_rank > cur.tier_rank",
        ]
        params: list = [previous_month(self.month), self.month]
        if unit is not None:
            # The subtree as Scope.units() reads it (the ORM escapes the path for LIKE).
            subtree, subtree_params = (
                OrgUnit.objects.filter(path__startswith=unit.path).values("pk").query.sql_with_params()
            )
            sql.append(f"AND cur.outlet_id IN ({subtree})")
            params += subtree_params
        if manager is not None:
            sql.append("AND cur.relationship_manager_id = %s")
            params.append(manager.pk)
        self._from, self._params = " ".join(sql), params

    def count(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) {self._from}", self._params)
            return cursor.fetchone()[0]

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[MovedDownRow]:
        """The biggest fall first, then the most AUM lost, then by customer (the order they were loaded)."""
        if not isinstance(index, slice) or index.step not in (None, 1) or index.stop is None:
            raise TypeError("the moved-down list is read a page at a time: [start:stop]")
        offset, stop = int(index.start or 0), int(index.stop)
        if stop <= offset:
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT cur.id, prev.id {self._from} "
                "ORDER BY prev.tier_rank - cur.tier_rank DESC, prev.aum_avg_daily - cur.aum_avg_daily DESC, "
                f"cur.customer_id LIMIT {stop - offset} OFFSET {offset}",
                self._params,
            )
            pairs = cursor.fetchall()
        rows = CustomerMonth.objects.select_related("customer", "outlet", "relationship_manager").in_bulk(
            [pk for pair in pairs for pk in pair]
        )
        return [self._row(rows[current], rows[earlier]) for current, earlier in pairs]

    def _row(self, cur: CustomerMonth, prev: CustomerMonth) -> MovedDownRow:
        customer: Customer = cur.customer
        return MovedDownRow(
            code=customer.code,
            name=self.scope.person_name(customer.name),
            id_number=self.scope.id_number(customer.id_number),
            masked=self.scope.masks_personal_data,
            outlet=cur.outlet,
            manager=cur.relationship_manager,
            from_code=prev.tier_code,
            from_name=self.names.get(prev.tier_code, prev.tier_code),
            from_rank=prev.tier_rank,
            to_code=cur.tier_code,
            to_name=self.names.get(cur.tier_code, cur.tier_code),
            to_rank=cur.tier_rank,
            aum_before=prev.aum_avg_daily,
            aum_now=cur.aum_avg_daily,
        )


def moved_down(
    *,
    scope: Scope,
    unit: OrgUnit | None,
    month: datetime.date,
    manager: StaffMember | None = None,
    schemes: TierSchemes | None = None,
) -> MovedDown:
    """The customers of the subtree whose tier fell from last month to this month, masked for `scope`.
    Read a page at a time: `moved_down(...)[0:50]`."""
    schemes = schemes or tier_schemes(month)
    return MovedDown(unit=unit, month=schemes.month, manager=manager, scope=scope, names=schemes.names)
