"""CSV and XLSX downloads of tables, with cells a spreadsheet cannot run.

A cell that starts with = + - @ (or a tab / carriage return) would be taken as a formula by Excel or
WPS (CSV injection); such text cells are written with a leading apostrophe. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.http import HttpResponse
from openpyxl import Workbook

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value):
    """The value as written to a spreadsheet: numbers and dates as they are, text defused."""
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal, datetime.date)) and not isinstance(value, bool):
        return value
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    """A UTF-8 CSV with a BOM (so Excel opens Chinese text correctly)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence], *, title: str = "BankOps"
) -> HttpResponse:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([safe_cell(cell) for cell in header])
    for row in rows:
        sheet.append([safe_cell(cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def table_response(format_name: str, filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    """`format_name` is 'csv' or 'xlsx' (the ?export= of a page)."""
    if format_name == "xlsx":
        return xlsx_response(filename, header, rows)
    return csv_response(filename, header, rows)
