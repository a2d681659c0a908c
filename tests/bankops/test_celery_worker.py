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
