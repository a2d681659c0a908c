"""A day fanned out by subtree (issue 21, kpi.services.fanout): the same scorecards as the single-process
rollup, published only whole, and repaired when a part's worker dies.

The network: HQ → GZ (GZ01: A, B) and SZ (SZ01: C), with outlet H straight under HQ (the part above the
branches). Staff: T1 and T2 tellers at A, T3 a teller at C, T4 a teller at B and at C (B's post first), and
N without any post who has facts at C. Days 2026-11-15 (from scratch) and 2026-11-16 (chained).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from branches.models import OrgUnit
from kpi import partitions
from kpi.models import (
    Fact,
    LineKind,
    Metric,
    RollupDay,
    RollupFanout,
    RollupPart,
    RollupRun,
    Scorecard,
    ScorecardLine,
    ScorecardTemplate,
    Target,
    TemplateLine,
)
from kpi.services import fanout, rollup
from staff.models import StaffMember
from tests.factories import AssignmentFactory, OrgUnitFactory, StaffMemberFactory, post

D = datetime.date
DAY1, DAY2 = D(2026, 11, 15), D(2026, 11, 16)
TODAY = D(2026, 11, 20)
pytestmark = pytest.mark.django_db


def metric(code: str) -> Metric:
    return Metric.objects.get(code=code)


def fact(day, unit, code, value, staff=None):
    Fact.objects.create(date=day, unit=unit, staff=staff, metric=metric(code), value=Decimal(str(value)))


@pytest.fixture
def network():
    hq = OrgUnitFactory.head_office(code="HQ")
    gz = OrgUnitFactory.branch_of(hq, code="GZ")
    sz = OrgUnitFactory.branch_of(hq, code="SZ")
    gz01 = OrgUnitFactory.sub_branch_of(gz, code="GZ01")
    sz01 = OrgUnitFactory.sub_branch_of(sz, code="SZ01")
    a = OrgUnitFactory.outlet_of(gz01, code="A", area="urban")
    b = OrgUnitFactory.outlet_of(gz01, code="B", area="urban")
    c = OrgUnitFactory.outlet_of(sz01, code="C", area="urban")
    h = OrgUnitFactory.outlet_of(hq, code="H", area="urban")
    staff = {code: StaffMemberFactory(code=code) for code in ("T1", "T2", "T3", "T4", "N")}
    for code, unit in (("T1", a), ("T2", a), ("T3", c), ("T4", b), ("T4", c)):
        AssignmentFactory(staff=staff[code], unit=unit, post="teller", start=D(2026, 1, 1))

    outlet_template = ScorecardTemplate.objects.create(
        code="T-OUT", name_zh="网点", subject="outlet", effective_from=D(2026, 1, 1)
    )
    TemplateLine.objects.create(
        template=outlet_template, metric=metric("customers_served"), kind=LineKind.WEIGHTED, weight=100, sort_order=0
    )
    teller_template = ScorecardTemplate.objects.create(
        code="T-TELLER", name_zh="柜员", subject="staff", effective_from=D(2026, 1, 1)
    )
    TemplateLine.objects.create(
        template=teller_template, metric=metric("mobile_banking_signups"), kind=LineKind.POINTS,
        points_per_unit=1, sort_order=0,
    )  # fmt: skip
    teller_template.posts.add(post("teller"))
    for unit, value in ((a, 300), (b, 300), (c, 300), (h, 300), (gz, 1000)):
        Target.objects.create(
            unit=unit, metric=metric("customers_served"), period_kind="month", period_start=D(2026, 11, 1),
            period_end=D(2026, 11, 30), period="2026-11", value=Decimal(value),
        )  # fmt: skip

    # Day 1: customers served A 165, B 150, C 150, H 180; balances and NPLs for the ratio; staff sign-ups.
    for unit, served, loans, npl in ((a, 165, 1000, 10), (b, 150, 2000, 30), (c, 150, 500, 5), (h, 180, 400, 0)):
        fact(DAY1, unit, "customers_served", served)
        fact(DAY1, unit, "loan_balance", loans)
        fact(DAY1, unit, "npl_balance", npl)
        fact(DAY1, unit, "deposit_balance", loans * 2)
    for code, unit, signups in (("T1", a, 5), ("T2", a, 9), ("T3", c, 7), ("T4", b, 4), ("T4", c, 3), ("N", c, 2)):
        fact(DAY1, unit, "mobile_banking_signups", signups, staff=staff[code])
    # Day 2: more customers at A and C, a balance moves.
    fact(DAY2, a, "customers_served", 15)
    fact(DAY2, c, "customers_served", 30)
    fact(DAY2, b, "deposit_balance", 4500)
    fact(DAY2, staff["T4"].assignments.first().unit, "mobile_banking_signups", 1, staff=staff["T4"])
    return {"HQ": hq, "GZ": gz, "SZ": sz, "A": a, "B": b, "C": c, "H": h, **staff}


def published(day: datetime.date) -> dict:
    """Every published figure of the day: card key → (score, ranks) and line key → its figures."""
    cards = Scorecard.objects.published(on=day).select_related("unit", "staff")
    found = {}
    for card in cards:
        who = (card.unit.code if card.unit_id else "", card.staff.code if card.staff_id else "", card.period)
        found[who] = (card.total_score, card.vetoed, card.rank, card.rank_of, card.network_rank, card.network_rank_of)
    lines = ScorecardLine.objects.filter(scorecard__in=cards).select_related("scorecard__unit", "scorecard__staff")
    for line in lines.select_related("metric"):
        card = line.scorecard
        who = (card.unit.code if card.unit_id else "", card.staff.code if card.staff_id else "", card.period)
        found[(*who, line.metric.code)] = (
            line.actual, line.target, line.attainment, line.pace_attainment, line.status, line.score, line.rank,
            line.rank_of, line.target_from_children, line.previous_actual, line.last_year_actual,
            line.year_start_actual, line.year_to_date_actual,
        )  # fmt: skip
    return found


def single_process() -> tuple[dict, dict]:
    for day in (DAY1, DAY2):
        rollup.rollup_day(day=day, today=TODAY)
    return published(DAY1), published(DAY2)


def fanned_out() -> tuple[dict, dict]:
    for day in (DAY1, DAY2):
        run = fanout.rollup_day_in_process(day=day, today=TODAY)
        assert run.status == RollupRun.Status.PUBLISHED
    return published(DAY1), published(DAY2)


def line_of(day, period, code, *, unit=None, staff=None) -> ScorecardLine:
    cards = Scorecard.objects.published(on=day).filter(period=period, unit=unit, staff=staff)
    return ScorecardLine.objects.get(scorecard__in=cards, metric__code=code)


def test_the_parts_are_the_branches_and_the_units_above_them(network):
    code_of = dict(OrgUnit.objects.values_list("id", "code"))
    parts = fanout.partition(depth=1)
    codes = {code_of.get(head): sorted(code_of[unit] for unit in units) for head, units in parts.items()}
    assert codes == {None: ["H", "HQ"], "GZ": ["A", "B", "GZ", "GZ01"], "SZ": ["C", "SZ", "SZ01"]}


def test_a_fanned_out_day_gives_exactly_the_single_process_scorecards(network):
    single = single_process()
    fanned = fanned_out()

    assert fanned[0] == single[0]
    assert fanned[1] == single[1]
    # Hand checks on day 2, month to date. HQ served A 165+15 + B 150 + C 150+30 + H 180 = 690, against the
    # sum of its children's targets GZ 1000 + SZ's inherited 300 (C) + H 300 = 1600.
    hq = line_of(DAY2, "month", "customers_served", unit=network["HQ"])
    assert (hq.actual, hq.target, hq.target_from_children) == (Decimal("690.0000"), Decimal("1600.0000"), True)
    # HQ's NPL ratio from the summed numerator and denominator: (10+30+5+0) / (1000+2000+500+400) = 45/3900.
    npl = line_of(DAY2, "day", "npl_ratio", unit=network["HQ"])
    assert npl.actual == Decimal("1.1538")  # 1.153846… %
    # HQ's deposit balance 同比-style comparison: 较年初 is 0 (nothing before the year), year to date 2000
    # + 4500 + 1000 + 800 = 8300 on day 2 (B's balance moved from 4000 to 4500).
    deposits = line_of(DAY2, "day", "deposit_balance", unit=network["HQ"])
    assert (deposits.actual, deposits.previous_actual) == (Decimal("8300.0000"), Decimal("7800.0000"))
    # Network ranks of the outlets' month (pace = served / (300 × 16/30)): A 180/160, C 180/160, H 180/160
    # → 112.5 each; B 150/160 → 93.75: ranks 1, 1, 1, 4 of 4 across parts.
    ranks = [single[1][(code, "", "month")][4:] for code in ("A", "C", "H", "B")]
    assert ranks == [(1, 4), (1, 4), (1, 4), (4, 4)]
    # T4 (teller at B first) counts both outlets: 4 + 3 + 1 = 8 sign-ups this month.
    t4 = line_of(DAY2, "month", "mobile_banking_signups", staff=network["T4"])
    assert t4.actual == Decimal("8.0000")


def test_the_day_is_not_published_until_every_part_is_done(network):
    single_process()
    before = published(DAY2)
    plan = fanout.plan(day=DAY2, today=TODAY)
    parts = list(plan.parts.order_by("pk"))
    for part in parts[:-1]:
        fanout.part_run(part_id=part.pk)

    with pytest.raises(fanout.NotReady):
        fanout.finish(fanout_id=plan.pk)

    # Readers still see the previous run, whole.
    assert published(DAY2) == before
    assert RollupDay.objects.get(date=DAY2).published_run_id != plan.run_id
    fanout.part_run(part_id=parts[-1].pk)
    fanout.finish(fanout_id=plan.pk)
    assert RollupDay.objects.get(date=DAY2).published_run_id == plan.run_id
    assert published(DAY2) == before


@override_settings(RUN_STALE_AFTER=600)
def test_a_part_whose_worker_died_is_run_again_and_the_day_is_whole(network):
    single = single_process()[1]
    plan = fanout.plan(day=DAY2, today=TODAY)
    dead, *alive = list(plan.parts.order_by("pk"))
    for part in alive:
        fanout.part_run(part_id=part.pk)
    # The worker of `dead` took it and died: running, its heartbeat 11 minutes old, nothing written (its
    # transaction died with it).
    RollupPart.objects.filter(pk=dead.pk).update(
        status="running", attempts=1, heartbeat_at=timezone.now() - datetime.timedelta(minutes=11)
    )
    assert fanout.parts_claimable(fanout_id=plan.pk) == [dead.pk]

    run = fanout.resume(fanout_id=plan.pk)

    assert run.status == RollupRun.Status.PUBLISHED
    assert RollupPart.objects.get(pk=dead.pk).attempts == 2
    assert published(DAY2) == single


@override_settings(RUN_STALE_AFTER=600)
def test_a_part_alive_on_another_worker_is_left_alone(network):
    plan = fanout.plan(day=DAY1, today=TODAY)
    part = plan.parts.first()
    RollupPart.objects.filter(pk=part.pk).update(status="running", attempts=1, heartbeat_at=timezone.now())

    assert fanout.part_run(part_id=part.pk) == "running"
    assert RollupPart.objects.get(pk=part.pk).attempts == 1


def test_a_part_killed_while_writing_leaves_nothing_and_a_rerun_repairs_the_day(network, monkeypatch):
    single = single_process()[1]
    plan = fanout.plan(day=DAY2, today=TODAY)
    victim = plan.parts.exclude(unit=None).first()
    real_write = rollup._write

    def write_then_die(run, state, lines, **options):
        real_write(run, state, lines, **options)
        raise MemoryError("killed after its COPY")

    monkeypatch.setattr(rollup, "_write", write_then_die)
    with pytest.raises(MemoryError):
        fanout.part_run(part_id=victim.pk)
    monkeypatch.setattr(rollup, "_write", real_write)

    # Its rows rolled back with it; the run failed and the day is still the single process's.
    assert not Scorecard.objects.filter(run_id=plan.run_id).exists()
    assert RollupPart.objects.get(pk=victim.pk).status == "failed"
    assert RollupRun.objects.get(pk=plan.run_id).status == RollupRun.Status.FAILED
    assert RollupDay.objects.get(date=DAY2).published_run_id != plan.run_id

    assert fanout.resume(fanout_id=plan.pk).status == RollupRun.Status.PUBLISHED
    assert published(DAY2) == single


def test_a_part_of_a_run_whose_rows_were_removed_meanwhile_writes_nothing(network):
    plan = fanout.plan(day=DAY2, today=TODAY)
    first, second = list(plan.parts.order_by("pk"))[:2]
    fanout.part_run(part_id=first.pk)
    written = Scorecard.objects.filter(run_id=plan.run_id).count()
    # While the second part computed, a later publication of the day passed the run by and
    # kpi.retention.passed_by_discard removed its rows.
    RollupRun.objects.filter(pk=plan.run_id).update(status=RollupRun.Status.SUPERSEDED, discarded_at=timezone.now())

    with pytest.raises(RuntimeError, match="passed by"):
        fanout.part_run(part_id=second.pk)

    assert RollupPart.objects.get(pk=second.pk).status == "failed"
    assert Scorecard.objects.filter(run_id=plan.run_id).count() == written > 0


def test_the_chord_of_a_fanned_out_day_publishes_it(network):
    """Eager mode (the test settings): plan, the chord of the parts, then the finish."""
    from kpi.tasks import rollup_fanout_day

    single = single_process()
    run_id = rollup_fanout_day.delay(DAY1.isoformat()).get()
    run_id2 = rollup_fanout_day.delay(DAY2.isoformat()).get()

    assert RollupRun.objects.get(pk=run_id2).status == RollupRun.Status.PUBLISHED
    assert RollupRun.objects.get(pk=run_id).status == RollupRun.Status.PUBLISHED
    assert (published(DAY1), published(DAY2)) == single


def test_a_partner_whose_first_post_is_in_another_branch_has_one_scorecard_with_the_share(network):
    """T3 (SZ, at C) shares a sale at C with T4, whose first post is at B (GZ): the SZ part reads the sale,
    the GZ part owns T4. T4's month: 4 + 3 + 1 of their own and half of T3's 7 (3.5) = 11.5, on one
    scorecard, as the single process counts it; T3 keeps 3.5."""
    from kpi.models import CreditSplit

    sale = Fact.objects.get(date=DAY1, staff=network["T3"], metric__code="mobile_banking_signups")
    CreditSplit.objects.create(fact=sale, partner=network["T4"], share=Decimal(50))

    single = single_process()
    t4 = line_of(DAY2, "month", "mobile_banking_signups", staff=network["T4"])
    t3 = line_of(DAY2, "month", "mobile_banking_signups", staff=network["T3"])
    assert (t4.actual, t3.actual) == (Decimal("11.5000"), Decimal("3.5000"))
    fanned = fanned_out()

    assert fanned[0] == single[0]
    assert fanned[1] == single[1]
    cards = Scorecard.objects.published(on=DAY2).filter(staff=network["T4"], period="month")
    assert cards.count() == 1


def test_a_staff_member_whose_first_post_has_no_template_is_ranked_with_the_peers_of_the_post_that_has_one(network):
    """T5's first post by the catalog is a lobby manager's at B (GZ), which no template scores; their teller
    post at C (SZ) chooses the teller template, so they are ranked among C's tellers: the SZ part computes
    them, and the ranks are the single process's."""
    assert post("lobby_manager").sort_order < post("teller").sort_order
    t5 = StaffMemberFactory(code="T5")
    AssignmentFactory(staff=t5, unit=network["B"], post="lobby_manager", start=D(2026, 1, 1))
    AssignmentFactory(staff=t5, unit=network["C"], post="teller", start=D(2026, 1, 1))
    fact(DAY1, network["C"], "mobile_banking_signups", 6, staff=t5)

    single = single_process()
    # C's tellers in the month to day 1 by sign-ups: T3 7, T5 6 (T4's teller post at B comes first: B is T4's group).
    assert single[0][("", "T5", "month")][2:4] == (2, 2)
    fanned = fanned_out()

    assert fanned[0] == single[0]
    assert fanned[1] == single[1]


