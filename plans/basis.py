"""How a proposed target was reached (PlanCell.basis): a short code stored with the cell and said in the
reader's language wherever it is shown (the grid, the preview, the workbook).

    hand                    typed on the page, uploaded or sent through the API
    equal                   an equal share of the parent's target
    level                   the parent's level (a ratio is a level: every part gets it)
    sum                     the sum of the rows below (a unit's week at the Monday meeting)
    share:2026-10           in proportion to each part's actual in 2026-10
    floored:2026-10         that actual was below 0 (or missing): counted as 0, so no share
    fallback:2026-10        no usable actual in 2026-10: equal shares instead
    copy:1.05               last period's target × 1.05
    pace:2026-11-24         the Monday meeting: what each remaining day of the month must bring, as of
                            2026-11-24
    season:1.2              a year's (or quarter's) part by a seasonal weight of 1.2
"""

from __future__ import annotations

from django.utils.translation import gettext as _

HAND = "hand"
EQUAL = "equal"
LEVEL = "level"
SUM = "sum"


def share(period_code: str) -> str:
    return f"share:{period_code}"


def floored(period_code: str) -> str:
    return f"floored:{period_code}"


def fallback(period_code: str) -> str:
    return f"fallback:{period_code}"


def copy(factor: str) -> str:
    return f"copy:{factor}"


def pace(as_of: str) -> str:
    return f"pace:{as_of}"


def season(weight: str) -> str:
    return f"season:{weight}"


def basis_label(code: str) -> str:
    """The basis in the reader's language ("" for none)."""
    if not code:
        return ""
    kind, _sep, detail = code.partition(":")
    if kind == HAND:
        return _("by hand")
    if kind == EQUAL:
        return _("equal share")
    if kind == LEVEL:
        return _("the parent's level")
    if kind == SUM:
        return _("the sum of the rows below")
    if kind == "share":
        return _("in proportion to the actual of %(period)s") % {"period": detail}
    if kind == "floored":
        return _("actual of %(period)s is 0, below 0 or missing: counted as 0, no share") % {"period": detail}
    if kind == "fallback":
        return _("no actual above 0 in %(period)s: equal shares instead") % {"period": detail}
    if kind == "copy":
        return _("last period's target × %(factor)s") % {"factor": detail}
    if kind == "pace":
        return _("what each remaining day of the month must bring, as of %(day)s") % {"day": detail}
    if kind == "season":
        return _("seasonal weight %(weight)s") % {"weight": detail}
    return code
