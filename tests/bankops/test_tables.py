"""lib/tables.py: a table declared once, rendered to a download, a page and an API serializer."""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

import pytest
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook
from rest_framework import serializers

from lib.tables import BOOLEAN, DATE, DECIMAL, FRACTION, INTEGER, Column, Table


@dataclass
class Branch:
    code: str
    name: str


@dataclass
class Line:
    outlet: Branch | None
    deposits: Decimal | None
    customers: int
    attainment: Decimal | None
    on: datetime.date
    vetoed: bool
    note: str = ""


TIANHE = Line(
    outlet=Branch("GZ0101", "天河路支行"),
    deposits=Decimal("12345.6"),
    customers=12345,
    attainment=Decimal("1.3845"),
    on=datetime.date(2026, 11, 24),
    vetoed=True,
    note="=SUM(A1)",
)
# No outlet, no figures: every cell that reads through them is empty.
EMPTY = Line(outlet=None, deposits=None, customers=0, attainment=None, on=datetime.date(2026, 11, 1), vetoed=False)

CODE = Column("code", gettext_lazy("Outlet code"), "outlet.code", api=partial(serializers.CharField, allow_null=True))
NAME = Column(
    "outlet",
    gettext_lazy("Outlet"),
    "outlet.name",
    row_header=True,
    html=lambda row, context: format_html(
        '<a href="/units/{}/?{}">{}</a>', row.outlet.code, context["keep"], row.outlet.name
    ),
)
DEPOSITS = Column(
    "deposits",
    "Deposits",
    kind=DECIMAL,
    places=2,
    api=partial(serializers.DecimalField, max_digits=12, decimal_places=4, allow_null=True),
)
CUSTOMERS = Column("customers", "Customers", kind=INTEGER, file=lambda row: row.customers or "none")
ATTAINMENT = Column("attainment", "Attainment", kind=FRACTION)
ON = Column("on", "Business date", kind=DATE)
VETOED = Column(
    "vetoed", gettext_lazy("Vetoed"), kind=BOOLEAN, page_label="Veto", api=partial(serializers.BooleanField)
)
NOTE = Column("note", "Note", lambda row: row.note)
LINES = Table(CODE, NAME, DEPOSITS, CUSTOMERS, ATTAINMENT, ON, VETOED, NOTE)


def test_a_download_keeps_numbers_and_dates_and_writes_a_boolean_as_a_word():
    with translation.override("en"):
        assert LINES.header() == [
            "Outlet code",
            "Outlet",
            "Deposits",
            "Customers",
            "Attainment",
            "Business date",
            "Vetoed",
            "Note",
        ]
        rows = list(LINES.file_rows([TIANHE, EMPTY]))
    assert rows[0] == [
        "GZ0101",
        "天河路支行",
        Decimal("12345.6"),
        12345,
        Decimal("1.3845"),  # a fraction stays a fraction: 138.45 %
        datetime.date(2026, 11, 24),
        "yes",
        "=SUM(A1)",  # defused by lib.exports on the way out
    ]
    # None through a missing outlet, `file` instead of the value (0 customers → "none"), false → "".
    assert rows[1] == [None, None, None, "none", None, datetime.date(2026, 11, 1), "", ""]


def test_a_header_is_read_in_the_readers_language_when_the_table_is_rendered():
    table = LINES.only("code", "vetoed")  # declared before any language is active
    with translation.override("zh-hans"):
        assert table.header() == ["网点代码", "一票否决"]
    with translation.override("en"):
        assert table.header() == ["Outlet code", "Vetoed"]


def test_the_csv_download_defuses_formulas_and_names_the_file():
    with translation.override("en"):
        response = LINES.only("code", "deposits", "on", "vetoed", "note").response("csv", "lines-2026-11-24", [TIANHE])
    assert response["Content-Disposition"] == 'attachment; filename="lines-2026-11-24.csv"'
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(text[1:]))) == [
        ["Outlet code", "Deposits", "Business date", "Vetoed", "Note"],
        ["GZ0101", "12345.6", "2026-11-24", "yes", "'=SUM(A1)"],
    ]


def test_the_excel_download_has_numbers_as_numbers():
    with translation.override("en"):
        response = LINES.only("code", "customers", "attainment").response("xlsx", "lines", [TIANHE, EMPTY])
    assert response["Content-Disposition"] == 'attachment; filename="lines.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [
        ["Outlet code", "Customers", "Attainment"],
        ["GZ0101", 12345, 1.3845],
        [None, "none", None],  # an empty cell reads back as None
    ]


