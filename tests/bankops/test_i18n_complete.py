"""zh-Hans complete: no English on any Chinese page or admin screen (issue 14).

Every page of the URL resolver is requested as each persona (HQ, auditor, unit manager, outlet head,
teller) in the default language (zh-hans), and every admin index, changelist, add form and change form
as HQ's superuser and as an auditor given every view permission, on a small network rolled up through
the real rollup with one row of everything the admin lists. A page a persona may not open answers 403
or 404, and that page must be Chinese too. The visible text of each answer (text, title, aria-label,
placeholder, alt, buttons; scripts and styles left out, and what an element marks lang="en", like the
language switch's "English") must hold none of:

(a) the English of a msgid of our catalog (locale/zh_Hans/LC_MESSAGES/django.po) whose translation does
    not keep it: the string was printed without being translated (gettext missing, a raw choice value,
    a lazy string formatted at import time, a msgid whose msgstr is empty or fuzzy, a compiled catalog
    older than the .po);
(b) the English of a msgid of Django's own catalogs of the parts we show (forms, admin, auth,
    contenttypes, sessions, humanize), two words or more, plus known one-word offenders ("Groups"):
    Django's zh-Hans catalog lacks the string, or our catalog took the msgid for another meaning;
(c) an English word (three letters or more, lowercase after the first) that no catalog knows ("None",
    "Created by", "10 created, 0 updated"), except the records' own codes and English names (a
    metric's `complaints`, an outlet's name_en: the admin edits them) and a few allowed words.

A msgid is looked for as a whole phrase (its placeholders match anything short), case-sensitively, and
only when it has a word of three letters or more and a lowercase letter: "No", "PK", "API" cannot be
told from a code. The catalogs themselves must have no empty or fuzzy entry (test_i18n.py checks
django.po; here djangojs.po too, and every string the admin's JavaScript asks for), every string the
code and the templates mark for translation must be in django.po with a translation (a page walk
cannot reach an error message that only a bad input shows), and the compiled catalog must say what the
.po says for every entry, plural and contextual ones included.

The same walk reads each page that answers 200 for banker-grade numbers (test_numbers_complete.py's
rule: no stored column's raw decimals, no space before a percent sign): rendering the pages is what the
walk costs, so each is rendered once for both rules. The world is made once for the module.

Left out, each for a reason given in SKIPPED_ROUTES: the API (JSON, English unless asked), the
language switch and sign-out (POST only), the health check (plain text).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import django
import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone, translation
from django.utils.translation.trans_real import DjangoTranslation

from alerts.models import AlertEvent
from branches.services import peer_groups_rebuild
from customers.models import GROUP_BY_CODE
from customers.services.tiering import tiering_run
from kpi.models import (
    Annotation,
    CalendarDay,
    CreditSplit,
    CreditSplitRule,
    Fact,
    IngestBatch,
    LineKind,
    MonthClose,
    MonthCloseEvent,
    ScorecardTemplate,
    StandardPostMix,
    TargetChange,
    TemplateLine,
)
from kpi.services.credit import credit_split_adjust
from kpi.services.targets import target_set
from lib.periods import parse_period
from staff.access import scope_for_user
from staff.models import User
from staff.services import api_token_create
from tests.alerts.factories import AlertFactory, ImprovementPlanFactory, MeasureFactory, WeeklyReviewFactory
from tests.bankops.test_i18n import CATALOG, read_catalog
from tests.bankops.test_numbers_complete import raw_numbers_in
from tests.conftest import auditor_of, hq_admin_of, network_of_the_tests, outlet_head_of, teller_of, unit_manager_of
from tests.customers.factories import CustomerFactory, SnapshotFactory
from tests.factories import AssignmentFactory, OrgUnitFactory, StaffMemberFactory, post
from tests.kpi import ranking_data
from tests.kpi.contest_data import contest
from tests.shared_data import as_in_a_test, shared_data
from tests.world import called_list, complaint_contest_and_rollout, patrol_and_inspection

pytestmark = pytest.mark.django_db

DJANGO_DIR = Path(django.__file__).parent
JS_CATALOG = CATALOG.with_name("djangojs.po")
PERSONAS = ["hq_admin", "auditor", "unit_manager", "outlet_head", "teller"]

# -- the pages -------------------------------------------------------------------------------------

# Routes left out, and why: none of them answers with a page in the site's layout.
SKIPPED_ROUTES = {
    "api/v1/": "the API answers JSON, in English unless Accept-Language asks (bankops/middleware.py)",
    "admin/": "the admin is walked model by model below",
    "i18n/": "set_language answers a POST with a redirect",
    "healthz/": "plain 'ok' for load balancers",
    "favicon.ico": "a redirect to the site's icon",
    "accounts/logout/": "answers a POST with a redirect",
    "units/<code:code>/notes/<int:note_id>/delete/": "deletes a note: answers a POST with a redirect",
    "ledger/entries/<int:entry_id>/photo/": "streams a ledger entry's photo: an image, not a page",
    "ledger/entries/<int:entry_id>/withdraw/": "withdraws one's own ledger entry: answers a POST with a redirect",
    "checklists/answers/<int:answer_id>/photo/": "streams a patrol answer's photo: an image, not a page",
    "checklists/findings/<int:finding_id>/photo/": "streams an inspection finding's photo: an image, not a page",
    "customers/lists/contacts/<int:contact_id>/photo/": "streams a contact's photo: an image, not a page",
}

DAY = ranking_data.DAY  # Sunday 2026-11-15, the day rolled up


def _route_params(world: dict) -> dict[str, list[dict]]:
    """Path parameters of each named page: the units, staff and records of the world below. A page the
    persona may not open answers 403 or 404, and that answer must be Chinese too."""
    return {
        "kpi:unit_overview": [{"code": "GZ01"}, {"code": "GZ0101"}],
        "kpi:unit_scorecard": [{"code": "GZ0101"}, {"code": "GZ01"}],
        "kpi:staff_scorecard": [{"code": "S1001"}],
        "kpi:unit_metric": [
            {"code": "GZ0101", "metric_code": "customers_served"},
            {"code": "GZ01", "metric_code": "deposit_balance"},
        ],
        "kpi:staff_metric": [{"code": "S1001", "metric_code": "mobile_banking_signups"}],
        "kpi:contest_detail": [{"contest_id": world["contest"].pk}],
        "kpi:benchmark": [{"code": "GZ0101"}],
        "kpi:unit_notes": [{"code": "GZ0101"}, {"code": "GZ01"}],
        "kpi:unit_credit_splits": [{"code": "GZ0101"}, {"code": "GZ01"}],
        "customers:unit_customers": [{"code": "GZ0101"}],
        "alerts:alert_detail": [{"alert_id": world["alert"].pk}],
        "alerts:review_detail": [{"review_id": world["review"].pk}],
        "alerts:plan_detail": [{"plan_id": world["plan"].pk}],
        "plans:plan_grid": [{"target_plan_id": world["target_plan"].pk}],
        "plans:plan_time": [{"target_plan_id": world["target_plan"].pk}],
        "plans:plan_preview": [{"target_plan_id": world["target_plan"].pk}],
        "plans:acknowledgement": [{"acknowledgement_id": world["acknowledgement"].pk}],
        "meetings:morning": [{"code": "GZ0101"}],
        "meetings:evening": [{"code": "GZ0101"}],
        "meetings:weekly": [{"code": "GZ01"}, {"code": "GZ0101"}],
        "pay:unit_pay": [{"code": "GZ0101"}, {"code": "GZ01"}],
        "pay:staff_pay": [{"code": "S1001"}],
        "customers:unit_territories": [{"code": "GZ0101"}, {"code": "GZ01"}],
        "customers:territory_edit": [{"territory_id": world["territory"].pk}],
        "customers:unit_prospects": [{"code": "GZ0101"}],
        "customers:unit_referrals": [{"code": "GZ0101"}, {"code": "GZ01"}],
        "campaigns:detail": [{"code": "i18n_deposits"}],
        "campaigns:gifts": [{"code": "i18n_deposits"}],
        "kpi:contest_judge": [{"contest_id": world["judged"].pk}, {"contest_id": world["contest"].pk}],
        "kpi:rollout_detail": [{"code": "GZ0102"}, {"code": "GZ0101"}],
        "checklists:patrol_day": [{"code": "GZ0101"}],
        "checklists:patrol_tick": [{"code": "GZ0101", "template_id": world["patrol"].pk, "slot": "day"}],
        "checklists:inspection_detail": [{"inspection_id": world["inspection"].pk}],
        "outreach:list": [{"list_id": world["outreach_list"].pk}],
        "outreach:work": [{"list_id": world["outreach_list"].pk}],
        "outreach:card": [{"assignment_id": world["list_customer"].pk}],
        "complaints:detail": [{"complaint_id": world["complaint"].pk}],
    }


# The day or week a page opens on, where its default (today) would show none of the world's rows: the
# meetings of the world's days.
QUERY_VARIANTS = {
    "meetings:morning": [f"?date={DAY.isoformat()}"],
    "meetings:evening": [f"?date={DAY.isoformat()}"],
    "meetings:weekly": ["?week=2026-11-09"],
}


# The period switch's other values, where a page has one.
PERIOD_VARIANTS = {"kpi:overview", "kpi:my_scorecard", "kpi:unit_scorecard", "kpi:unit_overview"}


def _walk(patterns, prefix: str = "", namespace: str = "") -> Iterable[tuple[str, str | None, URLPattern]]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, route, inner)
        else:
            yield route, f"{namespace}{pattern.name}" if pattern.name else None, pattern


def page_urls(world: dict) -> list[str]:
    """Every page of the resolver, with its parameters filled in; fails on a page it cannot fill."""
    params = _route_params(world)
    urls: list[str] = []
    unknown = []
    for route, name, pattern in _walk(get_resolver().url_patterns):
        if any(route.startswith(skipped) for skipped in SKIPPED_ROUTES):
            continue
        if not pattern.pattern.converters:
            found = [reverse(name)]
        elif name in params:
            found = [reverse(name, kwargs=kwargs) for kwargs in params[name]]
        else:
            unknown.append(route)
            continue
        urls += found
        if name in PERIOD_VARIANTS:
            urls += [f"{url}?period={period}" for url in found for period in ("day", "week", "year")]
        urls += [f"{url}{query}" for url in found for query in QUERY_VARIANTS.get(name, [])]
    assert unknown == [], f"give these pages their parameters in _route_params, or skip them with a reason: {unknown}"
    return urls


# -- the world -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> dict:
    """ranking_data's scored network (GZ0101–GZ0104 and SZ0101 on 14 and 15 November), with a teller's
    target and sign-ups, a contest, a benchmark, customers tiered, an alert with its history, a review, a
    plan, an import batch and a closed month: one of everything a page or an admin screen shows; and the
    personas, by role. Made once for the module: its tests only read it, each in a savepoint of its own
    (tests/shared_data.py)."""
    with shared_data(django_db_blocker):
        with as_in_a_test():
            network = network_of_the_tests()
            people = {
                "teller": teller_of(network),
                "hq_admin": hq_admin_of(network),
                "auditor": auditor_of(network),
                "unit_manager": unit_manager_of(network),
                "outlet_head": outlet_head_of(network),
            }
            made = {**_world(network, **people), "people": people}
        yield made


def persona_of(world: dict, role: str) -> User:
    """The world's persona of `role`, read anew: a test may change its row (in its own savepoint)."""
    return User.objects.get(pk=world["people"][role].pk)


