"""The signed-in user's overdue action items, for the strip on their own scorecard (their page of the
morning, templates/meetings/_my_overdue_actions.html). Lazy: read only when a template shows them."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from meetings.selectors import overdue_action_items_of


def overdue_action_items(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "my_overdue_actions": SimpleLazyObject(
            lambda: list(overdue_action_items_of(user).select_related("meeting__unit").order_by("due", "pk")[:20])
        )
    }
