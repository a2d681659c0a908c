"""PK contests (两两一组 PK): outlets paired head to head over a period, on a template or a set of metrics.

Contests run on calendar periods: a week, a month, a quarter or a year (2026-W48, 2026-11, 2026-Q4,
2026). The rollup already publishes every outlet's scorecard for the period of each kind that contains
a day, so a contest reads its figures from the scorecards of its period's kind as of
min(as_of, period end), and its final result from the scorecard of the period's last day (period ends
are kept however old: reviews and pay are based on them). A contest saved with dates that are not a
calendar period (made in the shell or before this rule) is read from the shortest calendar period that
covers it, to date; its page says so.

Head to head (contest_standings), per pair and per metric:

1. Each side's figures are its scorecard line: actual, target, attainment, pace-adjusted attainment.
2. The leader on a metric is the side with the higher pace-adjusted attainment when both sides have a
   target (attainment already turns round for lower-is-better metrics), else the better actual (the
   lower one when lower is better). A side without a figure leads nothing; equal figures are a tie.
3. Overall: on a template contest the higher contest score, Σ of the template's line scores computed
   from each side's lines by the template's own rules (kpi.formulas, as the rollup does, so it equals
   the scorecard's total score when the outlet is scored under that template version); on a metrics
   contest the side that leads more metrics. Equal is a tie, said as such.
4. The winner is the overall leader once the period has ended and its last day is rolled up.

A judged contest (营销话术, 服务礼仪, 晨会 PK) is scored by its panel instead: each side's score is its
judged score (kpi.services.judging), shown once the judging has closed after the last day.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from branches.models import OrgUnit, UnitKind
from kpi import formulas
from kpi.models import (
    Contest,
    ContestPair,
    Direction,
    LineKind,
    Metric,
    RollupDay,
    Scorecard,
    ScorecardLine,
    ScorecardTemplate,
    TemplateLine,
)
from kpi.services.judging import judged_scores, judging_closed
from lib.periods import Period, PeriodKind, period_of
from staff.access import scope_for_user
from staff.models import User

# The kinds a contest may run on, shortest first (the first that covers a period is the best cover).
CONTEST_PERIOD_KINDS: tuple[PeriodKind, ...] = (
    PeriodKind.WEEK,
    PeriodKind.MONTH,
    PeriodKind.QUARTER,
    PeriodKind.YEAR,
)


class Lead(StrEnum):
    """Who leads a metric, a pair or who won: outlet A, outlet B, or neither (a tie)."""

    A = "a"
    B = "b"
    TIE = "tie"


# -- periods --------------------------------------------------------------------------------------


def calendar_period(start: datetime.date, end: datetime.date) -> Period | None:
    """The week, month, quarter or year that runs exactly from start to end; None if there is none."""
    for kind in CONTEST_PERIOD_KINDS:
        period = period_of(kind, start)
        if period.start == start and period.end == end:
            return period
    return None


def contest_period(contest: Contest) -> tuple[Period, bool]:
    """The calendar period whose scorecards a contest is read from, and whether it is the contest's own.

    A calendar contest reads its own period. Otherwise: the shortest calendar period containing both its
    first and last day (the figures are then that period's to date, starting before the contest)."""
    exact = calendar_period(contest.period_start, contest.period_end)
    if exact is not None:
        return exact, True
    for kind in CONTEST_PERIOD_KINDS:
        period = period_of(kind, contest.period_end)
        if period.start <= contest.period_start:
            return period, False
    # Spanning two years: the last year's figures, to date.
    return period_of(PeriodKind.YEAR, contest.period_end), False


# -- creating a contest and pairing outlets ----------------------------------------------------------


def can_create_contests(user: User, unit: OrgUnit | None = None) -> bool:
    """HQ administrators anywhere; a unit manager inside their own subtree (staff.access)."""
    return scope_for_user(user).may_manage_contests(unit)


def contest_problems(
    *,
    name: str,
    unit: OrgUnit | None,
    period_start: datetime.date | None,
    period_end: datetime.date | None,
    template: ScorecardTemplate | None,
    metrics: Sequence[Metric],
    judged: bool = False,
) -> dict[str, list[str]]:
    """What is wrong with a contest's settings, by field (empty when nothing is)."""
    problems: dict[str, list[str]] = {}

    def add(field_name: str, message: str) -> None:
        problems.setdefault(field_name, []).append(message)

    if not (name or "").strip():
        add("name", _("Give the contest a name."))
    if unit is not None and unit.kind == UnitKind.OUTLET:
        add("unit", _("A contest is organised by a unit above outlets: its outlets compete."))
    if period_start and period_end:
        if period_end < period_start:
            add("period_end", _("The contest ends before it starts."))
        elif calendar_period(period_start, period_end) is None:
            add(
                "period_end",
                _(
                    "A contest runs over a calendar week, month, quarter or year (e.g. 2026-W48, 2026-11, 2026-Q4); "
                    "%(start)s – %(end)s is none of them."
                )
                % {"start": period_start, "end": period_end},
            )
    if judged and (template is not None or metrics):
        add("template", _("A judged contest is scored by its panel: choose no template nor metrics."))
    if not judged and template is None and not metrics:
        add("template", _("Choose a scorecard template or at least one metric to compete on."))
    if template is not None and metrics:
        add("template", _("Choose a scorecard template or metrics, not both."))
    if template is not None and template.subject != ScorecardTemplate.Subject.OUTLET:
        add("template", _("Choose a template that scores outlets."))
    return problems


@transaction.atomic
def contest_create(
    *,
    name: str,
    unit: OrgUnit,
    period_start: datetime.date,
    period_end: datetime.date,
    template: ScorecardTemplate | None = None,
    metrics: Iterable[Metric] = (),
    judged: bool = False,
    created_by: User,
) -> Contest:
    """Create a contest (without pairs: see contest_pairs_set). PermissionDenied unless the creator is an
    HQ administrator or a unit manager whose subtree contains `unit`; ValidationError (by field) for
    settings that do not make a contest."""
    if not can_create_contests(created_by, unit):
        raise PermissionDenied(_("Only HQ administrators and the unit's managers create contests."))
    metrics = list(metrics)
    problems = contest_problems(
        name=name,
        unit=unit,
        period_start=period_start,
        period_end=period_end,
        template=template,
        metrics=metrics,
        judged=judged,
    )
    if problems:
        raise ValidationError(problems)
    contest = Contest.objects.create(
        name=name.strip(),
        unit=unit,
        period_start=period_start,
        period_end=period_end,
        template=template,
        judged=judged,
        created_by=created_by,
    )
    if metrics:
        contest.metrics.set(metrics)
    return contest


def pair_problems(*, unit: OrgUnit, pairs: Sequence[tuple[OrgUnit, OrgUnit]]) -> list[str]:
    """What is wrong with a set of pairs for a contest organised by `unit` (empty when nothing is)."""
    problems: list[str] = []
    seen: set[int] = set()
    for number, (outlet_a, outlet_b) in enumerate(pairs, start=1):
        if outlet_a.pk == outlet_b.pk:
            problems.append(
                _("Pair %(number)s: %(code)s cannot compete with itself.") % {"number": number, "code": outlet_a.code}
            )
        for outlet in (outlet_a, outlet_b):
            if outlet.kind != UnitKind.OUTLET or not outlet.path.startswith(unit.path):
                problems.append(
                    _("Pair %(number)s: %(code)s is not an outlet of %(unit)s.")
                    % {"number": number, "code": outlet.code, "unit": unit.code}
                )
        for outlet in {outlet_a.pk: outlet_a, outlet_b.pk: outlet_b}.values():
            if outlet.pk in seen:
                problems.append(
                    _("Pair %(number)s: %(code)s is already in another pair; an outlet competes once.")
                    % {"number": number, "code": outlet.code}
                )
            seen.add(outlet.pk)
    return problems


@transaction.atomic
def contest_pairs_set(*, contest: Contest, pairs: Sequence[tuple[OrgUnit, OrgUnit]]) -> list[ContestPair]:
    """Replace the contest's pairs with these, all or nothing. ValidationError lists every problem: an
    outlet in two pairs, an outlet paired with itself, a unit that is not an outlet of the contest's
    unit."""
    problems = pair_problems(unit=contest.unit, pairs=pairs)
    if problems:
        raise ValidationError(problems)
    contest.pairs.all().delete()
    return ContestPair.objects.bulk_create(
        ContestPair(contest=contest, outlet_a=outlet_a, outlet_b=outlet_b) for outlet_a, outlet_b in pairs
    )


@dataclass(frozen=True)
class PairProposal:
    """Pairs of outlets of similar score, best first; the outlet left over when their number is odd; the
    month score each was sorted by (None: no published month score) and the day it is of."""

    pairs: list[tuple[OrgUnit, OrgUnit]]
    odd_one_out: OrgUnit | None
    scores: dict[int, Decimal | None]
    scores_of: datetime.date | None


def contest_pairs_propose(*, contest: Contest, as_of: datetime.date) -> PairProposal:
    """Pair outlets of similar score: the active outlets of the contest's unit sorted by their month total
    score on the latest rolled-up day on or before `as_of` (highest first, outlets without a score last,
    then by code), paired as neighbours 1–2, 3–4, …. An odd one out (the last) is reported, not paired.
    Nothing is saved: the caller shows the proposal and saves it with contest_pairs_set. Three queries."""
    outlets = list(OrgUnit.objects.subtree(contest.unit).outlets().active().order_by("code"))
    scores_of = (
        RollupDay.objects.published()
        .filter(date__lte=as_of)
        .order_by("-date")
        .values_list("date", "published_run")
        .first()
    )
    scores: dict[int, Decimal | None] = {outlet.pk: None for outlet in outlets}
    if scores_of is not None:
        rows = Scorecard.objects.filter(
            run_id=scores_of[1], period=PeriodKind.MONTH, unit__in=outlets, staff=None
        ).values_list("unit_id", "total_score")
        for unit_id, total_score in rows:
            scores[unit_id] = total_score
    ranked = sorted(
        outlets, key=lambda outlet: (scores[outlet.pk] is None, -(scores[outlet.pk] or Decimal(0)), outlet.code)
    )
    pairs = [(ranked[index], ranked[index + 1]) for index in range(0, len(ranked) - 1, 2)]
    odd_one_out = ranked[-1] if len(ranked) % 2 else None
    return PairProposal(
        pairs=pairs, odd_one_out=odd_one_out, scores=scores, scores_of=scores_of[0] if scores_of else None
    )


# -- head to head ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SideFigures:
    """One outlet's figures on one metric of a contest (its scorecard line), and its contest line score
    on a template contest."""

    actual: Decimal | None
    target: Decimal | None
    attainment: Decimal | None
    pace_attainment: Decimal | None
    status: str | None
    score: Decimal | None = None


@dataclass(frozen=True)
class MetricDuel:
    metric: Metric
    a: SideFigures | None
    b: SideFigures | None
    # "pace": compared by pace-adjusted attainment; "actual": by the actual; None: not comparable.
    basis: str | None
    leader: Lead | None

    @property
    def sides(self) -> list[tuple[Lead, SideFigures | None]]:
        """Both sides in page order, for templates: [(Lead.A, a), (Lead.B, b)]."""
        return [(Lead.A, self.a), (Lead.B, self.b)]


@dataclass
class PairStanding:
    pair: ContestPair
    metrics: list[MetricDuel]
    score_a: Decimal | None = None  # template contests: the contest score of each side
    score_b: Decimal | None = None
    vetoed_a: bool = False
    vetoed_b: bool = False
    led_a: int = 0  # metrics led by each side
    led_b: int = 0
    leader: Lead | None = None  # overall; None when there is nothing to compare
    winner: Lead | None = None  # the overall leader once the contest has ended (TIE: a draw)
    sheets_a: int = 0  # judged contests: the score sheets in for each side
    sheets_b: int = 0

    @property
    def outlet_a(self) -> OrgUnit:
        return self.pair.outlet_a

    @property
    def outlet_b(self) -> OrgUnit:
        return self.pair.outlet_b


@dataclass
class ContestStandings:
    contest: Contest
    period: Period  # the calendar period whose scorecards are read
    calendar: bool  # False: the contest's dates are not a calendar period (figures are `period`'s to date)
    as_of: datetime.date
    figures_date: datetime.date | None  # the rolled-up day the figures are of; None: none yet
    started: bool
    ended: bool  # as_of is on or after the last day of the contest
    final: bool  # ended, and the figures are those of its last day: the winner is known
    lines: list[TemplateLine | None]  # per metric, the template line (None on a metrics contest)
    metrics: list[Metric]
    pairs: list[PairStanding] = field(default_factory=list)
    judged: bool = False  # scored by a panel (kpi.services.judging), not read from the KPIs
    judging_closed: bool = False  # a judged contest's scores are read only after its close
    sheets: dict[int, int] = field(default_factory=dict)  # judged: outlet id → sheets in


def contest_metrics(contest: Contest) -> tuple[list[Metric], list[TemplateLine | None]]:
    """The metrics a contest is fought on (the template's lines in order, or the chosen metrics in catalog
    order) and, on a template contest, each metric's line. One query."""
    if contest.template_id:
        template_lines = list(
            TemplateLine.objects.filter(template_id=contest.template_id)
            .select_related("metric")
            .order_by("sort_order", "pk")
        )
        return [line.metric for line in template_lines], list(template_lines)
    metrics = list(contest.metrics.order_by("sort_order", "code"))
    return metrics, [None] * len(metrics)


def _compare(a: Decimal | None, b: Decimal | None, *, higher_is_better: bool) -> Lead | None:
    if a is None or b is None:
        return None
    if a == b:
        return Lead.TIE
    return Lead.A if (a > b) == higher_is_better else Lead.B


def metric_leader(metric: Metric, a: SideFigures | None, b: SideFigures | None) -> tuple[str | None, Lead | None]:
    """(basis, leader) on one metric: by pace-adjusted attainment when both sides have a target, else by
    the actual in the metric's direction; (None, None) when a side has no figure."""
    if a is None or b is None:
        return None, None
    if a.pace_attainment is not None and b.pace_attainment is not None:
        return "pace", _compare(a.pace_attainment, b.pace_attainment, higher_is_better=True)
    leader = _compare(a.actual, b.actual, higher_is_better=metric.direction != Direction.LOWER)
    return ("actual" if leader is not None else None), leader


def _line_score(line: TemplateLine, figures: SideFigures | None) -> tuple[Decimal | None, bool]:
    """A template line's score for one side's figures, and whether it vetoes (the rollup's rules)."""
    if line.kind == LineKind.VETO:
        actual = figures.actual if figures else None
        fired = bool(formulas.is_vetoed(float(actual or 0), allowed_value=float(line.allowed_value or 0)))
        return None, fired
    if line.kind == LineKind.POINTS:
        actual = figures.actual if figures else None
        value = formulas.points_score(
            float(actual or 0),
            points_per_unit=float(line.points_per_unit or 0),
            max_points=float("nan") if line.max_points is None else float(line.max_points),
        )
        return Decimal(str(round(float(value), 4))), False
    if figures is None or figures.pace_attainment is None or line.weight is None:
        return None, False
    value = formulas.weighted_score(
        float(figures.pace_attainment), weight=float(line.weight), floor=float(line.floor), cap=float(line.cap)
    )
    return Decimal(str(round(float(value), 4))), False


def _figures(line: ScorecardLine | None) -> SideFigures | None:
    if line is None:
        return None
    return SideFigures(
        actual=line.actual,
        target=line.target,
        attainment=line.attainment,
        pace_attainment=line.pace_attainment,
        status=line.status,
    )


def _scored(figures: SideFigures | None, score: Decimal | None) -> SideFigures | None:
    if figures is None or score is None:
        return figures
    return SideFigures(**{**figures.__dict__, "score": score})


def contest_standings(*, contest: Contest, as_of: datetime.date) -> ContestStandings:
    """Head to head for every pair of the contest as of `as_of` (see the module docstring). A fixed
    number of queries whatever the number of pairs: the pairs, the metrics, the rolled-up day, the
    scorecards and their lines."""
    period, calendar = contest_period(contest)
    last_day = min(as_of, contest.period_end, period.end)
    metrics, template_lines = contest_metrics(contest)
    pairs = list(contest.pairs.select_related("outlet_a", "outlet_b").order_by("pk"))
    standings = ContestStandings(
        contest=contest,
        period=period,
        calendar=calendar,
        as_of=as_of,
        figures_date=None,
        started=as_of >= contest.period_start,
        ended=as_of >= contest.period_end,
        final=False,
        lines=template_lines,
        metrics=metrics,
    )
    day = None
    if standings.started:
        # The latest rolled-up day of the contest so far (normally min(as_of, last day) itself).
        day = (
            RollupDay.objects.published()
            .filter(date__gte=max(contest.period_start, period.start), date__lte=last_day)
            .order_by("-date")
            .values_list("date", "published_run")
            .first()
        )
    cards: dict[int, dict[int, ScorecardLine]] = {}
    # The outlets scored on the contest's own template that day: their stored scores are the contest's.
    stored: dict[int, Scorecard] = {}
    if day is not None:
        standings.figures_date = day[0]
        standings.final = standings.ended and day[0] == contest.period_end
        outlet_ids = {pair.outlet_a_id for pair in pairs} | {pair.outlet_b_id for pair in pairs}
        lines = ScorecardLine.objects.filter(metric__in=metrics)
        scorecards = Scorecard.objects.filter(
            run_id=day[1], period=period.kind.value, unit_id__in=outlet_ids, staff=None
        ).prefetch_related(Prefetch("lines", queryset=lines))
        for scorecard in scorecards:
            cards[scorecard.unit_id] = {line.metric_id: line for line in scorecard.lines.all()}
            if contest.template_id is not None and scorecard.template_id == contest.template_id:
                stored[scorecard.unit_id] = scorecard

    if contest.judged:
        return _judged_standings(standings, pairs)
    for pair in pairs:
        standings.pairs.append(_pair_standing(pair, standings, cards, stored))
    return standings


def _judged_standings(standings: ContestStandings, pairs: list[ContestPair]) -> ContestStandings:
    """A judged contest: each side's score is its judged score (kpi.services.judging), read only once
    the judging has closed; before, the standings say how many sheets are in and nobody leads."""
    standings.judged = True
    standings.judging_closed = judging_closed(standings.contest, standings.as_of)
    standings.final = standings.judging_closed
    scores = judged_scores(standings.contest)
    standings.sheets = {outlet_id: count for outlet_id, (_score, count) in scores.items()}
    for pair in pairs:
        standing = PairStanding(
            pair=pair,
            metrics=[],
            sheets_a=standings.sheets.get(pair.outlet_a_id, 0),
            sheets_b=standings.sheets.get(pair.outlet_b_id, 0),
        )
        if standings.judging_closed:
            standing.score_a = scores.get(pair.outlet_a_id, (None, 0))[0]
            standing.score_b = scores.get(pair.outlet_b_id, (None, 0))[0]
            standing.leader = _compare(standing.score_a, standing.score_b, higher_is_better=True)
            standing.winner = standing.leader
        standings.pairs.append(standing)
    return standings


def _pair_standing(
    pair: ContestPair,
    standings: ContestStandings,
    cards: dict[int, dict[int, ScorecardLine]],
    stored: dict[int, Scorecard],
) -> PairStanding:
    """One pair head to head. A side scored on the contest's own template that day keeps its scorecard's
    stored line scores and total (what its scorecard page says, to the last rounding); a side scored on
    another template is scored again on the contest's, from its figures (the rollup's rules)."""
    lines_a = cards.get(pair.outlet_a_id)
    lines_b = cards.get(pair.outlet_b_id)
    own = {Lead.A: stored.get(pair.outlet_a_id), Lead.B: stored.get(pair.outlet_b_id)}
    standing = PairStanding(pair=pair, metrics=[])
    totals: dict[Lead, Decimal | None] = {Lead.A: None, Lead.B: None}
    vetoed = {Lead.A: False, Lead.B: False}
    for metric, template_line in zip(standings.metrics, standings.lines, strict=True):
        a = _figures(lines_a.get(metric.pk)) if lines_a is not None else None
        b = _figures(lines_b.get(metric.pk)) if lines_b is not None else None
        if template_line is not None:
            scored = {}
            for side, side_lines, figures in ((Lead.A, lines_a, a), (Lead.B, lines_b, b)):
                scored[side] = figures
                if side_lines is None:  # no scorecard at all: no score
                    continue
                score, fired = _line_score(template_line, figures)
                if own[side] is not None and template_line.kind != LineKind.VETO:
                    line = side_lines.get(metric.pk)
                    score = line.score if line is not None else None
                vetoed[side] = vetoed[side] or fired
                if score is not None:
                    totals[side] = (totals[side] or Decimal(0)) + score
                    scored[side] = _scored(figures, score)
            a, b = scored[Lead.A], scored[Lead.B]
        basis, leader = metric_leader(metric, a, b)
        standing.metrics.append(MetricDuel(metric=metric, a=a, b=b, basis=basis, leader=leader))
        if leader == Lead.A:
            standing.led_a += 1
        elif leader == Lead.B:
            standing.led_b += 1

    if standings.contest.template_id:
        for side in (Lead.A, Lead.B):
            if own[side] is not None:
                totals[side], vetoed[side] = own[side].total_score, own[side].vetoed
            elif vetoed[side]:
                totals[side] = Decimal(0)  # 一票否决: the whole score is 0
        standing.score_a, standing.score_b = totals[Lead.A], totals[Lead.B]
        standing.vetoed_a, standing.vetoed_b = vetoed[Lead.A], vetoed[Lead.B]
        standing.leader = _compare(standing.score_a, standing.score_b, higher_is_better=True)
    elif standing.led_a or standing.led_b or any(duel.leader == Lead.TIE for duel in standing.metrics):
        standing.leader = _compare(Decimal(standing.led_a), Decimal(standing.led_b), higher_is_better=True)
    if standings.final:
        standing.winner = standing.leader
    return standing
