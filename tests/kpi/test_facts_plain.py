"""facts_ingest's two forms of its rules (kpi/services/facts.py): the plain rows checked a column at a time
(_plain_facts) and every other row through the rules one by one. The column form must take only rows the
rules take with nothing to say, as the same fact: checked here on every row of a mixed file."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pandas as pd
import pytest
from django.utils import translation

from branches.models import OrgUnit
from kpi.models import Fact, IngestBatch, Level
from kpi.services import facts as service
from kpi.services.facts import FACT_COLUMNS, facts_ingest
from lib.csvimport import ImportRejected, Problem, read_csv, read_csv_columns
from tests.kpi.factories import MetricFactory
from tests.ledger.factories import points_metric

HEADER = "date,unit,staff,metric,value\n"

# Good rows of every shape: plain ones, and ones only the rules take (spaces, full-width digits, a
# negative flow, a whole count written with a point).
GOOD = (
    HEADER + "2026-11-24,GZ0101,,customers_served,120\n"  # 2 plain
    "2026-11-24,GZ0101,,deposit_balance,5234.56\n"  # 3 plain
    "2026-11-24,GZ0101,S1001,mobile_banking_signups,3\n"  # 4 plain
    "2026/11/23,GZ0101,,customers_served,7\n"  # 5 plain: slashes are a date
    "2026-11-23,GZ0101,,deposit_balance,１２３４.５\n"  # 6 rules: full-width digits
    "2026-11-23,GZ0101,,wealth_sales,-3.5\n"  # 7 rules: a negative flow
    "2026-11-22,GZ0101,,customers_served,4.0\n"  # 8 rules: a count with a point
    "2026-11-21,GZ0101,,wait_minutes_total,2.5\n"  # 9 plain: minutes may have fractions
    "2026-11-20, GZ0101 ,,customers_served,5\n"  # 10 rules: spaces
    "2026-11-20,GZ0101,S1001 ,mobile_banking_signups,1\n"  # 11 rules: a space after the staff code
    "2026-11-20,GZ0102,,customers_served,9\n"  # 12 plain: the day GZ0102 opened
    "2026-11-14,GZ0101,,wait_minutes_total,0001.5000\n"  # 13 plain: leading zeros, four decimals
    "2026-11-14,GZ0101,,deposit_balance,12345678.1234\n"  # 14 plain: eight digits, four decimals
)

# Each bad row breaks one rule; good rows between them.
MIXED = (
    HEADER + "2026-11-24,GZ0101,,customers_served,120\n"  # 2 good, plain
    "2026-11-24,GZ9999,,customers_served,10\n"  # 3 unknown unit
    "2026-11-24,GZ0101,S9999,mobile_banking_signups,1\n"  # 4 unknown staff
    "2026-11-24,GZ0101,,no_such_metric,1\n"  # 5 unknown metric
    "2026/11/23,GZ0101,,customers_served,7\n"  # 6 good, plain (slashes)
    "2026-11-22,GZ0101,,customers_served,-3\n"  # 7 a negative count
    "2026-11-21,GZ0101,,customers_served,2.5\n"  # 8 a count not whole
    "2026-11-21,GZ0101,,deposit_balance,1.23456\n"  # 9 five decimals
    "2026-11-20,GZ0101,,deposit_balance,12345678901234567\n"  # 10 seventeen digits
    "2026-11-20,GZ0101,,npl_ratio,1.5\n"  # 11 a ratio
    "2026-11-20,GZ01,,customers_served,100\n"  # 12 not an outlet
    "2026-11-20,GZ0101,S1001,sms_banking_signups,1\n"  # 13 outlet only, with staff
    "2026-11-20,GZ0102,S1001,mobile_banking_signups,1\n"  # 14 not assigned there
    "2026-11-19,GZ0101,,teller_errors,1\n"  # 15 staff only, without staff
    "2025-12-31,GZ0101,S1001,mobile_banking_signups,1\n"  # 16 not assigned yet
    "2026-11-19,GZ0102,,customers_served,4\n"  # 17 before GZ0102 opened
    "2099-01-01,GZ0101,,customers_served,4\n"  # 18 in the future
    "2026-11-18,GZ0101,,customers_served,5\n"  # 19 good, plain
    "2026-11-18,GZ0101,,customers_served,6\n"  # 20 repeats 19 (both plain)
    "2026-11-17, GZ0101,,customers_served,5\n"  # 21 good, rules
    "2026-11-17,GZ0101,,customers_served,6\n"  # 22 plain, repeats 21 (a rules row)
    "2026-11-16,GZ0101,S1001,ledger_points,3\n"  # 23 points from a file
    "2026-11-15,GZ0101,,customers_served,12a\n"  # 24 not a number
    "2026-11-15,GZ0101,,deposit_balance,\n"  # 25 no value
    "2026-11-14,GZ0101,,deposit_balance,1.\n"  # 26 a point and no decimals
    "2026-11-14,GZ0101,,deposit_growth,100\n"  # 27 a net change
    "2026-11-13,GZ0101,,wealth_sales,.5\n"  # 28 no digit before the point
    "2026-11-13,GZ0101,,wait_minutes_total,1 5\n"  # 29 a space inside
    "2026-11-13,GZ0101,,customers_served,+5\n"  # 30 a plus sign
    "2026-11-13,GZ0101,,deposit_balance,1e3\n"  # 31 an exponent
    "2026-11-12,GZ0101,,customers_served,8\n"  # 32 good, plain
)


@pytest.fixture
def setting(teller):
    """The teller's outlet, GZ0102 opened on 20 November, a staff-only metric and the points metric."""
    OrgUnit.objects.filter(code="GZ0102").update(opened_on=datetime.date(2026, 11, 20))
    MetricFactory(code="teller_errors", level=Level.STAFF)
    points_metric()


