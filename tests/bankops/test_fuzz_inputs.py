"""No 500 from any input (issue 13): the classes of input that schemathesis's generated requests do not
reach, walked over every endpoint of /api/v1/ (read from the schema the app serves, so an endpoint
added tomorrow is walked tomorrow) and every page whose URL or query string takes a value.

The classes, each a list below:

- NUL: a NUL byte in a code, a filter, a body field. PostgreSQL refuses a string holding one ("A string
  literal cannot contain NUL (0x00) characters", a 500); SQLite stores it. `like_postgresql` makes the
  test database refuse it the same way, so the walk finds on SQLite what it would find on PostgreSQL.
- CURSORS: hand-made cursors (DRF's are base64 of `o=…&r=…&p=…`) with positions that are no value of
  the list's ordering column, offsets out of range, bytes that are no UTF-8.
- DEPTH: a JSON body nested deeper than the parser's limit (Python's decoder raises RecursionError).
- DATES: the first and last dates there are, and periods that start or end beyond them.
- UNICODE_DIGITS: Arabic-Indic and full-width digits, which Python's `\\d` and `int()` accept.
- OVERSIZED: strings and numbers far past any column's size.

Each answer must be below 500; a 4xx of the API must be in its error format. A page answers 200 (with
its error message), 302, 400 or 404.

Where a parameter is read the same way everywhere, its values fall into a few classes of that reading and
one value of each class stands for the rest (each such classing with a test that holds the code to it):
a NUL byte in a path or query string (one middleware refuses any), the API's `page_size` and `cursor`
(one paginator), a plain choice or date filter that alone reads its parameter, a filter that hands its
value only to the scoped lookup of a unit or staff member (ScopedFilterMethods' unit, under, staff), the
pages' `export` and `page`, and the pages' `period`, `date` and `days` where only their shared reader
reads them (read_period_params, page_params: the first such page gets every value; who reads what is
recorded on the request), and a body field that a parsing field of the serializer refuses (a choice, a
date, a period, a number, a yes/no: one refused value, and every value the field takes). Every other
parameter and body field gets every value.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import json
import re
import sys
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote, urlencode

import django.core.handlers.wsgi
import pytest
from django.http import QueryDict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from kpi.models import Annotation, Target
from staff.models import StaffMember
from staff.services import api_token_create
from tests.alerts.factories import AlertFactory, ImprovementPlanFactory, WeeklyReviewFactory
from tests.conftest import hq_admin_of, network_of_the_tests, teller_of
from tests.customers.factories import CustomerFactory
from tests.kpi.contest_data import contest
from tests.kpi.ranking_data import ranked_of
from tests.shared_data import as_in_a_test, shared_data

pytestmark = pytest.mark.django_db

NUL = ["GZ0101\x00", "\x00"]
DATES = [
    "0001-01-01",
    "0001-01-02",
    "9999-12-31",
    "0000-01-01",
    "0001-W01",
    "9999-W52",
    "0001-01",
    "9999-12",
    "0001-Q1",
    "9999-Q4",
    "0001",
    "9999",
]
# The last is a superscript: a digit to str.isdigit, but not a number to int() (`?page_size=²` answered 500).
UNICODE_DIGITS = ["٢٠٢٦-١١-١٥", "２０２６-１１-１５", "٢٠٢٦", "１", "²"]
OVERSIZED = ["A" * 5000, "9" * 400, "1e400", "-" + str(2**63)]
QUERY_VALUES = [*NUL, *DATES, *UNICODE_DIGITS, *OVERSIZED]
INTS = [str(2**31), str(2**63), "9" * 30]


def _cursor(query: str | bytes) -> str:
    raw = query if isinstance(query, bytes) else query.encode()
    return base64.b64encode(raw).decode()


CURSORS = [
    "!!!",
    _cursor("o=0&r=0&p=x"),
    _cursor("o=0&r=1&p=x"),
    _cursor("p=\x00"),
    _cursor("o=0&p=" + "9" * 30),
    _cursor("o=0&p=2026-02-30"),
    _cursor("o=0&p=9999-12-31"),
    _cursor("o=" + "9" * 30),
    _cursor("o=-1&r=2"),
    _cursor(b"\xff\xfe"),
]

DEPTH = 100_000


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The rolled-up network with one of everything a URL can name: a contest, an alert, a weekly review,
    an improvement plan, a customer; their ids and codes in `VALID`. Made once for the module (its tests
    only read it, each in a savepoint of its own: tests/shared_data.py), with the teller and HQ's
    administrator."""
    with shared_data(django_db_blocker):
        with as_in_a_test():
            ranked = ranked_of(network_of_the_tests())
            teller = teller_of(ranked)
            made = _seed(ranked, teller), teller, hq_admin_of(ranked)
        yield made


def _seed(ranked, teller):
    outlet = ranked["GZ0101"]
    made = contest(ranked["GZ01"], (outlet, ranked["GZ0102"]), metrics=["mobile_banking_signups"])
    alert = AlertFactory(unit=outlet)
    review = WeeklyReviewFactory(unit=outlet)
    plan = ImprovementPlanFactory(unit=outlet)
    customer = CustomerFactory(code="C0000001", home_outlet=outlet)
    annotation = Annotation.objects.create(
        unit=outlet, kind="large_maturity", start=datetime.date(2026, 11, 15), end=datetime.date(2026, 11, 15), text="x"
    )
    target_plan, acknowledgement = _target_plan(ranked)
    ledger_entry = _ledger_entry(teller)
    _campaign(outlet, teller)
    _checklists(outlet, teller)
    outreach_list, contact = _outreach_list(outlet, teller)
    delivery = _delivery(ranked)
    meeting, item = _meeting(ranked, alert)
    pay_sheet = _pay_sheet(outlet, StaffMember.objects.get(user=teller))
    referral = _outreach(outlet, StaffMember.objects.get(user=teller))
    complaint = _complaint(outlet)
    VALID.update(
        referral_id=str(referral.pk),
        code=outlet.code,
        metric_code="customers_served",
        id=str(Target.objects.order_by("pk").values_list("pk", flat=True).first() or 1),
        pk=str(Target.objects.order_by("pk").values_list("pk", flat=True).first() or 1),
        contest_id=str(made.pk),
        alert_id=str(alert.pk),
        review_id=str(review.pk),
        plan_id=str(plan.pk),
        customer=customer.code,
        staff=StaffMember.objects.get(user=teller).code,
        annotation_id=str(annotation.pk),
        note_id=str(annotation.pk),
        target_plan_id=str(target_plan.pk),
        acknowledgement_id=str(acknowledgement.pk),
        delivery_id=str(delivery.pk),
        meeting_id=str(meeting.pk),
        item_id=str(item.pk),
        pay_sheet_id=str(pay_sheet.pk),
        list_id=str(outreach_list.pk),
        assignment_id=str(contact.assignment_id),
        contact_id=str(contact.pk),
        complaint_id=str(complaint.pk),
        entry_id=str(ledger_entry.pk),
    )
    return ranked


