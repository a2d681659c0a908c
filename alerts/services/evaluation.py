"""Evaluating the alert rules for a business day (预警, issue 8).

`alerts.tasks.evaluate_day` is queued for each day the rollup publishes (alerts.receivers listens to
kpi.signals.day_published); the beat runs `alerts_check_missing` for yesterday every quarter of an
hour, so a missing-data rule fires once its cut-off has passed. Each rule reads the day's published
results (ScorecardLine / Scorecard of RollupDay.published_run) or the facts for every unit of its kind
at once: one query per rule (two for behind pace, three for missing data), never one per unit.

What a rule sees, per unit:

- behind_pace: the pace-adjusted attainment of the rule's period kind is under `threshold` on each of
  the last `days_running` published days ending the day (a unit without a target has none: no alert).
- threshold: the line's actual for the rule's period kind is above (below) `threshold`. A ratio's
  actual is the ratio itself, in percent when its unit is % (DOMAIN.md §4: satisfaction 85 means 85 %).
- sudden_change: the day's value (period kind day) lies more than `k` sample standard deviations
  (n − 1) above or below (or either side of, with no comparison) the mean of the published days of the
  `window_days` calendar days before; at least MIN_HISTORY of them, and a spread above 0.
- missing_data: an active outlet (opened, not closed on the day) has no fact for the day (or none of the
  rule's metric) although it reported on the same weekday in at least two of the four weeks before, or
  it is already alerted as missing. The habit keeps outlets closed at the weekend (light outlets, which
  report a month-end balance on a Saturday now and then) from raising an alert every Saturday; an
  outlet that has never reported is not expected to; one that went silent stays alerted until it
  reports again. Only once `cutoff` has passed on the next day.
- veto: the unit's scorecard of the rule's period kind is vetoed (一票否决).
- forecast_miss (预计本期无法完成): once `min_time_progress` of the period has passed, the line's projected
  attainment at this pace is under `threshold` (1.0 when empty). The projection is the scorecard's
  (kpi.selectors.comparisons.forecast: last year's curve when last year's period is known, else the run
  rate), computed for every unit at once: one query for the lines, one for last year's full values.
  Below the minimum time progress nothing is seen, so an early alert is not opened on a noisy projection
  (and one already open clears when a new period starts).

How the sightings become alerts (the rule's alerts are locked while this runs):

1. Seen, with an active alert for (rule, unit): the alert takes the day as last seen, with the value
   and what was seen; if its condition had cleared while someone worked on it, cleared_on is emptied.
   One ongoing condition is one alert, not one a day.
2. Seen, no active alert: a new alert, open, deadline = day + follow_up_days, owner = the unit's one
   outlet head or unit manager (none when there are several or none), and an AlertEvent by the system.
3. Not seen, with an active alert: still `open` → `cleared` (closed now, by the system); one that
   someone works on (in progress, done, reopened) stays, with cleared_on set.

Safe to run twice: the same day twice changes nothing. Days out of order: a day before an alert's
last_seen_on neither updates nor clears it, and a closed alert that already covers the day (last seen
or cleared on it or later) is not opened again.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from alerts.models import (
    ACTIVE_STATUSES,
    DEFAULT_MIN_TIME_PROGRESS,
    RAISED_KINDS,
    REPORTED_KINDS,
    Alert,
    AlertEvent,
    AlertRule,
    AlertStatus,
    Comparison,
    RuleKind,
    Severity,
)
from branches.models import OrgUnit, UnitKind, UnitStatus
from kpi.models import CalendarDay, Direction, Fact, RollupDay, Scorecard, ScorecardLine, TimeBasis
from kpi.selectors.comparisons import (
    FORECAST_METHODS,
    RUN_RATE,
    SEASONAL,
    counted_days,
    forecast,
    last_year_full_values,
)
from kpi.selectors.freshness import HABIT_DAYS, HABIT_WEEKS
from kpi.templatetags.kpi_format import format_number, format_percent, places_of, unit_scale
from lib import bulk
from lib.links import objects_closed_announce
from lib.locks import named_lock
from lib.periods import PERIOD_LABELS, PeriodKind
from staff.access import unit_heads

logger = logging.getLogger(__name__)

LOCK_NAME = "alerts-evaluate"
# Fewer earlier days than this make no spread worth comparing against.
MIN_HISTORY = 5
# An outlet is expected to report on a weekday it reported on in HABIT_DAYS of the HABIT_WEEKS before:
# the habit the bulletin's freshness reads too (kpi.selectors.freshness), kept there.
DETAIL_LENGTH = Alert._meta.get_field("detail").max_length


@dataclass(frozen=True)
class Sighting:
    """A rule's condition seen for one unit on the day."""

    value: Decimal | None
    detail: str


