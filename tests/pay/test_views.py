"""The pay pages (pay/views.py): who opens what, the preview and the close from the page, the HR download
with names as the reader may see them. October's numbers are tests/pay/pay_data.py's."""

from __future__ import annotations

import io

import pytest
from django.utils import translation
from openpyxl import load_workbook

from pay.models import PayClose, PaySheet
from pay.services.sheets import pay_close
from tests.factories import StaffMemberFactory, UserFactory
from tests.pay.pay_data import OCTOBER

pytestmark = pytest.mark.django_db
UNIT_PAGE = "/units/GZ0101/pay/?month=2026-10"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def teller_s1(october):
    """王芳 (S1) with a login of her own."""
    user = UserFactory(username="wang.fang", first_name="王芳", role="staff")
    member = october["S1"]
    member.user = user
    member.save()
    return user


def english(client, user):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


class TestWhoSeesWhat:
    def test_a_teller_opens_her_own_sheet_with_every_line(self, teller_s1, client):
        response = english(client, teller_s1).get("/pay/?month=2026-10")

        assert response.status_code == 200
        text = response.content.decode()
        for expected in (
            "My pay sheet",
            "Preview (not closed)",
            "91.00 points × 20.00 元 a point = 1,820.00 元",
            "10 人 to 30 人: 20 人 × 8.00 元 = 160.00 元",
            "10,000.00 元 × 91.00 of 250.00 points (3 people) = 3,640.00 元",
            "-230.00",
            "5,500.00",
        ):
            assert expected in text, expected

    def test_a_teller_opens_no_colleagues_sheet_nor_a_units_page(self, teller_s1, client):
        client = english(client, teller_s1)

        assert client.get("/staff/S2/pay/?month=2026-10").status_code == 404
        assert client.get(UNIT_PAGE).status_code == 404

    def test_a_gated_line_says_why_it_is_not_paid(self, october, hq_admin, client):
        text = english(client, hq_admin).get("/staff/S4/pay/?month=2026-10").content.decode()

        assert "Not paid: the score 55.00 is below the minimum of 60.00" in text
        text = client.get("/staff/S5/pay/?month=2026-10").content.decode()
        assert "Not paid: the scorecard was vetoed (一票否决): 员工违规，一票否决" in text

    def test_pay_sends_a_unit_head_to_the_page_of_their_unit(self, october, outlet_head, unit_manager, client):
        assert english(client, outlet_head).get("/pay/?month=2026-10").url == "/units/GZ0101/pay/?month=2026-10"
        assert english(client, unit_manager).get("/pay/").url == "/units/GZ01/pay/"

    def test_the_outlet_head_reads_the_sheets_but_has_no_close(self, october, outlet_head, client):
        response = english(client, outlet_head).get(UNIT_PAGE)

        assert response.status_code == 200
        assert len(response.context["rows"]) == 5
        assert not response.context["may_close"]
        assert client.post(UNIT_PAGE, {"action": "close"}).status_code == 403
        assert not PaySheet.objects.exists()

    def test_a_unit_outside_the_scope_is_a_404(self, october, unit_manager, client):
        assert english(client, unit_manager).get("/units/SZ01/pay/?month=2026-10").status_code == 404

    def test_a_bad_month_is_said_and_last_month_shown(self, october, hq_admin, client):
        response = english(client, hq_admin).get("/units/GZ0101/pay/?month=2026-13")

        assert response.status_code == 200
        assert response.context["errors"] == ["“2026-13” is not a month; pick one as YYYY-MM, such as 2026-10."]


class TestCloseFromThePage:
    def test_the_unit_manager_previews_then_closes_and_the_page_shows_the_stored_sheets(
        self, october, unit_manager, client
    ):
        client = english(client, unit_manager)
        preview = client.get("/units/GZ01/pay/?month=2026-10")
        assert preview.context["may_close"] and preview.context["total"] == "15,106.00"

        response = client.post("/units/GZ01/pay/?month=2026-10", {"action": "close", "month": "2026-10"}, follow=True)

        assert [str(message) for message in response.context["messages"]] == [
            "The pay of Tianhe Sub-branch for 2026-10 is closed: 5 sheets stored, 15,106.00 元."
        ]
        assert [row.status for row in response.context["rows"]] == ["Settled"] * 5
        assert not response.context["may_close"]
        assert PayClose.objects.get().by == unit_manager

    def test_a_close_of_a_month_that_is_not_one_closes_nothing(self, october, hq_admin, client):
        response = english(client, hq_admin).post("/units/GZ0101/pay/?month=2026-13", {"action": "close"}, follow=True)

        assert [str(message) for message in response.context["messages"]] == [
            "“2026-13” is not a month; pick one as YYYY-MM, such as 2026-10."
        ]
        assert not PaySheet.objects.exists()

    def test_a_close_before_hq_closes_the_month_is_refused_with_the_reason(self, october, hq_admin, client):
        from kpi.services.closing import month_reopen

        month_reopen(month=OCTOBER, by=None)
        client = english(client, hq_admin)

        page = client.get(UNIT_PAGE)
        response = client.post(UNIT_PAGE, {"action": "close"}, follow=True)

        assert page.context["close_problem"].startswith("2026-10 is not closed yet")
        assert [str(message) for message in response.context["messages"]] == [page.context["close_problem"]]
        assert not PaySheet.objects.exists()


class TestDownloadForHr:
    def test_the_excel_has_a_row_per_person_with_the_names_and_the_totals(self, october, hq_admin, client):
        pay_close(month=OCTOBER, unit=october["S1"].assignments.get().unit, by=None, scope=None)

        response = english(client, hq_admin).get(UNIT_PAGE + "&export=xlsx")

        assert response["Content-Disposition"] == 'attachment; filename="pay-GZ0101-2026-10.xlsx"'
        sheet = load_workbook(io.BytesIO(response.content)).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][:3] == ("Month", "Staff code", "Staff name")
        by_code = {row[1]: row for row in rows[1:]}
        header = rows[0]
        wang = dict(zip(header, by_code["S1"], strict=True))
        assert (wang["Staff name"], wang["Total (元)"], wang["Cap (元)"], wang["Status"]) == (
            "王芳",
            5500,
            -230,
            "Settled",
        )
        assert dict(zip(header, by_code["S4"], strict=True))["Gate"] == "Below the minimum score"

    def test_a_name_that_is_a_formula_is_written_as_text(self, october, hq_admin, client):
        member = october["S3"]
        member.name = "=1+1"
        member.save()

        response = english(client, hq_admin).get(UNIT_PAGE + "&export=csv")

        assert "'=1+1" in response.content.decode("utf-8-sig")

    def test_every_line_downloads_with_its_arithmetic(self, october, hq_admin, client):
        response = english(client, hq_admin).get(UNIT_PAGE + "&export=csv&table=lines")

        text = response.content.decode("utf-8-sig")
        assert "0 人 to 10 人: 10 人 × 5.00 元 = 50.00 元" in text
        assert "Not paid: the score 55.00 is below the minimum of 60.00" in text


def test_the_unit_page_reads_a_fixed_number_of_queries_whatever_the_staff(october, hq_admin, client, network):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import AssignmentFactory

    client = english(client, hq_admin)
    with CaptureQueriesContext(connection) as five:
        client.get(UNIT_PAGE)
    for index in range(5):
        member = StaffMemberFactory(code=f"S{30 + index}", name="新员工")
        AssignmentFactory(staff=member, unit=network["GZ0101"], post="teller", start=OCTOBER)
    with CaptureQueriesContext(connection) as ten:
        client.get(UNIT_PAGE)

    assert len(ten) == len(five)
