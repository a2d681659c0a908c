"""Data made once for a whole test module (or class), for the tests that only read it.

A seeded demo or a month rolled up costs seconds; a module whose tests all read the same one makes it
once in a fixture of scope "module":

    @pytest.fixture(scope="module")
    def demo(django_db_setup, django_db_blocker):
        with shared_data(django_db_blocker):
            with as_in_a_test(SCORECARD_RETENTION_DAYS=100_000):
                call_command("seed_demo", …)
            yield

The data is written inside a transaction that is rolled back when the module ends, so nothing of it
outlives the module; each test of the module runs, as a `django_db` test does, in a savepoint of its own
inside it, so what a test writes is gone before the next one starts and the tests stay independent of
their order. A transactional test (`transaction=True`, a live server) cannot share such data: its
TRUNCATE at the end would see it.

A module fixture is made before the function fixtures of the first test that asks for it, the autouse
ones of tests/conftest.py included, so `as_in_a_test` sets what those set for a test (eager Celery, no
background thread, fast password hashing, no API throttle, the default language) while the data is
made, and the settings given to it.
"""

from __future__ import annotations

import contextlib
import copy

from django.db import connection, transaction
from django.test import override_settings
from django.utils import translation

from bankops.celery import app as celery_app

# What tests/conftest.py's autouse fixtures set for every test.
TEST_SETTINGS = {
    "BACKGROUND_THREAD": False,
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    "API_THROTTLE_RATE": None,
    "API_AUTH_FAILURE_RATE": None,
}


def a_copy(shared):
    """What a test is handed of shared objects: a deep copy, as Django's TestCase.setUpTestData hands
    out its attributes, so a test that changes an object in memory (an attribute set, a cached relation,
    refresh_from_db) leaves the next test's objects as they were made."""
    return copy.deepcopy(shared)


# How many shared_data blocks are open (a class's may be inside a module's).
_open = [0]


@contextlib.contextmanager
def shared_data(django_db_blocker):
    """The database open and a transaction begun for data that a module's tests share; rolled back on
    exit, whatever happened inside."""
    with django_db_blocker.unblock(), transaction.atomic():
        _open[0] += 1
        try:
            yield
        finally:
            _open[0] -= 1
            transaction.set_rollback(True)


def shared_data_check() -> None:
    """Check the foreign keys of the shared data just made, once (tests/conftest.py calls it after each
    module or class fixture), as a test's end checks what the test wrote.

    On PostgreSQL the foreign keys are checked at the end of a transaction (DEFERRABLE INITIALLY
    DEFERRED); a test's end checks them at once (Django's TestCase: SET CONSTRAINTS ALL IMMEDIATE) before
    its savepoint is rolled back, and that rollback puts every check it fired back in the queue, those of
    the shared data too. Left unchecked, the shared data's checks ran again at the end of every test of
    the module: 0.3–2 s a test after a seeded demo, where its tests took milliseconds. Checked here, in
    the shared transaction itself, they are done and leave the queue for good; a test's end checks what
    the test wrote. SQLite has no such queue (its check reads every table whatever was written): nothing
    to gain there."""
    if _open[0] and connection.vendor == "postgresql" and connection.in_atomic_block:
        connection.check_constraints()


@contextlib.contextmanager
def as_in_a_test(**settings):
    """What tests/conftest.py's autouse fixtures set for a test, and these `settings`, while shared data
    is made."""
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = celery_app.conf.task_eager_propagates = True
    translation.deactivate()
    try:
        with override_settings(**{**TEST_SETTINGS, **settings}):
            yield
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous
        translation.deactivate()
