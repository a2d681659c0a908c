"""A national day fanned out over Celery workers: one part per subtree, then the levels above, then the
network's ranks, then the publication (issue 21).

The single-process rollup (kpi.services.rollup) holds the whole network in one pandas frame: at 40,000
outlets and 400,000 staff that frame needs more memory than a machine has. A fanned-out day splits the
network into parts, each small enough for a worker:

1. Plan (`plan`): a new RollupRun and its RollupFanout (the day's stale_version noted, the run of the
   day before it chains from), and one RollupPart per unit at `depth` (a branch under HQ by default)
   with every unit of its subtree, plus one part for the units above that depth (their own outlets
   and staff). Each unit is in exactly one part.
2. Parts (`part_run`, the task kpi.tasks.rollup_part, one per part, on any worker): the rollup's own
   steps (running totals, comparisons, values, targets, scores) for the part's fact holders only: the
   outlets of its units and the staff whose post on the day is there (the first post by the catalog's
   order, as the scores pick a staff member's template; staff without any post on the day go to the
   part above). A part writes its running totals, scorecards and lines under the run and marks itself
   done in ONE transaction, so a part is written whole or not at all, and a rerun of a done part does
   nothing. It also keeps its subtree's totals (the head unit's values per metric, period kind and
   comparison day) for the levels above.
3. Upper levels (`finish`): the units above the parts' depth (HQ) from the parts' totals, aggregated
   as the rollup aggregates outlets (sums, ratios recomputed from the summed numerator and
   denominator): no subtree's facts are read twice.
4. Ranks across the network: a part ranks inside its peer groups (an outlet's parent unit and a staff
   member's outlet are inside its part), not across the network: one window query over the run's
   scorecards sets network_rank and network_rank_of (competition ranking by total score per template
   and period kind, as kpi.services.scoring does).
5. Publish: kpi.services.rollup.publish, the same switch of RollupDay.published_run as the single-process
   rollup's, only once every part is done. Until then readers keep the day's previous published run.

A worker that dies mid-part (killed, out of memory) leaves its part `running` with a heartbeat that
stops; its transaction rolled back with it, so nothing of it is written. The task is acks_late with
reject_on_worker_lost, so the broker hands it to another worker, which takes the part over once its
heartbeat is older than RUN_STALE_AFTER (part_claim); `resume` (the task kpi.tasks.rollup_fanout_resume)
reruns every part that is not done and finishes the day, for a fan-out whose chord was lost.
"""

from __future__ import annotations

import datetime
import logging
import os
import resource
import socket
import time
from dataclasses import dataclass, field

import pandas as pd
from django.db import connection, transaction
from django.db.models import Case, Exists, F, OuterRef, Q, Sum, Value, When
from django.utils import timezone

from branches.models import OrgUnit, UnitKind
from kpi import partitions
from kpi.models import (
    Fact,
    MonthClose,
    RollupDay,
    RollupFanout,
    RollupPart,
    RollupRun,
    Scorecard,
    ScorecardLine,
)
from kpi.retention import keeps_scorecards
from kpi.services import mirrors as mirror_days
from kpi.services import rollup, scoring
from kpi.services.runs import stale_before
from lib import bulk
from lib.jobs import heartbeat, record_on_fresh_connection
from lib.locks import named_lock
from lib.periods import PERIOD_KINDS
from staff.models import Assignment

logger = logging.getLogger(__name__)

KINDS = [kind.value for kind in PERIOD_KINDS]
# The snapshot of the day itself in a part's totals; the start of the year is "start", a comparison
# day its ISO date.
DAY, YEAR_START = "day", "start"
# A part that failed for a reason of its own is tried this many times in all (a dead worker's part too).
MAX_ATTEMPTS = 3


class NotReady(Exception):
    """The day cannot be finished yet: some part is not done."""


def _peak_rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# -- 1. plan -------------------------------------------------------------------------------------------


