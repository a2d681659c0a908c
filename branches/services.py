"""Writes to the organisation: the units import and the default peer groups."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext

from branches.models import (
    CODE_PATTERN,
    PATH_SEPARATOR,
    Area,
    OrgUnit,
    OutletFormat,
    PeerGroup,
    Transformation,
    UnitKind,
    UnitStatus,
    unit_kind_noun,
)
from lib.csvimport import Checker, Column, Columns, CsvRow, ImportResult, Row, boolean, choice, date, valid_code

UNIT_COLUMNS = Columns(
    Column("code", valid_code(CODE_PATTERN), required=True),
    Column("parent"),
    Column("name_zh", required=True),
    Column("name_en", default=""),
    Column("kind", choice(UnitKind.values), required=True),
    Column("area", choice(Area.values), default=""),
    Column("format", choice(OutletFormat.values), default=""),
    Column("status", choice(UnitStatus.values), default=UnitStatus.ACTIVE),
    # Optional columns: when present they are imported, when absent the unit keeps what it has.
    Column("transformation", choice(Transformation.values), default=Transformation.NOT_STARTED, optional=True),
    Column("transformed_on", date, optional=True),
    Column("is_benchmark", boolean, default=False, optional=True),
    Column("benchmark", optional=True),
    Column("opened_on", date, optional=True),
    Column("closed_on", date, optional=True),
)

_UNIT_FIELDS = (
    "name_zh",
    "name_en",
    "kind",
    "area",
    "format",
    "status",
    "transformation",
    "transformed_on",
    "is_benchmark",
    "opened_on",
    "closed_on",
)


def units_import(*, rows: list[CsvRow]) -> ImportResult:
    """Create or update org units from CSV rows (UNIT_COLUMNS), all or nothing.

    1. Read every row through UNIT_COLUMNS and check it on its own, collecting every problem.
    2. Check the rows together: duplicate codes, parents that exist (in the file or already), no cycle,
       nothing under an outlet, benchmarks that are benchmark outlets.
    3. Write in one transaction: new units level by level (parents first), changed ones in bulk, then
       the materialised paths of every unit whose position moved.
    """
    check = Checker()
    existing = {unit.code: unit for unit in OrgUnit.objects.all()}
    parsed: dict[str, Row] = {}
    for row in UNIT_COLUMNS.parse(rows, check):
        kind, parent = row["kind"], row["parent"]
        if kind == UnitKind.OUTLET:
            row.require("area", "format")
        elif kind:
            outlets_only = {
                "area": gettext("only outlets have an area; leave it empty for a %(kind)s"),
                "format": gettext("only outlets have a format; leave it empty for a %(kind)s"),
            }
            for column, message in outlets_only.items():
                if row.text(column):
                    row.problem(column, message % {"kind": unit_kind_noun(kind)})
        if kind == UnitKind.HQ and parent:
            row.problem("parent", gettext("the head office (kind hq) has no parent; leave it empty"))
        elif kind and kind != UnitKind.HQ and not parent:
            row.problem("parent", gettext("is required for every unit but the head office"))
        if (unit_code := row["code"]) is None:
            continue
        if (first := check.repeated(unit_code, row.line)) is not None:
            row.problem(
                "code",
                gettext("'%(code)s' appears twice (first on line %(first)s)") % {"code": unit_code, "first": first},
            )
            continue
        parsed[unit_code] = row

    # Checks across rows: the tree the file and the database make together.
    parent_of = {code: (unit.parent.code if unit.parent_id else None) for code, unit in _with_parents(existing).items()}
    kind_of = {code: unit.kind for code, unit in existing.items()}
    benchmark_flag = {code: unit.is_benchmark for code, unit in existing.items()}
    for unit_code, row in parsed.items():
        parent_of[unit_code] = row["parent"]
        kind_of[unit_code] = row["kind"]
        if "is_benchmark" in row:
            benchmark_flag[unit_code] = row["is_benchmark"]
    for unit_code, row in parsed.items():
        parent, benchmark = row["parent"], row["benchmark"]
        if parent and parent not in kind_of:
            row.problem(
                "parent", gettext("unit '%(code)s' is neither in the file nor already known") % {"code": parent}
            )
        elif parent and kind_of[parent] == UnitKind.OUTLET:
            row.problem(
                "parent", gettext("'%(code)s' is an outlet; no unit can sit under an outlet") % {"code": parent}
            )
        elif parent and _has_cycle(unit_code, parent_of):
            row.problem(
                "parent",
                gettext("'%(parent)s' is below '%(code)s' in the tree; that would make a loop")
                % {"parent": parent, "code": unit_code},
            )
        if benchmark and not benchmark_flag.get(benchmark):
            row.problem(
                "benchmark", gettext("'%(code)s' is not a benchmark outlet (is_benchmark)") % {"code": benchmark}
            )
        elif benchmark and benchmark == unit_code:
            row.problem("benchmark", gettext("an outlet cannot replicate itself"))
    check.raise_if_any()

    paths = _paths(parent_of)
    result = ImportResult()
    with transaction.atomic():
        new_codes = sorted(
            (code for code in parsed if code not in existing), key=lambda c: paths[c].count(PATH_SEPARATOR)
        )
        units = dict(existing)
        # Parents first: one bulk insert per tree level (a handful of levels, whatever the size).
        for depth in sorted({paths[code].count(PATH_SEPARATOR) for code in new_codes}):
            level = [code for code in new_codes if paths[code].count(PATH_SEPARATOR) == depth]
            created = OrgUnit.objects.bulk_create([_new_unit(code, parsed[code], units, paths[code]) for code in level])
            units.update({unit.code: unit for unit in created})
        result.created = len(new_codes)

        changed: list[OrgUnit] = []
        for code, row in parsed.items():
            if code in new_codes:
                continue
            unit = units[code]
            if _apply(unit, row, units, paths[code]):
                changed.append(unit)
                result.updated += 1
            else:
                result.unchanged += 1
        # Units not in the file whose ancestors moved get their new paths too.
        for code, unit in units.items():
            if code not in parsed and unit.path != paths[code]:
                unit.path, unit.depth = paths[code], paths[code].count(PATH_SEPARATOR) - 2
                changed.append(unit)
        for code in [code for code in new_codes if parsed[code]["benchmark"]]:
            units[code].benchmark = units[parsed[code]["benchmark"]]
            changed.append(units[code])
        if changed:
            OrgUnit.objects.bulk_update(
                changed, [*_UNIT_FIELDS, "parent", "path", "depth", "benchmark"], batch_size=500
            )
    return result


def _with_parents(existing: dict[str, OrgUnit]) -> dict[str, OrgUnit]:
    by_id = {unit.pk: unit for unit in existing.values()}
    for unit in existing.values():
        if unit.parent_id:
            unit.parent = by_id[unit.parent_id]
    return existing


def _has_cycle(code: str, parent_of: dict[str, str | None]) -> bool:
    seen = {code}
    current = parent_of.get(code)
    while current:
        if current in seen:
            return True
        seen.add(current)
        current = parent_of.get(current)
    return False


def _paths(parent_of: dict[str, str | None]) -> dict[str, str]:
    paths: dict[str, str] = {}

    def path_of(code: str) -> str:
        chain = []
        current: str | None = code
        while current and current not in paths:
            chain.append(current)
            current = parent_of.get(current)
        prefix = paths[current] if current else PATH_SEPARATOR
        for link in reversed(chain):
            prefix = f"{prefix}{link}{PATH_SEPARATOR}"
            paths[link] = prefix
        return paths[code]

    for code in parent_of:
        path_of(code)
    return paths


def _new_unit(code: str, values: dict, units: dict[str, OrgUnit], path: str) -> OrgUnit:
    fields = {name: values[name] for name in _UNIT_FIELDS if name in values and values[name] is not None}
    return OrgUnit(
        code=code,
        parent=units[values["parent"]] if values["parent"] else None,
        path=path,
        depth=path.count(PATH_SEPARATOR) - 2,
        **fields,
    )


def _apply(unit: OrgUnit, values: dict, units: dict[str, OrgUnit], path: str) -> bool:
    """Copy the row's values onto an existing unit; True if anything changed."""
    changed = False
    for name in _UNIT_FIELDS:
        if name in values and getattr(unit, name) != values[name]:
            setattr(unit, name, values[name])
            changed = True
    parent = units[values["parent"]] if values["parent"] else None
    if unit.parent_id != (parent.pk if parent else None):
        unit.parent = parent
        changed = True
    if "benchmark" in values:
        benchmark = units[values["benchmark"]] if values["benchmark"] else None
        if unit.benchmark_id != (benchmark.pk if benchmark else None):
            unit.benchmark = benchmark
            changed = True
    if unit.path != path:
        unit.path, unit.depth = path, path.count(PATH_SEPARATOR) - 2
        changed = True
    return changed


