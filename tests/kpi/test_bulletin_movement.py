"""The bulletin's movement (较上日) compares like with like (issue 14): the same period kind, and both days
within the same period; otherwise it shows nothing, not "↑93" on 1 December against November.

The Tianhe sub-branch (GZ01) with four outlets, one template: customers served, weight 100 (cap 1.2), a
month target of 300 for November and 310 for December (time progress 1/31 on 1 December: the pace is 10
served; 2/31 on the 2nd: 20).

  outlet   30 Nov (month)          1 Dec (month to date)       2 Dec (month to date)
           served  score  rank     served  score   rank        served    score  rank  movement
  GZ0101    270     90      3        12    120     1            12+8=20   100    2     ↓1
  GZ0102    300    100      2        10    100     3           10+10=20   100    2     ↑1
  GZ0103    330    110      1         5     50     4            5+30=35   120    1     ↑3
  GZ0104    150     50      4        11    110     2            11+0=11    55    4     ↓2

Compared naively, 1 December would show GZ0101 ↑2, GZ0104 ↑2, GZ0102 ↓1 and GZ0103 ↓3: the first day of
December's race against the whole of November's.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from kpi.models import LineKind, Target
from kpi.selectors import bulletin as bulletin_reads
from kpi.selectors.bulletin import movement_compares
from tests.factories import OrgUnitFactory
from tests.kpi.ranking_data import fact, metric, outlet_template, roll

pytestmark = pytest.mark.django_db

D = datetime.date
NOV_30, DEC_1, DEC_2 = D(2026, 11, 30), D(2026, 12, 1), D(2026, 12, 2)
SERVED = {  # outlet → served on 30 Nov, 1 Dec, 2 Dec
    "GZ0101": (270, 12, 8),
    "GZ0102": (300, 10, 10),
    "GZ0103": (330, 5, 30),
    "GZ0104": (150, 11, 0),
}


@pytest.fixture
def across_month_start(network):
    gz01 = network["GZ01"]
    network["GZ0103"] = OrgUnitFactory.outlet_of(gz01, code="GZ0103")
    network["GZ0104"] = OrgUnitFactory.outlet_of(gz01, code="GZ0104")
    outlet_template(lines=[("customers_served", LineKind.WEIGHTED, {"weight": 100, "is_key": True})])
    for code, served in SERVED.items():
        for first, last, name, value in (
            (D(2026, 11, 1), NOV_30, "2026-11", 300),
            (DEC_1, D(2026, 12, 31), "2026-12", 310),
        ):
            Target.objects.create(
                unit=network[code], metric=metric("customers_served"), period_kind="month", period=name,
                period_start=first, period_end=last, value=Decimal(value),
            )  # fmt: skip
        for day, value in zip((NOV_30, DEC_1, DEC_2), served, strict=True):
            fact(network[code], "customers_served", value, day)
    for day in (NOV_30, DEC_1, DEC_2):
        roll(day)
    return network


def _rows(day, unit):
    rows = bulletin_reads.bulletin_rows(date=day, period="month", unit=unit)
    return [
        (row.outlet.code, row.total_score, row.rank, row.previous_rank, row.movement, row.direction) for row in rows
    ]


def test_on_the_first_of_the_month_the_bulletin_shows_no_movement_against_last_month(across_month_start):
    assert _rows(DEC_1, across_month_start["GZ01"]) == [
        ("GZ0101", Decimal("120"), 1, None, None, None),
        ("GZ0104", Decimal("110"), 2, None, None, None),
        ("GZ0102", Decimal("100"), 3, None, None, None),
        ("GZ0103", Decimal("50"), 4, None, None, None),
    ]


def test_on_the_second_of_the_month_the_movement_compares_with_the_first(across_month_start):
    assert _rows(DEC_2, across_month_start["GZ01"]) == [
        ("GZ0103", Decimal("120"), 1, 4, 3, "up"),
        ("GZ0101", Decimal("100"), 2, 1, -1, "down"),
        ("GZ0102", Decimal("100"), 2, 3, 1, "up"),
        ("GZ0104", Decimal("55"), 4, 2, -2, "down"),
    ]


def test_the_last_day_of_the_month_still_compares_within_it(across_month_start):
    # 29 November was not rolled up: nothing to compare with, but not because of the period.
    assert [row[5] for row in _rows(NOV_30, across_month_start["GZ01"])] == [None, None, None, None]
    assert movement_compares(date=NOV_30, previous=D(2026, 11, 29), period="month")


def test_the_bulletin_page_on_the_first_of_the_month_shows_no_arrow(across_month_start, client, unit_manager):
    client.force_login(unit_manager)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    page = client.get("/bulletin/", {"date": "2026-12-01", "period": "month"}).content.decode()

    assert page.count("no comparison") == 4
    assert "move-up" not in page and "move-down" not in page and "move-new" not in page


@pytest.mark.parametrize(
    ("day", "period", "compares"),
    [
        (DEC_1, "month", False),  # 30 Nov is November
        (DEC_2, "month", True),
        (DEC_1, "week", True),  # Tuesday 1 Dec and Monday 30 Nov: ISO week 2026-W49
        (D(2026, 11, 30), "week", False),  # a Monday: Sunday the 29th is the week before
        (DEC_1, "quarter", True),  # 2026-Q4 runs from 1 Oct: 30 Nov and 1 Dec are both inside it
        (D(2026, 10, 1), "quarter", False),
        (DEC_2, "year", True),
        (D(2027, 1, 1), "year", False),
        (DEC_2, "day", False),  # each day is a period of its own
    ],
)
def test_movement_compares_only_two_days_of_the_same_period(day, period, compares):
    assert movement_compares(date=day, previous=day - datetime.timedelta(days=1), period=period) is compares