def plan(*, day: datetime.date, depth: int = 1, today: datetime.date | None = None) -> RollupFanout | None:
    """A new run of `day` and its parts (none are started). None, with the run recorded as skipped, when
    the day's month is closed."""
    today = today or timezone.localdate()
    now = timezone.now()
    run = RollupRun.objects.create(
        date=day, status=RollupRun.Status.RUNNING, started_at=now, heartbeat_at=now, message="fanned out: planning"
    )
    with named_lock(rollup.LOCK_NAME, on_wait=heartbeat(RollupRun.objects.filter(pk=run.pk))):
        if MonthClose.objects.closed(day).exists():
            RollupRun.objects.filter(pk=run.pk).update(
                status=RollupRun.Status.SKIPPED, finished_at=timezone.now(), message=f"month {day:%Y-%m} is closed"
            )
            return None
        seen = rollup._day_watched(day)
        previous_day = RollupDay.objects.filter(date=day - datetime.timedelta(days=1)).first()
        chained = bool(
            previous_day
            and previous_day.published_run_id
            and previous_day.stale_since is None
            and rollup.states_of([previous_day.published_run_id], own=True).exists()
        )
        with_scorecards = keeps_scorecards(day, today)
        if with_scorecards:
            # The day's partition of the lines (and the week's after it), as the single-process rollup makes
            # them, before any part writes: each part then loads a run table of its own into it
            # (kpi.partitions.run_lines_write), not the lines' default partition.
            partitions.line_partitions_ahead(day)
        with transaction.atomic():
            fanout = RollupFanout.objects.create(
                run=run,
                depth=depth,
                seen_version=seen,
                previous_run_id=previous_day.published_run_id if chained else None,
                chained=chained,
                with_scorecards=with_scorecards,
            )
            RollupPart.objects.bulk_create(
                [
                    RollupPart(fanout=fanout, unit_id=head, unit_ids=unit_ids)
                    for head, unit_ids in partition(depth).items()
                ]
            )
    return fanout


def partition(depth: int) -> dict[int | None, list[int]]:
    """Head unit → the ids of its subtree, for every unit at `depth` that is not an outlet; None → the
    units above and the outlets at `depth` (their peer group, the outlets of the same parent, is there)."""
    units = list(OrgUnit.objects.values_list("id", "path", "depth", "kind").order_by("path"))
    heads = {path: unit_id for unit_id, path, level, kind in units if level == depth and kind != UnitKind.OUTLET}
    parts: dict[int | None, list[int]] = {None: []}
    parts.update({head: [] for head in heads.values()})
    for unit_id, path, level, _kind in units:
        # The head is the ancestor at `depth`: the first depth+1 codes of the path.
        head_path = "/" + "/".join(path.strip("/").split("/")[: depth + 1]) + "/"
        parts[heads.get(head_path) if level >= depth else None].append(unit_id)
    return parts


# -- 2. parts ------------------------------------------------------------------------------------------


def _claimable(now: datetime.datetime) -> Q:
    return (
        Q(status=RollupPart.Status.QUEUED)
        | Q(status=RollupPart.Status.FAILED, attempts__lt=MAX_ATTEMPTS)
        | Q(status=RollupPart.Status.RUNNING, heartbeat_at__lt=stale_before(now))
    )


def part_claim(*, part_id: int, now: datetime.datetime | None = None) -> bool:
    """Take a part for this worker (compare-and-swap): a queued one, a failed one with attempts left, or
    one whose worker died (running without a heartbeat for RUN_STALE_AFTER)."""
    now = now or timezone.now()
    return bool(
        RollupPart.objects.filter(_claimable(now), pk=part_id).update(
            status=RollupPart.Status.RUNNING,
            attempts=F("attempts") + 1,
            heartbeat_at=now,
            started_at=now,
            finished_at=None,
            worker=f"{socket.gethostname()}:{os.getpid()}",
            message="",
        )
    )


