"""Points (分, issue 16) in facts_ingest: a points metric is fed by the points ledger only, and its day may
be below 0 (a day of deductions); other metrics keep their rules."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from kpi.models import Fact, IngestBatch
from kpi.services.facts import FACT_COLUMNS, facts_ingest
from lib.csvimport import ImportRejected, read_csv
from tests.ledger.factories import points_metric

pytestmark = pytest.mark.django_db

HEADER = "date,unit,staff,metric,value\n"


def _ingest(text: str, source: str) -> IngestBatch:
    return facts_ingest(rows=read_csv((HEADER + text).encode(), columns=FACT_COLUMNS), source=source)


def test_the_ledger_writes_a_negative_day_of_points(teller):
    points_metric()
    # 2.5 − 2 × 5 = −7.5 points on the day: a day of deductions.
    _ingest("2026-11-24,GZ0101,S1001,ledger_points,-7.5\n", IngestBatch.Source.LEDGER)
    assert Fact.objects.get(metric__code="ledger_points").value == Decimal("-7.5")


@pytest.mark.parametrize("source", [IngestBatch.Source.CSV, IngestBatch.Source.API, IngestBatch.Source.DEMO])
def test_a_points_metric_takes_no_fact_from_a_file_or_the_api(teller, source):
    points_metric()
    with pytest.raises(ImportRejected) as refused:
        _ingest("2026-11-24,GZ0101,S1001,ledger_points,3\n", source)
    [problem] = refused.value.problems
    assert (problem.line, problem.field) == (2, "metric")
    assert "points ledger" in problem.message
    assert not Fact.objects.exists()


def test_a_count_stays_at_zero_or_more_even_from_the_ledger(teller):
    with pytest.raises(ImportRejected) as refused:
        _ingest("2026-11-24,GZ0101,S1001,mobile_banking_signups,-1\n", IngestBatch.Source.LEDGER)
    assert "must be 0 or more" in refused.value.problems[0].message


def test_a_derived_metric_is_still_refused_with_its_parts(teller):
    with pytest.raises(ImportRejected) as refused:
        _ingest("2026-11-24,GZ0101,,npl_ratio,1\n", IngestBatch.Source.LEDGER)
    assert "send its parts" in refused.value.problems[0].message


@pytest.fixture(autouse=True)
def _english_problems():
    """The problems asserted here are the English source texts (every test starts in Chinese; an import
    in Chinese: tests/bankops/test_i18n_complete.py)."""
    with translation.override("en"):
        yield
