"""The overview: a unit's children × key metrics coloured by status, and the lines behind pace (the home
page of unit managers, HQ and auditors)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Case, DecimalField, F, OuterRef, Subquery, Value, When
from django.db.models.functions import Greatest, Least
from django.utils.translation import gettext_lazy as _

from branches.models import OrgUnit, UnitStatus
from kpi.models import (
    EARLY,
    Direction,
    LineKind,
    Metric,
    RollupDay,
    Scorecard,
    ScorecardLine,
    Status,
    TemplateLine,
    shown_status,
    shown_status_label,
)
from kpi.selectors.scorecards import child_units
from lib.periods import PeriodKind

# The columns where no template scores the child units (units above outlets have no template): the
# bank's headline figures of DOMAIN.md §8 that a plan sets targets for, so that every cell can have a
# status: the cumulative ones (a unit without a target of its own takes the sum of its children's,
# kpi.services.rollup.targets_from_children), then service. Balances (余额) have no target of their own
# in a plan (their growth, 存款净增, has), so a balance column was a column of "no target".
DEFAULT_OVERVIEW_METRICS = (
    "deposit_growth",
    "loan_disbursed",
    "mobile_banking_signups",
    "wealth_sales",
    "premium_customers_growth",
    "satisfaction_rate",
)

# How many lines behind pace the overview lists (real alerts with owners and deadlines come later).
BEHIND_PACE_LIMIT = 20

# The states of an overview cell, in the heatmap's legend order ("early", last so that the others keep
# their index in the chart's data: a status too early in its period to judge, shown muted,
# kpi.models.too_early_to_judge).
OVERVIEW_STATES = ("green", "amber", "red", "none", "missing", EARLY)


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
    time_progress: Decimal | None = None
    target_from_children: bool = False

    @property
    def state(self) -> str:
        """One of OVERVIEW_STATES: green, amber, red; early (too early in the period to judge); none (a
        line without a target); missing (no line)."""
        if not self.has_line:
            return "missing"
        return shown_status(self.status, self.time_progress) or "none"

    @property
    def label(self) -> str:
        if self.status:
            return shown_status_label(self.status, self.time_progress)
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
        for card in (
            Scorecard.objects.published(on=date)
            .filter(period=str(period), staff=None, unit__parent=unit)
            .order_by("pk")
            .values("pk", "unit_id", "template_id")
        ):
            cards[card["unit_id"]] = card  # the latest wins, as in scorecard_get
    metrics = _overview_metrics(template_ids={card["template_id"] for card in cards.values() if card["template_id"]})
    lines: dict[tuple[int, int], dict] = {}
    if cards and metrics:
        for line in ScorecardLine.objects.filter(
            scorecard_id__in=[card["pk"] for card in cards.values()], metric_id__in=[metric.pk for metric in metrics]
        ).values(
            "scorecard_id",
            "metric_id",
            "status",
            "actual",
            "target",
            "pace_attainment",
            "time_progress",
            "target_from_children",
        ):
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
                    time_progress=line["time_progress"] if line else None,
                    target_from_children=bool(line and line["target_from_children"]),
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
    scorecards of the day and period kind, in the order that says what matters (BEHIND_PACE_ORDER), at
    most `limit`, each with its scorecard's unit, its metric and `points_lost`; and how many there are.

    Never by pace-adjusted attainment: a ratio of tiny numbers (a premium-customer change of −2 against
    a target of 1 is "−250 %") would head the list while a deposit line worth thirty points sat below it.

    1. Lines a scorecard template weighs come first, by the points they lose against pace: weight × (1 −
       the pace-adjusted attainment clamped to the line's floor and cap, and at most 1), what the line
       would score on pace less what it scores (a points or veto line, or a unit no template scores,
       loses no weighted points).
    2. Then the others, metric by metric in catalog order, each by its gap to pace in the metric's
       unit, the largest shortfall first (a gap below pace for a higher-is-better metric, above the
       allowance for a lower-is-better one): amounts in 万元 and counts in 户 are never compared.
    3. Lines too early in their period to judge (kpi.models.too_early_to_judge) are left out.

    Two queries (the lines, the count). A stand-in for early-warning items, which will have an owner
    and a deadline; these are only what the figures say today.
    """
    if date is None:
        return [], 0
    behind = ScorecardLine.objects.filter(
        date=date,
        scorecard__run__in=RollupDay.objects.published(on=date).runs(),
        scorecard__date=date,
        scorecard__period=str(period),
        scorecard__staff=None,
        scorecard__unit__path__startswith=unit.path,
        status=Status.RED,
        time_progress__gte=Decimal(str(settings.EARLY_PERIOD_BELOW)),
    )
    shown = list(
        behind.annotate(points_lost=_points_lost(), shortfall=_shortfall())
        .select_related("scorecard__unit", "metric")
        .order_by(*BEHIND_PACE_ORDER)[:limit]
    )
    return shown, behind.count()


BEHIND_PACE_ORDER = (
    F("points_lost").desc(nulls_last=True),
    "metric__sort_order",
    "metric__code",
    F("shortfall").desc(nulls_last=True),
    "scorecard__unit__path",
)

_AMOUNT = DecimalField(max_digits=20, decimal_places=6)


def _points_lost() -> Subquery:
    """weight × (1 − min(1, clamp(pace-adjusted attainment, floor, cap))) of the weighted template line
    that scores the line (the scorecard's template and the line's metric); NULL without one."""
    pace = OuterRef("pace_attainment")
    on_pace_share = Least(Value(Decimal(1)), Greatest(F("floor"), Least(pace, F("cap"))), output_field=_AMOUNT)
    weighted = TemplateLine.objects.filter(
        template_id=OuterRef("scorecard__template_id"), metric_id=OuterRef("metric_id"), kind=LineKind.WEIGHTED
    )
    lost = weighted.annotate(lost=F("weight") * (Value(Decimal(1)) - on_pace_share)).values("lost")[:1]
    return Subquery(lost, output_field=_AMOUNT)


def _shortfall() -> Case:
    """How far behind pace in the metric's unit, positive when behind: −gap for higher-is-better, the gap
    for lower-is-better (complaints above their allowance)."""
    return Case(
        When(metric__direction=Direction.LOWER, then=F("gap_to_pace")),
        default=-F("gap_to_pace"),
        output_field=_AMOUNT,
    )
