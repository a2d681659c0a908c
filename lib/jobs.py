"""What long-running jobs (the rollup, the tiering) share to stay truthful about themselves.

- A heartbeat: a running job touches its run row (`heartbeat_at`) as it advances and while it waits for
  its lock, so "running" can be told from "its worker died" (a stale heartbeat). Throttled, so a job
  that reports progress often writes at most one heartbeat every HEARTBEAT_EVERY seconds.
- Failures are recorded on a connection of their own: the job's connection may be what failed (the
  server dropped it, a statement left the transaction aborted), and a failure recorded on it would
  fail in turn and leave the run "running" for ever.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.db.models import QuerySet
from django.db.models.sql import UpdateQuery
from django.db.models.sql.constants import ROW_COUNT
from django.utils import timezone

logger = logging.getLogger(__name__)

# A running job writes its heartbeat at most this often (seconds).
HEARTBEAT_EVERY = 20.0


def heartbeat(queryset: QuerySet, *, every: float = HEARTBEAT_EVERY, **values) -> Callable[..., None]:
    """A function that sets `heartbeat_at` (and `values`, and whatever it is called with) on the rows of
    `queryset`: at once when called with values, at most every `every` seconds when called bare."""
    last = [float("-inf")]

    def beat(**changes) -> None:
        now = time.monotonic()
        if not changes and now - last[0] < every:
            return
        last[0] = now
        queryset.update(heartbeat_at=timezone.now(), **values, **changes)

    return beat


def record_on_fresh_connection(queryset: QuerySet, **values) -> int:
    """UPDATE the rows of `queryset` with `values` on a new database connection, whatever state the
    current one is in; the current one is then dropped if it is broken, so the next job opens another.

    Inside a transaction of the caller's (a management command wrapping the job, the test suite) the
    rows may exist only in that transaction: the current connection is used then, in a savepoint. A
    failure to record is logged, never raised over the job's own exception.
    """
    try:
        if connection.in_atomic_block:
            with transaction.atomic():
                return queryset.update(**values)
        fresh = connections.create_connection(queryset.db or DEFAULT_DB_ALIAS)
        try:
            query = queryset.query.chain(UpdateQuery)
            query.add_update_values(values)
            return query.get_compiler(connection=fresh).execute_sql(ROW_COUNT)
        finally:
            fresh.close()
            if connection.connection is not None and not connection.is_usable():
                connection.close()
    except DatabaseError:
        logger.exception("could not record %s on %s", values, queryset.model.__name__)
        return 0
