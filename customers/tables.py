"""The tables of the customers-by-tier page, declared once (lib.tables) and downloaded from it
(?export=csv|xlsx&table=matrix or moved_down)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from customers.selectors import Matrix, MatrixRow
from lib.tables import DECIMAL, INTEGER, Column, Table
from staff.access import Scope


def matrix_table(matrix: Matrix) -> Table:
    """From-tier rows × to-tier columns (lost last), with the row totals; `matrix_rows` adds the totals
    row."""
    return Table(
        Column("from", _("From tier (last month) \\ to tier (this month)"), lambda row: row.name or _("New")),
        *(
            Column(f"to-{code}", name or _("Lost"), lambda row, index=index: row.counts[index], kind=INTEGER)
            for index, (code, name) in enumerate(matrix.columns)
        ),
        Column("total", _("Total"), "total", kind=INTEGER),
    )


def matrix_rows(matrix: Matrix) -> list[MatrixRow]:
    """The matrix's rows, then the column totals as a last row."""
    totals = MatrixRow(code="", name=_("Total"), counts=matrix.column_totals, total=matrix.customers)
    return [*matrix.rows, totals]


def moved_down_table(*, scope: Scope) -> Table:
    """The moved-down customers; personal data masked as on the page (the name and identity number come
    masked from the selector; the relationship manager's name is shown as `scope` may see it)."""
    return Table(
        Column("code", _("Customer id"), "code"),
        Column("name", _("Name"), "name"),
        Column("id_number", _("Identity number"), "id_number"),
        Column("outlet_code", _("Outlet code"), "outlet.code"),
        Column("outlet", _("Outlet"), "outlet.name"),
        Column("manager_code", _("Relationship manager code"), "manager.code"),
        Column(
            "manager",
            _("Relationship manager"),
            lambda row: scope.person_name(row.manager.name) if row.manager else "",
        ),
        Column("from_tier", _("Tier last month"), "from_name"),
        Column("to_tier", _("Tier this month"), "to_name"),
        Column("fall", _("Tiers down"), "fall", kind=INTEGER),
        Column("aum_before", _("Average daily AUM last month (元)"), "aum_before", kind=DECIMAL, places=2),
        Column("aum_now", _("Average daily AUM this month (元)"), "aum_now", kind=DECIMAL, places=2),
        Column("aum_change", _("Change (元)"), "aum_change", kind=DECIMAL, places=2),
    )


def prospects_table(*, scope: Scope) -> Table:
    """The prospects of an outlet as the page lists them and the export writes them: name, phone and
    identity number through the reader's scope (masked unless they may read personal data)."""
    return Table(
        Column("id", _("Number"), "pk", kind=INTEGER),
        Column("outlet", _("Outlet code"), "outlet.code"),
        Column("territory", _("Territory"), lambda row: row.territory.name if row.territory_id else ""),
        Column("place", _("Place"), "place"),
        Column("name", _("Name"), lambda row: scope.person_name(row.name)),
        Column("phone", _("Phone"), lambda row: scope.phone(row.phone)),
        Column("id_number", _("Identity number"), lambda row: scope.id_number(row.id_number)),
        Column("interest", _("Interest"), lambda row: row.get_interest_display()),
        Column("captured_by", _("Taken down by"), lambda row: row.captured_by.code if row.captured_by_id else ""),
        Column("captured_on", _("Date"), lambda row: row.captured_on.isoformat()),
        Column("status", _("Status"), lambda row: row.get_status_display()),
        Column(
            "customer", _("Customer id"), lambda row: scope.customer_code(row.customer.code) if row.customer_id else ""
        ),
    )