@dataclass
class Evaluation:
    """What one evaluation did, for the task's result and the logs."""

    day: datetime.date
    published: bool = False
    rules: int = 0
    opened: int = 0
    updated: int = 0
    cleared: int = 0
    condition_cleared: int = 0
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "day": self.day.isoformat(),
            "published": self.published,
            "rules": self.rules,
            "opened": self.opened,
            "updated": self.updated,
            "cleared": self.cleared,
            "condition_cleared": self.condition_cleared,
            "skipped": self.skipped,
            "failed": self.failed,
        }

    def __str__(self) -> str:
        return (
            f"{self.day}: {self.rules} rules, {self.opened} opened, {self.updated} still seen, "
            f"{self.cleared} cleared, {self.condition_cleared} cleared while worked on"
            + (f", skipped {', '.join(self.skipped)}" if self.skipped else "")
            + (f", FAILED {', '.join(self.failed)}" if self.failed else "")
        )


# -- the entry points ----------------------------------------------------------------------------


def alerts_evaluate(*, day: datetime.date, now: datetime.datetime | None = None) -> Evaluation:
    """Evaluate every active rule for business day `day` (after its rollup is published).

    Rules on published results are skipped while the day is not published; missing-data rules until
    their cut-off has passed on the next day (the rollup runs at 06:00, the cut-off is later: the beat's
    alerts_check_missing takes them then).
    """
    now = now or timezone.now()
    published = RollupDay.objects.published(on=day).exists()
    result = Evaluation(day=day, published=published)
    rules = list(AlertRule.objects.filter(is_active=True).exclude(kind__in=RAISED_KINDS).select_related("metric"))
    with named_lock(LOCK_NAME), translation.override(settings.LANGUAGE_CODE):
        for rule in rules:
            if rule.kind in REPORTED_KINDS:
                continue  # reported by the app that sees them (alerts_report)
            if rule.kind == RuleKind.MISSING_DATA:
                if not cutoff_passed(rule, day, now):
                    result.skipped.append(rule.name)
                    continue
            elif not published:
                continue
            _evaluate_rule(rule, day, now, result)
    logger.info("alerts evaluated: %s", result)
    return result


def alerts_check_missing(*, day: datetime.date, now: datetime.datetime | None = None) -> Evaluation:
    """Evaluate the missing-data rules for `day` whose cut-off has passed by `now` (the beat's job)."""
    now = now or timezone.now()
    result = Evaluation(day=day, published=RollupDay.objects.published(on=day).exists())
    rules = list(AlertRule.objects.filter(is_active=True, kind=RuleKind.MISSING_DATA).select_related("metric"))
    with named_lock(LOCK_NAME), translation.override(settings.LANGUAGE_CODE):
        for rule in rules:
            if cutoff_passed(rule, day, now):
                _evaluate_rule(rule, day, now, result)
            else:
                result.skipped.append(rule.name)
    logger.info("missing data checked: %s", result)
    return result


# The rule a reported kind gets when HQ has set none up: alerts of the kind are raised from the start.
DEFAULT_REPORTED_RULES = {
    RuleKind.OVERDUE_REPLY: {"name": "投诉回复逾期", "unit_kind": UnitKind.OUTLET, "follow_up_days": 2},
}