def _owned_staff(part: RollupPart, day: datetime.date) -> list[int]:
    """The staff whose post on the day that chooses their scorecard template is at a unit of the part: the
    first post by the posts' order among those a staff template of the day names, as the scores choose it
    (kpi.services.scoring.staff_templates), else the first post. So a staff member is ranked in the part of
    their peers (the outlet of that post), whatever their other posts. The day's templates, then one query,
    whatever the size."""
    units = part.unit_ids
    here = Assignment.objects.on(day).filter(unit_id__in=units).values("staff_id")
    templated = list(scoring.staff_template_posts(scoring.TemplatesInForce.on(day)))
    first: dict[int, int] = {}
    for staff_id, unit_id in (
        Assignment.objects.on(day)
        .filter(staff_id__in=here)
        .annotate(chooses=Case(When(post_id__in=templated, then=Value(0)), default=Value(1)))
        .order_by("staff_id", "chooses", "post__sort_order", "pk")
        .values_list("staff_id", "unit_id")
    ):
        first.setdefault(staff_id, unit_id)
    inside = set(units)
    return [staff_id for staff_id, unit_id in first.items() if unit_id in inside]


def _scope(part: RollupPart, day: datetime.date, owned: list[int]) -> Q:
    """The part's fact holders: its units' outlets, its staff, and (the part above) staff without a post;
    the same for targets (a unit's or a staff member's)."""
    scope = Q(staff_id__in=owned) | Q(staff_id=None, unit_id__in=part.unit_ids)
    if part.unit_id is None:
        posted = Assignment.objects.on(day).filter(staff_id=OuterRef("staff_id"))
        scope |= Q(staff_id__isnull=False) & ~Exists(posted)
    return scope


def _complete_units(part: RollupPart) -> list[int]:
    """The units whose whole subtree is in the part: all of a head's; only the outlets of the part above."""
    if part.unit_id is not None:
        return part.unit_ids
    return list(OrgUnit.objects.filter(pk__in=part.unit_ids, kind=UnitKind.OUTLET).values_list("id", flat=True))


def part_run(*, part_id: int) -> str:
    """Compute and write one part of a fanned-out day (safe to run twice: a done part, or one alive on
    another worker, is left alone). Returns the part's status."""
    if not part_claim(part_id=part_id):
        return RollupPart.objects.filter(pk=part_id).values_list("status", flat=True).first() or "gone"
    began = time.perf_counter()
    part = RollupPart.objects.select_related("fanout__run").get(pk=part_id)
    fanout, run = part.fanout, part.fanout.run
    beat_part = heartbeat(RollupPart.objects.filter(pk=part.pk))
    beat_run = heartbeat(RollupRun.objects.filter(pk=run.pk))

    def progress(percent: int = 0, message: str = "") -> None:
        beat_part()
        beat_run()

    try:
        written = _part_compute(part, fanout, run, progress)
        with transaction.atomic():
            if not _run_held_for_writing(run.pk):
                # A later publication passed the run by and removed its rows (kpi.retention.passed_by_discard)
                # while this part computed: what it would write would be read by nobody, and removed by nobody.
                raise RuntimeError(f"run {run.pk} was passed by and its rows removed")
            writing = time.perf_counter()
            written.write()
            write_seconds = time.perf_counter() - writing
            done = RollupPart.objects.filter(pk=part.pk, status=RollupPart.Status.RUNNING, attempts=part.attempts)
            if not done.update(
                status=RollupPart.Status.DONE,
                finished_at=timezone.now(),
                seconds=time.perf_counter() - began,
                write_seconds=write_seconds,
                peak_rss_kb=_peak_rss_kb(),
                scorecards=written.scorecards,
                lines=written.lines,
                totals=written.totals,
                staff_ids=written.staff_ids,
            ):
                # Taken over meanwhile (this worker was thought dead): the other attempt writes it.
                raise RuntimeError(f"part {part.pk} was taken over by another worker")
    except Exception as exc:
        record_on_fresh_connection(
            RollupPart.objects.filter(pk=part.pk, attempts=part.attempts),
            status=RollupPart.Status.FAILED,
            finished_at=timezone.now(),
            message=f"{type(exc).__name__}: {exc}"[:300],
        )
        # The chord's finish will not come: the run fails until resume (kpi.tasks.rollup_fanout_resume)
        # repairs it; the previous publication stays.
        record_on_fresh_connection(
            RollupRun.objects.filter(pk=run.pk, status=RollupRun.Status.RUNNING),
            status=RollupRun.Status.FAILED,
            finished_at=timezone.now(),
            message=f"part {part.pk} failed: {type(exc).__name__}: {exc}"[:300],
        )
        logger.exception("part %s of the rollup of %s failed", part.pk, run.date)
        raise
    return RollupPart.Status.DONE