def peer_groups_rebuild() -> int:
    """Make the default peer groups match the tree: one per (sub-branch, area) with its active outlets.

    Groups HQ maintains by hand (is_default off) are not touched. Safe to run twice: the second run
    finds nothing to change. Returns the number of default groups.
    """
    outlets = list(
        OrgUnit.objects.outlets()
        .active()
        .exclude(parent=None)
        .select_related("parent")
        .only("pk", "area", "parent__code", "parent__name_zh", "parent__name_en", "parent__id")
    )
    wanted: dict[str, tuple[OrgUnit, str, set[int]]] = {}
    for outlet in outlets:
        code = f"{outlet.parent.code}-{outlet.area or 'all'}"
        wanted.setdefault(code, (outlet.parent, outlet.area, set()))[2].add(outlet.pk)

    area_label = {value: (label.split("(")[-1].rstrip(")"), value) for value, label in Area.choices}
    with transaction.atomic():
        existing = {group.code: group for group in PeerGroup.objects.filter(is_default=True)}
        PeerGroup.objects.filter(is_default=True).exclude(code__in=wanted).delete()
        to_create = []
        for code, (parent, area, _members) in wanted.items():
            zh_area, en_area = area_label.get(area, ("", area))
            name_zh = f"{parent.name_zh}·{zh_area}网点"
            name_en = f"{parent.name_en or parent.code} · {en_area} outlets"
            group = existing.get(code)
            if group is None:
                to_create.append(
                    PeerGroup(
                        code=code, name_zh=name_zh, name_en=name_en, is_default=True, parent_unit=parent, area=area
                    )
                )
            elif (group.name_zh, group.name_en, group.parent_unit_id, group.area) != (
                name_zh,
                name_en,
                parent.pk,
                area,
            ):
                group.name_zh, group.name_en, group.parent_unit, group.area = name_zh, name_en, parent, area
                group.save()
        PeerGroup.objects.bulk_create(to_create)

        groups = {group.code: group.pk for group in PeerGroup.objects.filter(is_default=True)}
        through = PeerGroup.members.through
        current = {
            (group_id, outlet_id): row_id
            for row_id, group_id, outlet_id in through.objects.filter(peergroup_id__in=groups.values()).values_list(
                "id", "peergroup_id", "orgunit_id"
            )
        }
        target = {(groups[code], outlet_id) for code, (_p, _a, members) in wanted.items() for outlet_id in members}
        stale = [row_id for key, row_id in current.items() if key not in target]
        through.objects.filter(id__in=stale).delete()
        through.objects.bulk_create([through(peergroup_id=g, orgunit_id=o) for g, o in target - current.keys()])
    return len(wanted)
