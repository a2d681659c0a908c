"""The grid as an Excel workbook and back (issue 15): download a level of a plan, fill it in offline,
upload it; every bad cell is answered with its sheet, row, column and what was expected, and nothing is
written unless the whole file is right.

The sheet: row 1 (hidden) holds the keys the upload reads: A1 says which plan and level the file is
for, and above each proposal column the metric it is for; row 2 the headers people read; from row 3 on,
the level's own row, then its rows. Columns A and B name the row, C and D (hidden) hold the unit and
staff codes; then, per metric, the last period's actual and target, the same period last year's actual,
the target now and the proposal: only the proposal columns are read back. Text written to the sheet is
defused against formulas (lib.exports.safe_cell).
"""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal, InvalidOperation

from django.http import HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from branches.models import OrgUnit
from lib.csvimport import decimal
from lib.exports import XLSX_TYPE, safe_cell
from plans.grid import grid_build
from plans.models import Plan
from plans.services.cells import CellInput, PlanProblems, SaveResult, plan_cells_problems, plan_cells_save
from staff.access import Scope

MARK = "bankops-plan"
WORKBOOK_MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
FIRST_ROW = 3
FIGURES = 5  # columns per metric: last actual, last target, last year, target now, proposal
_EDITABLE = PatternFill("solid", fgColor="FFF8DC")
_NOT_OFFERED = PatternFill("solid", fgColor="DDDDDD")


class WorkbookProblems(Exception):
    """Nothing was written because of these problems (each a sentence naming sheet, row and column)."""

    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__("; ".join(messages))


def _number(value: Decimal | None) -> float | None:
    """A figure as Excel keeps numbers (a target has at most 4 decimals: exact enough as a float)."""
    return None if value is None else float(value)


def _sheet_title() -> str:
    return _("Target plan")[:31]


def plan_workbook(*, plan: Plan, level: OrgUnit, scope: Scope) -> HttpResponse:
    """The download of `plan` at `level` (the grid as the page shows it)."""
    grid = grid_build(plan=plan, level=level, scope=scope)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _sheet_title()
    keys = [f"{MARK}:{plan.pk}:{level.code}", "", "unit", "staff"]
    headers = [_("Name"), _("Row"), _("Unit code"), _("Staff code")]
    for metric in grid.metrics:
        keys += ["", "", "", "", f"value:{metric.code}"]
        named = f"{metric.name} ({metric.unit})"
        headers += [
            f"{named} {_('actual')} {grid.history.last_period.code}",
            f"{named} {_('target')} {grid.history.last_period.code}",
            f"{named} {_('actual')} {grid.history.last_year.code}",
            f"{named} {_('target now')} {grid.period.code}",
            f"{named} {_('proposed target')} {grid.period.code}",
        ]
    sheet.append(keys)
    sheet.append([safe_cell(header) for header in headers])
    for row in grid.all_rows:
        line = [
            safe_cell(row.name),
            safe_cell(_("own target") if row.is_parent else (_("staff member") if row.entity.is_staff else _("unit"))),
            safe_cell(row.entity.unit.code),
            safe_cell(row.entity.staff.code if row.entity.is_staff else ""),
        ]
        for cell in row.cells:
            if not cell.offered:
                line += [None, None, None, None, None]
                continue
            line += [
                _number(cell.last_actual),
                _number(cell.last_target),
                _number(cell.last_year_actual),
                _number(cell.current),
                _number(cell.value),
            ]
        sheet.append(line)
    sheet.row_dimensions[1].hidden = True
    for letter in ("C", "D"):
        sheet.column_dimensions[letter].hidden = True
    sheet.column_dimensions["A"].width = 22
    for position, _metric in enumerate(grid.metrics):
        column = 5 + position * FIGURES + FIGURES - 1
        for row_number, row in enumerate(grid.all_rows, start=FIRST_ROW):
            cell = sheet.cell(row=row_number, column=column)
            cell.fill = _EDITABLE if row.cells[position].offered else _NOT_OFFERED
        sheet.cell(row=2, column=column).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(column)].width = 16
    sheet.freeze_panes = "B3"
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="plan-{plan.pk}-{level.code}-{plan.period}.xlsx"'
    return response


def _where(sheet: str, row: int, column: int) -> str:
    return _("sheet “%(sheet)s”, row %(row)s, column %(column)s") % {
        "sheet": sheet,
        "row": row,
        "column": get_column_letter(column),
    }