def alerts_report(
    *, kind: str, day: datetime.date, sightings: dict[int, Sighting], now: datetime.datetime | None = None
) -> Evaluation:
    """Sightings an app above alerts sees itself (a reported kind, REPORTED_KINDS), as of `day`: for the
    complaints register, the outlets with a complaint whose reply is overdue, one Sighting per outlet.

    Every active rule of the kind takes them as a rule's own detector's would be taken (_apply: one
    alert per rule and unit, kept while seen, cleared when no longer seen if nobody works on it). When
    HQ has no rule of the kind, the default one (DEFAULT_REPORTED_RULES) is created, so the alert is
    raised from the first day; HQ may edit it or switch it off in the admin. Safe to run twice: the same
    day and sightings change nothing."""
    if kind not in REPORTED_KINDS:
        raise ValueError(f"{kind!r} is not a reported kind; one of {list(REPORTED_KINDS)}")
    now = now or timezone.now()
    result = Evaluation(day=day, published=True)
    with named_lock(LOCK_NAME), translation.override(settings.LANGUAGE_CODE):
        if not AlertRule.objects.filter(kind=kind).exists():
            AlertRule.objects.create(kind=kind, severity=Severity.WARNING, **DEFAULT_REPORTED_RULES[kind])
        for rule in AlertRule.objects.filter(is_active=True, kind=kind):
            scoped = sightings
            if rule.unit_kind:
                kinds = dict(OrgUnit.objects.filter(pk__in=list(sightings)).values_list("pk", "kind"))
                scoped = {unit_id: seen for unit_id, seen in sightings.items() if kinds.get(unit_id) == rule.unit_kind}
            with transaction.atomic():
                _apply(rule, day, now, scoped, result)
            result.rules += 1
    logger.info("alerts reported (%s): %s", kind, result)
    return result


def cutoff_passed(rule: AlertRule, day: datetime.date, now: datetime.datetime) -> bool:
    """The facts of `day` are due by the rule's cut-off the next morning, in the bank's time zone."""
    if rule.cutoff is None:
        return False
    due = datetime.datetime.combine(day + datetime.timedelta(days=1), rule.cutoff)
    return now >= timezone.make_aware(due, timezone.get_default_timezone())


def _evaluate_rule(rule: AlertRule, day: datetime.date, now: datetime.datetime, result: Evaluation) -> None:
    """One rule, in its own transaction: a rule that fails (logged) leaves the others evaluated."""
    try:
        with transaction.atomic():
            sightings = DETECTORS[rule.kind](rule, day)
            _apply(rule, day, now, sightings, result)
        result.rules += 1
    except Exception:
        logger.exception("alert rule %s (%s) failed on %s", rule.pk, rule.name, day)
        result.failed.append(rule.name)


# -- what each kind of rule sees -------------------------------------------------------------------


def _published_runs(dates) -> QuerySet:
    return RollupDay.objects.published().filter(date__in=dates).runs()


def _unit_lines(rule: AlertRule, dates: list[datetime.date], period: str) -> QuerySet:
    """The published lines of the rule's metric and period kind on these days, of every active unit of
    the rule's unit kind (all kinds when it has none); staff scorecards are not alerted on."""
    lines = ScorecardLine.objects.filter(
        # The line's own date first: on PostgreSQL only those days' partitions are searched. And equal to
        # its scorecard's (which it always is: the partition key repeats it), so that the lines of each
        # scorecard are looked up in its day's partition alone (pruned as the join runs), not in every
        # one of the days': a window of 30 days probed 30 partitions per scorecard (3 s of a tenth of a
        # province's evaluation, for the sudden-change rule).
        date__in=dates,
        date=F("scorecard__date"),
        scorecard__run__in=_published_runs(dates),
        scorecard__date__in=dates,
        scorecard__period=period,
        scorecard__staff=None,
        scorecard__unit__status=UnitStatus.ACTIVE,
        metric_id=rule.metric_id,
    )
    if rule.unit_kind:
        lines = lines.filter(scorecard__unit__kind=rule.unit_kind)
    return lines


