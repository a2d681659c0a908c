"""Customers and their monthly AUM snapshots in: the `customers` and `customer_snapshots` kinds of
`import_csv` and of the admin upload (bankops.importers).

Both are all or nothing, like every import: every row is checked against the reference data read in
bulk (a fixed number of queries per few thousand codes, never one per row), every problem is reported
with its line and column, and only a file without problems is written, in one transaction.

Names and identity numbers are personal data (DOMAIN.md §6): a problem about them says what is wrong
and never repeats the value. Nothing here logs.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation

import pandas as pd
from django.db import connection, transaction
from django.utils import timezone

from branches.models import CODE_PATTERN, OrgUnit, UnitKind, UnitStatus
from customers.models import GROUP_BY_CODE, MONEY, Customer, Snapshot
from lib.bulk import insert_frame
from lib.csvimport import Checker, CsvRow, ImportResult
from lib.identity import id_number_problem, normalize_id_number
from lib.periods import parse_month
from staff.models import StaffMember

CUSTOMER_COLUMNS = ("customer", "name", "id_number", "home_outlet", "relationship_manager", "groups")
SNAPSHOT_COLUMNS = ("customer", "month", "deposits", "wealth", "funds", "insurance", "bonds", "aum_avg_daily")
# Groups of a customer in one cell: `young|merchant`. Not `,` (the CSV's own separator, which would
# need quoting) and not `;` (Excel's separator in some locales).
GROUP_SEPARATOR = "|"
COMPONENTS = ("deposits", "wealth", "funds", "insurance", "bonds")

# Reference codes are read `code IN (…)` this many at a time: well under SQLite's parameter limit, and
# a fixed number of queries per chunk of rows whatever the file's size.
CHUNK = 5000
_NAME_LENGTH = Customer._meta.get_field("name").max_length
_PLACES = MONEY["decimal_places"]
_CENT = Decimal(1).scaleb(-_PLACES)
_TOO_LARGE = Decimal(10) ** (MONEY["max_digits"] - _PLACES)
# An amount as extracts write it: digits, at most two decimals, less than _TOO_LARGE.
_PLAIN = re.compile(rf"^\d{{1,{MONEY['max_digits'] - _PLACES}}}(?:\.\d{{1,{_PLACES}}})?$")
_SNAPSHOT_FIELDS = (*COMPONENTS, "aum_avg_daily")
_FOREIGN_KEYS = frozenset({"home_outlet", "relationship_manager"})


def customers_import(*, rows: list[CsvRow]) -> ImportResult:
    """Create or update customers from CSV rows (CUSTOMER_COLUMNS), keyed on the customer id.

    - customer: the pseudonymous id (letters, digits, '_', '.', '-'; at most 32), once per file.
    - name: required, at most 60 characters. id_number: optional; an 18-character resident identity
      number with a valid date of birth and check digit, or a unified social credit code.
    - home_outlet: the code of an active outlet. relationship_manager: a staff code, or empty.
    - groups: codes of customers.models.Group separated by '|' (young|merchant), or empty.

    A customer imported again takes the file's values (an empty manager or groups clears them).
    """
    check = Checker()
    outlets = _by_code(OrgUnit.objects.all(), {row["home_outlet"] for row in rows}, "pk", "kind", "status")
    managers = _by_code(StaffMember.objects.all(), {row["relationship_manager"] for row in rows}, "pk")
    seen: dict[str, int] = {}
    parsed: dict[str, tuple] = {}

    for row in rows:
        line = row.line
        before = len(check.problems)
        code = check.code(line, "customer", row["customer"], CODE_PATTERN)
        name = " ".join(row["name"].split())
        if not name:
            check.add(line, "name", "is required")
        elif len(name) > _NAME_LENGTH:
            check.add(line, "name", f"is {len(name)} characters long; at most {_NAME_LENGTH}")
        id_number = normalize_id_number(row["id_number"])
        if id_number and (problem := id_number_problem(id_number)):
            check.add(line, "id_number", problem)
        outlet_id = _outlet(check, line, row["home_outlet"], outlets)
        manager_id = None
        if manager_code := row["relationship_manager"]:
            manager_id = managers.get(manager_code, (None,))[0]
            if manager_id is None:
                check.add(
                    line, "relationship_manager", f"staff member '{manager_code}' is not known; import the staff first"
                )
        groups = _groups(check, line, row["groups"])
        if code and code in seen:
            check.add(line, "customer", f"customer '{code}' is already on line {seen[code]}")
            continue
        if code:
            seen[code] = line
        if len(check.problems) == before:
            parsed[code] = (name, id_number, outlet_id, manager_id, groups)
    check.raise_if_any()

    result = ImportResult()
    fields = ("name", "id_number", "home_outlet", "relationship_manager", "groups")
    with transaction.atomic():
        existing = _by_code(Customer.objects.all(), set(parsed), "pk", *fields)
        to_create, to_update = [], []
        attributes = [f"{field}_id" if field in _FOREIGN_KEYS else field for field in fields]
        for code, values in parsed.items():
            stored = existing.get(code)
            if stored is None:
                to_create.append(Customer(code=code, **dict(zip(attributes, values, strict=True))))
            elif tuple(stored[1:]) != values:
                to_update.append((stored[0], *values))
            else:
                result.unchanged += 1
        Customer.objects.bulk_create(to_create, batch_size=2000)
        _update_customers(to_update)
    result.created, result.updated = len(to_create), len(to_update)
    return result


def snapshots_import(*, rows: list[CsvRow]) -> ImportResult:
    """Create or replace monthly AUM snapshots from CSV rows (SNAPSHOT_COLUMNS), keyed on (customer, month).

    - customer: an id already imported; month: YYYY-MM, not after the current month.
    - deposits, wealth, funds, insurance, bonds: the month-end balances in 元, ≥ 0 with at most two
      decimals; an empty cell is 0. aum_avg_daily: the month's average daily AUM (月日均, what the tier
      follows), required, in 元, ≥ 0, at most two decimals.
    - a customer and month once per file.

    Writing: the existing snapshots of the file's customers and months are read in bulk and compared in
    memory; changed ones are deleted and inserted again with the new ones (COPY on PostgreSQL), in one
    transaction, so a file of a hundred thousand rows takes seconds. A month already tiered is not
    tiered again by the import: run `tier_customers --month` for it (README, "Customers by tier").
    """
    check = Checker()
    customers = _by_code(Customer.objects.all(), {row["customer"] for row in rows}, "pk")
    latest = timezone.localdate().replace(day=1)
    months: dict[str, datetime.date | str] = {}
    seen: dict[tuple[int, datetime.date], int] = {}
    parsed: dict[tuple[int, datetime.date], tuple[Decimal, ...]] = {}

    for row in rows:
        line = row.line
        before = len(check.problems)
        customer_id = None
        if not (code := row["customer"]):
            check.add(line, "customer", "is required (a customer id)")
        elif (customer_id := customers.get(code, (None,))[0]) is None:
            check.add(line, "customer", f"customer '{code}' is not known; import the customers first")
        month = _month(check, line, row["month"], months, latest)
        amounts = tuple(_amount(check, line, row[field], field) for field in _SNAPSHOT_FIELDS)
        if len(check.problems) > before:
            continue
        key = (customer_id, month)
        if key in seen:
            check.add(line, "month", f"customer '{code}' already has {month:%Y-%m} on line {seen[key]}")
            continue
        seen[key] = line
        parsed[key] = amounts
    check.raise_if_any()

    result = ImportResult()
    with transaction.atomic():
        existing = _existing_snapshots(parsed)
        fresh, replaced = [], []
        for key, amounts in parsed.items():
            stored = existing.get(key)
            if stored is None:
                fresh.append(key)
            elif stored != amounts:
                replaced.append(key)
            else:
                result.unchanged += 1
        _delete_snapshots(replaced)
        written = [*fresh, *replaced]
        insert_frame(
            Snapshot,
            pd.DataFrame(
                [(customer_id, month, *parsed[customer_id, month]) for customer_id, month in written],
                columns=["customer_id", "month", *_SNAPSHOT_FIELDS],
            ),
        )
    result.created, result.updated = len(fresh), len(replaced)
    return result


# -- checks ------------------------------------------------------------------------------------------


def _outlet(check: Checker, line: int, code: str, outlets: dict[str, tuple]) -> int | None:
    if not code:
        check.add(line, "home_outlet", "is required (an outlet code)")
        return None
    if code not in outlets:
        check.add(line, "home_outlet", f"unit '{code}' is not known; import the units first")
        return None
    pk, kind, status = outlets[code]
    if kind != UnitKind.OUTLET:
        check.add(line, "home_outlet", f"'{code}' is a {kind}, not an outlet; a customer belongs to an outlet")
        return None
    if status != UnitStatus.ACTIVE:
        check.add(line, "home_outlet", f"outlet '{code}' is closed; give the outlet that took over its customers")
        return None
    return pk


def _groups(check: Checker, line: int, text: str) -> int | None:
    mask = 0
    for part in text.split(GROUP_SEPARATOR) if text else []:
        code = part.strip().lower()
        if not code:
            continue
        group = GROUP_BY_CODE.get(code)
        if group is None:
            hint = f"; separate groups with '{GROUP_SEPARATOR}'" if re.search(r"[,;/\s]", code) else ""
            check.add(line, "groups", f"'{part.strip()}' is not a group (one of {', '.join(GROUP_BY_CODE)}){hint}")
            return None
        mask |= group
    return int(mask)  # a plain int: the database drivers adapt an IntFlag slowly or not at all


def _month(
    check: Checker, line: int, text: str, seen: dict[str, datetime.date | str], latest: datetime.date
) -> datetime.date | None:
    """Parse a month once per distinct string (a file holds a handful of months in many rows)."""
    if not text:
        check.add(line, "month", "is required (a month as YYYY-MM, such as 2026-11)")
        return None
    month = seen.get(text)
    if month is None:
        try:
            month = parse_month(text)
        except ValueError as error:
            month = str(error)
        else:
            if month > latest:
                month = f"{text} has not begun yet (the latest month is {latest:%Y-%m})"
        seen[text] = month
    if isinstance(month, str):
        check.add(line, "month", month)
        return None
    return month


def _amount(check: Checker, line: int, text: str, field: str) -> Decimal | None:
    if not text:
        if field == "aum_avg_daily":
            check.add(line, field, "is required (the month's average daily AUM in 元, such as 52000.00)")
            return None
        return Decimal(0)
    if _PLAIN.match(text):
        return Decimal(text)  # the usual case, checked by the pattern alone
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        # The slow path says what is wrong, and reads thousands separators (1,234.56).
        number = check.decimal(line, field, text)
        if number is None:
            return None
    if number < 0:
        check.add(line, field, f"'{text}' is negative; amounts are 0 or more (元)")
        return None
    if number >= _TOO_LARGE:
        check.add(line, field, f"'{text}' is too large (less than {_TOO_LARGE:,} 元)")
        return None
    if number.as_tuple().exponent < -_PLACES and number != number.quantize(_CENT):
        check.add(line, field, f"'{text}' has more than {_PLACES} decimal places (amounts are in 元 and fen)")
        return None
    return number.quantize(_CENT)


# -- bulk reads --------------------------------------------------------------------------------------


def _chunks(items: Iterable) -> Iterator[list]:
    items = list(items)
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


# The reads below are plain SQL: Django's `__in` lookup prepares every value of a 5,000-value list, which
# took most of the time of a large file.


def _by_code(queryset, codes: set[str], *fields: str) -> dict[str, tuple]:
    """code → (fields…) for the non-empty `codes` of the queryset's table, CHUNK codes per query."""
    table = queryset.model._meta.db_table
    meta = queryset.model._meta
    columns = ", ".join(f'"{meta.pk.column if field == "pk" else meta.get_field(field).column}"' for field in fields)
    found: dict[str, tuple] = {}
    with connection.cursor() as cursor:
        for chunk in _chunks(code for code in codes if code):
            placeholders = ", ".join(["%s"] * len(chunk))
            cursor.execute(f'SELECT "code", {columns} FROM "{table}" WHERE "code" IN ({placeholders})', chunk)
            for code, *values in cursor.fetchall():
                found[code] = tuple(values)
    return found


