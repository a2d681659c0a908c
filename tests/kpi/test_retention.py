"""A day whose scorecards the retention rule pruned (kpi.retention): the API answers 404 saying so and
naming the nearest day kept, the page says the same, instead of an empty list (issue 13).

Calendar: 2026-08-09 and 2026-08-16 are Sundays (week ends, kept for good); Wednesday the 12th is more
than SCORECARD_RETENTION_DAYS (62) before today, so its scorecards were not kept. The Sunday before is 3
days away, the Sunday after 4: the nearest day kept is the 9th.
"""

from __future__ import annotations

import datetime

import pytest

from kpi.services import rollup
from tests.kpi.factories import FactFactory

D = datetime.date
PRUNED = D(2026, 8, 12)
MESSAGE = (
    "the scorecards of 2026-08-12 were not kept: daily scorecards are kept for 62 days, older days only at the "
    "end of a week, month, quarter or year; the nearest day kept is 2026-08-09"
)


@pytest.fixture
def august(network, settings):
    settings.SCORECARD_RETENTION_DAYS = 62
    today = D(2026, 12, 2)
    for day in (D(2026, 8, 9), PRUNED, D(2026, 8, 16)):
        FactFactory(unit=network["GZ0101"], metric="customers_served", date=day, value=100)
        rollup.rollup_day(day=day, today=today)
    return today


@pytest.fixture
def _today(august, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *args: august)


def test_the_scorecards_of_a_pruned_day_answer_404_naming_the_nearest_day_kept(token_client, network, _today):
    client = token_client(network["HQ"])

    response = client.get("/api/v1/scorecards/", {"date": "2026-08-12", "period": "month"})

    assert response.status_code == 404
    assert response.json() == {"errors": [{"field": "date", "message": MESSAGE, "row": None}]}
    # The day named has them.
    kept = client.get("/api/v1/scorecards/", {"date": "2026-08-09", "period": "month"})
    assert kept.status_code == 200 and kept.json()["results"]


def test_the_ranking_of_a_pruned_day_answers_the_same_404(token_client, network, _today):
    response = token_client(network["HQ"]).get("/api/v1/rankings/", {"group": "GZ01", "date": "2026-08-12"})

    assert response.status_code == 404
    assert response.json()["errors"][0]["message"] == MESSAGE


def test_the_scorecard_page_of_a_pruned_day_says_so_and_links_the_nearest_day_kept(client, outlet_head, _today):
    from django.utils import translation

    client.force_login(outlet_head)
    with translation.override("en"):
        page = client.get("/units/GZ0101/scorecard/", {"date": "2026-08-12"}, HTTP_ACCEPT_LANGUAGE="en").content

    text = page.decode()
    assert "were not kept: daily scorecards are kept for 62 days" in text
    assert 'href="/units/GZ0101/scorecard/?date=2026-08-09&amp;period=month"' in text
    assert "that day has not been rolled up" not in text


def test_a_day_that_was_never_rolled_up_is_not_called_pruned(token_client, network, _today):
    response = token_client(network["HQ"]).get("/api/v1/scorecards/", {"date": "2026-08-13", "period": "month"})

    assert response.status_code == 200
    assert response.json()["results"] == []
