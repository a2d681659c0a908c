"""The header's menu for every page (staff.access.menu_for): the template asks `menu`, never a role."""

from __future__ import annotations

from staff.access import menu_for


def menu(request) -> dict:
    user = getattr(request, "user", None)
    return {"menu": menu_for(user)} if user is not None else {}