def _behind_pace(rule: AlertRule, day: datetime.date) -> dict[int, Sighting]:
    running = max(rule.days_running, 1)
    dates = list(
        RollupDay.objects.published().filter(date__lte=day).order_by("-date").values_list("date", flat=True)[:running]
    )
    if len(dates) < running or dates[0] != day:
        return {}
    rows = list(
        _unit_lines(rule, dates, rule.period)
        .exclude(pace_attainment=None)
        .values_list("scorecard__unit_id", "scorecard__date", "pace_attainment")
    )
    frame = pd.DataFrame(rows, columns=["unit_id", "date", "pace"])
    if frame.empty:
        return {}
    frame["behind"] = [pace < rule.threshold for pace in frame["pace"]]
    behind_days = frame[frame["behind"]].groupby("unit_id")["date"].nunique()
    firing = set(behind_days[behind_days == running].index)
    today = frame[(frame["date"] == day) & frame["unit_id"].isin(firing)]
    period = PERIOD_LABELS[PeriodKind(rule.period)]
    return {
        int(unit_id): Sighting(
            value=pace,
            detail=_(
                "Pace-adjusted attainment (%(period)s) %(pace)s, under %(threshold)s for %(days)d published days "
                "running."
            )
            % {"period": period, "pace": _percent(pace), "threshold": _percent(rule.threshold), "days": running},
        )
        for unit_id, pace in zip(today["unit_id"], today["pace"], strict=True)
    }


def _threshold(rule: AlertRule, day: datetime.date) -> dict[int, Sighting]:
    above = rule.comparison == Comparison.ABOVE
    crossed = {"actual__gt": rule.threshold} if above else {"actual__lt": rule.threshold}
    rows = _unit_lines(rule, [day], rule.period).filter(**crossed).values_list("scorecard__unit_id", "actual")
    unit = rule.metric.unit
    template = (
        _("%(metric)s (%(period)s) %(actual)s, above %(threshold)s.")
        if above
        else _("%(metric)s (%(period)s) %(actual)s, below %(threshold)s.")
    )
    figures = {"metric": rule.metric.name, "period": PERIOD_LABELS[PeriodKind(rule.period)]}
    return {
        unit_id: Sighting(
            value=actual,
            detail=template
            % {**figures, "actual": _amount(actual, rule.metric.unit), "threshold": _amount(rule.threshold, unit)},
        )
        for unit_id, actual in rows
    }


def _sudden_change(rule: AlertRule, day: datetime.date) -> dict[int, Sighting]:
    first = day - datetime.timedelta(days=rule.window_days)
    dates = list(RollupDay.objects.published().filter(date__range=(first, day)).values_list("date", flat=True))
    if day not in dates:
        return {}
    rows = list(
        _unit_lines(rule, dates, PeriodKind.DAY)
        .exclude(actual=None)
        .values_list("scorecard__unit_id", "scorecard__date", "actual")
    )
    frame = pd.DataFrame(rows, columns=["unit_id", "date", "actual"])
    if frame.empty:
        return {}
    frame["value"] = frame["actual"].astype(float)
    today = frame[frame["date"] == day].set_index("unit_id")
    history = frame[frame["date"] < day].groupby("unit_id")["value"].agg(average="mean", spread="std", points="count")
    both = today.join(history, how="inner")
    both = both[(both["points"] >= MIN_HISTORY) & (both["spread"] > 0)]
    k = float(rule.k)
    both = both.assign(sigmas=(both["value"] - both["average"]) / both["spread"])
    if rule.comparison == Comparison.ABOVE:
        both = both[both["sigmas"] > k]
    elif rule.comparison == Comparison.BELOW:
        both = both[both["sigmas"] < -k]
    else:
        both = both[both["sigmas"].abs() > k]
    unit = rule.metric.unit
    return {
        int(row.Index): Sighting(
            value=row.actual,
            detail=_(
                "%(metric)s %(value)s on the day: %(sigmas)s standard deviations from the mean %(mean)s of "
                "%(days)d earlier days (standard deviation %(spread)s)."
            )
            % {
                "metric": rule.metric.name,
                "value": _amount(row.actual, unit),
                "sigmas": f"{row.sigmas:+.1f}",
                "mean": _amount(row.average, unit),
                "days": row.points,
                "spread": _spread(row.spread, unit),
            },
        )
        for row in both.itertuples()
    }


