"""A closed month's targets are frozen (kpi.services.targets.closed_period_problem): its scorecards are the
basis of pay (kpi.services.closing), so no door (the admin, the API, the import, a split, a target plan)
sets, changes or deletes a target whose period lies wholly in closed months. A period that reaches into
an open month still can."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kpi.models import MonthClose, Target
from kpi.services.targets import TARGET_COLUMNS, target_set, targets_delete, targets_import
from lib.csvimport import ImportRejected, read_csv
from lib.periods import parse_period
from tests.kpi.factories import metric

pytestmark = pytest.mark.django_db


@pytest.fixture
def october_closed(db):
    return MonthClose.objects.create(month=datetime.date(2026, 10, 1), is_closed=True)


def _set(unit, period: str, value: str = "100"):
    return target_set(
        metric=metric("deposit_balance"), period=parse_period(period), value=Decimal(value), unit=unit, source="admin"
    )


def test_a_target_of_a_closed_month_is_neither_set_nor_changed(network, october_closed):
    with pytest.raises(ValidationError) as refused:
        _set(network["GZ0101"], "2026-10")
    assert "2026-10 lies in a closed month (2026-10)" in refused.value.message_dict["period"][0]
    assert not Target.objects.exists()


def test_a_week_reaching_into_an_open_month_and_a_year_with_open_months_can_still_be_set(network, october_closed):
    # 2026-W44 runs from Monday 26 October to Sunday 1 November: November is open.
    assert _set(network["GZ0101"], "2026-W44")[1] is True
    assert _set(network["GZ0101"], "2026")[1] is True


def test_a_quarter_whose_every_month_is_closed_is_frozen(network):
    for month in (10, 11, 12):
        MonthClose.objects.create(month=datetime.date(2026, month, 1), is_closed=True)
    with pytest.raises(ValidationError, match="2026-10, 2026-11, 2026-12"):
        _set(network["GZ0101"], "2026-Q4")


def test_a_reopened_month_takes_targets_again(network, october_closed):
    october_closed.is_closed = False
    october_closed.save()
    assert _set(network["GZ0101"], "2026-10")[1] is True


def test_the_import_names_the_line_of_a_closed_months_target_and_writes_nothing(network, october_closed):
    text = "period,unit,staff,metric,target\n2026-11,GZ0101,,deposit_balance,5\n2026-10,GZ0102,,deposit_balance,5\n"
    with pytest.raises(ImportRejected) as refused:
        targets_import(rows=read_csv(text.encode(), columns=TARGET_COLUMNS))
    assert [(problem.line, problem.field) for problem in refused.value.problems] == [(3, "period")]
    assert not Target.objects.exists()


def test_a_target_of_a_closed_month_is_not_deleted(network):
    target, _created = _set(network["GZ0101"], "2026-10")
    MonthClose.objects.create(month=datetime.date(2026, 10, 1), is_closed=True)
    with pytest.raises(ValidationError):
        targets_delete(targets=[target], source="admin")
    assert Target.objects.filter(pk=target.pk).exists()


@pytest.fixture(autouse=True)
def _english_problems():
    """The problems asserted here are the English source texts (every test starts in Chinese; an import
    in Chinese: tests/bankops/test_i18n_complete.py)."""
    with translation.override("en"):
        yield