# -- where a part finds its holders' running totals -------------------------------------------------------


def moves(network) -> None:
    """T1 moves from A (GZ) to C (SZ) on day 2 and sells 2 there; T2 leaves A (no post on day 2)."""
    for code in ("T1", "T2"):
        network[code].assignments.update(end=DAY1)
    AssignmentFactory(staff=network["T1"], unit=network["C"], post="teller", start=DAY2)
    fact(DAY2, network["C"], "mobile_banking_signups", 2, staff=network["T1"])


def own_states(day: datetime.date):
    run_id = RollupDay.objects.get(date=day).published_run_id
    frame = rollup.states_read([run_id], own=True)
    return frame.sort_values(rollup.KEY).reset_index(drop=True)


def slots_by_head(plan: RollupFanout, run_id: int) -> dict:
    code_of = dict(OrgUnit.objects.values_list("id", "code"))
    found = {}
    for part in plan.parts.all():
        holding = fanout._SlotsHolding(part, plan.run.date, fanout._owned_staff(part, plan.run.date))
        found[code_of.get(part.unit_id)] = holding([run_id]).get(run_id)
    return found


def test_each_part_records_the_staff_whose_running_totals_it_wrote(network):
    run = fanout.rollup_day_in_process(day=DAY1, today=TODAY)

    parts = RollupFanout.objects.get(run=run).parts.order_by("pk")
    code_of = dict(StaffMember.objects.values_list("id", "code"))
    recorded = [(part.unit.code if part.unit_id else None, [code_of[i] for i in part.staff_ids]) for part in parts]
    # The part above (slot 1): N, who has no post; GZ (slot 2): T1, T2 at A and T4 (first post at B, with
    # sales at C too); SZ (slot 3): T3.
    assert recorded == [(None, ["N"]), ("GZ", ["T1", "T2", "T4"]), ("SZ", ["T3"])]
    assert fanout.part_slots(RollupFanout.objects.get(run=run).pk) == {
        part.pk: slot for slot, part in enumerate(parts, start=1)
    }


