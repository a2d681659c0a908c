"""The rollup: facts in, scorecards out (DOMAIN.md §3–4).

For a business day D the rollup computes, for every unit and every staff member and each metric that
has facts or a target, the value of the day, week, month, quarter and year to date, and against the
target of that period: attainment, time progress, pace-adjusted attainment, status, gap to pace and
what each remaining day must bring.

How it stays cheap and safe:

1. Incremental. The running totals of every base metric for every fact holder (an outlet, or a staff
   member at an outlet) are kept per day in RollupState. Day D is computed from D−1's state and D's
   facts alone, so its cost does not grow with how far into the year D is. Without a usable D−1 state
   (the first rollup, a gap, a pruned state) the state is rebuilt by folding the days from the start of
   D's year (or week, if it began last year) with the same step function.
2. Set-based. Facts, states and targets are read in a handful of queries and computed with pandas;
   units above outlets take the sums of their subtree's outlets (a ratio is recomputed from the summed
   numerator and denominator); results are written with COPY on PostgreSQL.
3. Published whole or not at all. Results are written under a new RollupRun inside one transaction
   that also switches RollupDay.published_run; if anything fails the transaction rolls back and the
   previous results stay published. The superseded run's rows are then deleted.
4. Never interleaved. A named lock (lib.locks) keeps two rollups apart, whoever started them.
5. Late facts. A fact that changes day F marks every published day from F on stale
   (days_mark_stale); rollup_pending recomputes them in date order. A mark also moves the day's
   stale_version; a rollup notes the version before it reads anything and clears the mark only if the
   version has not moved when it publishes, so a fact that arrives while its day computes is never lost:
   the day stays stale and the next rollup takes it. Marks and that first note take one lock
   (lib.locks.transaction_lock), so a mark is either in before the rollup reads or counted after.
6. Closed months are frozen (kpi.services.closing): a rollup of one of their days records a skipped
   run and leaves the published one; pending_days passes them over (a late fact still marks them
   stale, and they are recomputed once the month is reopened).
7. Announced, not called. Once a day's publication commits, kpi.signals.day_published tells the apps
   built on kpi (alerts queues the evaluation of its rules); the rollup imports none of them.
8. Bounded. The days a rollup may compute run from settings.ROLLUP_FIRST_DATE to yesterday: a fact
   dated 9999-12-31 does not make the pending rollup run on towards year 9999, and one dated
   0001-01-01 neither marks every day stale nor seeds a balance (facts outside are not read).
9. Truthful runs. A run's heartbeat (RollupRun.heartbeat_at) moves with its progress and while it
   waits for the lock; a failure is recorded on a fresh connection (lib.jobs); kpi.services.runs reaps
   runs whose heartbeat stopped and lets a redelivered task take them over.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import BigIntegerField, F, Max, Min, Q, QuerySet, Value
from django.db.models.functions import Cast, Coalesce, Round
from django.utils import timezone

from branches.models import OrgUnit, UnitKind
from kpi import formulas, partitions
from kpi.models import (
    Aggregation,
    CalendarDay,
    Direction,
    Fact,
    Metric,
    MetricUnit,
    MonthClose,
    RollupDay,
    RollupRun,
    RollupState,
    Scorecard,
    ScorecardLine,
    Status,
    Target,
    TimeBasis,
)
from kpi.retention import keeps_scorecards, passed_by_discard
from kpi.services import scoring
from kpi.services.credit import split_exactly
from kpi.signals import day_published
from lib import bulk
from lib.jobs import heartbeat, record_on_fresh_connection
from lib.locks import named_lock, transaction_lock
from lib.periods import PERIOD_KINDS, BusinessCalendar, Period, PeriodKind, days_between, period_of, period_timing

if TYPE_CHECKING:  # mirrors builds on this module (imported where it is used)
    from kpi.services.mirrors import Mirrors

logger = logging.getLogger(__name__)

# The comparisons' columns of a line (kpi.services.mirrors.COMPARISON_COLUMNS, written when present).
COMPARISON_COLUMNS = ["previous_actual", "last_year_actual", "year_start_actual", "year_to_date_actual"]
# Amounts in the state are integers of ten-thousandths: exact for the 4 decimal places facts carry.
SCALE = 10_000
LONG_KINDS = (PeriodKind.WEEK, PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR)
KEY = ["unit_id", "staff_id", "metric_id"]
STATE_COLUMNS = [
    "value",
    *(f"ptd_{kind}" for kind in LONG_KINDS),
    "open_day",
    *(f"open_{kind}" for kind in LONG_KINDS),
]
LOCK_NAME = "kpi-rollup"
# Taken by every stale mark (in the marking transaction) and by a rollup while it notes a day's version.
STALE_LOCK = "kpi-rollup-stale-marks"
# A run in one of these states is over: a redelivered task leaves it alone.
FINISHED = (RollupRun.Status.PUBLISHED, RollupRun.Status.SKIPPED, RollupRun.Status.SUPERSEDED)

Progress = Callable[[int, str], None]


def _no_progress(percent: int, message: str) -> None:
    return None


# -- the fan-out's seam (kpi.services.fanout) -------------------------------------------------------
# A fanned-out day computes each subtree's fact holders in a task of its own: inside `holders_in(scope)`
# every read of facts, running totals and the day's targets (Fact, RollupState, Target) takes only the
# holders `scope` selects (a Q on unit_id / staff_id, which the three tables have). Outside it (the
# single-process rollup) nothing changes.
#
# A shared sale (CreditSplit) may cross parts: its partner works at the seller's outlet, but their first
# post, and so their part, may be elsewhere. `staff` (the part's own staff) settles it: the facts read are
# also the sales of others shared with them, of which only the partner's part is kept; and of the part's own
# sales shared with someone of another part, only the seller's. Each part of a sale is counted once, in
# its holder's part.
#
# `slots` tells where the running totals of those holders are: given runs, the slots of those runs' tables
# that can hold them (a run not named: all of its tables). A fanned-out run's running totals are a table
# per part (kpi.partitions): a part of the next day reads only the few that held its holders.
SlotsOf = Callable[[list[int]], dict[int, list[int]]]


@dataclass(frozen=True)
class _Holders:
    scope: Q
    staff: frozenset[int]
    slots: SlotsOf | None = None


_HOLDER_SCOPE: ContextVar[_Holders | None] = ContextVar("rollup_holder_scope", default=None)


@contextmanager
def holders_in(scope: Q, *, staff: Iterable[int] = (), slots: SlotsOf | None = None) -> Iterator[None]:
    token = _HOLDER_SCOPE.set(_Holders(scope, frozenset(staff), slots))
    try:
        yield
    finally:
        _HOLDER_SCOPE.reset(token)


def scoped(queryset):
    """`queryset` (of Fact or RollupState) narrowed to the holders of the current scope (holders_in)."""
    holders = _HOLDER_SCOPE.get()
    return queryset if holders is None else queryset.filter(holders.scope)


def rollup_first_date() -> datetime.date:
    """The first business day the rollup computes (settings.ROLLUP_FIRST_DATE); facts before it are not read."""
    return datetime.date.fromisoformat(str(settings.ROLLUP_FIRST_DATE))


def _recorded(run: RollupRun, progress: Progress) -> Progress:
    """`progress`, also written to the run with its heartbeat (one UPDATE when the percentage moves, and
    a heartbeat now and then in between) so that a poller of GET /api/v1/rollups/{id}/ or the admin sees
    how far it is, and the reaper sees it is alive."""
    last = [-1]
    beat = heartbeat(RollupRun.objects.filter(pk=run.pk))

    def report(percent: int, message: str) -> None:
        if percent != last[0]:
            last[0] = percent
            beat(progress=percent, message=message[:300])
        else:
            beat()
        progress(percent, message)

    return report


# -- the catalog, as arrays ----------------------------------------------------------------------


@dataclass(frozen=True)
class Catalog:
    metrics: pd.DataFrame  # indexed by metric id
    # The bank's holidays and make-up working days, for the metrics counted in business days: read once
    # a run, whole (a few dozen rows a year).
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)

    @classmethod
    def load(cls) -> Catalog:
        rows = list(
            Metric.objects.filter(is_active=True).values(
                "id",
                "code",
                "aggregation",
                "unit",
                "direction",
                "level",
                "base_id",
                "numerator_id",
                "denominator_id",
                "time_basis",
            )
        )
        frame = pd.DataFrame(rows).set_index("id") if rows else pd.DataFrame()
        return cls(frame, calendar=CalendarDay.objects.business_calendar())

    def ids(self, *kinds: str) -> list[int]:
        if self.metrics.empty:
            return []
        return self.metrics.index[self.metrics["aggregation"].isin(kinds)].tolist()


# -- the state step ------------------------------------------------------------------------------


def empty_state() -> pd.DataFrame:
    frame = pd.DataFrame({column: pd.Series(dtype="int64") for column in KEY})
    for column in STATE_COLUMNS:
        frame[column] = pd.Series(dtype="Int64")
    return frame


def step_state(state: pd.DataFrame, facts: pd.DataFrame, day: datetime.date, catalog: Catalog) -> pd.DataFrame:
    """The state as of `day` from the state as of the day before and the facts of `day`.

    `facts` has KEY columns and `fact` (Int64, ten-thousandths). Sum metrics: the day's value and the
    period-to-date totals, reset on each period's first day. Last metrics: the value carried forward,
    the running sum of daily values (for averages) and the value before each period began (for net
    changes).
    """
    starts = {kind: period_of(kind, day).start == day for kind in LONG_KINDS}
    merged = state.merge(facts[[*KEY, "fact"]], on=KEY, how="outer") if len(facts) else state.assign(fact=pd.NA)
    merged["fact"] = merged["fact"].astype("Int64")
    sum_ids = set(catalog.ids(Aggregation.SUM))
    is_sum = merged["metric_id"].isin(sum_ids).to_numpy()
    previous = merged["value"].astype("Int64")

    value = merged["fact"].fillna(0).where(is_sum, merged["fact"].fillna(previous))
    daily = value.fillna(0)
    out = merged[KEY].copy()
    out["value"] = value.astype("Int64")
    for kind in LONG_KINDS:
        before = 0 if starts[kind] else merged[f"ptd_{kind}"].astype("Int64").fillna(0)
        out[f"ptd_{kind}"] = (daily + before).astype("Int64")
    no_value = pd.Series(pd.NA, index=merged.index, dtype="Int64")
    out["open_day"] = no_value.where(is_sum, previous)
    for kind in LONG_KINDS:
        opening = previous if starts[kind] else merged[f"open_{kind}"].astype("Int64")
        out[f"open_{kind}"] = no_value.where(is_sum, opening)
    return out


# -- reading -------------------------------------------------------------------------------------


def _facts_frame(queryset) -> pd.DataFrame:
    """The facts of `queryset` (narrowed to the current scope's holders) as running-total steps take them:
    date, holder, metric and `fact`, the value as an exact integer of ten-thousandths, each shared sale
    split between its seller and the partner (_credit_shared).

    Read through bulk.read_frame (one COPY on PostgreSQL), the value scaled in the query (a fact has
    four decimal places, so ROUND(value × 10,000) is exact): a Python tuple and a Decimal a fact took
    2.7 s of a province day's 618,000 facts. The credit split (分润) comes along in the same query (a LEFT
    JOIN on a small table), its share as text for the exact split."""
    frame = _facts_read(scoped(queryset))
    own = len(frame)
    holders = _HOLDER_SCOPE.get()
    if holders is not None and holders.staff:
        # Sales of other parts' staff shared with this part's (the partner's part only is kept below).
        shared = _facts_read(queryset.filter(credit_split__partner_id__in=holders.staff).exclude(holders.scope))
        frame = pd.concat([frame, shared], ignore_index=True)
    frame["own"] = np.arange(len(frame)) < own
    frame["staff_id"] = frame["staff_id"].fillna(0).astype("int64")
    frame["unit_id"] = frame["unit_id"].astype("int64")
    frame["metric_id"] = frame["metric_id"].astype("int64")
    frame["fact"] = frame["fact"].astype("Int64")
    # The few distinct days as dates (the text of each, or the date itself where the database gave one).
    days = {value: datetime.date.fromisoformat(str(value)) for value in frame["date"].unique()}
    frame["date"] = frame["date"].map(days).astype(object)
    return _credit_shared(frame)


_FACT_COLUMNS = ["date", "unit_id", "staff_id", "metric_id", "fact", "partner_id", "share"]


def _facts_read(queryset) -> pd.DataFrame:
    scaled = Cast(Round(F("value") * SCALE), BigIntegerField())
    read = ("date", "unit_id", "staff_id", "metric_id", "scaled", "credit_split__partner_id", "credit_split__share")
    try:
        sql, params = queryset.annotate(scaled=scaled).values_list(*read).query.sql_with_params()
    except EmptyResultSet:  # Fact.objects.none()
        return pd.DataFrame({column: pd.Series(dtype=object) for column in _FACT_COLUMNS})
    return bulk.read_frame(sql, params, _FACT_COLUMNS, dtype={"share": object, "date": object})


def _credit_shared(frame: pd.DataFrame) -> pd.DataFrame:
    """A shared staff fact (CreditSplit) counts share % for the partner at the same unit and the rest
    for its own staff member, in exact ten-thousandths by split_exactly: the partner's part is rounded
    half away from zero (so a reversed sale cancels the sale), the owner keeps the remainder, and the
    two add up to the fact. A partner with a fact of their own on the same day, unit and metric gets one row."""
    shared = frame["partner_id"].notna().to_numpy()
    plain = frame.drop(columns=["partner_id", "share", "own"])
    if not shared.any():
        return plain
    # The one rounding rule of a split (kpi.services.credit.split_exactly), on the fact's exact value.
    parts = [
        int(split_exactly(Decimal(int(fact)).scaleb(-4), Decimal(str(share)))[1] * SCALE)
        for fact, share in zip(frame.loc[shared, "fact"], frame.loc[shared, "share"], strict=True)
    ]
    partner_part = pd.array(parts, dtype="Int64")
    partners = plain[shared].assign(staff_id=frame.loc[shared, "partner_id"].astype("int64").to_numpy())
    partners["fact"] = partner_part
    plain.loc[shared, "fact"] = plain.loc[shared, "fact"].to_numpy() - partner_part
    holders = _HOLDER_SCOPE.get()
    if holders is not None:
        # A fanned-out part (holders_in): the seller's part of its own facts, the partner's part of the
        # sales shared with its staff, each once across the parts.
        plain = plain[frame["own"].to_numpy()]
        partners = partners[partners["staff_id"].isin(holders.staff).to_numpy()]
    both = pd.concat([plain, partners], ignore_index=True)
    return both.groupby(["date", *KEY], as_index=False, sort=False)["fact"].sum()


def states_read(run_ids: list[int], *, own: bool, extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """The running totals of these runs: their own (as_of NULL) or the mirror ones they kept, with the
    `extra` columns (run_id, as_of) first, narrowed to the holders of the current scope (holders_in: a
    fanned-out part's). Read through bulk.read_frame (one COPY … TO STDOUT on PostgreSQL): the ORM's
    tuples took seconds for the million rows of a province day's states. as_of comes back as text
    (YYYY-MM-DD)."""
    columns = [*extra, *KEY, *STATE_COLUMNS]
    if not run_ids:
        return empty_state()
    holders = _HOLDER_SCOPE.get()
    slots = holders.slots(run_ids) if holders is not None and holders.slots and partitions.states_by_run() else None
    queryset = scoped(states_of(run_ids, own=own, slots=slots)).values_list(*columns)
    sql, params = queryset.query.sql_with_params()
    dtype = dict.fromkeys(("staff_id", *STATE_COLUMNS), "Int64")
    dtype |= {"unit_id": "int64", "metric_id": "int64", "run_id": "int64", "as_of": str}
    frame = bulk.read_frame(sql, list(params), columns, dtype={column: dtype[column] for column in columns})
    if frame.empty:
        state = empty_state()
        for column in extra:
            state.insert(0, column, pd.Series(dtype="int64" if column == "run_id" else object))
        return state
    frame["staff_id"] = frame["staff_id"].fillna(0).astype("int64")
    for column in STATE_COLUMNS:
        frame[column] = frame[column].astype("Int64")
    return frame


def states_of(run_ids: Iterable[int], *, own: bool, slots: Mapping[int, Iterable[int]] | None = None) -> QuerySet:
    """The running totals of these runs, their own (as_of NULL) or their mirror ones: on PostgreSQL only
    those runs' tables are read (kpi.partitions.states_bounds), for a run in `slots` only those slots'."""
    run_ids = list(run_ids)
    bounds = partitions.states_bounds(run_ids, own=own, slots=slots)
    return RollupState.objects.filter(bounds, run_id__in=run_ids, as_of__isnull=own)


def _state_of_run(run_id: int) -> pd.DataFrame:
    return states_read([run_id], own=True)


def _state_from_scratch(day: datetime.date, catalog: Catalog, progress: Progress) -> pd.DataFrame:
    """Fold every day from the earliest start of D's periods, from the stocks carried into it."""
    return states_from_scratch([day], catalog, progress)[day]


def states_from_scratch(
    days: Iterable[datetime.date], catalog: Catalog, progress: Progress = _no_progress
) -> dict[datetime.date, pd.DataFrame]:
    """The state as of each of `days`, in one fold from the earliest start of their periods (the state of
    a day counts from the start of its year, or of its week when that began the year before), from the
    stocks carried into it. The facts are read a month at a time, so a fold of two years (the
    comparisons' day of last year, kpi.services.mirrors) does not hold two years of facts at once."""
    wanted_days = set(days)
    last = max(wanted_days)
    first = min(
        min(period_of(PeriodKind.YEAR, day).start, period_of(PeriodKind.WEEK, day).start) for day in wanted_days
    )
    last_ids = catalog.ids(Aggregation.LAST)
    carried = (
        scoped(Fact.objects.filter(metric_id__in=last_ids, date__lt=first, date__gte=rollup_first_date()))
        .values("unit_id", "staff_id", "metric_id")
        .annotate(latest=Max("date"))
    )
    latest = {(row["unit_id"], row["staff_id"] or 0, row["metric_id"]): row["latest"] for row in carried}
    opening = _facts_frame(Fact.objects.filter(metric_id__in=last_ids, date__in={*latest.values()}, date__lt=first))
    if len(opening):
        keep = [
            latest.get(key) == date
            for key, date in zip(opening[KEY].itertuples(index=False, name=None), opening["date"], strict=True)
        ]
        opening = opening[keep]
    state = empty_state()
    if len(opening):
        seeded = opening[KEY].copy()
        seeded["value"] = opening["fact"].astype("Int64")
        state = pd.concat([state, seeded], ignore_index=True)
        for column in STATE_COLUMNS:
            state[column] = state[column].astype("Int64")
    days_folded = days_between(first, last)
    earliest = Fact.objects.filter(date__gte=first, date__lte=last).aggregate(earliest=Min("date"))["earliest"]
    states: dict[datetime.date, pd.DataFrame] = {}
    by_date: dict[datetime.date, pd.DataFrame] = {}
    no_facts = _facts_frame(Fact.objects.none())
    for index, current in enumerate(days_folded):
        if current == first or current.day == 1:
            # The facts of the month (or of the first days of the fold) up to the last day folded; none
            # to read before the first one.
            through = min(last, period_of(PeriodKind.MONTH, current).end)
            by_date = {}
            if earliest is not None and earliest <= through:
                window = _facts_frame(Fact.objects.filter(date__gte=current, date__lte=through))
                by_date = dict(tuple(window.groupby("date"))) if len(window) else {}
        facts = by_date.get(current, no_facts)
        if state.empty and facts.empty:
            # Nothing exists yet: the step would return the same (empty) state.
            if current in wanted_days:
                states[current] = state
            continue
        state = step_state(state, facts, current, catalog)
        if current in wanted_days:
            states[current] = state
        if index % 30 == 0:
            progress(5 + int(25 * index / len(days_folded)), f"rebuilding running totals: {current}")
    return states


# -- from state to scorecard values ----------------------------------------------------------------


def _holder_values(state: pd.DataFrame, day: datetime.date, catalog: Catalog) -> pd.DataFrame:
    """Per fact holder and metric (base, average and change), the value for each period kind, in the
    metric's unit (floats). Ratios come later, after aggregation."""
    metrics = catalog.metrics
    elapsed = {kind: period_of(kind, day).elapsed_days(day) for kind in LONG_KINDS}
    frames = []
    base = state.copy()
    kind_of = base["metric_id"].map(metrics["aggregation"])
    as_float = {column: base[column].astype("Float64").astype(float) / SCALE for column in STATE_COLUMNS}

    own = base[KEY].copy()
    is_sum = (kind_of == Aggregation.SUM).to_numpy()
    own[PeriodKind.DAY.value] = as_float["value"]
    for kind in LONG_KINDS:
        own[kind.value] = np.where(is_sum, as_float[f"ptd_{kind}"], as_float["value"])
    frames.append(own)

    for derived_kind in (Aggregation.AVERAGE, Aggregation.CHANGE):
        derived = metrics[metrics["aggregation"] == derived_kind]
        for derived_id, base_id in derived["base_id"].dropna().astype("int64").items():
            rows = (base["metric_id"] == base_id).to_numpy()
            if not rows.any():
                continue
            part = base.loc[rows, KEY].copy()
            part["metric_id"] = derived_id
            value = as_float["value"][rows]
            if derived_kind == Aggregation.AVERAGE:
                part[PeriodKind.DAY.value] = value
                for kind in LONG_KINDS:
                    part[kind.value] = as_float[f"ptd_{kind}"][rows] / elapsed[kind]
            else:
                # Without a value on the day before the period began there is no net change to
                # report (data that starts mid-period must not pass its whole balance off as growth).
                part[PeriodKind.DAY.value] = value - as_float["open_day"][rows]
                for kind in LONG_KINDS:
                    part[kind.value] = value - as_float[f"open_{kind}"][rows]
            frames.append(part)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*KEY])


