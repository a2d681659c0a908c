"""Operations checks: what the people who run BankOps must hear about (a day not published by its due
time, a job whose worker stopped). Each app registers a check in its AppConfig.ready(); the HQ overview
shows what they answer, and the reaper's beat task logs it as an error for the monitoring that reads the
logs. A check takes the time and returns plain sentences; one that fails is logged and skipped."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

Check = Callable[[datetime.datetime], list[str]]

_checks: list[Check] = []


def register(check: Check) -> Check:
    if check not in _checks:
        _checks.append(check)
    return check


def problems(now: datetime.datetime) -> list[str]:
    found: list[str] = []
    for check in _checks:
        try:
            found.extend(check(now))
        except Exception:
            logger.exception("operations check %s failed", getattr(check, "__name__", check))
    return found
