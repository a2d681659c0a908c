"""The embedded default (no broker): a facts POST answers at once and the rollup runs in the web
process's background thread (lib.background), whatever the backlog (issue 13: 11 facts took 85 s)."""

from __future__ import annotations

import importlib
import threading
import time
from unittest import mock

import pytest
from rest_framework.test import APIClient

from kpi.models import Fact
from lib.background import InBackgroundWhenEager, background
from staff.services import api_token_create

FACTS = {
    "facts": [
        {"date": "2026-11-24", "unit": "GZ0101", "staff": None, "metric": "customers_served", "value": "120"},
        {"date": "2026-11-24", "unit": "GZ0102", "staff": None, "metric": "customers_served", "value": "80"},
    ]
}


@pytest.fixture
def catalog(transactional_db):
    """The standard metric catalog of kpi's data migration, installed again (get_or_create): an earlier
    transactional test leaves every table empty, data migrations' rows included."""
    from django.apps import apps

    importlib.import_module("kpi.migrations.0002_standard_catalog").install_catalog(apps, None)


@pytest.mark.django_db(transaction=True)
def test_a_facts_post_answers_in_under_a_second_while_the_rollup_runs_in_the_background(catalog, network, settings):
    settings.BACKGROUND_THREAD = True
    _token, key = api_token_create(name="queueing", unit=network["HQ"], scopes="read,ingest")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    started, release, rolled = threading.Event(), threading.Event(), []

    def a_long_backlog(**kwargs):
        started.set()
        release.wait(5)  # a backlog of days to roll up: longer than the request may take
        rolled.append(threading.current_thread().name)
        return []

    with mock.patch("kpi.services.rollup.rollup_pending", side_effect=a_long_backlog):
        began = time.monotonic()
        response = client.post("/api/v1/facts/", FACTS, format="json")
        elapsed = time.monotonic() - began

        assert response.status_code == 201
        assert elapsed < 1.0
        assert Fact.objects.count() == 2
        # The rollup was handed to the background thread, which is at it now.
        assert started.wait(5)
        assert rolled == []
        release.set()
        assert background.wait_idle(10)

    assert rolled == ["bankops-background"]


def test_calls_waiting_with_the_same_arguments_run_once_and_in_order():
    ran, gate = [], threading.Event()

    background.submit("gate", lambda: gate.wait(5))
    assert background.submit(("rollup",), lambda: ran.append("rollup"))
    # Ten more batches while the first rollup waits to start: still one rollup to run.
    assert not any(background.submit(("rollup",), lambda: ran.append("rollup")) for _ in range(10))
    assert background.submit(("evaluate", 24), lambda: ran.append("evaluate 24"))
    gate.set()

    assert background.wait_idle(10)
    assert ran == ["rollup", "evaluate 24"]


def test_a_failing_call_is_logged_and_the_thread_goes_on(caplog):
    ran = []

    def broken():
        raise RuntimeError("rollup broken")

    background.submit(("broken",), broken)
    background.submit(("after",), lambda: ran.append("after"))

    assert background.wait_idle(10)
    assert ran == ["after"]
    assert "rollup broken" in caplog.text


@pytest.mark.parametrize(
    "task_name",
    [
        "campaigns.tasks.refresh_campaign",  # a campaign saved (admin, page)
        "campaigns.tasks.refresh_scores",  # a day published
        "complaints.tasks.feed_facts",  # a complaint reviewed
        "outreach.tasks.outreach_facts",  # a contact saved; waits on the nightly run's lock
        "customers.tasks.tiering_months",  # the admin's "Tier a month", "Tier again"
    ],
)
def test_the_work_a_request_queues_runs_in_the_background_thread_without_a_broker(task_name):
    module, name = task_name.rsplit(".", 1)

    assert isinstance(getattr(importlib.import_module(module), name), InBackgroundWhenEager)
