"""Thin Celery tasks of meetings: each calls a service, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from meetings.services import action_items_reconcile


@shared_task(acks_late=True)
def reconcile_action_items() -> int:
    """Close the open action items whose linked object closed without its announcement reaching us
    (lib.links.objects_closed lost with a stopped worker). One UPDATE per kind; a rerun finds nothing."""
    return action_items_reconcile()
