"""A named lock that survives nothing: released when the holder finishes, fails or dies.

On PostgreSQL it is a session-level advisory lock (released by the server if the connection drops);
on SQLite, the embedded default, an flock on a file beside the database file (released if the
process dies), or a thread lock for an in-memory database. Used so that two rollups never
interleave, whichever worker or command started them.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)


class LockTimeout(Exception):
    pass


def _key(name: str) -> int:
    # A stable signed 64-bit integer for pg_advisory_lock.
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def named_lock(
    name: str, *, timeout: float = 3600.0, poll: float = 0.5, on_wait: Callable[[], None] | None = None
) -> Iterator[None]:
    """Hold the lock `name` for the block. `on_wait` is called between tries while another holder has it
    (a job's heartbeat: waiting for the lock is not being dead)."""
    deadline = time.monotonic() + timeout
    if connection.vendor == "postgresql":
        key = _key(name)
        with connection.cursor() as cursor:
            while True:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
                if cursor.fetchone()[0]:
                    break
                if time.monotonic() > deadline:
                    raise LockTimeout(f"'{name}' is still held by another process after {timeout:.0f}s")
                if on_wait is not None:
                    on_wait()
                time.sleep(poll)
        try:
            yield
        finally:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
            except DatabaseError:
                # The connection broke under the holder: the server releases a session's locks when the
                # session ends. Raising here would hide why the holder failed.
                logger.warning("could not release '%s' on a broken connection", name, exc_info=True)
        return

    database = str(connection.settings_dict["NAME"])
    if "memory" in database:
        # An in-memory database (the test suite) exists only in this process: a thread lock suffices.
        lock = _memory_locks.setdefault(name, threading.Lock())
        while not lock.acquire(timeout=poll):
            if time.monotonic() > deadline:
                raise LockTimeout(f"'{name}' is still held after {timeout:.0f}s")
            if on_wait is not None:
                on_wait()
        try:
            yield
        finally:
            lock.release()
        return

    # Beside the database file, so that two projects (or two databases) never share a lock.
    path = Path(f"{database}.{hashlib.sha256(name.encode()).hexdigest()[:12]}.lock")
    with open(path, "w") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LockTimeout(f"'{name}' is still held by another process after {timeout:.0f}s")
                if on_wait is not None:
                    on_wait()
                time.sleep(poll)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


_memory_locks: dict[str, threading.Lock] = {}


def transaction_lock(name: str) -> None:
    """Take the lock `name` until the current transaction ends (PostgreSQL's pg_advisory_xact_lock).

    For writers that must not interleave with a short critical section of another (a stale mark and the
    rollup's reading of what it has seen). SQLite needs nothing: it runs one writing transaction at a
    time anyway.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_key(name)])