def _outreach(outlet, teller_record):
    """A territory the teller owns, a prospect in it, and her referral to a wealth manager (issue 18):
    /api/v1/referrals/{referral_id}/outcome/ has a referral to move on."""
    from customers.models import Prospect, Referral, Territory
    from tests.factories import AssignmentFactory

    wealth = AssignmentFactory(unit=outlet, post="wealth_manager").staff
    territory = Territory.objects.create(kind="market", name="天河农贸市场", outlet=outlet, owner=teller_record)
    Prospect.objects.create(
        outlet=outlet, territory=territory, name="陈大文", interest="wealth", captured_on=datetime.date(2026, 11, 15)
    )
    return Referral.objects.create(
        outlet=outlet, day=datetime.date(2026, 11, 15), referrer=teller_record, channel="counter", receiver=wealth,
        product="wealth",
    )  # fmt: skip


def _complaint(outlet):
    """A hotline complaint of 天河路网点 waiting for its reply (issue 19): /api/v1/complaints/{complaint_id}/…"""
    from complaints.models import Complaint

    return Complaint.objects.create(
        unit=outlet, channel="hotline", category="waiting", received_on=datetime.date(2026, 11, 14),
        reply_due=datetime.date(2026, 11, 16), summary="排队四十分钟", complainant_name="陈美玲",
        complainant_phone="13812345678",
    )  # fmt: skip


def _delivery(network):
    """A delivery of 天河支行's WeCom channel (issue 17), for /api/v1/deliveries/{delivery_id}/."""
    from notify import credentials
    from notify.models import Channel, Delivery

    channel = Channel.objects.create(
        name="天河支行业务群", unit=network["GZ01"], kind="wecom", webhook=credentials.seal("fuzz-key-0001")
    )
    return Delivery.objects.create(channel=channel, day=datetime.date(2026, 11, 15), status="sent", attempts=1)


def _meeting(network, alert):
    """A morning meeting of 天河路网点 with a goal, and 天河支行's Monday meeting with an action item linked to
    the alert (issue 17): /api/v1/meetings/{meeting_id}/ and /api/v1/action-items/{item_id}/ open them."""
    from meetings.models import ActionItem, Goal, Meeting
    from tests.kpi.factories import metric

    morning = Meeting.objects.create(unit=network["GZ0101"], kind="morning", date=datetime.date(2026, 11, 24))
    staff_member = StaffMember.objects.filter(code="S1001").first()
    if staff_member is not None:
        Goal.objects.create(meeting=morning, staff=staff_member, metric=metric("mobile_banking_signups"), value=3)
    weekly = Meeting.objects.create(unit=network["GZ01"], kind="weekly", date=datetime.date(2026, 11, 23))
    item = ActionItem.objects.create(
        meeting=weekly, text="增开弹性窗口", due=datetime.date(2026, 11, 27), link_kind="alert", link_id=alert.pk
    )
    return morning, item


def _pay_sheet(outlet, staff_member):
    """A stored pay sheet of the teller with one line (issue 16): /api/v1/pay-sheets/{pay_sheet_id}/ has one."""
    from django.utils import timezone

    from pay.models import PaySheet, PaySheetLine

    sheet = PaySheet.objects.create(
        month=datetime.date(2026, 10, 1), staff=staff_member, unit=outlet, total=Decimal("20.00"),
        closed_at=timezone.now(),
    )  # fmt: skip
    PaySheetLine.objects.create(sheet=sheet, kind="points", gross=Decimal("20.00"), amount=Decimal("20.00"))
    return sheet


def _target_plan(network):
    """A draft target plan of 天河支行 for 2027 with a proposal, and an acknowledgement of 天河路网点 (issue 15):
    the plan pages and /api/v1/target-plans/{target_plan_id}/… have something to open."""
    from lib.periods import parse_period
    from plans.models import TargetAcknowledgement
    from plans.services.cells import CellInput, plan_cells_save, plan_create
    from staff.access import Scope
    from tests.kpi.factories import metric

    hq = Scope(everything=True, read_only=False, personal_data=True, role="hq_admin")
    year = parse_period("2027")
    plan = plan_create(scope=hq, unit=network["GZ01"], period=year, metrics=[metric("mobile_banking_signups")])
    plan_cells_save(
        scope=hq,
        plan=plan,
        cells=[
            CellInput(unit=network["GZ0101"], metric=metric("mobile_banking_signups"), period=year, value=Decimal(1))
        ],
    )
    return plan, TargetAcknowledgement.objects.create(plan=plan, unit=network["GZ0101"])


def _checklists(outlet, teller):
    """A patrol round and an inspection with a finding naming the teller (issue 19): /api/v1/patrol-sheets/,
    /api/v1/inspections/ and /api/v1/inspection-findings/ have rows to list."""
    from checklists.models import PatrolSheet
    from checklists.services import FindingIn, inspection_record
    from staff.access import scope_for_user
    from tests.checklists.factories import control_checklist, lobby_patrol
    from tests.factories import UserFactory

    day = datetime.date(2026, 11, 15)
    auditor = UserFactory(username="fuzz.auditor", role="auditor")
    control_checklist()
    responsible = StaffMember.objects.get(user=teller)
    inspection_record(
        scope=scope_for_user(auditor), user=auditor, unit=outlet, day=day, title="内控检查", today=day,
        findings=[FindingIn(text="工号牌未佩戴", severity="minor", deadline=day, staff=responsible)],
    )  # fmt: skip
    PatrolSheet.objects.create(template=lobby_patrol(), unit=outlet, day=day, status="missed", items_checked=5)


def _ledger_entry(teller):
    """A ledger item and the teller's entry waiting for approval (issue 16): /api/v1/ledger-entries/ and its
    decide have something to list and to decide, /api/v1/ledger-entries/{entry_id}/withdraw/ an entry to
    name, and the bodies a real item to name (PLAUSIBLE)."""
    from django.utils import timezone

    from ledger.services import entry_create
    from staff.access import scope_for_user
    from tests.ledger.factories import card_item

    return entry_create(
        scope=scope_for_user(teller),
        user=teller,
        item=card_item(),
        day=timezone.localdate(),
        quantity=1,
        customer_code="C0000001",
    )


