"""kpi.services.scoring.card_codes: each line's scorecard as a number, worked out by hand; score() of no lines."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pytest

from kpi.models import LineKind, Metric, ScorecardTemplate, TemplateLine
from kpi.services.scoring import card_codes, score


def lines(rows: list[tuple[int, int, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["unit_id", "staff_id", "period"])
    frame["period"] = pd.Categorical(frame["period"], categories=["day", "week", "month", "quarter", "year"])
    return frame


def test_lines_of_one_scorecard_share_a_number_given_in_the_order_scorecards_first_appear():
    codes, first = card_codes(
        lines(
            [
                (7, 0, "month"),  # outlet 7's month: 0
                (7, 0, "month"),
                (7, 0, "day"),  # outlet 7's day: 1
                (7, 31, "month"),  # staff 31 at outlet 7, month: 2
                (7, 0, "month"),  # outlet 7's month again: 0
                (5, 0, "month"),  # outlet 5's month: 3
                (7, 31, "month"),
            ]
        )
    )
    assert codes.tolist() == [0, 0, 1, 2, 0, 3, 2]
    # The first line of scorecards 0, 1, 2 and 3.
    assert first.tolist() == [0, 2, 3, 5]
    assert codes.dtype == np.int64


def test_a_unit_and_a_staff_member_of_the_same_id_are_different_scorecards():
    codes, first = card_codes(lines([(3, 0, "week"), (0, 3, "week"), (3, 3, "week"), (3, 0, "year")]))
    assert codes.tolist() == [0, 1, 2, 3]
    assert first.tolist() == [0, 1, 2, 3]


def test_no_lines_no_scorecards():
    codes, first = card_codes(lines([]))
    assert (codes.tolist(), first.tolist()) == ([], [])


@pytest.mark.django_db
def test_no_lines_are_scored_as_no_lines_whatever_the_templates():
    template = ScorecardTemplate.objects.create(
        code="T", name_zh="T", subject="outlet", effective_from=datetime.date(2026, 1, 1)
    )
    TemplateLine.objects.create(
        template=template, metric=Metric.objects.get(code="customers_served"), kind=LineKind.WEIGHTED, weight=100
    )
    empty = lines([]).assign(metric_id=pd.Series(dtype="int64"), actual=np.nan, target=np.nan)
    scored = score(empty.assign(pace_attainment=np.nan, status=pd.Categorical([])), datetime.date(2026, 11, 15))
    assert scored.empty
    assert {"score", "line_rank", "total_score", "vetoed", "veto_reason", "rank", "network_rank"} <= set(scored)
