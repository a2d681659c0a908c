"""Month close (kpi/services/closing.py): freezing a month, reopening it, and the pay export.

The month is October 2026 (31 days): on its last day the month's time progress is 31/31 = 1, so a
line's pace-adjusted attainment is its plain attainment.

Outlets GZ0101 and GZ0102 (one peer group, under GZ01) are scored by T-OUT:
    customers_served  weighted 100, target 300
    risk_events       veto above 0, "发生内控风险事件，一票否决"
GZ0101 serves 330 → 330 / 300 = 1.1 → 110 points; no risk event.
GZ0102 serves 240 → 0.8 → 80 points on the line, but one risk event vetoes its total to 0.
Ranks in GZ01: GZ0101 1 of 2, GZ0102 2 of 2.

Teller S2001, whose name is "=1+1" (a formula if a spreadsheet were to run it), is scored by T-TELLER:
    mobile_banking_signups  2 points each → 7 sign-ups = 14 points, rank 1 of 1 at GZ0101.
"""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from openpyxl import load_workbook

from kpi.models import (
    Fact,
    LineKind,
    Metric,
    MonthClose,
    MonthCloseEvent,
    RollupDay,
    RollupRun,
    Scorecard,
    ScorecardTemplate,
    Target,
    TemplateLine,
)
from kpi.services import rollup
from kpi.services.closing import PAY_HEADER, MonthCloseError, month_close, month_reopen, pay_basis
from tests.factories import AssignmentFactory, StaffMemberFactory, post

D = datetime.date
OCT_15, OCT_20, OCT_31, NOV_1, NOV_2 = D(2026, 10, 15), D(2026, 10, 20), D(2026, 10, 31), D(2026, 11, 1), D(2026, 11, 2)
TODAY = D(2026, 11, 5)
VETO = "发生内控风险事件，一票否决"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def metric(code: str) -> Metric:
    return Metric.objects.get(code=code)


def fact(unit, code, value, day=OCT_15, staff=None):
    Fact.objects.create(date=day, unit=unit, staff=staff, metric=metric(code), value=Decimal(str(value)))


@pytest.fixture
def october(network):
    """The network of tests/conftest.py with T-OUT and T-TELLER, October's facts and targets, and
    31 October rolled up. Returns the teller."""
    outlets = ScorecardTemplate.objects.create(
        code="T-OUT", name_zh="网点考核", subject="outlet", effective_from=D(2026, 1, 1)
    )
    TemplateLine.objects.create(template=outlets, metric=metric("customers_served"), kind=LineKind.WEIGHTED, weight=100)
    TemplateLine.objects.create(
        template=outlets, metric=metric("risk_events"), kind=LineKind.VETO, allowed_value=0, veto_reason=VETO,
        sort_order=1,
    )  # fmt: skip
    tellers = ScorecardTemplate.objects.create(
        code="T-TELLER", name_zh="柜员考核", subject="staff", effective_from=D(2026, 1, 1)
    )
    tellers.posts.add(post("teller"))
    TemplateLine.objects.create(
        template=tellers, metric=metric("mobile_banking_signups"), kind=LineKind.POINTS, points_per_unit=2
    )
    for code, served, risk in (("GZ0101", 330, 0), ("GZ0102", 240, 1)):
        Target.objects.create(
            unit=network[code], metric=metric("customers_served"), period_kind="month", period_start=D(2026, 10, 1),
            period_end=OCT_31, period="2026-10", value=300,
        )  # fmt: skip
        fact(network[code], "customers_served", served)
        fact(network[code], "risk_events", risk)
    teller = StaffMemberFactory(code="S2001", name="=1+1")
    AssignmentFactory(staff=teller, unit=network["GZ0101"], post="teller", start=D(2026, 1, 1))
    fact(network["GZ0101"], "mobile_banking_signups", 7, staff=teller)
    rollup.rollup_day(day=OCT_31, today=TODAY)
    return teller


def month_card(unit=None, staff=None, day=OCT_31, period="month") -> Scorecard:
    return Scorecard.objects.published().get(date=day, period=period, unit=unit, staff=staff)


