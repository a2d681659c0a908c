"""The rollup's lines hold their few-valued text and date columns as categories (kpi.services.rollup.
LINE_CATEGORIES, a province day's memory): what is written from them is what was written from the text."""

from __future__ import annotations

import datetime

import pandas as pd

from kpi.models import Scorecard
from lib.bulk import copy_text

NOV_1, NOV_30 = datetime.date(2026, 11, 1), datetime.date(2026, 11, 30)
NOV_2 = datetime.date(2026, 11, 2)


def cards() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period": ["day", "month", "month"],
            "period_start": [NOV_2, NOV_1, NOV_1],
            "period_end": [NOV_2, NOV_30, NOV_30],
            "veto_reason": ["", "风险\t事件", ""],
        }
    )


def test_the_copy_text_of_categories_is_the_text_of_the_values_themselves():
    plain = cards()
    categorical = cards().astype("category")

    assert isinstance(categorical["period"].dtype, pd.CategoricalDtype)
    assert isinstance(categorical["period_start"].dtype, pd.CategoricalDtype)
    text = b"".join(copy_text(Scorecard, categorical))
    assert text == b"".join(copy_text(Scorecard, plain))
    # Worked out by hand: tab-separated, ISO dates, the tab inside the reason escaped.
    assert text.decode().splitlines() == [
        "day\t2026-11-02\t2026-11-02\t",
        "month\t2026-11-01\t2026-11-30\t风险\\t事件",
        "month\t2026-11-01\t2026-11-30\t",
    ]
