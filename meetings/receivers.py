"""How meetings listens to the apps it may not import (connected in MeetingsConfig.ready())."""

from __future__ import annotations

from meetings.services import action_items_close_linked


def close_linked_action_items(sender, *, pks, **kwargs) -> None:
    """lib.links.objects_closed: objects of `sender` (an alert, verified or cleared by itself) closed; the
    open action items linked to them are done too. One UPDATE, in the sender's process: it is sent after
    the sender's transaction has committed, and a failure is logged by the sender (send_robust) and made
    up by the hourly reconciliation (meetings.tasks.reconcile_action_items)."""
    action_items_close_linked(model=sender, pks=pks)