def _missing_data(rule: AlertRule, day: datetime.date) -> dict[int, Sighting]:
    """Set-based: one query for the (unit, date) pairs that have facts on the day or on its habit days,
    one for the outlets open on the day, one for the outlets already alerted; the rest in sets.

    Not a subquery per outlet: correlated under each of 3,000 outlets, PostgreSQL built a bitmap of the
    day's 300,000 facts 3,000 times (21.8 s of a province day); read once and grouped, it is one scan of
    the five days' facts by the fact's date-leading key (fact_unique_key), a metric checked in its entries."""
    habit = [day - datetime.timedelta(weeks=week) for week in range(1, HABIT_WEEKS + 1)]
    facts = Fact.objects.filter(date__in=[day, *habit])
    if rule.metric_id:
        facts = facts.filter(metric__in=[metric.pk for metric in rule.metric.components()])
    reported_today: set[int] = set()
    habit_days: dict[int, int] = {}
    for unit_id, date in facts.order_by().values_list("unit_id", "date").distinct():
        if date == day:
            reported_today.add(unit_id)
        else:
            habit_days[unit_id] = habit_days.get(unit_id, 0) + 1
    already_missing = set(Alert.objects.filter(rule=rule, status__in=ACTIVE_STATUSES).values_list("unit_id", flat=True))
    open_outlets = (
        OrgUnit.objects.filter(kind=UnitKind.OUTLET, status=UnitStatus.ACTIVE)
        .filter(Q(opened_on=None) | Q(opened_on__lte=day), Q(closed_on=None) | Q(closed_on__gt=day))
        .values_list("pk", flat=True)
    )
    missing = [
        unit_id
        for unit_id in open_outlets
        if unit_id not in reported_today and (habit_days.get(unit_id, 0) >= HABIT_DAYS or unit_id in already_missing)
    ]
    what = rule.metric.name if rule.metric_id else _("any metric")
    detail = _("No facts (%(what)s) for %(day)s by %(cutoff)s the next day.") % {
        "what": what,
        "day": day.isoformat(),
        "cutoff": rule.cutoff.strftime("%H:%M"),
    }
    return {unit_id: Sighting(value=None, detail=detail) for unit_id in missing}


def _veto(rule: AlertRule, day: datetime.date) -> dict[int, Sighting]:
    cards = Scorecard.objects.filter(
        run__in=_published_runs([day]),
        date=day,
        period=rule.period,
        staff=None,
        vetoed=True,
        unit__status=UnitStatus.ACTIVE,
    )
    if rule.unit_kind:
        cards = cards.filter(unit__kind=rule.unit_kind)
    period = PERIOD_LABELS[PeriodKind(rule.period)]
    return {
        unit_id: Sighting(
            value=None,
            detail=(
                _("Vetoed (%(period)s): %(reason)s") % {"period": period, "reason": reason or _("no reason given")}
            ),
        )
        for unit_id, reason in cards.values_list("unit_id", "veto_reason")
    }


def _min_time_progress(rule: AlertRule) -> Decimal:
    return DEFAULT_MIN_TIME_PROGRESS if rule.min_time_progress is None else rule.min_time_progress


