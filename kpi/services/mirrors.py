"""The comparisons of a scorecard line, 环比, 同比 and 较年初 (issue 14), computed by the rollup.

For a line of period kind k as of business day D (the days are lib.periods'):

- 环比 (`previous_actual`): the value of the previous period of kind k as of its day with as many days
  elapsed as D has in its own, clamped to its length (previous_period_day): on 2026-12-10 the month is
  1–10 November, the week the previous Monday to Thursday, the day the day before.
- 同比 (`last_year_actual`): the value of the same period last year as of the same day
  (same_day_last_year: the same date, or 52 weeks earlier for a week).
- 较年初 (`year_start_actual` → `year_to_date_actual`): the year-to-date value against its value at the
  start of the year, whatever the line's kind:
  - a balance (`last`): the balance of the last day of the previous year, carried forward. It is the
    opening that a net change 较年初 counts from, so deposit_balance's change is deposit_growth's year;
  - a flow (`sum`) and a net change (`change`) start the year at 0: the change is the year-to-date
    amount (本年累计);
  - a daily average (`average`): the balance at the start of the year (年初余额), so the change is how far
    the year's daily average lies above where the year began;
  - a rate (`ratio`): recomputed from its numerator and denominator at the start of the year, so a rate
    of balances (NPL ratio) compares with 31 December's, and a rate of flows (satisfaction) has none
    (0 / 0: nothing has happened yet on 1 January).

Each is aggregated as DOMAIN.md §3 says (a unit takes its subtree's outlets, a ratio is recomputed from
the added-up numerator and denominator), because each is computed by the rollup's own steps.

How, and why in the rollup (docs/architecture.md): the figures are period-to-date values as of earlier
days, which is what the rollup's running totals (RollupState) hold for those days. The comparison days of
D (the mirror days: the day before, the week before, the previous month's and quarter's day, the day last
year and 52 weeks before) are found as the day itself is: the week and month before are usually published
days that still have their own running totals (ROLLUP_STATE_DAYS), read as they are; the others are kept
with the run (RollupState rows with `as_of`: the quarter's day and last year's; the week 52 weeks ago is
folded again from last year's, a day or two later) and the next day advances each by the facts of the
days it moves over, usually one. Without a run near enough (the first rollup, a gap) they are folded from
scratch with the day itself. The lines keep the four figures, so pages, downloads, the API and the
alerts read them with the line: no query of their own. The cost is the rollup's: the facts of a few more
days read, the values of about six days aggregated, two more days' running totals written and kept
MIRROR_KEEP_DAYS (a correction further back folds them again). Reading them at read time instead would
mean a year of facts of every outlet under HQ for its year view, and doing again in SQL the carrying
forward of balances and the daily averages.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import reduce

import numpy as np
import pandas as pd
from django.db.models import Min, Q

from kpi import partitions
from kpi.models import Aggregation, Fact, RollupDay, RollupRun
from kpi.services import rollup
from lib.periods import PERIOD_KINDS, PeriodKind, days_between, period_of, previous_period_day, same_day_last_year

COMPARISON_COLUMNS = rollup.COMPARISON_COLUMNS
# A run's mirror running totals are kept this many days: enough for the next day's rollup and for a late
# fact of the last week; a correction further back folds them from scratch once.
MIRROR_KEEP_DAYS = 7
_ENTITY = ["unit_id", "staff_id", "metric_id"]
_ONE_DAY = datetime.timedelta(days=1)


def mirror_days(day: datetime.date) -> dict[str, dict[PeriodKind, datetime.date]]:
    """Per comparison (previous, last_year) and period kind, the day whose value it takes."""
    return {
        "previous_actual": {kind: previous_period_day(kind, day) for kind in PERIOD_KINDS},
        "last_year_actual": {kind: same_day_last_year(kind, day) for kind in PERIOD_KINDS},
    }


def snapshot_days(day: datetime.date) -> set[datetime.date]:
    """The days whose running totals the comparisons of `day` need; none before the rollup's first day
    (its facts are not read: there is nothing to compare with)."""
    floor = rollup.rollup_first_date()
    return {other for kinds in mirror_days(day).values() for other in kinds.values() if other >= floor}


def _fold_start(day: datetime.date) -> datetime.date:
    return min(period_of(PeriodKind.YEAR, day).start, period_of(PeriodKind.WEEK, day).start)


def _kept_states(run_id: int) -> dict[datetime.date, pd.DataFrame]:
    """The mirror running totals a run kept, by day (one query)."""
    frame = rollup.states_read([run_id], own=False, extra=("as_of",))
    if frame.empty:
        return {}
    return {
        datetime.date.fromisoformat(str(as_of)): part.drop(columns="as_of").reset_index(drop=True)
        for as_of, part in frame.groupby("as_of", sort=False)
    }


def _published_states(days: Iterable[datetime.date]) -> dict[datetime.date, pd.DataFrame]:
    """The own running totals of those days' published runs that still have them (ROLLUP_STATE_DAYS) and
    are not stale: the week and month before are usually among them, and need not be kept twice. Two
    queries."""
    runs = dict(
        RollupDay.objects.published().filter(date__in=list(days), stale_since=None).values_list("published_run", "date")
    )
    if not runs:
        return {}
    frame = rollup.states_read(list(runs), own=True, extra=("run_id",))
    if frame.empty:
        return {}
    return {
        runs[int(run_id)]: part.drop(columns="run_id").reset_index(drop=True)
        for run_id, part in frame.groupby("run_id", sort=False)
    }


@dataclass
class Mirrors:
    """The running totals as of each mirror day of a day, and which of them are a published day's own
    (those need not be kept with the run)."""

    states: dict[datetime.date, pd.DataFrame]
    published: set[datetime.date] = field(default_factory=set)


def mirror_states(
    *,
    day: datetime.date,
    catalog: rollup.Catalog,
    previous_run_id: int | None = None,
    previous_state: pd.DataFrame | None = None,
    progress: rollup.Progress = rollup._no_progress,
) -> Mirrors:
    """The running totals as of every mirror day of `day`.

    1. Before the first fact, nothing: an empty network, with no fold (a young database's last year).
    2. Taken as they are: the own running totals of a mirror day's published run, when it still has them
       (the week and month before, usually), and those the run of the day before kept.
    3. Each other mirror day starts from the latest running totals on or before it, of the run of the day
       before (its own, as of the day before, and its mirror ones) or of an earlier mirror day of this
       one, and takes the facts of the days in between (one query for all): usually one day, from the
       same mirror of the day before (or from last year's day for the week 52 weeks ago).
    4. A mirror day with nothing near enough (folding from scratch would take fewer days) is folded from
       scratch, all such days in one fold.
    """
    wanted = sorted(snapshot_days(day))
    floor = rollup.rollup_first_date()
    earliest = Fact.objects.filter(date__gte=floor).aggregate(earliest=Min("date"))["earliest"]
    states = {other: rollup.empty_state() for other in wanted if earliest is None or other < earliest}
    wanted = [other for other in wanted if other not in states]

    available = _kept_states(previous_run_id) if previous_run_id else {}
    if previous_state is not None:
        available[day - _ONE_DAY] = previous_state
    published = _published_states(other for other in wanted if other not in available)
    available.update(published)

    bases: dict[datetime.date, datetime.date] = {}
    scratch = []
    known = set(available)
    for other in wanted:
        if other in available:
            states[other] = available[other]
            continue
        base = max((known_day for known_day in known if known_day <= other), default=None)
        if base is None or base < _fold_start(other) - _ONE_DAY:
            scratch.append(other)
        else:
            bases[other] = base
        known.add(other)
    if scratch:
        states.update(rollup.states_from_scratch(scratch, catalog, progress))
    ranges = [(base + _ONE_DAY, other) for other, base in bases.items() if base < other]
    by_date: dict[datetime.date, pd.DataFrame] = {}
    no_facts = None
    if ranges:
        condition = reduce(lambda left, right: left | right, (Q(date__range=span) for span in ranges))
        facts = rollup._facts_frame(Fact.objects.filter(condition))
        by_date = dict(tuple(facts.groupby("date"))) if len(facts) else {}
        no_facts = facts.iloc[0:0]
    for other, base in bases.items():  # in date order: an earlier mirror day is ready as a base
        state = available[base] if base in available else states[base]
        for current in days_between(base + _ONE_DAY, other):
            facts = by_date.get(current, no_facts)
            if not (state.empty and facts.empty):
                state = rollup.step_state(state, facts, current, catalog)
        states[other] = state
    return Mirrors(states=states, published=set(published))


# A mirror day this close after another one kept with the run is not kept itself: the next day folds it
# again from there in a day or two (the week 52 weeks ago from last year's day, the year's 环比 by its
# day count from its 同比 by date).
NEAR_DAYS = 3


def states_write(run: RollupRun, mirrors: Mirrors, *, slot: int = 0, attach: bool = True) -> str | None:
    """Keep the mirror running totals with the run, for the next day's rollup: not the day before's (the
    previous run's own; the next day takes this run's own instead), not a published day's own (the next
    day finds the next published day's), and not one a day or two after another one kept. `slot`: a
    fanned-out part's (kpi.partitions.states_slot). The table written where the running totals are kept
    by run: with `attach=False` the caller attaches it (kpi.partitions.states_attach)."""
    kept: list[datetime.date] = []
    for as_of in sorted(mirrors.states):
        state = mirrors.states[as_of]
        if as_of == run.date - _ONE_DAY or as_of in mirrors.published or state.empty:
            continue
        if kept and (as_of - kept[-1]).days <= NEAR_DAYS:
            continue
        kept.append(as_of)
    if not kept:
        return None
    frame = pd.concat([mirrors.states[as_of].assign(as_of=as_of) for as_of in kept], ignore_index=True)
    frame["staff_id"] = frame["staff_id"].astype("Int64").replace(0, pd.NA)
    frame.insert(0, "run_id", run.pk)
    slot = partitions.states_slot(slot, mirror=True)
    return partitions.run_states_write(run_id=run.pk, frame=frame, slot=slot, attach=attach)[0]


def states_prune(*, today: datetime.date) -> int:
    """Mirror running totals of runs of days published more than MIRROR_KEEP_DAYS before `today`, dropped
    by the nightly retention (kpi.services.rollup.states_prune): the number of rows. Every such run is
    asked, by its ids (a night missed is made up): its table of mirror running totals dropped
    (kpi.partitions.states_drop), and its rows in the plain partition deleted through the partial index on
    the mirror rows by run, so the runs emptied before cost an index probe each."""
    horizon = today - datetime.timedelta(days=MIRROR_KEEP_DAYS)
    aged = list(RollupDay.objects.published().filter(date__lt=horizon).values_list("published_run", flat=True))
    return partitions.states_drop(aged, own=False)


# -- the figures -----------------------------------------------------------------------------------


def _year_start_holders(state: pd.DataFrame, catalog: rollup.Catalog) -> pd.DataFrame:
    """Per fact holder and metric, its value at the start of the year (see the module's docstring), in
    every period kind's column so that rollup.entity_values aggregates it as it does the values."""
    metrics = catalog.metrics
    kind_of = state["metric_id"].map(metrics["aggregation"])
    opening = state["open_year"].astype("Float64").astype(float) / rollup.SCALE
    own = state[rollup.KEY].copy()
    own["start"] = np.where((kind_of == Aggregation.SUM).to_numpy(), 0.0, opening)
    frames = [own]
    derived = metrics[metrics["aggregation"].isin([Aggregation.AVERAGE, Aggregation.CHANGE])]
    for derived_id, row in derived.iterrows():
        if pd.isna(row["base_id"]):
            continue
        rows = (state["metric_id"] == int(row["base_id"])).to_numpy()
        if not rows.any():
            continue
        part = state.loc[rows, rollup.KEY].copy()
        part["metric_id"] = derived_id
        part["start"] = opening[rows].to_numpy() if row["aggregation"] == Aggregation.AVERAGE else 0.0
        frames.append(part)
    frame = pd.concat(frames, ignore_index=True)
    for kind in PERIOD_KINDS:
        frame[kind.value] = frame["start"]
    return frame.drop(columns="start")


class _Keys:
    """Keys of many rows (columns of integers) packed into one integer a row: each column's values
    numbered as they first appear, the numbers combined as the digits of a mixed-radix number. A table's
    keys are packed with the same numbering (`of`), so a key is found among the rows by one integer, not
    by a MultiIndex of the rows' columns (the first probe of one over a province day's 4 M lines was
    1.8 s and 300 MB more at the day's peak of memory)."""

    def __init__(self, columns: list[np.ndarray]):
        self.values: list[pd.Index] = []
        packed = np.zeros(len(columns[0]) if columns else 0, dtype=np.int64)
        for column in columns:
            codes, uniques = pd.factorize(column)
            self.values.append(pd.Index(uniques))
            packed = packed * len(uniques) + codes
        # The product of the columns' numbers of values must fit in 63 bits (a province's is about 10¹¹).
        if math.prod(max(len(values), 1) for values in self.values) >= 2**63:
            raise OverflowError("too many distinct keys to pack into one integer")
        self.packed = packed

    def of(self, columns: list[np.ndarray]) -> np.ndarray:
        """A table's keys packed the same way; -1 for a key with a value none of the rows has."""
        packed = np.zeros(len(columns[0]) if columns else 0, dtype=np.int64)
        missing = np.zeros(len(packed), dtype=bool)
        for values, column in zip(self.values, columns, strict=True):
            codes = values.get_indexer(column)
            missing |= codes < 0
            packed = packed * len(values) + codes
        packed[missing] = -1
        return packed


def _looked_up(
    table: pd.DataFrame, keys: list[str], column: str, wanted: _Keys, *, rows: np.ndarray | None = None
) -> np.ndarray:
    """`table[column]` at each of the `wanted` rows' keys (the key columns `keys`, in that order), or at
    those `rows` of them; NaN where the table has no row: a table has one row a key (an entity's
    figures)."""
    packed = wanted.of([table[key].to_numpy(dtype=np.int64) for key in keys])
    found = packed >= 0
    at = pd.Index(packed[found]).get_indexer(wanted.packed if rows is None else wanted.packed[rows])
    values = table[column].to_numpy(dtype=float)[found]
    return np.where(at >= 0, values[np.maximum(at, 0)] if len(values) else np.nan, np.nan)


def comparison_holders(
    state: pd.DataFrame, mirrors: dict[datetime.date, pd.DataFrame], catalog: rollup.Catalog
) -> tuple[pd.DataFrame | None, list[datetime.date]]:
    """Per fact holder, the values of every mirror day (column `snapshot`: the day's index in the list
    returned with them) and at the start of the year (snapshot -1); None when there are none."""
    days = [as_of for as_of, mirror in mirrors.items() if len(mirror)]
    holders = [
        rollup._holder_values(mirrors[as_of], as_of, catalog).assign(snapshot=index) for index, as_of in enumerate(days)
    ]
    if len(state):
        holders.append(_year_start_holders(state, catalog).assign(snapshot=-1))
    return (pd.concat(holders, ignore_index=True) if holders else None), days


def _snapshot_values(
    frame: pd.DataFrame | None,
    wanted: dict[int, set[str]],
    catalog: rollup.Catalog,
    ancestors: dict[int, list[int]] | None,
) -> dict[int, pd.DataFrame]:
    """Per snapshot of comparison_holders' frame, its entity values of the period kinds `wanted` of it."""
    by_snapshot: dict[int, pd.DataFrame] = {}
    if frame is not None and len(frame):
        ancestors = rollup._ancestors() if ancestors is None else ancestors
        for snapshot, part in frame.groupby("snapshot", sort=False):
            kinds = [kind.value for kind in PERIOD_KINDS if kind.value in wanted.get(snapshot, ())]
            if kinds:
                values_of = rollup.entity_values(part.drop(columns="snapshot"), catalog, ancestors=ancestors)
                by_snapshot[snapshot] = values_of[[*_ENTITY, *kinds]]
    return by_snapshot


def with_comparisons(
    lines: pd.DataFrame,
    *,
    values: pd.DataFrame,
    state: pd.DataFrame | None,
    mirrors: dict[datetime.date, pd.DataFrame] | None,
    day: datetime.date,
    catalog: rollup.Catalog,
    holders: tuple[pd.DataFrame | None, list[datetime.date]] | None = None,
    ancestors: dict[int, list[int]] | None = None,
) -> pd.DataFrame:
    """The rollup's lines with COMPARISON_COLUMNS: `values` are the day's entity values, `state` its
    running totals and `mirrors` those of its mirror days (mirror_states). A fanned-out day's upper
    levels (kpi.services.fanout) pass their subtrees' totals as `holders` (comparison_holders' shape)
    with the `ancestors` they count for, instead of `state` and `mirrors`."""
    if lines.empty:
        lines = lines.copy()
        for column in COMPARISON_COLUMNS:
            lines[column] = np.nan
        return lines
    lines = lines.drop(columns=COMPARISON_COLUMNS, errors="ignore")
    frame, days = holders if holders is not None else comparison_holders(state, mirrors, catalog)
    # Each earlier day's values, and the values at the start of the year (-1), aggregated one day at a time
    # and narrowed to the period kinds its comparisons take: all the days at once (their units' rows each
    # counted for every unit above) were a province day's peak of memory in October, 1 GB over the rest.
    wanted: dict[int, set[str]] = {-1: {PeriodKind.YEAR.value}}
    index_of = {as_of: index for index, as_of in enumerate(days)}
    for mirror_of_kind in mirror_days(day).values():
        for kind, as_of in mirror_of_kind.items():
            if as_of in index_of:
                wanted.setdefault(index_of[as_of], set()).add(kind.value)
    by_snapshot = _snapshot_values(frame, wanted, catalog, ancestors)
    earlier = {as_of: by_snapshot[index] for index, as_of in enumerate(days) if index in by_snapshot}
    # The holders' rows are no longer needed (in the single process nothing else holds them): 100-200 MB
    # of a province day in October, freed before the lookups.
    del frame, holders

    # Each line's figures looked up by its entity's keys packed into one integer (_Keys) in an index of
    # each table of figures, a period kind at a time (the lines of that kind), not by merging the lines'
    # keys with each table in turn: six merges of a province day's 4 M keys, each growing a frame of them,
    # were 300 MB of its peak memory, and one index of the five kinds' tables at once 230 MB.
    by_entity = _Keys([lines[column].to_numpy(np.int64) for column in _ENTITY])
    kind_of_line = pd.Index([kind.value for kind in PERIOD_KINDS]).get_indexer(lines["period"])
    figures: dict[str, np.ndarray] = {}
    for column, mirror_of_kind in mirror_days(day).items():
        figures[column] = np.full(len(lines), np.nan)
        for code, kind in enumerate(PERIOD_KINDS):
            as_of = mirror_of_kind.get(kind)
            if as_of in earlier:
                rows = np.flatnonzero(kind_of_line == code)
                figures[column][rows] = _looked_up(earlier[as_of], _ENTITY, kind.value, by_entity, rows=rows)
    year = PeriodKind.YEAR.value
    start = by_snapshot.get(-1, pd.DataFrame(columns=[*_ENTITY, year]))
    figures["year_start_actual"] = _looked_up(start, _ENTITY, year, by_entity)
    figures["year_to_date_actual"] = _looked_up(values, _ENTITY, year, by_entity)
    for column in COMPARISON_COLUMNS:
        lines[column] = figures[column]
    return lines