def _campaign(outlet, teller):
    """A campaign with a gift (issue 20). The walk fills every `{code}` with the outlet's code, so the
    campaign takes that code too: /api/v1/campaigns/{code}/… and /campaigns/{code}/ reach a real one."""
    from django.utils import timezone

    from campaigns.services import campaign_scores_refresh, gift_record
    from staff.access import scope_for_user
    from tests.campaigns.factories import CampaignFactory, focus

    today = timezone.localdate()
    campaign = CampaignFactory(
        code=outlet.code, unit=outlet.parent, start=datetime.date(2026, 11, 1), end=today + datetime.timedelta(days=5),
        gift_budget=Decimal("1000"), gift_limit_per_customer=Decimal("100"),
    )  # fmt: skip
    focus(campaign, "mobile_banking_signups", "1")
    campaign_scores_refresh(campaign=campaign)
    gift_record(
        scope=scope_for_user(teller), user=teller, campaign=campaign, staff=StaffMember.objects.get(user=teller),
        day=today, customer_code="C0000001", item="雨伞", value=Decimal("35"),
    )  # fmt: skip


def _outreach_list(outlet, teller):
    """A call list of 天河路网点 for the teller with one call recorded (issue 18): the list pages, the card and
    /api/v1/outreach-…/ have something to open, and the contact body a real list customer (PLAUSIBLE)."""
    from django.utils import timezone

    from outreach.services.building import ListFilter, list_build
    from outreach.services.contacts import contact_record
    from staff.access import Scope, scope_for_user

    hq = Scope(everything=True, read_only=False, personal_data=True, role="hq_admin")
    today = timezone.localdate()
    built = list_build(
        scope=hq, user=None, unit=outlet, name="降级客户回访", criteria=ListFilter(), assign_mode="even",
        staff=[StaffMember.objects.get(user=teller)], starts_on=today, due_on=today,
    )  # fmt: skip
    assignment = built.assignments.select_related("outreach_list__unit").first()
    PLAUSIBLE["assignment"] = str(assignment.pk)
    contact = contact_record(scope=scope_for_user(teller), user=teller, assignment=assignment, outcome="connected")
    return built, contact


@pytest.fixture
def api(seeded, db, like_postgresql) -> Client:
    network, _teller, _hq_admin = seeded
    _token, key = api_token_create(name="fuzz", unit=network["HQ"], scopes="read,ingest,admin")
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {key}")


@pytest.fixture
def browser(seeded, db, like_postgresql) -> Client:
    _network, _teller, hq_admin = seeded
    client = Client(raise_request_exception=False)
    client.force_login(hq_admin)
    return client


def _generated_schema() -> dict:
    """The schema /api/v1/schema/?format=json serves, made once for the module (the walks read it: the
    endpoints, their parameters and their bodies)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


SCHEMA = _generated_schema()


def _operations() -> list[tuple[str, str, dict]]:
    return [
        (path, method.upper(), operation)
        for path, operations in SCHEMA["paths"].items()
        if not path.endswith(("/schema/", "/docs/", "/redoc/"))
        for method, operation in operations.items()
    ]


def _problems(client: Client, method: str, url: str, body=None, statuses: list[int] | None = None) -> list[str]:
    if body is None:
        response = getattr(client, method.lower())(url)
    else:
        response = getattr(client, method.lower())(url, body, content_type="application/json")
    if statuses is not None:
        statuses.append(response.status_code)
    if response.status_code >= 500:
        return [f"{method} {url[:160]!r} → {response.status_code}"]
    if 400 <= response.status_code < 500 and url.startswith("/api/") and not _in_the_error_format(response):
        return [f"{method} {url[:160]!r} → {response.status_code} not in the error format"]
    return []


def _in_the_error_format(response) -> bool:
    return response.get("Content-Type") == "application/json" and "errors" in response.json()


class _RecordingQueryDict(QueryDict):
    """A QueryDict that remembers which keys a view read (the query parameters each page understands) and
    who read each: the function of the project that asked for it ("lib/periods.py:read_period_params"),
    or "" for code outside the project (django-filter's form reading its fields, Django's paginator).
    Reads by iteration (`.lists()`, `.urlencode()`) are not seen."""

    read: set[str] = set()
    readers: dict[str, set[str]] = {}

    def __init__(self, *args, **kwargs):
        self._parsing = True  # the query string's own keys, put in as it is parsed: no reading
        super().__init__(*args, **kwargs)
        self._parsing = False

    def _note(self, key):
        if self._parsing:
            return
        self.read.add(key)
        frame = sys._getframe(2)
        while frame is not None and frame.f_code.co_filename.endswith(_NOT_READERS):
            frame = frame.f_back
        self.readers.setdefault(key, set()).add(_reader_name(frame.f_code) if frame is not None else "")

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self._note(key)
        return super().get(key, default)

    def getlist(self, key, default=None):
        self._note(key)
        return super().getlist(key, default)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)


# The frames that pass a read on (the QueryDict's own methods, this module's recorder).
_NOT_READERS = ("django/utils/datastructures.py", "django/http/request.py", __file__)


def _reader_name(code) -> str:
    from django.conf import settings

    path = Path(code.co_filename)
    base = Path(settings.BASE_DIR)
    if not path.is_relative_to(base) or ".venv" in path.relative_to(base).parts:
        return ""
    return f"{path.relative_to(base)}:{code.co_name}"


@contextlib.contextmanager
def _recording_reads():
    """Every request in the block reads its query string through _RecordingQueryDict."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(django.core.handlers.wsgi, "QueryDict", _RecordingQueryDict)
        yield


# -- the API -----------------------------------------------------------------------------------------

# The value of each path parameter that names something that is there (filled in by `seeded`).
VALID: dict[str, str] = {}


def _fill(path: str, parameters: dict[str, str]) -> str:
    for name, value in parameters.items():
        path = path.replace("{" + name + "}", quote(value, safe=""))
    return path


OPERATIONS = _operations()


READS = [op for op in OPERATIONS if op[1] == "GET"]

# The values a path or a query string is walked with. A NUL byte anywhere in either is refused by
# bankops.middleware.RefuseNulBytesMiddleware before any view runs (`"\x00" in …`, whatever surrounds
# it): one NUL value stands for both (test_a_nul_in_a_path_or_query_string_is_refused_before_any_view).
# Bodies, which the middleware does not read, keep both (BODY_VALUES).
PATH_VALUES = [value for value in QUERY_VALUES if value != NUL[1]]