def _ancestors() -> dict[int, list[int]]:
    """Outlet id → the ids of the outlet and every unit above it (read off the materialised paths)."""
    units = list(OrgUnit.objects.values_list("id", "code", "path", "kind"))
    id_of = {code: unit_id for unit_id, code, _path, _kind in units}
    return {
        unit_id: [id_of[code] for code in path.split("/") if code in id_of]
        for unit_id, _code, path, kind in units
        if kind == UnitKind.OUTLET
    }


def entity_values(
    holders: pd.DataFrame,
    catalog: Catalog,
    *,
    by: tuple[str, ...] = (),
    ancestors: dict[int, list[int]] | None = None,
) -> pd.DataFrame:
    """Values per entity (a unit, or a staff member), metric and period kind, ratios included.

    Units take the sums of the outlets of their subtree (outlets their own values); a staff member the
    sums of their facts at every unit. Sums, stocks, daily averages and net changes all add up this
    way; ratios are recomputed from the added-up numerator and denominator. `by`: columns of `holders`
    that keep apart what must not add up (the comparisons aggregate several days' values at once,
    kpi.services.mirrors). `ancestors`: holder unit → the units its values count for (default: each
    outlet and every unit above it; a fanned-out day's upper levels pass their subtrees' totals instead).
    """
    kinds = [kind.value for kind in PERIOD_KINDS]
    metrics = catalog.metrics
    outlet_rows = holders[holders["staff_id"] == 0]
    ancestors = _ancestors() if ancestors is None else ancestors
    exploded = _counted_for(outlet_rows, ancestors)
    units = exploded.groupby(["entity", *by, "metric_id"], sort=False)[kinds].sum(min_count=1).reset_index()
    units = units.rename(columns={"entity": "unit_id"}).assign(staff_id=0)
    staff_rows = holders[holders["staff_id"] != 0]
    staff = staff_rows.groupby(["staff_id", *by, "metric_id"], sort=False)[kinds].sum(min_count=1).reset_index()
    staff = staff.assign(unit_id=0)
    values = pd.concat([units, staff], ignore_index=True)
    values["unit_id"] = values["unit_id"].astype("int64")
    values["staff_id"] = values["staff_id"].astype("int64")

    ratios = metrics[metrics["aggregation"] == Aggregation.RATIO]
    parts = []
    entity = ["unit_id", "staff_id", *by]
    # Each metric's rows (their positions, in order) found once, and each row's entity as a number: a
    # ratio pairs its denominator's rows with its numerator's by an array indexed by that number, not by
    # an index of the entities' keys built twice a ratio (eleven ratios, and a day's comparisons
    # aggregate several earlier days' values: a third of the comparisons' time).
    of_metric = values.groupby("metric_id", sort=False).indices
    entity_of = (
        values.groupby(entity, sort=False, dropna=False).ngroup().to_numpy()
        if len(values)
        else np.empty(0, dtype=np.int64)
    )
    figures = values[kinds].to_numpy(dtype=float, na_value=np.nan)
    row_of_entity = np.full(len(values), -1, dtype=np.int64)
    none = np.empty(0, dtype=np.intp)
    for ratio_id, row in ratios.iterrows():
        if pd.isna(row["numerator_id"]) or pd.isna(row["denominator_id"]):
            continue
        numerator = of_metric.get(int(row["numerator_id"]), none)
        denominator = of_metric.get(int(row["denominator_id"]), none)
        row_of_entity[entity_of[numerator]] = numerator
        paired = row_of_entity[entity_of[denominator]]
        row_of_entity[entity_of[numerator]] = -1
        # The entities with both, in the denominator's order.
        both = paired >= 0
        if not both.any():
            continue
        ratio_values = formulas.ratio(
            figures[paired[both]], figures[denominator[both]], percent=row["unit"] == MetricUnit.PERCENT
        )
        part = pd.DataFrame({column: values[column].to_numpy()[denominator[both]] for column in entity})
        part[kinds] = ratio_values
        part["metric_id"] = ratio_id
        parts.append(part)
    if parts:
        values = pd.concat([values, *parts], ignore_index=True)

    # Each entity keeps the metrics of its level: units the unit metrics, staff the staff metrics.
    level = values["metric_id"].map(metrics["level"])
    is_staff = values["staff_id"] != 0
    keep = np.where(is_staff, level.isin(["staff", "both"]), level.isin(["outlet", "both"]))
    return values[keep].reset_index(drop=True)


