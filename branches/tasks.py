from __future__ import annotations

from celery import shared_task

from branches.services import peer_groups_rebuild as rebuild


@shared_task(name="branches.tasks.peer_groups_rebuild")
def peer_groups_rebuild() -> int:
    """Nightly (see CELERY_BEAT_SCHEDULE): default peer groups follow the tree. Idempotent."""
    return rebuild()