def _forecast_miss(rule: AlertRule, day: datetime.date) -> dict[int, Sighting]:
    rows = list(
        _unit_lines(rule, [day], rule.period)
        .exclude(target=None)
        .exclude(actual=None)
        .filter(time_progress__gte=_min_time_progress(rule))
        .values_list(
            "scorecard__unit_id",
            "scorecard__period_start",
            "scorecard__period_end",
            "actual",
            "target",
            "last_year_actual",
            "time_progress",
        )
    )
    if not rows:
        return {}
    frame = pd.DataFrame(rows, columns=["unit_id", "start", "end", "actual", "target", "last_year", "progress"]).astype(
        {"actual": float, "target": float, "last_year": float}
    )
    seasonal_units = frame.loc[frame["last_year"] > 0, "unit_id"]
    full = last_year_full_values((rule.period, day, unit_id, None, rule.metric_id) for unit_id in seasonal_units)
    # In the days the metric's time progress counts, as the scorecard's forecast does.
    calendar = CalendarDay.objects.business_calendar() if rule.metric.time_basis == TimeBasis.BUSINESS else None
    counted = [counted_days(start, day, end, calendar) for start, end in zip(frame["start"], frame["end"], strict=True)]
    projected, seasonal, attainment, _days = forecast(
        actual=frame["actual"].to_numpy(),
        target=frame["target"].to_numpy(),
        elapsed_days=[elapsed for elapsed, _total, _calendar in counted],
        period_days=[total for _elapsed, total, _calendar in counted],
        last_year_to_date=frame["last_year"].to_numpy(),
        last_year_full=[
            np.nan if (value := full.get((rule.period, day, unit_id, None, rule.metric_id))) is None else float(value)
            for unit_id in frame["unit_id"]
        ],
        lower_is_better=rule.metric.direction == Direction.LOWER,
    )
    floor = float(rule.threshold) if rule.threshold is not None else 1.0
    frame = frame.assign(projected=projected, seasonal=seasonal, attainment=attainment)
    firing = frame[frame["attainment"] < floor]
    unit, period = rule.metric.unit, PERIOD_LABELS[PeriodKind(rule.period)]
    return {
        int(row.unit_id): Sighting(
            value=Decimal(repr(float(row.attainment))),
            detail=_(
                "%(metric)s (%(period)s): %(projected)s projected at this pace (%(method)s) against a target of "
                "%(target)s, %(attainment)s of it, with %(progress)s of the period gone."
            )
            % {
                "metric": rule.metric.name,
                "period": period,
                "projected": _amount(row.projected, unit),
                "method": FORECAST_METHODS[SEASONAL if row.seasonal else RUN_RATE],
                "target": _amount(row.target, unit),
                "attainment": _percent(row.attainment),
                "progress": _percent(row.progress),
            },
        )
        for row in firing.itertuples()
    }


DETECTORS: dict[str, Callable[[AlertRule, datetime.date], dict[int, Sighting]]] = {
    RuleKind.BEHIND_PACE: _behind_pace,
    RuleKind.THRESHOLD: _threshold,
    RuleKind.SUDDEN_CHANGE: _sudden_change,
    RuleKind.MISSING_DATA: _missing_data,
    RuleKind.VETO: _veto,
    RuleKind.FORECAST_MISS: _forecast_miss,
}


# -- from sightings to alerts --------------------------------------------------------------------