def _counted_for(rows: pd.DataFrame, ancestors: dict[int, list[int]]) -> pd.DataFrame:
    """Each row once for every unit its unit counts for (`ancestors`, in their order), in column
    `entity`; a row of a unit that counts for none is left out. What `.map(ancestors).explode()` and
    dropping the empty ones gave, by positions: the map made a Python list per row."""
    units, codes = np.unique(rows["unit_id"].to_numpy(dtype=np.int64), return_inverse=True)
    lists = [ancestors.get(int(unit)) or [] for unit in units]
    lengths = np.array([len(entities) for entities in lists], dtype=np.int64)
    counts = lengths[codes]
    flat = np.fromiter((entity for entities in lists for entity in entities), dtype=np.int64)
    starts = (np.cumsum(lengths) - lengths)[codes]
    positions = np.repeat(np.arange(len(rows)), counts)
    # Within each row's block, the k-th of its unit's units.
    offsets = np.arange(len(positions)) - np.repeat(np.cumsum(counts) - counts, counts)
    exploded = rows.iloc[positions]
    return exploded.assign(entity=flat[np.repeat(starts, counts) + offsets])


def _targets(day: datetime.date) -> pd.DataFrame:
    periods = {kind: period_of(kind, day) for kind in PERIOD_KINDS}
    condition = Q()
    for kind, period in periods.items():
        condition |= Q(period_kind=kind.value, period_start=period.start)
    rows = list(
        scoped(Target.objects.filter(condition)).values_list("unit_id", "staff_id", "metric_id", "period_kind", "value")
    )
    frame = pd.DataFrame(rows, columns=["unit_id", "staff_id", "metric_id", "period", "target"])
    frame["unit_id"] = frame["unit_id"].fillna(0).astype("int64")
    frame["staff_id"] = frame["staff_id"].fillna(0).astype("int64")
    frame["metric_id"] = frame["metric_id"].astype("int64")
    frame["target"] = frame["target"].astype(float)
    return frame


