"""Real headless Chromium (Debian's chromium, driven by Playwright) against a server of the site in this process.

`.ci/run` installs chromium (and fonts-noto-cjk, so screenshots show Chinese). Without it, the tests
here are skipped with a reason, as the real-worker test is without Redis: `make test` on a machine with
only Python still passes; CI always runs them. Screenshots go to test-artifacts/ (ignored by git).

One browser per test process (`chromium`, session scope) and one server (`server`, session scope). The
server answers with the test's own database connection, inside the test's transaction: a browser test is
an ordinary `django_db` test, rolled back when it ends, so it needs no flush of every table after it (a
TRUNCATE of all of them and the data migrations' rows put back: seconds a test on PostgreSQL, as
pytest-django's `live_server` costs), and a module's tests can read data made once for the module
(tests/shared_data.py). The server takes one request at a time (the connection is one), and what a
request leaves to run after its commit (`transaction.on_commit`) runs when the request is done, as its
commit would run it.
"""

from __future__ import annotations

import asyncio
import datetime
import os
import shutil
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from customers.services.tiering import tiering_run
from kpi.models import Fact, Metric, Target
from kpi.services.rollup import rollup_range
from lib.periods import PeriodKind, period_of
from tests.conftest import network_of_the_tests, outlet_head_of, teller_of, unit_manager_of
from tests.customers.factories import CustomerFactory, SnapshotFactory
from tests.factories import TEST_PASSWORD
from tests.shared_data import as_in_a_test, shared_data

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and os.environ.get("CI") != "true",
    reason=f"needs Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)",
)


