"""Real headless Chromium (Debian's chromium, driven by Playwright) against the live test server.

`.ci/run` installs chromium (and fonts-noto-cjk, so screenshots show Chinese). Without it, the tests
here are skipped with a reason, as the real-worker test is without Redis: `make test` on a machine with
only Python still passes; CI always runs them. Screenshots go to test-artifacts/ (ignored by git).
"""

from __future__ import annotations

import datetime
import importlib
import os
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from customers.services.tiering import tiering_run
from kpi.models import Fact, Metric, Target
from kpi.services.rollup import rollup_range
from lib.periods import PeriodKind, period_of
from tests.customers.factories import CustomerFactory, SnapshotFactory
from tests.factories import TEST_PASSWORD

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and os.environ.get("CI") != "true",
    reason=f"needs Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)",
)


@pytest.fixture(scope="module")
def chromium():
    """One headless Chromium per test module. Playwright's sync API runs an event loop in this thread;
    the tests' own ORM calls stay plain synchronous code, so Django's guard against ORM use inside a
    running loop stands aside while the browser is open (and only then: it is a deploy check error)."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(chromium, live_server, request):
    """A tablet-sized page in Chinese with no network beyond the test server: any request elsewhere is
    aborted and recorded, and the test fails if one was attempted (pages must work unplugged)."""
    context = chromium.new_context(viewport={"width": 1024, "height": 768}, locale="zh-CN")
    context.set_default_timeout(30_000)  # CI machines are shared; a page is usually < 1 s
    outside: list[str] = []

    def only_the_test_server(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_test_server)
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


# What the data migrations install: posts, the metric catalog, the default tier scheme.
DATA_MIGRATIONS = (
    ("staff.migrations.0002_posts", "install_posts"),
    ("kpi.migrations.0002_standard_catalog", "install_catalog"),
    ("customers.migrations.0002_default_star_scheme", "install"),
    ("checklists.migrations.0002_patrol_and_inspection_metrics", "declare"),
    ("outreach.migrations.0002_outreach_metrics", "install_metrics"),
)


@pytest.fixture
def migrated_data(transactional_db):
    """The rows of the data migrations, installed again (each function is get_or_create: a no-op when
    they are there). A transactional test, as a live-server test must be, empties every table when it
    ends, these rows included, so a transactional test that runs after another finds none. Django's
    serialized_rollback would restore them, but not here: once Playwright's event loop runs in the test
    thread, Django's connection is a new one that lacks the serialized copy."""
    from django.apps import apps

    for module, function in DATA_MIGRATIONS:
        getattr(importlib.import_module(module), function)(apps, None)


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


# -- the data of a morning: facts through 24 November 2026, rolled up from the 17th --------------------

NOVEMBER = period_of(PeriodKind.MONTH, datetime.date(2026, 11, 24))


@pytest.fixture
def morning(migrated_data, network, outlet_head, teller):
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
    return outlet_head


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
    page.click("form button[type=submit] >> nth=-1")
    page.wait_for_load_state("networkidle")