@pytest.fixture
def plain_lines(monkeypatch):
    """The lines _plain_facts takes, batch by batch."""
    taken: list[list[int]] = []
    found = service._plain_facts

    def spy(*args, **kwargs):
        plain = found(*args, **kwargs)
        taken.append(plain.line[plain.mask].tolist())
        return plain

    monkeypatch.setattr(service, "_plain_facts", spy)
    return taken


def _rules_only(monkeypatch):
    """Every row through the rules one by one (as if no row were plain)."""
    found = service._plain_facts

    def none_plain(*args, **kwargs):
        plain = found(*args, **kwargs)
        plain.mask[:] = False
        return plain

    monkeypatch.setattr(service, "_plain_facts", none_plain)


def _ingest(text: str):
    return facts_ingest(rows=read_csv_columns(text.encode(), columns=FACT_COLUMNS), source=IngestBatch.Source.CSV)


def _problems(text: str) -> list[Problem]:
    with pytest.raises(ImportRejected) as refused:
        _ingest(text)
    return refused.value.problems


def _stored() -> list[tuple]:
    return list(
        Fact.objects.order_by("date", "unit__code", "metric__code", "staff__code").values_list(
            "date", "unit__code", "staff__code", "metric__code", "value"
        )
    )


def test_the_columns_take_the_plain_good_rows_and_leave_the_others_to_the_rules(setting, plain_lines):
    _ingest(GOOD)

    assert plain_lines == [[2, 3, 4, 5, 9, 12, 13, 14]]


def test_every_good_row_is_stored_as_the_rules_alone_would_store_it(setting, monkeypatch):
    by_columns = _ingest(GOOD)
    stored = _stored()
    Fact.objects.all().delete()
    _rules_only(monkeypatch)

    by_rules = _ingest(GOOD)

    assert _stored() == stored
    assert (by_columns.created, by_columns.updated, by_columns.unchanged) == (13, 0, 0)
    assert (by_rules.created, by_rules.updated, by_rules.unchanged) == (13, 0, 0)
    nov14 = datetime.date(2026, 11, 14)
    assert (nov14, "GZ0101", None, "wait_minutes_total", Decimal("1.5")) in stored
    assert (nov14, "GZ0101", None, "deposit_balance", Decimal("12345678.1234")) in stored
    assert (datetime.date(2026, 11, 23), "GZ0101", None, "deposit_balance", Decimal("1234.5")) in stored


