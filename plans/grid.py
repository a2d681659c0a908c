"""The grid of a plan at a level, as the page and the workbook show it: the level's own row (the parent's
target) and its rows (child units, or an outlet's staff) × the plan's metrics, each cell with the
proposal, the target set now, the last period's actual and target and the same period last year's
actual; and each column's total against the parent's target. A fixed number of queries.

Also the grid over time (a year's or a quarter's parts) of one metric at a level.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from branches.models import OrgUnit
from kpi.models import Metric
from kpi.services.decomposition import adds_up_over_time, adds_up_over_units, plain_number, sub_periods
from lib.periods import Period, PeriodKind
from plans.basis import basis_label
from plans.models import Plan
from plans.selectors import (
    Entity,
    History,
    cell_key,
    level_entities,
    metrics_at,
    plan_cells,
    plan_history,
)
from staff.access import Scope


def field_name(entity: Entity, metric: Metric, period: Period | None = None) -> str:
    """The name of a cell's input: v:<unit>:<staff or empty>:<metric>[:<period>] (codes hold no ':')."""
    name = f"v:{entity.field_key}:{metric.code}"
    return f"{name}:{period.code}" if period is not None else name


@dataclass
class GridCell:
    metric: Metric
    offered: bool
    name: str = ""
    value: Decimal | None = None  # the proposal
    text: str = ""  # what the input holds (the proposal, or what was typed when it was refused)
    basis: str = ""
    current: Decimal | None = None
    last_actual: Decimal | None = None
    last_target: Decimal | None = None
    last_year_actual: Decimal | None = None
    error: str = ""

    @property
    def current_text(self) -> str:
        return plain_number(self.current) if self.current is not None else ""

    @property
    def effective(self) -> Decimal | None:
        """What the target will be once published: the proposal, else the target now."""
        return self.value if self.value is not None else self.current


@dataclass
class GridRow:
    entity: Entity
    name: str
    cells: list[GridCell]
    is_parent: bool = False
    drill: OrgUnit | None = None  # the level below this row (a unit's children, an outlet's staff)


@dataclass
class GridColumn:
    metric: Metric
    adds_up: bool
    parent_value: Decimal | None = None
    total: Decimal | None = None

    @property
    def remainder(self) -> Decimal | None:
        if not self.adds_up or self.parent_value is None or self.total is None:
            return None
        return self.parent_value - self.total

    @property
    def places(self) -> int:
        return 2


@dataclass
class Grid:
    plan: Plan
    level: OrgUnit
    period: Period
    history: History
    columns: list[GridColumn]
    parent: GridRow
    rows: list[GridRow]
    not_offered: list[Metric] = field(default_factory=list)  # plan metrics not planned at this level
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def metrics(self) -> list[Metric]:
        return [column.metric for column in self.columns]

    @property
    def all_rows(self) -> list[GridRow]:
        return [self.parent, *self.rows]

    @property
    def wrong_cells(self) -> list[tuple[GridRow, GridCell]]:
        """The cells of a refused save with what is wrong with each, in the grid's order."""
        return [(row, cell) for row in self.all_rows for cell in row.cells if cell.error]


def plan_metrics(plan: Plan) -> list[Metric]:
    return sorted(plan.metrics.all(), key=lambda metric: (metric.sort_order, metric.code))


