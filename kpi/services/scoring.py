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
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db.models import Max

from branches.models import OrgUnit, UnitKind
from kpi import formulas
from kpi.models import LineKind, ScorecardTemplate, TemplateLine
from lib.periods import PeriodKind
from staff.models import Assignment

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


@dataclass(frozen=True)
class TemplatesInForce:
    templates: list[ScorecardTemplate]
    lines: pd.DataFrame  # one row per template line

    @classmethod
    def on(cls, day: datetime.date) -> TemplatesInForce:
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
        rows = list(
            TemplateLine.objects.filter(template__in=templates).values(
                "template_id", "metric_id", "kind", "weight", "cap", "floor", "points_per_unit", "max_points",
                "allowed_value", "veto_reason", "green_at", "amber_at",
            )
        )  # fmt: skip
        lines = pd.DataFrame(rows)
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
            if column in lines:
                lines[column] = lines[column].astype(float)
        if not lines.empty:
            lines["template_id"] = lines["template_id"].astype(float)
        return cls(templates, lines)


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


def staff_templates(day_templates: TemplatesInForce, day: datetime.date) -> tuple[dict[int, int], dict[int, int]]:
    """Staff id → template id, and staff id → the outlet of the post that chose it."""
    by_post = staff_template_posts(day_templates)
    if not by_post:
        return {}, {}
    assignments = (
        Assignment.objects.on(day)
        .filter(post_id__in=by_post)
        .order_by("staff_id", "post__sort_order", "pk")
        .values_list("staff_id", "post_id", "unit_id")
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
    keys = lines[["unit_id", "staff_id", "period"]]
    codes = keys.groupby(list(keys.columns), sort=False, observed=True, dropna=False).ngroup().to_numpy(np.int64)
    # Numbered as they first appear, so the first line of each is where its number first occurs.
    _numbers, first = np.unique(codes, return_index=True)
    return codes, first.astype(np.int64)


def score(lines: pd.DataFrame, day: datetime.date) -> pd.DataFrame:
    """Add template_id, score, line rank and scorecard-level columns (SCORE_COLUMNS, per row) to the
    rollup's lines. Lines of entities without a template keep empty scores.

    Set-based on the lines' positions: each line's template line is found by an index of the (template,
    metric) pairs, the per-scorecard figures are computed on a frame of one row a scorecard (card_codes)
    and spread back to the lines by position. The lines' frame is neither merged nor copied whole: with
    the demo's templates two merges and a deep copy of every line's columns were most of scoring."""
    lines = lines.copy(deep=False)  # copy-on-write: the caller's frame is left as it was
    for column in ("score", "line_rank", "line_rank_of", "group_id", *SCORE_COLUMNS):
        lines[column] = np.nan
    lines["vetoed"] = False
    # A category (a byte a line, kpi.services.rollup.LINE_CATEGORIES): most lines have no reason.
    lines["veto_reason"] = pd.Categorical([""]).take(np.zeros(len(lines), dtype=np.intp))
    day_templates = TemplatesInForce.on(day)
    if not day_templates.templates or day_templates.lines.empty:
        return lines

    outlet_template = outlet_templates(day_templates)
    staff_template, staff_outlet = staff_templates(day_templates, day)
    is_staff = (lines["staff_id"] != 0).to_numpy()
    template_ids = np.where(
        is_staff, lines["staff_id"].map(staff_template), lines["unit_id"].map(outlet_template)
    ).astype(float)
    lines["template_id"] = template_ids
    parents = dict(OrgUnit.objects.filter(kind=UnitKind.OUTLET).values_list("id", "parent_id"))
    group_ids = np.where(is_staff, lines["staff_id"].map(staff_outlet), lines["unit_id"].map(parents)).astype(float)
    lines["group_id"] = group_ids

    # Each line's template line (a template scores a metric once: template_line_metric_once), -1 for none.
    template_lines = day_templates.lines
    line_keys = pd.MultiIndex.from_arrays([template_lines["template_id"], template_lines["metric_id"]])
    found = line_keys.get_indexer(pd.MultiIndex.from_arrays([template_ids, lines["metric_id"].to_numpy()]))
    on_template = found >= 0
    rule = template_lines.iloc[np.where(on_template, found, 0)].reset_index(drop=True)

    def of_rule(column: str) -> np.ndarray:
        return rule[column].to_numpy()

    kind = np.where(on_template, of_rule("kind"), None)
    weighted = on_template & (kind == LineKind.WEIGHTED)
    points = on_template & (kind == LineKind.POINTS)
    veto = on_template & (kind == LineKind.VETO)
    pace = lines["pace_attainment"].to_numpy(dtype=float)
    actual = lines["actual"].to_numpy(dtype=float)
    score_values = np.full(len(lines), np.nan)
    score_values[weighted] = formulas.weighted_score(
        pace[weighted], weight=of_rule("weight")[weighted], floor=of_rule("floor")[weighted],
        cap=of_rule("cap")[weighted],
    )  # fmt: skip
    score_values[points] = formulas.points_score(
        actual[points], points_per_unit=of_rule("points_per_unit")[points], max_points=of_rule("max_points")[points]
    )
    # A day is scored only when a weighted line has a target of the day (a daily target). Without one
    # the weighted lines have nothing to score, and what is left (a day's 台账 units, a complaint
    # deduction of 0) ranked every outlet on nothing: "0.00, rank 1/7". Such a day keeps its figures
    # and its veto flag, but no line score, total or rank (kpi.selectors.score_explanation says so).
    codes, first = card_codes(lines)
    cards = len(first)
    is_day = (lines["period"] == PeriodKind.DAY.value).to_numpy()
    targeted = weighted & is_day & lines["target"].notna().to_numpy()
    card_targeted = np.bincount(codes[targeted], minlength=cards) > 0
    scoreable = ~is_day | card_targeted[codes]
    score_values[~scoreable] = np.nan
    lines["score"] = score_values
    fired = np.zeros(len(lines), dtype=bool)
    fired[veto] = formulas.is_vetoed(actual[veto], allowed_value=of_rule("allowed_value")[veto])

    # The line's own thresholds.
    themed = on_template & ~np.isnan(of_rule("green_at").astype(float))
    if themed.any():
        status = lines["status"].astype(object).to_numpy(copy=True)
        status[themed] = formulas.status(
            pace[themed], green_at=of_rule("green_at")[themed], amber_at=of_rule("amber_at")[themed]
        )
        lines["status"] = pd.Categorical(status, dtype=lines["status"].dtype)

    # One row a scorecard of a templated entity (all the lines of a scorecard have its entity's template
    # and group), in the order scorecards first appear.
    templated = ~np.isnan(template_ids[first])
    per_card = pd.DataFrame(
        {
            "period": lines["period"].cat.codes.to_numpy()[first],
            "template_id": template_ids[first],
            "group_id": group_ids[first],
        }
    )[templated]
    # A plain grouped sum over the lines in their order (the same sum as grouping the lines' frame by
    # its three columns); min_count=1 keeps a card without any scored line unscored rather than at 0.
    total = pd.Series(score_values).groupby(codes, sort=False).sum(min_count=1).reindex(np.arange(cards))
    total = total.to_numpy(copy=True)
    vetoed = np.bincount(codes[fired], minlength=cards) > 0
    card_scoreable = np.bincount(codes[~scoreable], minlength=cards) == 0
    total[vetoed & card_scoreable] = 0.0
    reasons = np.full(cards, "", dtype=object)
    if fired.any():
        # Each vetoed scorecard's distinct reasons, sorted and joined by "; ". Most have one: taken as it
        # is; a join per scorecard (a Python call per group) only for the few with several.
        said = pd.DataFrame({"code": codes[fired], "reason": pd.Series(of_rule("veto_reason")[fired]).fillna("")})
        said = said.drop_duplicates()
        several = said["code"].duplicated(keep=False).to_numpy()
        reasons[said["code"].to_numpy()[~several]] = said["reason"].to_numpy()[~several]
        for code, reason in said[several].groupby("code", sort=False)["reason"]:
            reasons[code] = "; ".join(sorted(reason))
    per_card["total"] = total[templated]
    ranked = per_card[per_card["total"].notna()]
    group_keys = ["template_id", "group_id", "period"]
    network_keys = ["template_id", "period"]
    card_ranks = {}
    for name, keys in (("rank", group_keys), ("network_rank", network_keys)):
        grouped = ranked.groupby(keys)["total"]
        card_ranks[name] = formulas.competition_rank(grouped)
        card_ranks[f"{name}_of"] = grouped.transform("count")
    for name, values in card_ranks.items():
        spread = np.full(cards, np.nan)
        spread[values.index.to_numpy()] = values.to_numpy()  # per_card's index is the scorecard's number
        lines[name] = spread[codes]

    has_template = ~np.isnan(template_ids)
    lines["total_score"] = np.where(has_template, total[codes], np.nan)
    lines["vetoed"] = has_template & vetoed[codes]
    # An untemplated scorecard never fires: its reason is "".
    reason_codes, reason_values = pd.factorize(reasons)
    lines["veto_reason"] = pd.Categorical.from_codes(reason_codes[codes], categories=reason_values)

    # Each line ranked by its score among the same group.
    line_ranked = ~np.isnan(score_values) & has_template
    scored = pd.DataFrame(
        {
            "template_id": template_ids[line_ranked],
            "group_id": group_ids[line_ranked],
            "period": lines["period"].cat.codes.to_numpy()[line_ranked],
            "metric_id": lines["metric_id"].to_numpy()[line_ranked],
            "score": score_values[line_ranked],
        }
    )
    grouped = scored.groupby([*group_keys, "metric_id"])["score"]
    positions = np.flatnonzero(line_ranked)
    for name, values in (
        ("line_rank", formulas.competition_rank(grouped)),
        ("line_rank_of", grouped.transform("count")),
    ):
        spread = np.full(len(lines), np.nan)
        spread[positions[values.index.to_numpy()]] = values.to_numpy()
        lines[name] = spread
    return lines
