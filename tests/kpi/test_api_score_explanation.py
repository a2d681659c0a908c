"""GET /api/v1/scorecards/: how each scorecard was scored, in additive fields (kpi.serializers), on the
figures of tests/kpi/explanation_data.py: GZ0101 scores 24 + 40 + 5 − 2 = 67 under T-URBAN of
2026-07-01, out of 100 with up to 9 more."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.kpi import explanation_data

explained = explanation_data.shared_explained  # the fixture, made once for the module
shared_explanation = explanation_data.shared_explanation  # what `explained` reads: made once for the module

URL = "/api/v1/scorecards/"


@pytest.fixture
def reader(explained, token_client):
    return token_client(explained["GZ01"])


def _lines(card: dict) -> dict[str, dict]:
    return {line["metric"]: line for line in card["lines"]}


def test_a_scorecard_names_its_template_version_and_its_scale(reader):
    (card,) = reader.get(URL, {"unit": "GZ0101", "date": "2026-11-15"}).json()["results"]

    assert card["total_score"] == "67.0000"
    assert (card["template_code"], card["template_version"]) == ("T-URBAN", "2026-07-01")
    assert (card["full_score"], card["max_score"]) == ("100.0000", "109.0000")


def test_each_line_carries_the_rule_of_its_template_line(reader):
    (card,) = reader.get(URL, {"unit": "GZ0101", "date": "2026-11-15"}).json()["results"]
    lines = _lines(card)

    rule = ("kind", "weight", "cap", "floor", "points_per_unit", "max_points", "allowed_value", "score")
    assert {code: tuple(line[name] for name in rule) for code, line in lines.items()} == {
        "customers_served": ("weighted", "20.00", "1.200", "0.000", None, None, None, "24.0000"),
        "wealth_sales": ("weighted", "80.00", "1.000", "0.500", None, None, None, "40.0000"),
        "mobile_banking_signups": ("points", None, None, None, "2.0000", "5.0000", None, "5.0000"),
        "complaints": ("points", None, None, None, "-2.0000", None, None, "-2.0000"),
        "risk_events": ("veto", None, None, None, None, None, "0.0000", None),
    }


def test_a_day_without_a_daily_target_has_no_score_but_still_its_template(reader):
    (card,) = reader.get(URL, {"unit": "GZ0101", "date": "2026-11-15", "period": "day"}).json()["results"]

    assert (card["total_score"], card["rank"], card["rank_of"]) == (None, None, None)
    assert [line["score"] for line in card["lines"]] == [None] * len(card["lines"])
    assert card["template_code"] == "T-URBAN"


def test_a_staff_members_points_template_is_out_of_its_maxima(reader):
    (card,) = reader.get(URL, {"staff": "S1003", "date": "2026-11-15"}).json()["results"]

    assert (card["total_score"], card["full_score"], card["max_score"]) == ("9.0000", "60.0000", "60.0000")
    assert _lines(card)["counter_referrals"]["kind"] == "points"


def test_the_rules_of_a_whole_page_cost_one_query(reader, django_assert_max_num_queries):
    cache.clear()  # a page computed, not read from the scorecards' JSON cache (kpi.selectors.scorecard_json)
    # token, last-used stamp, latest day, its publication, the page's ids, its scorecards, their lines, the
    # templates' lines
    with django_assert_max_num_queries(8):
        response = reader.get(URL, {"date": "2026-11-15", "under": "GZ01", "holder": "unit"})
    codes = sorted(card["unit"] for card in response.json()["results"])
    assert codes == ["GZ01", "GZ0101", "GZ0102"]
