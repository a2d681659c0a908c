from __future__ import annotations

import pytest

from bankops.celery import app as celery_app


@pytest.fixture(autouse=True)
def _celery_eager():
    """Tests run tasks in-process unless they start a real worker (tests/bankops/test_celery_worker.py)."""
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous
