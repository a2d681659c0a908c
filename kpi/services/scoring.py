"""Scores and ranks (DOMAIN.md §5), computed inside the rollup from the scorecard lines of a day.

1. Which template applies: the version in force on the day (latest effective_from ≤ day) of each
   template code; an outlet takes the most specific outlet template (explicit list, then area and
   format, then area or format alone, then one for every outlet); a staff member the template of the
   post they hold that day (the first post by catalog order if they hold several).
2. Line scores: weighted = weight × clamp(pace-adjusted attainment, floor, cap); points = units ×
   points per unit up to the maximum; a veto line above its allowed value zeroes the total and says why.
   Status uses the line's own thresholds. A day (period kind `day`) is scored only when one of its
   weighted lines has a target of the day; otherwise it has no line scores, total or rank.
3. Ranks (competition ranking 1, 2, 2, 4 by total score): outlets inside their peer group (same
   template, same parent unit) and across the network (same template); staff inside their outlet and
   across the network (same template, i.e. by post). Each line is ranked by its score in the same group.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db.models import Max

from branches.models import OrgUnit, UnitKind
from kpi import formulas
from kpi.models import LineKind, ScorecardTemplate, TemplateLine
from lib.periods import PeriodKind
from staff.models import Assignment

# A scorecard's own figures (kpi.models.Scorecard), one row a scorecard in Scored.cards.
SCORE_COLUMNS = [
    "template_id",
    "total_score",
    "vetoed",
    "veto_reason",
    "rank",
    "rank_of",
    "network_rank",
    "network_rank_of",
]


# The columns of Scored.cards: the scorecard's keys and period, then its own figures.
CARD_KEYS = ["unit_id", "staff_id", "period"]
_CARD_PERIOD = [*CARD_KEYS, "period_start", "period_end"]
CARD_COLUMNS = [*_CARD_PERIOD, *SCORE_COLUMNS]


@dataclass(frozen=True)
class Scored:
    """The rollup's lines, scored, and their scorecards. Each line's `card` is the row of `cards` it
    belongs to (0, 1, 2 … as scorecards first appear among the lines): a scorecard's figures (its total,
    ranks, veto) are kept once in `cards`, not repeated on each of its lines (a province day's 4 M lines
    carried eight such columns, 250 MB, and the write found the scorecards again by their keys)."""

    lines: pd.DataFrame
    cards: pd.DataFrame

    def with_lines(self, lines: pd.DataFrame) -> Scored:
        """The same scorecards with other columns on the lines (kpi.services.mirrors.with_comparisons): the
        lines may be reordered, each keeps its `card`."""
        return Scored(lines=lines, cards=self.cards)


@dataclass(frozen=True)
class TemplatesInForce:
    templates: list[ScorecardTemplate]
    lines: pd.DataFrame  # one row per template line

    @classmethod
    def on(cls, day: datetime.date, *, lines: bool = True) -> TemplatesInForce:
        """The templates in force on `day`, with their outlets and posts; their lines as a frame unless
        `lines` is false (who is scored by which template, without what they are scored on)."""
        latest = (
            ScorecardTemplate.objects.filter(effective_from__lte=day)
            .values("code")
            .annotate(latest=Max("effective_from"))
        )
        wanted = {(row["code"], row["latest"]) for row in latest}
        templates = [
            template
            for template in ScorecardTemplate.objects.filter(code__in={code for code, _ in wanted}).prefetch_related(
                "outlets", "posts"
            )
            if (template.code, template.effective_from) in wanted and template.is_active
        ]
        if not lines:
            return cls(templates, pd.DataFrame())
        rows = list(
            TemplateLine.objects.filter(template__in=templates).values(
                "template_id", "metric_id", "kind", "weight", "cap", "floor", "points_per_unit", "max_points",
                "allowed_value", "veto_reason", "green_at", "amber_at",
            )
        )  # fmt: skip
        frame = pd.DataFrame(rows)
        for column in (
            "weight",
            "cap",
            "floor",
            "points_per_unit",
            "max_points",
            "allowed_value",
            "green_at",
            "amber_at",
        ):
            if column in frame:
                frame[column] = frame[column].astype(float)
        if not frame.empty:
            frame["template_id"] = frame["template_id"].astype(float)
        return cls(templates, frame)


def outlet_templates(day_templates: TemplatesInForce) -> dict[int, int]:
    """Outlet id → the id of the template that scores it."""
    candidates = [t for t in day_templates.templates if t.subject == ScorecardTemplate.Subject.OUTLET]
    if not candidates:
        return {}
    chosen: dict[int, tuple[int, str, int]] = {}  # outlet id → (specificity, code, template id)
    outlets = list(OrgUnit.objects.filter(kind=UnitKind.OUTLET).values_list("id", "area", "format"))
    for template in candidates:
        explicit = {outlet.pk for outlet in template.outlets.all()}
        for outlet_id, area, unit_format in outlets:
            if explicit:
                specificity = 4 if outlet_id in explicit else -1
            elif (template.area and template.area != area) or (template.format and template.format != unit_format):
                specificity = -1
            else:
                specificity = bool(template.area) + bool(template.format) + 1
            if specificity < 0:
                continue
            best = chosen.get(outlet_id)
            # The most specific wins; between equals, the lowest code (a stable, visible rule).
            if best is None or (-specificity, template.code) < (-best[0], best[1]):
                chosen[outlet_id] = (specificity, template.code, template.pk)
    return {outlet_id: choice[2] for outlet_id, choice in chosen.items()}


def staff_template_posts(day_templates: TemplatesInForce) -> dict[int, int]:
    """Post id → the staff template of the day that names it (the first by code when several do)."""
    by_post: dict[int, int] = {}
    for template in sorted(day_templates.templates, key=lambda t: t.code):
        if template.subject == ScorecardTemplate.Subject.STAFF:
            for post in template.posts.all():
                by_post.setdefault(post.pk, template.pk)
    return by_post


def staff_templates(
    day_templates: TemplatesInForce, day: datetime.date, *, staff_ids: Iterable[int] | None = None
) -> tuple[dict[int, int], dict[int, int]]:
    """Staff id → template id, and staff id → the outlet of the post that chose it: the outlet whose staff
    they are ranked among (their first post by the post's order that a staff template names). Every
    staff member assigned on `day`, or only `staff_ids`."""
    by_post = staff_template_posts(day_templates)
    if not by_post:
        return {}, {}
    assignments = Assignment.objects.on(day).filter(post_id__in=by_post)
    if staff_ids is not None:
        assignments = assignments.filter(staff_id__in=staff_ids)
    assignments = assignments.order_by("staff_id", "post__sort_order", "pk").values_list(
        "staff_id", "post_id", "unit_id"
    )
    template_of: dict[int, int] = {}
    outlet_of: dict[int, int] = {}
    for staff_id, post_id, unit_id in assignments:
        if staff_id not in template_of:
            template_of[staff_id] = by_post[post_id]
            outlet_of[staff_id] = unit_id
    return template_of, outlet_of


def card_codes(lines: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each line's scorecard as an integer, 0, 1, 2 … in the order scorecards first appear (a scorecard is
    a unit or staff member and a period kind), and the position of each scorecard's first line. The
    per-scorecard work of `score` then runs on one integer column (bincount, take) instead of grouping or
    merging the lines' frame on three columns."""
    keys = lines[CARD_KEYS]
    codes = keys.groupby(list(keys.columns), sort=False, observed=True, dropna=False).ngroup().to_numpy(np.int64)
    # Numbered as they first appear, so the first line of each is where its number first occurs.
    _numbers, first = np.unique(codes, return_index=True)
    return codes, first.astype(np.int64)


def unscored(lines: pd.DataFrame) -> Scored:
    """`lines` as scorecards without scores: the line columns score() adds, empty, and every scorecard
    unscored (no template applies, or no template scores the level: kpi.services.fanout's upper units)."""
    lines = lines.copy(deep=False)  # copy-on-write: the caller's frame is left as it was
    codes, first = card_codes(lines)
    for column in ("score", "line_rank", "line_rank_of"):
        lines[column] = np.nan
    lines["card"] = codes
    cards = lines[_CARD_PERIOD].iloc[first].reset_index(drop=True)
    for column in SCORE_COLUMNS:
        cards[column] = np.nan
    cards["vetoed"] = False
    cards["veto_reason"] = ""
    return Scored(lines=lines, cards=cards)


def score(lines: pd.DataFrame, day: datetime.date) -> Scored:
    """The rollup's lines scored: each line's score and rank among its group (columns score, line_rank,
    line_rank_of, and `card`), and each scorecard's template, total, ranks and veto (Scored.cards).
    Lines of entities without a template keep empty scores, their scorecards too.

    Set-based on the lines' positions: each line's template line is found by an index of the (template,
    metric) pairs, the per-scorecard figures are computed on a frame of one row a scorecard (card_codes).
    The lines' frame is neither merged nor copied whole: with the demo's templates two merges and a deep
    copy of every line's columns were most of scoring."""
    scored = unscored(lines)
    lines, cards = scored.lines, scored.cards
    day_templates = TemplatesInForce.on(day)
    if not day_templates.templates or day_templates.lines.empty:
        return scored

    outlet_template = outlet_templates(day_templates)
    staff_template, staff_outlet = staff_templates(day_templates, day)
    # Template and group (the outlet's parent, the staff member's outlet) a scorecard: every line of a
    # scorecard has its entity's.
    card_staff = cards["staff_id"]
    card_is_staff = (card_staff != 0).to_numpy()
    card_template = np.where(
        card_is_staff, card_staff.map(staff_template), cards["unit_id"].map(outlet_template)
    ).astype(float)
    parents = dict(OrgUnit.objects.filter(kind=UnitKind.OUTLET).values_list("id", "parent_id"))
    card_group = np.where(card_is_staff, card_staff.map(staff_outlet), cards["unit_id"].map(parents)).astype(float)
    codes = lines["card"].to_numpy()
    template_ids = card_template[codes]
    group_ids = card_group[codes]

    # Each line's template line (a template scores a metric once: template_line_metric_once), -1 for none.
    template_lines = day_templates.lines
    line_keys = pd.MultiIndex.from_arrays([template_lines["template_id"], template_lines["metric_id"]])
    found = line_keys.get_indexer(pd.MultiIndex.from_arrays([template_ids, lines["metric_id"].to_numpy()]))
    on_template = found >= 0
    rule_at = np.where(on_template, found, 0)

    def of_rule(column: str, where: np.ndarray) -> np.ndarray:
        """The template line's `column` at the lines `where` (a mask): only the lines a figure is for,
        never a frame of every template column on every line (13 columns on 4 M lines, 400 MB)."""
        return template_lines[column].to_numpy()[rule_at[where]]

    def of_kind(kind: str) -> np.ndarray:
        return on_template & (template_lines["kind"] == kind).to_numpy()[rule_at]

    weighted, points, veto = of_kind(LineKind.WEIGHTED), of_kind(LineKind.POINTS), of_kind(LineKind.VETO)
    pace = lines["pace_attainment"].to_numpy(dtype=float)
    actual = lines["actual"].to_numpy(dtype=float)
    score_values = np.full(len(lines), np.nan)
    score_values[weighted] = formulas.weighted_score(
        pace[weighted], weight=of_rule("weight", weighted), floor=of_rule("floor", weighted),
        cap=of_rule("cap", weighted),
    )  # fmt: skip
    score_values[points] = formulas.points_score(
        actual[points], points_per_unit=of_rule("points_per_unit", points), max_points=of_rule("max_points", points)
    )
    # A day is scored only when a weighted line has a target of the day (a daily target). Without one
    # the weighted lines have nothing to score, and what is left (a day's 台账 units, a complaint
    # deduction of 0) ranked every outlet on nothing: "0.00, rank 1/7". Such a day keeps its figures
    # and its veto flag, but no line score, total or rank (kpi.selectors.score_explanation says so).
    card_count = len(cards)
    is_day = (lines["period"] == PeriodKind.DAY.value).to_numpy()
    targeted = weighted & is_day & lines["target"].notna().to_numpy()
    card_targeted = np.bincount(codes[targeted], minlength=card_count) > 0
    scoreable = ~is_day | card_targeted[codes]
    score_values[~scoreable] = np.nan
    lines["score"] = score_values
    fired = np.zeros(len(lines), dtype=bool)
    fired[veto] = formulas.is_vetoed(actual[veto], allowed_value=of_rule("allowed_value", veto))

    # The line's own thresholds.
    themed = on_template & ~np.isnan(template_lines["green_at"].to_numpy(dtype=float))[rule_at]
    if themed.any():
        status = lines["status"].astype(object).to_numpy(copy=True)
        status[themed] = formulas.status(
            pace[themed], green_at=of_rule("green_at", themed), amber_at=of_rule("amber_at", themed)
        )
        lines["status"] = pd.Categorical(status, dtype=lines["status"].dtype)

    # The scorecards of templated entities.
    templated = ~np.isnan(card_template)
    # A plain grouped sum over the lines in their order (the same sum as grouping the lines' frame by
    # its three columns); min_count=1 keeps a card without any scored line unscored rather than at 0.
    total = pd.Series(score_values).groupby(codes, sort=False).sum(min_count=1).reindex(np.arange(card_count))
    total = total.to_numpy(copy=True)
    vetoed = np.bincount(codes[fired], minlength=card_count) > 0
    card_scoreable = np.bincount(codes[~scoreable], minlength=card_count) == 0
    total[vetoed & card_scoreable] = 0.0
    reasons = np.full(card_count, "", dtype=object)
    if fired.any():
        # Each vetoed scorecard's distinct reasons, sorted and joined by "; ". Most have one: taken as it
        # is; a join per scorecard (a Python call per group) only for the few with several.
        said = pd.DataFrame({"code": codes[fired], "reason": pd.Series(of_rule("veto_reason", fired)).fillna("")})
        said = said.drop_duplicates()
        several = said["code"].duplicated(keep=False).to_numpy()
        reasons[said["code"].to_numpy()[~several]] = said["reason"].to_numpy()[~several]
        for code, reason in said[several].groupby("code", sort=False)["reason"]:
            reasons[code] = "; ".join(sorted(reason))
    period_codes = cards["period"].cat.codes.to_numpy()
    per_card = pd.DataFrame(
        {"period": period_codes, "template_id": card_template, "group_id": card_group, "total": total}
    )[templated]
    ranked = per_card[per_card["total"].notna()]
    group_keys = ["template_id", "group_id", "period"]
    network_keys = ["template_id", "period"]
    for name, keys in (("rank", group_keys), ("network_rank", network_keys)):
        grouped = ranked.groupby(keys)["total"]
        for column, values in ((name, formulas.competition_rank(grouped)), (f"{name}_of", grouped.transform("count"))):
            spread = np.full(card_count, np.nan)
            spread[values.index.to_numpy()] = values.to_numpy()  # per_card's index is the scorecard's number
            cards[column] = spread
    cards["template_id"] = card_template
    cards["total_score"] = np.where(templated, total, np.nan)
    # An untemplated scorecard never fires: its reason is "".
    cards["vetoed"] = templated & vetoed
    cards["veto_reason"] = reasons

    # Each line ranked by its score among the same group.
    line_ranked = ~np.isnan(score_values) & ~np.isnan(template_ids)
    line_scored = pd.DataFrame(
        {
            "template_id": template_ids[line_ranked],
            "group_id": group_ids[line_ranked],
            "period": lines["period"].cat.codes.to_numpy()[line_ranked],
            "metric_id": lines["metric_id"].to_numpy()[line_ranked],
            "score": score_values[line_ranked],
        }
    )
    grouped = line_scored.groupby([*group_keys, "metric_id"])["score"]
    positions = np.flatnonzero(line_ranked)
    for name, values in (
        ("line_rank", formulas.competition_rank(grouped)),
        ("line_rank_of", grouped.transform("count")),
    ):
        spread = np.full(len(lines), np.nan)
        spread[positions[values.index.to_numpy()]] = values.to_numpy()
        lines[name] = spread
    return Scored(lines=lines, cards=cards)
