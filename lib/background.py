"""Background work for the embedded default, which has no broker and no worker.

With no REDIS_URL, Celery runs tasks eagerly: in the caller. For the heavy ones (a rollup of a backlog
of days after a facts POST) that made a request wait for minutes. A task declared with
`base=InBackgroundWhenEager` is instead handed to one daemon thread of the web process, which runs
such calls one after the other; the caller gets its answer at once. Calls still waiting with the same
task and arguments are run once (ten batches of facts queue one pending rollup, not ten).

This is the embedded default's worker and no more: it lives and dies with the process. What it was
doing when the process stopped is safe to lose, because every such task is safe to run twice and its
work is recorded as pending in the database (a stale day) until it is done; the next call picks it up.
With a broker (REDIS_URL) the tasks go to the Celery workers as usual, and settings.BACKGROUND_THREAD
(on by default only without a broker; off in the test suite, which runs tasks in the caller) turns
this off.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Hashable

from celery import Task
from celery.utils import uuid
from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)


class BackgroundThread:
    """One daemon thread that runs submitted callables in order, started on first use."""

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[Hashable, Callable[[], object]]] = queue.Queue()
        self._waiting: set[Hashable] = set()
        self._unfinished = 0
        self._lock = threading.Condition()
        self._thread: threading.Thread | None = None

    def submit(self, key: Hashable, work: Callable[[], object]) -> bool:
        """Queue `work` unless a call with the same key is still waiting; True if queued."""
        with self._lock:
            if key in self._waiting:
                return False
            self._waiting.add(key)
            self._unfinished += 1
            self._queue.put((key, work))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="bankops-background", daemon=True)
                self._thread.start()
        return True

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until everything submitted has run; False if `timeout` passed first."""
        with self._lock:
            return self._lock.wait_for(lambda: self._unfinished == 0, timeout=timeout)

    def _run(self) -> None:
        while True:
            key, work = self._queue.get()
            with self._lock:
                self._waiting.discard(key)
            try:
                work()
            except Exception:
                logger.exception("background task %s failed", key)
            finally:
                # The thread's own database connection: not kept open between tasks.
                connection.close()
                with self._lock:
                    self._unfinished -= 1
                    self._lock.notify_all()


background = BackgroundThread()


def in_background() -> bool:
    return bool(getattr(settings, "BACKGROUND_THREAD", False))


class InBackgroundWhenEager(Task):
    """A Celery task that, when Celery runs eagerly and settings.BACKGROUND_THREAD is on, runs in the
    background thread instead of in the caller (delay() and apply_async() return at once)."""

    def apply_async(self, args=None, kwargs=None, task_id=None, producer=None, link=None, link_error=None, **options):
        if not (self.app.conf.task_always_eager and in_background()):
            return super().apply_async(args, kwargs, task_id, producer, link, link_error, **options)
        task_id = task_id or uuid()
        key = (self.name, repr(args), repr(sorted((kwargs or {}).items())))
        background.submit(key, lambda: self.apply(args, kwargs, task_id=task_id, link=link, link_error=link_error))
        return self.AsyncResult(task_id)
