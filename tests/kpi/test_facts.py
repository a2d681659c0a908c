"""facts_ingest (kpi/services/facts.py): one service behind the CSV import and the ingest API."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import StringIO
from pathlib import Path
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import translation

from kpi.models import Fact, IngestBatch, Level, MonthClose, RollupDay
from kpi.services.facts import FACT_COLUMNS, facts_ingest
from lib.csvimport import CsvRow, ImportRejected, Problem, read_csv
from staff.services import api_token_create
from tests.factories import AssignmentFactory, StaffMemberFactory, UserFactory
from tests.kpi.factories import FactFactory, MetricFactory, RollupDayFactory, metric

HEADER = "date,unit,staff,metric,value\n"

# Tuesday 24 November 2026 at the Tianhe Road outlet (GZ0101): 120 customers, 30 minutes of waiting in
# all, a deposit balance of 5,234.56 万元, and the teller 黄丽娟 (S1001) signed up 3 mobile-banking users.
GOOD_FILE = (
    HEADER + "2026-11-24,GZ0101,,customers_served,120\n"
    "2026-11-24,GZ0101,,wait_minutes_total,30\n"
    "2026-11-24,GZ0101,,deposit_balance,5234.56\n"
    "2026-11-24,GZ0101,S1001,mobile_banking_signups,3\n"
)


def _rows(text: str) -> list[CsvRow]:
    return read_csv(text.encode("utf-8"), columns=FACT_COLUMNS)


def _ingest(text: str, **kwargs) -> IngestBatch:
    return facts_ingest(rows=_rows(text), source=IngestBatch.Source.CSV, **kwargs)


def _problems(text: str, **kwargs) -> list[Problem]:
    with pytest.raises(ImportRejected) as caught:
        _ingest(text, **kwargs)
    return caught.value.problems


def _facts() -> list[tuple]:
    return list(
        Fact.objects.order_by("date", "unit__code", "metric__code").values_list(
            "date", "unit__code", "staff__code", "metric__code", "value"
        )
    )


def _counts(batch: IngestBatch) -> tuple[int, int, int]:
    return batch.created, batch.updated, batch.unchanged


# -- a good batch ------------------------------------------------------------------------------------


def test_a_good_batch_creates_every_fact_with_its_exact_value(teller):
    batch = _ingest(GOOD_FILE)

    assert _counts(batch) == (4, 0, 0)
    nov24 = datetime.date(2026, 11, 24)
    assert _facts() == [
        (nov24, "GZ0101", None, "customers_served", Decimal("120")),
        (nov24, "GZ0101", None, "deposit_balance", Decimal("5234.56")),
        (nov24, "GZ0101", "S1001", "mobile_banking_signups", Decimal("3")),
        (nov24, "GZ0101", None, "wait_minutes_total", Decimal("30")),
    ]
    assert set(Fact.objects.values_list("batch", flat=True)) == {batch.pk}


def test_the_batch_records_where_it_came_from_and_what_it_covered(teller, hq_admin):
    batch = _ingest(GOOD_FILE + "2026-11-20,GZ0102,,customers_served,80\n", created_by=hq_admin, label="core.csv")

    batch.refresh_from_db()
    assert batch.source == IngestBatch.Source.CSV
    assert batch.label == "core.csv"
    assert batch.created_by == hq_admin
    assert batch.token_name == ""
    assert batch.rows == 5
    assert (batch.first_date, batch.last_date) == (datetime.date(2026, 11, 20), datetime.date(2026, 11, 24))


def test_the_same_batch_twice_changes_nothing_the_second_time(teller):
    _ingest(GOOD_FILE)
    first_write = dict(Fact.objects.values_list("pk", "updated_at"))

    again = _ingest(GOOD_FILE)

    assert _counts(again) == (0, 0, 4)
    assert dict(Fact.objects.values_list("pk", "updated_at")) == first_write
    assert IngestBatch.objects.count() == 2


def test_a_value_written_differently_but_equal_is_unchanged(teller):
    _ingest(GOOD_FILE)

    again = _ingest(HEADER + "2026-11-24,GZ0101,,deposit_balance,5234.5600\n")

    assert _counts(again) == (0, 0, 1)


def test_a_corrected_value_replaces_the_old_one_and_is_counted_as_updated(teller):
    _ingest(GOOD_FILE)

    # The queueing system re-sent the day: 125 customers, not 120; the waiting time is the same.
    correction = _ingest(HEADER + "2026-11-24,GZ0101,,customers_served,125\n2026-11-24,GZ0101,,wait_minutes_total,30\n")

    assert _counts(correction) == (0, 1, 1)
    served = Fact.objects.get(metric__code="customers_served")
    assert served.value == Decimal("125")
    assert served.batch_id == correction.pk
    assert Fact.objects.get(metric__code="wait_minutes_total").batch_id != correction.pk
    assert Fact.objects.count() == 4


def test_a_fact_corrected_twice_keeps_the_last_value(teller):
    _ingest(GOOD_FILE)

    _ingest(HEADER + "2026-11-24,GZ0101,,deposit_balance,5240\n")
    second = _ingest(HEADER + "2026-11-24,GZ0101,,deposit_balance,5241.5\n")

    assert _counts(second) == (0, 1, 0)
    assert Fact.objects.get(metric__code="deposit_balance").value == Decimal("5241.5")


def test_one_batch_creates_updates_and_leaves_outlet_and_staff_facts_and_counts_each(teller):
    first = _ingest(GOOD_FILE)

    # Against GOOD_FILE: customers 120 → 121 and the teller's sign-ups 3 → 4 (one outlet fact and one
    # staff fact updated), the waiting time and the balance as they were (2 unchanged), and two new
    # facts of the 25th, one of each kind: 2 created + 2 updated + 2 unchanged = 6 rows.
    batch = _ingest(
        HEADER + "2026-11-24,GZ0101,,customers_served,121\n"
        "2026-11-24,GZ0101,,wait_minutes_total,30\n"
        "2026-11-24,GZ0101,,deposit_balance,5234.56\n"
        "2026-11-24,GZ0101,S1001,mobile_banking_signups,4\n"
        "2026-11-25,GZ0101,,customers_served,98\n"
        "2026-11-25,GZ0101,S1001,mobile_banking_signups,2\n"
    )

    assert _counts(batch) == (2, 2, 2)
    batch.refresh_from_db()
    assert _counts(batch) == (2, 2, 2)  # as stored, not only on the object returned
    stored = {
        (day.day, staff, metric_code): (value, batch_id)
        for day, staff, metric_code, value, batch_id in Fact.objects.values_list(
            "date", "staff__code", "metric__code", "value", "batch_id"
        )
    }
    assert stored == {
        (24, None, "customers_served"): (Decimal("121"), batch.pk),
        (24, None, "wait_minutes_total"): (Decimal("30"), first.pk),
        (24, None, "deposit_balance"): (Decimal("5234.56"), first.pk),
        (24, "S1001", "mobile_banking_signups"): (Decimal("4"), batch.pk),
        (25, None, "customers_served"): (Decimal("98"), batch.pk),
        (25, "S1001", "mobile_banking_signups"): (Decimal("2"), batch.pk),
    }


def test_a_resend_over_two_days_writes_only_what_changed_and_counts_each_row(teller):
    first = _ingest(HEADER + "2026-11-23,GZ0101,,customers_served,100\n")
    second = _ingest(GOOD_FILE)
    before = dict(Fact.objects.values_list("pk", "updated_at"))

    # The 24th again with one correction (customers 120 → 121) and its other three facts as they were, and
    # the 25th's customers, 100 as on the 23rd (another day: another fact). 1 created + 1 updated + 3
    # unchanged = 5 rows; the 23rd is not in the batch and is not touched.
    batch = _ingest(
        HEADER + "2026-11-24,GZ0101,,customers_served,121\n"
        "2026-11-24,GZ0101,,wait_minutes_total,30\n"
        "2026-11-24,GZ0101,,deposit_balance,5234.56\n"
        "2026-11-24,GZ0101,S1001,mobile_banking_signups,3\n"
        "2026-11-25,GZ0101,,customers_served,100\n"
    )

    assert _counts(batch) == (1, 1, 3)
    batch.refresh_from_db()
    assert (batch.rows, *_counts(batch)) == (5, 1, 1, 3)
    stored = {
        (day.day, metric_code): (value, batch_id)
        for day, metric_code, value, batch_id in Fact.objects.values_list("date", "metric__code", "value", "batch_id")
    }
    assert stored == {
        (23, "customers_served"): (Decimal("100"), first.pk),
        (24, "customers_served"): (Decimal("121"), batch.pk),
        (24, "wait_minutes_total"): (Decimal("30"), second.pk),
        (24, "deposit_balance"): (Decimal("5234.56"), second.pk),
        (24, "mobile_banking_signups"): (Decimal("3"), second.pk),
        (25, "customers_served"): (Decimal("100"), batch.pk),
    }
    after = dict(Fact.objects.values_list("pk", "updated_at"))
    touched = {pk for pk, stamp in after.items() if before.get(pk) != stamp}
    assert touched == set(Fact.objects.filter(batch=batch).values_list("pk", flat=True))
    assert len(touched) == 2


def test_unknown_codes_are_refused_with_their_line_by_the_service_not_by_the_database(teller):
    # The fact's foreign keys carry no database constraint (kpi.models.Fact): the service's checks are
    # what keep a fact from pointing at nothing. Lines 2–4 name a unit, a staff member and a metric that
    # do not exist; line 5 is good, and is not written either.
    problems = _problems(
        HEADER + "2026-11-24,NOPE01,,customers_served,1\n"
        "2026-11-24,GZ0101,S9999,mobile_banking_signups,1\n"
        "2026-11-24,GZ0101,,no_such_metric,1\n"
        "2026-11-24,GZ0101,,customers_served,1\n"
    )

    assert [(problem.line, problem.field, problem.message) for problem in problems] == [
        (2, "unit", "unit 'NOPE01' is not known"),
        (3, "staff", "staff member 'S9999' is not known"),
        (4, "metric", "metric 'no_such_metric' is not known"),
    ]
    assert Fact.objects.count() == 0


def test_a_unit_with_facts_still_cannot_be_deleted(teller, network):
    from django.db.models import ProtectedError

    _ingest(GOOD_FILE)

    with pytest.raises(ProtectedError):
        network["GZ0101"].delete()


def test_the_database_keeps_one_fact_per_date_unit_staff_and_metric_an_empty_staff_included(teller, network):
    # One key (kpi.models.Fact, fact_unique_key: an empty staff counts as 0) on SQLite and PostgreSQL alike.
    from django.db import IntegrityError, transaction

    served = FactFactory(unit=network["GZ0101"], metric="mobile_banking_signups", value=10)
    own = FactFactory(unit=network["GZ0101"], staff=teller.staff_member, metric="mobile_banking_signups", value=3)

    for twin in (served, own):
        with pytest.raises(IntegrityError), transaction.atomic():
            FactFactory(unit=twin.unit, staff=twin.staff, metric=twin.metric, date=twin.date, value=4)
    # The same metric on the next day, or at another outlet, is another fact.
    FactFactory(unit=network["GZ0101"], metric="mobile_banking_signups", date=datetime.date(2026, 11, 25))
    FactFactory(unit=network["GZ0102"], metric="mobile_banking_signups")
    assert Fact.objects.count() == 4


def test_a_deleted_batch_leaves_its_facts_without_a_batch(teller):
    # 24 November from one batch, then a batch that corrects one of its facts and adds 25 November.
    first = _ingest(GOOD_FILE)
    second = _ingest(HEADER + "2026-11-24,GZ0101,,customers_served,125\n2026-11-25,GZ0101,,customers_served,118\n")

    first.delete()

    assert not IngestBatch.objects.filter(pk=first.pk).exists()
    batches = dict(Fact.objects.values_list("value", "batch_id"))
    assert batches == {
        Decimal("125"): second.pk,  # corrected by the second batch: stays its
        Decimal("30"): None,
        Decimal("5234.56"): None,
        Decimal("3"): None,
        Decimal("118"): second.pk,
    }
    IngestBatch.objects.filter(pk=second.pk).delete()  # a queryset delete unlinks them too
    assert Fact.objects.count() == 5
    assert set(Fact.objects.values_list("batch_id", flat=True)) == {None}


def test_cells_with_spaces_and_thousands_commas_are_read_as_the_rules_read_them(teller):
    # The column form of the rules (kpi.services.facts._plain_facts) takes plain cells; these go through
    # the rules one by one and must come out the same: " GZ0101 " is GZ0101, "5,234.56" is 5234.56.
    batch = _ingest(
        HEADER + "2026-11-24, GZ0101 ,,customers_served,120\n"
        '2026-11-24,GZ0101,,deposit_balance,"5,234.56"\n'
        "2026-11-24,GZ0101, S1001,mobile_banking_signups, 3\n"
    )

    assert _counts(batch) == (3, 0, 0)
    assert _facts() == [
        (datetime.date(2026, 11, 24), "GZ0101", None, "customers_served", Decimal("120")),
        (datetime.date(2026, 11, 24), "GZ0101", None, "deposit_balance", Decimal("5234.56")),
        (datetime.date(2026, 11, 24), "GZ0101", "S1001", "mobile_banking_signups", Decimal("3")),
    ]


def test_a_repeated_fact_is_refused_naming_the_first_line_whichever_reader_took_it(teller):
    problems = _problems(
        HEADER + "2026-11-24,GZ0101,,customers_served,120\n"
        "2026-11-24,GZ0101,,customers_served,121\n"
        "2026-11-24, GZ0101,,customers_served,122\n"
    )

    assert [(problem.line, problem.field) for problem in problems] == [(3, "metric"), (4, "metric")]
    assert all("already on line 2" in problem.message for problem in problems)


def test_a_staff_fact_and_the_outlets_own_fact_of_the_same_metric_are_two_facts(teller):
    batch = _ingest(
        HEADER + "2026-11-24,GZ0101,,mobile_banking_signups,10\n2026-11-24,GZ0101,S1001,mobile_banking_signups,3\n"
    )

    assert _counts(batch) == (2, 0, 0)


def test_a_flow_in_wan_yuan_may_be_negative_to_reverse_a_sale(network):
    # A wealth product sold yesterday for 3.5 万元 was cancelled today: today's sales are −3.5.
    batch = _ingest(HEADER + "2026-11-24,GZ0101,,wealth_sales,-3.5\n")

    assert _counts(batch) == (1, 0, 0)
    assert Fact.objects.get().value == Decimal("-3.5")


def test_trailing_zeros_beyond_four_decimals_are_not_extra_precision(network):
    batch = _ingest(HEADER + "2026-11-24,GZ0101,,deposit_balance,12.345600\n")

    assert _counts(batch) == (1, 0, 0)
    assert Fact.objects.get().value == Decimal("12.3456")


def test_a_staff_member_serving_two_outlets_reports_at_both(teller, network):
    huang = teller.staff_member
    AssignmentFactory(staff=huang, post="teller", unit=network["GZ0102"], start=datetime.date(2026, 3, 1))

    batch = _ingest(
        HEADER + "2026-11-24,GZ0101,S1001,counter_referrals,2\n2026-11-24,GZ0102,S1001,counter_referrals,1\n"
    )

    assert _counts(batch) == (2, 0, 0)


# -- bad rows ----------------------------------------------------------------------------------------


def test_every_bad_row_is_reported_with_its_line_column_and_what_was_expected(teller):
    MetricFactory(code="teller_errors", level=Level.STAFF)
    bad_file = (
        HEADER + "2026-11-24,GZ9999,,customers_served,10\n"  # 2
        "2026-11-24,GZ0101,S9999,mobile_banking_signups,1\n"  # 3
        "2026-11-24,GZ0101,,no_such_metric,1\n"  # 4
        "2026-11-31,GZ0101,,customers_served,1\n"  # 5
        "2026-11-24,GZ0101,,customers_served,12a\n"  # 6
        "2026-11-24,GZ0101,,customers_served,-3\n"  # 7
        "2026-11-24,GZ0101,,npl_ratio,1.5\n"  # 8
        "2026-11-24,GZ0101,,deposit_growth,100\n"  # 9
        "2026-11-24,GZ01,,customers_served,100\n"  # 10
        "2026-11-24,GZ0101,S1001,sms_banking_signups,1\n"  # 11
        "2026-11-24,GZ0102,S1001,mobile_banking_signups,1\n"  # 12
        "2026-11-24,GZ0101,,complaints,1\n"  # 13 (good)
        "2026-11-24,GZ0101,,complaints,2\n"  # 14
        "2026-11-24,GZ0101,,deposit_balance,-1\n"  # 15
        "2026-11-24,GZ0101,,wealth_sales,1.23456\n"  # 16
        "2025-12-31,GZ0101,S1001,mobile_banking_signups,1\n"  # 17
        "2026-11-24,GZ0101,,teller_errors,1\n"  # 18
        "2026-11-24,GZ0101,,wait_minutes_total,-5\n"  # 19
        ",,,,\n"  # blank: skipped
        "24/11/2026,,,avg_wait_minutes,\n"  # 21
    )

    assert _problems(bad_file) == [
        Problem(2, "unit", "unit 'GZ9999' is not known"),
        Problem(3, "staff", "staff member 'S9999' is not known"),
        Problem(4, "metric", "metric 'no_such_metric' is not known"),
        Problem(5, "date", "'2026-11-31' is not a date as YYYY-MM-DD"),
        Problem(6, "value", "'12a' is not a number (expected digits such as 123.45)"),
        Problem(7, "value", "'-3' is negative; 'customers_served' must be 0 or more (it counts 人)"),
        Problem(
            8,
            "metric",
            "'npl_ratio' is a ratio metric; it is computed: send its parts (npl_balance and loan_balance) instead",
        ),
        Problem(
            9,
            "metric",
            "'deposit_growth' is a net change metric; it is computed: send its base (deposit_balance) instead",
        ),
        Problem(
            10,
            "unit",
            "'GZ01' is a sub-branch, not an outlet; facts are reported by outlets and the units above add them up",
        ),
        Problem(11, "staff", "'sms_banking_signups' is reported per outlet only; leave staff empty"),
        Problem(12, "staff", "staff member 'S1001' is not assigned to GZ0102 on 2026-11-24"),
        Problem(14, "metric", "the same fact (date, unit, staff, metric) is already on line 13"),
        Problem(15, "value", "'-1' is negative; 'deposit_balance' must be 0 or more (a balance cannot be negative)"),
        Problem(16, "value", "'1.23456' has more than 4 decimal places (at most 4)"),
        Problem(17, "staff", "staff member 'S1001' is not assigned to GZ0101 on 2025-12-31"),
        Problem(18, "staff", "is required: 'teller_errors' is reported per staff member"),
        Problem(
            19,
            "value",
            "'-5' is negative; 'wait_minutes_total' must be 0 or more (it counts 分钟)",
        ),
        Problem(21, "date", "'24/11/2026' is not a date as YYYY-MM-DD"),
        Problem(
            21,
            "metric",
            "'avg_wait_minutes' is a ratio metric; it is computed: send its parts (wait_minutes_total and "
            "customers_served) instead",
        ),
        Problem(21, "unit", "is required (an outlet code)"),
        Problem(21, "value", "is required (a number such as 123.45)"),
    ]


def test_a_batch_with_one_bad_row_writes_nothing(teller):
    with pytest.raises(ImportRejected):
        _ingest(GOOD_FILE + "2026-11-24,GZ0101,,customers_served,abc\n")

    assert Fact.objects.count() == 0
    assert IngestBatch.objects.count() == 0


def test_a_bad_batch_leaves_earlier_facts_as_they_were(teller):
    _ingest(GOOD_FILE)

    with pytest.raises(ImportRejected):
        _ingest(HEADER + "2026-11-24,GZ0101,,customers_served,125\n2026-11-24,GZ9999,,customers_served,1\n")

    assert Fact.objects.get(metric__code="customers_served").value == Decimal("120")


# -- when a fact may be dated: the outlet's life, today, open months --------------------------------

# "Today" in the tests below: Wednesday 25 November 2026.
NOV_25 = datetime.date(2026, 11, 25)


@pytest.fixture
def on_nov_25():
    with mock.patch("django.utils.timezone.localdate", return_value=NOV_25):
        yield


def test_facts_are_taken_from_the_day_an_outlet_opens_to_the_day_it_closes(network, on_nov_25):
    # The Sports West outlet (GZ0102) opened on 10 November and closed on 20 November.
    network["GZ0102"].opened_on, network["GZ0102"].closed_on = datetime.date(2026, 11, 10), datetime.date(2026, 11, 20)
    network["GZ0102"].save()
    first_and_last = HEADER + "2026-11-10,GZ0102,,customers_served,40\n2026-11-20,GZ0102,,customers_served,45\n"

    problems = _problems(
        first_and_last + "2026-11-09,GZ0102,,customers_served,30\n2026-11-21,GZ0102,,customers_served,50\n"
    )
    batch = _ingest(first_and_last)

    assert problems == [
        Problem(
            4,
            "date",
            "2026-11-09 is before outlet 'GZ0102' opened (2026-11-10); its facts are taken from "
            "2026-11-10 to 2026-11-20",
        ),
        Problem(
            5,
            "date",
            "2026-11-21 is after outlet 'GZ0102' closed (2026-11-20); its facts are taken from "
            "2026-11-10 to 2026-11-20",
        ),
    ]
    assert _counts(batch) == (2, 0, 0)


def test_an_outlet_with_only_a_closing_day_takes_every_fact_up_to_it(network, on_nov_25):
    network["GZ0102"].closed_on = datetime.date(2026, 11, 20)
    network["GZ0102"].save()

    problems = _problems(HEADER + "2020-01-01,GZ0102,,customers_served,1\n2026-11-21,GZ0102,,customers_served,1\n")

    assert problems == [
        Problem(3, "date", "2026-11-21 is after outlet 'GZ0102' closed (2026-11-20); its facts are taken to 2026-11-20")
    ]


def test_facts_are_taken_up_to_today_and_not_for_days_to_come(network, on_nov_25):
    problems = _problems(HEADER + "2026-11-26,GZ0101,,customers_served,1\n9999-12-31,GZ0101,,customers_served,1\n")
    today = _ingest(HEADER + "2026-11-25,GZ0101,,customers_served,1\n")

    assert problems == [
        Problem(2, "date", "2026-11-26 is in the future; facts are taken up to 2026-11-25 (today)"),
        Problem(3, "date", "'9999-12-31' is outside the supported range (1900-01-01 to 2100-12-31)"),
    ]
    assert _counts(today) == (1, 0, 0)


def test_a_horizon_in_the_settings_takes_facts_that_many_days_ahead(network, on_nov_25, settings):
    settings.FACTS_FUTURE_DAYS = 1

    problems = _problems(HEADER + "2026-11-27,GZ0101,,customers_served,1\n")
    tomorrow = _ingest(HEADER + "2026-11-26,GZ0101,,customers_served,1\n")

    assert problems == [
        Problem(2, "date", "2026-11-27 is in the future; facts are taken up to 2026-11-26 (today plus 1 day)")
    ]
    assert _counts(tomorrow) == (1, 0, 0)


def test_counts_are_whole_but_minutes_and_money_need_not_be(teller):
    problems = _problems(
        HEADER + "2026-11-24,GZ0101,,customers_served,12.5\n"  # 人
        "2026-11-24,GZ0101,S1001,mobile_banking_signups,0.5\n"  # 户
    )
    batch = _ingest(
        HEADER + "2026-11-24,GZ0101,,customers_served,12.0\n"
        "2026-11-24,GZ0101,,wait_minutes_total,2.5\n"
        "2026-11-24,GZ0101,,deposit_balance,5234.56\n"
    )

    assert problems == [
        Problem(2, "value", "'12.5' is not a whole number; 'customers_served' counts 人"),
        Problem(3, "value", "'0.5' is not a whole number; 'mobile_banking_signups' counts 户"),
    ]
    assert _counts(batch) == (3, 0, 0)
    assert Fact.objects.get(metric__code="customers_served").value == 12


def test_a_file_writes_numbers_as_a_spreadsheet_or_a_chinese_input_method_does_but_not_otherwise(network):
    problems = _problems(
        HEADER + "2026-11-24,GZ0101,,customers_served,1E3\n"
        "2026-11-24,GZ0101,,wait_minutes_total,١٢\n"
        "2026-11-24,GZ0102,,customers_served,NaN\n"
    )
    batch = _ingest(
        HEADER + '2026/11/24,GZ0101,,deposit_balance,"1,234.5"\n2026-11-24,GZ0101,,customers_served,１２０\n'
    )

    assert problems == [
        Problem(2, "value", "'1E3' is not a number (expected digits such as 123.45)"),
        Problem(3, "value", "'١٢' is not a number (expected digits such as 123.45)"),
        Problem(4, "value", "'NaN' is not a number (expected digits such as 123.45)"),
    ]
    assert _counts(batch) == (2, 0, 0)
    assert sorted(Fact.objects.values_list("metric__code", "value")) == [
        ("customers_served", Decimal("120")),
        ("deposit_balance", Decimal("1234.5")),
    ]


def test_an_unquoted_thousands_comma_is_refused_not_stored_as_its_first_part(network):
    problems = _problems(HEADER + "2026-11-24,GZ0101,,customers_served,12,34\n")

    assert problems == [
        Problem(
            2,
            "",
            "has 6 cells but the header has 5 columns (the extra: '34'); quote a value that holds a comma, such as "
            '"1,234"',
        )
    ]
    assert not Fact.objects.exists()


def test_a_late_fact_for_a_closed_month_is_refused_naming_the_close_and_nothing_is_written(network, hq_admin):
    _ingest(HEADER + "2026-10-20,GZ0101,,customers_served,300\n")
    close = MonthClose.objects.create(month=datetime.date(2026, 10, 1), is_closed=True, changed_by=hq_admin)
    # Closed at 09:30 in Guangzhou (01:30 UTC) on 3 November.
    MonthClose.objects.filter(pk=close.pk).update(changed_at=datetime.datetime(2026, 11, 3, 1, 30, tzinfo=datetime.UTC))

    problems = _problems(
        HEADER + "2026-11-02,GZ0101,,customers_served,80\n"  # an open month: fine on its own
        "2026-10-20,GZ0101,,customers_served,330\n"  # 30 more, reported late
        "2026-10-21,GZ0101,,customers_served,90\n"  # a day never reported
    )

    frozen = (
        "its figures are frozen, so no fact of GZ0101 on {} may be added or changed; HQ reopens the month in the "
        "admin (Month closes) to correct it"
    )
    assert problems == [
        Problem(
            3,
            "date",
            "month 2026-10 was closed (月结) by zhou.minghua on 2026-11-03 09:30: " + frozen.format("2026-10-20"),
        ),
        Problem(
            4,
            "date",
            "month 2026-10 was closed (月结) by zhou.minghua on 2026-11-03 09:30: " + frozen.format("2026-10-21"),
        ),
    ]
    assert _facts() == [(datetime.date(2026, 10, 20), "GZ0101", None, "customers_served", Decimal("300"))]
    assert IngestBatch.objects.count() == 1


def test_a_closed_months_facts_sent_again_unchanged_are_not_late_facts(network):
    _ingest(HEADER + "2026-10-20,GZ0101,,customers_served,300\n")
    MonthClose.objects.create(month=datetime.date(2026, 10, 1), is_closed=True)

    again = _ingest(HEADER + "2026-10-20,GZ0101,,customers_served,300\n2026-11-02,GZ0101,,customers_served,80\n")

    assert _counts(again) == (1, 0, 1)


def test_a_reopened_month_takes_late_facts_again(network):
    MonthClose.objects.create(month=datetime.date(2026, 10, 1), is_closed=False)

    assert _counts(_ingest(HEADER + "2026-10-20,GZ0101,,customers_served,330\n")) == (1, 0, 0)


def test_a_token_cannot_reach_units_or_staff_outside_its_subtree_and_is_not_told_they_exist(teller, network):
    token, _key = api_token_create(name="tianhe-queueing", unit=network["GZ01"], scopes=["ingest"])
    StaffMemberFactory(code="S3001")
    AssignmentFactory(staff__code="S3002", unit=network["SZ0101"])

    problems = _problems(
        HEADER + "2026-11-24,SZ0101,,customers_served,10\n"
        "2026-11-24,GZ0101,S3002,mobile_banking_signups,1\n"
        "2026-11-24,GZ0101,S1001,mobile_banking_signups,1\n",
        token=token,
    )

    assert problems == [
        Problem(2, "unit", "unit 'SZ0101' is not known"),
        Problem(3, "staff", "staff member 'S3002' is not known"),
    ]


def test_a_token_batch_records_the_tokens_name(teller, network):
    token, _key = api_token_create(name="tianhe-queueing", unit=network["GZ01"], scopes=["ingest"])

    batch = _ingest(GOOD_FILE, token=token)

    assert batch.token_name == "tianhe-queueing"
    assert batch.created_by is None


# -- set-based ---------------------------------------------------------------------------------------


def _batch(days: int, start: datetime.date) -> list[CsvRow]:
    """Five facts a day: four outlets' customers served and the teller's mobile-banking sign-ups."""
    rows = []
    for offset in range(days):
        day = (start + datetime.timedelta(days=offset)).isoformat()
        for outlet in ("GZ0101", "GZ0102", "GZ0201", "SZ0101"):
            rows.append({"date": day, "unit": outlet, "staff": "", "metric": "customers_served", "value": "50"})
        rows.append({"date": day, "unit": "GZ0101", "staff": "S1001", "metric": "mobile_banking_signups", "value": "2"})
    return [CsvRow(line=index + 2, values=values) for index, values in enumerate(rows)]


# Reads: units, metrics, staff, assignments (4). Then, inside a savepoint (2 statements): the ingest lock
# (PostgreSQL only), the existing facts, the closed months (when something changes), the IngestBatch, the
# facts' write and marking days stale: 12 on PostgreSQL, 11 on SQLite. On PostgreSQL the facts are one
# COPY whatever their number; on SQLite bulk_create needs a statement per 142 facts (999 parameters a
# statement), so 200 facts take two, and SQLite takes no lock: 12 either way.
QUERY_BUDGET = 12


def test_a_batch_takes_a_fixed_number_of_queries_whatever_its_size(teller, django_assert_max_num_queries):
    # Both in the past: facts are taken up to today.
    small, large = _batch(2, datetime.date(2026, 9, 1)), _batch(40, datetime.date(2026, 10, 1))
    assert (len(small), len(large)) == (10, 200)

    with django_assert_max_num_queries(QUERY_BUDGET):
        facts_ingest(rows=small, source=IngestBatch.Source.CSV)
    with django_assert_max_num_queries(QUERY_BUDGET):
        batch = facts_ingest(rows=large, source=IngestBatch.Source.CSV)
    with django_assert_max_num_queries(QUERY_BUDGET):
        again = facts_ingest(rows=large, source=IngestBatch.Source.CSV)

    assert _counts(batch) == (200, 0, 0)
    assert _counts(again) == (0, 0, 200)


# -- after the write: stale days and the rollup ------------------------------------------------------


def test_a_corrected_fact_marks_its_day_and_every_later_day_stale(network):
    _ingest(
        HEADER + "2026-11-03,GZ0101,,deposit_balance,5000\n"
        "2026-11-04,GZ0101,,deposit_balance,5100\n"
        "2026-11-05,GZ0101,,deposit_balance,5150\n"
    )
    for day in (3, 4, 5):
        RollupDayFactory(date=datetime.date(2026, 11, day))

    # The balance of the 4th was 5,120 万元, not 5,100: the 4th changes, and so does the 5th, whose
    # daily average and net change carry the 4th forward; the 3rd does not.
    _ingest(HEADER + "2026-11-04,GZ0101,,deposit_balance,5120\n")

    stale = dict(RollupDay.objects.values_list("date", "stale_since"))
    assert stale[datetime.date(2026, 11, 3)] is None
    assert stale[datetime.date(2026, 11, 4)] is not None
    assert stale[datetime.date(2026, 11, 5)] is not None


def test_a_batch_that_changes_nothing_marks_no_day_stale_and_queues_no_rollup(
    network, django_capture_on_commit_callbacks
):
    FactFactory(date=datetime.date(2026, 11, 4), unit=network["GZ0101"], metric="deposit_balance", value=5100)
    RollupDayFactory(date=datetime.date(2026, 11, 4))

    with django_capture_on_commit_callbacks() as callbacks:
        batch = _ingest(HEADER + "2026-11-04,GZ0101,,deposit_balance,5100.00\n")

    assert _counts(batch) == (0, 0, 1)
    assert RollupDay.objects.get().stale_since is None
    assert callbacks == []


def test_the_rollup_is_queued_once_the_batch_has_committed(network, django_capture_on_commit_callbacks):
    with mock.patch("kpi.services.facts.rollup_pending") as rollup_pending:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            _ingest(HEADER + "2026-11-24,GZ0101,,customers_served,120\n")
        rollup_pending.delay.assert_not_called()  # not before the commit

        for callback in callbacks:
            callback()

    rollup_pending.delay.assert_called_once_with()


# -- the import_csv door -----------------------------------------------------------------------------


def test_import_csv_facts_imports_a_file_and_says_what_it_did(teller, tmp_path: Path):
    path = tmp_path / "facts.csv"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD_FILE.encode("utf-8"))
    out = StringIO()

    with mock.patch("kpi.services.facts.rollup_pending"):
        call_command("import_csv", "facts", str(path), stdout=out, no_color=True)

    assert out.getvalue() == f"{path}: facts: 4 created, 0 updated, 0 unchanged\n"
    assert metric("customers_served").facts.get().value == Decimal("120")


def test_the_admin_upload_runs_the_same_service_and_records_who_sent_the_file(teller, client):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(root)
    upload = SimpleUploadedFile("facts.csv", GOOD_FILE.encode("utf-8"), content_type="text/csv")

    with mock.patch("kpi.services.facts.rollup_pending"):
        response = client.post("/admin/kpi/fact/import-csv/", {"file": upload})

    assert response.status_code == 302
    batch = IngestBatch.objects.get()
    assert (batch.source, batch.created_by, batch.created) == ("csv", root, 4)


def test_a_value_too_large_for_its_decimals_is_a_problem_not_a_crash(network):
    problems = _problems(HEADER + "2026-11-24,GZ0101,,deposit_balance,1234567890123456789012345.00001\n")

    assert [(problem.field, problem.message) for problem in problems] == [
        ("value", "'1234567890123456789012345.00001' is too large (at most 16 digits before the decimal point)")
    ]


def test_a_bulk_load_analyses_the_facts_table_and_a_small_batch_does_not(teller, monkeypatch):
    from kpi.services import facts as facts_service

    analysed = []
    monkeypatch.setattr(facts_service.bulk, "analyze_stale", lambda *models: analysed.append(models))
    monkeypatch.setattr(facts_service, "ANALYZE_AFTER_ROWS", 100)

    facts_ingest(rows=_batch(2, datetime.date(2026, 9, 1)), source=IngestBatch.Source.CSV)  # 10 facts
    assert analysed == []
    facts_ingest(rows=_batch(40, datetime.date(2026, 10, 1)), source=IngestBatch.Source.CSV)  # 200 facts
    assert analysed == [(Fact,)]


def test_a_batch_that_only_updates_facts_does_not_analyse_the_table(teller, monkeypatch):
    # An update changes a fact's value, batch and time; the columns the reads choose an index by (date,
    # unit, staff, metric) stay as they were, so 200 corrected facts are no reason to analyse again.
    from kpi.services import facts as facts_service

    analysed = []
    monkeypatch.setattr(facts_service.bulk, "analyze_stale", lambda *models: analysed.append(models))
    monkeypatch.setattr(facts_service, "ANALYZE_AFTER_ROWS", 100)
    facts_ingest(rows=_batch(40, datetime.date(2026, 10, 1)), source=IngestBatch.Source.CSV)
    corrected = _batch(40, datetime.date(2026, 10, 1))
    for row in corrected:
        row.values["value"] = str(int(row.values["value"]) + 1)

    batch = facts_ingest(rows=corrected, source=IngestBatch.Source.CSV)

    assert _counts(batch) == (0, 200, 0)
    assert analysed == [(Fact,)]  # after the 200 new facts only


@pytest.fixture(autouse=True)
def _english_problems():
    """The problems asserted here are the English source texts (every test starts in Chinese; an import
    in Chinese: tests/bankops/test_i18n_complete.py)."""
    with translation.override("en"):
        yield