def test_a_part_of_the_next_day_reads_only_the_tables_of_the_parts_that_held_its_holders(network):
    moves(network)
    day1 = fanout.rollup_day_in_process(day=DAY1, today=TODAY)
    plan = fanout.plan(day=DAY2, today=TODAY)

    # GZ keeps its own (slot 2); SZ its own (3) and T1's, who was at A (2); the part above its own (1) and
    # T2's, who left A (2).
    assert slots_by_head(plan, day1.pk) == {None: [1, 2], "GZ": [2], "SZ": [2, 3]}


def test_a_run_whose_parts_did_not_record_their_staff_is_read_whole(network):
    day1 = fanout.rollup_day_in_process(day=DAY1, today=TODAY)
    RollupPart.objects.filter(fanout__run=day1).update(staff_ids=None)
    single = rollup.rollup_day(day=DAY1, today=TODAY)
    plan = fanout.plan(day=DAY2, today=TODAY)

    assert slots_by_head(plan, day1.pk) == {None: None, "GZ": None, "SZ": None}
    # Nor is a run of the single process (one table, slot 0).
    assert slots_by_head(plan, single.pk) == {None: None, "GZ": None, "SZ": None}


def test_staff_who_move_between_parts_or_lose_their_post_keep_their_running_totals(network):
    moves(network)
    single = single_process()
    single_states = own_states(DAY2)
    fanned = fanned_out()

    assert fanned == single
    assert own_states(DAY2).equals(single_states)
    # T1's month to day 2: 5 at A on day 1, 2 at C on day 2; ranked among C's tellers (T3 7, T1 7).
    t1 = line_of(DAY2, "month", "mobile_banking_signups", staff=network["T1"])
    assert (t1.actual, t1.rank, t1.rank_of) == (Decimal("7.0000"), 1, 2)
    # T2, without a post on day 2, still holds the 9 of day 1 in the month.
    signups = metric("mobile_banking_signups").pk
    t2 = single_states[(single_states["staff_id"] == network["T2"].pk) & (single_states["metric_id"] == signups)]
    assert t2["ptd_month"].tolist() == [9 * rollup.SCALE]


