"""Every endpoint of /api/v1/ against its own OpenAPI schema, with generated requests (issue 5: "CI runs
schemathesis against the schema with a token: no 5xx, and every response conforms to the schema").

schemathesis loads the schema the app serves (/api/v1/schema/) when this module is collected, so an
endpoint added tomorrow is tested tomorrow without a line here. For each operation it sends requests
generated from the schema (its examples, boundary and wrong-typed values of every parameter and body
field, other HTTP methods on the path, then hypothesis's own) through the WSGI app, with a token that
has the read, ingest and admin scopes for the Guangzhou branch, and checks every answer:

- not_a_server_error: no 5xx, whatever the query string, body or method;
- response_schema_conformance: the body is what the schema documents for that status code;
- content_type_conformance: JSON where JSON is documented (not Django's HTML error pages).

Not checked: that each status code is documented (drf-spectacular lists only what a view declares,
not the 401/405/415 every DRF view can answer in the one error format), nor that schemathesis's
guesses at valid and invalid input are accepted and refused (the schema cannot say that a unit code
must exist in the token's subtree).

The data is the rolled-up network of tests/kpi/ranking_data.py (facts, month targets, published
scorecards and rankings on 14 and 15 November 2026) plus a PK contest, so list endpoints answer with
rows, not empty pages; it is made once for the module (tests/shared_data.py). The writes (POST facts,
targets, rollups; PUT targets) run too: a generated body must be answered with a 2xx or a 4xx, never a
5xx; what they write stays inside the test's savepoint. Few examples per operation, derandomized, so
CI repeats the same requests every run.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from bankops.wsgi import application
from staff.services import api_token_create
from tests.conftest import network_of_the_tests
from tests.kpi.contest_data import contest
from tests.kpi.ranking_data import ranked_of
from tests.shared_data import as_in_a_test, shared_data

pytestmark = pytest.mark.django_db

SCHEMA_URL = "/api/v1/schema/"
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture
def same_connection():
    """Serve the requests inside the test's transaction, as Django's test client does. WSGIHandler
    closes "old" connections when a request starts and ends, and one inside a transaction counts as
    old (autocommit off): on PostgreSQL the second request would find the connection closed and the
    seeded rows gone (SQLite's in-memory test database ignores the close)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The rolled-up network with a PK contest between two Tianhe outlets, made once for the module's
    operations (tests/shared_data.py): each operation's test runs in a savepoint of its own, so what its
    writes write is gone before the next one."""
    with shared_data(django_db_blocker):
        with as_in_a_test():
            ranked = ranked_of(network_of_the_tests())
            contest(ranked["GZ01"], (ranked["GZ0101"], ranked["GZ0102"]), metrics=["mobile_banking_signups"])
        yield ranked


@pytest.fixture
def gz_token(seeded, db, same_connection, scopes) -> str:
    """An integration of the Guangzhou branch with the test's scopes."""
    _token, key = api_token_create(name="schemathesis", unit=seeded["GZ"], scopes=scopes)
    return key


# Loaded at collection, so each operation is a test item of its own. (schemathesis.pytest.from_fixture
# would load it inside the test, but in schemathesis 4.32 it renames the item through Node._nodeid, which
# pytest 9.2 no longer has.)
schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, application)


@schema.parametrize()
# The token's scopes are a parameter for a second reason: under pytest 9.2 an item that schemathesis makes
# without a parameter loses the operation from its id (every operation is "test_…" alone), and
# pytest-xdist, which sends tests to its workers by id, then runs only one of them. With a parameter the
# id is "test_…[GET /api/v1/…][read,ingest,admin]": one per operation (test_every_operation_has_its_own_id).
@pytest.mark.parametrize("scopes", ["read,ingest,admin"])
@settings(
    # 15 generated requests per operation on top of the schema's examples and the boundary cases; the
    # same ones every run (derandomize, no example database), and no deadline for the slow ones (a
    # POST /rollups/ rolls the day up in-process).
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_every_endpoint_answers_as_its_schema_says_and_never_with_a_5xx(case, gz_token):
    case.call_and_validate(headers={"Authorization": f"Token {gz_token}"}, checks=CHECKS)


def test_every_operation_has_its_own_id(request):
    """Each operation is a test of its own under its own id, so pytest-xdist runs every one of them."""
    ids = [item.nodeid for item in request.session.items if "answers_as_its_schema_says" in item.nodeid]
    if len(ids) < 2:
        pytest.skip("the schemathesis items were deselected (-k): nothing to compare")
    assert len(set(ids)) == len(ids)
    assert any("[GET /api/v1/scorecards/]" in nodeid for nodeid in ids)
