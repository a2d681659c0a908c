"""kpi.services.scoring.card_codes: each line's scorecard as a number, worked out by hand; score() of no
lines; a scorecard's figures kept once, in Scored.cards."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pytest

from kpi.models import LineKind, Metric, ScorecardTemplate, TemplateLine
from kpi.services.scoring import card_codes, score, unscored


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
    empty = empty.assign(period_start=np.nan, period_end=np.nan, pace_attainment=np.nan, status=pd.Categorical([]))
    scored = score(empty, datetime.date(2026, 11, 15))
    assert scored.lines.empty and scored.cards.empty
    assert {"score", "line_rank", "line_rank_of", "card"} <= set(scored.lines)
    assert {"total_score", "vetoed", "veto_reason", "rank", "network_rank"} <= set(scored.cards)


def test_unscored_lines_point_to_their_scorecard_kept_once_without_figures():
    frame = lines([(7, 0, "month"), (7, 31, "month"), (7, 0, "month"), (7, 0, "day")])
    frame["period_start"] = ["2026-11-01", "2026-11-01", "2026-11-01", "2026-11-15"]
    frame["period_end"] = ["2026-11-30", "2026-11-30", "2026-11-30", "2026-11-15"]
    frame["metric_id"] = [1, 1, 2, 1]

    scored = unscored(frame)

    assert scored.lines["card"].tolist() == [0, 1, 0, 2]
    assert scored.cards[["unit_id", "staff_id", "period"]].astype(str).values.tolist() == [
        ["7", "0", "month"],
        ["7", "31", "month"],
        ["7", "0", "day"],
    ]
    assert scored.cards["period_start"].tolist() == ["2026-11-01", "2026-11-01", "2026-11-15"]
    assert scored.cards["total_score"].isna().all() and not scored.cards["vetoed"].any()
    assert scored.lines["score"].isna().all()
    # The caller's frame is left as it was.
    assert "card" not in frame