def test_a_staff_member_with_running_totals_of_last_year_only_keeps_them_when_moving(network):
    """L sold 4 at A last November and nothing this year until day 2: the GZ part of day 1 keeps L's running
    totals (this year's, nothing yet, and last year's day's, for 同比). On day 2 L is posted at C: the SZ
    part finds them in GZ's tables, and L's month is compared with last year's 4 as the single process
    does."""
    holder = StaffMemberFactory(code="L")
    AssignmentFactory(staff=holder, unit=network["A"], post="teller", start=D(2025, 1, 1), end=DAY1)
    AssignmentFactory(staff=holder, unit=network["C"], post="teller", start=DAY2)
    fact(D(2025, 11, 10), network["A"], "mobile_banking_signups", 4, staff=holder)
    fact(DAY2, network["C"], "mobile_banking_signups", 1, staff=holder)
    single = single_process()

    fanned = fanned_out()

    assert fanned == single
    line = line_of(DAY2, "month", "mobile_banking_signups", staff=holder)
    assert (line.actual, line.last_year_actual) == (Decimal("1.0000"), Decimal("4.0000"))
    gz = RollupPart.objects.get(fanout__run__date=DAY1, fanout__run__status="published", unit=network["GZ"])
    assert holder.pk in gz.staff_ids


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the running totals' run tables are PostgreSQL's")
def test_on_postgresql_a_parts_read_of_the_day_before_names_only_the_tables_of_its_slots(network):
    moves(network)
    day1 = fanout.rollup_day_in_process(day=DAY1, today=TODAY)
    sz = fanout.plan(day=DAY2, today=TODAY).parts.get(unit=network["SZ"])
    holding = fanout._SlotsHolding(sz, DAY2, fanout._owned_staff(sz, DAY2))

    queryset = rollup.states_of([day1.pk], own=True, slots=holding([day1.pk]))

    with connection.cursor() as cursor:
        sql, params = queryset.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    names = {slot: partitions.states_table_name(day1.pk, slot) for slot in (1, 2, 3)}
    assert names[2] in plan and names[3] in plan and names[1] not in plan
    # GZ's T1, T2, T4 and SZ's T3 with their outlets A, B, C and the units above them.
    staff = set(queryset.exclude(staff=None).values_list("staff__code", flat=True))
    assert staff == {"T1", "T2", "T3", "T4"}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the lines' run tables are PostgreSQL's")
