"""The Celery app. Start a worker with `celery -A bankops worker -l info` and beat with
`celery -A bankops beat -l info`; configuration comes from the CELERY_* Django settings."""

from __future__ import annotations

import logging
import os

from celery import Celery
from celery.signals import after_setup_logger

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bankops.settings")

app = Celery("bankops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@after_setup_logger.connect
def _task_results_at_the_workers_level(logger, loglevel, **kwargs) -> None:
    """A worker (or beat) started with `-l info` shows the line of each finished task: the settings keep
    those loggers at WARNING (settings.TASK_RESULT_LOGGERS) for the processes that run tasks eagerly,
    unless LOG_LEVEL is set."""
    from django.conf import settings

    if not settings.LOG_LEVEL:
        for name in settings.TASK_RESULT_LOGGERS:
            logging.getLogger(name).setLevel(loglevel)