def _world(network, teller, hq_admin, auditor, unit_manager, outlet_head) -> dict:
    gz01 = network["GZ01"]
    network["GZ0103"] = OrgUnitFactory.outlet_of(gz01, code="GZ0103", name_zh="体育西网点")
    network["GZ0104"] = OrgUnitFactory.outlet_of(gz01, code="GZ0104", name_zh="石牌网点")
    peer_groups_rebuild()
    outlet_template = ranking_data.outlet_template()
    outlet_template.area = "urban"
    outlet_template.save()
    staff_template = ScorecardTemplate.objects.create(
        code="T-TELLER", name_zh="柜员考核", subject="staff", effective_from=datetime.date(2026, 1, 1)
    )
    staff_template.posts.add(post("teller"))
    TemplateLine.objects.create(
        template=staff_template, metric=ranking_data.metric("mobile_banking_signups"), kind=LineKind.WEIGHTED,
        weight=100, sort_order=0,
    )  # fmt: skip
    for code, (previous, today) in ranking_data.FIGURES.items():
        ranking_data.month_targets(network[code])
        ranking_data.scored_day(network[code], previous, ranking_data.PREVIOUS)
        ranking_data.scored_day(network[code], today, DAY)
    ranking_data.fact(network["GZ0104"], "risk_events", 1, DAY)
    huang = teller.staff_member
    # A target set through the service leaves its history (old value none → 2,500).
    target_set(
        metric=ranking_data.metric("mobile_banking_signups"), period=parse_period("2026-11"), value=Decimal("25"),
        staff=huang, changed_by=hq_admin, source="admin",
    )  # fmt: skip
    signups = Fact.objects.create(
        date=DAY, unit=network["GZ0101"], staff=huang, metric=ranking_data.metric("mobile_banking_signups"),
        value=Decimal("12"),
    )  # fmt: skip
    he_jing = StaffMemberFactory(code="S1002", name="何静")
    AssignmentFactory(staff=he_jing, post="lobby_manager", unit=network["GZ0101"])
    CreditSplit.objects.create(fact=signups, partner=he_jing, share=Decimal("30"), created_by=hq_admin)
    # HQ's standing 分润 rule (手机银行: teller 80, referring lobby manager 20) and the outlet's 25 %.
    signup_rule = CreditSplitRule.objects.create(
        metric=ranking_data.metric("mobile_banking_signups"), owner_post=post("teller"),
        partner_post=post("lobby_manager"), share=Decimal(20), min_share=Decimal(10),
        max_share=Decimal(30), effective_from=datetime.date(2026, 1, 1), note="大堂转介",
    )  # fmt: skip
    credit_split_adjust(
        scope=scope_for_user(outlet_head), outlet=network["GZ0101"], rule=signup_rule, share=Decimal(25),
        reason="网点转介激励方案", changed_by=outlet_head,
    )  # fmt: skip
    ranking_data.roll(ranking_data.PREVIOUS, DAY)

    network["GZ0101"].is_benchmark = True
    network["GZ0101"].save()
    network["GZ0102"].benchmark = network["GZ0101"]
    network["GZ0102"].transformation = "transformed"
    network["GZ0102"].transformed_on = datetime.date(2026, 6, 15)
    network["GZ0102"].save()

    pk_contest = contest(gz01, (network["GZ0101"], network["GZ0102"]), template=outlet_template)

    for code, (oct_aum, nov_aum) in {"C1": ("49999.99", "50000"), "C2": ("200000", "199999.99")}.items():
        customer = CustomerFactory(code=code, home_outlet=network["GZ0101"], relationship_manager=huang, groups=5)
        SnapshotFactory(customer=customer, month=datetime.date(2026, 10, 1), aum_avg_daily=Decimal(oct_aum))
        SnapshotFactory(customer=customer, month=datetime.date(2026, 11, 1), aum_avg_daily=Decimal(nov_aum))
    tiering_run(month=datetime.date(2026, 10, 1))
    tiering_run(month=datetime.date(2026, 11, 1))

    alert = AlertFactory(unit=network["GZ0101"], opened_on=DAY, deadline=datetime.date(2026, 11, 22))
    AlertEvent.objects.create(
        alert=alert, by=outlet_head, from_status="open", to_status="in_progress", comment="已联系",
        changes={"deadline": ["2026-11-20", "2026-11-22"]},
    )  # fmt: skip
    review = WeeklyReviewFactory(unit=network["GZ0101"])
    plan = ImprovementPlanFactory(unit=network["GZ0101"])
    MeasureFactory(plan=plan, progress=40)
    IngestBatch.objects.create(source=IngestBatch.Source.CSV, label="facts.csv", rows=10, created=10)
    MonthClose.objects.create(month=datetime.date(2026, 10, 1), changed_by=hq_admin)
    MonthCloseEvent.objects.create(month=datetime.date(2026, 10, 1), action="close", by=hq_admin)
    CalendarDay.objects.create(date=datetime.date(2026, 10, 10), kind=CalendarDay.Kind.WORKDAY, name="国庆节调休")
    api_token_create(name="核心系统推送", unit=network["HQ"], scopes="read,ingest")
    Annotation.objects.create(
        unit=network["GZ0101"], kind="large_maturity", start=DAY, end=DAY, text="某企业定期存款到期",
        metric=ranking_data.metric("deposit_balance"), created_by=outlet_head,
    )  # fmt: skip
    tellers = Group.objects.create(name="柜面主管")
    tellers.permissions.set(Permission.objects.filter(codename__in=["view_target", "view_scorecardtemplate"]))
    browser = {"user_agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0", "http_accept": "text/html"}
    AccessAttempt.objects.create(
        username="chen.zhiqiang", ip_address="10.1.2.3", path_info="/accounts/login/", get_data="", post_data="",
        failures_since_start=2, **browser,
    )  # fmt: skip
    AccessFailureLog.objects.create(
        username="chen.zhiqiang", ip_address="10.1.2.3", path_info="/accounts/login/", **browser
    )
    AccessLog.objects.create(username="lin.xiaoyan", ip_address="10.1.2.4", path_info="/accounts/login/", **browser)
    target_plan, acknowledgement = _target_plan(network, hq_admin)
    _ledger(teller, outlet_head)
    _push_channel(network)
    _meetings(network, huang, alert, outlet_head, unit_manager)
    _pay(network, huang, hq_admin)
    territory = _outreach(network, huang)
    _campaign(network, huang, outlet_head)
    patrol, inspection = patrol_and_inspection(network["GZ0101"], huang, DAY, inspector="i18n.inspector")
    outreach_list, list_customer = called_list(network["GZ0101"], outlet_head, teller)
    _do_not_contact(outlet_head)
    complaint, judged = complaint_contest_and_rollout(network, huang, unit_manager)
    StandardPostMix.objects.create(format="full", post=post("teller"), count=4)
    return {
        "patrol": patrol,
        "inspection": inspection,
        "outreach_list": outreach_list,
        "list_customer": list_customer,
        "complaint": complaint,
        "judged": judged,
        "territory": territory,
        "network": network,
        "contest": pk_contest,
        "alert": alert,
        "review": review,
        "plan": plan,
        "target_plan": target_plan,
        "acknowledgement": acknowledgement,
    }


