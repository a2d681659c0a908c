"""Targets, decomposed (指标分解, DOMAIN.md §4): a unit's target over its child units, a year's (or a
quarter's) over its quarters or months, an outlet's over its staff.

Planning and writing are apart, so a person sees every part before anything is saved:

- plan_over_children, plan_over_time and plan_over_staff read what they need and return a SplitPlan:
  every part (who, period, old value, new value, share of the whole) and the parts of an earlier split
  of the same target that the new plan no longer covers (they are removed when the plan is applied).
  They write nothing and raise SplitProblem (a ValueError) with what is wrong and what is expected.
- decomposition_apply writes a plan in one transaction through the audited target path (target_set
  and targets_delete, source "split"): every new or changed part leaves a TargetChange row.

Which parts add up to the whole:

- Over units (child units, staff): every kind but a ratio adds up. A unit's sum, net change and
  balance are the sums of its outlets', and its daily average is the average of the added-up balance,
  which is the sum of the outlets' daily averages (DOMAIN.md §3). So for sum, change, last and average
  the parts add up exactly to the whole; a ratio is a level, and every part gets the parent's level.
- Over time (quarters, months): only the cumulative kinds (sum, change) add up. A balance, a daily
  average or a ratio is a level to reach and hold, and every quarter or month gets the parent's level.

Parts that add up are rounded to 2 decimals and the rounding remainder goes to the largest part
(split_exact). A part whose share is 0 (a child without any actual in the basis period, a post
weighted 0, a month weighted 0, a child left empty in a manual split) is not part of the plan: no
target is written for it, and a target an earlier split of the same parent wrote there is removed.

A re-split replaces the earlier split along the same line only: splitting a year target into months
again replaces its earlier months, but leaves its quarters and its split over child units alone
(Target.split_from ties each part to the target it came from).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q, QuerySet, Sum
from django.utils.translation import gettext, pgettext_lazy

from branches.models import OrgUnit
from kpi.models import Aggregation, Fact, Metric, Target
from kpi.services.targets import target_set, targets_delete, value_problem
from lib.periods import Period, PeriodKind, days_between, period_of
from staff.models import Assignment, Post, StaffMember

PLACES = 2
SOURCE = "split"
_HUNDRED = Decimal(100)


class SplitProblem(ValueError):
    """What stops a split, said so a person can fix it (shown on the admin's split form)."""


class Dimension(StrEnum):
    CHILDREN = "children"
    TIME = "time"
    STAFF = "staff"


# Period kinds inside a sentence, in the reader's language: "a month target", "split into months".
KIND_IN_TEXT = {
    PeriodKind.DAY: pgettext_lazy("a … target", "day"),
    PeriodKind.WEEK: pgettext_lazy("a … target", "week"),
    PeriodKind.MONTH: pgettext_lazy("a … target", "month"),
    PeriodKind.QUARTER: pgettext_lazy("a … target", "quarter"),
    PeriodKind.YEAR: pgettext_lazy("a … target", "year"),
}
KINDS_IN_TEXT = {
    PeriodKind.DAY: pgettext_lazy("split into …", "days"),
    PeriodKind.WEEK: pgettext_lazy("split into …", "weeks"),
    PeriodKind.MONTH: pgettext_lazy("split into …", "months"),
    PeriodKind.QUARTER: pgettext_lazy("split into …", "quarters"),
    PeriodKind.YEAR: pgettext_lazy("split into …", "years"),
}

# What a period of each kind can be split into, and how many parts that makes.
_SUB_PERIODS = {
    PeriodKind.YEAR: (PeriodKind.QUARTER, PeriodKind.MONTH),
    PeriodKind.QUARTER: (PeriodKind.MONTH,),
}


# -- the arithmetic --------------------------------------------------------------------------------


def split_exact(total: Decimal, weights: list[Decimal], *, places: int = PLACES) -> list[Decimal]:
    """Parts of `total` proportional to `weights`, each rounded to `places` decimals (half up), that add
    up exactly to `total`: the rounding remainder goes to the largest part (the part of the largest
    weight; among equal weights the last, as the last item absorbs the 尾差 in bookkeeping).

    100 over three equal weights: 33.33, 33.33, 33.34. 1000 by 1 : 2 : 3: 166.67, 333.33, 500.00.
    A part whose weight is 0 is 0. Only the part taking the remainder can carry more than `places`
    decimals, when `total` itself does (100.0001 over 3: 33.33, 33.33, 33.3401).

    Raises SplitProblem (a ValueError) for no weights, a weight below 0 or not a number, or weights
    adding up to 0.
    """
    if not weights:
        raise SplitProblem(gettext("nothing to split over: no weights were given"))
    try:
        weights = [Decimal(weight) for weight in weights]
    except (InvalidOperation, TypeError, ValueError):
        raise SplitProblem(gettext("weights must be numbers; got %(weights)s") % {"weights": repr(weights)})
    if bad := [str(weight) for weight in weights if not weight.is_finite() or weight < 0]:
        raise SplitProblem(
            gettext("weights must be numbers of 0 or more; got %(weights)s") % {"weights": ", ".join(bad)}
        )
    whole = sum(weights)
    if whole == 0:
        raise SplitProblem(gettext("the weights add up to 0: give at least one weight above 0"))
    quantum = Decimal(1).scaleb(-places)
    with localcontext() as context:
        context.prec = 60
        parts = [(total * weight / whole).quantize(quantum, rounding=ROUND_HALF_UP) for weight in weights]
        largest = max(range(len(weights)), key=lambda index: (weights[index], index))
        parts[largest] += total - sum(parts)
    return parts


def _share_percent(value: Decimal, whole: Decimal) -> Decimal | None:
    if whole == 0:
        return None
    return (value * _HUNDRED / whole).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# -- plans -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedPart:
    """One line of a plan. `value` None: a part of an earlier split that this plan no longer covers,
    removed when the plan is applied. For a staff part `unit` is the outlet the person works at (the
    target itself is stored for the person alone, see target_set)."""

    period: Period
    value: Decimal | None
    old_value: Decimal | None = None
    unit: OrgUnit | None = None
    staff: StaffMember | None = None
    share: Decimal | None = None  # percent of the whole, when the parts add up
    weight: Decimal | None = None  # what the share is proportional to
    basis: str = ""  # that weight, in words
    note: str = ""

    @property
    def removes(self) -> bool:
        return self.value is None

    @property
    def code(self) -> str:
        return self.staff.code if self.staff is not None else self.unit.code

    @property
    def who(self) -> str:
        return str(self.staff) if self.staff is not None else str(self.unit)

    @property
    def key(self) -> tuple:
        return _key(
            None if self.staff is not None else self.unit.pk, self.staff.pk if self.staff else None, self.period
        )


@dataclass(frozen=True)
class SplitPlan:
    """What a split would write (`writes`) and remove (`removals`); iterate it for every line."""

    target: Target
    dimension: Dimension
    method: str
    adds_up: bool
    parts: tuple[PlannedPart, ...]
    into: PeriodKind | None = None  # time splits: quarters or months
    notes: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[PlannedPart]:
        return iter(self.parts)

    def __len__(self) -> int:
        return len(self.parts)

    @property
    def writes(self) -> list[PlannedPart]:
        return [part for part in self.parts if not part.removes]

    @property
    def removals(self) -> list[PlannedPart]:
        return [part for part in self.parts if part.removes]

    @property
    def total(self) -> Decimal:
        """The sum of the new values: the whole target when the parts add up."""
        return sum((part.value for part in self.writes), Decimal(0))

    def fingerprint(self) -> str:
        """Every line as text: the admin checks that what is confirmed is what was previewed."""
        return "|".join(f"{part.code}:{part.period.code}:{part.value}" for part in self.parts)


def _key(unit_id: int | None, staff_id: int | None, period: Period) -> tuple:
    return (unit_id, staff_id, period.kind.value, period.start)


def _target_key(target: Target) -> tuple:
    return (target.unit_id, target.staff_id, target.period_kind, target.period_start)


def target_period(target: Target) -> Period:
    return Period(target.period_start, target.period_end, PeriodKind(target.period_kind))


def _existing_targets(metric: Metric, keys: list[tuple]) -> dict[tuple, Target]:
    """The stored targets at these keys (unit id, staff id, period kind, period start): one query."""
    if not keys:
        return {}
    holders = Q(staff__isnull=True, unit_id__in={key[0] for key in keys if key[0]}) | Q(
        unit__isnull=True, staff_id__in={key[1] for key in keys if key[1]}
    )
    candidates = Target.objects.filter(
        holders,
        metric=metric,
        period_kind__in={key[2] for key in keys},
        period_start__in={key[3] for key in keys},
    ).select_related("split_from__unit", "split_from__staff", "split_from__metric")
    wanted = set(keys)
    return {_target_key(target): target for target in candidates if _target_key(target) in wanted}


def _earlier_parts(parent: Target, dimension: Dimension, into: PeriodKind | None) -> QuerySet[Target]:
    """The parts an earlier split of `parent` wrote along this dimension (so a split over months does
    not touch the parent's quarters, nor its split over child units)."""
    parts = Target.objects.filter(split_from=parent)
    if dimension == Dimension.TIME:
        return parts.filter(unit_id=parent.unit_id, staff_id=parent.staff_id, period_kind=into)
    same_period = parts.filter(period_kind=parent.period_kind, period_start=parent.period_start)
    if dimension == Dimension.STAFF:
        return same_period.filter(staff__isnull=False)
    return same_period.filter(staff__isnull=True).exclude(unit_id=parent.unit_id)


def _plan(
    parent: Target,
    dimension: Dimension,
    method: str,
    adds_up: bool,
    lines: list[dict],
    *,
    into: PeriodKind | None = None,
    notes: list[str] | None = None,
) -> SplitPlan:
    """Complete the lines (unit/staff, period, value, weight, basis) with the old values, the share of
    the whole and what an earlier split wrote that this one no longer covers."""
    keys = [
        _key(None if line.get("staff") else line["unit"].pk, getattr(line.get("staff"), "pk", None), line["period"])
        for line in lines
    ]
    existing = _existing_targets(parent.metric, keys)
    parts = []
    for key, line in zip(keys, lines, strict=True):
        old = existing.get(key)
        note = line.pop("note", "")
        if old is not None and old.split_from_id not in (None, parent.pk):
            taken = gettext("now a part of the split of %(split)s; this split takes it over") % {
                "split": old.split_from
            }
            note = f"{note}; {taken}" if note else taken
        share = _share_percent(line["value"], parent.value) if adds_up else None
        parts.append(PlannedPart(old_value=old.value if old else None, share=share, note=note, **line))
    covered = set(keys)
    for earlier in _earlier_parts(parent, dimension, into).select_related("unit", "staff").order_by("period_start"):
        if _target_key(earlier) not in covered:
            parts.append(
                PlannedPart(
                    period=target_period(earlier),
                    value=None,
                    old_value=earlier.value,
                    unit=earlier.unit,
                    staff=earlier.staff,
                    note=gettext("no longer part of this split: its target is removed"),
                )
            )
    return SplitPlan(
        target=parent,
        dimension=dimension,
        method=method,
        adds_up=adds_up,
        parts=tuple(parts),
        into=into,
        notes=notes or [],
    )


def adds_up_over_units(metric: Metric) -> bool:
    return metric.aggregation != Aggregation.RATIO


def adds_up_over_time(metric: Metric) -> bool:
    return metric.is_cumulative


# -- over child units --------------------------------------------------------------------------------


def plan_over_children(
    target: Target,
    method: str = "equal",
    basis_period: Period | None = None,
    manual: dict[str, Decimal] | None = None,
) -> SplitPlan:
    """Split a unit's target over its direct child units that are active, for the same period.

    method:
    - "equal": equal parts.
    - "proportional": in proportion to each child's actual of the same metric in `basis_period`
      (default: the period before the target's), read in a few set-based queries (child_actuals).
      A child whose actual is missing, 0 or below gets no share.
    - "manual": `manual` maps child codes to their parts; a child left out gets no share. When the
      parts add up (every kind but a ratio) they must add up to the whole exactly.

    Sum, change, last and average targets are split so the parts add up exactly to the whole; a ratio
    target is a level, and every child gets the parent's level (with "manual", each its own).
    """
    if target.unit_id is None:
        raise SplitProblem(
            gettext("%(target)s is a staff member's target; only a unit's target is split over child units")
            % {"target": target}
        )
    unit = target.unit
    children = list(OrgUnit.objects.filter(parent=unit).active().order_by("path"))
    if not children:
        raise SplitProblem(
            gettext("unit %(unit)s has no active child units to split its target over") % {"unit": unit.code}
        )
    metric = target.metric
    period = target_period(target)
    adds_up = adds_up_over_units(metric)
    notes = []
    lines: list[dict] = []

    if method == "equal":
        values = split_exact(target.value, [Decimal(1)] * len(children)) if adds_up else [target.value] * len(children)
        lines = [
            {"unit": child, "period": period, "value": value, "basis": gettext("equal")}
            for child, value in zip(children, values, strict=True)
        ]

    elif method == "proportional":
        basis_period = basis_period or period.previous()
        if not adds_up:
            notes.append(
                gettext("%(metric)s is a ratio: every child unit gets the same level, whatever the basis")
                % {"metric": metric.code}
            )
            lines = [
                {"unit": child, "period": period, "value": target.value, "basis": gettext("same level")}
                for child in children
            ]
        else:
            actuals = child_actuals(metric=metric, parent=unit, children=children, period=basis_period)
            weights = {child.pk: max(actuals.get(child.pk) or Decimal(0), Decimal(0)) for child in children}
            covered = [child for child in children if weights[child.pk] > 0]
            if not covered:
                raise SplitProblem(
                    gettext(
                        "no child unit of %(unit)s has an actual above 0 for %(metric)s in %(period)s; "
                        "choose another basis period or split equally"
                    )
                    % {"unit": unit.code, "metric": metric.code, "period": basis_period.code}
                )
            values = split_exact(target.value, [weights[child.pk] for child in covered])
            for child, value in zip(covered, values, strict=True):
                lines.append(
                    {
                        "unit": child,
                        "period": period,
                        "value": value,
                        "weight": actuals[child.pk],
                        "basis": gettext("%(period)s actual %(value)s")
                        % {"period": basis_period.code, "value": plain_number(actuals[child.pk])},
                    }
                )
            for child in children:
                if weights[child.pk] <= 0:
                    actual = actuals.get(child.pk)
                    shown = pgettext_lazy("no actual", "none") if actual is None else plain_number(actual)
                    notes.append(
                        gettext("%(unit)s: %(period)s actual %(value)s, so no share")
                        % {"unit": child.code, "period": basis_period.code, "value": shown}
                    )

    elif method == "manual":
        manual = {code: value for code, value in (manual or {}).items() if value is not None}
        by_code = {child.code: child for child in children}
        if unknown := sorted(set(manual) - set(by_code)):
            raise SplitProblem(
                gettext("%(codes)s: not an active child unit of %(unit)s (its child units are %(children)s)")
                % {"codes": ", ".join(unknown), "unit": unit.code, "children": ", ".join(by_code)}
            )
        if not manual:
            raise SplitProblem(gettext("give the part of at least one child unit"))
        problems = [f"{code}: {problem}" for code, value in manual.items() if (problem := value_problem(value))]
        if problems:
            raise SplitProblem("; ".join(problems))
        given = sum(manual.values(), Decimal(0))
        if adds_up and given != target.value:
            raise SplitProblem(
                gettext(
                    "the parts add up to %(given)s, not to the target %(target)s (difference %(difference)s); "
                    "the parts of a %(kind)s target add up to the whole"
                )
                % {
                    "given": plain_number(given),
                    "target": plain_number(target.value),
                    "difference": plain_number(given - target.value),
                    "kind": metric.get_aggregation_display(),
                }
            )
        lines = [
            {"unit": child, "period": period, "value": manual[child.code], "basis": gettext("by hand")}
            for child in children
            if child.code in manual
        ]
    else:
        raise SplitProblem(
            gettext("unknown method '%(method)s' (expected equal, proportional or manual)") % {"method": method}
        )

    return _plan(target, Dimension.CHILDREN, method, adds_up, lines, notes=notes)


def child_actuals(
    *, metric: Metric, parent: OrgUnit, children: list[OrgUnit], period: Period
) -> dict[int, Decimal | None]:
    """Each child's actual of `metric` over `period` as the rollup would compute it at period end,
    from the outlets of the child's subtree (their own facts, not their staff's). Child id → value,
    missing (or None) when the child has nothing to show.

    - sum: the sum of the outlets' facts dated in the period (one query);
    - last: the balance on the period's last day, each outlet's latest fact on or before it carried
      forward; change: that balance minus the one on the day before the period began (outlets without
      an opening balance show no change, as in the rollup); average: the daily average of the balance
      over the period's calendar days. Stocks take two queries: the facts dated in the period and each
      outlet's latest fact before it.
    - ratio: not an amount that adds up; None for every child.
    """
    child_of = _child_resolver(parent, children)
    kind = metric.aggregation
    totals: dict[int, Decimal] = {}
    if kind == Aggregation.SUM:
        rows = (
            _outlet_facts(metric, parent)
            .filter(date__gte=period.start, date__lte=period.end)
            .values("unit__path")
            .annotate(total=Sum("value"))
            .values_list("unit__path", "total")
        )
        for path, total in rows:
            if (child := child_of(path)) is not None:
                totals[child] = totals.get(child, Decimal(0)) + total
        return totals
    if kind not in (Aggregation.LAST, Aggregation.CHANGE, Aggregation.AVERAGE):
        return {}
    stock = metric if kind == Aggregation.LAST else metric.base
    for path, opening, dated in _stock_histories(stock, parent, period).values():
        child = child_of(path)
        if child is None:
            continue
        closing = dated[-1][1] if dated else opening
        if kind == Aggregation.LAST:
            figure = closing
        elif kind == Aggregation.CHANGE:
            figure = None if opening is None or closing is None else closing - opening
        else:
            figure = _daily_average(opening, dated, period)
        if figure is not None:
            totals[child] = totals.get(child, Decimal(0)) + figure
    return totals


def _child_resolver(parent: OrgUnit, children: list[OrgUnit]):
    """A unit's path → the id of the child of `parent` whose subtree holds it (None if none)."""
    by_code = {child.code: child.pk for child in children}
    depth = len(parent.path)

    def child_of(path: str) -> int | None:
        return by_code.get(path[depth:].split("/", 1)[0])

    return child_of


def _outlet_facts(metric: Metric, parent: OrgUnit):
    return Fact.objects.filter(metric=metric, staff__isnull=True, unit__path__startswith=parent.path).exclude(
        unit=parent
    )


def _stock_histories(
    stock: Metric, parent: OrgUnit, period: Period
) -> dict[int, tuple[str, Decimal | None, list[tuple[datetime.date, Decimal]]]]:
    """Per outlet under `parent`: (path, the balance carried into the period, the facts dated in it)."""
    facts = _outlet_facts(stock, parent)
    histories: dict[int, tuple[str, Decimal | None, list]] = {}
    latest_before = dict(
        facts.filter(date__lt=period.start)
        .values("unit_id")
        .annotate(latest=Max("date"))
        .values_list("unit_id", "latest")
    )
    if latest_before:
        for unit_id, path, date, value in facts.filter(
            unit_id__in=latest_before, date__in=set(latest_before.values())
        ).values_list("unit_id", "unit__path", "date", "value"):
            if latest_before[unit_id] == date:
                histories[unit_id] = (path, value, [])
    for unit_id, path, date, value in (
        facts.filter(date__gte=period.start, date__lte=period.end)
        .order_by("unit_id", "date")
        .values_list("unit_id", "unit__path", "date", "value")
    ):
        histories.setdefault(unit_id, (path, None, []))[2].append((date, value))
    return histories


def _daily_average(opening: Decimal | None, dated: list[tuple[datetime.date, Decimal]], period: Period) -> Decimal:
    """Σ over the period's calendar days of the carried-forward balance / the number of days (a day
    before any balance is known counts 0, as in the rollup)."""
    total = Decimal(0)
    current, since = opening, period.start
    for date, value in dated:
        if current is not None:
            total += current * (date - since).days
        current, since = value, date
    if current is not None:
        total += current * ((period.end - since).days + 1)
    with localcontext() as context:
        context.prec = 40
        return (total / period.days).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


# -- over time ---------------------------------------------------------------------------------------


def sub_periods(period: Period, into: PeriodKind) -> list[Period]:
    """The quarters or months of a year, or the months of a quarter."""
    if into not in _SUB_PERIODS.get(period.kind, ()):
        raise SplitProblem(
            gettext(
                "a %(kind)s target (%(period)s) cannot be split into %(into)s; "
                "a year target splits into quarters or months, a quarter target into months"
            )
            % {"kind": KIND_IN_TEXT[period.kind], "period": period.code, "into": KINDS_IN_TEXT[into]}
        )
    parts = []
    day = period.start
    while day <= period.end:
        part = period_of(into, day)
        parts.append(part)
        day = part.end + datetime.timedelta(days=1)
    return parts


def plan_over_time(target: Target, into: str = "quarter", weights: list[Decimal] | None = None) -> SplitPlan:
    """Split a year target into quarters or months (or a quarter target into months), equally or by
    seasonal weights: one weight per part (4 quarters, 12 months, 3 months), in calendar order.

    Sum and change targets are split so the parts add up exactly to the whole (a month weighted 0 gets
    no target). Last, average and ratio targets are levels: every quarter or month gets the parent's
    level, and weights (still checked) change nothing.
    """
    try:
        into_kind = PeriodKind(into)
    except ValueError:
        raise SplitProblem(
            gettext("'%(into)s' is not a period kind to split into (expected quarter or month)") % {"into": into}
        )
    periods = sub_periods(target_period(target), into_kind)
    if weights is not None and len(weights) != len(periods):
        raise SplitProblem(
            gettext("%(needed)s weights are needed, one per %(kind)s of %(period)s in calendar order; got %(got)s")
            % {"needed": len(periods), "kind": KIND_IN_TEXT[into_kind], "period": target.period, "got": len(weights)}
        )
    method = "equal" if weights is None else "weights"
    weights = weights if weights is not None else [Decimal(1)] * len(periods)
    adds_up = adds_up_over_time(target.metric)
    values = split_exact(target.value, weights)  # also checks the weights
    notes = []
    if adds_up:
        lines = [
            {
                "unit": target.unit,
                "staff": target.staff,
                "period": period,
                "value": value,
                "weight": weight,
                "basis": gettext("weight %(weight)s") % {"weight": plain_number(weight)},
            }
            for period, value, weight in zip(periods, values, weights, strict=True)
            if weight > 0
        ]
    else:
        notes.append(
            gettext("%(metric)s is a level (%(kind)s): every %(into)s gets it")
            % {
                "metric": target.metric.code,
                "kind": target.metric.get_aggregation_display(),
                "into": KIND_IN_TEXT[into_kind],
            }
        )
        same = gettext("same level")
        lines = [
            {"unit": target.unit, "staff": target.staff, "period": period, "value": target.value, "basis": same}
            for period in periods
        ]
    return _plan(target, Dimension.TIME, method, adds_up, lines, into=into_kind, notes=notes)


# -- over staff --------------------------------------------------------------------------------------


def plan_over_staff(target: Target, post_weights: dict[str, Decimal]) -> SplitPlan:
    """Split an outlet's target over the staff assigned to it during the target's period, by post:
    each person's weight is their post's weight times the days of the period they are assigned there
    (a day on two posts at once counts the heavier), so someone who joins halfway gets half a share.
    A post weighted 0 is left out; every post held at the outlet in the period needs a weight.

    Sum, change, last and average targets are split so the parts add up exactly to the whole; a ratio
    target is a level, and every person gets it. Each part is a staff member's own target (a target
    follows the person): someone who also works at another outlet has one target for the metric and
    period, and the split made last sets it.
    """
    unit, metric = target.unit, target.metric
    if unit is None or not unit.is_outlet:
        raise SplitProblem(
            gettext("%(target)s is not an outlet's target; only an outlet's target is split over its staff")
            % {"target": target}
        )
    if not metric.for_staff:
        raise SplitProblem(
            gettext(
                "metric '%(metric)s' is not measured per staff member (level: %(level)s); "
                "only a metric of level staff or both can be split over staff"
            )
            % {"metric": metric.code, "level": metric.get_level_display()}
        )
    period = target_period(target)
    assignments = list(
        Assignment.objects.filter(unit=unit, start__lte=period.end)
        .filter(Q(end__isnull=True) | Q(end__gte=period.start))
        .select_related("staff", "post")
        .order_by("staff__code", "start")
    )
    if not assignments:
        raise SplitProblem(
            gettext("nobody is assigned to outlet %(unit)s during %(period)s; no staff to split over")
            % {"unit": unit.code, "period": period.code}
        )
    try:
        post_weights = {code: Decimal(weight) for code, weight in post_weights.items()}
    except (InvalidOperation, TypeError, ValueError):
        raise SplitProblem(gettext("post weights must be numbers; got %(weights)s") % {"weights": repr(post_weights)})
    known_posts = set(Post.objects.values_list("code", flat=True))
    if unknown := sorted(set(post_weights) - known_posts):
        raise SplitProblem(
            gettext("unknown post %(posts)s (posts: %(known)s)")
            % {"posts": ", ".join(unknown), "known": ", ".join(sorted(known_posts))}
        )
    if bad := [f"{code} {weight}" for code, weight in post_weights.items() if not weight.is_finite() or weight < 0]:
        raise SplitProblem(gettext("post weights must be 0 or more: %(weights)s") % {"weights": ", ".join(bad)})
    missing: dict[str, list[str]] = {}
    for assignment in assignments:
        if assignment.post.code not in post_weights:
            missing.setdefault(assignment.post.code, []).append(assignment.staff.code)
    if missing:
        held = "; ".join(
            gettext("%(post)s (held by %(staff)s)") % {"post": code, "staff": ", ".join(sorted(set(staff)))}
            for code, staff in missing.items()
        )
        raise SplitProblem(
            gettext("give a weight for every post held at %(unit)s in %(period)s (0 leaves it out): %(held)s")
            % {"unit": unit.code, "period": period.code, "held": held}
        )

    people: dict[int, StaffMember] = {}
    held_by: dict[int, list[Assignment]] = {}
    for assignment in assignments:
        people[assignment.staff_id] = assignment.staff
        held_by.setdefault(assignment.staff_id, []).append(assignment)
    weights: dict[int, Decimal] = {}
    basis: dict[int, str] = {}
    for staff_id, held in held_by.items():
        weight, days = Decimal(0), 0
        for day in days_between(period.start, period.end):
            today = [post_weights[a.post.code] for a in held if a.start <= day and (a.end is None or a.end >= day)]
            if today and max(today) > 0:
                weight += max(today)
                days += 1
        weights[staff_id] = weight
        posts = ", ".join(sorted({f"{a.post.code} × {plain_number(post_weights[a.post.code])}" for a in held}))
        basis[staff_id] = gettext("%(posts)s; %(days)s of %(total)s days") % {
            "posts": posts,
            "days": days,
            "total": period.days,
        }
    covered = [staff_id for staff_id in people if weights[staff_id] > 0]
    if not covered:
        raise SplitProblem(
            gettext("every post held at %(unit)s in %(period)s is weighted 0: nobody to split over")
            % {"unit": unit.code, "period": period.code}
        )
    adds_up = adds_up_over_units(metric)
    if adds_up:
        values = split_exact(target.value, [weights[staff_id] for staff_id in covered])
    else:
        values = [target.value] * len(covered)
    lines = [
        {
            "unit": unit,
            "staff": people[staff_id],
            "period": period,
            "value": value,
            "weight": weights[staff_id],
            "basis": basis[staff_id],
        }
        for staff_id, value in zip(covered, values, strict=True)
    ]
    notes = [
        gettext("%(staff)s: %(basis)s, so no share") % {"staff": people[staff_id].code, "basis": basis[staff_id]}
        for staff_id in people
        if staff_id not in covered
    ]
    return _plan(target, Dimension.STAFF, "posts", adds_up, lines, notes=notes)


# -- the arithmetic of a plan made on a page (the plans app) -------------------------------------------
# The page fills a grid of proposals before any target exists, so these take numbers rather than
# Target rows; the parts still come from split_exact (the remainder to the largest part).


class NonPositive(StrEnum):
    """What a proportional split does with a basis of 0 or below (a child whose deposits fell)."""

    FLOOR = "floor"  # counted as 0: that child gets no share (the page says so); all ≤ 0: equal shares
    EQUAL = "equal"  # any basis ≤ 0 or missing: equal shares for everyone (the page says so)


@dataclass(frozen=True)
class BasisSplit:
    """The parts of a split in proportion to a basis, and what was done about the bases that could not
    weigh: `floored` (below 0, counted as 0), `zero` (exactly 0), `missing` (no figure, counted as 0),
    `equal_fallback` (split equally instead, see NonPositive)."""

    values: dict
    floored: tuple = ()
    zero: tuple = ()
    missing: tuple = ()
    equal_fallback: bool = False


def split_equally(total: Decimal, keys: list, *, adds_up: bool = True) -> dict:
    """Equal parts of `total` that add up exactly (split_exact); for a level (adds_up False: a ratio) every
    key gets the whole."""
    if not keys:
        return {}
    if not adds_up:
        return dict.fromkeys(keys, total)
    return dict(zip(keys, split_exact(total, [Decimal(1)] * len(keys)), strict=True))


def split_by_basis(
    total: Decimal,
    bases: dict,
    *,
    on_nonpositive: NonPositive | str = NonPositive.FLOOR,
    adds_up: bool = True,
) -> BasisSplit:
    """Parts of `total` in proportion to `bases` (key → figure or None), adding up exactly (split_exact).

    A basis below 0 or missing never takes a negative share: with FLOOR it counts as 0 (its key gets 0)
    and, when no basis is above 0, the split falls back to equal parts; with EQUAL any basis of 0 or
    below (or missing) makes the whole split equal. A level (adds_up False) gives every key the whole.

        split_by_basis(1000, {"A": 300, "B": -50, "C": 100})  →  A 750.00, B 0.00, C 250.00; floored (B,)
    """
    keys = list(bases)
    if not keys:
        return BasisSplit(values={})
    if not adds_up:
        return BasisSplit(values=dict.fromkeys(keys, total))
    floored = tuple(key for key in keys if bases[key] is not None and bases[key] < 0)
    zero = tuple(key for key in keys if bases[key] is not None and bases[key] == 0)
    missing = tuple(key for key in keys if bases[key] is None)
    weights = [max(bases[key] or Decimal(0), Decimal(0)) for key in keys]
    if sum(weights) == 0 or (NonPositive(on_nonpositive) == NonPositive.EQUAL and (floored or zero or missing)):
        values = split_equally(total, keys)
        return BasisSplit(values=values, floored=floored, zero=zero, missing=missing, equal_fallback=True)
    values = dict(zip(keys, split_exact(total, weights), strict=True))
    return BasisSplit(values=values, floored=floored, zero=zero, missing=missing)


def split_over_time(
    total: Decimal, period: Period, into: PeriodKind | str, weights: list[Decimal] | None = None, *, adds_up: bool
) -> list[tuple[Period, Decimal]]:
    """A year's (or a quarter's) figure over its quarters or months, equally or by seasonal weights (one
    per part, in calendar order), adding up exactly when the metric adds up over time (sum, change); a
    level is the same in every part. SplitProblem for a wrong number of weights or bad weights."""
    periods = sub_periods(period, PeriodKind(into))
    if weights is not None and len(weights) != len(periods):
        raise SplitProblem(f"{len(periods)} weights are needed, one per {into} in calendar order; got {len(weights)}")
    weights = weights if weights is not None else [Decimal(1)] * len(periods)
    values = split_exact(total, weights)  # also checks the weights
    if not adds_up:
        values = [total] * len(periods)
    return list(zip(periods, values, strict=True))


# -- writing -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SplitResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, {self.removed} removed"

    def described(self) -> str:
        """The counts in the reader's language, for the admin's message."""
        return gettext("%(created)s created, %(updated)s updated, %(unchanged)s unchanged, %(removed)s removed") % {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
        }


def decomposition_apply(*, plan: SplitPlan, changed_by=None) -> SplitResult:
    """Write a plan, all or nothing:

    1. Lock the parent target; if it was deleted or its value changed since the plan was made, refuse
       (ValidationError): the parts were computed from the old value.
    2. Set every part through target_set (source "split"): audited, and the rollup marked stale.
    3. Point every part at the parent (Target.split_from).
    4. Delete, through targets_delete (audited), the parts an earlier split of the parent wrote along
       the same dimension that this plan does not cover, as found now, inside the transaction.
    """
    parent = plan.target
    created = updated = unchanged = 0
    with transaction.atomic():
        current = Target.objects.select_for_update().filter(pk=parent.pk).first()
        if current is None or current.value != parent.value:
            raise ValidationError(
                gettext("the target %(target)s changed since this split was planned; plan the split again")
                % {"target": parent}
            )
        before = {
            key: target.value for key, target in _existing_targets(parent.metric, [p.key for p in plan.writes]).items()
        }
        kept: list[int] = []
        for part in plan.writes:
            try:
                target, was_created = target_set(
                    metric=parent.metric,
                    period=part.period,
                    value=part.value,
                    unit=part.unit,
                    staff=part.staff,
                    changed_by=changed_by,
                    source=SOURCE,
                )
            except ValidationError as exc:
                raise ValidationError(
                    gettext("%(code)s %(period)s: %(problems)s")
                    % {"code": part.code, "period": part.period.code, "problems": "; ".join(exc.messages)}
                )
            kept.append(target.pk)
            if was_created:
                created += 1
            elif before.get(part.key) == part.value:
                unchanged += 1
            else:
                updated += 1
        Target.objects.filter(pk__in=kept).exclude(split_from=parent).update(split_from=parent)
        doomed = list(_earlier_parts(parent, plan.dimension, plan.into).exclude(pk__in=kept))
        removed = targets_delete(targets=doomed, changed_by=changed_by, source=SOURCE) if doomed else 0
    return SplitResult(created=created, updated=updated, unchanged=unchanged, removed=removed)


def plain_number(value: Decimal | None) -> str:
    """A Decimal without trailing zeros or exponent: 1200, 0.5, 33.3333 ("—" for None)."""
    if value is None:
        return "—"
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