GZ0101 = ["GZ0101", "天河路网点", "", "", "T-OUT"]
GZ0102 = ["GZ0102", "珠江新城网点", "", "", "T-OUT"]
TELLER = ["GZ0101", "天河路网点", "S2001", "'=1+1", "T-TELLER"]
SERVED, RISK = ["customers_served", "到店客户数"], ["risk_events", "内控风险事件"]
EXPECTED_ROWS = [
    [*GZ0101, *SERVED, "330", "300", "1.1", "1.1", "110", "110", "0", "", "1", "2"],
    [*GZ0101, *RISK, "0", "", "", "", "", "110", "0", "", "1", "2"],
    [*GZ0102, *SERVED, "240", "300", "0.8", "0.8", "80", "0", "1", VETO, "2", "2"],
    [*GZ0102, *RISK, "1", "", "", "", "", "0", "1", VETO, "2", "2"],
    [*TELLER, "mobile_banking_signups", "手机银行签约", "7", "", "", "", "14", "14", "0", "", "1", "1"],
]


def read_csv(content: bytes) -> list[list[str]]:
    text = content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


# -- closing and reopening ---------------------------------------------------------------------------


class TestClosing:
    def test_a_month_that_has_not_ended_cannot_be_closed(self, october, hq_admin):
        with pytest.raises(MonthCloseError, match="2026-10 has not ended yet: it can be closed from 2026-11-01 on"):
            month_close(month=OCT_20, by=hq_admin, today=OCT_31)
        assert not MonthClose.objects.exists()

    def test_a_month_whose_last_day_is_not_rolled_up_cannot_be_closed(self, network, hq_admin):
        rollup.rollup_day(day=D(2026, 10, 30), today=TODAY)

        with pytest.raises(MonthCloseError, match=r"The last day of 2026-10 \(2026-10-31\) has not been rolled up"):
            month_close(month=OCT_20, by=hq_admin, today=TODAY)

    def test_a_month_whose_last_day_is_stale_cannot_be_closed(self, october, hq_admin):
        rollup.days_mark_stale(first_date=OCT_20)

        with pytest.raises(MonthCloseError, match="The figures of 2026-10-31 are out of date"):
            month_close(month=OCT_20, by=hq_admin, today=TODAY)

    def test_closing_and_reopening_record_who_and_when(self, october, hq_admin):
        before = datetime.datetime.now(datetime.UTC)

        closed = month_close(month=OCT_20, by=hq_admin, today=TODAY)
        month_close(month=OCT_31, by=hq_admin, today=TODAY)  # a second close changes nothing
        reopened = month_reopen(month=OCT_15, by=hq_admin)

        assert (closed.month, closed.changed_by) == (D(2026, 10, 1), hq_admin)
        assert (reopened.is_closed, MonthClose.objects.get().is_closed) == (False, False)
        events = list(MonthCloseEvent.objects.order_by("pk").values_list("month", "action", "by"))
        assert events == [(D(2026, 10, 1), "close", hq_admin.pk), (D(2026, 10, 1), "reopen", hq_admin.pk)]
        assert all(event.at >= before for event in MonthCloseEvent.objects.all())

    def test_reopening_a_month_that_is_not_closed_is_refused(self, october, hq_admin):
        with pytest.raises(MonthCloseError, match="2026-10 is not closed"):
            month_reopen(month=OCT_15, by=hq_admin)

    def test_a_unit_manager_may_not_close_reopen_or_export(self, october, hq_admin, unit_manager):
        with pytest.raises(PermissionDenied):
            month_close(month=OCT_15, by=unit_manager, today=TODAY)
        month_close(month=OCT_15, by=hq_admin, today=TODAY)
        with pytest.raises(PermissionDenied):
            month_reopen(month=OCT_15, by=unit_manager)
        with pytest.raises(PermissionDenied):
            pay_basis(month=OCT_15, by=unit_manager)
        assert MonthClose.objects.get().is_closed