def _outreach(network, huang):
    """Issue 18: a market of GZ0101 owned by 黄丽娟, a prospect taken down there, and her 柜面转介 to a
    wealth manager (the outreach pages and their admin screens show one of each)."""
    from customers.models import Prospect, Referral, Territory

    outlet = network["GZ0101"]
    wealth = AssignmentFactory(unit=outlet, post="wealth_manager").staff
    territory = Territory.objects.create(kind="market", name="天河农贸市场", outlet=outlet, owner=huang)
    Prospect.objects.create(
        outlet=outlet, territory=territory, place="3 号摊位", name="陈大文", phone="13812345678",
        interest="wealth", captured_by=huang, captured_on=DAY,
    )  # fmt: skip
    Referral.objects.create(
        outlet=outlet, day=DAY, referrer=huang, channel="counter", receiver=wealth, product="wealth",
        status="won", closed_on=DAY,
    )  # fmt: skip
    return territory


def _campaign(network, huang, outlet_head) -> None:
    """A running 他行揽储 campaign (issue 20) with both bonus rules, a target, a script, a material, scores
    and a gift 黄丽娟 gave: its pages and admin show something of each."""
    from django.utils import timezone

    from campaigns.models import BonusRule
    from campaigns.services import campaign_scores_refresh, gift_record
    from tests.campaigns.factories import CampaignFactory, focus
    from tests.ledger.factories import points_metric

    today = timezone.localdate()
    campaign = CampaignFactory(
        code="i18n_deposits", unit=network["GZ"], start=DAY, end=today + datetime.timedelta(days=10),
        gift_budget=Decimal("5000"), gift_limit_per_customer=Decimal("200"), description="走访周边商户",
    )  # fmt: skip
    line = focus(campaign, "mobile_banking_signups", "2")
    focus(campaign, points_metric(), "1.5", rule=BonusRule.MULTIPLIER)
    campaign.targets.create(unit=network["GZ0101"], metric=line.metric, value=Decimal(100))
    campaign.materials.create(kind="script", title="开口话术", body="您好……")
    campaign.materials.create(kind="material", title="宣传折页", body="大堂摆放")
    campaign_scores_refresh(campaign=campaign, today=today)
    gift_record(
        scope=scope_for_user(outlet_head), user=outlet_head, campaign=campaign, staff=huang, day=today,
        customer_code="C0001024", customer_name="张三", item="食用油礼盒", value=Decimal("58.00"),
    )  # fmt: skip


def _do_not_contact(outlet_head) -> None:
    """A 勿扰 flag on the list's last customer (issue 18)."""
    from customers.models import Customer
    from outreach.models import DoNotContact

    DoNotContact.objects.create(
        customer=Customer.objects.order_by("pk").last(), note="客户要求勿扰", set_by=outlet_head
    )


def _ledger(teller, outlet_head) -> None:
    """The points ledger (issue 16): 黄丽娟's entries of yesterday and today, one approved, one waiting, one
    rejected, and a deduction: the ledger's pages and its admin show something of each."""
    from django.utils import timezone

    from ledger.services import Action, entries_decide, entry_create
    from staff.access import scope_for_user
    from tests.ledger.factories import card_item, discipline_item

    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    cards = card_item()

    def record(user, item, day, quantity, **kwargs):
        return entry_create(scope=scope_for_user(user), user=user, item=item, day=day, quantity=quantity, **kwargs)

    head = scope_for_user(outlet_head)
    approved = record(teller, cards, yesterday, 2, customer_code="C0001024", note="柜面推荐办卡")
    entries_decide(scope=head, user=outlet_head, entry_ids=[approved.pk], action=Action.APPROVE)
    rejected = record(teller, cards, yesterday, 1, customer_code="C0002048")
    entries_decide(scope=head, user=outlet_head, entry_ids=[rejected.pk], action=Action.REJECT, reason="查无开卡记录")
    record(teller, cards, today, 1, customer_code="C0004096")
    record(outlet_head, discipline_item(), yesterday, 1, staff=teller.staff_member, note="早会迟到")


def _push_channel(network: dict) -> None:
    """天河支行's WeCom group (issue 17), its webhook sealed, with the day's summary sent and a test that
    failed: the channel's admin shows its masked webhook, the deliveries' admin their statuses."""
    from notify import credentials
    from notify.models import Channel, ChannelKind, Delivery, DeliveryKind, DeliveryStatus

    channel = Channel.objects.create(
        name="天河支行业务群", unit=network["GZ01"], kind=ChannelKind.WECOM,
        webhook=credentials.seal("https://wecom.example.invalid/cgi-bin/webhook/send?key=0ec2sifa5aaa"),
    )  # fmt: skip
    Delivery.objects.create(channel=channel, day=DAY, status=DeliveryStatus.SENT, attempts=1, missing="GZ0104")
    Delivery.objects.create(
        channel=channel, day=DAY, kind=DeliveryKind.TEST, status=DeliveryStatus.FAILED, attempts=1,
        detail='{"errcode": 93000, "errmsg": "invalid webhook url"}',
    )  # fmt: skip


