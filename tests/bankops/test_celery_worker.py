"""End to end through a real `celery worker` process, Redis and the database (runs whenever REDIS_URL
is set, as in CI). The worker is started on a queue of its own and pointed at the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from bankops.celery import app as celery_app
from branches.models import PeerGroup
from branches.tasks import peer_groups_rebuild
from tests.factories import OrgUnitFactory

PROJECT_ROOT = Path(__file__).resolve().parents[2]

needs_redis = pytest.mark.skipif(
    not settings.REDIS_URL and os.environ.get("CI") != "true",
    reason="needs REDIS_URL (a real broker); .ci/run sets it",
)


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def real_worker(tmp_path):
    """A worker process consuming a private queue; yields the queue name, stops the worker after."""
    assert settings.REDIS_URL, "REDIS_URL must be set to test through a real worker"
    assert connection.vendor == "postgresql", "the worker must share the test database: use PostgreSQL"
    queue = f"test-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    env = {**os.environ, "DATABASE_URL": _database_url(), "REDIS_URL": settings.REDIS_URL, "DEBUG": "true"}
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "bankops", "worker", "--pool=solo", "-Q", queue,
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info", "-n", f"{queue}@%h"],
            cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        yield queue
    finally:
        celery_app.conf.task_always_eager = previous
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        print(log.read_text())


@needs_redis
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_rebuilds_the_peer_groups_in_the_database(real_worker):
    hq = OrgUnitFactory(code="HQ", kind="hq", parent=None)
    branch = OrgUnitFactory(code="GZ", kind="branch", parent=hq)
    sub_branch = OrgUnitFactory(code="GZ01", kind="sub_branch", parent=branch)
    for code, area in (("GZ0101", "urban"), ("GZ0102", "urban"), ("GZ0103", "township")):
        OrgUnitFactory(code=code, kind="outlet", parent=sub_branch, area=area, format="full")

    result = peer_groups_rebuild.apply_async(queue=real_worker)

    # Two groups: GZ01's urban outlets and its township outlet, written by the worker process.
    assert result.get(timeout=90) == 2
    groups = {group.code: sorted(group.members.values_list("code", flat=True)) for group in PeerGroup.objects.all()}
    assert groups == {"GZ01-urban": ["GZ0101", "GZ0102"], "GZ01-township": ["GZ0103"]}


@pytest.fixture
def catalog(transactional_db):
    """The standard metric catalog of kpi's data migration, installed again (get_or_create): an earlier
    transactional test leaves every table empty, data migrations' rows included."""
    import importlib

    from django.apps import apps

    importlib.import_module("kpi.migrations.0002_standard_catalog").install_catalog(apps, None)


@needs_redis
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_fact_ingested_while_a_real_worker_rolls_its_day_up_is_taken_by_the_next_rollup(
    real_worker, catalog, monkeypatch
):
    """Issue 13, on PostgreSQL with a worker process: the worker has read the facts of the 24th (A's 10
    customers) and waits to publish while B's 7 arrive through the ingest; the day must stay stale and
    the next rollup must publish 17 for the sub-branch."""
    import datetime
    import time
    from decimal import Decimal

    from django.db import transaction

    from kpi.models import IngestBatch, RollupDay, RollupRun, Scorecard, ScorecardLine
    from kpi.services import facts as facts_service
    from kpi.services.facts import facts_ingest
    from kpi.tasks import rollup_day, rollup_pending
    from lib.csvimport import CsvRow

    day = datetime.date(2026, 11, 24)
    hq = OrgUnitFactory(code="HQ", kind="hq", parent=None)
    sub_branch = OrgUnitFactory(code="GZ01", kind="sub_branch", parent=hq)
    for code in ("GZ0101", "GZ0102"):
        OrgUnitFactory(code=code, kind="outlet", parent=sub_branch)
    # The test sends the rollups itself, to the worker's queue.
    monkeypatch.setattr(facts_service, "_queue_rollup", lambda: None)

    def ingest(unit: str, value: str) -> None:
        row = {"date": day.isoformat(), "unit": unit, "staff": "", "metric": "customers_served", "value": value}
        facts_ingest(rows=[CsvRow(2, row)], source=IngestBatch.Source.API)

    def served() -> Decimal | None:
        cards = Scorecard.objects.published().filter(date=day, period="day", unit=sub_branch, staff=None)
        line = ScorecardLine.objects.filter(scorecard__in=cards, metric__code="customers_served").first()
        return line and line.actual

    ingest("GZ0101", "10")
    RollupDay.objects.create(date=day)
    with transaction.atomic():
        # Holding the day's row: the worker computes, then waits here to publish.
        RollupDay.objects.select_for_update().get(date=day)
        result = rollup_day.apply_async((day.isoformat(),), queue=real_worker)
        deadline = time.monotonic() + 90
        # 60 %: it has read and computed everything, and is writing (then waits for the row to publish).
        while not RollupRun.objects.filter(date=day, progress__gte=60).exists():
            assert time.monotonic() < deadline, "the worker did not reach the publication"
            time.sleep(0.2)
        ingest("GZ0102", "7")
    run_id = result.get(timeout=90)

    assert RollupRun.objects.get(pk=run_id).status == "published"
    assert served() == Decimal("10")
    assert RollupDay.objects.get(date=day).stale_since is not None
    assert rollup_pending.apply_async(queue=real_worker).get(timeout=90) == [day.isoformat()]
    assert served() == Decimal("17")
    assert RollupDay.objects.get(date=day).stale_since is None