def _read_value(raw) -> Decimal | None:
    """A cell as a number (ValueError says what was expected); None when it is empty."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise ValueError
    if isinstance(raw, int | float):
        try:
            value = Decimal(str(raw))
        except InvalidOperation:
            raise ValueError
        if not value.is_finite():
            raise ValueError
        return value
    if isinstance(raw, str):
        return decimal(raw.strip())
    raise ValueError


def plan_workbook_read(*, plan: Plan, level: OrgUnit, scope: Scope, content: bytes) -> SaveResult:
    """Read an uploaded workbook of `plan` at `level` and save its proposals, all or nothing."""
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, IndexError):
        raise WorkbookProblems([_("This is not an Excel workbook (.xlsx); upload the grid's workbook.")])
    try:
        return _read(plan=plan, level=level, scope=scope, workbook=workbook)
    finally:
        workbook.close()


def _read(*, plan: Plan, level: OrgUnit, scope: Scope, workbook) -> SaveResult:
    sheet = next(
        (
            candidate
            for candidate in workbook.worksheets
            if str(candidate.cell(row=1, column=1).value or "").startswith(f"{MARK}:")
        ),
        None,
    )
    if sheet is None:
        raise WorkbookProblems(
            [_("No sheet of this file comes from a plan's grid: download the grid's workbook and fill that in.")]
        )
    name = sheet.title
    mark = str(sheet.cell(row=1, column=1).value)
    if mark != f"{MARK}:{plan.pk}:{level.code}":
        raise WorkbookProblems(
            [
                _("%(where)s: this file is for another plan or level (%(mark)s); upload it on that grid.")
                % {"where": _where(name, 1, 1), "mark": mark.removeprefix(f"{MARK}:")}
            ]
        )
    rows = sheet.iter_rows(min_row=1, max_row=MAX_ROWS + FIRST_ROW, values_only=True)
    keys = list(next(rows, ()))
    grid = grid_build(plan=plan, level=level, scope=scope)
    metrics = {metric.code: metric for metric in grid.metrics}
    columns: dict[int, str] = {}
    problems: list[str] = []
    for index, key in enumerate(keys, start=1):
        text = str(key or "")
        if text.startswith("value:"):
            code = text.removeprefix("value:")
            if code in metrics:
                columns[index] = code
            else:
                problems.append(
                    _("%(where)s: %(code)s is not a metric of this grid.")
                    % {"where": _where(name, 1, index), "code": code}
                )
    missing = set(metrics) - set(columns.values())
    if missing:
        problems.append(
            _("%(where)s: the proposal columns of %(codes)s are missing; download the grid's workbook again.")
            % {"where": _where(name, 1, 1), "codes": ", ".join(sorted(missing))}
        )
    next(rows, None)  # the headers
    by_code = {
        (row.entity.unit.code, row.entity.staff.code if row.entity.is_staff else ""): row for row in grid.all_rows
    }
    seen: dict[tuple, int] = {}
    cells: list[CellInput] = []
    for row_number, values in enumerate(rows, start=FIRST_ROW):
        values = list(values) + [None] * max(0, max(columns, default=4) - len(values))
        unit_code, staff_code = (str(values[2] or "").strip(), str(values[3] or "").strip())
        if not unit_code and not staff_code and all(values[index - 1] in (None, "") for index in columns):
            continue  # a blank line
        row = by_code.get((unit_code, staff_code))
        if row is None:
            problems.append(
                _("%(where)s: “%(code)s” is not a row of this grid; keep the hidden code columns as downloaded.")
                % {"where": _where(name, row_number, 3), "code": " ".join(filter(None, (unit_code, staff_code)))}
            )
            continue
        if (unit_code, staff_code) in seen:
            problems.append(
                _("%(where)s: this row is already on row %(row)s.")
                % {"where": _where(name, row_number, 3), "row": seen[(unit_code, staff_code)]}
            )
            continue
        seen[(unit_code, staff_code)] = row_number
        cells_by_metric = {cell.metric.code: cell for cell in row.cells}
        for index, code in columns.items():
            raw = values[index - 1]
            where = _where(name, row_number, index)
            try:
                value = _read_value(raw)
            except ValueError:
                problems.append(
                    _("%(where)s: “%(text)s” is not a number; expected digits such as 1234.5, or nothing.")
                    % {"where": where, "text": raw}
                )
                continue
            cell = cells_by_metric[code]
            if not cell.offered:
                if value is not None:
                    problems.append(
                        _(
                            "%(where)s: %(metric)s is not planned for this row (not measured at its level); "
                            "leave it empty."
                        )
                        % {"where": where, "metric": cell.metric.name}
                    )
                continue
            if value == cell.value:
                continue
            cells.append(
                CellInput(
                    unit=row.entity.unit,
                    staff=row.entity.staff,
                    metric=cell.metric,
                    period=grid.period,
                    value=value,
                    where=where,
                )
            )
    if problems:
        # The cells that were read are checked too, so that one upload names every wrong cell.
        problems += [str(problem) for problem in plan_cells_problems(plan=plan, cells=cells)]
        raise WorkbookProblems(problems)
    try:
        return plan_cells_save(scope=scope, plan=plan, cells=cells)
    except PlanProblems as refused:
        raise WorkbookProblems([str(problem) for problem in refused.problems])