def targets_from_children(targets: pd.DataFrame, catalog: Catalog) -> pd.DataFrame:
    """The day's targets (_targets), with a target for every unit above outlets that has none of its own
    for a cumulative metric (sum, change) and period kind: the sum of its children's targets, marked
    `target_from_children` (its own targets are marked False).

    1. Bottom-up over the tree's depths, deepest first: at each depth, the targets of its units (their
       own, or the sums they have just inherited) are added up by parent; a parent with a target of its
       own keeps it, one without takes the sum.
    2. So every child counts exactly once, with its own target when it has one and with what it
       inherited otherwise: a sub-branch that has a target of its own stands for its outlets (their
       targets are not added again), and a branch whose sub-branches have none gets the sum of the
       outlets below them, level by level. A child with no target at all adds nothing: the sum is of
       the targets that were set.
    3. Only the cumulative kinds: their targets are amounts that add up, like their actuals. A level
       (a balance to hold, a rate, a daily average) is a unit's own policy and is never summed.

    One query (the tree); the rest in pandas, whatever the number of units.
    """
    targets = targets.assign(target_from_children=False)
    cumulative = catalog.ids(Aggregation.SUM, Aggregation.CHANGE)
    own = targets[(targets["staff_id"] == 0) & targets["metric_id"].isin(cumulative)]
    if own.empty:
        return targets
    tree = pd.DataFrame(
        list(OrgUnit.objects.exclude(parent=None).values_list("id", "parent_id", "depth")),
        columns=["unit_id", "parent_id", "depth"],
    )
    key = ["unit_id", "metric_id", "period"]
    known = own[[*key, "target"]]
    inherited = []
    for depth in sorted(tree["depth"].unique(), reverse=True):
        level = tree[tree["depth"] == depth]
        children = known.merge(level[["unit_id", "parent_id"]], on="unit_id")
        if children.empty:
            continue
        sums = children.groupby(["parent_id", "metric_id", "period"], as_index=False, sort=False)["target"].sum()
        sums = sums.rename(columns={"parent_id": "unit_id"})
        # A parent with a target of its own keeps it.
        sums = sums.merge(known[key], on=key, how="left", indicator=True)
        sums = sums[sums["_merge"] == "left_only"].drop(columns="_merge")
        inherited.append(sums)
        known = pd.concat([known, sums], ignore_index=True)
    if not inherited:
        return targets
    added = pd.concat(inherited, ignore_index=True).assign(staff_id=0, target_from_children=True)
    added["unit_id"] = added["unit_id"].astype("int64")
    return pd.concat([targets, added[targets.columns]], ignore_index=True)