def _meetings(network: dict, huang, alert, outlet_head, unit_manager) -> None:
    """天河路网点's morning meeting of the world's day (attendance, a topic, a goal met: 12 sign-ups against
    10, with its audit) and 天河支行's Monday meeting of that week with an action item linked to the alert
    (issue 17)."""
    from meetings.models import ActionItem, Attendance, Goal, GoalChange, Meeting, Topic

    signups = ranking_data.metric("mobile_banking_signups")
    morning = Meeting.objects.create(
        unit=network["GZ0101"], kind="morning", date=DAY, held_by=outlet_head, decisions="今日主推手机银行"
    )
    morning.goal_metrics.add(signups)
    Attendance.objects.create(meeting=morning, staff=huang, status="present")
    Topic.objects.create(meeting=morning, kind="script", text="手机银行营销话术：三句话讲清好处", added_by=outlet_head)
    Goal.objects.create(meeting=morning, staff=huang, metric=signups, value=Decimal(10), set_by=outlet_head)
    GoalChange.objects.create(
        meeting=morning, staff=huang, metric=signups, new_value=Decimal(10), changed_by=outlet_head, source="page"
    )
    weekly = Meeting.objects.create(
        unit=network["GZ01"], kind="weekly", date=datetime.date(2026, 11, 9), held_by=unit_manager,
        decisions="各网点本周主攻手机银行签约",
    )  # fmt: skip
    ActionItem.objects.create(
        meeting=weekly, text="高峰时段增开弹性窗口", owner=outlet_head, due=datetime.date(2026, 11, 13),
        link_kind="alert", link_id=alert.pk, created_by=unit_manager,
    )  # fmt: skip


def _target_plan(network: dict, hq_admin) -> tuple:
    """天河支行's 2027 plan (issue 15), filled down to the staff and split over the months, with 天河路网点's
    answer asking for a review: every part of the plan pages and their admin shows something."""
    from plans.models import AcknowledgementStatus, TargetAcknowledgement
    from plans.services.cells import CellInput, plan_cells_save, plan_create
    from plans.services.fill import plan_fill, plan_fill_time
    from staff.access import scope_for_user

    scope = scope_for_user(hq_admin)
    year = parse_period("2027")
    metrics = [ranking_data.metric("mobile_banking_signups"), ranking_data.metric("deposit_growth")]
    plan = plan_create(scope=scope, unit=network["GZ01"], period=year, metrics=metrics, name="天河支行 2027 年度计划")
    plan_cells_save(
        scope=scope,
        plan=plan,
        cells=[CellInput(unit=network["GZ01"], metric=metric, period=year, value=Decimal(1200)) for metric in metrics],
    )
    plan_fill(scope=scope, plan=plan, level=network["GZ01"], metrics=metrics, method="equal", cascade=True)
    plan_fill_time(scope=scope, plan=plan, level=network["GZ01"], metrics=metrics[:1], into="month")
    acknowledgement = TargetAcknowledgement.objects.create(
        plan=plan, unit=network["GZ0101"], status=AcknowledgementStatus.REVIEW, reason="目标偏高，申请复核"
    )
    return plan, acknowledgement


def _pay(network: dict, huang, hq_admin) -> None:
    """A pay rule with a tiered piece rate, a pool, and 黄丽娟's stored sheet of the month the pay pages open
    on (last month) with a line of each kind, one of them gated (issue 16): the pay pages and admin."""
    from django.utils import timezone

    from pay.models import PayClose, PayRule, PaySheet, PaySheetLine, PieceRate, PieceRateTier, TeamPool
    from pay.selectors import default_month

    month = default_month()
    rule = PayRule.objects.create(
        template_code="T-TELLER", effective_from=datetime.date(2026, 1, 1), yuan_per_point=Decimal("20.00"),
        min_score=Decimal("60"), monthly_cap=Decimal("5500.00"), note="每分 20 元",
    )  # fmt: skip
    piece = PieceRate.objects.create(rule=rule, metric=ranking_data.metric("mobile_banking_signups"))
    PieceRateTier.objects.create(piece_rate=piece, from_volume=0, to_volume=10, yuan_per_unit=Decimal("5.00"))
    PieceRateTier.objects.create(piece_rate=piece, from_volume=10, yuan_per_unit=Decimal("8.00"))
    TeamPool.objects.create(unit=network["GZ0101"], month=month, amount=Decimal("10000.00"), note="网点团队奖金池")
    sheet = PaySheet.objects.create(
        month=month, staff=huang, unit=network["GZ0101"], rule=rule, template_code="T-TELLER",
        template_from=datetime.date(2026, 1, 1), scorecard_date=month, score=Decimal("55.5"), total=Decimal("24.00"),
        carried=Decimal("24.00"), closed_at=timezone.now(), closed_by=hq_admin,
    )  # fmt: skip
    tiers = [{"from": "0", "to": "10", "rate": "5.00", "units": "10", "amount": "50.00"},
             {"from": "10", "to": None, "rate": "8.00", "units": "2", "amount": "16.00"}]  # fmt: skip
    pool = {"unit": "GZ0101", "unit_name": "天河路网点", "unit_name_en": "Tianhe Road Outlet", "pool": "10000.00",
            "score": "0", "scores_total": "250", "sharing": 3}  # fmt: skip
    carry = {"month": "2026-09", "due": "5310.00", "paid": "5286.00", "carried_before": "0", "score_was": "87",
             "score_now": "88", "changes": [{"metric": "mobile_banking_signups", "was": "12", "now": "15"}],
             "late_facts": [{"date": "2026-09-15", "metric": "mobile_banking_signups", "value": "15",
                             "received": "2026-10-03 09:12"}], "late_facts_count": 3}  # fmt: skip
    for position, (kind, gross, fields) in enumerate(
        [
            ("points", "1110.00", {"rate": Decimal(20), "gate": "min_score", "basis": {"score": "55.5"}}),
            ("piece_rate", "66.00", {"metric": piece.metric, "volume": Decimal(12), "gate": "min_score",
                                     "basis": {"method": "marginal", "tiers": tiers}}),
            ("pool", "0.00", {"gate": "min_score", "basis": pool}),
            ("cap", "0.00", {"basis": {"cap": "5500.00", "before": "5500.00", "cut": "0.00"}}),
            ("carry_over", "24.00", {"source_month": datetime.date(2026, 9, 1), "basis": carry}),
        ]
    ):  # fmt: skip
        amount = Decimal(0) if fields.get("gate") else Decimal(gross)
        PaySheetLine.objects.create(
            sheet=sheet, position=position, kind=kind, gross=Decimal(gross), amount=amount, **fields
        )
    PayClose.objects.create(unit=network["GZ0101"], month=month, by=hq_admin, sheets=1, total=Decimal("24.00"))


# -- reading a page ----------------------------------------------------------------------------------

VISIBLE_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}
HIDDEN_ELEMENTS = {"script", "style", "template", "head"}
VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _VisibleText(HTMLParser):
    """The text a reader sees (and a screen reader reads): text nodes, the title, the attributes above
    and buttons' values. Left out: scripts (a chart's json_script data holds codes its script maps to
    labels) and styles, what an element marks lang="en", and the alt text of the admin's own icons
    (Django writes "True", "False" and "Search" there in English whatever the language: a limit of its
    templates that BankOps does not override)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, hidden)

    @property
    def hidden(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        hidden = self.hidden or tag in HIDDEN_ELEMENTS or (attributes.get("lang") or "").startswith("en")
        if tag == "title":
            hidden = False
        if not hidden:
            admin_icon = tag == "img" and "/admin/img/" in (attributes.get("src") or "")
            self.parts.extend(value for name, value in attrs if name in VISIBLE_ATTRIBUTES and value and not admin_icon)
            if tag == "input" and attributes.get("type") in ("submit", "button", "reset") and attributes.get("value"):
                self.parts.append(attributes["value"])
        if tag not in VOID_ELEMENTS:
            self.stack.append((tag, hidden))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_ELEMENTS:
            self.stack.pop()

    def handle_endtag(self, tag):
        # Tolerant of unclosed elements (<li>, <p>, <option>): pop up to the matching tag.
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data):
        if not self.hidden and data.strip():
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return " \n ".join(" ".join(part.split()) for part in parser.parts)


# -- what counts as English ------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"%\(\w+\)[sdfi]|%[sdfi]|\{\w*\}")
_EDGE = r"(?<![\w.@/*-])"
_EDGE_END = r"(?![\w@/*-])"


def _phrase_pattern(msgid: str) -> _Phrase | None:
    """A pattern finding `msgid` as a whole phrase, or None when it cannot be told from a code: no word of
    three letters or more ("No", "OK"), or no lowercase letter at all ("API", "PK", "CSV")."""
    text = " ".join(msgid.replace("%%", "%").split())
    literal = _PLACEHOLDER.sub(" ", text)
    if not re.search(r"[A-Za-z]{3,}", literal) or not re.search(r"[a-z]", literal):
        return None
    pieces = [re.escape(piece).replace(r"\ ", r"\s+") for piece in _PLACEHOLDER.split(text)]
    pattern = re.compile(_EDGE + r".{0,80}?".join(pieces) + _EDGE_END + r"(?!\.\w)")
    return _Phrase(max(literal.split(), key=len), pattern)


class _Phrase:
    """A msgid's pattern behind a plain substring test: the pattern can only match a text that holds the
    msgid's longest word as it is (the pattern's words are literal, only the spaces between them vary),
    and `word in text` is a hundred times cheaper than the pattern's search. The walks below search every
    page for some 3,000 msgids."""

    __slots__ = ("needle", "pattern")

    def __init__(self, needle: str, pattern: re.Pattern):
        self.needle, self.pattern = needle, pattern

    def search(self, text: str):
        return self.needle in text and self.pattern.search(text)


def catalog_patterns_of(entries, *, skip_kept: bool) -> dict[str, _Phrase]:
    """A pattern per msgid. `skip_kept`: leave out a msgid whose translation keeps the English (a brand,
    "Excel"); a msgid without a translation (empty or fuzzy msgstr) stays in, so a page that prints one
    fails here as well as in test_i18n.py's check of the catalog."""
    patterns = {}
    for entry in entries:
        if not entry.msgid or (skip_kept and entry.msgstr and not entry.fuzzy and entry.msgid in entry.msgstr):
            continue  # its translation keeps the English
        pattern = _phrase_pattern(entry.msgid)
        if pattern is not None:
            patterns[entry.msgid] = pattern
    return patterns


