"""A fanned-out day through a real `celery worker` process, Redis and PostgreSQL (issue 21): the chord of
the parts, the finish and the publication happen in the worker, and give the single process's figures."""

from __future__ import annotations

import importlib
import time

import pytest
from django.apps import apps

from kpi.models import RollupPart, RollupRun
from kpi.tasks import rollup_fanout_day
from tests.bankops.test_celery_worker import needs_redis, real_worker  # noqa: F401 (the fixture)
from tests.kpi.test_fanout import DAY1, DAY2, network, published, single_process  # noqa: F401 (the fixture)


@pytest.fixture
def migrated_data(transactional_db):
    """The posts and the metric catalog of the data migrations, installed again: an earlier transactional
    test leaves every table empty."""
    importlib.import_module("staff.migrations.0002_posts").install_posts(apps, None)
    importlib.import_module("kpi.migrations.0002_standard_catalog").install_catalog(apps, None)


@pytest.fixture
def worker_network(migrated_data, real_worker):  # noqa: F811
    return real_worker


@needs_redis
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_rolls_up_a_fanned_out_day_as_the_single_process_does(worker_network, network):  # noqa: F811
    queue = worker_network
    single = single_process()

    for day in (DAY1, DAY2):
        run_id = rollup_fanout_day.apply_async((day.isoformat(),), {"queue": queue}, queue=queue).get(timeout=120)
        # The finish runs after the chord's parts, on the worker: wait for the publication.
        deadline = time.monotonic() + 120
        while RollupRun.objects.get(pk=run_id).status != RollupRun.Status.PUBLISHED:
            assert time.monotonic() < deadline, RollupRun.objects.get(pk=run_id).message
            time.sleep(0.3)
        # Three parts (GZ, SZ and the part above with H), each done once by the worker.
        assert (
            sorted(RollupPart.objects.filter(fanout__run_id=run_id).values_list("status", "attempts"))
            == [("done", 1)] * 3
        )

    assert (published(DAY1), published(DAY2)) == single
