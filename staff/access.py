"""Who may see and who may do: the one home of BankOps' access rules (DOMAIN.md §6, §7).

May see. A principal (a signed-in user or an API token) gets a `Scope`: the units and staff it may see.
Every page and endpoint looks things up through it (`get_unit_or_404`, `get_staff_or_404`), and
something outside it is a 404, never a hint that it exists.

May do. Each rule of who may change what is a named permission of the Scope (`may_write_network`,
`may_follow_up(unit)`, `may_review_from_above(unit)`, `may_manage_contests(unit)`, …), spelled once here;
views, API permission classes, admins and services ask it by name. Some names are the same rule seen
from the place that asks (closing a month, starting a rollup and importing a CSV are all "may write
the whole network"): the name says what is asked, the rule it stands for is written once.

One's own. Where a login starts the day and whose scorecard and overview are its own
(`own_scorecard_entity`, `own_overview_unit`, `starts_on_scorecard`; the unit a "my …" page opens on,
`own_unit_in_scope`), and what waits for it (`has_follow_up_work`, `fills_reviews`, `answers_reviews`),
are read off its role here too.

Staff follow the dates of their assignments. A unit-scoped reader (a unit head, a token) sees a staff
member through the assignments held inside its subtree, and only for their dates. Liang Min moves from
Conghua (GZ0201) to Tianhe Road (GZ0101) on 2026-10-01: Conghua's head still looks her up
(`Scope.staff()`, `get_staff_or_404`: a past scorecard names her) and reads her records of September
(scorecards of September's days, targets of periods that overlap September: `Scope.staff_records`), but
not October's; she is not among Conghua's staff of a day after September (`Scope.staff(on=day)`: the
staff lists); and nothing is written for her from Conghua for a period after September: a November
target is refused (`Scope.staff(during=(first, last))`: every write that names a staff member). Tianhe
Road sees and writes her from October on. HQ and auditors see everyone on every day, and so does the
head office's token (below); a staff login sees their own record only.

May start and write for the network. A token is bounded by its unit: it writes (facts, targets) only in
its subtree, and what is network-wide, a rollup, only from the head office (`may_start_rollup`); a token
of one outlet with the admin scope cannot start a rollup that recomputes every outlet. The head office's
token (its unit the only root: `token_reaches_network`) sees as HQ does (`reads_every_row`): every unit,
every staff member whatever their dates, every row of theirs; its scopes say what it may write, and the
writes HQ alone makes (closing a month, imports: `may_write_network`) stay HQ's.

Personal data. `Scope.person_name` and `Scope.id_number` show a name or an identity number to a reader
who may read personal data and its mask (lib.masking) to anyone else: every serializer, page and
export that names a person (a staff member, a customer, a login's full name in a history) goes
through them.

Layers below people (the org app, lib's helpers) cannot import this module. They ask
`user.has_perm("access.<permission>")` instead, which `AccessBackend` (in AUTHENTICATION_BACKENDS)
answers with the same Scope property: one answer, whichever way it is asked.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404

from branches.models import OrgUnit
from lib.masking import mask_customer_code, mask_id_number, mask_name, mask_phone
from staff.models import ApiToken, Assignment, Role, StaffMember, User

# The prefix of the permissions AccessBackend answers (`user.has_perm("access.may_import")`). No app is
# labelled `access`, so no Permission row can grant one of them by accident.
PERMISSION_PREFIX = "access."
# The roles that head a unit of their own and see its subtree: a sub-branch (or branch) and an outlet.
UNIT_HEAD_ROLES = (Role.UNIT_MANAGER, Role.OUTLET_HEAD)


# A condition every row meets (its primary key is never null), for a scope that reads every row. Not Q():
# an empty Q is dropped when OR-ed with another (Q() | X is X), which would narrow the whole network to X.
EVERY_ROW = Q(pk__isnull=False)


@dataclass(frozen=True)
class Scope:
    """What a principal (a user or an API token) may see and do.

    everything: HQ administrators, auditors and superusers.
    unit_path:  the materialised path of the unit whose subtree is visible (unit managers, outlet heads,
                tokens).
    staff_id:   a staff member who sees only their own record (the staff role).
    Nothing set: sees nothing.
    read_only:  may change nothing (auditors, staff, tokens without the ingest or admin scope).
    personal_data: may read names and identity numbers unmasked (lib.masking): people who
                manage the staff and customers they see, and tokens given the `personal` scope.
    role:       the user's role (a superuser counts as an HQ administrator); empty for tokens and for
                anyone who sees nothing.
    network_wide: a token of the head office whose subtree is the whole network (its unit is the network's
                only root, `token_reaches_network`): it sees as HQ does (`reads_every_row`), and may start
                what is network-wide (a rollup) when its scopes let it write.
    """

    everything: bool = False
    unit_path: str | None = None
    staff_id: int | None = None
    read_only: bool = True
    personal_data: bool = False
    role: str = ""
    network_wide: bool = False

    @classmethod
    def nothing(cls) -> Scope:
        return cls()

    # -- may see ---------------------------------------------------------------------------------------

    @property
    def reads_every_row(self) -> bool:
        """HQ and auditors, and a token of the head office (network_wide): its subtree is every unit, so the
        conditions on other tables' rows are conditions every row meets (EVERY_ROW), not `unit IN (the
        subtree)` and a dated EXISTS per staff row, which PostgreSQL plans and hashes on every query: a page
        of 100 scorecards 1.7 → 0.5 ms at 1,500 outlets, more the larger the network."""
        return self.everything or self.network_wide

    def units(self, queryset: QuerySet[OrgUnit] | None = None) -> QuerySet[OrgUnit]:
        queryset = OrgUnit.objects.all() if queryset is None else queryset
        if self.reads_every_row:
            return queryset
        if self.unit_path:
            return queryset.filter(path__startswith=self.unit_path)
        return queryset.none()

    def can_see_unit(self, unit: OrgUnit) -> bool:
        if self.reads_every_row:
            return True
        return bool(self.unit_path) and unit.path.startswith(self.unit_path)

    def within(self, unit: OrgUnit) -> Scope:
        """This scope narrowed to a unit it sees (a subtree filter, `under=GZ01`): the same rights over
        that unit's subtree only."""
        return dataclasses.replace(self, everything=False, unit_path=unit.path, staff_id=None, network_wide=False)

    def staff(
        self,
        queryset: QuerySet[StaffMember] | None = None,
        *,
        on: datetime.date | None = None,
        during: tuple[datetime.date, datetime.date] | None = None,
    ) -> QuerySet[StaffMember]:
        """Staff members of this scope, by the dates of their assignments inside the subtree:

        - no date: whoever it may look up at all, assigned inside the subtree at some time (a past
          scorecard names them); what of theirs it reads is dated (`staff_records`);
        - `on`: assigned inside the subtree that day (the staff of a day's lists);
        - `during` (first, last): assigned inside the subtree some day of that span, both included
          (whom a write for that span may name: a target of the period).

        Everyone for HQ, auditors and the head office's token, oneself for the staff role, whatever the
        dates."""
        queryset = StaffMember.objects.all() if queryset is None else queryset
        if self.reads_every_row:
            return queryset
        if self.unit_path:
            return queryset.filter(Exists(self._assignments_held(OuterRef("pk"), on=on, during=during)))
        if self.staff_id:
            return queryset.filter(pk=self.staff_id)
        return queryset.none()

    def can_see_staff(
        self,
        staff_member: StaffMember,
        *,
        on: datetime.date | None = None,
        during: tuple[datetime.date, datetime.date] | None = None,
    ) -> bool:
        """`staff()` asked about one staff member (with the same dates)."""
        if self.reads_every_row:
            return True
        if self.staff_id is not None and self.staff_id == staff_member.pk:
            return True
        return self.staff(StaffMember.objects.filter(pk=staff_member.pk), on=on, during=during).exists()

    def staff_records(self, *, staff: str = "staff", on: str | None = None, span: tuple[str, str] | None = None) -> Q:
        """The condition on rows of a staff member (a scorecard, a target) that this scope may read: the
        staff member (the field `staff`) assigned inside the subtree on the row's date (the field `on`)
        or some day of its period (the fields `span`, first and last day). HQ, auditors and the head
        office's token read every staff row; the staff role their own; a unit-scoped reader the rows of
        the dates their staff worked there, so Conghua reads September's scorecards of the teller who
        left on 30 September, and not October's. With the units' rows: `holder_records`."""
        if self.reads_every_row:
            return Q(**{f"{staff}__isnull": False})
        if self.unit_path:
            dated = {"on": OuterRef(on)} if on else {"during": (OuterRef(span[0]), OuterRef(span[1]))}
            return Q(Exists(self._assignments_held(OuterRef(staff), **dated)))
        if self.staff_id:
            return Q(**{staff: self.staff_id})
        return Q(pk__in=[])

    def unit_records(self, unit: str = "unit") -> Q:
        """The condition on rows of a unit (the field `unit`: a plan, a meeting, a delivery's channel) that
        this scope may read: those of the units it sees. For HQ, auditors and the head office's token
        (`reads_every_row`) a condition every row meets (EVERY_ROW), not `unit IN (every unit)`, which made
        the database hash the whole network for each query: a page of scorecards 0.57 → 0.35 ms with 330
        units (the query in Python and PostgreSQL), 5.4 → 0.05 ms in PostgreSQL with 40,000."""
        if self.reads_every_row:
            return EVERY_ROW
        return Q(**{f"{unit}__in": self.units()})

    def holder_records(
        self, *, unit: str = "unit", staff: str = "staff", on: str | None = None, span: tuple[str, str] | None = None
    ) -> Q:
        """The condition on rows held by a unit or by a staff member (a scorecard, a target) that this scope
        may read: those of the units it sees (`unit_records`) and those of staff as `staff_records` says
        (the same `staff`, `on`, `span`); every row for HQ, auditors and the head office's token."""
        if self.reads_every_row:
            return EVERY_ROW
        return self.unit_records(unit) | self.staff_records(staff=staff, on=on, span=span)

    def staff_days(self, staff_member: StaffMember, first: datetime.date, last: datetime.date) -> set[datetime.date]:
        """The days from `first` to `last` on which this scope reads the staff member's records, for a
        page that reads many days of one person (a history, the trend lines): one query at most."""
        days = {first + datetime.timedelta(days=offset) for offset in range((last - first).days + 1)}
        if self.reads_every_row or self.staff_id == staff_member.pk:
            return days
        if not self.unit_path:
            return set()
        spans = list(self._assignments_held(staff_member.pk, during=(first, last)).values_list("start", "end"))
        return {day for day in days if any(start <= day and (end is None or day <= end) for start, end in spans)}

    def _assignments_held(self, staff, *, on=None, during=None) -> QuerySet[Assignment]:
        """Assignments of `staff` (an id or an OuterRef) inside the subtree, on `on` or overlapping
        `during` (first, last), or at any time without either: one indexed condition, set-based."""
        held = Assignment.objects.filter(staff=staff, unit__path__startswith=self.unit_path)
        if on is not None:
            during = (on, on)
        if during is not None:
            first, last = during
            held = held.filter(Q(end__isnull=True) | Q(end__gte=first), start__lte=last)
        return held

    def notice_units(self, queryset: QuerySet[OrgUnit] | None = None) -> QuerySet[OrgUnit]:
        """The units whose notes (kpi's annotations: 国庆节, 系统故障, 大额到期) this scope reads: the units
        it sees and every unit above them, because a note written on a unit speaks to its whole subtree
        (HQ's holiday shows on every outlet's charts; the outlet head who cannot open HQ's pages still
        reads it). A staff member reads the notes of the units they have been assigned to and above.
        Notes of a unit outside all of these (a peer outlet's 大额到期) stay out of sight."""
        queryset = OrgUnit.objects.all() if queryset is None else queryset
        if self.reads_every_row:
            return queryset
        if self.unit_path:
            return queryset.filter(Q(path__startswith=self.unit_path) | Q(path__in=_paths_above(self.unit_path)))
        if self.staff_id:
            # A unit whose path begins the path of a unit they were assigned to: that unit or one above it.
            held = Assignment.objects.filter(staff_id=self.staff_id, unit__path__startswith=OuterRef("path"))
            return queryset.filter(Exists(held))
        return queryset.none()

    def benchmarks(self, queryset: QuerySet[OrgUnit] | None = None) -> QuerySet[OrgUnit]:
        """The benchmark outlets (标杆网点) whose comparison page this scope may read: those it sees, and
        the benchmark of any outlet it sees, wherever that benchmark sits. The manager of a replica
        (标杆复制网点) studies the outlet it copies; that grants the comparison page only (the benchmark's
        month figures beside the replicas in scope), not the benchmark's scorecard, staff, customers or
        alerts, which stay outside the scope (`units`, `can_see_unit`). One query with the caller's."""
        queryset = OrgUnit.objects.all() if queryset is None else queryset
        queryset = queryset.filter(is_benchmark=True)
        if self.reads_every_row:
            return queryset
        if self.unit_path:
            copied = OrgUnit.objects.filter(benchmark=OuterRef("pk"), path__startswith=self.unit_path)
            return queryset.filter(Q(path__startswith=self.unit_path) | Exists(copied))
        return queryset.none()

    @property
    def sees_units(self) -> bool:
        """Sees some part of the org tree (the pages of units: overview, bulletin, a unit's customers);
        a staff login sees only their own record."""
        return self.everything or bool(self.unit_path)

    # -- may do ----------------------------------------------------------------------------------------

    @property
    def may_write(self) -> bool:
        """May change things in the units it sees (within what each action further requires)."""
        return not self.read_only

    @property
    def may_write_network(self) -> bool:
        """May make the writes that apply to the whole network: HQ administrators (and superusers).
        Auditors see everything but change nothing; a token, even the head office's, which sees the whole
        network (`reads_every_row`), never makes them."""
        return self.everything and self.may_write

    @property
    def may_close_months(self) -> bool:
        """Closing a month (月结) freezes the pay basis of the whole network."""
        return self.may_write_network

    @property
    def may_start_rollup(self) -> bool:
        """A rollup recomputes every outlet of the network, so only a writer of the whole network starts
        one: an HQ administrator signed in, or a token of the head office that may write (the API asks
        its admin scope too, staff.api.HasTokenScope). A token of a branch or an outlet never does,
        whatever its scopes: its unit bounds what it starts."""
        return self.may_write_network or (self.network_wide and self.may_write)

    @property
    def may_set_targets(self) -> bool:
        """A signed-in user setting targets through the API (DOMAIN.md §7: HQ sets targets; a token
        needs the admin scope, inside its subtree)."""
        return self.may_write_network

    @property
    def may_push_facts(self) -> bool:
        """A signed-in user pushing facts through the API (a token needs the ingest scope)."""
        return self.may_write_network

    @property
    def may_import(self) -> bool:
        """A CSV upload in the admin: the imports add and change rows anywhere in the network."""
        return self.may_write_network

    def may_follow_up(self, unit: OrgUnit) -> bool:
        """Whoever may change things in this unit (DOMAIN.md §7): HQ, the unit manager above it, its
        outlet head. They follow up its alerts, fill in its weekly review and write its improvement
        plans; auditors and staff read only."""
        return self.may_write and self.can_see_unit(unit)

    def may_annotate(self, unit: OrgUnit) -> bool:
        """Writing (and deleting) a note on a unit's charts and bulletin (kpi's annotations): HQ anywhere,
        a unit manager in their subtree, an outlet head on their outlet, a token that may write in its
        subtree (the API asks its admin scope too). The rule of may_follow_up, asked by its own name:
        whoever answers for a unit's figures may say why they moved. Auditors and staff read only."""
        return self.may_follow_up(unit)

    def may_review_from_above(self, unit: OrgUnit) -> bool:
        """复查 and answering a weekly review are done from above: HQ or a unit manager whose subtree
        holds the unit, not its outlet head."""
        return self.may_follow_up(unit) and self.role in (Role.HQ_ADMIN, Role.UNIT_MANAGER)

    def may_plan_targets(self, unit: OrgUnit, period_kind: str) -> bool:
        """Planning targets on the target-plan page or its API (the plans app), for `unit`'s subtree
        and a period of `period_kind`: HQ administrators any unit and any period (DOMAIN.md §7: HQ sets
        targets); a unit manager the ISO-week targets inside their own subtree (the Monday meeting,
        周例会); a token that may write inside its subtree (the API also asks its admin scope, as for
        targets). Outlet heads, auditors and staff do not plan."""
        if self.may_set_targets:
            return True
        if not (self.may_write and self.can_see_unit(unit)):
            return False
        if self.role == Role.UNIT_MANAGER:
            return str(period_kind) == "week"
        return self.role == "" and bool(self.unit_path)  # a token: only tokens have no role and a unit

    @property
    def may_plan_some_targets(self) -> bool:
        """Plans targets somewhere (the page offers a new plan): HQ, unit managers, writing tokens."""
        return self.may_set_targets or (self.may_write and self.role in ("", Role.UNIT_MANAGER) and self.sees_units)

    def may_acknowledge_targets(self, unit: OrgUnit) -> bool:
        """签收 or asking for a review of the targets a published plan gave `unit`: the head of that unit
        itself (its outlet head, or the unit manager of a sub-branch), not the levels above, who set
        them, nor auditors or staff."""
        return self.may_write and self.role in UNIT_HEAD_ROLES and self.unit_path == unit.path

    def may_manage_contests(self, unit: OrgUnit | None = None) -> bool:
        """PK contests are organised by HQ anywhere and by a unit manager inside their own subtree
        (`unit` None: somewhere). Nobody else."""
        if self.may_write_network:
            return True
        return self.role == Role.UNIT_MANAGER and (unit is None or self.can_see_unit(unit))

    # -- the points ledger (台账) ------------------------------------------------------------------------

    def may_enter_deductions(self, unit: OrgUnit) -> bool:
        """扣分 (劳动纪律, 内控问题, 服务违规) are entered for a staff member of `unit` by whoever answers for
        the people there: the outlet head of the outlet or the unit manager above it, always with a
        reason (ledger.services). Never the person themselves, nor HQ from afar, nor a token."""
        return self.may_write and self.role in UNIT_HEAD_ROLES and self.can_see_unit(unit)

    def may_approve_ledger(self, unit: OrgUnit) -> bool:
        """Approving, rejecting and withdrawing the ledger entries of an outlet: its outlet head (before
        the 晨会), the unit manager above it, HQ, a token that may write in its subtree (the API asks its
        admin scope too). The rule of may_follow_up, asked by its own name. Auditors and staff read."""
        return self.may_follow_up(unit)

    @property
    def may_approve_some_ledger(self) -> bool:
        """Approves entries somewhere: the approval page is theirs."""
        return self.may_write and self.sees_units

    def customer_code(self, code: str) -> str:
        """A customer number a ledger entry names, as this reader may see it: whole, or ****1024 (lib.masking).
        The number is pseudonymous, but joined with the day and the outlet it points at a person."""
        return code if self.personal_data else mask_customer_code(code)

    def may_adjust_credit_split(self, unit: OrgUnit) -> bool:
        """Moving an outlet's credit split (分润) within the limits HQ set on a standing rule (kpi's
        CreditSplitAdjustment, audited): HQ anywhere, a unit manager for the outlets of their subtree,
        an outlet head for their own outlet. Not auditors, staff or tokens: a split is a person's call,
        with a reason."""
        return self.may_follow_up(unit) and self.role in (Role.HQ_ADMIN, *UNIT_HEAD_ROLES)

    def may_run_meeting(self, unit: OrgUnit) -> bool:
        """Holding a unit's meetings (meetings): the 晨会 sheet of an outlet (attendance, topics, decisions,
        each person's goals for the day) and the minutes of a Monday meeting (周例会) with its action
        items. Whoever heads the unit or a unit above it: HQ, the unit manager in their subtree, the
        outlet head at their outlet. Meetings are held by people, whom the goals' audit names: no token;
        auditors and staff read only."""
        return self.may_write and self.can_see_unit(unit) and self.role in (Role.HQ_ADMIN, *UNIT_HEAD_ROLES)

    def may_settle_action_item(self, unit: OrgUnit, *, owns_it: bool) -> bool:
        """Marking a meeting's action item done (or open again): whoever may run the meetings of its
        meeting's unit, and its owner who changes things somewhere (an outlet head who took an item at
        the sub-branch's Monday meeting, above their scope). A staff member who owns an item reads it
        (DOMAIN.md §7: staff change nothing); their outlet head marks it done."""
        return self.may_run_meeting(unit) or (owns_it and self.may_write and bool(self.role))

    def may_close_pay(self, unit: OrgUnit) -> bool:
        """Closing the month's pay of a unit's staff (the pay app: pay sheets stored from the frozen month,
        the 二次分配 of a sub-branch): HQ administrators any unit, a unit manager inside their own subtree.
        Outlet heads read their outlet's sheets; auditors, staff and tokens close nothing."""
        return self.may_write and self.can_see_unit(unit) and self.role in (Role.HQ_ADMIN, Role.UNIT_MANAGER)

    # -- territories, prospects and referrals (customers, issue 18) ---------------------------------------

    def may_edit_territories(self, unit: OrgUnit) -> bool:
        """Creating and changing an outlet's territories (网格) and their owners (定员定岗定责): HQ
        administrators anywhere and the outlet head of the outlet. Not the unit manager above it (the
        outlet head answers for who covers which ground), auditors, staff or tokens."""
        return self.may_write and self.can_see_unit(unit) and self.role in (Role.HQ_ADMIN, Role.OUTLET_HEAD)

    def may_record_outreach(self, unit: OrgUnit, *, works_there: bool) -> bool:
        """Taking down a prospect (客户信息表) or recording a referral (转介) at an outlet: a member of its
        staff that day (`works_there`: their own staff record is assigned to the outlet), or whoever
        follows the outlet up (HQ, its unit manager, its outlet head). People only: no token, no auditor."""
        if not self.role or self.role == Role.AUDITOR:
            return False
        return works_there or self.may_follow_up(unit)

    def may_follow_referral(self, unit: OrgUnit, *, receives_it: bool) -> bool:
        """Moving a referral on (跟进, 成交, 未成交): the wealth or customer manager it was referred to, or
        whoever follows the outlet up. People only."""
        if not self.role or self.role == Role.AUDITOR:
            return False
        return receives_it or self.may_follow_up(unit)

    # -- campaigns (营销活动) ----------------------------------------------------------------------------

    def campaign_units(self, queryset: QuerySet[OrgUnit] | None = None) -> QuerySet[OrgUnit]:
        """The units whose campaigns this scope reads: those it sees and every unit above them (HQ's
        他行揽储 reaches every outlet head and every staff member), as for notes (notice_units): a
        campaign organised above speaks to the subtree. A staff member reads the campaigns of the units
        they have worked at and above. A sibling sub-branch's campaign stays out of sight."""
        return self.notice_units(queryset)

    def may_manage_campaigns(self, unit: OrgUnit | None = None) -> bool:
        """Campaigns are set up by HQ for the network (in the admin) and by a unit manager for their own
        subtree (`unit` None: somewhere). Not outlet heads, auditors, staff or tokens."""
        if self.may_write_network:
            return True
        return self.may_write and self.role == Role.UNIT_MANAGER and (unit is None or self.can_see_unit(unit))

    def may_record_gift(self, unit: OrgUnit, *, own: bool = False) -> bool:
        """Recording a gift given in a campaign at an outlet (its gift ledger): the staff member who gave
        it (`own`: the gift is theirs), or whoever answers for the outlet's people: its outlet head, the
        unit manager above, HQ. Auditors read; tokens record nothing (a gift is a person's act)."""
        if own and self.role == Role.STAFF:
            return True
        return self.may_write and self.role in (Role.HQ_ADMIN, *UNIT_HEAD_ROLES) and self.can_see_unit(unit)

    # -- checklists: patrols and inspections (巡检, 稽核检查) ------------------------------------------------

    def may_tick_patrol(self, unit: OrgUnit, *, day: datetime.date, post_id: int | None) -> bool:
        """Ticking an outlet's patrol (巡检记录表) on `day`: the staff member assigned to the outlet that day in
        the post the template names (any post when it names none): the lobby manager on the phone; and the
        outlet head of the outlet, who stands in when the lobby is short. A patrol is one's own work record,
        like a ledger entry, so a staff login ticks though it changes nothing else. Not HQ from afar, nor an
        auditor, nor a token: a patrol is someone walking the lobby."""
        if self.role == Role.OUTLET_HEAD:
            return self.may_write and self.unit_path == unit.path
        if self.role == Role.STAFF and self.staff_id:
            held = Assignment.objects.on(day).filter(staff_id=self.staff_id, unit=unit)
            if post_id is not None:
                held = held.filter(post_id=post_id)
            return held.exists()
        return False

    def may_look_at_patrols(self, unit: OrgUnit) -> bool:
        """Marking a missed patrol or a failed item as looked at (it leaves the badge): whoever heads the
        outlet or a unit above it, and HQ. The rule of may_run_meeting, asked by its own name."""
        return self.may_run_meeting(unit)

    def may_record_inspection(self, unit: OrgUnit) -> bool:
        """Recording an inspection of an outlet (稽核检查, 内控检查) with its findings: from above the outlet,
        never by its own head. HQ administrators anywhere; a unit manager (the supervisor) in their
        subtree; an auditor anywhere. An auditor changes nothing else: an inspection is the auditor's
        own observation, and what it sets off (the alert, a deduction, a veto) is then followed up by the
        outlet and its managers. Not a token: an inspection is a person's record, with a name on it."""
        if self.role == Role.AUDITOR:
            return self.everything
        return self.may_write and self.can_see_unit(unit) and self.role in (Role.HQ_ADMIN, Role.UNIT_MANAGER)

    @property
    def may_record_some_inspection(self) -> bool:
        """Records inspections somewhere: the "new inspection" form is theirs."""
        return self.role == Role.AUDITOR or (self.may_write and self.role in (Role.HQ_ADMIN, Role.UNIT_MANAGER))

    # -- customer outreach (名单) -------------------------------------------------------------------------

    def may_build_lists(self, unit: OrgUnit) -> bool:
        """Building a call or visit list (outreach) from the customers of `unit`'s subtree, assigning it and
        reassigning its customers by hand: the outlet head at their outlet, the unit manager in their
        subtree, HQ anywhere. People only (a list is a person's call): no token, auditor or staff member."""
        return self.may_write and self.can_see_unit(unit) and self.role in (Role.HQ_ADMIN, *UNIT_HEAD_ROLES)

    @property
    def may_build_some_lists(self) -> bool:
        """Builds lists somewhere: the lists page offers a new list."""
        return self.may_write and self.sees_units and self.role in (Role.HQ_ADMIN, *UNIT_HEAD_ROLES)

    def may_work_assignment(self, unit: OrgUnit, staff_id: int | None) -> bool:
        """Recording a call or visit of a list's customer: the staff member it is assigned to (a staff
        login works their own assignments, though staff change nothing else), or whoever may build the
        list's unit's lists (an outlet head records for their staff). Auditors and tokens read."""
        if self.staff_id is not None and staff_id is not None and self.staff_id == staff_id:
            return True
        return self.may_build_lists(unit)

    @property
    def may_export_customers(self) -> bool:
        """Downloading a list of customers (a list's customers, with names): readers with the personal-data
        right only (DOMAIN.md §6: exports only by permission)."""
        return self.personal_data

    # -- the complaints register, the transformation rollout -------------------------------------------

    def may_record_complaints(self, unit: OrgUnit) -> bool:
        """Recording a complaint of an outlet (意见簿, 95xxx hotline, online, 监管转办) and writing its reply:
        the outlet head at their outlet, the unit manager above it, HQ. People, not tokens: a reply is a
        person's word. Auditors and staff read."""
        return self.may_write and self.can_see_unit(unit) and self.role in (Role.HQ_ADMIN, *UNIT_HEAD_ROLES)

    def may_review_complaints(self, unit: OrgUnit) -> bool:
        """Deciding whether a complaint is valid (有效投诉, which counts against the outlet): the unit
        manager above the outlet or HQ, never the outlet itself."""
        return (
            self.may_write
            and self.can_see_unit(unit)
            and (self.role == Role.HQ_ADMIN or (self.role == Role.UNIT_MANAGER and self.unit_path != unit.path))
        )

    def may_run_rollout(self, unit: OrgUnit) -> bool:
        """Running an outlet's transformation rollout (网点转型): marking practices done with evidence, moving
        it to the next stage: HQ, the unit manager above it, its outlet head. Not auditors, staff, tokens."""
        return self.may_write and self.can_see_unit(unit) and self.role in (Role.HQ_ADMIN, *UNIT_HEAD_ROLES)

    # -- personal data ----------------------------------------------------------------------------------

    @property
    def may_read_deliveries(self) -> bool:
        """The push's delivery records (notify: what was sent to which chat, what failed and why) are HQ's
        operations: HQ administrators and auditors read them all; a token that may write reads those of
        its subtree's channels (the API asks its admin scope besides: staff.api.HasTokenScope). Unit
        managers and outlet heads read the bulletin itself."""
        return self.everything or (not self.role and bool(self.unit_path) and self.may_write)

    @property
    def masks_personal_data(self) -> bool:
        """Names and identity numbers reach this reader masked."""
        return not self.personal_data

    def person_name(self, name: str) -> str:
        """A person's name (a staff member's, a customer's) as this reader may see it: 王芳 or 王*."""
        return name if self.personal_data else mask_name(name)

    def complainant_name(self, name: str) -> str:
        """A complainant's name (the complaints register): like person_name, but masked for a staff member
        too. A staff login reads its own records unmasked; the customer who complained about them is not
        theirs to know."""
        return name if self.personal_data and not self.staff_id else mask_name(name)

    def complainant_phone(self, number: str) -> str:
        """A complainant's phone, masked as complainant_name is: 138****5678."""
        return number if self.personal_data and not self.staff_id else mask_phone(number)

    def id_number(self, number: str) -> str:
        """An identity number as this reader may see it: whole, or 440106********1234."""
        return number if self.personal_data else mask_id_number(number)

    def phone(self, number: str) -> str:
        """A phone number as this reader may see it: whole, or 138****5678 (a prospect's contact)."""
        return number if self.personal_data else mask_phone(number)


def _paths_above(path: str) -> list[str]:
    """The paths of the units above the one at `path`, read off it: /HQ/GZ/GZ01/ → /HQ/, /HQ/GZ/."""
    codes = [code for code in path.split("/") if code]
    return ["/" + "/".join(codes[:depth]) + "/" for depth in range(1, len(codes))]


def scope_for_user(user: User) -> Scope:
    if not user.is_authenticated or not user.is_active:
        return Scope.nothing()
    if user.is_superuser or user.role == Role.HQ_ADMIN:
        return Scope(everything=True, read_only=False, personal_data=True, role=Role.HQ_ADMIN)
    if user.role == Role.AUDITOR:
        return Scope(everything=True, read_only=True, personal_data=True, role=user.role)
    if user.role in UNIT_HEAD_ROLES and user.unit_id:
        return Scope(unit_path=user.unit.path, read_only=False, personal_data=True, role=user.role)
    if user.role == Role.STAFF:
        staff_member = StaffMember.objects.filter(user=user).only("pk").first()
        if staff_member:
            # Their own record only, which is their own data.
            return Scope(staff_id=staff_member.pk, personal_data=True, role=user.role)
    return Scope.nothing()


def scope_for_token(token: ApiToken) -> Scope:
    """An integration token sees its unit's subtree; it writes only with the ingest or admin scope."""
    if not token.is_active:
        return Scope.nothing()
    read_only = not (token.scope_names & {ApiToken.ScopeName.INGEST, ApiToken.ScopeName.ADMIN})
    personal_data = ApiToken.ScopeName.PERSONAL in token.scope_names
    network_wide = token_reaches_network(token)
    return Scope(unit_path=token.unit.path, read_only=read_only, personal_data=personal_data, network_wide=network_wide)


# Annotated on a token by the query that authenticates it (staff.api.TokenAuthentication), so that
# token_reaches_network asks nothing more: whether another unit than the token's has no parent either.
ANOTHER_ROOT = "another_root_exists"


def another_root_exists() -> RawSQL:
    """The annotation ANOTHER_ROOT of an ApiToken queryset: an indexed probe of the units without a parent.
    Written in SQL: the ORM's Exists(OrgUnit.objects.filter(parent=None).exclude(pk=OuterRef("unit_id")))
    costs 0.45 ms to compile on every API request, more than the query. For the token's own query only
    (TokenAuthentication's): the SQL names the token table as such, which Django would not rename if the
    queryset became a subquery or were reached through a relation."""
    units, tokens = OrgUnit._meta, ApiToken._meta
    parent, pk, unit = units.get_field("parent").column, units.pk.column, tokens.get_field("unit").column
    return RawSQL(
        f'EXISTS (SELECT 1 FROM "{units.db_table}" AS root '
        f'WHERE root."{parent}" IS NULL AND root."{pk}" <> "{tokens.db_table}"."{unit}")',
        (),
        output_field=BooleanField(),
    )


def token_reaches_network(token: ApiToken) -> bool:
    """Whether the token's subtree is the whole network: its unit has no parent and no other unit is
    without one (the head office; clean() lets only it be without a parent, but a database can hold
    several trees). At most one query, none when the token was read with ANOTHER_ROOT annotated."""
    if token.unit.parent_id is not None:
        return False
    another = getattr(token, ANOTHER_ROOT, None)
    if another is None:
        another = OrgUnit.objects.filter(parent=None).exclude(pk=token.unit_id).exists()
    return not another


def scope_for_request(request) -> Scope:
    """The scope of whoever made an API or page request: the token if one authenticated it, else the user."""
    token = getattr(request, "auth", None)
    if isinstance(token, ApiToken):
        return scope_for_token(token)
    return scope_for_user(request.user)


def inspection_authority(unit: OrgUnit) -> Scope:
    """The authority an inspection's deduction (扣分) is entered in the points ledger with: that of a unit
    manager over the inspected outlet only. The inspector (an auditor, HQ, a supervisor) is not the
    outlet's head, who enters and approves deductions in the ledger (may_enter_deductions,
    may_approve_ledger); a finding that carries a deduction is the reason, entered and approved at once
    in the finding's name, with the inspector's login in the ledger's audit trail. Used by
    checklists.services only, for the outlet of the inspection being recorded."""
    return Scope(unit_path=unit.path, read_only=False, personal_data=True, role=Role.UNIT_MANAGER)


def get_unit_or_404(scope: Scope, code: str) -> OrgUnit:
    """The unit with this code if the scope may see it; 404 whether it is missing or out of scope."""
    unit = scope.units().filter(code=code).first()
    if unit is None:
        raise Http404("No such unit.")
    return unit


def get_workplace_or_404(scope: Scope, code: str, *, on: datetime.date) -> OrgUnit:
    """The unit with this code where the reader may act: one the scope sees (get_unit_or_404), or for a
    staff member (whose scope sees no unit) an outlet they are assigned to `on` that day. 404 otherwise.
    The pages and the API of the outlet's work (prospects, referrals, territories) find their unit
    here; what the reader may then do there, the service asks the scope."""
    if scope.sees_units:
        return get_unit_or_404(scope, code)
    if scope.staff_id is not None:
        assignment = (
            Assignment.objects.on(on).filter(staff_id=scope.staff_id, unit__code=code).select_related("unit").first()
        )
        if assignment is not None:
            return assignment.unit
    raise Http404("No such unit.")


def get_benchmark_or_404(scope: Scope, code: str) -> OrgUnit:
    """The benchmark outlet with this code if the scope may read its comparison page (`Scope.benchmarks`);
    404 whether it is missing, not a benchmark or out of scope."""
    benchmark = scope.benchmarks().filter(code=code).first()
    if benchmark is None:
        raise Http404("No such benchmark outlet.")
    return benchmark


def get_staff_or_404(scope: Scope, code: str, *, on: datetime.date | None = None) -> StaffMember:
    """The staff member with this code if the scope may look them up (`on` a day: assigned inside its
    subtree that day, Scope.staff); 404 whether missing or out of scope."""
    staff_member = scope.staff(on=on).filter(code=code).first()
    if staff_member is None:
        raise Http404("No such staff member.")
    return staff_member


# -- one's own pages -----------------------------------------------------------------------------------
# Read off the login's role, like what waits for whom below: the home page asks before any Scope is
# built, and a Scope of the staff role costs a query.


def own_scorecard_entity(*, user: User) -> OrgUnit | StaffMember | None:
    """Whose scorecard "my scorecard" is (DOMAIN.md §1, §7): an outlet head's or a unit manager's unit,
    a staff member's own record, the head office for HQ administrators and auditors; None otherwise."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.role in UNIT_HEAD_ROLES:
        return user.unit if user.unit_id else None
    if user.role == Role.STAFF:
        return StaffMember.objects.filter(user=user).first()
    if user.is_superuser or user.role in (Role.HQ_ADMIN, Role.AUDITOR):
        return OrgUnit.objects.filter(parent=None).order_by("path").first()
    return None


def own_overview_unit(*, user: User) -> OrgUnit | None:
    """The unit whose overview is a user's home page: a unit manager's unit, the head office for HQ
    administrators, auditors and superusers; None for outlet heads and staff (they start on a scorecard)."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.role == Role.UNIT_MANAGER:
        return user.unit if user.unit_id else None
    if user.is_superuser or user.role in (Role.HQ_ADMIN, Role.AUDITOR):
        return OrgUnit.objects.filter(parent=None).order_by("path").first()
    return None


def own_unit_in_scope(*, scope: Scope, user: User) -> OrgUnit | None:
    """The unit a "my …" page (my customers, my pay) opens on for a login that sees units: their own unit
    where their scope holds it, else the head office where it does; None when neither."""
    unit = user.unit if user.unit_id else None
    if unit is None or not scope.can_see_unit(unit):
        unit = scope.units().filter(parent=None).order_by("path").first()
    return unit


def starts_on_scorecard(user: User) -> bool:
    """Who starts the day on their own scorecard, the 08:30 morning meeting (DOMAIN.md §1): outlet heads
    and staff members. HQ, auditors and unit managers start on their overview (own_overview_unit)."""
    return user.is_authenticated and user.is_active and user.role in (Role.OUTLET_HEAD, Role.STAFF)


# -- the header's menu -------------------------------------------------------------------------------
# Read off the login's role without building a Scope: the header shows on every page.


@dataclass(frozen=True)
class Menu:
    """Which of the header's pages a login opens (templates/base.html reads it as `menu`)."""

    overview: bool = False  # HQ, auditors and unit managers start the day on an overview
    own_pages: bool = False  # their own scorecard and customers: anyone with a role
    network_pages: bool = False  # contests, the bulletin, alerts, target plans: everyone but a staff member
    credit_splits: bool = False  # their unit's credit splits (分润): outlet heads and unit managers
    meetings: bool = False  # the 晨会 sheets and Monday minutes of the units one sees: everyone but a staff member
    pay: bool = False  # pay sheets: one's own (staff), a unit's (its heads, HQ, auditors): anyone with a role
    ledger: bool = False  # the points ledger (台账): staff enter, outlet heads and unit managers approve
    outreach: bool = False  # territories, prospects and referrals (网格, 客户信息表, 转介): anyone with a role
    campaigns: bool = False  # campaigns (营销活动) and their leaderboards and gift ledgers: anyone with a role
    checklists: bool = False  # patrols (巡检) and inspections (检查): anyone with a role
    call_lists: bool = False  # call and visit lists (名单): HQ and unit heads build them, staff work theirs
    complaints: bool = False  # the complaints register: a staff member reads the complaints naming them
    rollouts: bool = False  # transformation rollouts (网点转型): everyone but a staff member


def menu_for(user: User) -> Menu:
    if not user.is_authenticated or not user.is_active:
        return Menu()
    if user.is_superuser:
        return Menu(
            overview=True, own_pages=True, network_pages=True, meetings=True, pay=True, outreach=True, campaigns=True,
            checklists=True, call_lists=True, complaints=True, rollouts=True,
        )  # fmt: skip
    return Menu(
        overview=user.role in (Role.HQ_ADMIN, Role.UNIT_MANAGER, Role.AUDITOR),
        own_pages=bool(user.role),
        network_pages=bool(user.role) and user.role != Role.STAFF,
        ledger=user.role in (Role.STAFF, Role.OUTLET_HEAD, Role.UNIT_MANAGER),
        credit_splits=user.role in UNIT_HEAD_ROLES and bool(user.unit_id),
        outreach=bool(user.role),
        meetings=user.role in (Role.HQ_ADMIN, Role.UNIT_MANAGER, Role.OUTLET_HEAD, Role.AUDITOR),
        pay=bool(user.role),
        campaigns=bool(user.role),
        checklists=bool(user.role),
        call_lists=user.role in (Role.HQ_ADMIN, Role.UNIT_MANAGER, Role.OUTLET_HEAD, Role.STAFF),
        complaints=bool(user.role),
        rollouts=bool(user.role) and user.role != Role.STAFF,
    )


# -- what waits for whom ----------------------------------------------------------------------------
# Read off the login's role without building a Scope: the header badge asks on every page.


def has_follow_up_work(user: User) -> bool:
    """People for whom alerts and reviews may wait (the header badge): HQ, unit managers and outlet
    heads. Auditors read the alerts but nothing waits for them; a staff member sees their own scorecard
    only."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or user.role in (Role.HQ_ADMIN, Role.UNIT_MANAGER, Role.OUTLET_HEAD)


def fills_reviews(user: User) -> bool:
    """The weekly review of an outlet waits for its outlet head to fill it in."""
    return user.is_authenticated and user.is_active and bool(user.unit_id) and user.role == Role.OUTLET_HEAD


def answers_reviews(user: User) -> bool:
    """A submitted review waits for the unit manager above the outlet to answer it (HQ may answer one
    too, Scope.may_review_from_above, but nothing waits for HQ)."""
    return user.is_authenticated and user.is_active and bool(user.unit_id) and user.role == Role.UNIT_MANAGER


# Work of the apps above people that waits for a login besides alerts and reviews (a meeting's overdue
# action items): each app registers, in its AppConfig.ready(), a function of the user that answers the
# rows waiting for them as a queryset, what to call them and the page that lists them; the header badge
# (alerts.selectors.badge_count) counts them in its one query, the alerts page says how many of each.
# Registered by name, so a reloaded app replaces its entry.
@dataclass(frozen=True)
class WaitingWork:
    rows_for: Callable[[User], QuerySet]
    label: Any  # a lazy translation: "overdue action items"
    url_name: str  # the page that lists them, reversed without arguments


_waiting_work: dict[str, WaitingWork] = {}


def waiting_work_register(name: str, rows_for: Callable[[User], QuerySet], *, label: Any, url_name: str) -> None:
    _waiting_work[name] = WaitingWork(rows_for=rows_for, label=label, url_name=url_name)


def waiting_work() -> dict[str, WaitingWork]:
    """The registered kinds of waiting work by name, in the order they were registered."""
    return dict(_waiting_work)


def users_who_may_follow_up(unit: OrgUnit) -> QuerySet[User]:
    """The logins for whom `scope_for_user(user).may_follow_up(unit)` holds, in one query: active HQ
    administrators and superusers, and the unit managers and outlet heads of the unit or of a unit
    above it (read off the unit's path)."""
    codes = [*unit.ancestor_codes, unit.code]
    return User.objects.filter(is_active=True).filter(
        Q(is_superuser=True) | Q(role=Role.HQ_ADMIN) | Q(role__in=UNIT_HEAD_ROLES, unit__code__in=codes)
    )


def unit_heads(unit_ids) -> QuerySet[User]:
    """The active logins who head these units themselves (their own unit, not one above): outlet heads
    and unit managers. Each may follow the unit up; a new alert goes to its unit's head."""
    return User.objects.filter(is_active=True, role__in=UNIT_HEAD_ROLES, unit_id__in=unit_ids)


# The permissions a layer below people may ask by name (they take no argument).
BACKEND_PERMISSIONS = frozenset(
    {
        "may_write_network",
        "may_close_months",
        "may_start_rollup",
        "may_set_targets",
        "may_push_facts",
        "may_import",
    }
)


class AccessBackend(BaseBackend):
    """Answers `user.has_perm("access.may_import")` (and the other BACKEND_PERMISSIONS) with the user's
    Scope, for code that may not import this module: the CSV upload of the org unit admin, whose mixin
    belongs to no app. It authenticates nobody and grants no model permission; Django answers a
    superuser's has_perm itself (True), which agrees with the superuser's Scope."""

    def has_perm(self, user_obj, perm: str, obj=None) -> bool:
        if not perm.startswith(PERMISSION_PREFIX):
            return False
        name = perm.removeprefix(PERMISSION_PREFIX)
        if name not in BACKEND_PERMISSIONS:
            return False
        return bool(getattr(scope_for_user(user_obj), name))