class TestFreezing:
    def test_a_closed_month_is_unchanged_by_a_late_fact_until_it_is_reopened_and_rolled_up(
        self, october, hq_admin, network
    ):
        month_close(month=OCT_15, by=hq_admin, today=TODAY)
        published = RollupDay.objects.get(date=OCT_31).published_run_id
        before = pay_basis(month=OCT_15, by=hq_admin).rows

        # 30 more customers on 20 October, reported late: 360 / 300 = 1.2 → 120 points.
        fact(network["GZ0101"], "customers_served", 30, day=OCT_20)
        rollup.days_mark_stale(first_date=OCT_20)
        assert rollup.rollup_pending() == []
        skipped = rollup.rollup_day(day=OCT_31, today=TODAY)

        assert (skipped.status, skipped.message) == (RollupRun.Status.SKIPPED, "month 2026-10 is closed")
        assert RollupDay.objects.get(date=OCT_31).published_run_id == published
        assert pay_basis(month=OCT_15, by=hq_admin).rows == before
        assert month_card(network["GZ0101"]).total_score == Decimal("110")

        month_reopen(month=OCT_15, by=hq_admin)
        assert rollup.rollup_pending() == [OCT_31]

        card = month_card(network["GZ0101"])
        assert (card.lines.get(metric__code="customers_served").actual, card.total_score) == (360, Decimal("120"))

    def test_a_late_fact_for_a_closed_month_restates_the_open_days_after_it_once(self, october, hq_admin, network):
        rollup.rollup_day(day=NOV_1, today=TODAY)
        rollup.rollup_day(day=NOV_2, today=TODAY)
        month_close(month=OCT_15, by=hq_admin, today=TODAY)

        fact(network["GZ0101"], "customers_served", 30, day=OCT_20)
        rollup.days_mark_stale(first_date=OCT_20)

        # November's year to date takes the fact (330 + 30); October stays as it was closed.
        assert rollup.rollup_pending() == [NOV_1, NOV_2]
        year = month_card(network["GZ0101"], day=NOV_2, period="year")
        assert year.lines.get(metric__code="customers_served").actual == 360
        assert month_card(network["GZ0101"]).lines.get(metric__code="customers_served").actual == 330
        # The frozen stale day does not drag November into every later rollup.
        assert rollup.pending_days() == []
        assert RollupDay.objects.get(date=OCT_31).stale_since is not None


# -- the pay export ----------------------------------------------------------------------------------


class TestPayExport:
    def test_it_has_one_row_per_entity_and_template_line_with_the_exact_header(self, october, hq_admin):
        month_close(month=OCT_15, by=hq_admin, today=TODAY)

        with translation.override("zh-hans"):  # names in the active language, as in the admin
            basis = pay_basis(month=OCT_15, by=hq_admin)

        assert basis.header == PAY_HEADER
        assert [[str(cell) if cell not in (None, "") else "" for cell in row] for row in basis.rows] == [
            [cell if cell != "'=1+1" else "=1+1" for cell in row] for row in EXPECTED_ROWS
        ]

    def test_an_open_month_has_no_pay_basis(self, october, hq_admin):
        with pytest.raises(MonthCloseError, match="2026-10 is not closed"):
            pay_basis(month=OCT_15, by=hq_admin)

    def test_the_admin_exports_a_closed_month_as_csv_with_formulas_defused(self, october, hq_admin, client):
        row = month_close(month=OCT_15, by=hq_admin, today=TODAY)
        hq_admin.is_staff = True
        hq_admin.save()
        client.force_login(hq_admin)

        response = client.get(f"/admin/kpi/monthclose/{row.pk}/export/csv/")

        assert response.status_code == 200
        assert response["Content-Disposition"] == 'attachment; filename="pay-basis-2026-10.csv"'
        header, *rows = read_csv(response.content)
        assert header == list(PAY_HEADER)
        assert rows == EXPECTED_ROWS

    def test_the_admin_exports_a_closed_month_as_xlsx_with_formulas_defused(self, october, hq_admin, client):
        row = month_close(month=OCT_15, by=hq_admin, today=TODAY)
        hq_admin.is_staff = True
        hq_admin.save()
        client.force_login(hq_admin)

        response = client.get(f"/admin/kpi/monthclose/{row.pk}/export/xlsx/")

        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(response.content)).active
        header, *rows = [list(values) for values in sheet.iter_rows(values_only=True)]
        assert header == list(PAY_HEADER)
        assert rows[4][:8] == [
            "GZ0101",
            "天河路网点",
            "S2001",
            "'=1+1",
            "T-TELLER",
            "mobile_banking_signups",
            "手机银行签约",
            7,
        ]
        # Numbers stay numbers: 330 of 300 is 1.1, worth 110 points.
        assert rows[0][7:13] == [330, 300, 1.1, 1.1, 110, 110]
        assert rows[2][12:15] == [0, 1, VETO]

    def test_the_admin_refuses_to_export_an_open_month(self, october, hq_admin, client):
        month_close(month=OCT_15, by=hq_admin, today=TODAY)
        row = month_reopen(month=OCT_15, by=hq_admin)
        hq_admin.is_staff = True
        hq_admin.save()
        client.force_login(hq_admin)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

        response = client.get(f"/admin/kpi/monthclose/{row.pk}/export/csv/", follow=True)

        assert response.redirect_chain[-1][0] == "/admin/kpi/monthclose/"
        assert [str(m) for m in response.context["messages"]] == [
            "2026-10 is not closed: only a closed month is the basis of pay."
        ]

    def test_a_unit_manager_in_the_admin_neither_sees_month_close_nor_exports(
        self, october, hq_admin, unit_manager, client
    ):
        row = month_close(month=OCT_15, by=hq_admin, today=TODAY)
        unit_manager.is_staff = True
        unit_manager.save()
        client.force_login(unit_manager)

        assert client.get("/admin/kpi/monthclose/").status_code == 403
        assert client.get(f"/admin/kpi/monthclose/{row.pk}/export/csv/").status_code == 404
        response = client.post("/admin/kpi/monthclose/", {"action": "reopen_months", "_selected_action": [row.pk]})
        assert response.status_code == 403
        assert MonthClose.objects.get().is_closed


