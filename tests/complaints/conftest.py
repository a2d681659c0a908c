from __future__ import annotations

import datetime

import pytest
from django.utils import timezone, translation


@pytest.fixture(autouse=True)
def _messages_in_english():
    """The services' messages in English (their msgids), whatever the zh-Hans catalog says."""
    with translation.override("en"):
        yield


@pytest.fixture
def today() -> datetime.date:
    return timezone.localdate()