def _django_catalogs() -> list[Path]:
    """Django's English catalogs (every msgid of this version) of the parts BankOps shows."""
    apps = ("admin", "auth", "contenttypes", "sessions", "humanize")
    return [
        DJANGO_DIR / "conf" / "locale" / "en" / "LC_MESSAGES" / "django.po",
        *(DJANGO_DIR / "contrib" / app / "locale" / "en" / "LC_MESSAGES" / "django.po" for app in apps),
    ]


@pytest.fixture(scope="module")
def catalog_patterns() -> dict[str, _Phrase]:
    return catalog_patterns_of(read_catalog(CATALOG)[1:], skip_kept=True)


@pytest.fixture(scope="module")
def django_patterns() -> dict[str, _Phrase]:
    """Django's msgids of two words or more (its one-word msgids are mostly names, of languages, months
    and weekdays, that no BankOps page prints through them), and the one-word offenders seen on a
    Chinese page: Django's auth "Groups" shown as 客群 when our catalog took the msgid."""
    entries = [entry for path in _django_catalogs() for entry in read_catalog(path)[1:]]
    patterns = catalog_patterns_of([entry for entry in entries if len(entry.msgid.split()) >= 2], skip_kept=False)
    for msgid in ("Groups", "Group", "Permissions", "Users"):
        patterns[msgid] = _phrase_pattern(msgid)
    return patterns


# Lowercase English words: two letters or more after the first, not part of a code, a path, an e-mail,
# a file name or a masked value.
_WORD = re.compile(_EDGE + r"[A-Za-z]?[a-z]{2,}(?![\w@/*-]|\.\w)")
# Words a Chinese page may show: a product's name, and the names printed on the keys of a keyboard
# (Django's own 按住 Control 键或 Mac 上的 Command 键来选择多项).
ALLOWED_WORDS = {"Excel", "Control", "Command", "Mac"}


def records_in_english() -> tuple[set[str], set[str]]:
    """What the records themselves hold in English, which a Chinese page may print as it is: the
    English names (name_en: the admin edits them) and the codes (a metric's `complaints`, a tier's
    `private`, a login's `wu.guoping`)."""
    from django.apps import apps

    names, codes = set(), set()
    for model in apps.get_models():
        fields = {field.name for field in model._meta.get_fields()}
        if "name_en" in fields:
            names.update(value for value in model.objects.values_list("name_en", flat=True) if value)
        if "code" in fields and model._meta.get_field("code").get_internal_type() == "CharField":
            codes.update(model.objects.values_list("code", flat=True))
    codes.update(apps.get_model(settings.AUTH_USER_MODEL).objects.values_list("username", flat=True))
    # What the sign-in lockout records of a request (django-axes): the browser's own words, "<unknown>"
    # when it sent none.
    for model in (AccessLog, AccessAttempt, AccessFailureLog):
        for field in ("user_agent", "http_accept", "path_info"):
            names.update(value for value in model.objects.values_list(field, flat=True) if value)
    return names, codes


def english_in(text: str, catalog_patterns, django_patterns, records) -> list[str]:
    names, codes = records
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " ")
    # A record's code may be a msgid too (the metric `complaints`, the complaints app's verbose name): the
    # code printed as it is is not an untranslated string.
    found = [
        f"catalog: {msgid!r}"
        for msgid, pattern in catalog_patterns.items()
        if msgid not in codes and pattern.search(text)
    ]
    found += [f"django: {msgid!r}" for msgid, pattern in django_patterns.items() if pattern.search(text)]
    words = sorted({word for word in _WORD.findall(text) if word not in ALLOWED_WORDS and word not in codes})
    if words:
        found.append(f"words: {words}")
    return found


def _check(client, url: str, patterns: tuple, problems: dict) -> None:
    """The page at `url` read for English and, once it is read, for raw figures (test_numbers_complete.py's
    rule): both look at the same visible text, so each page is rendered once for both."""
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code in (200, 302, 403, 404), (url, response.status_code)
    if response.status_code == 302 or not response.get("Content-Type", "").startswith("text/html"):
        return
    text = visible_text(response.content.decode())
    found = english_in(text, *patterns)
    if response.status_code == 200:
        found += raw_numbers_in(text)
    if found:
        problems[f"{response.status_code} {url}"] = found


# -- the tests -------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_page_reads_in_chinese_with_banker_grade_numbers_for_each_persona(
    client, world, persona, catalog_patterns, django_patterns
):
    client.force_login(persona_of(world, persona))
    patterns = catalog_patterns, django_patterns, records_in_english()
    problems: dict[str, list[str]] = {}

    for url in page_urls(world):
        _check(client, url, patterns, problems)

    assert problems == {}


def admin_urls() -> list[str]:
    """The admin's index, each app's, and every registered model's changelist, add form and the change
    form, history and delete confirmation of its first row; a user's password form."""
    urls = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        info = model._meta.app_label, model._meta.model_name
        urls.append(reverse("admin:app_list", args=[model._meta.app_label]))
        urls.append(reverse("admin:{}_{}_changelist".format(*info)))
        urls.append(reverse("admin:{}_{}_add".format(*info)))
        first = model_admin.get_queryset(_superuser_request()).order_by("pk").first()
        if first is not None:
            for view in ("change", "history", "delete"):
                urls.append(reverse(f"admin:{info[0]}_{info[1]}_{view}", args=[first.pk]))
    first_user = User.objects.order_by("pk").first()
    urls.append(reverse("admin:auth_user_password_change", args=[first_user.pk]))
    return list(dict.fromkeys(urls))


def _superuser_request():
    """A request of a superuser, for the admins' own get_queryset (some scope their rows by the user)."""
    request = RequestFactory().get("/admin/")
    request.user = User(username="root", is_superuser=True, is_staff=True, is_active=True)
    return request


@pytest.fixture
def admin_persona(request, world):
    """HQ's administrator as a superuser (as the demo makes them), or an auditor let into the admin with
    every view permission (read-only screens)."""
    if request.param == "hq_admin":
        hq_admin = persona_of(world, "hq_admin")
        hq_admin.is_staff = hq_admin.is_superuser = True
        hq_admin.save()
        return hq_admin
    auditor = persona_of(world, "auditor")
    auditor.is_staff = True
    auditor.save()
    auditor.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    return auditor