# -- the admin actions and the command ---------------------------------------------------------------


class TestAdminAndCommand:
    @pytest.fixture
    def hq_client(self, client, hq_admin):
        hq_admin.is_staff = True
        hq_admin.save()
        client.force_login(hq_admin)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    def test_hq_closes_a_month_from_the_add_page_and_reopens_it_with_the_action(self, october, hq_client, hq_admin):
        response = hq_client.post("/admin/kpi/monthclose/add/", {"month_code": "2026-10"}, follow=True)
        assert response.status_code == 200
        row = MonthClose.objects.get()
        assert (row.month, row.is_closed, row.changed_by) == (D(2026, 10, 1), True, hq_admin)
        assert "export CSV" in hq_client.get("/admin/kpi/monthclose/").content.decode()

        response = hq_client.post(
            "/admin/kpi/monthclose/", {"action": "reopen_months", "_selected_action": [row.pk]}, follow=True
        )
        assert [str(m) for m in response.context["messages"]] == [
            "2026-10 reopened: its stale days are rolled up again."
        ]
        row.refresh_from_db()
        assert not row.is_closed

    def test_a_closed_month_shows_its_history_and_the_events_list_opens(self, october, hq_client, hq_admin):
        row = month_close(month=OCT_15, by=hq_admin, today=TODAY)

        page = hq_client.get(f"/admin/kpi/monthclose/{row.pk}/change/")

        assert page.status_code == 200
        assert "zhou.minghua" in page.content.decode()
        assert hq_client.get("/admin/kpi/monthcloseevent/").status_code == 200

    def test_the_add_page_says_why_a_month_cannot_be_closed(self, network, hq_client):
        response = hq_client.post("/admin/kpi/monthclose/add/", {"month_code": "2026-09"})

        assert response.status_code == 200
        assert response.context["adminform"].form.errors == {
            "month_code": ["The last day of 2026-09 (2026-09-30) has not been rolled up: roll it up first."]
        }
        assert not MonthClose.objects.exists()

    def test_the_command_closes_and_reopens_a_month(self, october):
        out = io.StringIO()
        call_command("close_month", "2026-10", stdout=out)
        call_command("close_month", "2026-10", stdout=out)
        assert MonthClose.objects.get().is_closed
        call_command("close_month", "2026-10", "--reopen", stdout=out)

        assert out.getvalue().splitlines() == [
            "2026-10 closed.",
            "2026-10 is already closed: nothing to do.",
            "2026-10 reopened: its stale days are rolled up again.",
        ]
        assert list(MonthCloseEvent.objects.order_by("pk").values_list("action", "by")) == [
            ("close", None),
            ("reopen", None),
        ]

    def test_the_command_says_why_it_cannot_close(self, network):
        with pytest.raises(CommandError, match="has not been rolled up"):
            call_command("close_month", "2026-09", stdout=io.StringIO())
        with pytest.raises(CommandError, match="not a month"):
            call_command("close_month", "2026-Q3", stdout=io.StringIO())
