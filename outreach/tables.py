"""The outreach tables, declared once (lib.tables): a list's customers, downloaded from its page
(?export=csv|xlsx, with the personal-data right) and read by the API's fields."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from lib.tables import BOOLEAN, DATE, DECIMAL, INTEGER, Column, Table
from outreach.selectors import aum_band, tier_name
from staff.access import Scope


def assignments_table(*, scope: Scope, tier_names: dict[str, str] | None = None) -> Table:
    """A list's customers in list order; names as `scope` may see them; the tier by its name
    (outreach.selectors.list_tier_names) beside its code."""
    names = tier_names or {}
    return Table(
        Column("position", _("No."), "position", kind=INTEGER),
        Column("code", _("Customer id"), lambda row: row.customer.code),
        Column("name", _("Name"), lambda row: scope.person_name(row.customer.name)),
        Column("outlet", _("Home outlet"), "customer.home_outlet.code"),
        Column("tier_code", _("Tier (code)"), "tier_code"),
        Column("tier", _("Tier"), lambda row: tier_name(names, row.tier_code)),
        Column("aum", _("Average daily AUM (元)"), "aum_avg_daily", kind=DECIMAL, places=2),
        Column("band", _("AUM band"), lambda row: aum_band(row.aum_avg_daily)),
        Column("staff_code", _("Assigned to (code)"), lambda row: row.staff.code if row.staff_id else ""),
        Column("staff", _("Assigned to"), lambda row: scope.person_name(row.staff.name) if row.staff_id else ""),
        Column("outcome", _("Last outcome"), lambda row: row.get_last_outcome_display()),
        Column("first_contact", _("First contact"), "first_contact_on", kind=DATE),
        Column("signed_up", _("Signed up"), "converted_on", kind=DATE),
        Column("next_follow_up", _("Next follow-up"), "next_follow_up", kind=DATE),
        Column("product", _("Product of interest"), "product_interest"),
        Column("do_not_contact", _("Do not disturb"), "do_not_contact", kind=BOOLEAN),
    )
