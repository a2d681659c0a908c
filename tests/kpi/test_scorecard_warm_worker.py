"""The scorecards' JSON warmed by a real `celery worker` process (kpi.tasks.scorecards_warm) is the cache the
web process reads: Redis shared by both, the keys the same (kpi.selectors.scorecard_json)."""

from __future__ import annotations

import importlib
from unittest import mock

import pytest
from django.apps import apps

from kpi.selectors import scorecard_json
from kpi.tasks import scorecards_warm
from staff.services import api_token_create
from tests.bankops.test_celery_worker import needs_redis, real_worker  # noqa: F401 (the fixture)
from tests.kpi.test_scorecard_json import QUERY, URL, _publish


@pytest.fixture
def catalog(transactional_db):
    """The metric catalog of the data migrations, installed again: an earlier transactional test leaves
    every table empty."""
    importlib.import_module("kpi.migrations.0002_standard_catalog").install_catalog(apps, None)


@needs_redis
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_cards_a_real_worker_warmed_are_read_by_the_web_process_without_computing_any(
    catalog,
    network,
    real_worker,  # noqa: F811 (the fixture)
    client,
):
    day = _publish(network, tianhe_score="42")  # Tianhe Road 42, Zhujiang New Town 30, Conghua 55

    assert scorecards_warm.apply_async((day.date.isoformat(),), queue=real_worker).get(timeout=90) == 3

    _token, key = api_token_create(name="reader", unit=network["HQ"], scopes="read")
    with mock.patch.object(scorecard_json, "scorecards_written", wraps=scorecard_json.scorecards_written) as written:
        page = client.get(URL, QUERY, HTTP_AUTHORIZATION=f"Token {key}")

    written.assert_not_called()
    assert {card["unit"]: card["total_score"] for card in page.json()["results"]} == {
        "GZ0101": "42.0000",
        "GZ0102": "30.0000",
        "GZ0201": "55.0000",
    }