@dataclass
class _Written:
    """What a part computed, ready to be written in its transaction."""

    run: RollupRun
    state: pd.DataFrame
    scored: scoring.Scored
    mirrors: mirror_days.Mirrors
    with_scorecards: bool
    totals: list[dict]
    # The part's table of lines where the day keeps them by run (kpi.partitions): 1, 2, … (the levels
    # above write slot 0).
    slot: int = 1
    staff_ids: list[int] = field(default_factory=list)
    scorecards: int = 0
    lines: int = 0

    def write(self) -> None:
        shadow = RollupRun(pk=self.run.pk, date=self.run.date)
        rollup._write(
            shadow, self.state, self.scored, with_scorecards=self.with_scorecards, slot=self.slot, mirrors=self.mirrors
        )
        self.scorecards, self.lines = shadow.scorecards, shadow.lines


def _part_compute(part: RollupPart, fanout: RollupFanout, run: RollupRun, progress) -> _Written:
    """The rollup's steps (kpi.services.rollup._rollup_locked) for the part's holders only."""
    day = run.date
    catalog = rollup.Catalog.load()
    owned = _owned_staff(part, day)
    complete = _complete_units(part)
    progress()
    slots = _SlotsHolding(part, day, owned)
    with rollup.holders_in(_scope(part, day, owned), staff=owned, slots=slots):
        if fanout.chained:
            previous_state = rollup._state_of_run(fanout.previous_run_id)
            state = rollup.step_state(previous_state, rollup._facts_frame(Fact.objects.filter(date=day)), day, catalog)
            mirrors = mirror_days.mirror_states(
                day=day,
                catalog=catalog,
                previous_run_id=fanout.previous_run_id,
                previous_state=previous_state,
                progress=lambda *_: progress(),
            )
        else:
            folded = rollup.states_from_scratch([day, *mirror_days.snapshot_days(day)], catalog, lambda *_: progress())
            state = folded.pop(day)
            mirrors = mirror_days.Mirrors(states=folded)
        # The part's own targets: its units' and its staff's (targets_from_children adds up a head's
        # subtree, which is all in the part).
        targets = rollup.targets_from_children(rollup._targets(day), catalog)
    progress()
    holders = rollup._holder_values(state, day, catalog)
    values = rollup.entity_values(holders, catalog)
    # Units above the part's (their figures need the other parts) are left to the upper levels.
    values = values[(values["staff_id"] != 0) | values["unit_id"].isin(complete)].reset_index(drop=True)
    targets = targets[(targets["staff_id"] != 0) | targets["unit_id"].isin(complete)]
    scored = scoring.score(rollup.scorecard_lines(values, targets, day, catalog), day)
    comparison = mirror_days.comparison_holders(state, mirrors.states, catalog)
    if fanout.with_scorecards:
        lines = mirror_days.with_comparisons(
            scored.lines, values=values, state=state, mirrors=mirrors.states, day=day, catalog=catalog,
            holders=comparison,
        )  # fmt: skip
        scored = scored.with_lines(lines)
    progress()
    totals = _subtree_totals(part, holders, comparison)
    # The staff of every running total written, the mirror days' too (a holder of a mirror day's is in the
    # day's own as well where the fold began before it, as it does: the mirror ones are taken all the same).
    staff = pd.concat([frame["staff_id"] for frame in (state, *mirrors.states.values())], ignore_index=True)
    staff_ids = sorted(int(staff_id) for staff_id in pd.unique(staff.dropna()) if staff_id)
    return _Written(
        run, state, scored, mirrors, fanout.with_scorecards, totals, slot=part_slots(fanout.pk)[part.pk],
        staff_ids=staff_ids,
    )  # fmt: skip