def scorecard_lines(values: pd.DataFrame, targets: pd.DataFrame, day: datetime.date, catalog: Catalog) -> pd.DataFrame:
    """One row per entity, metric and period kind, with every figure of DOMAIN.md §4.

    Made from arrays: a province day's 4 M lines were an outer merge of the melted values with the targets
    on four keys (one of them text), a map of each line's metric three times and an index of (period kind,
    time basis) text pairs, about 4 s a day; the metric's figures are now taken by its row in the catalog,
    the timing by a small table's position, and the categories are made from their codes."""
    kinds = [kind.value for kind in PERIOD_KINDS]
    columns = _values_and_targets(values, targets, kinds)
    metrics = catalog.metrics
    # Each line's metric as its row in the catalog; -1 (a metric the catalog does not know: an inactive
    # metric's target is ignored) takes the last element of each per-metric array, a sentinel.
    metric_at = metrics.index.get_indexer(columns["metric_id"]) if len(metrics) else np.full(len(columns["actual"]), -1)

    def of_metric(column: str, value) -> np.ndarray:
        per_metric = (metrics[column] == value).to_numpy(dtype=bool) if len(metrics) else np.empty(0, dtype=bool)
        return np.append(per_metric, False)[metric_at]

    actual = columns["actual"]
    target = columns["target"]
    # A target with no facts at all: nothing sold yet for a flow; unknown for a level.
    actual[np.isnan(actual) & of_metric("aggregation", Aggregation.SUM)] = 0.0
    keep = (metric_at >= 0) & ~(np.isnan(actual) & np.isnan(target))
    if not keep.all():
        columns = {name: column[keep] for name, column in columns.items()}
        metric_at = metric_at[keep]
        actual, target = columns["actual"], columns["target"]
    cumulative = of_metric("aggregation", Aggregation.SUM) | of_metric("aggregation", Aggregation.CHANGE)
    lower = of_metric("direction", Direction.LOWER)

    periods = {kind: period_of(PeriodKind(kind), day) for kind in kinds}
    kind_codes = columns["period"]
    progress, remaining, time_basis = _timing(
        kind_codes, of_metric("time_basis", TimeBasis.BUSINESS), periods, day, catalog
    )
    pace = formulas.pace_attainment(actual, target, progress, cumulative=cumulative, lower_is_better=lower)
    # Each status's position among the category's (kpi.models.Status), -1 for none.
    status_codes = np.array([list(Status.values).index(label) for label in formulas.STATUSES] + [-1], dtype=np.int8)
    lines = pd.DataFrame(
        {
            "unit_id": columns["unit_id"],
            "staff_id": columns["staff_id"],
            "metric_id": columns["metric_id"],
            "period": pd.Categorical.from_codes(kind_codes, categories=LINE_CATEGORIES["period"]),
            "actual": actual,
            "target": target,
            "target_from_children": columns["target_from_children"],
            "time_basis": time_basis,
            "time_progress": progress,
            "attainment": formulas.attainment(actual, target, lower_is_better=lower),
            "pace_attainment": pace,
            "status": pd.Categorical.from_codes(
                status_codes[formulas.status_index(pace)], categories=LINE_CATEGORIES["status"]
            ),
            "gap_to_pace": formulas.gap_to_pace(actual, target, progress, cumulative=cumulative),
            "required_per_day": formulas.required_per_day(actual, target, remaining, cumulative=cumulative),
        }
    )
    # The period's start and end taken from the period kind's code (five dates, categories too), not a date
    # a line made by a map and then hashed again into a category: 0.1 s of a tenth of a province's day.
    for column, bound in (("period_start", "start"), ("period_end", "end")):
        dates = pd.Categorical([getattr(periods[kind], bound) for kind in kinds])
        lines[column] = dates.take(kind_codes, allow_fill=True)
    return lines


