"""The grid as an Excel workbook and back (plans.services.workbook): 天河支行 GZ01 plans December 2026
(deposit growth, sign-ups) over GZ0101 and GZ0102; GZ0101's staff is 黄丽娟 S1001."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from lib.periods import parse_period
from plans.models import PlanCell
from plans.services.cells import plan_create
from plans.services.workbook import WorkbookProblems, plan_workbook, plan_workbook_read
from tests.kpi.factories import metric

pytestmark = pytest.mark.django_db

# Columns: A name, B row, C unit code, D staff code (hidden); then per metric five: last actual, last
# target, last year, target now, proposal. Deposit growth's proposal is I (9), sign-ups' is N (14).
GROWTH, SIGNUPS = 9, 14


@pytest.fixture
def plan(network, hq_scope, teller):
    return plan_create(
        scope=hq_scope,
        unit=network["GZ01"],
        period=parse_period("2026-12"),
        metrics=[metric("deposit_growth"), metric("mobile_banking_signups")],
    )


def _download(plan, level, scope):
    with translation.override("en"):
        response = plan_workbook(plan=plan, level=level, scope=scope)
    return load_workbook(io.BytesIO(response.content))


def _upload(book, plan, level, scope):
    buffer = io.BytesIO()
    book.save(buffer)
    with translation.override("en"):
        return plan_workbook_read(plan=plan, level=level, scope=scope, content=buffer.getvalue())


def test_the_download_keeps_the_codes_in_hidden_columns_and_the_keys_in_a_hidden_row(plan, network, hq_scope):
    sheet = _download(plan, network["GZ01"], hq_scope).active
    assert sheet.title == "Target plan"
    assert sheet["A1"].value == f"bankops-plan:{plan.pk}:GZ01"
    assert (
        sheet.row_dimensions[1].hidden and sheet.column_dimensions["C"].hidden and sheet.column_dimensions["D"].hidden
    )
    assert [sheet.cell(row=1, column=column).value for column in (GROWTH, SIGNUPS)] == [
        "value:deposit_growth",
        "value:mobile_banking_signups",
    ]
    assert [sheet.cell(row=row, column=3).value for row in (3, 4, 5)] == ["GZ01", "GZ0101", "GZ0102"]
    assert "(万元)" in sheet.cell(row=2, column=GROWTH).value


def test_a_filled_in_workbook_comes_back_as_proposals(plan, network, hq_scope):
    book = _download(plan, network["GZ01"], hq_scope)
    sheet = book.active
    sheet.cell(row=3, column=GROWTH).value = 1000
    sheet.cell(row=4, column=GROWTH).value = 600.5
    sheet.cell(row=5, column=GROWTH).value = "399.5"
    sheet.cell(row=4, column=SIGNUPS).value = "１，２００"  # as a Chinese input method types it

    result = _upload(book, plan, network["GZ01"], hq_scope)

    assert result.created == 4
    cells = {
        (cell.unit.code, cell.metric.code): cell.value
        for cell in PlanCell.objects.filter(plan=plan).select_related("unit", "metric")
    }
    assert cells == {
        ("GZ01", "deposit_growth"): Decimal("1000"),
        ("GZ0101", "deposit_growth"): Decimal("600.5"),
        ("GZ0102", "deposit_growth"): Decimal("399.5"),
        ("GZ0101", "mobile_banking_signups"): Decimal("1200"),
    }
    assert set(PlanCell.objects.values_list("basis", flat=True)) == {"hand"}


def test_every_bad_cell_is_named_with_sheet_row_and_column_and_nothing_is_written(plan, network, hq_scope):
    book = _download(plan, network["GZ01"], hq_scope)
    sheet = book.active
    # Rows 3, 4, 5: 天河支行 itself, 天河路网点, 珠江新城网点.
    sheet.cell(row=3, column=GROWTH).value = "abc"
    sheet.cell(row=4, column=GROWTH).value = "12 345"
    sheet.cell(row=5, column=3).value = "GZ9999"
    sheet.cell(row=5, column=SIGNUPS).value = 1

    with pytest.raises(WorkbookProblems) as refused:
        _upload(book, plan, network["GZ01"], hq_scope)

    assert refused.value.messages == [
        "sheet “Target plan”, row 3, column I: “abc” is not a number; expected digits such as 1234.5, or nothing.",
        "sheet “Target plan”, row 4, column I: “12 345” is not a number; expected digits such as 1234.5, or nothing.",
        "sheet “Target plan”, row 5, column C: “GZ9999” is not a row of this grid; keep the hidden code columns as "
        "downloaded.",
    ]
    assert not PlanCell.objects.exists()

    # With those put right, the checks of every proposal answer with the same places.
    sheet.cell(row=3, column=GROWTH).value = -5
    sheet.cell(row=4, column=GROWTH).value = 12.345678
    sheet.cell(row=5, column=3).value = "GZ0102"
    with pytest.raises(WorkbookProblems) as refused:
        _upload(book, plan, network["GZ01"], hq_scope)
    assert sorted(refused.value.messages) == [
        "sheet “Target plan”, row 3, column I: -5 is below 0: a target is 0 or more.",
        "sheet “Target plan”, row 4, column I: 12.345678 has more than 4 decimals.",
    ]
    assert not PlanCell.objects.exists()


def test_one_upload_names_the_cells_that_are_not_numbers_and_those_the_checks_refuse(plan, network, hq_scope):
    book = _download(plan, network["GZ01"], hq_scope)
    sheet = book.active
    # Row 3 天河支行 itself, row 4 天河路网点: "abc" is no number; -5 is below 0; 1.5 户 is half a sign-up.
    sheet.cell(row=3, column=GROWTH).value = "abc"
    sheet.cell(row=4, column=GROWTH).value = -5
    sheet.cell(row=4, column=SIGNUPS).value = 1.5

    with pytest.raises(WorkbookProblems) as refused:
        _upload(book, plan, network["GZ01"], hq_scope)

    assert refused.value.messages == [
        "sheet “Target plan”, row 3, column I: “abc” is not a number; expected digits such as 1234.5, or nothing.",
        "sheet “Target plan”, row 4, column I: -5 is below 0: a target is 0 or more.",
        "sheet “Target plan”, row 4, column N: Mobile banking sign-ups is counted in whole 户 (accounts): give a "
        "whole number.",
    ]
    assert not PlanCell.objects.exists()


def test_a_staff_grid_has_only_the_metrics_measured_per_staff_member(plan, network, hq_scope):
    sheet = _download(plan, network["GZ0101"], hq_scope).active
    keys = [sheet.cell(row=1, column=column).value for column in range(1, sheet.max_column + 1)]
    assert [key for key in keys if key and key.startswith("value:")] == ["value:mobile_banking_signups"]
    assert [sheet.cell(row=row, column=4).value for row in (3, 4)] == [None, "S1001"]


def test_a_workbook_of_another_level_or_no_workbook_at_all_is_refused(plan, network, hq_scope):
    book = _download(plan, network["GZ0101"], hq_scope)
    with pytest.raises(WorkbookProblems, match="this file is for another plan or level"):
        _upload(book, plan, network["GZ01"], hq_scope)
    with translation.override("en"), pytest.raises(WorkbookProblems, match="not an Excel workbook"):
        plan_workbook_read(plan=plan, level=network["GZ01"], scope=hq_scope, content=b"period,unit\n2026-12,GZ01\n")


def test_the_page_downloads_and_takes_the_workbook_back(client, hq_admin, plan, network, hq_scope):
    client.force_login(hq_admin)
    url = reverse("plans:plan_grid", args=[plan.pk])
    response = client.get(url, {"export": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    book.active.cell(row=4, column=GROWTH).value = 500
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.name = "plan.xlsx"
    buffer.seek(0)
    answer = client.post(url, {"action": "upload", "workbook": buffer})
    assert answer.status_code == 302, [str(m) for m in answer.context["messages"]]
    assert PlanCell.objects.get().value == Decimal(500)

    refused = client.post(url, {"action": "upload", "workbook": io.BytesIO(b"not a workbook")})
    assert refused.status_code == 400
