from __future__ import annotations

import datetime
import os

import pytest
from django.utils import translation

from bankops.celery import app as celery_app
from branches.models import Area, OrgUnit, OutletFormat
from kpi.selectors import scorecard_json
from staff.models import Role, User
from tests.factories import AssignmentFactory, OrgUnitFactory, StaffMemberFactory, UserFactory
from tests.shared_data import a_copy, shared_data_check


@pytest.fixture(autouse=True)
def _celery_eager(settings):
    """Tests run tasks in-process unless they start a real worker (tests/bankops/test_celery_worker.py),
    in the caller rather than the embedded default's background thread (tests/kpi/test_background.py
    turns it on)."""
    settings.BACKGROUND_THREAD = False
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous


@pytest.fixture(autouse=True)
def _scorecard_cache_as_asked(settings):
    """The API's scorecard cache (kpi.selectors.scorecard_json) holds only what a test's own requests put
    in it: nothing warmed after a publication (API_SCORECARD_WARM_CARDS) and nothing kept in the process's
    memory in front of Redis (API_SCORECARD_LOCAL_MB) unless the test asks, since a test of that cache
    counts what its requests compute and empties the cache (cache.clear()) to read a page computed."""
    settings.API_SCORECARD_WARM_CARDS = 0
    settings.API_SCORECARD_LOCAL_MB = 0
    scorecard_json.nearby.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language (zh-hans). LocaleMiddleware leaves the language of a
    request active in the thread after the response, so without this a test that asked for English
    would make the tests after it read English too, and they would pass or fail by their order."""
    translation.deactivate()
    yield
    translation.deactivate()


def pytest_configure(config):
    # WhiteNoise warns at start-up when STATIC_ROOT has not been collected; tests serve no static files.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")
    _a_redis_database_of_its_own()


def _a_redis_database_of_its_own() -> None:
    """Under pytest-xdist (`make test` runs `-n 2`) each test process is given a Redis database of its
    own, as pytest-django gives it a PostgreSQL database of its own (test_…_gw0, test_…_gw1): the cache's
    counters and marks (rate limits, the digest's "sent") and the queues of the real-worker tests are
    per process, and a test's cache.clear() (a FLUSHDB) cannot empty the other process's under it. The
    first process keeps REDIS_URL's database; the second takes the one below it (15 → 14), emptied
    first, as .ci/run empties 15. Without xdist or without REDIS_URL nothing changes."""
    from urllib.parse import urlsplit

    from django.conf import settings
    from django.core.cache import caches
    from django.test.signals import clear_cache_handlers

    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw") or worker == "gw0" or not settings.REDIS_URL:
        return
    url = urlsplit(settings.REDIS_URL)
    database = (int(url.path.strip("/") or 0) - int(worker[2:])) % 16
    own = url._replace(path=f"/{database}").geturl()

    settings.REDIS_URL = os.environ["REDIS_URL"] = own  # the processes a test starts inherit it
    settings.CACHES = {**settings.CACHES, "default": {**settings.CACHES["default"], "LOCATION": own}}
    settings.CELERY_BROKER_URL = settings.CELERY_RESULT_BACKEND = own
    celery_app.conf.broker_url = celery_app.conf.result_backend = own
    clear_cache_handlers(setting="CACHES")  # what override_settings(CACHES=…) does: the handler anew
    caches["default"].clear()


# What the migrations leave in the test database (the metric catalog, the posts, the tier scheme, the
# alert rules: every data migration's rows), as JSON; put back after each test that empties the tables.
_MIGRATED_DATA: dict[str, object] = {}
# Made anew by the flush itself (its post_migrate signal), with new ids: not put back.
_REMADE_BY_FLUSH = {"contenttypes.ContentType", "auth.Permission"}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, and two things about it.

    PostgreSQL samples one row in a hundred of what it samples by default when it ANALYZEs
    (default_statistics_target 1, not 100). The rollup ANALYZEs its four tables after every day
    (lib.bulk.analyze): 0.17 s each at the default on the tables of a small seed_demo, 0.01 s at 1. The
    statement still runs, on the same tables; a test database of a few hundred rows needs no finer sample.

    The rows of the data migrations are kept (Django's serialize_db_to_string), to be put back after a
    transactional test (`transaction=True`, a live server): its flush empties every table, and a test
    after it in the same process would find no metric catalog. pytest-django runs the transactional
    tests last for that reason; under pytest-xdist (`make test`) a process runs whole files as they come,
    so the rows are put back instead (`pytest_runtest_teardown` below)."""
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                name = connection.ops.quote_name(connection.settings_dict["NAME"])
                cursor.execute(f"ALTER DATABASE {name} SET default_statistics_target = 1")
            connection.close()  # the next connection starts with it, as the live server's and a worker's do
        _MIGRATED_DATA.update(blocker=django_db_blocker, json=connection.creation.serialize_db_to_string())
    yield
    _MIGRATED_DATA.clear()  # the test database is gone after this: nothing to put back any more


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    """After a module's or a class's fixture made its shared data (tests/shared_data.py), its foreign
    keys checked once, not again at the end of each of its tests (shared_data_check)."""
    value = yield
    if fixturedef.scope != "function":
        shared_data_check()
    return value


def _empties_the_tables(item) -> bool:
    """Whether pytest-django runs `item` as a transactional test, whose end flushes every table."""
    marker = item.get_closest_marker("django_db")
    if marker and (
        marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences") or marker.args[:1] == (True,)
    ):
        return True
    return bool(
        {"transactional_db", "live_server", "django_db_reset_sequences"} & set(getattr(item, "fixturenames", ()))
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a transactional test's flush (its fixtures' teardown), the data migrations' rows again."""
    try:
        return (yield)
    finally:
        if _MIGRATED_DATA and nextitem is not None and _empties_the_tables(item):
            _put_back_the_migrated_data()


def _put_back_the_migrated_data() -> None:
    from django.core import serializers
    from django.db import connection, transaction

    tables = set()
    with _MIGRATED_DATA["blocker"].unblock(), transaction.atomic():
        with connection.constraint_checks_disabled():
            for row in serializers.deserialize("json", _MIGRATED_DATA["json"]):
                if row.object._meta.label not in _REMADE_BY_FLUSH:
                    row.save()
                    tables.add(row.object._meta.db_table)
        connection.check_constraints(table_names=sorted(tables))


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 at full strength costs a tenth of a second per login; tests only need a hash that works."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# -- the network -------------------------------------------------------------------------------------
#
#   HQ 总行
#   ├── GZ 广州分行
#   │   ├── GZ01 天河支行
#   │   │   ├── GZ0101 天河路网点      urban, full-service
#   │   │   └── GZ0102 珠江新城网点    urban, light
#   │   └── GZ02 从化支行
#   │       └── GZ0201 太平镇网点      township, light
#   └── SZ 深圳分行
#       └── SZ01 福田支行
#           └── SZ0101 华强北网点      urban, smart


def network_of_the_tests() -> dict[str, OrgUnit]:
    """The tree drawn above, by code: what the `network` fixture gives a test, and what a module's shared
    data (tests/shared_data.py) builds once for all its tests."""
    hq = OrgUnitFactory.head_office(code="HQ", name_zh="总行", name_en="Head office")
    gz = OrgUnitFactory.branch_of(hq, code="GZ", name_zh="广州分行", name_en="Guangzhou Branch")
    gz01 = OrgUnitFactory.sub_branch_of(gz, code="GZ01", name_zh="天河支行", name_en="Tianhe Sub-branch")
    gz02 = OrgUnitFactory.sub_branch_of(gz, code="GZ02", name_zh="从化支行", name_en="Conghua Sub-branch")
    sz = OrgUnitFactory.branch_of(hq, code="SZ", name_zh="深圳分行", name_en="Shenzhen Branch")
    sz01 = OrgUnitFactory.sub_branch_of(sz, code="SZ01", name_zh="福田支行", name_en="Futian Sub-branch")
    units = [
        hq,
        gz,
        gz01,
        OrgUnitFactory.outlet_of(gz01, code="GZ0101", name_zh="天河路网点", name_en="Tianhe Road Outlet"),
        OrgUnitFactory.outlet_of(
            gz01, code="GZ0102", name_zh="珠江新城网点", name_en="Zhujiang New Town Outlet", format=OutletFormat.LIGHT
        ),
        gz02,
        OrgUnitFactory.outlet_of(
            gz02,
            code="GZ0201",
            name_zh="太平镇网点",
            name_en="Taiping Town Outlet",
            area=Area.TOWNSHIP,
            format=OutletFormat.LIGHT,
        ),
        sz,
        sz01,
        OrgUnitFactory.outlet_of(
            sz01, code="SZ0101", name_zh="华强北网点", name_en="Huaqiangbei Outlet", format=OutletFormat.SMART
        ),
    ]
    return {unit.code: unit for unit in units}


@pytest.fixture
def network(request, db) -> dict[str, OrgUnit]:
    """A small branch network, by code (the tree drawn above). In a test of a module's shared data, the
    module's network (see `shared_data_of`)."""
    shared = shared_data_of(request)
    if shared is not None:
        return a_copy(shared["network"])
    return network_of_the_tests()


def shared_data_of(request) -> dict | None:
    """The data a module's tests share (tests/shared_data.py), when the test asks for it: the value of a
    fixture of scope "module" named `shared_…`, a dict with at least the "network" it was made on (and
    the "teller", when it made one). Such a test's `network` and `teller` are copies of those: the rows
    are in the database for the whole module, and a second network of the same codes could not be made."""
    names = [name for name in request.fixturenames if name.startswith("shared_")]
    assert len(names) <= 1, f"a test of two modules' shared data: {names}"
    return request.getfixturevalue(names[0]) if names else None


@pytest.fixture
def english(client):
    """The test client reading the pages in English, so the assertions do not depend on the zh-Hans catalog
    (a module may define its own `english`, e.g. one that also overrides the code's language)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


# -- personas (DOMAIN.md §7) -------------------------------------------------------------------------


def hq_admin_of(network) -> User:
    """周明华, head-office administrator: sees and changes everything."""
    return UserFactory(username="zhou.minghua", first_name="周明华", role=Role.HQ_ADMIN, unit=network["HQ"])


def unit_manager_of(network) -> User:
    """陈志强, president of the Tianhe sub-branch (天河支行行长): GZ01 and its outlets."""
    return UserFactory(username="chen.zhiqiang", first_name="陈志强", role=Role.UNIT_MANAGER, unit=network["GZ01"])


def outlet_head_of(network) -> User:
    """林晓燕, head of the Tianhe Road outlet (天河路网点负责人): GZ0101 and its staff."""
    return UserFactory(username="lin.xiaoyan", first_name="林晓燕", role=Role.OUTLET_HEAD, unit=network["GZ0101"])


def teller_of(network) -> User:
    """黄丽娟, teller at the Tianhe Road outlet since 2026-01-01: sees her own record only."""
    user = UserFactory(username="huang.lijuan", first_name="黄丽娟", role=Role.STAFF)
    staff_member = StaffMemberFactory(code="S1001", name="黄丽娟", user=user)
    AssignmentFactory(staff=staff_member, post="teller", unit=network["GZ0101"], start=datetime.date(2026, 1, 1))
    return user


def auditor_of(network) -> User:
    """吴国平, internal auditor (稽核): sees everything, changes nothing."""
    return UserFactory(username="wu.guoping", first_name="吴国平", role=Role.AUDITOR)


@pytest.fixture
def hq_admin(network) -> User:
    """周明华, head-office administrator: sees and changes everything."""
    return hq_admin_of(network)


@pytest.fixture
def hq_client(client, hq_admin):
    """The test client signed in as HQ's administrator, let into the admin as a superuser (as the demo
    makes them)."""
    hq_admin.is_staff = hq_admin.is_superuser = True
    hq_admin.save()
    client.force_login(hq_admin)
    return client


@pytest.fixture
def unit_manager(network) -> User:
    """陈志强, president of the Tianhe sub-branch (天河支行行长): GZ01 and its outlets."""
    return unit_manager_of(network)


@pytest.fixture
def outlet_head(network) -> User:
    """林晓燕, head of the Tianhe Road outlet (天河路网点负责人): GZ0101 and its staff."""
    return outlet_head_of(network)


@pytest.fixture
def teller(request, network) -> User:
    """黄丽娟, teller at the Tianhe Road outlet since 2026-01-01: sees her own record only."""
    shared = shared_data_of(request)
    if shared is not None and "teller" in shared:
        return a_copy(shared["teller"])
    return teller_of(network)


@pytest.fixture
def auditor(network) -> User:
    """吴国平, internal auditor (稽核): sees everything, changes nothing."""
    return auditor_of(network)


@pytest.fixture
def outsider(network) -> User:
    """赵小明, an active login nobody has given a role yet."""
    return UserFactory(username="zhao.xiaoming", first_name="赵小明", role="")


@pytest.fixture(autouse=True)
def _no_api_throttle(settings):
    """The API's per-token request limit and its limit of wrong tokens per address are off in tests (ids
    and the test client's address repeat across tests and would share a bucket); tests/bankops/
    test_api_errors.py and test_ratelimit.py turn them on where they are the subject."""
    settings.API_THROTTLE_RATE = None
    settings.API_AUTH_FAILURE_RATE = None


@pytest.fixture
def token_client(client, db):
    """`token_client(unit, "read,admin")`: the test client sending a new API token of `unit` with those
    scopes (`Authorization: Token …`)."""
    from staff.services import api_token_create

    made = []

    def make(unit: OrgUnit, scopes: str = "read"):
        made.append(unit)
        _token, key = api_token_create(name=f"{unit.code} {scopes} #{len(made)}", unit=unit, scopes=scopes)
        client.defaults["HTTP_AUTHORIZATION"] = f"Token {key}"
        return client

    return make


# -- the order of the files under pytest-xdist ------------------------------------------------------------
#
# `make test` runs whole files on two processes (--dist loadfile), each process taking the next file
# when it is done with one. The two finish together only when the long files go first and the short ones
# fill in at the end; pytest-xdist's own order (most tests first) put a file of two five-minute tests
# last and left one process idle for minutes. `make test` therefore passes --no-loadscope-reorder and
# the files below start first, longest first (seconds on a quiet 2-core machine, from --durations);
# every other file keeps its place after them. Measure again when a file grows (--durations=0).
SLOW_FILES_FIRST = (
    "tests/bankops/test_fuzz_inputs.py",
    "tests/browser/test_phone.py",
    "tests/bankops/test_i18n_complete.py",
    "tests/demo/test_demo_month.py",
    "tests/demo/test_seed_demo_runs.py",
    "tests/demo/test_demo_tiny.py",
    "tests/bankops/test_numbers_complete.py",
    "tests/demo/test_demo_ledger.py",
    "tests/browser/test_security.py",
    "tests/bankops/test_api_schemathesis.py",
    "tests/bankops/test_api_masking.py",
    "tests/bankops/test_celery_worker.py",
    "tests/kpi/test_fanout.py",
    "tests/kpi/test_mirrors.py",
    "tests/kpi/test_rollup.py",
    "tests/demo/test_demo_facts.py",
    "tests/kpi/test_fanout_worker.py",
)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """The files of SLOW_FILES_FIRST first, in its order, then the other browser files, then the rest as
    collected (a stable sort). Last of the hooks, after pytest-django's, which sorts the transactional
    tests (the browser's) to the end of the whole run."""
    rank = {path: index for index, path in enumerate(SLOW_FILES_FIRST)}

    def place(item) -> int:
        path = item.nodeid.split("::", 1)[0]
        # The other browser files next (5-27 s a file; one browser, one server a process: tests/browser/conftest.py).
        return rank.get(path, len(rank) if path.startswith("tests/browser/") else len(rank) + 1)

    items.sort(key=place)