def _values_and_targets(values: pd.DataFrame, targets: pd.DataFrame, kinds: list[str]) -> dict[str, np.ndarray]:
    """Every entity, metric and period kind with a value or a target, as arrays (the columns unit_id,
    staff_id, metric_id, period as the kind's position in `kinds`, actual, target, target_from_children):
    the values' rows a period kind at a time, each target put on its row through an index of the values'
    entities, then the targets that no value has. The lines an outer merge of the melted values with the
    targets gave, in another order."""
    entity = ["unit_id", "staff_id", "metric_id"]
    count = len(values)
    known_kind = pd.Index(kinds).get_indexer(targets["period"])
    # A target of another period kind than the day's five has no line.
    targets = targets[known_kind >= 0]
    target_kind = known_kind[known_kind >= 0]
    target_entities = [targets[column].to_numpy(dtype=np.int64) for column in entity]
    if count and len(targets):
        entities = pd.MultiIndex.from_arrays([values[column].to_numpy(dtype=np.int64) for column in entity])
        row = entities.get_indexer(pd.MultiIndex.from_arrays(target_entities))
    else:
        row = np.full(len(targets), -1)
    found = row >= 0
    given = targets["target"].to_numpy(dtype=float)
    inherited = (
        targets["target_from_children"].eq(True).to_numpy()
        if "target_from_children" in targets
        else np.zeros(len(targets), dtype=bool)
    )
    # Kind by kind, as a melt orders them.
    at = target_kind[found] * count + row[found]
    target = np.full(count * len(kinds), np.nan)
    target[at] = given[found]
    from_children = np.zeros(count * len(kinds), dtype=bool)
    from_children[at] = inherited[found]
    alone = ~found
    return {
        **{
            column: np.concatenate([np.tile(values[column].to_numpy(dtype=np.int64), len(kinds)), keys[alone]])
            for column, keys in zip(entity, target_entities, strict=True)
        },
        "period": np.concatenate(
            [np.repeat(np.arange(len(kinds), dtype=np.int8), count), target_kind[alone].astype(np.int8)]
        ),
        "actual": np.concatenate(
            [values[kinds].to_numpy(dtype=float, na_value=np.nan).T.ravel(), np.full(alone.sum(), np.nan)]
        ),
        "target": np.concatenate([target, given[alone]]),
        "target_from_children": np.concatenate([from_children, inherited[alone]]),
    }


# The lines' columns of a few distinct values, held as categories (a byte a line and the values once) instead
# of a Python object a line: of a tenth of a province's 400,000 lines (183 MB) these five held 92 MB (and
# the veto reason, kpi.services.scoring, 23 MB), and a province day's 4 M lines are the rollup's peak of
# memory. The values, and so the COPY text, are the same.
# `status` has every status as a category, so that scoring may set any of them (kpi.services.scoring).
LINE_CATEGORIES = {
    "period": [kind.value for kind in PERIOD_KINDS],
    "time_basis": list(TimeBasis.values),
    "status": list(Status.values),
    "period_start": None,
    "period_end": None,
}


def _timing(
    kind_codes: np.ndarray, business: np.ndarray, periods: dict[str, Period], day: datetime.date, catalog: Catalog
) -> tuple[np.ndarray, np.ndarray, pd.Categorical]:
    """Per line (its period kind's position in `periods`, and whether its metric counts business days): time
    progress, remaining days and the basis they were counted in (lib.periods.period_timing), each metric
    on its own basis: at most two timings per period kind, whatever the number of lines, taken by position."""
    bases = [TimeBasis.CALENDAR, TimeBasis.BUSINESS]
    timings = [
        period_timing(period, day, calendar=catalog.calendar if basis == TimeBasis.BUSINESS else None)
        for period in periods.values()
        for basis in bases
    ]
    at = kind_codes.astype(np.intp) * len(bases) + business.astype(np.intp)
    progress = np.array([float(timing.time_progress) for timing in timings])[at]
    remaining = np.array([timing.remaining_days for timing in timings], dtype=float)[at]
    # The basis a timing was counted in: business days only where the calendar has them.
    categories = LINE_CATEGORIES["time_basis"]
    counted = np.array(
        [categories.index(TimeBasis.BUSINESS if timing.business_days else TimeBasis.CALENDAR) for timing in timings],
        dtype=np.int8,
    )
    return progress, remaining, pd.Categorical.from_codes(counted[at], categories=categories)


# -- writing -------------------------------------------------------------------------------------


def _write(
    run: RollupRun,
    state: pd.DataFrame,
    scored: scoring.Scored | None,
    *,
    with_scorecards: bool,
    slot: int = 0,
    mirrors: Mirrors | None = None,
) -> None:
    """Write the run's running totals (its `mirrors`' too: kpi.services.mirrors.states_write), scorecards
    and lines. Where the day's lines are kept by run (PostgreSQL, kpi.partitions) the lines go into a table
    of the run's own, `slot` of it (a fanned-out day's part), loaded bare, indexed, then attached; elsewhere
    into the lines' table. The running totals likewise into tables of the run's own where they are kept by
    run, attached last with the lines: an ATTACH holds its parent until the commit, and a fanned-out
    day's parts write side by side until then."""
    from kpi.services import mirrors as mirror_days

    loaded = [mirror_days.states_write(run, mirrors, slot=slot, attach=False) if mirrors else None]
    states = state.copy()
    states["staff_id"] = states["staff_id"].astype("Int64").replace(0, pd.NA)
    states.insert(0, "run_id", run.pk)
    own_slot = partitions.states_slot(slot, mirror=False)
    loaded.append(partitions.run_states_write(run_id=run.pk, frame=states, slot=own_slot, attach=False)[0])
    _write_cards_and_lines(run, scored, with_scorecards=with_scorecards, slot=slot)
    for table in loaded:
        if table:
            partitions.states_attach(table)


def _write_cards_and_lines(run: RollupRun, scored: scoring.Scored | None, *, with_scorecards: bool, slot: int) -> None:
    if not with_scorecards or scored is None or scored.lines.empty:
        return

    table = scored.cards[scoring.CARD_COLUMNS].copy()
    ids = bulk.allocate_ids(Scorecard, len(table))
    table.insert(0, "id", ids)
    table["run_id"] = run.pk
    table["date"] = run.date
    table["unit_id"] = table["unit_id"].astype("Int64").replace(0, pd.NA)
    table["staff_id"] = table["staff_id"].astype("Int64").replace(0, pd.NA)
    for column in ("template_id", "rank", "rank_of", "network_rank", "network_rank_of"):
        table[column] = table[column].astype("Int64")
    table["total_score"] = table["total_score"].round(4)
    bulk.insert_frame(Scorecard, table)

    # Each line's scorecard id by its scorecard's number (Scored: the row of the cards).
    rows = scored.lines
    card_ids = np.asarray(ids)[rows["card"].to_numpy()]

    def line_table(start: int, stop: int) -> pd.DataFrame:
        part = rows.iloc[start:stop]
        return pd.DataFrame(
            {
                "scorecard_id": card_ids[start:stop],
                # The partition key (kpi.partitions).
                "date": run.date,
                "metric_id": part["metric_id"],
                "actual": part["actual"].round(4),
                "target": part["target"].round(4),
                "attainment": part["attainment"].round(6),
                "time_progress": part["time_progress"].round(6),
                "pace_attainment": part["pace_attainment"].round(6),
                "status": part["status"],
                "gap_to_pace": part["gap_to_pace"].round(4),
                "required_per_day": part["required_per_day"].round(4),
                "time_basis": part["time_basis"],
                "score": part["score"].round(4),
                "rank": part["line_rank"].astype("Int64"),
                "rank_of": part["line_rank_of"].astype("Int64"),
                "target_from_children": part["target_from_children"].astype(bool),
                # The comparisons (kpi.services.mirrors).
                **{column: part[column].round(4) for column in COMPARISON_COLUMNS if column in part},
            }
        )

    # Made a chunk at a time as the COPY takes them: the table of all the day's lines, beside the lines
    # themselves, was the day's peak of memory.
    step = bulk.CHUNK_ROWS
    tables = (line_table(start, start + step) for start in range(0, len(rows), step))
    if partitions.lines_by_run(run.date):
        partitions.run_lines_write(day=run.date, run_id=run.pk, frames=tables, slot=slot)
    else:
        bulk.insert_frame(ScorecardLine, tables)
    run.scorecards, run.lines = len(table), len(rows)