@pytest.mark.parametrize("admin_persona", ["hq_admin", "auditor"], indirect=True)
def test_every_admin_screen_reads_in_chinese_with_banker_grade_numbers(
    client, world, admin_persona, catalog_patterns, django_patterns
):
    client.force_login(admin_persona)
    patterns = catalog_patterns, django_patterns, records_in_english()
    problems: dict[str, list[str]] = {}

    for url in admin_urls():
        _check(client, url, patterns, problems)

    assert problems == {}


def test_every_model_of_the_admin_has_a_row_in_the_world(world):
    """So that the walk above opens a change form of each: a model added to the admin needs a row here."""
    empty = [
        f"{model._meta.app_label}.{model._meta.model_name}"
        for model, model_admin in admin.site._registry.items()
        if not model_admin.get_queryset(_superuser_request()).exists()
    ]

    assert empty == []


# -- the catalogs ----------------------------------------------------------------------------------


# Where our catalog translates a word of Django's admin otherwise than Django does, and why that is right:
# a synonym, or the name BankOps gives the thing.
RETRANSLATED_ADMIN_WORDS = {
    "Add": "添加",  # 增加: the same
    "Administration": "管理后台",  # the site's title
    "Page not found": "页面不存在",  # 页面没有找到: the same
    "entry": "登记",  # a ledger entry (台账登记); the admin shows its 条目 nowhere
}


def test_our_catalog_does_not_give_a_word_of_djangos_admin_another_meaning():
    """A msgid of ours that is also one of the admin's replaces the admin's translation everywhere: our
    "Summary" (an inspection's 检查小结) made the delete confirmation's 概览 read 检查小结, our "Change"
    (a figure's 变化) made every 修改 link of the admin read 变化. A word ours uses in its own sense takes
    a context (pgettext)."""
    admin_catalog = DJANGO_DIR / "contrib" / "admin" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    djangos = {(entry.context, entry.msgid): entry.msgstr for entry in read_catalog(admin_catalog) if entry.msgstr}
    ours = {(entry.context, entry.msgid): entry.msgstr for entry in read_catalog(CATALOG) if entry.msgid}

    differing = {
        msgid: msgstr
        for (context, msgid), msgstr in ours.items()
        if (context, msgid) in djangos and msgstr != djangos[context, msgid]
    }

    assert differing == RETRANSLATED_ADMIN_WORDS


@pytest.mark.parametrize("path", [CATALOG, JS_CATALOG], ids=["django.po", "djangojs.po"])
def test_no_entry_of_our_catalogs_is_empty_or_fuzzy(path):
    header, *entries = read_catalog(path)

    assert not header.fuzzy
    assert entries
    assert [entry.msgid for entry in entries if entry.fuzzy] == []
    assert [entry.msgid for entry in entries if not entry.msgstr] == []


_JS_GETTEXT = re.compile(r"""\b(?:gettext|ngettext)\(\s*(['"])((?:\\.|(?!\1).)*)\1""")


def test_every_string_the_admins_javascript_asks_for_has_a_chinese_translation():
    """The widgets the admin draws in the browser (the two boxes of "Choose 岗位 by selecting them…", the
    calendar, "Choose all") translate through the djangojs catalog: Django's zh-Hans lacks the strings
    its 5.x JavaScript added, so ours (locale/zh_Hans/LC_MESSAGES/djangojs.po) holds them."""
    scripts = (DJANGO_DIR / "contrib" / "admin" / "static" / "admin" / "js").glob("*.js")
    asked = {
        match.group(2).replace("\\'", "'").replace('\\"', '"')
        for script in scripts
        for match in _JS_GETTEXT.finditer(script.read_text(encoding="utf-8"))
    }
    catalog = DjangoTranslation(
        "zh-hans", domain="djangojs", localedirs=[str(DJANGO_DIR / "contrib" / "admin" / "locale")]
    )

    untranslated = sorted(msgid for msgid in asked if catalog.gettext(msgid) == msgid)

    assert len(asked) > 30
    assert untranslated == []


def test_djangos_auth_groups_read_as_user_groups_and_our_customer_groups_as_customer_groups():
    from django.contrib.auth.models import Group

    from customers.models import Customer

    with translation.override("zh-hans"):
        assert str(Group._meta.verbose_name_plural) == "用户组"
        assert str(Group._meta.verbose_name) == "用户组"
        assert str(Customer._meta.get_field("groups").verbose_name) == "客群"


# -- the service messages shown in the admin -------------------------------------------------------

FACTS_FILE = (
    "date,unit,staff,metric,value\n2026-11-24,GZ0101,,customers_served,120\n2026-11-24,GZ0102,,customers_served,80\n"
)


def test_an_import_in_the_admin_reports_its_counts_in_chinese(client, world):
    hq_admin = persona_of(world, "hq_admin")
    hq_admin.is_staff = hq_admin.is_superuser = True
    hq_admin.save()
    client.force_login(hq_admin)

    response = client.post(
        "/admin/kpi/fact/import-csv/", {"file": SimpleUploadedFile("facts.csv", FACTS_FILE.encode())}, follow=True
    )

    assert [str(message) for message in response.context["messages"]] == ["已导入：新增 2 条，更新 0 条，未变 0 条。"]


def test_a_bad_file_in_the_admin_is_told_in_chinese_problem_by_problem(client, world):
    hq_admin = persona_of(world, "hq_admin")
    hq_admin.is_staff = hq_admin.is_superuser = True
    hq_admin.save()
    client.force_login(hq_admin)
    bad = "date,unit,staff,metric,value\n2026-13-01,GZ0101,,customers_served,abc\n,GZ0102,,customers_served,1\n"

    response = client.post("/admin/kpi/fact/import-csv/", {"file": SimpleUploadedFile("facts.csv", bad.encode())})

    assert [(problem.line, problem.field, problem.message) for problem in response.context["problems"]] == [
        (2, "date", "“2026-13-01”不是 YYYY-MM-DD 格式的日期"),
        (2, "value", "“abc”不是数字（应为如 123.45 的数字）"),
        (3, "date", "必填（YYYY-MM-DD 格式的日期）"),
    ]
    # A header without a column the import needs: named, with the columns expected.
    response = client.post(
        "/admin/kpi/fact/import-csv/", {"file": SimpleUploadedFile("facts.csv", b"date,unit\n2026-11-24,GZ0101\n")}
    )
    assert response.context["problems"][0].message == "表头缺少“staff”列（应为 date,unit,staff,metric,value）"


def test_a_target_set_for_the_first_time_shows_its_old_value_as_a_dash_not_none(world):
    target_set(
        metric=ranking_data.metric("deposit_balance"), period=parse_period("2026-11"), value=Decimal("2500"),
        unit=world["network"]["GZ0101"], changed_by=persona_of(world, "hq_admin"), source="admin",
    )  # fmt: skip

    change = TargetChange.objects.get(metric_code="deposit_balance")

    assert str(change) == "2026-11 GZ0101 deposit_balance: — → 2500"  # nor the column's 2500.0000
    with translation.override("zh-hans"):
        assert change.get_source_display() == "管理后台"


def test_the_rollups_progress_reads_in_chinese_in_the_admin_and_an_error_stays_marked_english():
    from kpi.admin import RUN_MESSAGES
    from lib.stored_messages import shown_message

    with translation.override("zh-hans"):
        assert shown_message("2026-11-15: published", RUN_MESSAGES) == "2026-11-15：已发布"
        assert shown_message("month 2026-10 is closed", RUN_MESSAGES) == "2026-10 已关账"
        assert shown_message("KeyError: 'x'", RUN_MESSAGES) == '<span lang="en">KeyError: &#x27;x&#x27;</span>'


# -- every string marked for translation has one ----------------------------------------------------

# What `make messages` leaves out (MESSAGES_IGNORE in the Makefile), and what is not ours.
SOURCE_IGNORED = {".venv", "staticfiles", "bench", "tests", "node_modules", ".git", "locale"}
# django.utils.translation's functions that mark a string, and the position of (context, msgid).
MARKING = {
    "gettext": (None, 0),
    "gettext_lazy": (None, 0),
    "gettext_noop": (None, 0),
    "ngettext": (None, 0),
    "ngettext_lazy": (None, 0),
    "pgettext": (0, 1),
    "pgettext_lazy": (0, 1),
    "npgettext": (0, 1),
    "npgettext_lazy": (0, 1),
}
# A call in the Python text that Django's templatize makes of a template: gettext(u'…'), pgettext(u'…', u'…').
_LITERAL = r"""u?(?:'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")"""
_TEMPLATE_CALL = re.compile(rf"\b(n?p?gettext)\(\s*({_LITERAL})(?:\s*,\s*({_LITERAL}))?")


