"""The bank's calendar (kpi.models.CalendarDay, kpi/services/calendar.py, kpi/admin_calendar.py) and the
metrics that take their time progress in business days (Metric.time_basis, the rollup, the pages).

May 2026, counted by hand (tests/bankops/test_business_days.py has the same month): 1 May is a Friday;
its weekdays are 1 and 4–8, 11–15, 18–22, 25–29: 21. 劳动节 takes Friday 1, Monday 4 and Tuesday 5 off
(18 left) and Saturday 9 May is worked (调休): 19 business days. Through Monday 11 May: 6, 7, 8, 9 and
11, five of them, so 14 remain; in calendar days 11 of 31 are gone and 20 remain.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from kpi.models import CalendarDay, Fact, Metric, RollupDay, Scorecard, ScorecardLine, Target, TimeBasis
from kpi.services import rollup
from kpi.services.calendar import calendar_day_save, calendar_days_import, metrics_time_basis_set
from lib.csvimport import CsvRow, ImportRejected
from tests.factories import OrgUnitFactory, UserFactory
from tests.kpi.scorecard_factories import ScorecardFactory, ScorecardLineFactory, metric, published_day

D = datetime.date
pytestmark = pytest.mark.django_db

LABOUR_DAY = [
    (D(2026, 5, 1), "holiday", "劳动节"),
    (D(2026, 5, 2), "holiday", "劳动节"),
    (D(2026, 5, 3), "holiday", "劳动节"),
    (D(2026, 5, 4), "holiday", "劳动节"),
    (D(2026, 5, 5), "holiday", "劳动节"),
    (D(2026, 5, 9), "workday", "劳动节调休"),
]


@pytest.fixture
def labour_day():
    CalendarDay.objects.bulk_create(CalendarDay(date=day, kind=kind, name=name) for day, kind, name in LABOUR_DAY)


@pytest.fixture
def outlet():
    hq = OrgUnitFactory.head_office(code="HQ")
    return OrgUnitFactory.outlet_of(OrgUnitFactory.sub_branch_of(hq, code="SB1"), code="A")


@pytest.fixture
def loans_in_business_days():
    Metric.objects.filter(code="loan_disbursed").update(time_basis=TimeBasis.BUSINESS)


def _fact(day, unit, code, value) -> None:
    Fact.objects.create(date=day, unit=unit, metric=metric(code), value=Decimal(value))


def _may_target(unit, code, value) -> None:
    Target.objects.create(
        unit=unit,
        metric=metric(code),
        period_kind="month",
        period_start=D(2026, 5, 1),
        period_end=D(2026, 5, 31),
        period="2026-05",
        value=Decimal(value),
    )


def _line(day, period, code, unit) -> ScorecardLine:
    cards = Scorecard.objects.published().filter(date=day, period=period, unit=unit)
    return ScorecardLine.objects.get(scorecard__in=cards, metric__code=code)


def _roll(day: datetime.date) -> None:
    """Roll up `day` as on the morning after (its scorecards kept whatever today is)."""
    rollup.rollup_day(day=day, today=day + datetime.timedelta(days=1))


def _rows(*rows: tuple[str, str, str]) -> list[CsvRow]:
    return [
        CsvRow(line=line, values={"date": day, "kind": kind, "name": name})
        for line, (day, kind, name) in enumerate(rows, start=2)
    ]


# -- the rollup ------------------------------------------------------------------------------------


class TestRollupInBusinessDays:
    def test_a_business_day_metric_paces_on_business_days_and_a_calendar_one_as_before(
        self, outlet, labour_day, loans_in_business_days
    ):
        _fact(D(2026, 5, 11), outlet, "loan_disbursed", "40")
        _fact(D(2026, 5, 11), outlet, "customers_served", "40")
        _may_target(outlet, "loan_disbursed", "190")
        _may_target(outlet, "customers_served", "190")

        _roll(D(2026, 5, 11))

        loans = _line(D(2026, 5, 11), "month", "loan_disbursed", outlet)
        # 5 of 19 business days = 0.263158; pace 40 / (190 × 5/19 = 50) = 0.8, red; gap 40 − 50 = −10;
        # the 14 business days left must bring (190 − 40) / 14 = 10.7143 each.
        assert loans.time_basis == "business"
        assert loans.time_progress == Decimal("0.263158")
        assert loans.pace_attainment == Decimal("0.8")
        assert loans.status == "red"
        assert loans.gap_to_pace == Decimal("-10")
        assert loans.required_per_day == Decimal("10.7143")
        # The same figures on calendar days (DOMAIN.md §4), unchanged: 11 of 31 = 0.354839; pace
        # 40 / (190 × 11/31 = 67.4194) = 0.593301; gap −27.4194; (190 − 40) / 20 = 7.5 a day.
        served = _line(D(2026, 5, 11), "month", "customers_served", outlet)
        assert served.time_basis == "calendar"
        assert served.time_progress == Decimal("0.354839")
        assert served.pace_attainment == Decimal("0.593301")
        assert served.gap_to_pace == Decimal("-27.4194")
        assert served.required_per_day == Decimal("7.5")

    def test_before_the_first_business_day_nothing_is_due_and_there_is_no_pace(
        self, outlet, labour_day, loans_in_business_days
    ):
        _may_target(outlet, "loan_disbursed", "190")

        _roll(D(2026, 5, 3))

        # Sunday 3 May, inside 劳动节: 0 of 19 business days; all 19 remain, 190 / 19 = 10 a day.
        loans = _line(D(2026, 5, 3), "month", "loan_disbursed", outlet)
        assert (loans.time_basis, loans.time_progress, loans.actual) == ("business", Decimal("0"), Decimal("0"))
        assert (loans.pace_attainment, loans.status) == (None, None)
        assert loans.gap_to_pace == Decimal("0")
        assert loans.required_per_day == Decimal("10")

    def test_a_day_that_is_a_holiday_counts_its_own_day_in_calendar_days(
        self, outlet, labour_day, loans_in_business_days
    ):
        _fact(D(2026, 5, 4), outlet, "loan_disbursed", "12")

        _roll(D(2026, 5, 4))

        # The day period of Monday 4 May has no business day: it falls back to calendar days (1 of 1).
        day = _line(D(2026, 5, 4), "day", "loan_disbursed", outlet)
        assert (day.time_basis, day.time_progress) == ("calendar", Decimal("1"))

    def test_the_calendar_is_read_once_a_run_with_the_catalog(self, labour_day, django_assert_num_queries):
        with django_assert_num_queries(2):  # the metrics, the calendar
            catalog = rollup.Catalog.load()
        assert catalog.calendar.business_days(D(2026, 5, 1), D(2026, 5, 31)) == 19


# -- changes mark the rollup stale ---------------------------------------------------------------------


def _stale_days() -> set[datetime.date]:
    return set(RollupDay.objects.exclude(stale_since=None).values_list("date", flat=True))


@pytest.fixture
def published():
    for day in (D(2025, 12, 28), D(2025, 12, 31), D(2026, 1, 1), D(2026, 11, 24)):
        published_day(day)


def test_a_changed_calendar_day_marks_every_day_from_the_start_of_its_year(published, loans_in_business_days):
    calendar_day_save(calendar_day=CalendarDay(date=D(2026, 10, 1), kind="holiday", name="国庆节"))

    assert _stale_days() == {D(2026, 1, 1), D(2026, 11, 24)}


def test_a_holiday_in_the_first_iso_week_marks_from_the_weeks_monday_last_year(published, loans_in_business_days):
    # 2 January 2026 is in 2026-W01, which began on Monday 29 December 2025.
    calendar_day_save(calendar_day=CalendarDay(date=D(2026, 1, 2), kind="holiday", name="元旦"))

    assert _stale_days() == {D(2025, 12, 31), D(2026, 1, 1), D(2026, 11, 24)}


def test_while_no_metric_counts_business_days_the_calendar_marks_nothing(published):
    calendar_day_save(calendar_day=CalendarDay(date=D(2026, 10, 1), kind="holiday", name="国庆节"))

    assert _stale_days() == set()


def test_switching_a_metric_to_business_days_marks_every_published_day_and_again_changes_nothing(published):
    assert metrics_time_basis_set(codes=["loan_disbursed"], time_basis=TimeBasis.BUSINESS) == 1
    assert _stale_days() == {D(2025, 12, 28), D(2025, 12, 31), D(2026, 1, 1), D(2026, 11, 24)}

    RollupDay.objects.update(stale_since=None)
    assert metrics_time_basis_set(codes=["loan_disbursed"], time_basis=TimeBasis.BUSINESS) == 0
    assert _stale_days() == set()


# -- the CSV import --------------------------------------------------------------------------------


def test_the_import_creates_updates_and_leaves_unchanged_days_by_date(loans_in_business_days):
    CalendarDay.objects.create(date=D(2026, 10, 1), kind="holiday", name="国庆")
    CalendarDay.objects.create(date=D(2026, 10, 2), kind="holiday", name="国庆节")

    result = calendar_days_import(
        rows=_rows(
            ("2026-10-01", "holiday", "国庆节"), ("2026/10/2", "holiday", "国庆节"), ("2026-10-10", "workday", "")
        )
    )

    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    assert list(CalendarDay.objects.values_list("date", "kind", "name")) == [
        (D(2026, 10, 1), "holiday", "国庆节"),
        (D(2026, 10, 2), "holiday", "国庆节"),
        (D(2026, 10, 10), "workday", ""),
    ]


def test_a_bad_file_is_refused_whole_with_every_problem_and_its_line():
    with pytest.raises(ImportRejected) as rejected:
        calendar_days_import(
            rows=_rows(
                ("2026-10-01", "holiday", "国庆节"),
                ("2026-10-08", "workday", "国庆节调休"),  # a Thursday
                ("2026-10-01", "holiday", "国庆节"),
                ("2026-13-01", "rest", ""),
                ("2026-10-11", "workday", "调" * 51),
            )
        )

    assert [(problem.line, problem.field, problem.message) for problem in rejected.value.problems] == [
        (
            3,
            "kind",
            "2026-10-08 is a Thursday: a make-up working day is a Saturday or a Sunday (a weekday is a working day)",
        ),
        (4, "date", "2026-10-01 is already on line 2"),
        (5, "date", "'2026-13-01' is not a date as YYYY-MM-DD"),
        (5, "kind", "'rest' is not one of holiday, workday"),
        (6, "name", "is 51 characters long (at most 50)"),
    ]
    assert not CalendarDay.objects.exists()


# -- the admin -------------------------------------------------------------------------------------


@pytest.fixture
def superuser():
    return UserFactory(username="zhang.guodong", first_name="张国栋", is_staff=True, is_superuser=True)


@pytest.fixture
def both_years():
    CalendarDay.objects.create(date=D(2025, 1, 1), kind="holiday", name="元旦")
    CalendarDay.objects.create(date=D(2026, 1, 1), kind="holiday", name="元旦")
    CalendarDay.objects.create(date=D(2026, 1, 4), kind="workday", name="元旦调休")


def test_the_calendar_changelist_renders_in_chinese_and_filters_by_year(client, superuser, both_years):
    client.force_login(superuser)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"

    response = client.get("/admin/kpi/calendarday/", {"year": "2026"})

    assert response.status_code == 200
    assert [day.date for day in response.context["cl"].result_list] == [D(2026, 1, 1), D(2026, 1, 4)]
    page = response.content.decode()
    assert "星期四" in page and "星期日" in page  # 1 January 2026 is a Thursday, 4 January a Sunday
    year_filter = next(spec for spec in response.context["cl"].filter_specs if spec.parameter_name == "year")
    assert [choice for choice, _label in year_filter.lookup_choices] == ["2026", "2025"]


@pytest.mark.parametrize("year", ["abc", "99999999999999999999", "２０２６", "٢٠٢٦", ""])
def test_a_year_filter_that_is_not_a_year_shows_every_day(client, superuser, both_years, year):
    client.force_login(superuser)

    response = client.get("/admin/kpi/calendarday/", {"year": year})

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 3


def test_a_year_filter_with_a_nul_byte_is_a_bad_request_not_an_error(client, superuser, both_years):
    client.force_login(superuser)

    assert client.get("/admin/kpi/calendarday/", {"year": "\x00"}).status_code == 400


def test_the_admin_refuses_a_make_up_working_day_on_a_weekday(client, superuser):
    client.force_login(superuser)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    response = client.post("/admin/kpi/calendarday/add/", {"date": "2026-10-08", "kind": "workday", "name": "x"})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "kind": ["A make-up working day is a Saturday or a Sunday; a weekday is a working day already."]
    }
    assert not CalendarDay.objects.exists()


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_the_admin_refuses_a_day_outside_the_supported_range(client, superuser, loans_in_business_days, day):
    client.force_login(superuser)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    response = client.post("/admin/kpi/calendarday/add/", {"date": day, "kind": "holiday"})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"date": ["Give a date from 1900-01-01 to 2100-12-31."]}


def test_a_day_added_moved_and_deleted_in_the_admin_marks_the_rollup_stale(
    client, superuser, published, loans_in_business_days
):
    client.force_login(superuser)

    assert client.post("/admin/kpi/calendarday/add/", {"date": "2026-10-01", "kind": "holiday"}).status_code == 302
    assert _stale_days() == {D(2026, 1, 1), D(2026, 11, 24)}

    RollupDay.objects.update(stale_since=None)
    day = CalendarDay.objects.get()
    change = {"date": "2026-01-02", "kind": "holiday", "name": "元旦"}
    assert client.post(f"/admin/kpi/calendarday/{day.pk}/change/", change).status_code == 302
    assert _stale_days() == {D(2025, 12, 31), D(2026, 1, 1), D(2026, 11, 24)}

    RollupDay.objects.update(stale_since=None)
    assert client.post(f"/admin/kpi/calendarday/{day.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not CalendarDay.objects.exists()
    assert _stale_days() == {D(2025, 12, 31), D(2026, 1, 1), D(2026, 11, 24)}


def test_hq_uploads_the_calendar_as_csv_in_the_admin(client, superuser):
    client.force_login(superuser)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    upload = SimpleUploadedFile(
        "calendar.csv", "date,kind,name\n2026-01-01,holiday,元旦\n2026-01-04,workday,元旦调休\n".encode()
    )

    response = client.post("/admin/kpi/calendarday/import-csv/", {"file": upload}, follow=True)

    assert [str(message) for message in response.context["messages"]] == [
        "Imported: 2 created, 0 updated, 0 unchanged."
    ]
    assert list(CalendarDay.objects.values_list("date", "kind")) == [
        (D(2026, 1, 1), "holiday"),
        (D(2026, 1, 4), "workday"),
    ]


def test_switching_a_metrics_time_basis_in_the_admin_marks_the_rollup_stale(client, superuser, published):
    client.force_login(superuser)
    loans = metric("loan_disbursed")
    form = {
        "code": loans.code,
        "name_zh": loans.name_zh,
        "name_en": loans.name_en,
        "unit": loans.unit,
        "direction": loans.direction,
        "level": loans.level,
        "category": loans.category,
        "aggregation": loans.aggregation,
        "time_basis": "business",
        "sort_order": str(loans.sort_order),
        "is_active": "on",
    }

    response = client.post(f"/admin/kpi/metric/{loans.pk}/change/", form)

    assert response.status_code == 302
    assert metric("loan_disbursed").time_basis == "business"
    assert _stale_days() == {D(2025, 12, 28), D(2025, 12, 31), D(2026, 1, 1), D(2026, 11, 24)}


# -- the page and the API ----------------------------------------------------------------------------


@pytest.fixture
def business_line(network):
    """Tianhe Road's November: mobile banking on calendar days (24 of 30, 0.8), loans on business days.
    November 2026 has no holiday: its weekdays are 2–6, 9–13, 16–20, 23–27 and 30, 21 of them, and by
    Tuesday the 24th 17 are gone: 0.809524. Loans: 300 of 400 = 0.75; pace 0.75 / 0.809524 = 0.926470."""
    card = ScorecardFactory(run=published_day().published_run, unit=network["GZ0101"], period="month")
    ScorecardLineFactory(scorecard=card, metric=metric("mobile_banking_signups"), actual="420")
    ScorecardLineFactory(
        scorecard=card,
        metric=metric("loan_disbursed"),
        actual="300",
        target="400",
        attainment="0.75",
        time_progress="0.809524",
        pace_attainment="0.926470",
        status="amber",
        time_basis="business",
    )
    return card


def test_the_scorecard_says_which_lines_count_business_days(client, outlet_head, business_line):
    client.force_login(outlet_head)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    page = client.get("/scorecard/", {"date": "2026-11-24"}).content.decode()

    # Once in the desktop table, once on the phone's card; the calendar-day line says nothing.
    assert page.count("81.0%<small") == 2
    assert page.count("(business days)</small>") == 2
    assert "80.0%<small" not in page


def test_the_scorecards_api_gives_each_lines_time_basis(client, network, hq_admin, business_line):
    client.force_login(hq_admin)

    card = client.get("/api/v1/scorecards/", {"unit": "GZ0101", "date": "2026-11-24"}).json()["results"][0]

    assert {line["metric"]: (line["time_progress"], line["time_basis"]) for line in card["lines"]} == {
        "mobile_banking_signups": ("0.800000", "calendar"),
        "loan_disbursed": ("0.809524", "business"),
    }


def test_the_metrics_api_gives_the_time_basis(client, hq_admin, loans_in_business_days):
    client.force_login(hq_admin)

    assert client.get("/api/v1/metrics/loan_disbursed/").json()["time_basis"] == "business"
    assert client.get("/api/v1/metrics/customers_served/").json()["time_basis"] == "calendar"


@pytest.fixture(autouse=True)
def _english_problems():
    """The problems asserted here are the English source texts (every test starts in Chinese; an import
    in Chinese: tests/bankops/test_i18n_complete.py)."""
    with translation.override("en"):
        yield
