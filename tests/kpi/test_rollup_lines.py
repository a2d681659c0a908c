"""kpi.services.rollup.scorecard_lines: the day's values and targets made into lines, figures worked out by
hand. 2026-11-15 is day 15 of November's 30: month time progress 15/30 = 0.5, 15 days remaining."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

from kpi.services.rollup import Catalog, scorecard_lines

DAY = datetime.date(2026, 11, 15)
SALES, BALANCE, COMPLAINTS, RETIRED = 1, 2, 3, 9  # metric ids; 9 is not in the catalog (inactive)


def catalog() -> Catalog:
    metrics = pd.DataFrame(
        {
            "aggregation": ["sum", "last", "sum"],
            "direction": ["higher", "higher", "lower"],
            "time_basis": ["calendar", "calendar", "calendar"],
        },
        index=pd.Index([SALES, BALANCE, COMPLAINTS], name="id"),
    )
    return Catalog(metrics)


def values(rows: list[tuple[int, int, int, float]]) -> pd.DataFrame:
    """(unit, staff, metric, the month's value); the other kinds' values are the month's too."""
    frame = pd.DataFrame(rows, columns=["unit_id", "staff_id", "metric_id", "month"])
    for kind in ("day", "week", "quarter", "year"):
        frame[kind] = frame["month"]
    return frame


def targets(rows: list[tuple[int, int, int, str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["unit_id", "staff_id", "metric_id", "period", "target"])
    return frame.assign(target_from_children=False)


def month(lines: pd.DataFrame, unit: int, metric: int) -> pd.Series:
    found = lines[(lines["unit_id"] == unit) & (lines["metric_id"] == metric) & (lines["period"] == "month")]
    assert len(found) == 1
    return found.iloc[0]


def test_a_target_goes_on_its_values_line_and_a_target_without_values_makes_a_line_of_its_own():
    lines = scorecard_lines(
        values([(5, 0, SALES, 40.0)]),
        targets([(5, 0, SALES, "month", 100.0), (7, 0, SALES, "month", 50.0), (7, 0, BALANCE, "month", 900.0)]),
        DAY,
        catalog(),
    )

    # Outlet 5: five kinds of values; outlet 7: its two month targets.
    assert len(lines) == 7
    sales = month(lines, 5, SALES)
    assert (sales["actual"], sales["target"], sales["time_progress"]) == (40.0, 100.0, 0.5)
    assert sales["attainment"] == 0.4
    assert sales["pace_attainment"] == 0.8  # 0.4 / 0.5
    assert sales["status"] == "red"  # below 0.9
    assert sales["gap_to_pace"] == -10.0  # 40 - 100 × 0.5
    assert sales["required_per_day"] == 4.0  # (100 - 40) / 15
    assert (str(sales["period_start"]), str(sales["period_end"]), sales["time_basis"]) == (
        "2026-11-01",
        "2026-11-30",
        "calendar",
    )
    # Nothing sold yet: a flow's actual is 0; a stock's is unknown.
    assert month(lines, 7, SALES)["actual"] == 0.0
    assert month(lines, 7, SALES)["attainment"] == 0.0
    assert np.isnan(month(lines, 7, BALANCE)["actual"])
    # The day's line of outlet 5 has no target: no attainment, no status.
    day = lines[(lines["unit_id"] == 5) & (lines["period"] == "day")].iloc[0]
    assert np.isnan(day["target"]) and pd.isna(day["status"])


def test_a_metric_the_catalog_does_not_know_and_a_kind_the_day_has_not_make_no_line():
    lines = scorecard_lines(
        values([(5, 0, RETIRED, 3.0)]),
        targets([(5, 0, RETIRED, "month", 10.0), (5, 0, SALES, "fortnight", 10.0)]),
        DAY,
        catalog(),
    )
    assert lines.empty


def test_a_lower_is_better_metric_on_pace_is_green_and_a_staff_members_line_keeps_its_unit():
    lines = scorecard_lines(
        values([(5, 31, COMPLAINTS, 1.0)]), targets([(5, 31, COMPLAINTS, "month", 4.0)]), DAY, catalog()
    )
    complaints = month(lines, 5, COMPLAINTS)
    assert complaints["staff_id"] == 31
    # Lower is better: 4 allowed over the month, 2 by now (4 × 0.5), 1 so far: 2 / 1 = 200 %.
    assert complaints["pace_attainment"] == 2.0
    assert complaints["status"] == "green"
    assert lines["target_from_children"].tolist() == [False] * 5