def _slot_ordered(parts) -> list[tuple[int, tuple]]:
    """`parts` (a values_list of one fan-out's parts) with the slot of each part's tables of lines and
    running totals (kpi.partitions): 1, 2, … in the order of the parts' ids (the levels above write 0)."""
    return list(enumerate(parts.order_by("pk"), start=1))


def part_slots(fanout_id: int) -> dict[int, int]:
    """Part id → the slot of its tables."""
    ids = RollupPart.objects.filter(fanout_id=fanout_id).values_list("pk", flat=True)
    return {part_id: slot for slot, part_id in _slot_ordered(ids)}


class _SlotsHolding:
    """Where a part finds its holders' running totals in the runs it reads (rollup.holders_in's `slots`):
    for a fanned-out run whose parts recorded their staff, the slots of the parts that held the part's
    units, its staff, and (the part above) the staff without a post on the day, wherever they were posted
    before. A run not fanned out, or with a part that did not record its staff, is read whole.

    Without it each part of a chained day read all of the day before's tables (one per part) to keep its
    few: 133 tables, 8.2 M rows, 1.9–2.8 s a part on the national bench (README, "The national day again")."""

    def __init__(self, part: RollupPart, day: datetime.date, owned: list[int]) -> None:
        self.units = set(part.unit_ids)
        self.staff = set(owned)
        self.above = part.unit_id is None
        self.day = day
        self._posted: set[int] | None = None
        self._known: dict[int, list[int] | None] = {}

    def __call__(self, run_ids: list[int]) -> dict[int, list[int]]:
        for run_id in set(run_ids) - set(self._known):
            self._known[run_id] = self._of(run_id)
        return {run_id: slots for run_id in run_ids if (slots := self._known[run_id]) is not None}

    def _of(self, run_id: int) -> list[int] | None:
        parts = _slot_ordered(RollupPart.objects.filter(fanout__run_id=run_id).values_list("unit_ids", "staff_ids"))
        if not parts or any(staff_ids is None for _slot, (_units, staff_ids) in parts):
            return None
        return [
            slot
            for slot, (unit_ids, staff_ids) in parts
            if not self.units.isdisjoint(unit_ids)
            or not self.staff.isdisjoint(staff_ids)
            or (self.above and not self.posted.issuperset(staff_ids))
        ]

    @property
    def posted(self) -> set[int]:
        if self._posted is None:
            self._posted = set(Assignment.objects.on(self.day).values_list("staff_id", flat=True))
        return self._posted


def _subtree_totals(part: RollupPart, holders: pd.DataFrame, comparison) -> list[dict]:
    """The part's outlets' values added up to the head unit (each outlet by itself for the part above),
    per metric, period kind and snapshot: what the levels above take from the part."""
    outlets = set(OrgUnit.objects.filter(pk__in=part.unit_ids, kind=UnitKind.OUTLET).values_list("id", flat=True))
    frames = [holders.assign(snapshot=DAY)]
    frame, days = comparison
    if frame is not None and len(frame):
        names = {index: as_of.isoformat() for index, as_of in enumerate(days)} | {-1: YEAR_START}
        frames.append(frame.assign(snapshot=frame["snapshot"].map(names)))
    every = pd.concat(frames, ignore_index=True)
    every = every[(every["staff_id"] == 0) & every["unit_id"].isin(outlets)]
    if every.empty:
        return []
    if part.unit_id is not None:
        every = every.assign(unit_id=part.unit_id)
    sums = every.groupby(["unit_id", "metric_id", "snapshot"], sort=False)[KINDS].sum(min_count=1).reset_index()
    sums = sums.astype(object).where(sums.notna(), None)
    return [
        {key: (int(value) if key in ("unit_id", "metric_id") else value) for key, value in row.items()}
        for row in sums.to_dict("records")
    ]


# -- 3–5. upper levels, ranks, publication -------------------------------------------------------------


def parts_missing(fanout: RollupFanout) -> list[int]:
    return list(fanout.parts.exclude(status=RollupPart.Status.DONE).values_list("pk", flat=True))