# The API's query parameters that every list reads in one way, one value per class of that reading (the
# others get every value): test_the_api_reads_the_classed_parameters_only_as_said holds the views to it.
# - cursor: hand-made cursors (CURSORS), not the walk's strings.
# - page_size: lib.api.StableCursorPagination.get_page_size, for every list: "" is the default; a
#   string of decimal digits from 1 to 1,000 is that page size ("0001" is 1, and so is the full-width
#   "１": int() reads both); any other string of decimal digits is a 400, and so is anything that is not
#   one ("1e400", "-9…", a date, letters); and a digit that is no decimal ("²": str.isdigit said yes and
#   int() raised, a 500). With the NUL value refused before the view.
API_CLASSED = {
    "cursor": CURSORS,
    "page_size": [NUL[0], "0001", UNICODE_DIGITS[3], OVERSIZED[1], DATES[0], OVERSIZED[3], UNICODE_DIGITS[4]],
}


# A query parameter that a list reads through a plain django-filter filter alone (no `method`, a
# filterset that does not combine its filters itself, a view that reads no query string of its own, and
# no app code that reads the name), parsed by the filter's form field before the query:
# - a choice (ChoiceFilter, TrueFalseFilter): a value among the choices or else the filterset's 400. No
#   value of the walk is a choice: one stands for all.
# - a date (DateFilter, compared with exact, gte or lte): a date the form field reads, or else the
#   filterset's 400; a date goes into the query as it is (any from 0001-01-01 to 9999-12-31 is one to
#   PostgreSQL). One value that is no date, the first and the last date, and the dates in other digits.
PLAIN_FILTER_VALUES = {
    "choice": [NUL[0], OVERSIZED[0]],
    "date": [NUL[0], OVERSIZED[0], DATES[0], DATES[2], UNICODE_DIGITS[0], UNICODE_DIGITS[1]],
}


def _plain_filter_kind(view, name: str, *, anywhere: bool = True) -> str | None:
    """ "choice" or "date" when `view` reads the query parameter `name` only through a plain filter of
    that kind (PLAIN_FILTER_VALUES), else None. `anywhere=False` leaves out the look for the name in every
    app module: the walk then checks on the request that nothing of the project reads it (_walk_query)."""
    import inspect

    import django_filters

    filterset = getattr(view, "filterset_class", None)
    found = filterset.base_filters.get(name) if filterset else None
    if found is None or found.method is not None or (anywhere and name in _NAMES_READ_BY_APP_CODE):
        return None
    own = [klass for klass in (*view.__mro__, *filterset.__mro__) if klass.__module__.split(".")[0] in _APPS]
    if any(
        re.search(r"query_params|request\.GET|def filter_queryset|def qs\b|self\.data", inspect.getsource(klass))
        for klass in own
    ):
        return None
    if isinstance(found, django_filters.ChoiceFilter):
        return "choice"
    if isinstance(found, django_filters.DateFilter) and found.lookup_expr in ("exact", "gte", "lte"):
        return "date"
    return None


def _app_modules() -> tuple[set[str], set[str]]:
    """The project's top-level packages, and the query parameter names any of their lines reads by name."""
    from django.conf import settings

    base = Path(settings.BASE_DIR)
    apps, names = set(), set()
    for path in sorted(base.rglob("*.py")):
        parts = path.relative_to(base).parts
        if {"tests", ".venv", "migrations", "bench"} & set(parts[:-1]) or len(parts) < 2:
            continue
        apps.add(parts[0])
        for line in path.read_text(encoding="utf-8").splitlines():
            if re.search(r"query|GET", line):
                names.update(re.findall(r'(?:\.get\(|\[)"(\w+)"', line))
    return apps, names


_APPS, _NAMES_READ_BY_APP_CODE = _app_modules()


# A query parameter of a list whose filter is a plain CharFilter with a `method` that hands the value only to
# staff.access.get_unit_or_404 or get_staff_or_404 with the reader's scope (ScopedFilterMethods' unit,
# under and staff, and the overrides and other methods that do the same): an exact lookup of a code in
# the scope, the unit or staff member, or else a 404, before the value goes anywhere else. No value of the
# walk is a code (test_the_scoped_lookups_find_nothing_for_any_value_of_the_walk): one stands for all,
# where nothing of the project but the filterset reads the parameter (checked on the walk's request with
# OVERSIZED[0], the last; where something else reads it the list gets every value).
SCOPED_CODE_VALUES = [NUL[0], OVERSIZED[0]]
_SCOPED_LOOKUP = re.compile(r"\bget_(unit|staff)_or_404\(self\.request\.scope, value\)")


def _scoped_code_filter(view, name: str) -> bool:
    """Whether `view` filters on the query parameter `name` with a CharFilter whose method hands the value
    only to a scoped lookup (SCOPED_CODE_VALUES)."""
    import inspect

    import django_filters

    filterset = getattr(view, "filterset_class", None)
    found = filterset.base_filters.get(name) if filterset else None
    if type(found) is not django_filters.CharFilter or not isinstance(found.method, str):
        return False
    definition, *body = inspect.getsource(getattr(filterset, found.method)).splitlines()
    body = "\n".join(body)
    return bool(
        re.fullmatch(r"\s*def \w+\(self, queryset, name, value\):", definition)
        and _SCOPED_LOOKUP.search(body)
        and not re.search(r"\bvalue\b", _SCOPED_LOOKUP.sub("", body))
    )


def _view_of(path: str):
    from django.urls import resolve

    url = _fill(path, {part: "GZ0101" if part == "code" else "1" for part in re.findall(r"{(\w+)}", path)})
    return resolve(url).func.cls


def _read_values(path: str, name: str) -> tuple[list[str], bool]:
    """The values the read walk gives the query parameter `name` of the list at `path`, and whether they
    stand for the rest only so long as no code of the project reads `name` on the request (_walk_query)."""
    if name in API_CLASSED:
        return API_CLASSED[name], False
    view = _view_of(path)
    if _scoped_code_filter(view, name):
        return SCOPED_CODE_VALUES, True
    if kind := _plain_filter_kind(view, name):
        return PLAIN_FILTER_VALUES[kind], False
    # A plain filter's name that some module of the project reads from a query string (a page's `status`):
    # the filter's few values where, on the request, nothing of the project reads it.
    if kind := _plain_filter_kind(view, name, anywhere=False):
        return PLAIN_FILTER_VALUES[kind], True
    return PATH_VALUES, False


