"""Building a call or visit list (名单) from a filter, frozen, and assigning its customers.

Set-based whatever the size: one INSERT … SELECT writes every customer of a list, with the staff member
each is assigned to decided in the same statement (evenly: the customers in list order dealt round the
chosen staff by ROW_NUMBER; by relationship manager: the customer's manager when they work in the list's
unit that day, else left for assigning by hand). Assigning by hand is one UPDATE of the next unassigned
customers (or of the chosen ones). bench/customers.py times a list over two million customers.

The filter (ListFilter) reads the month's tiering (customers.models.CustomerMonth of the month and the month
before, as customers.selectors.MovedDown does): tier movement (moved down, lost, new), tiers, AUM band
(the month's average daily AUM, 元), groups, relationship manager, territory (网格), not reached in N days (a
call not answered, 未接通, is no contact). A customer flagged 勿扰 (DoNotContact) is never taken.
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from branches.models import OrgUnit, UnitKind
from customers.models import Customer, CustomerMonth, Territory, groups_from_codes
from customers.services.tiering import month_start, previous_month
from outreach.models import (
    AssignMode,
    Channel,
    Contact,
    DoNotContact,
    ListAssignment,
    Movement,
    Outcome,
    OutreachList,
)
from staff.access import Scope
from staff.models import Assignment, StaffMember, User

MAX_NO_CONTACT_DAYS = 3650


@dataclass
class ListFilter:
    """What a list is built from. Every part is optional; `month` is the tiering month that movement,
    tiers and the AUM band read (the latest tiered month by default, chosen by the caller)."""

    month: datetime.date | None = None
    movement: str = ""
    tiers: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    aum_min: Decimal | None = None  # 元, inclusive
    aum_max: Decimal | None = None  # 元, exclusive
    manager_id: int | None = None
    territory_id: int | None = None  # 网格 (customers.models.Territory)
    no_contact_days: int | None = None

    def as_criteria(self) -> dict:
        """JSON-able, for OutreachList.criteria."""
        values = asdict(self)
        values["month"] = f"{self.month:%Y-%m}" if self.month else None
        for name in ("aum_min", "aum_max"):
            values[name] = None if values[name] is None else f"{values[name]:f}"
        return {name: value for name, value in values.items() if value not in (None, "", [])}

    def problems(self) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        if self.movement and self.movement not in Movement.values:
            errors["movement"] = [_("Pick one of: %(choices)s.") % {"choices": ", ".join(Movement.values)}]
        if (self.movement or self.tiers or self.aum_min is not None or self.aum_max is not None) and not self.month:
            errors["month"] = [_("Tier movement, tiers and the AUM band need a tiered month.")]
        try:
            groups_from_codes(self.groups)
        except KeyError as unknown:
            errors["groups"] = [_("“%(code)s” is not a customer group.") % {"code": unknown.args[0]}]
        for name in ("aum_min", "aum_max"):
            value = getattr(self, name)
            if value is not None and (value < 0 or value >= Decimal("1e15")):
                errors[name] = [_("An amount in 元 from 0.")]
        if self.aum_min is not None and self.aum_max is not None and self.aum_max <= self.aum_min:
            errors["aum_max"] = [_("The top of the band must be above its bottom.")]
        if self.no_contact_days is not None and not 1 <= self.no_contact_days <= MAX_NO_CONTACT_DAYS:
            errors["no_contact_days"] = [_("A number of days from 1 to %(most)s.") % {"most": MAX_NO_CONTACT_DAYS}]
        return errors


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def candidates_sql(*, unit: OrgUnit, criteria: ListFilter, today: datetime.date) -> tuple[str, list]:
    """SELECT customer_id, tier_code, aum, manager_id, home_outlet_id of the customers the filter takes in
    the unit's subtree (none flagged 勿扰): one statement, for counting or inserting."""
    customer, months = _table(Customer), _table(CustomerMonth)
    params: list = []
    joins: list[str] = []
    where: list[str] = []
    subtree, subtree_params = OrgUnit.objects.filter(path__startswith=unit.path).values("pk").query.sql_with_params()
    tier, aum = "''", "CAST(NULL AS numeric)"  # typed: PostgreSQL reads a bare NULL as text
    if criteria.month:
        month = month_start(criteria.month)
        movement = criteria.movement
        cur_join = "JOIN" if movement in ("down", "new") else "LEFT JOIN"
        joins.append(f"{cur_join} {months} cur ON cur.customer_id = c.id AND cur.month = %s")
        params.append(month)
        if movement:
            prev_join = "JOIN" if movement in ("down", "lost") else "LEFT JOIN"
            joins.append(f"{prev_join} {months} prev ON prev.customer_id = c.id AND prev.month = %s")
            params.append(previous_month(month))
            if movement == "down":
                where.append("prev.tier_rank > cur.tier_rank")
            elif movement == "lost":
                where.append("cur.id IS NULL")
            else:
                where.append("prev.id IS NULL")
            if movement == "lost":
                tier, aum = "prev.tier_code", "prev.aum_avg_daily"
        if movement != "lost":
            tier, aum = "COALESCE(cur.tier_code, '')", "cur.aum_avg_daily"
    where.append(f"c.home_outlet_id IN ({subtree})")
    params += subtree_params
    where.append(f"NOT EXISTS (SELECT 1 FROM {_table(DoNotContact)} dnc WHERE dnc.customer_id = c.id)")
    if criteria.tiers:
        where.append(f"{tier} IN ({', '.join(['%s'] * len(criteria.tiers))})")
        params += list(criteria.tiers)
    if criteria.aum_min is not None:
        where.append(f"{aum} >= %s")
        params.append(criteria.aum_min)
    if criteria.aum_max is not None:
        where.append(f"{aum} < %s")
        params.append(criteria.aum_max)
    if criteria.groups:
        where.append("(c.groups & %s) <> 0")
        params.append(groups_from_codes(criteria.groups))
    if criteria.manager_id is not None:
        where.append("c.relationship_manager_id = %s")
        params.append(criteria.manager_id)
    if criteria.territory_id is not None:
        where.append("c.territory_id = %s")
        params.append(criteria.territory_id)
    if criteria.no_contact_days:
        # Contacted as coverage counts it: reached. A call nobody answered (未接通) leaves them to contact.
        where.append(
            f"NOT EXISTS (SELECT 1 FROM {_table(Contact)} k WHERE k.customer_id = c.id AND k.day > %s "
            "AND k.outcome <> %s)"
        )
        params += [today - datetime.timedelta(days=criteria.no_contact_days), Outcome.NO_ANSWER.value]
    sql = (
        f"SELECT c.id AS customer_id, {tier} AS tier_code, {aum} AS aum, c.relationship_manager_id AS manager_id "
        f"FROM {customer} c {' '.join(joins)} WHERE {' AND '.join(where)}"
    )
    return sql, params


