"""Settings from the environment: production must be safe by default and refuse to start without a key.

Each test starts `manage.py` in a fresh interpreter, because settings are read once per process.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Variables a deployment may set to loosen the secure defaults; the tests want the defaults.
_OVERRIDES = (
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
)


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key not in _OVERRIDES}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_pass_the_deploy_checks_with_no_warning():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),  # 67 characters, far from "django-insecure-…"
        ALLOWED_HOSTS="bankops.example.com",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_settings_refuse_to_load_without_a_secret_key_when_debug_is_off():
    result = _manage("check", DEBUG="false")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY must be set" in result.stderr


def test_the_deploy_checks_fail_on_a_short_secret_key():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="too-short",
        ALLOWED_HOSTS="bankops.example.com",
    )

    assert result.returncode != 0
    assert "security.W009" in result.stderr + result.stdout


# -- jobs (issue 13) -----------------------------------------------------------------------------------


def test_the_broker_waits_longer_for_an_acknowledgement_than_any_task_can_live():
    from django.conf import settings

    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    # A task lives at most the hard time limit (1 h), lock waits included; the broker waits 2 h.
    assert (settings.CELERY_TASK_TIME_LIMIT, visibility) == (3600, 7200)
    assert visibility > settings.CELERY_TASK_TIME_LIMIT > settings.CELERY_TASK_SOFT_TIME_LIMIT


def test_beat_keeps_its_schedule_file_on_a_volume_in_docker_compose():
    import yaml

    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
    beat = compose["services"]["beat"]
    schedule = beat["command"].split("--schedule ", 1)[1].split()[0]
    mounts = {mount.split(":")[1]: mount.split(":")[0] for mount in beat["volumes"]}

    assert schedule == "/var/lib/celerybeat/schedule"
    assert mounts == {"/var/lib/celerybeat": "beat"}
    assert "beat" in compose["volumes"]