def test_a_mixed_file_says_what_the_rules_alone_say_line_for_line_and_writes_nothing(setting, plain_lines, monkeypatch):
    by_columns = _problems(MIXED)
    _rules_only(monkeypatch)

    by_rules = _problems(MIXED)

    assert by_columns == by_rules
    # Of the good lines 2, 6 (slashes are a date), 19, 21 and 32: 19 and 20 share a key, so both go to the
    # rules; 22 is plain but line 21 (through the rules: a space) has its key, so 22 follows it there.
    assert plain_lines[0] == [2, 6, 22, 32]
    assert [(problem.line, problem.field) for problem in by_columns] == [
        (3, "unit"),
        (4, "staff"),
        (5, "metric"),
        (7, "value"),
        (8, "value"),
        (9, "value"),
        (10, "value"),
        (11, "metric"),
        (12, "unit"),
        (13, "staff"),
        (14, "staff"),
        (15, "staff"),
        (16, "staff"),
        (17, "date"),
        (18, "date"),
        (20, "metric"),
        (22, "metric"),
        (23, "metric"),
        (24, "value"),
        (25, "value"),
        (26, "value"),
        (27, "metric"),
        (28, "value"),
        (29, "value"),
        (30, "value"),
        (31, "value"),
    ]
    messages = {problem.line: problem.message for problem in by_columns}
    assert messages[10] == "'12345678901234567' is too large (at most 16 digits before the decimal point)"
    assert messages[17] == (
        "2026-11-19 is before outlet 'GZ0102' opened (2026-11-20); its facts are taken from 2026-11-20"
    )
    assert messages[20] == "the same fact (date, unit, staff, metric) is already on line 19"
    assert messages[22] == "the same fact (date, unit, staff, metric) is already on line 21"
    assert Fact.objects.count() == 0
    assert IngestBatch.objects.count() == 0


def test_a_rules_row_repeating_an_earlier_plain_row_is_the_one_refused(teller):
    problems = _problems(
        HEADER + "2026-11-24,GZ0101,,customers_served,120\n"  # plain
        "2026/11/24,GZ0101,,customers_served,121\n"  # the same day, through the rules
    )

    assert problems == [Problem(3, "metric", "the same fact (date, unit, staff, metric) is already on line 2")]


def test_a_file_read_by_columns_or_row_by_row_says_the_same(setting):
    by_rows = None
    with pytest.raises(ImportRejected) as refused:
        facts_ingest(rows=read_csv(MIXED.encode(), columns=FACT_COLUMNS), source=IngestBatch.Source.CSV)
    by_rows = refused.value.problems

    assert _problems(MIXED) == by_rows


def test_a_number_is_plain_with_ascii_digits_up_to_sixteen_before_and_four_after_the_point():
    cells = pd.Series(
        ["0", "120", "5234.56", "1.2345", "1.23456", "-3", "1,234", "１２", " 5", "5 ", "1.", ".5", "1.2.3",
         "9999999999999999", "12345678901234567", "9999999999999999.9999", "", None, "1e3", "+5", "1\x002"],
        dtype=object,
    )  # fmt: skip

    number, point = service._plain_numbers(cells, len(cells))

    assert number.tolist() == [
        True, True, True, True, False, False, False, False, False, False, False, False, False,
        True, False, True, False, False, False, False, False,
    ]  # fmt: skip
    assert point[:5].tolist() == [False, False, True, True, True]


@pytest.fixture(autouse=True)
def _english_problems():
    """The problems asserted here are the English source texts (every test starts in Chinese; an import
    in Chinese: tests/bankops/test_i18n_complete.py)."""
    with translation.override("en"):
        yield