def _snapshot_pairs(month: datetime.date, customer_ids: list[int], *, columns: str) -> Iterator[tuple[str, list]]:
    """(SQL, parameters) per CHUNK customers of one month: `… WHERE month = %s AND customer_id IN (…)`."""
    for chunk in _chunks(customer_ids):
        placeholders = ", ".join(["%s"] * len(chunk))
        where = f'WHERE "month" = %s AND "customer_id" IN ({placeholders})'
        yield f'{columns} FROM "{Snapshot._meta.db_table}" {where}', [month, *chunk]


def _by_month(keys: Iterable[tuple[int, datetime.date]]) -> dict[datetime.date, list[int]]:
    by_month: dict[datetime.date, list[int]] = {}
    for customer_id, month in keys:
        by_month.setdefault(month, []).append(customer_id)
    return by_month


def _existing_snapshots(
    keys: Iterable[tuple[int, datetime.date]],
) -> dict[tuple[int, datetime.date], tuple[Decimal, ...]]:
    existing = {}
    select = "SELECT " + ", ".join(f'"{column}"' for column in ("customer_id", *_SNAPSHOT_FIELDS))
    with connection.cursor() as cursor:
        for month, customer_ids in _by_month(keys).items():
            for sql, parameters in _snapshot_pairs(month, customer_ids, columns=select):
                cursor.execute(sql, parameters)
                for customer_id, *amounts in cursor.fetchall():
                    # SQLite hands back floats or text, PostgreSQL Decimals: compare as Decimals in cents.
                    existing[customer_id, month] = tuple(Decimal(str(amount)).quantize(_CENT) for amount in amounts)
    return existing


