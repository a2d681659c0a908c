"""The KPI arithmetic of DOMAIN.md §4, in one place, vectorised: every function takes numpy arrays (or
pandas Series, or plain floats) and returns the same, with NaN where a figure does not exist.

Inputs are floats in the metric's own unit; a metric in % is written in percent (85 means 85 %), while
attainment, time progress and pace-adjusted attainment are fractions (1.38 means 138 %).
"""

from __future__ import annotations

import numpy as np

GREEN_AT = 1.0
AMBER_AT = 0.9


def attainment(actual, target, *, lower_is_better):
    """完成率: actual / target when higher is better, target / actual when lower is better.

    None (NaN) without a target or with a target of 0 when higher is better. An actual of 0 counts as
    fully met when lower is better (1.0). Never capped: 6.53 (653 %) is a real figure.
    """
    actual = np.asarray(actual, dtype=float)
    target = np.asarray(target, dtype=float)
    lower = np.asarray(lower_is_better, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        higher_ratio = np.where(target != 0, actual / target, np.nan)
        lower_ratio = np.where(actual == 0, 1.0, target / actual)
    result = np.where(lower, lower_ratio, higher_ratio)
    return np.where(np.isnan(target) | np.isnan(actual), np.nan, result)


def pace_attainment(actual, target, time_progress, *, cumulative, lower_is_better):
    """Attainment against time progress (时间进度).

    Cumulative kinds (sum, change) are judged against the share of the target that the elapsed part
    of the period should have brought, target × time progress. Higher is better: actual / (target ×
    time progress), which is attainment / time progress as DOMAIN.md §4 writes it. Lower is better (a
    flow of complaints): (target × time progress) / actual, the allowance so far against what
    happened; dividing attainment by time progress there would reward a complaint early in the month.
    An actual of 0 stays fully met (1.0). Level kinds (last, average, ratio) use plain attainment.
    A time progress of 0 (counted in business days, before the period's first one: nothing was due
    yet) has no pace: none for the cumulative kinds. In calendar days it is never 0.
    """
    actual = np.asarray(actual, dtype=float)
    target = np.asarray(target, dtype=float)
    progress = np.asarray(time_progress, dtype=float)
    lower = np.asarray(lower_is_better, dtype=bool)
    plain = attainment(actual, target, lower_is_better=lower)
    paced_target = target * progress
    paced = np.where(progress == 0, np.nan, attainment(actual, paced_target, lower_is_better=lower))
    return np.where(np.asarray(cumulative, dtype=bool), paced, plain)


STATUSES = ("green", "amber", "red")


def status_index(pace_value, *, green_at=GREEN_AT, amber_at=AMBER_AT) -> np.ndarray:
    """status() as the position of its label in STATUSES (int8), -1 where there is no target: a province
    day's 4 M lines are made into a category from these, not from 4 M strings."""
    pace_value = np.asarray(pace_value, dtype=float)
    index = np.where(pace_value >= green_at, 0, np.where(pace_value >= amber_at, 1, 2)).astype(np.int8)
    index[np.isnan(pace_value)] = -1
    return index


def status(pace_value, *, green_at=GREEN_AT, amber_at=AMBER_AT):
    """'green' ≥ green_at, 'amber' ≥ amber_at, 'red' below; None where there is no target."""
    labels = np.array([*STATUSES, None], dtype=object)  # -1 takes the last: None
    return labels[status_index(pace_value, green_at=green_at, amber_at=amber_at)]


def gap_to_pace(actual, target, time_progress, *, cumulative):
    """Cumulative kinds: actual − target × time progress. Level kinds: actual − target (a level has no
    pace: the gap is to the level itself)."""
    actual = np.asarray(actual, dtype=float)
    target = np.asarray(target, dtype=float)
    progress = np.asarray(time_progress, dtype=float)
    return np.where(np.asarray(cumulative, dtype=bool), actual - target * progress, actual - target)


def required_per_day(actual, target, remaining_days, *, cumulative):
    """What each remaining day must bring: (target − actual) / (end − d) for cumulative kinds, never
    below 0 (a target already met asks nothing more); none on the last day and for level kinds. For a
    metric counted in business days, `remaining_days` are the business days after d (none after the
    last business day)."""
    actual = np.asarray(actual, dtype=float)
    target = np.asarray(target, dtype=float)
    remaining = np.asarray(remaining_days, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_day = np.maximum((target - actual) / remaining, 0.0)
    ok = np.asarray(cumulative, dtype=bool) & (remaining > 0)
    return np.where(ok, per_day, np.nan)


def ratio(numerator, denominator, *, percent):
    """A ratio of period values (never the mean of daily ratios); none when the denominator is 0."""
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(denominator != 0, numerator / denominator, np.nan)
    return np.where(np.asarray(percent, dtype=bool), value * 100.0, value)


def weighted_score(pace_value, *, weight, floor, cap):
    """A weighted line: weight × clamp(pace-adjusted attainment, floor, cap); none without a target."""
    pace_value = np.asarray(pace_value, dtype=float)
    return np.asarray(weight, dtype=float) * np.clip(pace_value, np.asarray(floor, float), np.asarray(cap, float))


def points_score(units, *, points_per_unit, max_points):
    """A points line (台账): units × points per unit, up to the maximum (no maximum: NaN)."""
    points = np.nan_to_num(np.asarray(units, dtype=float)) * np.asarray(points_per_unit, dtype=float)
    maximum = np.asarray(max_points, dtype=float)
    return np.where(np.isnan(maximum), points, np.minimum(points, maximum))


def is_vetoed(actual, *, allowed_value):
    """A veto line fires when the period's value is above the allowed value (risk events > 0)."""
    return np.nan_to_num(np.asarray(actual, dtype=float)) > np.asarray(allowed_value, dtype=float)


def competition_rank(scores):
    """Standard competition ranking (1, 2, 2, 4), highest score first; NaN scores are not ranked.

    Takes a pandas Series (or a grouped Series: `frame.groupby(keys)["score"]`) and returns ranks."""
    return scores.rank(method="min", ascending=False)


# -- comparisons and the forecast (issue 14) ----------------------------------------------------------


def change_rate(current, earlier):
    """The relative change from `earlier` to `current` (0.125 means +12.5 %): (current − earlier) / |earlier|.
    None (NaN) when the base is 0 or missing, or when the two have different signs (from −50 to +30 is
    no percentage anyone can read); a metric in % changes by percentage points, given as the change."""
    current = np.asarray(current, dtype=float)
    earlier = np.asarray(earlier, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = (current - earlier) / np.abs(earlier)
    crossed = (current * earlier) < 0
    return np.where((earlier == 0) | crossed | np.isnan(earlier) | np.isnan(current), np.nan, rate)


def projection(actual, elapsed_days, period_days, *, last_year_to_date=np.nan, last_year_full=np.nan):
    """The period's value at its end at this pace (cumulative kinds), and whether it follows last year.

    Seasonal, when last year's same period is known to the same day (above 0) and to its end: actual ×
    last year's full value / last year's value to the same day (this year keeps last year's shape).
    Otherwise the run rate: actual / elapsed days × days in the period. Returns (projected, seasonal)."""
    actual = np.asarray(actual, dtype=float)
    elapsed = np.asarray(elapsed_days, dtype=float)
    days = np.asarray(period_days, dtype=float)
    partial = np.asarray(last_year_to_date, dtype=float)
    full = np.asarray(last_year_full, dtype=float)
    seasonal = (partial > 0) & ~np.isnan(full)
    with np.errstate(divide="ignore", invalid="ignore"):
        run_rate = actual / elapsed * days
        curve = actual * full / partial
    return np.where(seasonal, curve, run_rate), seasonal


def days_to_target(actual, projected, target, remaining_days):
    """At the pace the projection implies for the rest of the period ((projected − actual) per remaining
    day, which for the run rate is the pace so far), how many days from now until `target` is reached.
    0 when it already is; NaN when it will not be within the period (or there is no target). Higher is
    better; a lower-is-better allowance is judged by its projected attainment instead."""
    actual = np.asarray(actual, dtype=float)
    projected = np.asarray(projected, dtype=float)
    target = np.asarray(target, dtype=float)
    remaining = np.asarray(remaining_days, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        pace = (projected - actual) / remaining
        # A hair under a whole day is that day (300 + 20 × 30 reaches 900 on day 20, not 21).
        needed = np.ceil((target - actual) / pace - 1e-9)
    reachable = (pace > 0) & (needed <= remaining)
    return np.where(actual >= target, 0.0, np.where(reachable, needed, np.nan))
