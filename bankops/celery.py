"""The Celery app. Start a worker with `celery -A bankops worker -l info` and beat with
`celery -A bankops beat -l info`; configuration comes from the CELERY_* Django settings."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bankops.settings")

app = Celery("bankops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