def _source_files(suffix: str) -> list[Path]:
    base = Path(settings.BASE_DIR)
    return sorted(
        path for path in base.rglob(f"*{suffix}") if not SOURCE_IGNORED & set(path.relative_to(base).parts[:-1])
    )


def _python_msgids(path: Path) -> Iterable[tuple[str | None, str]]:
    """(context, msgid) of every call of a marking function, under whatever name the module imports it."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {
        alias.asname or alias.name: alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation"
        for alias in node.names
        if alias.name in MARKING
    }
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names):
            continue
        context_at, msgid_at = MARKING[names[node.func.id]]
        args = node.args
        if len(args) <= msgid_at or not all(
            isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            for arg in args[: msgid_at + 1]
            if arg is not None
        ):
            continue  # a variable or an f-string: nothing a catalog could hold
        yield (args[context_at].value if context_at is not None else None), args[msgid_at].value


def _template_msgids(path: Path) -> Iterable[tuple[str | None, str]]:
    """(context, msgid) of the template's translate and blocktranslate tags, as makemessages reads them."""
    import ast

    from django.utils.translation.template import templatize

    for function, first, second in _TEMPLATE_CALL.findall(templatize(path.read_text(encoding="utf-8"))):
        first_text = ast.literal_eval(first)
        if function.startswith("np") or function == "pgettext":
            yield first_text, ast.literal_eval(second)
        else:
            yield None, first_text


def marked_msgids() -> dict[tuple[str | None, str], str]:
    """Every string the project marks for translation → the first file that marks it."""
    marked: dict[tuple[str | None, str], str] = {}
    base = Path(settings.BASE_DIR)
    for path in _source_files(".py"):
        for key in _python_msgids(path):
            marked.setdefault(key, str(path.relative_to(base)))
    for path in _source_files(".html"):
        for key in _template_msgids(path):
            marked.setdefault(key, str(path.relative_to(base)))
    return marked


def test_the_marking_finds_the_strings_of_code_and_templates():
    marked = marked_msgids()

    assert marked[None, "Benchmark outlet (标杆网点)"] == "templates/kpi/benchmark.html"
    assert (None, "Before (%(month)s)") in marked  # a blocktranslate with a variable
    assert ("a … target", "month") in marked  # pgettext_lazy, in kpi/services/decomposition.py
    assert len(marked) > 400


def test_every_string_marked_for_translation_is_in_the_catalog_with_a_translation():
    """A string marked in the code or a template but missing from django.po (or there with an empty or
    fuzzy msgstr) shows in English on a Chinese page: run `make messages`, translate, run it again."""
    catalog = {(entry.context, entry.msgid): entry for entry in read_catalog(CATALOG)[1:]}

    untranslated = {}
    for (context, msgid), where in marked_msgids().items():
        entry = catalog.get((context, msgid))
        problem = "missing" if entry is None else "fuzzy" if entry.fuzzy else "empty" if not entry.msgstr else None
        if problem:
            untranslated[f"{where}: {msgid!r}" + (f" (context {context!r})" if context else "")] = problem

    assert untranslated == {}


def test_the_compiled_catalog_translates_every_entry_of_the_po_plurals_and_contexts_included():
    """test_i18n.py compares the simple entries; here the plural and contextual ones too, through the
    functions the code calls (a .po edited without compiling leaves them in English)."""
    entries = [entry for entry in read_catalog(CATALOG)[1:] if entry.msgstr and not entry.fuzzy]

    with translation.override("zh-hans"):

        def compiled(entry) -> str:
            if entry.plural and entry.context is not None:
                return translation.npgettext(entry.context, entry.msgid, entry.msgid, 1)
            if entry.plural:
                return translation.ngettext(entry.msgid, entry.msgid, 1)
            if entry.context is not None:
                return translation.pgettext(entry.context, entry.msgid)
            return translation.gettext(entry.msgid)

        stale = {entry.msgid: compiled(entry) for entry in entries if compiled(entry) != entry.msgstr}

    assert any(entry.plural for entry in entries) and any(entry.context for entry in entries)
    assert stale == {}


def test_the_check_finds_a_msgid_left_in_english_across_spaces_and_placeholders_and_nothing_in_chinese():
    from types import SimpleNamespace

    entries = [
        SimpleNamespace(msgid="Behind pace by %(days)s days", msgstr="落后进度 %(days)s 天", fuzzy=False),
        SimpleNamespace(msgid="Excel", msgstr="Excel", fuzzy=False),  # its translation keeps it: not searched
    ]
    patterns = catalog_patterns_of(entries, skip_kept=True)
    records = (set(), set())

    assert list(patterns) == ["Behind pace by %(days)s days"]
    assert english_in("网点 Behind  pace\nby 3 days 。", patterns, {}, records) == [
        "catalog: 'Behind pace by %(days)s days'",
        "words: ['Behind', 'by', 'days', 'pace']",
    ]
    assert english_in("网点落后进度 3 天", patterns, {}, records) == []
    # The word is there, the phrase is not: the pattern decides, not the substring test before it.
    assert english_in("pace 网点", patterns, {}, records) == ["words: ['pace']"]


# Each import's own rules, beyond the problems every import shares (above): a file breaking as many as
# a file can, in the admin's import page, problem by problem in Chinese. A message may quote what the
# file holds (its codes, its column names, a choice's values); nothing else in it is English.
BAD_FILES = {
    "facts": (
        "/admin/kpi/fact/import-csv/",
        "date,unit,staff,metric,value,partner\n"
        "2099-01-01,GZ0101,,customers_served,1,\n"
        "2026-11-20,GZ01,,customers_served,1,\n"
        "2026-11-20,GZ0101,,npl_ratio,1,\n"
        "2026-11-20,GZ0101,,deposit_growth,1,\n"
        "2026-11-20,GZ0101,,mobile_banking_signups,0.5,\n"
        "2026-11-20,GZ0101,,deposit_balance,-1,\n"
        "2026-11-20,GZ0101,,customers_served,12345678901234567,\n"
        "2026-11-20,GZ0101,,customers_served,1.123456,\n"
        "2026-11-20,XX99,,customers_served,1,\n"
        "2026-11-20,GZ0101,,nosuch,1,\n"
        "2026-11-21,GZ0101,,customers_served,1,\n"
        "2026-11-21,GZ0101,,customers_served,2,\n"
        "2026-11-20,GZ0101,,customers_served,1,S1001\n"
        "2026-11-20,GZ0101,S1001,mobile_banking_signups,1,S1001\n"
        "2026-11-20,SZ0101,S1001,mobile_banking_signups,1,\n"
        "2026-11-20,GZ0101,S1001,ledger_points,1,\n"
        "2026-11-20,GZ0101,,mobile_banking_signups,-2,\n",
    ),
    "targets": (
        "/admin/kpi/target/import-csv/",
        "period,unit,staff,metric,target\n"
        "2026-13,GZ0101,,deposit_balance,1\n"
        ",GZ0101,,deposit_balance,1\n"
        "2026-11,,S1001,deposit_balance,1\n"
        "2026-11,GZ0101,,deposit_balance,-1\n"
        "2026-11,GZ0101,,deposit_balance,1.123456\n"
        "2026-11,,,deposit_balance,1\n"
        "2026-11,XX,,deposit_balance,1\n"
        "2026-11,GZ0101,,nosuch,1\n"
        "2026-11,SZ0101,S1001,mobile_banking_signups,1\n"
        "2026-12,GZ0101,,deposit_balance,1\n"
        "2026-12,GZ0101,,deposit_balance,2\n"
        "3000,GZ0101,,deposit_balance,1\n",
    ),
    "units": (
        "/admin/branches/orgunit/import-csv/",
        "code,parent,name_zh,name_en,kind,area,format,status\n"
        "AA,BB,甲,,sub_branch,urban,,active\n"
        "BB,AA,乙,,sub_branch,,,active\n"
        "HQ2,GZ,丙,,hq,,,active\n"
        "CC,,丁,,branch,,,active\n"
        "DD,GZ0101,戊,,outlet,urban,full,active\n"
        "EE,XX,己,,branch,,,active\n"
        "EE,GZ,庚,,branch,,,active\n",
    ),
    "staff": (
        "/admin/staff/staffmember/import-csv/",
        "code,name,post,unit,start,end\n"
        "S7,张三,teller,GZ0101,2026-11-02,2026-11-01\n"
        "S7,张四,teller,GZ0101,2026-10-01,\n"
        "S8,王五,teller,XX,2026-10-01,\n"
        "S9,赵六,teller,GZ0101,2026-10-01,\n"
        "S9,赵六,teller,GZ0101,2026-10-01,\n",
    ),
    "customers": (
        "/admin/customers/customer/import-csv/",
        "customer,name,id_number,home_outlet,relationship_manager,groups\n"
        "C1,客户甲,123,GZ01,,\n"
        "C2,客户乙,,XX,S99,\n"
        "C3,客户丙,,GZ0101,,young;merchant\n"
        "C4,客户丁,,GZ0101,,\n"
        "C4,客户丁,,GZ0101,,\n"
        "C5,客户戊,110105194912310029,GZ0101,,\n"
        "C6,客户己,110105194913310021,GZ0101,,\n",
    ),
    "customer_snapshots": (
        "/admin/customers/snapshot/import-csv/",
        "customer,month,deposits,wealth,funds,insurance,bonds,aum_avg_daily\nC999,2026-10,1,,,,,1\n",
    ),
    "calendar": (
        "/admin/kpi/calendarday/import-csv/",
        "date,kind,name\n2026-12-01,workday,\n2026-12-05,holiday,\n2026-12-05,holiday,\n",
    ),
}