def candidates_count(*, unit: OrgUnit, criteria: ListFilter, today: datetime.date) -> int:
    sql, params = candidates_sql(unit=unit, criteria=criteria, today=today)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({sql}) found", params)
        return cursor.fetchone()[0]


def staff_outlets(*, unit: OrgUnit, day: datetime.date) -> dict[int, int]:
    """Staff member id → their outlet on `day`, for the staff assigned to an outlet of the unit's subtree
    that day (one query; a teller of two outlets counts at the first by code)."""
    found: dict[int, int] = {}
    rows = (
        Assignment.objects.on(day)
        .filter(unit__path__startswith=unit.path, unit__kind=UnitKind.OUTLET)
        .order_by("staff_id", "unit__code")
        .values_list("staff_id", "unit_id")
    )
    for staff_id, outlet_id in rows:
        found.setdefault(staff_id, outlet_id)
    return found


@transaction.atomic
def list_build(
    *,
    scope: Scope,
    user: User | None,
    unit: OrgUnit,
    name: str,
    criteria: ListFilter,
    assign_mode: str,
    staff: list[StaffMember] | None = None,
    channel: str = Channel.CALL,
    starts_on: datetime.date,
    due_on: datetime.date,
) -> OutreachList:
    """Freezes the customers the filter takes into a new list and assigns them; ValidationError (by field)
    and nothing written on bad input. Evenly: over `staff` (each assigned in the unit's subtree on
    `starts_on`), the customers in list order (AUM high to low) dealt round them."""
    errors = criteria.problems()
    if not scope.may_build_lists(unit):
        errors.setdefault("unit", []).append(_("You may not build lists for this unit."))
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Give the list a name.")]
    elif len(name) > 100:
        errors["name"] = [_("At most 100 characters.")]
    if assign_mode not in AssignMode.values:
        errors["assign_mode"] = [_("Pick one of: %(choices)s.") % {"choices": ", ".join(AssignMode.values)}]
    if channel not in Channel.values:
        errors["channel"] = [_("Pick one of: %(choices)s.") % {"choices": ", ".join(Channel.values)}]
    if due_on < starts_on:
        errors["due_on"] = [_("The due date cannot be before the list starts.")]
    if (
        criteria.territory_id is not None
        and not Territory.objects.filter(pk=criteria.territory_id, outlet__path__startswith=unit.path).exists()
    ):
        errors["territory"] = [_("No such territory in this unit.")]
    outlets = staff_outlets(unit=unit, day=starts_on)
    chosen = sorted(staff or [], key=lambda member: member.code)
    if assign_mode == AssignMode.EVEN:
        if not chosen:
            errors["staff"] = [_("Choose the staff to share the list evenly.")]
        strangers = [member.code for member in chosen if member.pk not in outlets]
        if strangers:
            errors["staff"] = [
                _("Not working in this unit on %(day)s: %(codes)s.") % {"day": starts_on, "codes": ", ".join(strangers)}
            ]
    if errors:
        raise ValidationError(errors)

    outreach_list = OutreachList.objects.create(
        name=name,
        unit=unit,
        channel=channel,
        criteria=criteria.as_criteria(),
        assign_mode=assign_mode,
        starts_on=starts_on,
        due_on=due_on,
        created_by=user,
    )
    if assign_mode == AssignMode.EVEN:
        pairs = [(member.pk, outlets[member.pk]) for member in chosen]
    elif assign_mode == AssignMode.MANAGER:
        pairs = sorted(outlets.items())
    else:
        pairs = []
    inserted = _insert(outreach_list, pairs=pairs, mode=assign_mode, criteria=criteria, unit=unit, today=starts_on)
    outreach_list.customers = inserted
    outreach_list.save(update_fields=["customers"])
    return outreach_list


