"""Customers and their monthly AUM snapshots in: the `customers` and `customer_snapshots` kinds of
`import_csv` and of the admin upload (customers.admin).

Both are all or nothing, like every import: every row is checked against the reference data read in
bulk (a fixed number of queries per few thousand codes, never one per row), every problem is reported
with its line and column, and only a file without problems is written, in one transaction.

Names and identity numbers are personal data (DOMAIN.md §6): a problem about them says what is wrong
and never repeats the value. Nothing here logs.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal

import pandas as pd
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from branches.models import CODE_PATTERN, OrgUnit, UnitKind, UnitStatus, unit_kind_noun
from customers.models import GROUP_BY_CODE, MONEY, Customer, Snapshot
from customers.services.prospects import prospects_convert
from lib.bulk import insert_frame
from lib.csvimport import (
    CHUNK,
    Checker,
    Column,
    Columns,
    CsvRow,
    ImportResult,
    Parser,
    chunked,
    codes_lookup,
    decimal,
    known,
    valid_code,
)
from lib.csvimport import month as csvimport_month
from lib.identity import id_number_problem, normalize_id_number
from staff.models import StaffMember

# Groups of a customer in one cell: `young|merchant`. Not `,` (the CSV's own separator, which would
# need quoting) and not `;` (Excel's separator in some locales).
GROUP_SEPARATOR = "|"
COMPONENTS = ("deposits", "wealth", "funds", "insurance", "bonds")

_NAME_LENGTH = Customer._meta.get_field("name").max_length
_PLACES = MONEY["decimal_places"]
_CENT = Decimal(1).scaleb(-_PLACES)
_TOO_LARGE = Decimal(10) ** (MONEY["max_digits"] - _PLACES)
# An amount as extracts write it: digits, at most two decimals, less than _TOO_LARGE. ASCII digits only
# (re.ASCII): any other is left to lib.csvimport.decimal, the one number grammar (full-width read, others not).
_PLAIN = re.compile(rf"^\d{{1,{MONEY['max_digits'] - _PLACES}}}(?:\.\d{{1,{_PLACES}}})?$", re.ASCII)
_SNAPSHOT_FIELDS = (*COMPONENTS, "aum_avg_daily")
_FOREIGN_KEYS = frozenset({"home_outlet", "relationship_manager"})


# -- reading the cells -------------------------------------------------------------------------------


def _name(text: str) -> str:
    name = " ".join(text.split())
    if len(name) > _NAME_LENGTH:
        raise ValueError(
            gettext("is %(length)s characters long; at most %(most)s") % {"length": len(name), "most": _NAME_LENGTH}
        )
    return name


def _id_number(text: str) -> str:
    number = normalize_id_number(text)
    if problem := id_number_problem(number):
        raise ValueError(problem)
    return number


def _groups(text: str) -> int:
    mask = 0
    for part in text.split(GROUP_SEPARATOR):
        code = part.strip().lower()
        if not code:
            continue
        group = GROUP_BY_CODE.get(code)
        if group is None:
            words = {"group": part.strip(), "groups": ", ".join(GROUP_BY_CODE), "separator": GROUP_SEPARATOR}
            if re.search(r"[,;/\s]", code):
                message = gettext(
                    "'%(group)s' is not a group (one of %(groups)s); separate groups with '%(separator)s'"
                )
            else:
                message = gettext("'%(group)s' is not a group (one of %(groups)s)")
            raise ValueError(message % words)
        mask |= group
    return int(mask)  # a plain int: the database drivers adapt an IntFlag slowly or not at all


def _months(latest: datetime.date) -> Parser:
    """A month as YYYY-MM, not after `latest`; cached, as a file holds a handful of months in many rows."""

    @functools.cache
    def parse(text: str) -> datetime.date:
        month = csvimport_month(text)
        if month > latest:
            raise ValueError(
                gettext("%(month)s has not begun yet (the latest month is %(latest)s)")
                % {"month": text, "latest": f"{latest:%Y-%m}"}
            )
        return month

    return parse


def _amount(text: str) -> Decimal:
    if _PLAIN.match(text):
        return Decimal(text)  # the usual case, checked by the pattern alone
    number = decimal(text)  # says what is wrong, and reads thousands separators (1,234.56)
    if number < 0:
        raise ValueError(gettext("'%(value)s' is negative; amounts are 0 or more (元)") % {"value": text})
    if number >= _TOO_LARGE:
        raise ValueError(
            gettext("'%(value)s' is too large (less than %(most)s 元)") % {"value": text, "most": f"{_TOO_LARGE:,}"}
        )
    if number.as_tuple().exponent < -_PLACES and number != number.quantize(_CENT):
        raise ValueError(
            gettext("'%(value)s' has more than %(places)s decimal places (amounts are in 元 and fen)")
            % {"value": text, "places": _PLACES}
        )
    return number.quantize(_CENT)


CUSTOMER_COLUMNS = Columns(
    Column("customer", valid_code(CODE_PATTERN), required=True),
    Column("name", _name, required=True),
    Column("id_number", _id_number, default=""),
    Column("home_outlet", required=gettext_lazy("an outlet code")),
    Column("relationship_manager"),
    Column("groups", _groups, default=0),
)
SNAPSHOT_COLUMNS = Columns(
    Column("customer", required=gettext_lazy("a customer id")),
    Column("month", required=gettext_lazy("a month as YYYY-MM, such as 2026-11")),
    *(Column(field, _amount, default=Decimal(0)) for field in COMPONENTS),
    Column("aum_avg_daily", _amount, required=gettext_lazy("the month's average daily AUM in 元, such as 52000.00")),
)


def customers_import(*, rows: list[CsvRow]) -> ImportResult:
    """Create or update customers from CSV rows (CUSTOMER_COLUMNS), keyed on the customer id.

    - customer: the pseudonymous id (letters, digits, '_', '.', '-'; at most 32), once per file.
    - name: required, at most 60 characters. id_number: optional; an 18-character resident identity
      number with a valid date of birth and check digit, or a unified social credit code.
    - home_outlet: the code of an active outlet. relationship_manager: a staff code, or empty.
    - groups: codes of customers.models.Group separated by '|' (young|merchant), or empty.

    A customer imported again takes the file's values (an empty manager or groups clears them).
    Open prospects whose identity number a customer now carries are linked to it and marked converted
    (customers.services.prospects.prospects_convert), in the same transaction.
    """
    check = Checker()
    outlets = codes_lookup(OrgUnit, {row["home_outlet"] for row in rows}, "pk", "kind", "status")
    managers = codes_lookup(StaffMember, {row["relationship_manager"] for row in rows})
    parsed: dict[str, tuple] = {}
    for row in CUSTOMER_COLUMNS.parse(
        rows,
        check,
        home_outlet=known(outlets, gettext("unit '{}' is not known; import the units first")),
        relationship_manager=known(managers, gettext("staff member '{}' is not known; import the staff first")),
    ):
        outlet_id, outlet_code = None, row.text("home_outlet")
        if row["home_outlet"] is not None:
            pk, kind, status = row["home_outlet"]
            if kind != UnitKind.OUTLET:
                row.problem(
                    "home_outlet",
                    gettext("'%(code)s' is a %(kind)s, not an outlet; a customer belongs to an outlet")
                    % {"code": outlet_code, "kind": unit_kind_noun(kind)},
                )
            elif status != UnitStatus.ACTIVE:
                row.problem(
                    "home_outlet",
                    gettext("outlet '%(code)s' is closed; give the outlet that took over its customers")
                    % {"code": outlet_code},
                )
            else:
                outlet_id = pk
        if (code := row["customer"]) and (first := check.repeated(code, row.line)) is not None:
            row.problem(
                "customer", gettext("customer '%(code)s' is already on line %(first)s") % {"code": code, "first": first}
            )
            continue
        if row.ok:
            parsed[code] = (row["name"], row["id_number"], outlet_id, row["relationship_manager"], row["groups"])
    check.raise_if_any()

    result = ImportResult()
    fields = ("name", "id_number", "home_outlet", "relationship_manager", "groups")
    with transaction.atomic():
        existing = codes_lookup(Customer, parsed, "pk", *fields)
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
        # A prospect whose identity number a customer now carries has opened an account (客户信息表 → 开户).
        prospects_convert()
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
    customers = codes_lookup(Customer, {row["customer"] for row in rows})
    latest = timezone.localdate().replace(day=1)
    parsed: dict[tuple[int, datetime.date], tuple[Decimal, ...]] = {}
    for row in SNAPSHOT_COLUMNS.parse(
        rows,
        check,
        customer=known(customers, gettext("customer '{}' is not known; import the customers first")),
        month=_months(latest),
    ):
        if not row.ok:
            continue
        key = (row["customer"], row["month"])
        if (first := check.repeated(key, row.line)) is not None:
            row.problem(
                "month",
                gettext("customer '%(code)s' already has %(month)s on line %(first)s")
                % {"code": row.text("customer"), "month": f"{key[1]:%Y-%m}", "first": first},
            )
            continue
        parsed[key] = tuple(row[field] for field in _SNAPSHOT_FIELDS)
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


# -- bulk reads --------------------------------------------------------------------------------------
# The reads below are plain SQL: Django's `__in` lookup prepares every value of a 5,000-value list, which
# took most of the time of a large file.


def _snapshot_pairs(month: datetime.date, customer_ids: list[int], *, columns: str) -> Iterator[tuple[str, list]]:
    """(SQL, parameters) per CHUNK customers of one month: `… WHERE month = %s AND customer_id IN (…)`."""
    for chunk in chunked(customer_ids):
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