def _walk_query(client: Client, url: str, name: str, values: list[str], readers: set[str]) -> list[str]:
    """The problems of `url?name=value` for `values`, one of each class of a reading: the last value is
    sent first, and should anything but `readers` read `name` while it is answered, every value of the
    walk (PATH_VALUES) is sent instead of the rest."""
    with _recording_reads():
        _RecordingQueryDict.read, _RecordingQueryDict.readers = set(), {}
        problems = _problems(client, "GET", f"{url}?{urlencode({name: values[-1]})}")
        read_by = _RecordingQueryDict.readers.get(name, set())
    rest = values[:-1] if read_by <= readers else [value for value in PATH_VALUES if value != values[-1]]
    for value in rest:
        problems += _problems(client, "GET", f"{url}?{urlencode({name: value})}")
    return problems


def test_the_api_reads_the_classed_parameters_only_as_said():
    """Each list that takes `page_size` or `cursor` is paginated by lib.api.StableCursorPagination (or a
    subclass that sets only its ordering), whose get_page_size is the reading API_CLASSED counts on, and
    no app module reads either parameter itself."""
    from django.conf import settings
    from django.urls import resolve

    from lib.api import StableCursorPagination

    classed = 0
    for path, _method, operation in READS:
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"} & set(API_CLASSED)
        if not names:
            continue
        url = _fill(path, {name: "GZ0101" if name == "code" else "1" for name in re.findall(r"{(\w+)}", path)})
        view = resolve(url).func.cls
        paginator = view.pagination_class
        assert issubclass(paginator, StableCursorPagination), (path, paginator)
        assert paginator.get_page_size is StableCursorPagination.get_page_size, path
        assert paginator.decode_cursor is StableCursorPagination.decode_cursor, path
        classed += 1
    assert classed >= 30
    base = Path(settings.BASE_DIR)
    readers = [
        f"{path.relative_to(base)}: {line.strip()}"
        for path in sorted(base.rglob("*.py"))
        if not {"tests", ".venv", "migrations", "bench"} & set(path.relative_to(base).parts[:-1])
        for line in path.read_text(encoding="utf-8").splitlines()
        if re.search(r'(\.get\(|\[)"(page_size|cursor)"', line)
    ]
    assert readers == []


def test_the_plain_filters_are_classed_only_where_the_filter_alone_reads_the_value():
    """The read walk gives a plain choice or date filter its few values (PLAIN_FILTER_VALUES) on the lists
    where nothing else reads the parameter: a choice filter's choices hold no value of the walk; the
    lists that read a parameter themselves (the customers' `month`, the ledger's `kind`, the staff's
    `date`) get every value."""
    from django.urls import resolve

    kinds = {}
    for path, _method, operation in READS:
        url = _fill(path, {part: "GZ0101" if part == "code" else "1" for part in re.findall(r"{(\w+)}", path)})
        view = resolve(url).func.cls
        for parameter in operation.get("parameters", []):
            kind = parameter["in"] == "query" and _plain_filter_kind(view, parameter["name"])
            if kind:
                kinds[(path, parameter["name"])] = kind
            kind = parameter["in"] == "query" and _plain_filter_kind(view, parameter["name"], anywhere=False)
            if kind == "choice":
                choices = {
                    str(key) for key, _label in view.filterset_class.base_filters[parameter["name"]].extra["choices"]
                }
                assert not choices & set(PATH_VALUES), (path, parameter["name"])
    assert sorted(set(kinds.values())) == ["choice", "date"]
    assert len(kinds) >= 30
    assert kinds.get(("/api/v1/customers/", "month")) is None
    assert kinds.get(("/api/v1/ledger-entries/", "kind")) is None
    assert {"month", "kind", "date", "state", "unit"} <= _NAMES_READ_BY_APP_CODE


def test_the_scoped_lookups_find_nothing_for_any_value_of_the_walk(seeded):
    """get_unit_or_404 and get_staff_or_404, to which the scoped filters hand their value, answer every value
    of the walk alike, with a 404, in the widest scope: the class SCOPED_CODE_VALUES sends one value of.
    (The NUL value never reaches them: refused by the middleware, and by the filter's form field.)"""
    from django.http import Http404

    from staff.access import Scope, get_staff_or_404, get_unit_or_404

    hq = Scope(everything=True, read_only=False, personal_data=True, role="hq_admin")
    assert get_unit_or_404(hq, "GZ0101").code == "GZ0101"
    assert get_staff_or_404(hq, VALID["staff"]).code == VALID["staff"]
    for value in [value for value in PATH_VALUES if "\x00" not in value]:
        for lookup in (get_unit_or_404, get_staff_or_404):
            with pytest.raises(Http404):
                lookup(hq, value)


def test_a_scoped_filter_is_classed_only_where_its_method_hands_the_value_to_a_scoped_lookup():
    """The read walk gives SCOPED_CODE_VALUES to the unit, under and staff filters of ScopedFilterMethods and
    to the methods that read their value the same way, and every value to a method that reads it any other
    way (here made up: a code looked up by hand, a value changed before the lookup)."""
    import django_filters

    from staff.access import get_unit_or_404
    from staff.api_scope import ScopedFilterMethods

    classed = {
        (path, parameter["name"])
        for path, _method, operation in READS
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query" and _scoped_code_filter(_view_of(path), parameter["name"])
    }
    assert len(classed) >= 30
    assert {("/api/v1/ledger-entries/", "staff"), ("/api/v1/facts/", "under"), ("/api/v1/customers/", "manager")} <= (
        classed
    )

    class ByHand(ScopedFilterMethods, django_filters.FilterSet):
        unit = django_filters.CharFilter(method="filter_unit")
        under = django_filters.CharFilter(method="filter_under")
        staff = django_filters.CharFilter(method="filter_staff")
        plain = django_filters.CharFilter(field_name="code")

        def filter_unit(self, queryset, name, value):
            return queryset.filter(unit__code=value)

        def filter_under(self, queryset, name, value):
            return queryset.filter(unit=get_unit_or_404(self.request.scope, value.upper()))

    class View:
        filterset_class = ByHand

    assert [name for name in ("unit", "under", "staff", "plain") if _scoped_code_filter(View, name)] == ["staff"]


def test_a_nul_in_a_path_or_query_string_is_refused_before_any_view(api, browser):
    """Both NUL values of the walk, in a path and in a query string, are answered by the middleware's
    400 (under /api/ its message names the NUL; a page gets Django's 400 page, no view's template): the
    class PATH_VALUES walks with one of them."""
    for value in NUL:
        for client, url in (
            (api, _fill("/api/v1/units/{code}/", {"code": value})),
            (api, "/api/v1/units/?" + urlencode({"page_size": value})),
            (browser, "/scorecard/?" + urlencode({"period": value})),
        ):
            response = client.get(url)

            assert response.status_code == 400, url
            if url.startswith("/api/"):
                assert "NUL" in response.json()["errors"][0]["message"], url
            else:  # Django's bad_request page, which the middleware answers with
                assert [template.name for template in response.templates] == ["400.html"], url