def _insert(outreach_list, *, pairs, mode, criteria, unit, today) -> int:
    """The one INSERT … SELECT of a list's customers: `pairs` are (staff id, outlet id), dealt round in
    order (even), matched on the customer's manager (manager), or none (hand)."""
    sql, params = candidates_sql(unit=unit, criteria=criteria, today=today)
    table = _table(ListAssignment)
    columns = (
        "outreach_list_id, customer_id, staff_id, outlet_id, assigned_on, position, tier_code, aum_avg_daily, "
        "last_outcome, product_interest"
    )
    ordered = (
        "SELECT found.*, ROW_NUMBER() OVER (ORDER BY COALESCE(found.aum, -1) DESC, found.customer_id) AS rn "
        f"FROM ({sql}) found"
    )
    head_params: list = []
    if pairs:
        values = ", ".join(["(%s, %s, %s)"] * len(pairs))
        head = f"WITH chosen(slot, staff_id, outlet_id) AS (VALUES {values}) "
        for slot, (staff_id, outlet_id) in enumerate(pairs):
            head_params += [slot, staff_id, outlet_id]
        if mode == AssignMode.EVEN:
            on = f"chosen.slot = (ranked.rn - 1) %% {len(pairs)}"
        else:
            on = "chosen.staff_id = ranked.manager_id"
        select = (
            f"SELECT %s, ranked.customer_id, chosen.staff_id, chosen.outlet_id, "
            f"CASE WHEN chosen.staff_id IS NULL THEN NULL ELSE %s END, ranked.rn, ranked.tier_code, ranked.aum, '', '' "
            f"FROM ({ordered}) ranked LEFT JOIN chosen ON {on}"
        )
    else:
        head = ""
        select = (
            "SELECT %s, ranked.customer_id, NULL, NULL, NULL, ranked.rn, ranked.tier_code, ranked.aum, '', '' "
            f"FROM ({ordered}) ranked"
        )
    select_params = [outreach_list.pk] + ([today] if pairs else [])
    with connection.cursor() as cursor:
        cursor.execute(f"{head}INSERT INTO {table} ({columns}) {select}", head_params + select_params + params)
        inserted = cursor.rowcount
    # SQLite does not count the rows of an INSERT that starts with WITH (-1): counted then.
    return inserted if inserted >= 0 else ListAssignment.objects.filter(outreach_list=outreach_list).count()


@transaction.atomic
def assignments_assign(
    *,
    scope: Scope,
    outreach_list: OutreachList,
    staff: StaffMember,
    count: int | None = None,
    assignment_ids: list[int] | None = None,
    day: datetime.date,
) -> int:
    """By hand: the next `count` unassigned customers of the list (in list order), or the chosen ones
    (assigned or not: a reassignment), to `staff`, in one UPDATE. The number assigned."""
    errors: dict[str, list[str]] = {}
    if not scope.may_build_lists(outreach_list.unit):
        raise ValidationError({"list": [_("You may not assign this list.")]})
    outlet_id = staff_outlets(unit=outreach_list.unit, day=day).get(staff.pk)
    if outlet_id is None:
        errors["staff"] = [_("Not working in this unit on %(day)s: %(codes)s.") % {"day": day, "codes": staff.code}]
    if count is None and not assignment_ids:
        errors["count"] = [_("Say how many customers, or choose them.")]
    if count is not None and not 1 <= count <= 1_000_000:
        errors["count"] = [_("A number of customers from 1.")]
    if errors:
        raise ValidationError(errors)
    rows = ListAssignment.objects.filter(outreach_list=outreach_list)
    if assignment_ids:
        targets = rows.filter(pk__in=assignment_ids)
        if targets.count() != len(set(assignment_ids)):
            raise ValidationError({"assignments": [_("Some of the chosen customers are not on this list.")]})
    else:
        ids = list(rows.filter(staff=None).order_by("position").values_list("pk", flat=True)[:count])
        targets = rows.filter(pk__in=ids)
    return targets.update(staff=staff, outlet_id=outlet_id, assigned_on=day)
