"""Reads of KPI results: the rolled-up days and the published scorecards (DOMAIN.md §4–5).

A scorecard is visible only once its run is the published run of its day (RollupDay.published_run):
a rollup that is still writing, failed or was superseded is never read. Every function here issues a
fixed number of queries, however many lines a scorecard has.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from branches.models import OrgUnit, PeerGroup, UnitKind, UnitStatus
from kpi import formulas
from kpi.models import (
    Category,
    Contest,
    ContestPair,
    Metric,
    RollupDay,
    Scorecard,
    ScorecardLine,
    ScorecardTemplate,
    Status,
    TemplateLine,
)
from lib.periods import PeriodKind, period_of
from staff.models import Assignment, Role, StaffMember
from staff.selectors import Scope


def latest_rolled_up_date() -> datetime.date | None:
    """The latest business day whose results are published, or None before the first rollup."""
    return RollupDay.objects.exclude(published_run=None).order_by("-date").values_list("date", flat=True).first()


def scorecard_lines(*, scorecard: Scorecard) -> list[ScorecardLine]:
    """The lines of a scorecard with their metric, in catalog order (prefetched by scorecard_get)."""
    return list(scorecard.lines.all())


def scorecard_get(
    *,
    date: datetime.date,
    period: PeriodKind | str,
    unit: OrgUnit | None = None,
    staff: StaffMember | None = None,
) -> Scorecard | None:
    """The published scorecard of a unit or a staff member for a business day and a period kind.

    Two queries: the scorecard (with its unit and staff), then its lines with their metrics ordered
    by the catalog's sort order. None when the day is not rolled up or the entity has no scorecard.
    """
    if (unit is None) == (staff is None):
        raise ValueError("scorecard_get: pass exactly one of unit= or staff=")
    # The day's own published run, not any published run: a scorecard dated D comes from D's rollup.
    published_run = RollupDay.objects.filter(date=date).exclude(published_run=None).values("published_run")
    lines = ScorecardLine.objects.select_related("metric").order_by("metric__sort_order", "metric__code", "pk")
    queryset = Scorecard.objects.filter(run__in=published_run, date=date, period=str(period))
    queryset = queryset.filter(unit=unit, staff=None) if unit is not None else queryset.filter(staff=staff)
    return (
        queryset.select_related("unit", "staff")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("-pk")
        .first()
    )


def scorecard_sections(*, scorecard: Scorecard) -> list[tuple[str, list[ScorecardLine]]]:
    """The lines grouped by metric category (in the catalog's category order), each group in metric
    order; categories without lines are left out. No query beyond the prefetched lines."""
    by_category: dict[str, list[ScorecardLine]] = {}
    for line in scorecard_lines(scorecard=scorecard):
        by_category.setdefault(line.metric.category, []).append(line)
    order = {value: position for position, value in enumerate(Category.values)}
    labels = dict(Category.choices)
    return [
        (labels.get(category, category), by_category[category])
        for category in sorted(by_category, key=lambda category: order.get(category, len(order)))
    ]


def child_units(*, unit: OrgUnit) -> list[OrgUnit]:
    """The units directly under this one, in tree order (one query)."""
    return list(OrgUnit.objects.filter(parent=unit).order_by("path"))


def staff_assigned(*, unit: OrgUnit, day: datetime.date) -> list[tuple[StaffMember, list[str]]]:
    """Staff members assigned to the unit on `day`, each once with the names of their posts there
    (one query: a teller may hold two posts at one outlet)."""
    assignments = (
        Assignment.objects.on(day)
        .filter(unit=unit)
        .select_related("staff", "post")
        .order_by("staff__code", "post__sort_order")
    )
    people: dict[int, tuple[StaffMember, list[str]]] = {}
    for assignment in assignments:
        people.setdefault(assignment.staff_id, (assignment.staff, []))[1].append(assignment.post.name)
    return list(people.values())


def staff_assignments_on(*, staff: StaffMember, day: datetime.date) -> list[Assignment]:
    """Where a staff member works on `day`: their assignments with post and unit (one query)."""
    return list(Assignment.objects.on(day).filter(staff=staff).select_related("post", "unit").order_by("unit__path"))


def own_scorecard_entity(*, user) -> OrgUnit | StaffMember | None:
    """Whose scorecard "my scorecard" is (DOMAIN.md §1, §7): an outlet head's or a unit manager's unit,
    a staff member's own record, the head office for HQ administrators and auditors; None otherwise."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.role in (Role.UNIT_MANAGER, Role.OUTLET_HEAD):
        return user.unit if user.unit_id else None
    if user.role == Role.STAFF:
        return StaffMember.objects.filter(user=user).first()
    if user.is_superuser or user.role in (Role.HQ_ADMIN, Role.AUDITOR):
        return OrgUnit.objects.filter(parent=None).order_by("path").first()
    return None


# -- the daily bulletin (每日通报): outlets ranked inside a set (DOMAIN.md §1, §5) ------------------------

# Chips of a template without key metrics: its first lines, as many as fit on a bulletin row.
FALLBACK_CHIPS = 4


def peer_groups_visible(*, scope: Scope) -> QuerySet[PeerGroup]:
    """The peer groups whose ranking this scope may read (DOMAIN.md §7).

    Everything for HQ and auditors. Otherwise a group every member of which lies in the scope's
    subtree (a sub-branch manager's own groups), or a group the scope's own unit belongs to: an outlet
    head sees the ranking of their outlet's peers (scores only; their scorecards stay out of scope).
    A group without members is visible where its parent unit is.
    """
    if scope.everything:
        return PeerGroup.objects.all()
    if not scope.unit_path:
        return PeerGroup.objects.none()
    members = PeerGroup.members.through.objects.filter(peergroup=OuterRef("pk"))
    outside = members.exclude(orgunit__path__startswith=scope.unit_path)
    return PeerGroup.objects.filter(
        Exists(members.filter(orgunit__path=scope.unit_path))
        | (Exists(members) & ~Exists(outside))
        | (~Exists(members) & Q(parent_unit__path__startswith=scope.unit_path))
    )


def get_peer_group_or_404(scope: Scope, code: str) -> PeerGroup:
    """The peer group with this code if the scope may read it; 404 whether it is missing or out of scope."""
    group = peer_groups_visible(scope=scope).filter(code=code).first()
    if group is None:
        raise Http404("No such peer group.")
    return group


def peer_group_default(*, outlet: OrgUnit) -> PeerGroup | None:
    """The peer group an outlet is ranked in by default: its automatic group (sub-branch and area), else
    the first group it belongs to."""
    return outlet.peer_groups.order_by("-is_default", "code").first()


@dataclass(frozen=True)
class BulletinChip:
    """The status of one key metric on a bulletin row; status None without a target (or a line)."""

    metric: Metric
    status: str | None

    @property
    def label(self) -> str:
        return Status(self.status).label if self.status else _("No target")


@dataclass(frozen=True)
class BulletinRow:
    """One outlet of the bulletin. `rank` and `rank_of` are inside the set asked for (not the stored peer
    group rank); `movement` is the places gained since the previous day (negative: lost), None when the
    outlet is not ranked on either day or there is no previous day to compare with; `is_new` when it is
    ranked now and was not on the previous day."""

    outlet: OrgUnit
    scorecard: Scorecard | None
    rank: int | None
    rank_of: int | None
    previous_rank: int | None
    movement: int | None
    is_new: bool
    chips: list[BulletinChip]
    # False for a peer outside the reader's scope: DOMAIN §7 gives an outlet head peer rankings, scores
    # only, so the chips and the veto reason of other outlets are not shown.
    details_visible: bool = True

    @property
    def total_score(self) -> Decimal | None:
        return self.scorecard.total_score if self.scorecard else None

    @property
    def vetoed(self) -> bool:
        return bool(self.scorecard and self.scorecard.vetoed)

    @property
    def veto_reason(self) -> str:
        return self.scorecard.veto_reason if self.scorecard and self.details_visible else ""

    @property
    def places(self) -> int | None:
        """How many places it moved, either way."""
        return abs(self.movement) if self.movement is not None else None

    @property
    def direction(self) -> str | None:
        """One of up, down, same, new; None when there is nothing to compare."""
        if self.is_new:
            return "new"
        if self.movement is None:
            return None
        return "up" if self.movement > 0 else "down" if self.movement < 0 else "same"


def _set_ranks(scores: dict[int, Decimal | None]) -> dict[int, int]:
    """Outlet id → competition rank (1, 2, 2, 4) by score inside this set; outlets without a score are
    left out."""
    series = pd.Series({outlet_id: float(score) for outlet_id, score in scores.items() if score is not None})
    if series.empty:
        return {}
    return {outlet_id: int(rank) for outlet_id, rank in formulas.competition_rank(series).items()}


def bulletin_rows(
    *,
    date: datetime.date,
    period: PeriodKind | str,
    group: PeerGroup | None = None,
    unit: OrgUnit | None = None,
    scope: Scope | None = None,
) -> list[BulletinRow]:
    """The outlets of a peer group (or of a unit's subtree), ranked by their published score for the
    business day and period kind, best first; outlets without a score follow, unranked.

    1. The set: the group's members, or the outlets under the unit; a closed outlet only while it still
       has a scorecard that day.
    2. The published scorecards of the day and of the day before, in one query; each day is ranked
       inside this set with kpi.formulas.competition_rank, so a ranking of a sub-branch's whole subtree
       is not the stored peer-group rank.
    3. The chips: the key metrics (TemplateLine.is_key) of each scorecard's template, else its first
       lines, with the status of the scorecard's line for that metric.

    Five queries whatever the number of outlets. An empty list when the day has not been rolled up.
    """
    if (group is None) == (unit is None):
        raise ValueError("bulletin_rows: pass exactly one of group= or unit=")
    # 0001-01-01 has no day before it (a date a client may well send): then there is no movement.
    previous_date = date - datetime.timedelta(days=1) if date > datetime.date.min else date
    runs = dict(
        RollupDay.objects.filter(date__in=[date, previous_date])
        .exclude(published_run=None)
        .values_list("date", "published_run_id")
    )
    if date not in runs:
        return []

    outlets_queryset = group.members.all() if group is not None else OrgUnit.objects.subtree(unit)
    outlets_queryset = outlets_queryset.filter(kind=UnitKind.OUTLET)
    outlets = list(outlets_queryset.order_by("path"))
    cards = Scorecard.objects.filter(
        run_id__in=runs.values(), period=str(period), staff=None, unit__in=outlets_queryset.values("pk")
    )
    today: dict[int, Scorecard] = {}
    yesterday: dict[int, Decimal | None] = {}
    for card in cards:
        if card.run_id == runs[date]:
            today[card.unit_id] = card
        else:
            yesterday[card.unit_id] = card.total_score
    outlets = [outlet for outlet in outlets if outlet.status != UnitStatus.CLOSED or outlet.pk in today]

    ranks = _set_ranks({outlet.pk: today[outlet.pk].total_score for outlet in outlets if outlet.pk in today})
    # Nothing to compare with when the day before was not rolled up or kept no scorecards (old days
    # keep only period ends): every outlet would otherwise look "new".
    compared = bool(yesterday)
    previous_ranks = _set_ranks({outlet.pk: yesterday.get(outlet.pk) for outlet in outlets}) if compared else {}

    chip_metrics = _chip_metrics(template_ids={card.template_id for card in today.values() if card.template_id})
    chip_metric_ids = {metric.pk for metrics in chip_metrics.values() for metric in metrics}
    lines = ScorecardLine.objects.filter(
        scorecard__in=cards.filter(run_id=runs[date]).values("pk"), metric_id__in=chip_metric_ids
    )
    statuses = {
        (line["scorecard_id"], line["metric_id"]): line["status"]
        for line in (lines.values("scorecard_id", "metric_id", "status") if chip_metric_ids else [])
    }

    rows = []
    for outlet in outlets:
        card = today.get(outlet.pk)
        rank = ranks.get(outlet.pk)
        previous_rank = previous_ranks.get(outlet.pk)
        chips = [
            BulletinChip(metric=metric, status=statuses.get((card.pk, metric.pk)))
            for metric in (chip_metrics.get(card.template_id, []) if card else [])
        ]
        rows.append(
            BulletinRow(
                outlet=outlet,
                scorecard=card,
                rank=rank,
                rank_of=len(ranks) if rank is not None else None,
                previous_rank=previous_rank,
                movement=previous_rank - rank if rank is not None and previous_rank is not None else None,
                is_new=compared and rank is not None and previous_rank is None,
                chips=chips if scope is None or scope.can_see_unit(outlet) else [],
                details_visible=scope is None or scope.can_see_unit(outlet),
            )
        )
    # Ranked first, best first; then the unranked; ties and the unranked in tree order.
    order = {outlet.pk: position for position, outlet in enumerate(outlets)}
    rows.sort(key=lambda row: (row.rank is None, row.rank or 0, order[row.outlet.pk]))
    return rows


def _chip_metrics(*, template_ids: set[int]) -> dict[int, list[Metric]]:
    """Template id → the metrics its bulletin chips show: the key lines, else the first lines."""
    if not template_ids:
        return {}
    lines_of: dict[int, list[TemplateLine]] = {}
    for line in (
        TemplateLine.objects.filter(template_id__in=template_ids)
        .select_related("metric")
        .order_by("template_id", "sort_order", "pk")
    ):
        lines_of.setdefault(line.template_id, []).append(line)
    return {
        template_id: [line.metric for line in ([line for line in lines if line.is_key] or lines[:FALLBACK_CHIPS])]
        for template_id, lines in lines_of.items()
    }


def bulletin_units(*, scope: Scope) -> list[OrgUnit]:
    """The units above outlets whose subtree this scope may rank on the bulletin (the picker), in tree
    order (one query)."""
    return list(scope.units(OrgUnit.objects.exclude(kind=UnitKind.OUTLET)).order_by("path"))


# -- PK contests and benchmark outlets (标杆网点) ---------------------------------------------------------


def contests_visible(*, scope: Scope) -> QuerySet[Contest]:
    """The contests this scope may read (DOMAIN.md §7): everything for HQ and auditors; otherwise those
    organised by a unit of the scope's subtree, and those an outlet of the subtree competes in (an
    outlet head follows their own PK, whoever organised it). One query."""
    contests = Contest.objects.select_related("unit", "template")
    if scope.everything:
        return contests
    if not scope.unit_path:
        return contests.none()
    competing = ContestPair.objects.filter(contest=OuterRef("pk")).filter(
        Q(outlet_a__path__startswith=scope.unit_path) | Q(outlet_b__path__startswith=scope.unit_path)
    )
    return contests.filter(Q(unit__path__startswith=scope.unit_path) | Exists(competing))


def contest_get_or_404(*, scope: Scope, contest_id: int) -> Contest:
    """The contest if this scope may read it; 404 whether it is missing or out of scope."""
    contest = contests_visible(scope=scope).filter(pk=contest_id).first()
    if contest is None:
        raise Http404("No such contest.")
    return contest


@dataclass(frozen=True)
class BenchmarkRow:
    """One metric: the benchmark's latest month, the replica's month before its transformation and its
    latest month (None: no figure)."""

    metric: Metric
    benchmark: ScorecardLine | None
    before: ScorecardLine | None
    after: ScorecardLine | None

    @property
    def figures(self) -> tuple[ScorecardLine | None, ScorecardLine | None, ScorecardLine | None]:
        """In the page's column order: before, after, the benchmark."""
        return self.before, self.after, self.benchmark


@dataclass
class ReplicaComparison:
    """A replica (标杆复制网点) next to its benchmark."""

    outlet: OrgUnit
    before_date: datetime.date | None  # the last day of the month before `transformed_on`
    rows: list[BenchmarkRow]


@dataclass
class BenchmarkComparison:
    benchmark: OrgUnit
    as_of: datetime.date | None  # the latest rolled-up day: the "after" month is to date of this day
    template: ScorecardTemplate | None  # the template that scores the benchmark, when one does
    metrics: list[Metric]
    replicas: list[ReplicaComparison]


def benchmark_comparison(*, scope: Scope, benchmark: OrgUnit) -> BenchmarkComparison:
    """A benchmark outlet next to the outlets that replicate it, on month figures (标杆复制).

    1. Replicas: the outlets whose `benchmark` is this one, within the scope (others are left out).
    2. "After": every outlet's month scorecard as of the latest rolled-up day (month to date); "before":
       a replica's month scorecard of the last day of the month before its transformation date (period
       ends are kept by the rollup however old). A replica without a transformation date has no "before".
    3. Metrics: the lines of the template that scores the benchmark (its latest month scorecard's
       template), else the metrics on that scorecard, in catalog order.
    Five queries whatever the number of replicas.
    """
    replicas = list(scope.units(benchmark.replicas.all()).order_by("code"))
    as_of = latest_rolled_up_date()
    before_dates: dict[int, datetime.date] = {}
    for replica in replicas:
        if replica.transformed_on:
            month_before = period_of(PeriodKind.MONTH, replica.transformed_on).previous()
            if as_of is not None and month_before.end <= as_of:
                before_dates[replica.pk] = month_before.end
    dates = {as_of, *before_dates.values()} - {None}
    lines = ScorecardLine.objects.select_related("metric")
    cards = (
        Scorecard.objects.filter(
            run__in=RollupDay.objects.filter(date__in=dates).exclude(published_run=None).values("published_run"),
            period=PeriodKind.MONTH,
            unit__in=[benchmark, *replicas],
            staff=None,
        ).prefetch_related(Prefetch("lines", queryset=lines))
        if dates
        else Scorecard.objects.none()
    )
    by_unit_date = {(card.unit_id, card.date): card for card in cards}

    def lines_of(unit_id: int, day: datetime.date | None) -> dict[int, ScorecardLine]:
        card = by_unit_date.get((unit_id, day))
        return {line.metric_id: line for line in card.lines.all()} if card else {}

    benchmark_card = by_unit_date.get((benchmark.pk, as_of))
    template = None
    if benchmark_card is not None and benchmark_card.template_id:
        template = (
            ScorecardTemplate.objects.filter(pk=benchmark_card.template_id)
            .prefetch_related(
                Prefetch("lines", queryset=TemplateLine.objects.select_related("metric").order_by("sort_order", "pk"))
            )
            .first()
        )
    if template is not None:
        metrics = [line.metric for line in template.lines.all()]
    else:
        benchmark_metrics = [line.metric for line in benchmark_card.lines.all()] if benchmark_card else []
        metrics = sorted(benchmark_metrics, key=lambda metric: (metric.sort_order, metric.code))
    benchmark_lines = lines_of(benchmark.pk, as_of)
    comparisons = []
    for replica in replicas:
        before, after = lines_of(replica.pk, before_dates.get(replica.pk)), lines_of(replica.pk, as_of)
        rows = [
            BenchmarkRow(metric, benchmark_lines.get(metric.pk), before.get(metric.pk), after.get(metric.pk))
            for metric in metrics
        ]
        comparisons.append(ReplicaComparison(outlet=replica, before_date=before_dates.get(replica.pk), rows=rows))
    return BenchmarkComparison(
        benchmark=benchmark, as_of=as_of, template=template, metrics=metrics, replicas=comparisons
    )


def contest_standings_for(standings, *, scope: Scope):
    """The standings as the reader may see them. DOMAIN §7 gives an outlet head peer rankings, scores
    only: on a pair where the reader sees neither outlet, each side keeps its score and who leads, and
    loses its actual, target, attainment and status. HQ and auditors see everything."""
    from dataclasses import replace

    if scope.everything:
        return standings
    hidden = {"actual": None, "target": None, "attainment": None, "pace_attainment": None, "status": None}
    for pair in standings.pairs:
        if scope.can_see_unit(pair.outlet_a) or scope.can_see_unit(pair.outlet_b):
            continue
        pair.metrics = [
            replace(
                duel,
                a=replace(duel.a, **hidden) if duel.a else None,
                b=replace(duel.b, **hidden) if duel.b else None,
            )
            for duel in pair.metrics
        ]
    return standings


# -- the overview: a unit's children × key metrics, coloured by status (home page of managers, HQ) -------

# The columns where no template scores the child units (units above outlets have no template): the
# bank's headline figures of DOMAIN.md §8, balances first.
DEFAULT_OVERVIEW_METRICS = (
    "deposit_balance",
    "loan_balance",
    "mobile_banking_signups",
    "customers_served",
    "satisfaction_rate",
    "complaints",
)

# How many lines behind pace the overview lists (real alerts with owners and deadlines come later).
BEHIND_PACE_LIMIT = 20

# The states of an overview cell, in the heatmap's legend order.
OVERVIEW_STATES = ("green", "amber", "red", "none", "missing")


@dataclass(frozen=True)
class OverviewCell:
    """A child unit's standing on one metric: the status of its scorecard line (None without a target),
    or no line at all (`has_line` False: no scorecard that day, or no figure for the metric)."""

    metric: Metric
    has_line: bool = False
    status: str | None = None
    actual: Decimal | None = None
    target: Decimal | None = None
    pace_attainment: Decimal | None = None

    @property
    def state(self) -> str:
        """One of OVERVIEW_STATES: green, amber, red; none (a line without a target); missing (no line)."""
        if not self.has_line:
            return "missing"
        return self.status or "none"

    @property
    def label(self) -> str:
        if self.status:
            return Status(self.status).label
        return _("No target") if self.has_line else _("No figures")


@dataclass(frozen=True)
class OverviewRow:
    unit: OrgUnit
    has_children: bool
    cells: list[OverviewCell]


@dataclass(frozen=True)
class Overview:
    """The heatmap of a unit: one row per child unit, one column per key metric."""

    unit: OrgUnit
    date: datetime.date | None
    period: str
    metrics: list[Metric]
    rows: list[OverviewRow]


def overview_get(*, unit: OrgUnit, date: datetime.date | None, period: PeriodKind | str) -> Overview:
    """The status of each child unit on each key metric for a business day and period kind.

    1. Rows: the units directly under `unit` (child_units), a closed one only while it still has a
       scorecard that day; and which of them have units under them (to link to their own overview).
    2. The children's scorecards of the day's published run, in one query.
    3. Columns ("key metrics"): the lines of the templates that score those scorecards (the outlet
       templates, under a sub-branch), in template order, each metric once; where no template scores
       them (units above outlets), DEFAULT_OVERVIEW_METRICS.
    4. Cells: the lines of those scorecards for those metrics, in one query.

    Five queries whatever the number of child units (three before the first rollup, `date` None).
    """
    children = child_units(unit=unit)
    parents = set(OrgUnit.objects.filter(parent__parent=unit).order_by().values_list("parent_id", flat=True).distinct())
    cards: dict[int, dict] = {}
    if date is not None:
        published_run = RollupDay.objects.filter(date=date).exclude(published_run=None).values("published_run")
        for card in (
            Scorecard.objects.filter(
                run__in=published_run, date=date, period=str(period), staff=None, unit__parent=unit
            )
            .order_by("pk")
            .values("pk", "unit_id", "template_id")
        ):
            cards[card["unit_id"]] = card  # the latest wins, as in scorecard_get
    metrics = _overview_metrics(template_ids={card["template_id"] for card in cards.values() if card["template_id"]})
    lines: dict[tuple[int, int], dict] = {}
    if cards and metrics:
        for line in ScorecardLine.objects.filter(
            scorecard_id__in=[card["pk"] for card in cards.values()], metric_id__in=[metric.pk for metric in metrics]
        ).values("scorecard_id", "metric_id", "status", "actual", "target", "pace_attainment"):
            lines[line["scorecard_id"], line["metric_id"]] = line

    rows = []
    for child in children:
        card = cards.get(child.pk)
        if child.status == UnitStatus.CLOSED and card is None:
            continue
        cells = []
        for metric in metrics:
            line = lines.get((card["pk"], metric.pk)) if card else None
            cells.append(
                OverviewCell(
                    metric=metric,
                    has_line=line is not None,
                    status=line["status"] if line else None,
                    actual=line["actual"] if line else None,
                    target=line["target"] if line else None,
                    pace_attainment=line["pace_attainment"] if line else None,
                )
            )
        rows.append(OverviewRow(unit=child, has_children=child.pk in parents, cells=cells))
    return Overview(unit=unit, date=date, period=str(period), metrics=metrics, rows=rows)


def _overview_metrics(*, template_ids: set[int]) -> list[Metric]:
    """The overview's columns: the metrics of these templates' lines, else the default list (one query)."""
    if template_ids:
        template_lines = (
            TemplateLine.objects.filter(template_id__in=template_ids)
            .select_related("metric")
            .order_by("template__code", "template_id", "sort_order", "pk")
        )
        metrics: dict[int, Metric] = {}
        for line in template_lines:
            metrics.setdefault(line.metric_id, line.metric)
        if metrics:
            return list(metrics.values())
    by_code = Metric.objects.in_bulk(DEFAULT_OVERVIEW_METRICS, field_name="code")
    return [by_code[code] for code in DEFAULT_OVERVIEW_METRICS if code in by_code]


def behind_pace_lines(
    *, unit: OrgUnit, date: datetime.date | None, period: PeriodKind | str, limit: int = BEHIND_PACE_LIMIT
) -> tuple[list[ScorecardLine], int]:
    """The lines behind pace (status red) of the unit and every unit under it, on the published
    scorecards of the day and period kind: the most behind first (lowest pace-adjusted attainment), at
    most `limit`, each with its scorecard's unit and its metric; and how many there are in all.

    Two queries (the lines, the count). A stand-in for early-warning items, which will have an owner
    and a deadline; these are only what the figures say today.
    """
    if date is None:
        return [], 0
    published_run = RollupDay.objects.filter(date=date).exclude(published_run=None).values("published_run")
    behind = ScorecardLine.objects.filter(
        scorecard__run__in=published_run,
        scorecard__date=date,
        scorecard__period=str(period),
        scorecard__staff=None,
        scorecard__unit__path__startswith=unit.path,
        status=Status.RED,
    )
    shown = list(
        behind.select_related("scorecard__unit", "metric").order_by(
            "pace_attainment", "scorecard__unit__path", "metric__sort_order", "metric__code"
        )[:limit]
    )
    return shown, behind.count()


def own_overview_unit(*, user) -> OrgUnit | None:
    """The unit whose overview is a user's home page: a unit manager's unit, the head office for HQ
    administrators, auditors and superusers; None for outlet heads and staff (they start on a scorecard)."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.role == Role.UNIT_MANAGER:
        return user.unit if user.unit_id else None
    if user.is_superuser or user.role in (Role.HQ_ADMIN, Role.AUDITOR):
        return OrgUnit.objects.filter(parent=None).order_by("path").first()
    return None


# -- the daily history of metrics: the scorecard's trend charts and the metric history page ------------


def published_day_get(*, date: datetime.date) -> RollupDay | None:
    """The rolled-up day with its published run (when its facts arrived, when it was published), or None
    when the day has not been published (one query)."""
    return RollupDay.objects.filter(date=date).exclude(published_run=None).select_related("published_run").first()


@dataclass(frozen=True)
class HistoryPoint:
    """One metric of one entity on one business day, as that day's published scorecard of the period kind
    has it (month to date on each day, for a month). `pace` is where the target says the actual should be
    that day: target × time progress for the cumulative kinds, the target itself for the level kinds, to
    four decimals like the stored amounts; None without a target."""

    date: datetime.date
    metric_id: int
    actual: Decimal | None
    target: Decimal | None
    time_progress: Decimal
    attainment: Decimal | None
    pace_attainment: Decimal | None
    status: str | None
    pace: Decimal | None

    @property
    def status_label(self) -> str:
        return Status(self.status).label if self.status else _("No target")


def _amount(value: float) -> Decimal:
    """A float of the vectorised formulas back to an amount with four decimals (500 × 0.666667 is
    333.33349999999996 in floating point, 333.3335 here)."""
    from decimal import ROUND_HALF_UP  # local: the module's imports are shared, this section only appends

    return Decimal(repr(float(value))).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP) + 0


def metric_history(
    *,
    period: PeriodKind | str,
    first: datetime.date,
    last: datetime.date,
    unit: OrgUnit | None = None,
    staff: StaffMember | None = None,
    metric: Metric | None = None,
) -> list[HistoryPoint]:
    """The daily values of one metric (or of every metric) of a unit or a staff member for a period kind,
    from the published scorecard of each day from `first` to `last`, ordered by metric and date.

    One query, whatever the number of days or metrics: the lines of the entity's scorecards in the
    published runs of those days (a subquery on RollupDay), no query per day. A day that was not rolled
    up, or whose daily scorecards were pruned (SCORECARD_RETENTION_DAYS keeps only period ends of older
    days), has no point: the caller shows it as a gap.
    """
    # Local: the module's imports are shared, and this section only appends.
    from kpi.models import CUMULATIVE

    if (unit is None) == (staff is None):
        raise ValueError("metric_history: pass exactly one of unit= or staff=")
    published_runs = (
        RollupDay.objects.filter(date__range=(first, last)).exclude(published_run=None).values("published_run")
    )
    lines = ScorecardLine.objects.filter(
        scorecard__run__in=published_runs, scorecard__date__range=(first, last), scorecard__period=str(period)
    )
    if unit is not None:
        lines = lines.filter(scorecard__unit=unit, scorecard__staff=None)
    else:
        lines = lines.filter(scorecard__staff=staff)
    if metric is not None:
        lines = lines.filter(metric=metric)
    rows = list(
        lines.order_by("metric_id", "scorecard__date", "scorecard_id").values(
            "scorecard__date",
            "metric_id",
            "metric__aggregation",
            "actual",
            "target",
            "time_progress",
            "attainment",
            "pace_attainment",
            "status",
        )
    )
    # One line per metric and day (the latest scorecard, as scorecard_get reads it).
    rows = list({(row["metric_id"], row["scorecard__date"]): row for row in rows}.values())
    if not rows:
        return []
    targets = pd.Series([row["target"] for row in rows], dtype="float64").to_numpy()
    progress = pd.Series([row["time_progress"] for row in rows], dtype="float64").to_numpy()
    cumulative = [row["metric__aggregation"] in CUMULATIVE for row in rows]
    # The pace line is the actual at which the gap to pace would be 0: gap_to_pace(0, …) negated.
    paces = -formulas.gap_to_pace(0.0, targets, progress, cumulative=cumulative)
    return [
        HistoryPoint(
            date=row["scorecard__date"],
            metric_id=row["metric_id"],
            actual=row["actual"],
            target=row["target"],
            time_progress=row["time_progress"],
            attainment=row["attainment"],
            pace_attainment=row["pace_attainment"],
            status=row["status"],
            pace=None if pd.isna(pace) else _amount(pace),
        )
        for row, pace in zip(rows, paces, strict=True)
    ]