def parts_claimable(*, fanout_id: int, now: datetime.datetime | None = None) -> list[int]:
    """The parts of a fan-out that a worker may take now: queued, failed with attempts left, or dead."""
    now = now or timezone.now()
    return list(RollupPart.objects.filter(_claimable(now), fanout_id=fanout_id).values_list("pk", flat=True))


def finish(*, fanout_id: int) -> RollupRun:
    """The levels above the parts, the network's ranks and the publication, once every part is done
    (NotReady otherwise: nothing is published). Safe to run twice: a published run is left as it is."""
    fanout = RollupFanout.objects.select_related("run").get(pk=fanout_id)
    run = fanout.run
    if run.status in rollup.FINISHED:
        return run
    missing = parts_missing(fanout)
    if missing:
        raise NotReady(f"parts not done: {missing}")
    timings: dict[str, float] = {}
    try:
        with named_lock(rollup.LOCK_NAME, on_wait=heartbeat(RollupRun.objects.filter(pk=run.pk))):
            run.refresh_from_db()
            if run.status in rollup.FINISHED:
                return run
            RollupRun.objects.filter(pk=run.pk).update(
                status=RollupRun.Status.RUNNING, heartbeat_at=timezone.now(), message="fanned out: upper levels"
            )
            # The upper levels, the ranks and the publication in one transaction: all or nothing.
            with transaction.atomic():
                began = time.perf_counter()
                upper = RollupRun(pk=run.pk, date=run.date)
                upper_scored = _upper_lines(fanout, _upper_units(fanout))
                rollup._write(upper, rollup.empty_state(), upper_scored, with_scorecards=fanout.with_scorecards)
                timings["upper"] = time.perf_counter() - began

                began = time.perf_counter()
                network_ranks(run.pk)
                timings["ranks"] = time.perf_counter() - began

                began = time.perf_counter()
                if (
                    fanout.chained
                    and not RollupDay.objects.filter(
                        date=run.date - datetime.timedelta(days=1), published_run_id=fanout.previous_run_id
                    ).exists()
                ):
                    raise RuntimeError("the day before was published again meanwhile: roll this day up again")
                counts = fanout.parts.aggregate(cards=Sum("scorecards"), lines=Sum("lines"))
                run.scorecards = (counts["cards"] or 0) + upper.scorecards
                run.lines = (counts["lines"] or 0) + upper.lines
                loaded = rollup.facts_loaded_by(
                    run.date, previous_run_id=fanout.previous_run_id if fanout.chained else None
                )
                rollup.publish(run, run.date, seen=fanout.seen_version, chained=fanout.chained, facts_loaded_at=loaded)
                timings["publish"] = time.perf_counter() - began
    except Exception as exc:
        record_on_fresh_connection(
            RollupRun.objects.filter(pk=run.pk),
            status=RollupRun.Status.FAILED,
            finished_at=timezone.now(),
            message=f"{type(exc).__name__}: {exc}"[:300],
        )
        logger.exception("the fanned-out rollup of %s failed", run.date)
        raise
    RollupFanout.objects.filter(pk=fanout.pk).update(timings=timings)
    bulk.analyze(Scorecard, ScorecardLine, RollupDay)
    return run


def _upper_units(fanout: RollupFanout) -> list[int]:
    """The units above the parts' depth that are not outlets: their subtrees span parts."""
    return list(
        OrgUnit.objects.filter(depth__lt=fanout.depth).exclude(kind=UnitKind.OUTLET).values_list("id", flat=True)
    )


