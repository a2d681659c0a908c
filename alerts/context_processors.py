"""The header badge: how many alerts and reviews wait for the signed-in user (alerts.selectors.badge_count).

Lazy: the count is read only when a template shows it (base.html's nav), so a download, a redirect or a
JSON answer does not pay for it, and the page that shows it pays one query, once.
"""

from __future__ import annotations

from functools import cached_property

from alerts.selectors import badge_count
from staff.access import has_follow_up_work
from staff.models import User


class LazyCount:
    """An int read on first use ({{ alert_badge }}, {% if alert_badge %}, == 3 in a test)."""

    def __init__(self, user: User) -> None:
        self._user = user

    @cached_property
    def value(self) -> int:
        return badge_count(self._user)

    def __int__(self) -> int:
        return self.value

    __index__ = __int__

    def __bool__(self) -> bool:
        return bool(self.value)

    def __eq__(self, other) -> bool:
        return self.value == int(other) if isinstance(other, (int, LazyCount)) else NotImplemented

    def __hash__(self) -> int:
        return hash(self.value)

    def __str__(self) -> str:
        return str(self.value)

    __repr__ = __str__


def alert_badge(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if not has_follow_up_work(user):
        return {}
    return {"alert_badge": LazyCount(user)}
