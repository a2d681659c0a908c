"""facts_ingest, two at once (PostgreSQL): two batches carrying some of the same facts, sent together, leave
each fact once, with the value of the batch written last, and count what each of them did."""

from __future__ import annotations

import importlib
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, connections

from kpi.models import Fact, IngestBatch
from kpi.services import facts as facts_service
from kpi.services.facts import FACT_COLUMNS, facts_ingest
from lib.csvimport import read_csv

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="two writers at once: PostgreSQL's ingest lock (SQLite has one writer)"
)

HEADER = "date,unit,staff,metric,value\n"


@pytest.fixture
def catalog(transactional_db):
    """The standard metric catalog of kpi's data migration, installed again (an earlier transactional test
    leaves every table empty, data migrations' rows included)."""
    from django.apps import apps

    importlib.import_module("kpi.migrations.0002_standard_catalog").install_catalog(apps, None)


def _waiting_for_the_ingest_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_two_batches_with_the_same_facts_at_once_leave_each_fact_once(catalog, network, monkeypatch):
    # The queueing system's batch (GZ0101 and GZ0102 customers served) and a correction of it sent at the same
    # moment (GZ0102 125 instead of 80, SZ0101 new). The first holds the ingest lock while it writes; the
    # second waits for it, then finds GZ0102 stored: 2 created, then 1 created and 1 updated. 3 facts.
    first_file = HEADER + "2026-11-24,GZ0101,,customers_served,120\n2026-11-24,GZ0102,,customers_served,80\n"
    second_file = HEADER + "2026-11-24,GZ0102,,customers_served,125\n2026-11-24,SZ0101,,customers_served,64\n"
    holding, go = threading.Event(), threading.Event()
    insert_frame = facts_service.bulk.insert_frame

    def held_open(*args, **kwargs):
        # Called with the lock taken: the first batch stays inside its transaction until the second waits.
        if threading.current_thread().name == "first":
            holding.set()
            assert go.wait(10)
        return insert_frame(*args, **kwargs)

    monkeypatch.setattr(facts_service.bulk, "insert_frame", held_open)
    monkeypatch.setattr(facts_service, "rollup_pending", type("Nobody", (), {"delay": staticmethod(lambda: None)}))
    batches, errors = {}, []

    def send(name: str, text: str) -> None:
        try:
            rows = read_csv(text.encode("utf-8"), columns=FACT_COLUMNS)
            batches[name] = facts_ingest(rows=rows, source=IngestBatch.Source.API, label=name)
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connections.close_all()

    first = threading.Thread(target=send, args=("first", first_file), name="first")
    second = threading.Thread(target=send, args=("second", second_file), name="second")
    first.start()
    assert holding.wait(10)
    second.start()
    deadline = time.monotonic() + 10
    while not _waiting_for_the_ingest_lock():
        assert time.monotonic() < deadline, "the second batch never waited for the first"
        time.sleep(0.02)
    go.set()
    first.join(10)
    second.join(10)

    assert errors == []
    assert (batches["first"].created, batches["first"].updated, batches["first"].unchanged) == (2, 0, 0)
    assert (batches["second"].created, batches["second"].updated, batches["second"].unchanged) == (1, 1, 0)
    stored = dict(Fact.objects.values_list("unit__code", "value"))
    assert stored == {"GZ0101": Decimal("120"), "GZ0102": Decimal("125"), "SZ0101": Decimal("64")}
    assert Fact.objects.get(unit__code="GZ0102").batch_id == batches["second"].pk
