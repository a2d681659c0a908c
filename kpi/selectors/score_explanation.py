"""Why a scorecard scores what it does (DOMAIN.md §5): for each line the template line that scored it
(its kind, weight or points rule, cap and floor) and how its score was reached; for the total its scale
(满分 and the most a template can give), the template version it came from, and which veto fired.

The rules are read from the template version the rollup recorded on the scorecard (Scorecard.template),
so a past scorecard is explained by the rules it was scored with. One query for a page (the template's
lines with their template and metric), one for a page of the API (`template_rules` of every template on
it); nothing per line.

A day is scored only when one of its weighted lines has a target of the day (kpi.services.scoring):
`ScoreExplanation.unscored_day` says so, and the pages then show the day's figures without a total or a
rank. The same rule is applied here to the lines, so a day published before the rule existed (a
"0.00, rank 1/7" still in the database) does not show its score either.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from kpi.models import LineKind, Scorecard, ScorecardLine, ScorecardTemplate, TemplateLine
from kpi.veto_details import veto_details
from lib.periods import PeriodKind

ONE = Decimal(1)
ZERO = Decimal(0)


@dataclass(frozen=True)
class ScoreScale:
    """What a template's total is out of.

    full: 满分, the score of a card exactly on pace everywhere: the sum of the weights (a template's
        weights sum to 100); a template without weighted lines (a teller's 台账) is out of the maxima of
        its points lines.
    bonus: 加分, what can come on top: weighted lines above pace up to their cap (weight × (cap − 1)),
        and the points lines' maxima where there are weighted lines too.
    maximum: full + bonus; None when a points line that adds has no maximum (no upper bound).
    deducts: a points line takes points off (a complaint: −2 each), without a lower bound.
    """

    full: Decimal
    bonus: Decimal
    maximum: Decimal | None
    deducts: bool

    @classmethod
    def of(cls, rules: Iterable[TemplateLine]) -> ScoreScale:
        rules = list(rules)
        weighted = [rule for rule in rules if rule.kind == LineKind.WEIGHTED and rule.weight is not None]
        adding = [
            rule
            for rule in rules
            if rule.kind == LineKind.POINTS and rule.points_per_unit is not None and rule.points_per_unit > 0
        ]
        deducts = any(
            rule.kind == LineKind.POINTS and rule.points_per_unit is not None and rule.points_per_unit < 0
            for rule in rules
        )
        points_maxima = sum((rule.max_points for rule in adding if rule.max_points is not None), ZERO)
        unbounded = any(rule.max_points is None for rule in adding)
        above_pace = sum((rule.weight * max(rule.cap - ONE, ZERO) for rule in weighted), ZERO)
        if weighted:
            full = sum((rule.weight for rule in weighted), ZERO)
            bonus = above_pace + points_maxima
        else:
            full, bonus = points_maxima, ZERO
        return cls(full=full, bonus=bonus, maximum=None if unbounded else full + bonus, deducts=deducts)


@dataclass(frozen=True)
class TemplateRules:
    """A template version and its lines by metric id."""

    template: ScorecardTemplate
    by_metric: dict[int, TemplateLine]

    @cached_property
    def scale(self) -> ScoreScale:
        return ScoreScale.of(self.by_metric.values())


def template_rules(template_ids: Iterable[int | None]) -> dict[int, TemplateRules]:
    """The rules of these template versions, by template id: one query (their lines with the template
    and the metric). A template without lines scores nothing and is left out."""
    wanted = {template_id for template_id in template_ids if template_id}
    if not wanted:
        return {}
    found: dict[int, TemplateRules] = {}
    lines = (
        TemplateLine.objects.filter(template_id__in=wanted)
        .select_related("template", "metric")
        .order_by("template_id", "sort_order", "pk")
    )
    for rule in lines:
        rules = found.setdefault(rule.template_id, TemplateRules(template=rule.template, by_metric={}))
        rules.by_metric[rule.metric_id] = rule
    return found


@dataclass(frozen=True)
class LineScore:
    """How one scorecard line was scored by its template line."""

    rule: TemplateLine
    line: ScorecardLine

    @property
    def kind(self) -> str:
        return self.rule.kind

    @property
    def score(self) -> Decimal | None:
        return self.line.score

    # -- weighted: weight × clamp(pace-adjusted attainment, floor, cap) --------------------------------

    @property
    def clamped(self) -> Decimal | None:
        """The pace-adjusted attainment held between the floor and the cap: what the weight multiplies."""
        pace = self.line.pace_attainment
        if self.kind != LineKind.WEIGHTED or pace is None:
            return None
        return min(max(pace, self.rule.floor), self.rule.cap)

    @property
    def capped(self) -> bool:
        pace = self.line.pace_attainment
        return self.kind == LineKind.WEIGHTED and pace is not None and pace > self.rule.cap

    @property
    def floored(self) -> bool:
        pace = self.line.pace_attainment
        return self.kind == LineKind.WEIGHTED and pace is not None and pace < self.rule.floor

    # -- points: units × points per unit, up to the maximum ---------------------------------------------

    @property
    def raw_points(self) -> Decimal | None:
        """units × points per unit before the maximum."""
        if self.kind != LineKind.POINTS or self.rule.points_per_unit is None:
            return None
        return (self.line.actual or ZERO) * self.rule.points_per_unit

    @property
    def at_maximum(self) -> bool:
        raw = self.raw_points
        return raw is not None and self.rule.max_points is not None and raw > self.rule.max_points

    # -- veto: above the allowed value, the whole score is 0 --------------------------------------------

    @property
    def fired(self) -> bool:
        allowed = self.rule.allowed_value
        return (
            self.kind == LineKind.VETO
            and allowed is not None
            and self.line.actual is not None
            and self.line.actual > allowed
        )


@dataclass(frozen=True)
class FiredVeto:
    """A veto line above its allowed value: "一票否决：内控风险事件 1 > 0"."""

    rule: TemplateLine
    actual: Decimal
    # What lies behind it, told by the app that feeds the metric (kpi.veto_details): an inspection's findings.
    details: tuple[str, ...] = ()

    @property
    def metric(self):
        return self.rule.metric


@dataclass
class ScoreExplanation:
    """What the page says about a scorecard's score. `rules` is None when no template scored it."""

    scorecard: Scorecard
    rules: TemplateRules | None
    lines: dict[int, LineScore] = field(default_factory=dict)  # by scorecard line id

    @property
    def template(self) -> ScorecardTemplate | None:
        return self.rules.template if self.rules else None

    @property
    def scale(self) -> ScoreScale | None:
        return self.rules.scale if self.rules else None

    @property
    def unscored_day(self) -> bool:
        """A day scorecard under a template none of whose weighted lines has a target of the day: the
        day's figures, no score (kpi.services.scoring)."""
        if self.rules is None or self.scorecard.period != PeriodKind.DAY.value:
            return False
        return not any(
            explained.kind == LineKind.WEIGHTED and explained.line.target is not None
            for explained in self.lines.values()
        )

    @property
    def shows_score(self) -> bool:
        return self.scorecard.total_score is not None and not self.unscored_day

    @property
    def fired_vetoes(self) -> list[FiredVeto]:
        card = self.scorecard
        return [
            FiredVeto(
                rule=explained.rule,
                actual=explained.line.actual,
                details=tuple(
                    veto_details(
                        metric_code=explained.rule.metric.code,
                        unit=card.unit if card.unit_id else None,
                        start=card.period_start,
                        end=card.date,
                    )
                ),
            )
            for explained in self.lines.values()
            if explained.fired
        ]


def explanation_for(scorecard: Scorecard, rules: TemplateRules | None, lines=None) -> ScoreExplanation:
    """Match the scorecard's lines (prefetched) to the template's lines by metric: no query. Each line
    gets `line.scoring`, its LineScore (None for a metric the template does not score), for the
    templates and the API, which hold the line and not the explanation. `lines`: the scorecard's lines
    when they were not prefetched (the API's list: kpi.selectors.scorecards.page_lines)."""
    explanation = ScoreExplanation(scorecard=scorecard, rules=rules)
    for line in scorecard.lines.all() if lines is None else lines:
        rule = rules.by_metric.get(line.metric_id) if rules is not None else None
        line.scoring = LineScore(rule=rule, line=line) if rule is not None else None
        if line.scoring is not None:
            explanation.lines[line.pk] = line.scoring
    return explanation


def score_explanation(*, scorecard: Scorecard) -> ScoreExplanation:
    """The explanation of one scorecard whose lines are prefetched (kpi.selectors.scorecards.scorecard_get):
    one query, none without a template."""
    rules = template_rules([scorecard.template_id]).get(scorecard.template_id) if scorecard.template_id else None
    return explanation_for(scorecard, rules)