def _commit_without_waiting() -> None:
    """PostgreSQL: this transaction's commit does not wait for its WAL to reach the disk (asynchronous
    commit; two seconds of a province day's 300 MB). What it risks is the durability of this one commit
    on a server crash, never consistency: the results are computed again from the facts, and a run that
    was lost is reaped (kpi.services.runs) and its day stays unpublished for the next rollup."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def states_prune(*, today: datetime.date | None = None) -> int:
    """Running totals no rollup reads any more, dropped every night (kpi.tasks.scorecards_prune): the own
    ones of days published more than ROLLUP_STATE_DAYS before `today` (a later correction that far back is
    recomputed from scratch instead of from the day before), and the mirror ones of days published more
    than MIRROR_KEEP_DAYS before it (kpi.services.mirrors.states_prune). The number of rows deleted.

    Not inside a publication, as it was: in service a day's publication deleted the own running totals of
    the day that had aged out and the mirror ones of the week's (2.5 M rows a province day, seconds of the
    publication's transaction, not in bench/rollup.py, whose days skip the months in between). A night
    missed is made up: every published day past the horizon is looked at, not the one that just aged."""
    from kpi.services import mirrors as mirror_days

    today = today or timezone.localdate()
    horizon = today - datetime.timedelta(days=settings.ROLLUP_STATE_DAYS)
    old_runs = list(RollupDay.objects.published().filter(date__lt=horizon).values_list("published_run", flat=True))
    return partitions.states_drop(old_runs) + mirror_days.states_prune(today=today)


# -- the public entry points -----------------------------------------------------------------------


def rollup_day(
    *,
    day: datetime.date,
    progress: Progress = _no_progress,
    today: datetime.date | None = None,
    run: RollupRun | None = None,
) -> RollupRun:
    """Compute and publish business day `day`, as `run` when one was queued for it (the API's POST
    /rollups/), else as a new run. Safe to run twice: the second run replaces the first with the same
    figures. On failure the previous results stay published and the run says why. The run's `progress`
    and `message` follow the work, for whoever polls it."""
    today = today or timezone.localdate()
    if run is None:
        run = RollupRun.objects.create(date=day, status=RollupRun.Status.QUEUED)
    progress = _recorded(run, progress)
    try:
        with named_lock(LOCK_NAME, on_wait=heartbeat(RollupRun.objects.filter(pk=run.pk))):
            # Under the lock nobody else works on this run: one that another delivery of the same task
            # has finished meanwhile (a redelivered message took over a slow run) is left as it is.
            run.refresh_from_db()
            if run.status in FINISHED:
                return run
            # Checked under the lock: month_close takes it too, so a close cannot slip in mid-run.
            if MonthClose.objects.closed(day).exists():
                RollupRun.objects.filter(pk=run.pk).update(
                    status=RollupRun.Status.SKIPPED, finished_at=timezone.now(), message=f"month {day:%Y-%m} is closed"
                )
                run.refresh_from_db()
                return run
            _rollup_locked(run, day, progress, today)
    except Exception as exc:
        # On a fresh connection: this one may be what failed.
        record_on_fresh_connection(
            RollupRun.objects.filter(pk=run.pk),
            status=RollupRun.Status.FAILED,
            finished_at=timezone.now(),
            message=f"{type(exc).__name__}: {exc}"[:300],
        )
        logger.exception("rollup of %s failed", day)
        raise
    # The planner's statistics of the tables just loaded: kpi.services.runs.run_tables_analyze, on
    # day_published (the day's partition of the lines, the other tables when a tenth of them changed).
    return run


def _day_watched(day: datetime.date) -> int:
    """The day's stale_version before anything of the day is read, its row created if this is its first
    rollup (so that a mark made from now on has a row to count on). Under the marks' lock: a marking
    transaction has either committed, and what it wrote will be read, or will count after this."""
    with transaction.atomic():
        transaction_lock(STALE_LOCK)
        watched, _created = RollupDay.objects.get_or_create(date=day)
        return watched.stale_version


def _rollup_locked(run: RollupRun, day: datetime.date, progress: Progress, today: datetime.date) -> None:
    now = timezone.now()
    RollupRun.objects.filter(pk=run.pk).update(status=RollupRun.Status.RUNNING, started_at=now, heartbeat_at=now)
    seen = _day_watched(day)
    progress(2, f"{day}: reading")
    catalog = Catalog.load()
    previous_day = (
        RollupDay.objects.filter(date=day - datetime.timedelta(days=1)).select_related("published_run").first()
    )
    chained = bool(
        previous_day
        and previous_day.published_run_id
        and previous_day.stale_since is None
        and states_of([previous_day.published_run_id], own=True).exists()
    )
    # The comparisons (环比, 同比) need the running totals of earlier days too (kpi.services.mirrors,
    # which builds on this module's fold: imported here, not at the top).
    from kpi.services import mirrors as mirror_days

    if chained:
        previous_state = _state_of_run(previous_day.published_run_id)
        state = step_state(previous_state, _facts_frame(Fact.objects.filter(date=day)), day, catalog)
        mirrors = mirror_days.mirror_states(
            day=day,
            catalog=catalog,
            previous_run_id=previous_day.published_run_id,
            previous_state=previous_state,
            progress=progress,
        )
    else:
        folded = states_from_scratch([day, *mirror_days.snapshot_days(day)], catalog, progress)
        state = folded.pop(day)
        mirrors = mirror_days.Mirrors(states=folded)
    progress(35, f"{day}: computing")
    values = entity_values(_holder_values(state, day, catalog), catalog)
    targets = targets_from_children(_targets(day), catalog)
    scored = scoring.score(scorecard_lines(values, targets, day, catalog), day)
    with_scorecards = keeps_scorecards(day, today)
    if with_scorecards:
        scored = scored.with_lines(
            mirror_days.with_comparisons(
                scored.lines, values=values, state=state, mirrors=mirrors.states, day=day, catalog=catalog
            )
        )
    # The last sign of life before the publication's transaction: what the run writes inside it is seen
    # by nobody until it commits (RUN_STALE_AFTER allows for the longest write).
    progress(60, f"{day}: writing")
    facts_loaded_at = facts_loaded_by(day, previous_run_id=previous_day.published_run_id if chained else None)
    if with_scorecards:
        # The day's partition of the lines (and the week's after it), before the publication's transaction:
        # creating one locks the table for an instant, which must not last as long as the write.
        partitions.line_partitions_ahead(day)

    def write() -> None:
        # The lines last: attaching their table locks the day's default sub-partition until the commit.
        _write(run, state, scored, with_scorecards=with_scorecards, mirrors=mirrors)

    publish(run, day, seen=seen, chained=chained, facts_loaded_at=facts_loaded_at, write=write)
    progress(100, f"{day}: published")


def facts_loaded_by(day: datetime.date, *, previous_run_id: int | None) -> datetime.datetime | None:
    """When the latest fact a run of `day` used arrived (RollupRun.facts_loaded_at). From scratch: the
    latest of every fact up to the day. Chained from the day before's run: the later of that run's own and
    the latest of the day's facts, which is what the chained run read; a fact of an earlier day that came
    after it marks that day stale, and a run over it is not chained. The day's facts only, through the
    fact's date-leading key (fact_unique_key): the whole fact table up to the day, a year of a province's
    225 M facts, was read every day."""
    latest = Fact.objects.filter(date=day) if previous_run_id else Fact.objects.filter(date__lte=day)
    loaded = latest.aggregate(latest=Max("updated_at"))["latest"]
    if previous_run_id:
        before = RollupRun.objects.filter(pk=previous_run_id).values_list("facts_loaded_at", flat=True).first()
        loaded = max((moment for moment in (loaded, before) if moment is not None), default=None)
    return loaded


def publish(
    run: RollupRun,
    day: datetime.date,
    *,
    seen: int,
    chained: bool,
    facts_loaded_at: datetime.datetime | None,
    write: Callable[[], None] = lambda: None,
) -> None:
    """Make `run` the day's published run, in one transaction with `write` (the single-process rollup's
    COPY of its rows; a fanned-out day has written its parts before, kpi.services.fanout): the previous
    run is superseded (its rows removed once this commits: _after_publication), the day is fresh only
    if its stale_version is still `seen`, and kpi.signals.day_published is announced once it commits.
    `run.scorecards` and `run.lines` are recorded as they are when `write` returns."""
    with transaction.atomic():
        _commit_without_waiting()
        write()
        published, _created = RollupDay.objects.select_for_update().get_or_create(date=day)
        superseded = [published.published_run_id] if published.published_run_id else []
        now = timezone.now()
        published.published_run = run
        published.published_at = now
        published.save(update_fields=["published_run", "published_at"])
        # Fresh only if nothing changed since the rollup noted the version (compare-and-swap): a fact that
        # came in while it computed leaves the day stale for the next rollup.
        RollupDay.objects.filter(pk=published.pk, stale_version=seen).update(stale_since=None)
        RollupRun.objects.filter(pk=run.pk).update(
            status=RollupRun.Status.PUBLISHED,
            progress=100,
            finished_at=now,
            chained=chained,
            scorecards=run.scorecards,
            lines=run.lines,
            facts_loaded_at=facts_loaded_at,
            message="",
        )
        RollupRun.objects.filter(pk__in=superseded).update(status=RollupRun.Status.SUPERSEDED)
        run.refresh_from_db()
        # The apps built on kpi react to the published day (alerts evaluates its rules, issue 8) by
        # listening to kpi.signals.day_published, announced once this commits so that they read what was
        # published; robust, so a failure is logged, never raised, and the day stays published.
        transaction.on_commit(lambda: _after_publication(day, run), robust=True)


def _after_publication(day: datetime.date, run: RollupRun) -> None:
    """Once a publication has committed: the day announced, then the rows of the superseded run (and any
    a dead run left for the day) removed — its scorecards, running totals and lines
    (kpi.retention.passed_by_discard; the lines a table each where the day keeps them by run) — so
    readers of the day never find a published run without its rows, and millions of rows are not
    deleted inside the publication. One piece of on-commit work, whatever the day holds."""
    day_published.send_robust(sender=RollupDay, day=day, run=run)
    passed_by_discard([day])


def rollup_range(
    *, first: datetime.date, last: datetime.date, progress: Callable[[datetime.date], None] | None = None
) -> list[RollupRun]:
    """Roll up every day from first to last in order (each day chains from the one before)."""
    runs = []
    for day in days_between(first, last):
        runs.append(rollup_day(day=day))
        if progress:
            progress(day)
    return runs


def pending_days(*, through: datetime.date | None = None, today: datetime.date | None = None) -> list[datetime.date]:
    """Days that need a rollup: stale ones, and every day from the last published one up to the latest
    fact (or `through`), in date order; never before ROLLUP_FIRST_DATE nor after yesterday,
    whatever dates the facts carry."""
    last = (today or timezone.localdate()) - datetime.timedelta(days=1)
    floor = rollup_first_date()
    if last < floor:
        return []
    window = {"date__gte": floor, "date__lte": last}
    # Days of closed months stay as they were published, stale or not: they are left out before the
    # first stale day is taken, or a frozen stale day would have every later day recomputed each time.
    closed = set(MonthClose.objects.closed().values_list("month", flat=True))
    stale = {
        day
        for day in RollupDay.objects.filter(**window).exclude(stale_since=None).values_list("date", flat=True)
        if day.replace(day=1) not in closed
    }
    latest_published = RollupDay.objects.published().filter(**window).aggregate(latest=Max("date"))["latest"]
    facts = Fact.objects.filter(**window).aggregate(first=Min("date"), last=Max("date"))
    end = max(filter(None, [facts["last"], through]), default=None)
    new: Iterable[datetime.date] = []
    if end is not None:
        end = min(end, last)
        start = latest_published + datetime.timedelta(days=1) if latest_published else facts["first"] or end
        start = max(start, floor)
        new = days_between(start, end) if start <= end else []
    days = sorted(stale | set(new))
    if stale:
        # A stale day invalidates the chain after it: everything later is recomputed too.
        first_stale = min(stale)
        later = RollupDay.objects.filter(date__gt=first_stale, date__lte=last).values_list("date", flat=True)
        days = sorted({*days, *later})
    return [day for day in days if day.replace(day=1) not in closed]


def rollup_pending(
    *, through: datetime.date | None = None, progress: Callable[[datetime.date], None] | None = None
) -> list[datetime.date]:
    days = pending_days(through=through)
    for day in days:
        rollup_day(day=day)
        if progress:
            progress(day)
    return days


def days_mark_stale(*, first_date: datetime.date | None = None, dates: Iterable[datetime.date] | None = None) -> int:
    """Something on `first_date` (a target, a template) or the facts of `dates` changed: every published
    day from the earliest of them on must be recomputed.

    Every later day, not only those of the same periods, because a stock carries forward: a corrected
    balance on 31 December is also the opening balance of next year's net change. Each day's
    stale_version moves too (under STALE_LOCK, held until the caller's transaction ends), so a rollup
    computing one of them keeps it stale. Returns the number of days marked (one UPDATE; a day already
    stale keeps the time it became so); the next rollup (rollup_pending) recomputes them in order.
    """
    floor = rollup_first_date()
    # A change from before the first day (a target period that starts earlier) counts from the first day;
    # changed facts dated before it are not read by the rollup and change nothing.
    changed = [max(first_date, floor)] if first_date is not None else []
    changed += [day for day in dates or () if day >= floor]
    if not changed:
        return 0
    first_changed = min(changed)
    transaction_lock(STALE_LOCK)
    return RollupDay.objects.filter(date__gte=first_changed).update(
        stale_since=Coalesce("stale_since", Value(timezone.now())), stale_version=F("stale_version") + 1
    )
