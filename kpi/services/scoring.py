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


def score(lines: pd.DataFrame, day: datetime.date) -> pd.DataFrame:
    """Add template_id, score, line rank and scorecard-level columns (SCORE_COLUMNS, per row) to the
    rollup's lines. Lines of entities without a template keep empty scores."""
    lines = lines.copy()
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
    is_staff = lines["staff_id"] != 0
    lines["template_id"] = np.where(
        is_staff, lines["staff_id"].map(staff_template), lines["unit_id"].map(outlet_template)
    ).astype(float)
    parents = dict(OrgUnit.objects.filter(kind=UnitKind.OUTLET).values_list("id", "parent_id"))
    lines["group_id"] = np.where(is_staff, lines["staff_id"].map(staff_outlet), lines["unit_id"].map(parents))

    scored = lines.merge(
        day_templates.lines, on=["template_id", "metric_id"], how="left", suffixes=("", "_line"), indicator=True
    )
    on_template = (scored["_merge"] == "both").to_numpy()
    kind = scored["kind"].to_numpy()

    weighted = on_template & (kind == LineKind.WEIGHTED)
    points = on_template & (kind == LineKind.POINTS)
    veto = on_template & (kind == LineKind.VETO)
    score_values = np.full(len(scored), np.nan)
    score_values[weighted] = formulas.weighted_score(
        scored.loc[weighted, "pace_attainment"], weight=scored.loc[weighted, "weight"],
        floor=scored.loc[weighted, "floor"], cap=scored.loc[weighted, "cap"],
    )  # fmt: skip
    score_values[points] = formulas.points_score(
        scored.loc[points, "actual"], points_per_unit=scored.loc[points, "points_per_unit"],
        max_points=scored.loc[points, "max_points"],
    )  # fmt: skip
    # A day is scored only when a weighted line has a target of the day (a daily target). Without one
    # the weighted lines have nothing to score, and what is left (a day's 台账 units, a complaint
    # deduction of 0) ranked every outlet on nothing: "0.00, rank 1/7". Such a day keeps its figures
    # and its veto flag, but no line score, total or rank (kpi.selectors.score_explanation says so).
    card = ["unit_id", "staff_id", "period"]
    is_day = (scored["period"] == PeriodKind.DAY.value).to_numpy()
    scoreable = ~is_day
    if is_day.any():
        days = scored[is_day]
        targeted = pd.Series(weighted[is_day] & days["target"].notna().to_numpy(), index=days.index)
        scoreable[is_day] = targeted.groupby([days[key] for key in card], sort=False).transform("any").to_numpy()
    score_values[~scoreable] = np.nan
    scored["score"] = score_values
    scored["scoreable"] = scoreable
    fired = np.zeros(len(scored), dtype=bool)
    fired[veto] = formulas.is_vetoed(scored.loc[veto, "actual"], allowed_value=scored.loc[veto, "allowed_value"])
    scored["fired"] = fired

    # The line's own thresholds.
    themed = on_template & scored["green_at"].notna().to_numpy()
    if themed.any():
        scored.loc[themed, "status"] = formulas.status(
            scored.loc[themed, "pace_attainment"].to_numpy(), green_at=scored.loc[themed, "green_at"].to_numpy(),
            amber_at=scored.loc[themed, "amber_at"].to_numpy(),
        )  # fmt: skip

    has_template = scored["template_id"].notna()
    grouped = scored[has_template].groupby(card, sort=False)
    # A plain grouped sum (a per-group lambda was 40 % of a demo rollup); min_count=1 keeps a card
    # without any scored line unscored rather than at 0.
    totals = pd.DataFrame(
        {
            "total": grouped["score"].sum(min_count=1),
            "vetoed": grouped["fired"].any(),
            "scoreable": grouped["scoreable"].all(),
        }
    )
    reasons = (
        scored[scored["fired"]]
        .assign(reason=lambda f: f["veto_reason_line"].fillna(""))
        .groupby(card, sort=False)["reason"]
        .agg(lambda r: "; ".join(sorted(set(r))))
    )
    totals["veto_reason"] = reasons.reindex(totals.index).fillna("")
    totals.loc[totals["vetoed"] & totals["scoreable"], "total"] = 0.0
    totals = totals.reset_index()
    template_of = scored[has_template].drop_duplicates(card)[[*card, "template_id", "group_id"]]
    totals = totals.merge(template_of, on=card)
    ranked = totals["total"].notna()
    group_keys = ["template_id", "group_id", "period"]
    network_keys = ["template_id", "period"]
    totals["rank"] = formulas.competition_rank(totals[ranked].groupby(group_keys)["total"])
    totals["rank_of"] = totals[ranked].groupby(group_keys)["total"].transform("count")
    totals["network_rank"] = formulas.competition_rank(totals[ranked].groupby(network_keys)["total"])
    totals["network_rank_of"] = totals[ranked].groupby(network_keys)["total"].transform("count")

    # Each line ranked by its score among the same group.
    line_ranked = scored["score"].notna() & has_template
    line_keys = [*group_keys, "metric_id"]
    scored["line_rank"] = formulas.competition_rank(scored[line_ranked].groupby(line_keys)["score"])
    scored["line_rank_of"] = scored[line_ranked].groupby(line_keys)["score"].transform("count")

    out = scored.drop(columns=[c for c in SCORE_COLUMNS if c != "template_id"])
    out = out.merge(
        totals[[*card, "total", "vetoed", "veto_reason", "rank", "rank_of", "network_rank", "network_rank_of"]].rename(
            columns={"total": "total_score"}
        ),
        on=card,
        how="left",
    )
    out["vetoed"] = out["vetoed"].fillna(False).astype(bool)
    out["veto_reason"] = out["veto_reason"].fillna("").astype("category")
    return out[[*lines.columns]]