def _told(today: datetime.date) -> dict[str, list[tuple[int, str, str]]]:
    """What the admin says of each of BAD_FILES, worked out by hand from the files and the world."""
    return {
        "facts": [
            (2, "date", f"2099-01-01 是未来的日期；业务数据只收取至 {today}（今天）"),
            (3, "unit", "“GZ01”是支行，不是网点；业务数据由网点报送，上级机构由网点汇总"),
            (4, "metric", "“npl_ratio”是比率指标，由系统计算：请改为报送其组成部分（npl_balance 和 loan_balance）"),
            (5, "metric", "“deposit_growth”是净增指标，由系统计算：请改为报送其基础指标（deposit_balance）"),
            (6, "value", "“0.5”不是整数；“mobile_banking_signups”以户计数"),
            (7, "value", "“-1”为负数；“deposit_balance”须大于或等于 0（余额不能为负）"),
            (8, "value", "“12345678901234567”过大（小数点前最多 16 位）"),
            (9, "value", "“1.123456”的小数位超过 4 位（最多 4 位）"),
            (10, "unit", "机构“XX99”不存在"),
            (11, "metric", "指标“nosuch”不存在"),
            (13, "metric", "相同的业务数据（日期、机构、员工、指标）已在第 12 行出现"),
            (14, "partner", "分润对象分享的是某位员工的业务：请在“staff”中填写完成该业务的员工"),
            (15, "partner", "“S1001”就是该笔业务的员工本人；请填写参与分润的同事"),
            (16, "staff", "员工“S1001”在 2026-11-20 未在 SZ0101 任职"),
            (17, "metric", "“ledger_points”统计台账积分（分）：其数据是已审批台账登记的合计，只能由台账写入"),
            (18, "value", "“-2”为负数；“mobile_banking_signups”须大于或等于 0（它以户计数）"),
        ],
        "targets": [
            (2, "period", "“2026-13”不是期间（应为 2026、2026-Q4、2026-11、2026-W48 或 2026-11-24）"),
            (3, "period", "必填（应为 2026、2026-Q4、2026-11、2026-W48 或 2026-11-24）"),
            (4, "metric", "指标“deposit_balance”只按机构考核，不按员工考核"),
            (5, "target", "-1 小于 0（目标须大于或等于 0）"),
            (6, "target", "1.123456 的小数位超过 4 位"),
            (7, "unit", "请填写机构编号；员工目标请填写员工编号"),
            (8, "unit", "机构“XX”不存在；请先导入机构"),
            (9, "metric", "指标“nosuch”不在指标库中"),
            (
                10,
                "unit",
                "员工“S1001”在 2026-11（2026-11-01 – 2026-11-30）期间未在机构“SZ0101”任职；"
                "请将机构留空，或更正任职记录",
            ),
            (12, "period", "GZ0101、deposit_balance、2026-12 的目标已在第 11 行出现"),
            (13, "period", "“3000”超出支持的范围（1900 年至 2100 年）"),
        ],
        "units": [
            (2, "area", "只有网点才有区域；支行请留空"),
            (2, "parent", "“BB”在机构树中位于“AA”之下，这样会形成循环"),
            (3, "parent", "“AA”在机构树中位于“BB”之下，这样会形成循环"),
            (4, "parent", "总行（kind 为 hq）没有上级机构，请留空"),
            (5, "parent", "除总行外，每个机构都必须填写"),
            (6, "parent", "“GZ0101”是网点；网点下不能再设机构"),
            (7, "parent", "机构“XX”既不在文件中，也不在系统中"),
            (8, "code", "“EE”出现了两次（第一次在第 7 行）"),
        ],
        "staff": [
            (2, "end", "2026-11-01 早于开始日期 2026-11-02"),
            (3, "name", "“张四”与第 2 行 S7 的姓名“张三”不一致"),
            (4, "unit", "机构“XX”不存在；请先导入机构"),
            (6, "start", "相同的任职记录已在第 5 行出现"),
        ],
        "customers": [
            (2, "home_outlet", "“GZ01”是支行，不是网点；客户须归属于网点"),
            (
                2,
                "id_number",
                "有 3 个字符；应为 18 位：居民身份证号码（17 位数字，末位为数字或 X）或统一社会信用代码",
            ),
            (3, "home_outlet", "机构“XX”不存在；请先导入机构"),
            (3, "relationship_manager", "员工“S99”不存在；请先导入员工"),
            (
                4,
                "groups",
                "“young;merchant”不是客群（可选 young, silver, merchant, agricultural, other_bank_won, "
                "long_tail_corporate）；多个客群请用“|”分隔",
            ),
            (6, "customer", "客户“C4”已在第 5 行出现"),
            (7, "id_number", "无效：校验码（第 18 位）与前 17 位不符；请检查是否录入有误"),
            (8, "id_number", "无效：第 7–14 位不是出生日期（YYYYMMDD）"),
        ],
        "customer_snapshots": [(2, "customer", "客户“C999”不存在；请先导入客户")],
        # 2026-12-01 is a Tuesday.
        "calendar": [
            (2, "kind", "2026-12-01 是星期二：调休上班日须为周六或周日（周一至周五本就是工作日）"),
            (4, "date", "2026-12-05 已在第 3 行出现"),
        ],
    }


@pytest.mark.parametrize("kind", BAD_FILES)
def test_each_imports_own_rules_are_told_in_chinese_in_the_admin(
    client, world, kind, catalog_patterns, django_patterns
):
    hq_admin = persona_of(world, "hq_admin")
    hq_admin.is_staff = hq_admin.is_superuser = True
    hq_admin.save()
    client.force_login(hq_admin)
    url, text = BAD_FILES[kind]

    response = client.post(url, {"file": SimpleUploadedFile(f"{kind}.csv", text.encode())})

    problems = [(problem.line, problem.field, problem.message) for problem in response.context["problems"]]
    assert problems == _told(timezone.localdate())[kind]
    # The English a message may hold: the file's own words (its codes, its header) and a choice's codes.
    names, codes = records_in_english()
    quoted = set(re.findall(r"[A-Za-z_]+", text)) | set(GROUP_BY_CODE)
    english = {
        message: found
        for _line, _field, message in problems
        if (found := english_in(message, catalog_patterns, django_patterns, (names, codes | quoted)))
    }
    assert english == {}
