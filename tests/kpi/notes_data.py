"""Notes on the figures (标注) for the tests of kpi's notes: the model, the pages, the API, the bulletin.

The network of tests/conftest.py:

    HQ ── GZ ── GZ01 ── GZ0101, GZ0102
           └── GZ02 ── GZ0201
     └── SZ ── SZ01 ── SZ0101

`notes` (a fixture) writes, by name:

    holiday    HQ       1–7 October 2026   holiday          国庆节                 every metric
    upgrade    GZ01     20 November        system outage    核心系统升级           every metric
    maturity   GZ0101   20 November        large maturity   3,000 万元定期到期     deposit_balance
    neighbour  GZ0102   21 November        other            网点装修               every metric
    shenzhen   SZ0101   20 November        other            华强北停电             every metric
"""

from __future__ import annotations

import datetime

import pytest

from kpi.models import Annotation, AnnotationKind
from tests.kpi.factories import metric

D = datetime.date


def note(unit, start, end=None, *, kind=AnnotationKind.OTHER, text="", metric_code=None) -> Annotation:
    return Annotation.objects.create(
        unit=unit,
        kind=kind,
        start=start,
        end=end or start,
        text=text or f"{unit.code} {start}",
        metric=metric(metric_code) if metric_code else None,
    )


@pytest.fixture
def notes(network):
    return {
        "holiday": note(network["HQ"], D(2026, 10, 1), D(2026, 10, 7), kind=AnnotationKind.HOLIDAY, text="国庆节"),
        "upgrade": note(network["GZ01"], D(2026, 11, 20), kind=AnnotationKind.SYSTEM_OUTAGE, text="核心系统升级"),
        "maturity": note(
            network["GZ0101"],
            D(2026, 11, 20),
            kind=AnnotationKind.LARGE_MATURITY,
            text="3,000 万元定期到期",
            metric_code="deposit_balance",
        ),
        "neighbour": note(network["GZ0102"], D(2026, 11, 21), text="网点装修"),
        "shenzhen": note(network["SZ0101"], D(2026, 11, 20), text="华强北停电"),
    }