def _apply(
    rule: AlertRule, day: datetime.date, now: datetime.datetime, sightings: dict[int, Sighting], result: Evaluation
) -> None:
    # Locked, so a follow-up saved meanwhile waits rather than being overwritten (PostgreSQL).
    active = {
        alert.unit_id: alert
        for alert in Alert.objects.select_for_update().filter(rule=rule, status__in=ACTIVE_STATUSES)
    }
    # Closed alerts that already cover the day or a later one: evaluating an earlier day again (a late
    # fact, days out of order) must not open them a second time.
    covered = set(
        Alert.objects.filter(rule=rule)
        .exclude(status__in=ACTIVE_STATUSES)
        .filter(Q(last_seen_on__gte=day) | Q(cleared_on__gte=day))
        .values_list("unit_id", flat=True)
    )
    changed: list[Alert] = []
    events: list[AlertEvent] = []
    for unit_id, sighting in sightings.items():
        alert = active.get(unit_id)
        if alert is None or day < alert.last_seen_on:
            continue
        value = _stored(sighting.value)
        detail = sighting.detail[:DETAIL_LENGTH]
        if (alert.last_seen_on, alert.value, alert.detail, alert.cleared_on) == (day, value, detail, None):
            continue
        if alert.cleared_on is not None:
            events.append(AlertEvent(alert=alert, changes={"cleared_on": [alert.cleared_on.isoformat(), None]}))
            alert.cleared_on = None
        alert.last_seen_on, alert.value, alert.detail, alert.updated_at = day, value, detail, now
        changed.append(alert)
        result.updated += 1

    for unit_id, alert in active.items():
        if unit_id in sightings or day < alert.last_seen_on:
            continue
        if alert.status == AlertStatus.OPEN:
            alert.status, alert.cleared_on, alert.closed_at, alert.updated_at = AlertStatus.CLEARED, day, now, now
            events.append(AlertEvent(alert=alert, from_status=AlertStatus.OPEN, to_status=AlertStatus.CLEARED))
            result.cleared += 1
        elif alert.cleared_on is None:
            # Someone works on it: it stays theirs to finish, marked as no longer seen.
            alert.cleared_on, alert.updated_at = day, now
            events.append(AlertEvent(alert=alert, changes={"cleared_on": [None, day.isoformat()]}))
            result.condition_cleared += 1
        else:
            continue
        changed.append(alert)
    if changed:
        # One UPDATE … FROM (VALUES …): bulk_update's CASE WHEN per alert and field was 1.5 s of a tenth of
        # a province's evaluation with the demo's templates (hundreds of alerts still seen each day), most
        # of it Django building the expressions; the server then walks every CASE for every row.
        bulk.update_fields(
            changed, ["status", "last_seen_on", "value", "detail", "cleared_on", "closed_at", "updated_at"]
        )
        # Cleared by themselves: what other apps link to them (a meeting's action item) closes too, once
        # this evaluation has committed (lib.links).
        objects_closed_announce(Alert, [alert.pk for alert in changed if alert.status == AlertStatus.CLEARED])

    new_units = [unit_id for unit_id in sightings if unit_id not in active and unit_id not in covered]
    if new_units:
        owners = _owners(new_units)
        deadline = day + datetime.timedelta(days=rule.follow_up_days)
        opened = Alert.objects.bulk_create(
            [
                Alert(
                    rule=rule,
                    unit_id=unit_id,
                    metric_id=rule.metric_id,
                    status=AlertStatus.OPEN,
                    opened_on=day,
                    last_seen_on=day,
                    value=_stored(sightings[unit_id].value),
                    detail=sightings[unit_id].detail[:DETAIL_LENGTH],
                    owner_id=owners.get(unit_id),
                    deadline=deadline,
                )
                for unit_id in new_units
            ]
        )
        events.extend(AlertEvent(alert=alert, to_status=AlertStatus.OPEN) for alert in opened)
        result.opened += len(opened)
    AlertEvent.objects.bulk_create(events)


def _owners(unit_ids: list[int]) -> dict[int, int]:
    """The unit's head: its one active outlet head or unit manager; nobody when there are several."""
    heads = pd.DataFrame(
        list(unit_heads(unit_ids).values_list("unit_id", "pk")),
        columns=["unit_id", "user_id"],
    )
    single = heads.groupby("unit_id")["user_id"].agg(["count", "first"])
    single = single[single["count"] == 1]
    return {int(unit_id): int(user_id) for unit_id, user_id in single["first"].items()}


# -- formatting ----------------------------------------------------------------------------------


def _stored(value: Decimal | None) -> Decimal | None:
    """As the alert's column keeps it (six decimals), so comparing with what is stored is exact."""
    return None if value is None else Decimal(value).quantize(Decimal("0.000001"))


def _percent(fraction: Decimal) -> str:
    """A fraction as the pages write it (kpi_format): 0.89 → "89.0%"."""
    return format_percent(fraction)


def _amount(value: Decimal, unit: str) -> str:
    """A figure in its metric's unit as the pages write it (kpi_format): "12.5 分钟", "85.1%", "12.00 万元"."""
    return unit_scale(unit).write(value, with_unit=True)


def _spread(value: float, unit: str) -> str:
    """A standard deviation, in the metric's unit with at least one decimal (a count's spread is 2.4)."""
    return format_number(value, max(places_of(unit), 1))