def _update_customers(rows: list[tuple]) -> None:
    """Write the changed customers: bulk_update's CASE … WHEN statements take minutes for a hundred
    thousand rows. PostgreSQL takes one UPDATE … FROM (VALUES …) per page, SQLite an executemany.
    `rows`: (pk, name, id_number, home outlet pk, manager pk, groups)."""
    if not rows:
        return
    table = Customer._meta.db_table
    columns = ("name", "id_number", "home_outlet_id", "relationship_manager_id", "groups")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg2.extras import execute_values

            assignments = ", ".join(f'"{column}" = v."{column}"' for column in columns)
            names = ", ".join(f'"{column}"' for column in ("id", *columns))
            execute_values(
                cursor.cursor,
                f'UPDATE "{table}" AS c SET {assignments} FROM (VALUES %s) AS v({names}) WHERE c."id" = v."id"',
                rows,
                template="(%s::bigint, %s, %s, %s::bigint, %s::bigint, %s::smallint)",
                page_size=CHUNK,
            )
        else:
            assignments = ", ".join(f'"{column}" = %s' for column in columns)
            cursor.executemany(
                f'UPDATE "{table}" SET {assignments} WHERE "id" = %s', [(*row[1:], row[0]) for row in rows]
            )


def _delete_snapshots(keys: Iterable[tuple[int, datetime.date]]) -> None:
    with connection.cursor() as cursor:
        for month, customer_ids in _by_month(keys).items():
            for sql, parameters in _snapshot_pairs(month, customer_ids, columns="DELETE"):
                cursor.execute(sql, parameters)