class _Server(threading.Thread):
    """The site on a port of its own, answering in this thread's test transaction: each request runs on the
    connection of the test that `serve` names, one request at a time."""

    def __init__(self):
        super().__init__(daemon=True)
        self.is_ready = threading.Event()
        self.lock = threading.Lock()
        self.connection = None  # the test's, while a test runs
        self.url = ""

    def run(self):
        from django.contrib.staticfiles.handlers import StaticFilesHandler
        from django.core.handlers.wsgi import WSGIHandler
        from django.core.servers.basehttp import ThreadedWSGIServer
        from django.test.testcases import QuietWSGIRequestHandler, _MediaFilesHandler

        class OwnConnections(ThreadedWSGIServer):
            def _close_connections(self):
                pass  # the test's connection stays open: the test closes nothing of it

        self.handler = StaticFilesHandler(_MediaFilesHandler(WSGIHandler()))
        self.httpd = OwnConnections(("localhost", 0), QuietWSGIRequestHandler, allow_reuse_address=False)
        self.httpd.set_app(self.answer)
        self.url = f"http://localhost:{self.httpd.server_address[1]}"
        self.is_ready.set()
        self.httpd.serve_forever()

    def answer(self, environ, start_response):
        """One request, on the test's connection, read to its end before the next; then what it left to run
        on commit, as its commit would. A static file is served at once, beside: it reads no database."""
        if environ.get("PATH_INFO", "").startswith(settings.STATIC_URL):
            return self.handler(environ, start_response)
        with self.lock:
            connection = self.connection
            if connection is None:
                start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
                return [b"no test is running"]
            connections[DEFAULT_DB_ALIAS] = connection
            pending = len(connection.run_on_commit)
            response = self.handler(environ, start_response)
            try:
                body = b"".join(response)
            finally:
                if hasattr(response, "close"):
                    response.close()
            callbacks = connection.run_on_commit[pending:]
            del connection.run_on_commit[pending:]
            for _savepoints, callback, _robust in callbacks:
                callback()
            return [body]

    def stop(self):
        if hasattr(self, "httpd"):
            self.httpd.shutdown()
            self.httpd.server_close()
        self.join()


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium per test process. Playwright's sync API runs an event loop in this thread and
    marks it running between its calls; `page` marks it so for a browser test only, so that what runs
    after (an async test, Django's guard against the ORM inside a running loop) finds no loop."""
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        asyncio._set_running_loop(None)
        yield browser
        asyncio._set_running_loop(playwright._loop)
        browser.close()
    finally:
        asyncio._set_running_loop(playwright._loop)
        playwright.stop()
        asyncio._set_running_loop(None)


@pytest.fixture(scope="session")
def server(django_db_setup):
    """The site, served in a thread of this process for the whole session (stopped before the test
    database is dropped)."""
    thread = _Server()
    thread.start()
    thread.is_ready.wait()
    yield thread
    thread.stop()


@pytest.fixture
def page(chromium, server, db, settings, request):
    """A tablet-sized page in Chinese with no network beyond the test server: any request elsewhere is
    aborted and recorded, and the test fails if one was attempted (pages must work unplugged).

    Django's guard against the ORM inside a running event loop stands aside while the browser test runs
    (Playwright's loop is marked running in this thread; the test's own ORM calls stay plain synchronous
    code), and the server answers on this test's connection, which stays open between its requests."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    connection = connections[DEFAULT_DB_ALIAS]
    assert connection.in_atomic_block, "a browser test runs in its transaction: the server shares it"
    connection.inc_thread_sharing()
    # A request's start and end close a connection found in a transaction (close_old_connections): this one
    # is the test's, open on purpose.
    connection.close_if_unusable_or_obsolete = lambda: None
    server.connection = connection
    asyncio._set_running_loop(chromium._loop)  # as Playwright leaves it between its calls
    try:
        opened = _page(chromium, server, request)
        page = next(opened)
        # Playwright's calls leave this thread in another context (contextvars), where Django's connection
        # handler knows no connection yet and would open a new one, outside the test's transaction: the
        # test's connection is named again there.
        connections[DEFAULT_DB_ALIAS] = connection
        yield page
        assert connections[DEFAULT_DB_ALIAS] is connection, "the test ran on the connection of its transaction"
        next(opened, None)
    finally:
        connections[DEFAULT_DB_ALIAS] = connection  # for the rollback, after the screenshot and the closing
        with server.lock:
            server.connection = None
        del connection.close_if_unusable_or_obsolete
        connection.dec_thread_sharing()
        asyncio._set_running_loop(None)
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _page(chromium, server, request):
    # Every request but the test server's goes to a proxy that is not there (port 9, discard: refused), so
    # it fails, and is recorded. Not a route (context.route) that aborts it: any route turns the browser's
    # HTTP cache off, and every page then fetched and compiled its scripts again (ECharts: 1.1 MB).
    context = chromium.new_context(
        viewport={"width": 1024, "height": 768},
        locale="zh-CN",
        proxy={"server": "http://127.0.0.1:9", "bypass": server.url},
    )
    context.set_default_timeout(30_000)  # CI machines are shared; a page is usually < 1 s
    outside: list[str] = []

    def only_the_test_server(request):
        if not request.url.startswith((server.url, "data:", "blob:")):
            outside.append(request.url)

    context.on("request", only_the_test_server)
    # Whatever the Content-Security-Policy blocks (an inline script or style, an eval, a source elsewhere)
    # is reported to the page as a securitypolicyviolation event and to the console: both are collected.
    context.add_init_script(
        "document.addEventListener('securitypolicyviolation', function (event) {"
        " console.error('CSP violation: ' + event.violatedDirective + ' ' + event.blockedURI); });"
    )
    page = context.new_page()
    errors: list[str] = []
    violations: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "Content Security Policy" in message.text or message.text.startswith("CSP violation")
            else None
        ),
    )
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-last.png"), full_page=True)
    context.close()
    assert not outside, f"the page tried to reach beyond the server: {outside}"
    assert not errors, f"JavaScript errors on the page: {errors}"
    assert not violations, f"the Content-Security-Policy blocked something: {violations}"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


# -- the data of a morning: facts through 24 November 2026, rolled up from the 17th --------------------

NOVEMBER = period_of(PeriodKind.MONTH, datetime.date(2026, 11, 24))


def morning_of(network) -> None:
    """The morning's facts and targets of 天河路网点, rolled up 17–24 November."""
    outlet = network["GZ0101"]
    served = Metric.objects.get(code="customers_served")
    deposits = Metric.objects.get(code="deposit_balance")
    facts = []
    for day in range(1, 25):
        date = datetime.date(2026, 11, day)
        facts.append(Fact(date=date, unit=outlet, metric=served, value=Decimal(100 + day)))
        facts.append(Fact(date=date, unit=outlet, metric=deposits, value=Decimal(50000 + 10 * day)))
    Fact.objects.bulk_create(facts)
    for metric, value in ((served, Decimal("3600")), (deposits, Decimal("52000"))):
        Target.objects.create(
            unit=outlet,
            metric=metric,
            period_kind=NOVEMBER.kind,
            period=NOVEMBER.code,
            period_start=NOVEMBER.start,
            period_end=NOVEMBER.end,
            value=value,
        )
    rollup_range(first=datetime.date(2026, 11, 17), last=datetime.date(2026, 11, 24))


@pytest.fixture
def morning(network, outlet_head, teller):
    morning_of(network)
    return outlet_head


@pytest.fixture(scope="module")
def shared_morning(request, chromium, django_db_setup, django_db_blocker) -> dict:
    """The morning made once for a module whose tests read it (tests/shared_data.py): the network, the
    outlet head, the teller and the unit manager, and, when the module has one, what its
    `before_the_rollup(network, people)` adds before the rollup. Each test runs in a savepoint of its own
    inside it, so what one writes is gone before the next. After `chromium`: Playwright's first calls
    move this thread to another context, and the data is made in the one its tests run in."""
    with shared_data(django_db_blocker), as_in_a_test():
        network = network_of_the_tests()
        people = {
            "outlet_head": outlet_head_of(network),
            "teller": teller_of(network),
            "unit_manager": unit_manager_of(network),
        }
        before_the_rollup = getattr(request.module, "before_the_rollup", None)
        if before_the_rollup:
            before_the_rollup(network, people)
        morning_of(network)
        yield {"network": network, **people}


def reading_the_shared_morning() -> tuple:
    """The fixtures of a module whose tests read `shared_morning`, under the names the other tests give
    them (`network`, `outlet_head`, `teller`, `unit_manager`, and `morning`: the outlet head):

        network, outlet_head, teller, unit_manager, morning = reading_the_shared_morning()
    """

    def reading(name: str, key: str):
        @pytest.fixture(name=name)
        def read(shared_morning):
            return shared_morning[key]

        return read

    return (
        reading("network", "network"),
        reading("outlet_head", "outlet_head"),
        reading("teller", "teller"),
        reading("unit_manager", "unit_manager"),
        reading("morning", "outlet_head"),
    )


SEP, OCT = datetime.date(2026, 9, 1), datetime.date(2026, 10, 1)


@pytest.fixture
def tiered(morning, network):
    """Three customers of 天河路网点: one moves up (二星 → 三星), one down (四星 → 三星), one stays 一星."""
    for code, september, october in (("C1", "40000", "60000"), ("C2", "300000", "150000"), ("C3", "500", "800")):
        customer = CustomerFactory(code=code, home_outlet=network["GZ0101"])
        SnapshotFactory(customer=customer, month=SEP, aum_avg_daily=Decimal(september))
        SnapshotFactory(customer=customer, month=OCT, aum_avg_daily=Decimal(october))
    tiering_run(month=SEP)
    tiering_run(month=OCT)


def sign_in(page, base: str, user) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", TEST_PASSWORD)
    # Until the page signing in leads to has loaded (its scripts have run), not until the network has
    # been idle for half a second: every caller opens a page or waits for what it reads next.
    with page.expect_navigation():
        page.click("form button[type=submit] >> nth=-1")