def test_a_page_formats_by_kind_and_draws_a_columns_own_html():
    with translation.override("en"):
        page = LINES.page([TIANHE], keep="period=month")
    assert page.headers == [
        ("Outlet code", ""),
        ("Outlet", ""),
        ("Deposits", "num"),
        ("Customers", "num"),
        ("Attainment", "num"),
        ("Business date", ""),
        ("Veto", ""),  # the page's own label
        ("Note", ""),
    ]
    [cells] = page.rows
    assert [cell.content for cell in cells] == [
        "GZ0101",
        '<a href="/units/GZ0101/?period=month">天河路支行</a>',
        "12,345.60",  # 2 places, thousands grouped
        "12,345",
        "138.5%",  # 1.3845 × 100, one decimal
        "2026-11-24",
        "yes",
        "=SUM(A1)",  # a page is not a spreadsheet: escaped by the template, not defused
    ]
    assert [cell.row_header for cell in cells] == [False, True, False, False, False, False, False, False]


def test_a_page_writes_nothing_for_a_missing_value():
    page = LINES.only("code", "deposits", "attainment", "vetoed").page([EMPTY])
    assert [cell.content for cell in page.rows[0]] == ["", "", "", ""]


def test_the_table_template_draws_the_headers_and_the_cells_escaping_text():
    with translation.override("en"):
        page = LINES.only("outlet", "deposits", "note").page([TIANHE], keep="a=1&b=2")
        html = render_to_string("_table.html", {"table": page, "caption": "Outlets", "css": "ranking"})
    assert '<table class="table ranking">' in html
    assert '<caption class="visually-hidden">Outlets</caption>' in html
    assert '<th scope="col">Outlet</th><th scope="col" class="num">Deposits</th><th scope="col">Note</th>' in html
    assert '<th scope="row"><a href="/units/GZ0101/?a=1&amp;b=2">天河路支行</a></th>' in html
    assert '<td class="num">12,345.60</td>' in html
    assert "<td>=SUM(A1)</td>" in html


def test_only_and_plus_compose_another_table_of_the_same_columns():
    ranking = LINES.only("vetoed", "code")
    assert [column.key for column in ranking.columns] == ["vetoed", "code"]
    assert ranking.columns[1] is CODE
    more = ranking.plus(Column("extra", "Extra", lambda row: 1))
    assert [column.key for column in more.columns] == ["vetoed", "code", "extra"]


def test_a_table_has_each_column_once_and_known_kinds_only():
    with pytest.raises(ValueError, match="each column once"):
        Table(CODE, CODE)
    with pytest.raises(ValueError, match="kind 'money'"):
        Column("amount", "Amount", kind="money")


def test_rows_may_be_dicts_read_by_path():
    table = Table(Column("outlet", "Outlet", "line.outlet.code"), Column("customers", "Customers", "line.customers"))
    assert list(table.file_rows([{"line": TIANHE}])) == [["GZ0101", 12345]]


def test_the_api_serializer_has_the_columns_that_declare_an_api_field_in_order():
    class LineSerializer(LINES.serializer()):
        """A line."""

    fields = LineSerializer().fields
    assert list(fields) == ["code", "deposits", "vetoed"]
    assert fields["code"].source == "outlet.code"  # the column's path
    assert fields["deposits"].source == "deposits"
    assert LineSerializer([TIANHE, EMPTY], many=True).data == [
        {"code": "GZ0101", "deposits": "12345.6000", "vetoed": True},
        {"code": None, "deposits": None, "vetoed": False},
    ]


def test_the_excel_download_shows_the_pages_decimals_and_keeps_the_exact_figures():
    with translation.override("en"):
        response = LINES.only("code", "deposits", "customers", "attainment").response("xlsx", "lines", [TIANHE])
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, tianhe = list(sheet.iter_rows())
    # The cells keep 12345.6 and 1.3845; Excel shows 12,345.60, 12,345 and 138.5% as the page does.
    assert [cell.value for cell in tianhe] == ["GZ0101", 12345.6, 12345, 1.3845]
    assert [cell.number_format for cell in tianhe] == ["General", "#,##0.00", "#,##0", "0.0%"]
    assert header[1].number_format == "General"  # a header is text


def test_a_decimal_column_without_places_is_written_as_money_never_with_its_stored_decimals():
    stored = Column("value", "Value", kind=DECIMAL)
    negative = Column("fall", "Fall", kind=FRACTION)

    assert stored.page_text(Decimal("12934.0000")) == "12,934.00"
    assert stored.page_text(Decimal("89.3313")) == "89.33"
    assert negative.page_text(Decimal("-0.5123")) == "-51.2%"  # the sign glued, one decimal
    assert stored.excel_format is None  # a figure of any unit: General
