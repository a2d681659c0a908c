"""Quiet by default (issue 14): the line each finished task writes, and the summary of each alert
evaluation, show from WARNING unless LOG_LEVEL asks or a worker runs at `-l info`; eager tasks raise no
broker warning."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from kombu import Connection

from bankops.celery import _task_results_at_the_workers_level

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LEVELS = (
    "import logging; print(*(logging.getLevelName(logging.getLogger(name).getEffectiveLevel()) for name in "
    "('celery.app.trace', 'alerts.services.evaluation', 'django.utils.autoreload', 'kpi.services.rollup')))"
)


def _levels(**env: str) -> list[str]:
    environment = {key: value for key, value in os.environ.items() if key != "LOG_LEVEL"}
    environment.update(DEBUG="true", **env)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", LEVELS],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1].split()  # after the shell's own lines (its auto-imports)


def test_task_results_log_from_warning_and_everything_else_from_info_by_default():
    assert _levels() == ["WARNING", "WARNING", "WARNING", "INFO"]


def test_log_level_applies_to_the_task_results_too():
    assert _levels(LOG_LEVEL="INFO") == ["INFO", "INFO", "INFO", "INFO"]
    assert _levels(LOG_LEVEL="ERROR") == ["ERROR", "ERROR", "ERROR", "ERROR"]


def test_a_worker_started_at_info_shows_the_task_results():
    loggers = [logging.getLogger(name) for name in settings.TASK_RESULT_LOGGERS]
    before = [logger.level for logger in loggers]
    try:
        _task_results_at_the_workers_level(logger=logging.getLogger(), loglevel=logging.INFO)
        assert [logger.getEffectiveLevel() for logger in loggers] == [logging.INFO, logging.INFO]
    finally:
        for logger, level in zip(loggers, before, strict=True):
            logger.setLevel(level)


@pytest.mark.skipif(
    bool(os.environ.get("REDIS_URL")),
    reason="the embedded default's in-memory broker; with REDIS_URL the broker is Redis",
)
def test_the_in_memory_broker_names_its_host_so_eager_tasks_raise_no_warning(caplog):
    assert settings.CELERY_TASK_ALWAYS_EAGER

    with caplog.at_level(logging.WARNING, logger="kombu"):
        info = Connection(settings.CELERY_BROKER_URL).info()

    assert info["transport"] == "memory"
    assert info["hostname"] == "localhost"
    assert not [record for record in caplog.records if "hostname" in record.getMessage()]
