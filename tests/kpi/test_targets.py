"""Targets (DOMAIN.md §4): setting one with its audit row, the CSV import, and the admin pages."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from kpi.models import Level, Metric, RollupDay, Target, TargetChange
from kpi.services.targets import TARGET_COLUMNS, target_set, targets_delete, targets_import
from lib.csvimport import ImportRejected, Problem, read_csv
from lib.periods import parse_period
from staff.models import StaffMember
from tests.factories import AssignmentFactory, StaffMemberFactory, UserFactory

D = datetime.date
HEADER = "period,unit,staff,metric,target\n"


def metric(code: str) -> Metric:
    return Metric.objects.get(code=code)


@pytest.fixture
def hq_user(db):
    """张国栋, HQ planning, who sets the targets."""
    return UserFactory(username="zhang.guodong", first_name="张国栋", is_staff=True, is_superuser=True)


@pytest.fixture
def wang_fang(network) -> StaffMember:
    """王芳, wealth manager at Tianhe Road (GZ0101) from 2026-01-01, and at Zhujiang New Town (GZ0102)
    only until 2026-06-30."""
    member = StaffMemberFactory(code="S2001", name="王芳")
    AssignmentFactory(staff=member, post="wealth_manager", unit=network["GZ0101"], start=D(2026, 1, 1))
    AssignmentFactory(
        staff=member, post="wealth_manager", unit=network["GZ0102"], start=D(2026, 1, 1), end=D(2026, 6, 30)
    )
    return member


def _rolled_up(*days: datetime.date) -> None:
    for day in days:
        RollupDay.objects.create(date=day, published_at=datetime.datetime(2026, 11, 25, 6, tzinfo=datetime.UTC))


def _stale_days() -> list[datetime.date]:
    return sorted(RollupDay.objects.exclude(stale_since=None).values_list("date", flat=True))


def _import(text: str, user=None):
    return targets_import(rows=read_csv((HEADER + text).encode(), columns=TARGET_COLUMNS), changed_by=user)


def _problems(text: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(ImportRejected) as caught:
        _import(text)
    return [(problem.line, problem.field, problem.message) for problem in caught.value.problems]


# -- target_set --------------------------------------------------------------------------------------


def test_setting_a_new_target_creates_it_with_one_audit_row_whose_old_value_is_empty(network, hq_user):
    target, created = target_set(
        unit=network["GZ0101"],
        metric=metric("deposit_balance"),
        period=parse_period("2026-11"),
        value=Decimal("52000"),
        changed_by=hq_user,
        source="admin",
    )

    assert created is True
    target.refresh_from_db()
    assert (target.period, target.period_kind, target.period_start, target.period_end) == (
        "2026-11",
        "month",
        D(2026, 11, 1),
        D(2026, 11, 30),
    )
    assert (target.value, target.updated_by) == (Decimal("52000"), hq_user)
    change = TargetChange.objects.get()
    assert (change.target, change.old_value, change.new_value, change.changed_by, change.source) == (
        target,
        None,
        Decimal("52000"),
        hq_user,
        "admin",
    )
    assert (change.entity_code, change.metric_code, change.period) == ("GZ0101", "deposit_balance", "2026-11")


def test_setting_the_same_value_again_changes_nothing_and_writes_no_audit_row(network, hq_user):
    arguments = {
        "unit": network["GZ0101"],
        "metric": metric("deposit_balance"),
        "period": parse_period("2026-11"),
        "changed_by": hq_user,
        "source": "admin",
    }
    first, _created = target_set(value=Decimal("52000"), **arguments)
    _rolled_up(D(2026, 11, 24))

    again, created = target_set(value=Decimal("52000.00"), **arguments)

    assert (again, created) == (first, False)
    assert TargetChange.objects.count() == 1
    assert _stale_days() == []


def test_changing_a_target_records_the_old_and_new_value_and_who_changed_it(network, hq_user):
    planner = UserFactory(username="li.na", first_name="李娜")
    arguments = {"unit": network["GZ0101"], "metric": metric("deposit_balance"), "period": parse_period("2026-11")}
    target_set(value=Decimal("52000"), changed_by=planner, source="csv", **arguments)

    target, created = target_set(value=Decimal("55000"), changed_by=hq_user, source="admin", **arguments)

    assert created is False
    assert Target.objects.get().value == Decimal("55000")
    latest = TargetChange.objects.first()  # newest first
    assert (latest.target, latest.old_value, latest.new_value, latest.changed_by, latest.source) == (
        target,
        Decimal("52000"),
        Decimal("55000"),
        hq_user,
        "admin",
    )
    assert TargetChange.objects.count() == 2


def test_a_changed_target_marks_the_rolled_up_days_from_its_period_start_stale(network):
    _rolled_up(D(2026, 10, 31), D(2026, 11, 1), D(2026, 11, 24))

    target_set(
        unit=network["GZ0101"],
        metric=metric("customers_served"),
        period=parse_period("2026-11"),
        value=Decimal("3000"),
        source="api",
    )

    assert _stale_days() == [D(2026, 11, 1), D(2026, 11, 24)]


def test_a_staff_target_named_with_the_unit_is_stored_for_the_staff_member_alone(network, wang_fang):
    target, _created = target_set(
        unit=network["GZ0101"],
        staff=wang_fang,
        metric=metric("wealth_sales"),
        period=parse_period("2026-W48"),
        value=Decimal("300"),
        source="api",
    )

    assert (target.unit, target.staff) == (None, wang_fang)
    assert TargetChange.objects.get().entity_code == "S2001"


def test_a_staff_target_at_a_unit_the_staff_member_has_left_is_refused(network, wang_fang):
    with pytest.raises(ValidationError) as caught:
        target_set(
            unit=network["GZ0102"],
            staff=wang_fang,
            metric=metric("wealth_sales"),
            period=parse_period("2026-11"),
            value=Decimal("300"),
            source="api",
        )

    assert caught.value.message_dict == {
        "unit": [
            "staff member 'S2001' has no assignment at unit 'GZ0102' during 2026-11 (2026-11-01 – 2026-11-30); "
            "leave the unit empty or correct the assignments"
        ]
    }
    assert Target.objects.count() == TargetChange.objects.count() == 0


def test_a_staff_target_on_a_metric_measured_per_unit_only_is_refused(wang_fang):
    with pytest.raises(ValidationError) as caught:
        target_set(
            staff=wang_fang,
            metric=metric("deposit_balance"),
            period=parse_period("2026-11"),
            value=Decimal("1"),
            source="api",
        )

    assert caught.value.message_dict == {
        "metric": ["metric 'deposit_balance' is measured per unit only, not per staff member"]
    }


def test_a_negative_target_or_one_for_nobody_is_refused(network):
    with pytest.raises(ValidationError) as caught:
        target_set(metric=metric("complaints"), period=parse_period("2026"), value=Decimal("-1"), source="api")

    assert caught.value.message_dict == {
        "unit": ["a target is for a unit or a staff member; give one of them"],
        "value": ["-1 is negative (a target is 0 or more)"],
    }


def test_a_target_of_zero_is_a_real_target(network):
    """Zero risk events, zero valid complaints: the usual target of a lower-is-better count."""
    target, created = target_set(
        unit=network["GZ0101"],
        metric=metric("risk_events"),
        period=parse_period("2026"),
        value=Decimal("0"),
        source="api",
    )

    assert created is True
    assert target.value == 0


def test_deleting_targets_leaves_an_audit_row_with_an_empty_new_value_and_marks_days_stale(network, hq_user):
    arguments = {"unit": network["GZ0101"], "metric": metric("customers_served"), "source": "csv"}
    november, _created = target_set(period=parse_period("2026-11"), value=Decimal("3000"), **arguments)
    week, _created = target_set(period=parse_period("2026-W48"), value=Decimal("700"), **arguments)
    _rolled_up(D(2026, 11, 1), D(2026, 11, 24))

    deleted = targets_delete(targets=[november, week], changed_by=hq_user, source="admin")

    assert deleted == 2
    assert Target.objects.count() == 0
    assert set(
        TargetChange.objects.filter(source="admin").values_list("period", "old_value", "new_value", "target")
    ) == {
        ("2026-11", Decimal("3000"), None, None),
        ("2026-W48", Decimal("700"), None, None),
    }
    assert _stale_days() == [D(2026, 11, 1), D(2026, 11, 24)]


# -- targets_import ----------------------------------------------------------------------------------

GOOD_FILE = (
    "2026-11,GZ0101,,deposit_balance,52000\n"  # line 2: a month, stored 52000
    "2026-Q4,GZ0101,,loan_disbursed,1200.5\n"  # line 3: a quarter
    "2026-W48,GZ0101,S2001,wealth_sales,300\n"  # line 4: a staff target named with its unit
    "2026,,S2001,mobile_banking_signups,240\n"  # line 5: a staff target for the year
    "2026-11,GZ0102,,satisfaction_rate,85\n"  # line 6: a level (85 %)
)


def test_importing_a_good_file_creates_every_target_with_one_csv_audit_row_each(network, wang_fang, hq_user):
    result = _import(GOOD_FILE, hq_user)

    assert (result.created, result.updated, result.unchanged) == (5, 0, 0)
    stored = {
        (t.period, t.unit.code if t.unit else None, t.staff.code if t.staff else None, t.metric.code): (
            t.period_kind,
            t.period_start,
            t.period_end,
            t.value,
        )
        for t in Target.objects.select_related("unit", "staff", "metric")
    }
    assert stored == {
        ("2026-11", "GZ0101", None, "deposit_balance"): ("month", D(2026, 11, 1), D(2026, 11, 30), Decimal("52000")),
        ("2026-Q4", "GZ0101", None, "loan_disbursed"): ("quarter", D(2026, 10, 1), D(2026, 12, 31), Decimal("1200.5")),
        ("2026-W48", None, "S2001", "wealth_sales"): ("week", D(2026, 11, 23), D(2026, 11, 29), Decimal("300")),
        ("2026", None, "S2001", "mobile_banking_signups"): ("year", D(2026, 1, 1), D(2026, 12, 31), Decimal("240")),
        ("2026-11", "GZ0102", None, "satisfaction_rate"): ("month", D(2026, 11, 1), D(2026, 11, 30), Decimal("85")),
    }
    changes = TargetChange.objects.all()
    assert len(changes) == 5
    assert {(c.entity_code, c.metric_code, c.period, c.old_value, c.new_value) for c in changes} == {
        ("GZ0101", "deposit_balance", "2026-11", None, Decimal("52000")),
        ("GZ0101", "loan_disbursed", "2026-Q4", None, Decimal("1200.5")),
        ("S2001", "wealth_sales", "2026-W48", None, Decimal("300")),
        ("S2001", "mobile_banking_signups", "2026", None, Decimal("240")),
        ("GZ0102", "satisfaction_rate", "2026-11", None, Decimal("85")),
    }
    assert {(c.source, c.changed_by_id) for c in changes} == {("csv", hq_user.pk)}
    assert all(change.target_id for change in changes)


def test_importing_the_same_file_again_changes_nothing_and_writes_no_audit_row(network, wang_fang):
    _import(GOOD_FILE)
    _rolled_up(D(2026, 11, 24))

    result = _import(GOOD_FILE)

    assert (result.created, result.updated, result.unchanged) == (0, 0, 5)
    assert TargetChange.objects.count() == 5
    assert _stale_days() == []


def test_reimporting_with_one_value_changed_updates_it_and_marks_days_stale_from_its_period_start(network, wang_fang):
    _import(GOOD_FILE)
    _rolled_up(D(2026, 10, 15), D(2026, 11, 2), D(2026, 11, 24))
    changed_file = GOOD_FILE.replace("2026-11,GZ0101,,deposit_balance,52000", "2026-11,GZ0101,,deposit_balance,53000")

    result = _import(changed_file)

    assert (result.created, result.updated, result.unchanged) == (0, 1, 4)
    target = Target.objects.get(metric__code="deposit_balance")
    assert target.value == Decimal("53000")
    latest = TargetChange.objects.first()
    assert (latest.target, latest.old_value, latest.new_value) == (target, Decimal("52000"), Decimal("53000"))
    # The unchanged quarter target (from 2026-10-01) leaves October alone; the month's start is 11-01.
    assert _stale_days() == [D(2026, 11, 2), D(2026, 11, 24)]


def test_a_first_import_marks_days_stale_from_the_earliest_period_start(network, wang_fang):
    _rolled_up(D(2025, 12, 31), D(2026, 1, 1), D(2026, 11, 24))

    _import(GOOD_FILE)

    # The year 2026 target of line 5 starts on 2026-01-01.
    assert _stale_days() == [D(2026, 1, 1), D(2026, 11, 24)]


def test_a_bad_file_lists_every_problem_with_line_column_and_what_was_expected_and_writes_nothing(network, wang_fang):
    bad_file = (
        "2026-11,GZ0101,,deposit_balance,52000\n"  # line 2: good, but not written
        "2026-13,GZ0101,,deposit_balance,1\n"  # line 3: no month 13
        "2026-11,GZ9999,,deposit_balance,1\n"  # line 4: unknown unit
        "2026-11,GZ0101,,deposit_balanse,1\n"  # line 5: unknown metric
        "2026-11,GZ0101,,loan_balance,lots\n"  # line 6: not a number
        "2026-11,GZ0101,,loan_balance,-5\n"  # line 7: negative
        "2026-11,,S9999,wealth_sales,1\n"  # line 8: unknown staff
        "2026-11,,,wealth_sales,1\n"  # line 9: nobody
        ",GZ0101,,loan_balance,1\n"  # line 10: no period
        "2026-11,GZ0101,,deposit_balance,52000\n"  # line 11: line 2 again
    )

    problems = _problems(bad_file)

    assert problems == [
        (3, "period", "'2026-13' is not a period (expected 2026, 2026-Q4, 2026-11, 2026-W48 or 2026-11-24)"),
        (4, "unit", "unit 'GZ9999' is not known; import the units first"),
        (5, "metric", "metric 'deposit_balanse' is not in the catalog"),
        (6, "target", "'lots' is not a number (expected digits such as 123.45)"),
        (7, "target", "-5 is negative (a target is 0 or more)"),
        (8, "staff", "staff member 'S9999' is not known; import the staff first"),
        (9, "unit", "give a unit code, or a staff code for a staff member's target"),
        (10, "period", "is required (expected 2026, 2026-Q4, 2026-11, 2026-W48 or 2026-11-24)"),
        (11, "period", "the target of GZ0101, deposit_balance, 2026-11 is already on line 2"),
    ]
    assert Target.objects.count() == TargetChange.objects.count() == 0


@pytest.mark.parametrize("period", ["2026-Q5", "2026-W54", "2025-W53", "Nov 2026", "2026-11-31"])
def test_a_period_the_import_cannot_parse_is_reported_with_the_expected_formats(network, period):
    assert _problems(f"{period},GZ0101,,deposit_balance,1\n") == [
        (2, "period", f"'{period}' is not a period (expected 2026, 2026-Q4, 2026-11, 2026-W48 or 2026-11-24)")
    ]


@pytest.mark.parametrize(
    ("period", "years"),
    [
        ("9999-12-31", "1900 to 2100"),
        ("0001-W01", "1900 to 2100"),
        ("1899-Q4", "1900 to 2100"),
        ("2101", "1900 to 2100"),
    ],
)
def test_a_period_outside_the_supported_years_is_refused_not_stored_as_1_w01(network, period, years):
    assert _problems(f"{period},GZ0101,,deposit_balance,1\n") == [
        (2, "period", f"'{period}' is outside the supported range (years {years})")
    ]
    assert not Target.objects.exists()


def test_a_target_is_written_in_the_imports_number_grammar(network):
    assert _problems(
        "2026-11,GZ0101,,deposit_balance,1E3\n2026-12,GZ0101,,deposit_balance,١٢\n2027-01,GZ0101,,deposit_balance,NaN\n"
    ) == [
        (2, "target", "'1E3' is not a number (expected digits such as 123.45)"),
        (3, "target", "'١٢' is not a number (expected digits such as 123.45)"),
        (4, "target", "'NaN' is not a number (expected digits such as 123.45)"),
    ]

    _import('2026-11,GZ0101,,deposit_balance,"52,000"\n2026-12,GZ0101,,deposit_balance,５２０００．５\n')

    assert sorted(Target.objects.values_list("period", "value")) == [
        ("2026-11", Decimal("52000")),
        ("2026-12", Decimal("52000.5")),
    ]


def test_a_day_is_a_period_a_target_can_be_set_for(network):
    _import("2026-11-24,GZ0101,,customers_served,120\n")

    target = Target.objects.get()
    assert (target.period_kind, target.period_start, target.period_end) == ("day", D(2026, 11, 24), D(2026, 11, 24))


def test_a_staff_target_at_a_unit_without_an_overlapping_assignment_is_refused(network, wang_fang):
    problems = _problems(
        "2026-11,GZ0102,S2001,wealth_sales,300\n"  # line 2: left GZ0102 on 2026-06-30
        "2026-11,GZ0201,S2001,wealth_sales,300\n"  # line 3: never worked at GZ0201
    )

    assert problems == [
        (
            2,
            "unit",
            "staff member 'S2001' has no assignment at unit 'GZ0102' during 2026-11 (2026-11-01 – 2026-11-30); "
            "leave the unit empty or correct the assignments",
        ),
        (
            3,
            "unit",
            "staff member 'S2001' has no assignment at unit 'GZ0201' during 2026-11 (2026-11-01 – 2026-11-30); "
            "leave the unit empty or correct the assignments",
        ),
    ]


def test_a_staff_target_at_a_unit_left_during_the_period_is_accepted(network, wang_fang):
    # The GZ0102 assignment ends on 2026-06-30, inside the year 2026 and the second quarter.
    result = _import("2026,GZ0102,S2001,wealth_sales,3000\n2026-Q2,GZ0102,S2001,wealth_sales,800\n")

    assert result.created == 2
    assert set(Target.objects.values_list("unit", "staff__code")) == {(None, "S2001")}


def test_the_metric_must_be_measured_at_the_level_of_the_target(network, wang_fang):
    Metric.objects.create(
        code="wealth_clients_called", name_zh="理财客户回访", name_en="Wealth clients called", unit="户",
        aggregation="sum", level=Level.STAFF,
    )  # fmt: skip

    problems = _problems(
        "2026-11,,S2001,deposit_balance,100\n"  # line 2: deposit balance is an outlet metric
        "2026-11,GZ0101,,wealth_clients_called,100\n"  # line 3: a staff-only metric for a unit
        "2026-11,GZ0101,S2001,wealth_clients_called,100\n"  # line 4: fine
    )

    assert problems == [
        (2, "metric", "metric 'deposit_balance' is measured per unit only, not per staff member"),
        (3, "metric", "metric 'wealth_clients_called' is measured per staff member only; give a staff code"),
    ]


def test_the_same_staff_target_with_and_without_its_unit_is_a_duplicate(network, wang_fang):
    problems = _problems("2026-W48,GZ0101,S2001,wealth_sales,300\n2026-W48,,S2001,wealth_sales,310\n")

    assert problems == [(3, "period", "the target of S2001, wealth_sales, 2026-W48 is already on line 2")]


def test_a_unit_and_a_staff_target_for_the_same_metric_and_period_are_two_targets(network, wang_fang):
    result = _import("2026-11,GZ0101,,wealth_sales,5000\n2026-11,GZ0101,S2001,wealth_sales,300\n")

    assert result.created == 2


def test_a_week_and_a_month_starting_on_the_same_day_are_two_targets(network):
    # 2026-06-01 is a Monday: week 2026-W23 and the month of June both start then.
    result = _import("2026-W23,GZ0101,,customers_served,700\n2026-06,GZ0101,,customers_served,3000\n")

    assert result.created == 2
    assert Target.objects.filter(period_start=D(2026, 6, 1)).count() == 2


def test_a_target_with_more_than_four_decimals_is_refused(network):
    assert _problems("2026-11,GZ0101,,deposit_balance,1.23456\n") == [(2, "target", "1.23456 has more than 4 decimals")]


def test_an_import_issues_the_same_number_of_queries_for_one_row_as_for_36(network, wang_fang):
    def queries_for(rows: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            _import(rows)
        return len(captured.captured_queries)

    one_row = queries_for("2027-01,GZ0101,,customers_served,100\n")
    many_rows = queries_for(
        "".join(
            f"2026-{month:02d},{unit},,customers_served,{month * 100}\n"
            for month in range(1, 13)
            for unit in ("GZ0101", "GZ0102", "GZ0201")
        )
    )

    assert many_rows == one_row
    assert TargetChange.objects.count() == 37


# -- the admin ---------------------------------------------------------------------------------------

TARGET_ADD_URL = "/admin/kpi/target/add/"


@pytest.fixture
def admin_client(client, hq_user):
    """The HQ superuser in the admin, in English so messages do not depend on the zh-Hans catalog."""
    client.force_login(hq_user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _target_form(**fields) -> dict:
    return {"unit": "", "staff": "", "metric": "", "period": "", "value": "", **fields}


def test_the_admin_add_form_takes_a_week_code_and_saves_it_from_monday_with_an_audit_row(
    admin_client, network, hq_user
):
    form = _target_form(unit=network["GZ0101"].pk, metric=metric("customers_served").pk, period="2026-W48", value="700")

    response = admin_client.post(TARGET_ADD_URL, form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    target = Target.objects.get()
    assert (target.period, target.period_kind, target.period_start, target.period_end, target.value) == (
        "2026-W48",
        "week",
        D(2026, 11, 23),
        D(2026, 11, 29),
        Decimal("700"),
    )
    change = TargetChange.objects.get()
    assert (change.target, change.old_value, change.new_value, change.changed_by, change.source) == (
        target,
        None,
        Decimal("700"),
        hq_user,
        "admin",
    )


def test_the_admin_add_form_refuses_a_period_that_does_not_exist(admin_client, network):
    form = _target_form(unit=network["GZ0101"].pk, metric=metric("customers_served").pk, period="2026-W54", value="700")

    response = admin_client.post(TARGET_ADD_URL, form)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "period": ["'2026-W54' is not a period (expected 2026, 2026-Q4, 2026-11, 2026-W48 or 2026-11-24)"]
    }
    assert Target.objects.count() == 0


def test_the_admin_add_form_refuses_a_target_for_both_a_unit_and_a_staff_member(admin_client, network, wang_fang):
    form = _target_form(
        unit=network["GZ0101"].pk, staff=wang_fang.pk, metric=metric("wealth_sales").pk, period="2026-11", value="1"
    )

    response = admin_client.post(TARGET_ADD_URL, form)

    assert response.context["adminform"].form.errors == {
        "staff": ["A target is for a unit or for a staff member, not both."]
    }
    assert Target.objects.count() == 0


def test_the_admin_add_form_refuses_a_staff_target_on_an_outlet_metric(admin_client, wang_fang):
    form = _target_form(staff=wang_fang.pk, metric=metric("npl_ratio").pk, period="2026", value="1.5")

    response = admin_client.post(TARGET_ADD_URL, form)

    assert response.context["adminform"].form.errors == {
        "metric": ["metric 'npl_ratio' is measured per unit only, not per staff member"]
    }


def test_the_admin_add_form_refuses_a_target_that_already_exists(admin_client, network):
    target_set(
        unit=network["GZ0101"],
        metric=metric("customers_served"),
        period=parse_period("2026-11"),
        value=Decimal("3000"),
        source="csv",
    )
    form = _target_form(unit=network["GZ0101"].pk, metric=metric("customers_served").pk, period="2026-11", value="9")

    response = admin_client.post(TARGET_ADD_URL, form)

    assert response.context["adminform"].form.errors == {
        "__all__": ["This target already exists (2026-11 GZ0101 customers_served → 3000); change it there."]
    }
    assert Target.objects.get().value == Decimal("3000")


def test_changing_a_target_in_the_admin_records_the_change_and_shows_the_history(admin_client, network, hq_user):
    target, _created = target_set(
        unit=network["GZ0101"],
        metric=metric("customers_served"),
        period=parse_period("2026-11"),
        value=Decimal("3000"),
        source="csv",
    )
    url = f"/admin/kpi/target/{target.pk}/change/"

    response = admin_client.post(url, {"value": "3300", "changes-TOTAL_FORMS": "1", "changes-INITIAL_FORMS": "1"})

    assert response.status_code == 302
    assert Target.objects.get().value == Decimal("3300")
    assert list(TargetChange.objects.values_list("old_value", "new_value", "changed_by", "source")) == [
        (Decimal("3000"), Decimal("3300"), hq_user.pk, "admin"),
        (None, Decimal("3000"), None, "csv"),
    ]
    page = admin_client.get(url)
    history = page.context["inline_admin_formsets"][0]
    assert [form.original.new_value for form in history] == [Decimal("3300"), Decimal("3000")]
    assert not history.has_add_permission and not history.has_change_permission


def test_deleting_a_target_in_the_admin_keeps_its_history_and_records_the_deletion(admin_client, network, hq_user):
    target, _created = target_set(
        unit=network["GZ0101"],
        metric=metric("customers_served"),
        period=parse_period("2026-11"),
        value=Decimal("3000"),
        source="csv",
    )

    response = admin_client.post(f"/admin/kpi/target/{target.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert Target.objects.count() == 0
    assert list(TargetChange.objects.values_list("entity_code", "old_value", "new_value", "changed_by", "source")) == [
        ("GZ0101", Decimal("3000"), None, hq_user.pk, "admin"),
        ("GZ0101", None, Decimal("3000"), None, "csv"),
    ]


def test_deleting_targets_from_the_admin_list_records_each_deletion(admin_client, network):
    arguments = {"metric": metric("customers_served"), "period": parse_period("2026-11"), "source": "csv"}
    first, _created = target_set(unit=network["GZ0101"], value=Decimal("3000"), **arguments)
    second, _created = target_set(unit=network["GZ0102"], value=Decimal("2000"), **arguments)

    response = admin_client.post(
        "/admin/kpi/target/",
        {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert Target.objects.count() == 0
    assert set(TargetChange.objects.filter(new_value=None).values_list("entity_code", "old_value")) == {
        ("GZ0101", Decimal("3000")),
        ("GZ0102", Decimal("2000")),
    }


def test_uploading_a_targets_file_in_the_admin_records_who_uploaded_it(admin_client, network, hq_user):
    upload = SimpleUploadedFile("targets.csv", (HEADER + "2026-11,GZ0101,,deposit_balance,52000\n").encode())

    response = admin_client.post("/admin/kpi/target/import-csv/", {"file": upload}, follow=True)

    assert [str(message) for message in response.context["messages"]] == [
        "Imported: 1 created, 0 updated, 0 unchanged."
    ]
    assert TargetChange.objects.get().changed_by == hq_user


def test_problem_lines_point_at_the_file_lines(network):
    """The header is line 1, so the first data row is line 2 (as the spreadsheet shows it)."""
    with pytest.raises(ImportRejected) as caught:
        _import("2026-11,GZ0101,,no_such_metric,1\n")

    assert caught.value.problems == [Problem(2, "metric", "metric 'no_such_metric' is not in the catalog")]


@pytest.fixture(autouse=True)
def _english_problems():
    """The problems asserted here are the English source texts (every test starts in Chinese; an import
    in Chinese: tests/bankops/test_i18n_complete.py)."""
    with translation.override("en"):
        yield