def test_on_postgresql_a_day_first_rolled_up_fanned_out_has_its_partition_and_a_run_table_for_each_part(network):
    # Nothing made DAY1's partition before (no single-process rollup of it or of the week before): the
    # plan makes it, so the parts' lines do not land in the lines' default partition.
    assert DAY1 not in partitions.line_partitions()
    run = fanout.rollup_day_in_process(day=DAY1, today=TODAY)

    assert partitions.lines_by_run(DAY1)
    parts = RollupFanout.objects.get(run=run).parts.count()
    tables = sorted(name for day, _run, name in partitions.run_tables() if day == DAY1)
    assert tables == sorted(partitions.run_table_name(DAY1, run.pk, slot) for slot in range(parts + 1))
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT COUNT(*) FROM "{partitions.DEFAULT_PARTITION}"')
        assert cursor.fetchone()[0] == 0
    assert ScorecardLine.objects.filter(date=DAY1).count() == run.lines > 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the lines' run tables are PostgreSQL's")
def test_on_postgresql_each_part_writes_its_lines_into_a_table_of_its_own(network, django_capture_on_commit_callbacks):
    # The single-process rollup made DAY2's partition (by run); the fanned-out run then supersedes its run.
    single = rollup.rollup_day(day=DAY2, today=TODAY)
    with django_capture_on_commit_callbacks(execute=True):
        run = fanout.rollup_day_in_process(day=DAY2, today=TODAY)

    parts = RollupFanout.objects.get(run=run).parts.count()
    # Branches GZ and SZ, and the part of the units above them: three parts, slots 1–3; the levels above
    # (HQ's lines, written by the finish) slot 0. The superseded single-process run's table is gone.
    assert parts == 3
    tables = sorted((run_id, name) for day, run_id, name in partitions.run_tables() if day == DAY2)
    assert [name for _run, name in tables] == sorted(
        [partitions.run_table_name(DAY2, run.pk, slot) for slot in range(parts + 1)]
    )
    assert single.pk not in {run_id for run_id, _name in tables}
    assert ScorecardLine.objects.filter(date=DAY2).count() == run.lines > 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="fillfactor and HOT updates are PostgreSQL's")
def test_on_postgresql_the_network_ranks_update_every_scored_card_in_place_without_touching_an_index(
    network, monkeypatch
):
    # kpi_scorecard keeps half of each page free (migration 0031): the UPDATE that ranks a fanned-out run's
    # cards across the network finds room for each new version on its page, so every update is HOT.
    def updates() -> tuple[int, int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = 'kpi_scorecard'"
            )
            return cursor.fetchone()

    seen = []
    network_ranks = fanout.network_ranks

    def counted(run_id: int) -> int:
        before = updates()
        ranked = network_ranks(run_id)
        after = updates()
        seen.append((ranked, after[0] - before[0], after[1] - before[1]))
        return ranked

    monkeypatch.setattr(fanout, "network_ranks", counted)
    fanned_out()

    # Two fanned-out days; each ranks its scored cards, every update HOT.
    assert len(seen) == 2
    for day, (ranked, updated, hot) in zip((DAY1, DAY2), seen, strict=True):
        run = RollupDay.objects.get(date=day).published_run
        scored = Scorecard.objects.filter(run=run, template__isnull=False, total_score__isnull=False).count()
        assert (ranked, updated, hot) == (scored, scored, scored) and scored > 0
