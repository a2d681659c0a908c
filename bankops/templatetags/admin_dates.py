"""The admin change list's date drill-down, from the range of a big table's dates (lib/admin_dates.py)."""

from django import template

from lib.admin_dates import range_date_hierarchy as _range_date_hierarchy

register = template.Library()


@register.inclusion_tag("admin/date_hierarchy.html")
def range_date_hierarchy(cl) -> dict:
    return _range_date_hierarchy(cl)