def test_no_query_or_path_value_makes_an_api_list_or_detail_answer_a_5xx(api):
    problems: list[str] = []
    for path, _method, operation in READS:
        parameters = operation.get("parameters", [])
        path_names = [p["name"] for p in parameters if p["in"] == "path"]
        valid = {name: VALID.get(name, "1") for name in path_names}
        for name in path_names:
            for value in [*PATH_VALUES, *INTS]:
                problems += _problems(api, "GET", _fill(path, {**valid, name: value}))
        base = _fill(path, valid)
        for parameter in parameters:
            if parameter["in"] != "query":
                continue
            values, unless_read_elsewhere = _read_values(path, parameter["name"])
            if unless_read_elsewhere:
                problems += _walk_query(api, base, parameter["name"], values, readers={""})
                continue
            for value in values:
                problems += _problems(api, "GET", f"{base}?{urlencode({parameter['name']: value})}")
    assert not problems, "\n".join(problems)


DELETES = [op for op in OPERATIONS if op[1] == "DELETE"]


def test_no_path_value_makes_a_delete_answer_a_5xx(api):
    problems: list[str] = []
    for path, _method, operation in DELETES:
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
        valid = {name: VALID.get(name, "1") for name in names}
        for name in names:
            for value in [*PATH_VALUES, *INTS]:
                problems += _problems(api, "DELETE", _fill(path, {**valid, name: value}))
        problems += _problems(api, "DELETE", _fill(path, valid))  # the one that is there: deleted
    assert DELETES, "the walk found no DELETE in the schema"
    assert not problems, "\n".join(problems)


# -- API bodies ----------------------------------------------------------------------------------------

# A plausible value for a body field, by name, before one field at a time is replaced by a bad value.
PLAUSIBLE = {
    "unit": "GZ0101",
    "staff": "",
    "partner": "",  # a fact's 分润 partner: none, so the plausible body is an outlet's own fact
    "metric": "customers_served",
    "period": "2026-11",
    "date": "2026-11-15",
    "value": "1",
    "owner": "lin.xiaoyan",
    "text": "大额到期",
    "item": "credit_card",
    "customer_code": "C0000001",
    "quantity": "1",
    "outlet": "GZ0101",
    "receiver": "S1001",
    "name": "陈大文",
}


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    for combined in ("allOf", "oneOf", "anyOf"):
        if combined in node:
            return _resolve(schema, node[combined][0])
    return node


def _plausible(schema: dict, node: dict, name: str = ""):
    """A body the schema describes, filled with plausible values."""
    node = _resolve(schema, node)
    if node.get("type") == "object" or "properties" in node:
        return {key: _plausible(schema, child, key) for key, child in node.get("properties", {}).items()}
    if node.get("type") == "array":
        return [_plausible(schema, node.get("items", {}), name)]
    if "enum" in node:
        return node["enum"][0]
    if name in PLAUSIBLE:
        return PLAUSIBLE[name]
    if node.get("format") == "date":
        return "2026-11-15"
    if node.get("type") in ("integer", "number") or node.get("format") == "decimal":
        return "1"
    return "x"


def _leaves(body, path=()):
    """The path of every scalar in a body."""
    if isinstance(body, dict):
        for key, value in body.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(body, list):
        for index, value in enumerate(body):
            yield from _leaves(value, (*path, index))
    else:
        yield path


def _replaced(body, path, value):
    body = json.loads(json.dumps(body))
    node = body
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return body


def _allowed_client(api: Client, browser: Client, method: str, url: str, body: str) -> Client:
    """The token's client, or the HQ administrator's session where a token may not write (alerts are
    followed up by people)."""
    response = getattr(api, method.lower())(url, body, content_type="application/json")
    return browser if response.status_code == 403 else api


BODY_VALUES = [*QUERY_VALUES, 1e308, -(2**70), True, [], {}]
WRITES = [op for op in OPERATIONS if op[1] in ("POST", "PUT", "PATCH")]


def test_no_body_field_makes_a_write_answer_a_5xx(api, browser):
    schema = SCHEMA
    problems: list[str] = []
    for path, method, operation in WRITES:
        content = operation["requestBody"]["content"]["application/json"]["schema"]
        body = _plausible(schema, content)
        url = _fill(path, {name: VALID.get(name, "1") for name in re.findall(r"{(\w+)}", path)})
        client = _allowed_client(api, browser, method, url, json.dumps(body))
        problems += _problems(client, method, url, json.dumps(body))
        for leaf in _leaves(body):
            problems += _walk_leaf(client, method, url, body, leaf)
    assert not problems, "\n".join(problems)


def _parsing_fields() -> tuple[type, ...]:
    from rest_framework import serializers

    from lib import api_fields

    return (
        serializers.ChoiceField, serializers.DateField, serializers.IntegerField, serializers.DecimalField,
        serializers.BooleanField, api_fields.DateField, api_fields.PeriodField, api_fields.MonthField,
        api_fields.NumberField,
    )  # fmt: skip


# A body field read by a field of one of these types itself (PARSING_FIELDS; no subclass of them) turns
# the value into a choice, a day, a period, a number or a yes/no, or refuses it (ValidationError): the
# serializer then answers 400 with the field's error before its validate() and the view run, and the view
# reads the body only through its serializer (test_the_api_reads_a_body_only_through_a_serializer). The
# values the field refuses are one class: the walk sends one, OVERSIZED[0] (the first, recording which
# field read it), and every value the same field takes.
PARSING_FIELDS = _parsing_fields()


@contextlib.contextmanager
def _recording_parsing_fields():
    """The (field, value) of every to_internal_value of a PARSING_FIELDS type in the block."""
    read: list[tuple[object, object]] = []
    with pytest.MonkeyPatch.context() as patch:
        for klass in PARSING_FIELDS:

            def recording(self, data, _original=klass.to_internal_value):
                read.append((self, data))
                return _original(self, data)

            patch.setattr(klass, "to_internal_value", recording)
        yield read


def _takes(field, value) -> bool:
    """Whether `field` takes `value` (anything but its ValidationError counts as taking: the walk sends it)."""
    from rest_framework.exceptions import ValidationError

    try:
        field.to_internal_value(value)
    except ValidationError:
        return False
    except Exception:  # sent, to see what the endpoint makes of it
        return True
    return True


