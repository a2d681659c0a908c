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
from openpyxl.cell import WriteOnlyCell

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
    filename: str,
    header: Sequence[str],
    rows: Iterable[Sequence],
    *,
    title: str = "BankOps",
    formats: Sequence[str | None] | None = None,
) -> HttpResponse:
    """`formats`: an Excel number format per column ("#,##0.00", "0.0%"; None: General), so a sheet
    shows the page's decimals while each cell keeps its exact figure."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([safe_cell(cell) for cell in header])
    for row in rows:
        sheet.append([_xlsx_cell(sheet, safe_cell(cell), formats, index) for index, cell in enumerate(row)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def _xlsx_cell(sheet, value, formats: Sequence[str | None] | None, index: int):
    number_format = formats[index] if formats and index < len(formats) else None
    if number_format is None or not isinstance(value, (int, float, Decimal)) or isinstance(value, bool):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell


def table_response(
    format_name: str,
    filename: str,
    header: Sequence[str],
    rows: Iterable[Sequence],
    *,
    formats: Sequence[str | None] | None = None,
) -> HttpResponse:
    """`format_name` is 'csv' or 'xlsx' (the ?export= of a page); `formats`: the XLSX number formats."""
    if format_name == "xlsx":
        return xlsx_response(filename, header, rows, formats=formats)
    return csv_response(filename, header, rows)