def _upper_lines(fanout: RollupFanout, upper_ids: list[int]) -> scoring.Scored:
    """The scorecard lines of the upper levels from the parts' totals (one query for them all), unscored:
    no template scores a unit above outlets."""
    day = fanout.run.date
    catalog = rollup.Catalog.load()
    rows = [row for totals in fanout.parts.values_list("totals", flat=True) for row in totals]
    frame = pd.DataFrame(rows, columns=["unit_id", "metric_id", "snapshot", *KINDS])
    frame[KINDS] = frame[KINDS].astype(float)
    frame = frame.assign(staff_id=0)
    upper = set(upper_ids)
    paths = dict(OrgUnit.objects.values_list("code", "id"))
    ancestors = {
        unit_id: [paths[code] for code in path.strip("/").split("/") if paths.get(code) in upper]
        for unit_id, path in OrgUnit.objects.filter(pk__in=set(frame["unit_id"])).values_list("id", "path")
    }
    holders = frame[frame["snapshot"] == DAY].drop(columns="snapshot")
    values = (
        rollup.entity_values(holders, catalog, ancestors=ancestors)
        if len(holders)
        else pd.DataFrame(columns=["unit_id", "staff_id", "metric_id", *KINDS])
    )
    targets = rollup.targets_from_children(rollup._targets(day), catalog)
    targets = targets[(targets["staff_id"] == 0) & targets["unit_id"].isin(upper)]
    scored = scoring.unscored(rollup.scorecard_lines(values, targets, day, catalog))
    if fanout.with_scorecards:
        earlier = frame[frame["snapshot"] != DAY]
        days = sorted({datetime.date.fromisoformat(name) for name in earlier["snapshot"] if name != YEAR_START})
        index = {as_of.isoformat(): position for position, as_of in enumerate(days)} | {YEAR_START: -1}
        comparison = (earlier.assign(snapshot=earlier["snapshot"].map(index)), days)
        lines = mirror_days.with_comparisons(
            scored.lines, values=values, state=None, mirrors=None, day=day, catalog=catalog, holders=comparison,
            ancestors=ancestors,
        )  # fmt: skip
        scored = scored.with_lines(lines)
    return scored


def network_ranks(run_id: int) -> int:
    """Rank the run's scorecards across the network (competition ranking 1, 2, 2, 4 by total score, per
    template and period kind): one UPDATE with a window function. Returns the cards ranked."""
    table = Scorecard._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} SET network_rank = ranked.rank_in, network_rank_of = ranked.rank_of
            FROM (
                SELECT id,
                       RANK() OVER (PARTITION BY template_id, period ORDER BY total_score DESC) AS rank_in,
                       COUNT(*) OVER (PARTITION BY template_id, period) AS rank_of
                FROM {table}
                WHERE run_id = %s AND template_id IS NOT NULL AND total_score IS NOT NULL
            ) AS ranked
            WHERE {table}.id = ranked.id
            """,
            [run_id],
        )
        return cursor.rowcount


def _run_held_for_writing(run_id: int) -> bool:
    """Whether the run's rows may still be written, the run row held until the caller's transaction ends:
    FOR KEY SHARE, which the parts writing at once share and the heartbeats' updates do not wait for, and
    which passed_by_discard's FOR UPDATE waits for (so it deletes what a part committed meanwhile). A run
    whose rows were removed (`discarded_at`) is not."""
    if connection.vendor != "postgresql":
        return RollupRun.objects.filter(pk=run_id, discarded_at=None).exists()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {RollupRun._meta.db_table} WHERE id = %s AND discarded_at IS NULL FOR KEY SHARE", [run_id]
        )
        return cursor.fetchone() is not None


# -- repair ----------------------------------------------------------------------------------------------


def resume(*, fanout_id: int) -> RollupRun:
    """Run here every part that is not done (queued, failed, or whose worker died) and finish the day:
    what a lost chord or a failed part leaves is repaired by running this again."""
    fanout = RollupFanout.objects.select_related("run").get(pk=fanout_id)
    for part_id in parts_missing(fanout):
        part_run(part_id=part_id)
    RollupRun.objects.filter(pk=fanout.run_id, status=RollupRun.Status.FAILED).update(
        status=RollupRun.Status.RUNNING, finished_at=None, heartbeat_at=timezone.now()
    )
    return finish(fanout_id=fanout_id)


def rollup_day_in_process(*, day: datetime.date, depth: int = 1, today: datetime.date | None = None) -> RollupRun:
    """The whole fan-out in this process, part after part (tests, a management command on one machine)."""
    fanout = plan(day=day, depth=depth, today=today)
    if fanout is None:
        return RollupRun.objects.filter(date=day).order_by("-pk").first()
    for part_id in fanout.parts.values_list("pk", flat=True):
        part_run(part_id=part_id)
    return finish(fanout_id=fanout.pk)