def _walk_leaf(client: Client, method: str, url: str, body, leaf) -> list[str]:
    """The problems of `body` with the scalar at `leaf` replaced by each value of BODY_VALUES, or, where a
    field of PARSING_FIELDS refused the first and alone read it, by those of them it takes."""
    first = OVERSIZED[0]
    statuses: list[int] = []
    with _recording_parsing_fields() as read:
        found = [(first, _problems(client, method, url, json.dumps(_replaced(body, leaf, first)), statuses))]
    readers = [field for field, data in read if isinstance(data, str) and data == first]
    parsed = (
        statuses == [400]
        and len(readers) == 1
        and type(readers[0]) in PARSING_FIELDS
        and readers[0].field_name == leaf[-1]
        and not _takes(readers[0], first)
    )
    for value in BODY_VALUES:
        if value is not first and (not parsed or _takes(readers[0], value)):
            found.append((value, _problems(client, method, url, json.dumps(_replaced(body, leaf, value)))))
    return [
        f"{problem} with {'.'.join(map(str, leaf))}={str(value)[:20]!r}"
        for value, problems in found
        for problem in problems
    ]


def test_the_api_reads_a_body_only_through_a_serializer():
    """What PARSING_FIELDS counts on: each line of the apps that names `request.data` hands it to a
    serializer (`data=request.data`), each serializer of the API is validated with raise_exception=True
    (a refused field is the 400, nothing of the view runs), and no serializer of the project reads its
    data before its fields but StrictFieldsMixin (which reads the names only)."""
    from django.conf import settings

    base = Path(settings.BASE_DIR)
    other = []
    for path in sorted(base.rglob("*.py")):
        if {"tests", ".venv", "migrations", "bench"} & set(path.relative_to(base).parts[:-1]):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            api = path.name.startswith("api") or path.parent.name == "api" or path.name == "serializers.py"
            if (
                ("request.data" in line and "data=request.data" not in line)
                or (api and ".is_valid(" in line and ".is_valid(raise_exception=True)" not in line)
                or (api and "def to_internal_value(self, data)" in line and path.name != "api_fields.py")
                or (api and "def run_validation" in line)
            ):
                other.append(f"{path.relative_to(base)}:{number}: {line.strip()}")
    # The facts endpoint parses its body itself (its docstring says why) and reads no field of PARSING_FIELDS:
    # the walk finds no parsing field there and sends its fields every value.
    assert other == [
        "kpi/api/facts.py:128: Read here rather than through request.data: DRF's JSON parser applies Django's",
        "lib/api.py:135: def to_internal_value(self, data):",
    ]


def test_a_body_nested_deeper_than_the_limit_is_a_400_in_the_error_format(api, browser):
    deep_list = "[" * DEPTH + "]" * DEPTH
    for path, method, _operation in WRITES:
        url = _fill(path, {name: VALID.get(name, "1") for name in re.findall(r"{(\w+)}", path)})
        client = _allowed_client(api, browser, method, url, "{}")
        for deep in (deep_list, '{"facts": ' + deep_list + "}", '{"a":' * 33 + "1" + "}" * 33):
            response = getattr(client, method.lower())(url, deep, content_type="application/json")

            assert response.status_code == 400, (method, url, deep[:20], response.status_code)
            [error] = response.json()["errors"]
            assert "deeper than 32 levels" in error["message"]


def test_a_body_with_an_unpaired_surrogate_is_a_400_in_the_error_format(api, browser):
    # JSON may escape half a UTF-16 pair alone; Python decodes it to text nothing can store or write back
    # (the database refused it: a 500; a serializer's error repeating it broke the JSON renderer: a 500).
    bodies = ('{"a": "\\ud800"}', '{"facts": [{"unit": "GZ0101\\uDFFF"}]}', '{"\\udc00": 1}')
    for path, method, _operation in WRITES:
        url = _fill(path, {name: VALID.get(name, "1") for name in re.findall(r"{(\w+)}", path)})
        client = _allowed_client(api, browser, method, url, "{}")
        for body in bodies:
            response = getattr(client, method.lower())(url, body, content_type="application/json")

            assert response.status_code == 400, (method, url, body, response.status_code)
            [error] = response.json()["errors"]
            assert "not Unicode" in error["message"], error


# -- pages -----------------------------------------------------------------------------------------------


def _page_patterns(resolver=None, prefix: str = "") -> list[tuple[str, list[str]]]:
    """(route, its parameter names) of every page with a parameter in its route, or none: the admin, the
    API and the language switch are left out (the API has its own walk above)."""
    found = []
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith(("admin/", "api/", "i18n/")):
            continue
        if isinstance(pattern, URLResolver):
            found += _page_patterns(pattern, route)
        elif isinstance(pattern, URLPattern):
            found.append((route, list(pattern.pattern.converters)))
    return found


PAGES = _page_patterns()


def _page_url(route: str, values: dict[str, str]) -> str:
    url = "/" + route
    for name, value in values.items():
        url = re.sub(rf"<(\w+:)?{name}>", quote(value, safe=""), url)
    return url


# Query parameters that every page reads in one way, which sorts the walk's values into a few classes:
# one value of each class stands for the rest (the other parameters are parsed by each page its own
# way, and get every value). test_the_pages_read_the_classed_parameters_only_as_said holds the pages to it.
# - export: compared with a fixed list (`export in EXPORT_FORMATS`, `== "xlsx"`): the download, or else the
#   page; no value of the walk is in the list, so all of them take the page's branch.
# - page: passed as it is to Django's Paginator.get_page, which answers any value with a page of the list:
#   a whole number past either end with the last page (a huge one, a negative one), anything else that is
#   a whole number (a full-width digit) with that page, anything else with the first.
CLASSED = {
    "export": [NUL[0], OVERSIZED[0]],
    "page": [NUL[0], OVERSIZED[1], OVERSIZED[3], UNICODE_DIGITS[3]],
}
CLASSED_READS = {
    "export": re.compile(r'if (export|request\.GET\.get\("export"\)) (in EXPORT_FORMATS|== "xlsx")'),
    "page": re.compile(r'\)\.get_page\(request\.GET\.get\("page"\)\)'),
}


def _values_of(parameter: str) -> list[str]:
    return CLASSED.get(parameter, PATH_VALUES)


def _page_days(values: list[str]) -> list[str]:
    """The values lib.periods.parse_date reads as a day (none of the walk's today)."""
    from lib.periods import parse_date

    days = []
    for value in values:
        try:
            parse_date(value)
        except ValueError:
            continue
        days.append(value)
    return days