def grid_build(
    *,
    plan: Plan,
    level: OrgUnit,
    scope: Scope,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Grid:
    """The grid of `plan` at `level`. `typed` and `errors` (input name → text, message) put back what
    was typed into a refused form, with the reasons beside the cells."""
    typed, errors = typed or {}, errors or {}
    period = plan.period_obj
    all_metrics = plan_metrics(plan)
    metrics = metrics_at(all_metrics, level)
    entities = level_entities(level, period)
    parent = Entity(unit=level)
    history = plan_history(period=period, entities=[parent, *entities], metrics=all_metrics)
    cells = plan_cells(plan, periods=[period])
    child_levels = _drill_levels(entities, staff_metrics=any(metric.for_staff for metric in all_metrics))

    def row(entity: Entity, *, is_parent: bool) -> GridRow:
        row_cells = []
        for metric in metrics:
            offered = metric.for_staff if entity.is_staff else metric.for_units
            if not offered:
                row_cells.append(GridCell(metric=metric, offered=False))
                continue
            cell = cells.get(cell_key(entity, metric, period))
            name = field_name(entity, metric)
            value = cell.value if cell is not None else None
            last_actual, last_target = history.last(entity, metric)
            row_cells.append(
                GridCell(
                    metric=metric,
                    offered=True,
                    name=name,
                    value=value,
                    text=typed.get(name, plain_number(value) if value is not None else ""),
                    basis=basis_label(cell.basis) if cell is not None and value is not None else "",
                    current=history.target(entity, metric, period),
                    last_actual=last_actual,
                    last_target=last_target,
                    last_year_actual=history.last_year_actual(entity, metric),
                    error=errors.get(name, ""),
                )
            )
        name = scope.person_name(entity.staff.name) if entity.is_staff else entity.unit.name
        drill = None if is_parent or entity.is_staff else child_levels.get(entity.unit.pk)
        return GridRow(entity=entity, name=name, cells=row_cells, is_parent=is_parent, drill=drill)

    parent_row = row(parent, is_parent=True)
    rows = [row(entity, is_parent=False) for entity in entities]
    columns = []
    for position, metric in enumerate(metrics):
        adds_up = adds_up_over_units(metric)
        parts = [r.cells[position].effective for r in rows if r.cells[position].offered]
        total = sum((value for value in parts if value is not None), Decimal(0)) if adds_up and parts else None
        columns.append(
            GridColumn(
                metric=metric,
                adds_up=adds_up,
                parent_value=parent_row.cells[position].effective if parent_row.cells[position].offered else None,
                total=total,
            )
        )
    return Grid(
        plan=plan,
        level=level,
        period=period,
        history=history,
        columns=columns,
        parent=parent_row,
        rows=rows,
        not_offered=[metric for metric in all_metrics if metric not in metrics],
        errors=errors,
    )


def _drill_levels(entities: list[Entity], *, staff_metrics: bool) -> dict[int, OrgUnit]:
    """Each unit row that has a level below it: a unit above outlets with children (one query), an
    outlet when the plan has a metric measured per staff member (its staff, perhaps none yet)."""
    units = [entity.unit for entity in entities if not entity.is_staff]
    with_children = set(
        OrgUnit.objects.filter(parent__in=[unit for unit in units if not unit.is_outlet])
        .active()
        .values_list("parent_id", flat=True)
    )
    return {unit.pk: unit for unit in units if (unit.is_outlet and staff_metrics) or unit.pk in with_children}


def level_path(plan: Plan, level: OrgUnit) -> list[OrgUnit]:
    """The levels from the plan's unit down to `level` (the breadcrumbs), one query."""
    above = [unit for unit in level.ancestors() if unit.path.startswith(plan.unit.path)]
    return [*above, level]


# -- over time ----------------------------------------------------------------------------------------


@dataclass
class TimeRow:
    entity: Entity
    name: str
    whole: Decimal | None  # the row's figure of the plan's period (its proposal, else its target)
    cells: list[GridCell]
    is_parent: bool = False

    @property
    def total(self) -> Decimal:
        return sum((cell.effective for cell in self.cells if cell.effective is not None), Decimal(0))


@dataclass
class TimeGrid:
    plan: Plan
    level: OrgUnit
    metric: Metric
    into: PeriodKind
    parts: list[Period]
    rows: list[TimeRow]
    adds_up: bool

    @property
    def wrong_cells(self) -> list[tuple[TimeRow, Period, GridCell]]:
        """The cells of a refused save with what is wrong with each: (row, part, cell)."""
        return [
            (row, part, cell)
            for row in self.rows
            for part, cell in zip(self.parts, row.cells, strict=True)
            if cell.error
        ]


def time_grid_build(
    *,
    plan: Plan,
    level: OrgUnit,
    metric: Metric,
    into: PeriodKind,
    scope: Scope,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> TimeGrid:
    """One metric of the level's own row and its rows over the quarters or months of the plan's period."""
    typed, errors = typed or {}, errors or {}
    period = plan.period_obj
    parts = sub_periods(period, into)
    entities = [Entity(unit=level), *level_entities(level, period)]
    entities = [entity for entity in entities if (metric.for_staff if entity.is_staff else metric.for_units)]
    history = plan_history(period=period, entities=entities, metrics=[metric], periods=parts)
    cells = plan_cells(plan, periods=[period, *parts])
    rows = []
    for entity in entities:
        whole_cell = cells.get(cell_key(entity, metric, period))
        whole = whole_cell.value if whole_cell is not None and whole_cell.value is not None else None
        if whole is None:
            whole = history.target(entity, metric, period)
        row_cells = []
        for part in parts:
            cell = cells.get(cell_key(entity, metric, part))
            name = field_name(entity, metric, part)
            value = cell.value if cell is not None else None
            row_cells.append(
                GridCell(
                    metric=metric,
                    offered=True,
                    name=name,
                    value=value,
                    text=typed.get(name, plain_number(value) if value is not None else ""),
                    basis=basis_label(cell.basis) if cell is not None and value is not None else "",
                    current=history.target(entity, metric, part),
                    error=errors.get(name, ""),
                )
            )
        name = scope.person_name(entity.staff.name) if entity.is_staff else entity.unit.name
        is_parent = not entity.is_staff and entity.unit.pk == level.pk
        rows.append(TimeRow(entity=entity, name=name, whole=whole, cells=row_cells, is_parent=is_parent))
    return TimeGrid(
        plan=plan, level=level, metric=metric, into=into, parts=parts, rows=rows, adds_up=adds_up_over_time(metric)
    )
