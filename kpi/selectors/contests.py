"""PK contests (两两一组 PK) and benchmark outlets (标杆网点) with their replicas, in the reader's scope."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from branches.models import OrgUnit
from kpi.models import (
    Contest,
    ContestPair,
    Metric,
    RollupDay,
    Scorecard,
    ScorecardLine,
    ScorecardTemplate,
    TemplateLine,
)
from kpi.selectors.scorecards import latest_rolled_up_date
from lib.periods import PeriodKind, period_of
from staff.access import Scope


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
    rollout: object | None = None  # its transformation rollout's progress (kpi.selectors.rollout), if any


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
            run__in=RollupDay.objects.published().filter(date__in=dates).runs(),
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