# Query parameters that many pages read through one shared helper, which sorts the walk's values into a
# few classes. The first page that reads one through its helper gets every value; the others one value
# of each class, so long as nothing but the helper reads the parameter there (checked on the request with
# the last value; where something else reads it, that page gets every value).
# test_the_pages_shared_readers_answer_every_value_of_the_walk_alike holds the helpers to it.
# - period: lib.periods.read_period_params, compared with the period kinds (`PeriodKind(text)`): a kind, or
#   else the page's error message and its default period. No value of the walk is a kind.
# - date: the same reader, parsed by lib.periods.parse_date: a day from 1900 to 2100 as YYYY-MM-DD, which
#   the page then shows (each such value of the walk is sent), or else the error message and the latest
#   day rolled up, as without a date.
# - days: kpi.views.common.page_params, compared with "30" and "90": those, or else the error message and
#   the default 30 days.
SHARED_READERS = {
    "period": ("lib/periods.py:read_period_params", [NUL[0], OVERSIZED[0]]),
    "date": ("lib/periods.py:read_period_params", [*_page_days(PATH_VALUES), NUL[0], OVERSIZED[0]]),
    "days": ("kpi/views/common.py:page_params", [NUL[0], OVERSIZED[0]]),
}


def test_the_pages_read_the_classed_parameters_only_as_said():
    """Each line of the apps that reads `export` or `page` from a query string is one of the readings
    CLASSED counts on (an `export = request.GET.get("export")` followed by the comparison)."""
    from django.conf import settings

    base = Path(settings.BASE_DIR)
    other = []
    for path in sorted(base.rglob("*.py")):
        if {"tests", ".venv", "migrations", "bench"} & set(path.relative_to(base).parts[:-1]):
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            for name, reading in CLASSED_READS.items():
                if not re.search(rf'GET(\.get\(|\[)"{name}"', line):
                    continue
                said = reading.search(line) or (
                    line.strip() == f'{name} = request.GET.get("{name}")' and reading.search(lines[number + 1])
                )
                if not said:
                    other.append(f"{path.relative_to(base)}:{number + 1}: {line.strip()}")
    assert other == []
    assert not {value for values in CLASSED.values() for value in values} & {"csv", "xlsx"}


def test_the_pages_shared_readers_answer_every_value_of_the_walk_alike(db):
    """read_period_params and page_params read every value of the walk that SHARED_READERS classes alike:
    no period, no number of days, and (but for the values sent as days) no date, each with one error
    message, and the defaults; the NUL value is refused before any view
    (test_a_nul_in_a_path_or_query_string_is_refused_before_any_view)."""
    from django.test import RequestFactory

    from kpi.views.common import DEFAULT_DAYS, page_params
    from lib.periods import PeriodKind, read_period_params

    latest = datetime.date(2026, 11, 15)
    for value in [value for value in PATH_VALUES if "\x00" not in value]:
        read = read_period_params({"period": value}, latest=latest, default_kind=PeriodKind.MONTH)
        assert (read.kind, read.day, len(read.errors)) == (PeriodKind.MONTH, latest, 1), value
        read = read_period_params({"date": value}, latest=latest, default_kind=PeriodKind.MONTH)
        if value not in SHARED_READERS["date"][1]:
            assert (read.kind, read.day, len(read.errors)) == (PeriodKind.MONTH, latest, 1), value
        shown = page_params(RequestFactory().get("/", {"days": value}))
        assert (shown.days, len(shown.errors)) == (DEFAULT_DAYS, 1), value
    assert read_period_params({"date": "2026-11-14"}, latest=latest).day == datetime.date(2026, 11, 14)
    assert _page_days(["2026-11-14", "0001-01-01", "2026-02-30", "٢٠٢٦-١١-١٥"]) == ["2026-11-14"]


def _valid_page_values(route: str, names: list[str]) -> dict[str, str]:
    """What names something that is there: a staff member's code in the staff pages' routes
    (/staff/<code>/…), a unit's elsewhere."""
    valid = {name: VALID.get(name, "1") for name in names}
    if route.startswith("staff/") and "code" in valid:
        valid["code"] = VALID["staff"]
    return valid


def test_no_route_or_query_value_makes_a_page_answer_a_5xx(browser):
    problems: list[str] = []
    walked_through_its_reader: set[str] = set()
    for route, names in PAGES:
        valid = _valid_page_values(route, names)
        url = _page_url(route, valid)
        with _recording_reads():
            _RecordingQueryDict.read, _RecordingQueryDict.readers = set(), {}
            problems += _problems(browser, "GET", url)
        read, readers = sorted(_RecordingQueryDict.read), _RecordingQueryDict.readers
        for name in names:
            for value in [NUL[0], *OVERSIZED[:1], *INTS]:
                problems += _problems(browser, "GET", _page_url(route, {**valid, name: value}))
        for parameter in read:
            if parameter in SHARED_READERS:
                reader, values = SHARED_READERS[parameter]
                if parameter in walked_through_its_reader:
                    problems += _walk_query(browser, url, parameter, values, readers={reader})
                    continue
                if readers[parameter] == {reader}:
                    walked_through_its_reader.add(parameter)
            for value in _values_of(parameter):
                problems += _problems(browser, "GET", f"{url}?{urlencode({parameter: value})}")
    assert not problems, "\n".join(problems)


# The scorecard list's leaner forms (issue 21): selections and forms of the lines together, beside the
# single values every query parameter gets above.
SCORECARD_FIELDS_VALUES = [
    "unit,lines",
    "lines,lines,unit",
    " unit , staff ",
    ",,,",
    "LINES",
    "unit,\x00",
    "unit;staff",
    "lines." * 800,
    "ünït,总分",
]


def test_no_selection_or_form_of_the_lines_makes_the_scorecard_list_answer_a_5xx(api):
    problems: list[str] = []
    for fields in SCORECARD_FIELDS_VALUES:
        for lines in ("compact", "full", "", "COMPACT", "rows"):
            query = urlencode({"fields": fields, "lines": lines, "page_size": 5})
            problems += _problems(api, "GET", f"/api/v1/scorecards/?{query}")
    assert not problems, "\n".join(problems)


def test_the_staff_pages_are_walked_with_a_staff_members_code(browser):
    """The walk's 'valid' URL of a staff page names the seeded teller and answers 200, not 404, so the
    bad values are tried beside a page that is really there."""
    staff_routes = [(route, names) for route, names in PAGES if route.startswith("staff/")]
    assert len(staff_routes) >= 3
    for route, names in staff_routes:
        url = _page_url(route, _valid_page_values(route, names))
        assert browser.get(url).status_code == 200, url
