"""kpi.formulas.status and status_index (DOMAIN.md §4: green at or above 100 % of pace, amber from 90 %)."""

from __future__ import annotations

import numpy as np

from kpi.formulas import STATUSES, status, status_index

PACE = [1.25, 1.0, 0.95, 0.9, 0.8999, 0.0, np.nan]


def test_each_pace_has_the_status_of_its_threshold_and_none_without_a_target():
    assert status(PACE).tolist() == ["green", "green", "amber", "amber", "red", "red", None]


def test_the_index_is_the_statuss_position_and_minus_one_for_none():
    assert status_index(PACE).tolist() == [0, 0, 1, 1, 2, 2, -1]
    assert [STATUSES[i] for i in status_index([1.1, 0.95, 0.5])] == ["green", "amber", "red"]


def test_a_lines_own_thresholds_move_the_status():
    assert status([0.85, 0.75, 0.6], green_at=0.8, amber_at=0.7).tolist() == ["green", "amber", "red"]
