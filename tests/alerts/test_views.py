"""The alert, review and plan pages: scope, each role's forms, overdue marking, the header badge, exports,
and a fixed number of queries whatever the size of the list."""

from __future__ import annotations

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from alerts.models import Alert, AlertEvent, AlertStatus, ImprovementPlan, Measure, ReviewStatus, WeeklyReview
from tests.alerts.factories import (
    AlertFactory,
    AlertRuleFactory,
    ImprovementPlanFactory,
    MeasureFactory,
    WeeklyReviewFactory,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 11, 24)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    """Tuesday 24 November 2026 is today for the pages (overdue marking, deadlines)."""
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


@pytest.fixture
def wait_rule():
    return AlertRuleFactory(name="Average wait over 10 minutes")


@pytest.fixture
def gz0101_alert(network, wait_rule):
    return AlertFactory(rule=wait_rule, unit=network["GZ0101"], detail="Average wait 12.5 minutes")


@pytest.fixture
def sz0101_alert(network, wait_rule):
    return AlertFactory(rule=wait_rule, unit=network["SZ0101"], detail="Huaqiangbei waits 15 minutes")


def _text(response) -> str:
    return response.content.decode()


def _rows(html: str) -> list[str]:
    return re.findall(r"<tr[^>]*>.*?</tr>", html, re.S)[1:]


# -- the list ------------------------------------------------------------------------------------------


def test_the_unit_manager_lists_his_subtrees_alerts_and_never_shenzhens(
    english, unit_manager, gz0101_alert, sz0101_alert
):
    english.force_login(unit_manager)

    page = _text(english.get("/alerts/"))

    assert "Average wait 12.5 minutes" in page
    assert "Huaqiangbei" not in page


def test_an_alert_outside_the_scope_answers_404(english, unit_manager, sz0101_alert):
    english.force_login(unit_manager)

    assert english.get(f"/alerts/{sz0101_alert.pk}/").status_code == 404
    assert english.post(f"/alerts/{sz0101_alert.pk}/", {"action": "comment", "text": "x"}).status_code == 404


def test_overdue_alerts_come_first_and_say_so_in_words(english, unit_manager, network, wait_rule):
    AlertFactory(rule=wait_rule, unit=network["GZ0101"], deadline=D(2026, 11, 30), detail="due on the 30th")
    AlertFactory(
        rule=wait_rule,
        unit=network["GZ0102"],
        deadline=D(2026, 11, 23),
        status=AlertStatus.IN_PROGRESS,
        detail="due yesterday",
    )
    english.force_login(unit_manager)

    rows = _rows(_text(english.get("/alerts/")))

    assert "due yesterday" in rows[0] and "Overdue" in rows[0] and "⚠" in rows[0]
    assert "due on the 30th" in rows[1] and "Overdue" not in rows[1]


def test_the_overdue_filter_keeps_only_overdue_alerts(english, unit_manager, network, wait_rule):
    AlertFactory(rule=wait_rule, unit=network["GZ0101"], deadline=D(2026, 11, 30), detail="due on the 30th")
    AlertFactory(rule=wait_rule, unit=network["GZ0102"], deadline=D(2026, 11, 20), detail="due on the 20th")
    english.force_login(unit_manager)

    page = _text(english.get("/alerts/", {"overdue": "on"}))

    assert "due on the 20th" in page
    assert "due on the 30th" not in page


def test_a_unit_filter_outside_the_scope_is_reported_and_ignored(english, unit_manager, gz0101_alert):
    english.force_login(unit_manager)

    page = _text(english.get("/alerts/", {"unit": "SZ01"}))

    assert "“SZ01” is not a unit you can see" in page
    assert "Average wait 12.5 minutes" in page


def test_the_list_downloads_as_csv_with_the_overdue_word(english, unit_manager, network, wait_rule):
    AlertFactory(
        rule=wait_rule, unit=network["GZ0101"], deadline=D(2026, 11, 20), detail="=HYPERLINK(1)", owner=unit_manager
    )
    english.force_login(unit_manager)

    response = english.get("/alerts/", {"export": "csv"})

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert response["Content-Disposition"] == 'attachment; filename="alerts-20261124.csv"'
    assert rows[0][:3] == ["Alert", "Unit", "Unit name"]
    assert rows[1][1] == "GZ0101"
    assert rows[1][5] == "'=HYPERLINK(1)"  # defused for the spreadsheet
    assert rows[1][10] == "陈志强"
    assert rows[1][13:] == ["2026-11-20", "overdue"]


@pytest.fixture
def crowd(network):
    """Ten alerts under GZ01, each with a different rule and owner."""

    def make(count: int):
        for number in range(count):
            owner = UserFactory(role="outlet_head", unit=network["GZ0101"])
            AlertFactory(rule=AlertRuleFactory(), unit=network["GZ0101" if number % 2 else "GZ0102"], owner=owner)

    return make


def test_the_list_costs_the_same_queries_for_two_alerts_as_for_twelve(
    english, unit_manager, crowd, django_assert_num_queries
):
    english.force_login(unit_manager)
    crowd(2)
    # session, user, the user's unit (scope), count, page of alerts, header badge
    with django_assert_num_queries(6):
        assert english.get("/alerts/").status_code == 200
    crowd(10)
    with django_assert_num_queries(6):
        assert english.get("/alerts/").status_code == 200


# -- the header badge --------------------------------------------------------------------------------


def test_the_header_shows_the_alerts_and_reviews_waiting_for_the_outlet_head(english, outlet_head, network, wait_rule):
    AlertFactory(rule=wait_rule, unit=network["GZ0101"], owner=outlet_head)
    AlertFactory(rule=AlertRuleFactory(), unit=network["GZ0101"], owner=outlet_head, status=AlertStatus.DONE)
    WeeklyReviewFactory(unit=network["GZ0101"])
    english.force_login(outlet_head)

    response = english.get("/alerts/")

    assert response.context["alert_badge"] == 3
    link = re.search(r'<a href="/alerts/"[^>]*>.*?</a>', _text(response), re.S).group(0)
    assert 'aria-label="Alerts: 3 waiting for you"' in link
    assert '<span class="badge">3</span>' in link
    assert 'href="/reviews/"' in _text(response) and 'href="/plans/"' in _text(response)
    # On a phone the menu is folded behind its button, which shows the same count (counted once: 3).
    button = re.search(r'<label for="menu-toggle"[^>]*>.*?</label>', _text(response), re.S).group(0)
    assert '<span class="badge" aria-hidden="true">3</span>' in button


def test_the_alerts_page_says_what_the_number_counts_kind_by_kind_with_links(
    english, outlet_head, unit_manager, network, wait_rule
):
    AlertFactory(rule=wait_rule, unit=network["GZ0101"], owner=outlet_head, detail="hers, open")
    AlertFactory(
        rule=AlertRuleFactory(), unit=network["GZ0101"], owner=outlet_head, status=AlertStatus.DONE, detail="hers, done"
    )
    AlertFactory(rule=AlertRuleFactory(), unit=network["GZ0101"], owner=unit_manager, detail="the manager's")
    WeeklyReviewFactory(unit=network["GZ0101"])
    english.force_login(outlet_head)

    page = _text(english.get("/alerts/"))

    # The badge's 3 is her 2 active alerts and the 1 review to fill in; the list shows all 3 alerts.
    line = re.search(r'<p class="waiting-for-you">.*?</p>', page, re.S).group(0)
    assert re.findall(r'<a href="([^"]+)">([^<]+) <span class="badge">(\d+)</span>', line) == [
        ("/alerts/?mine=on", "alerts you own", "2"),
        ("/reviews/", "weekly reviews", "1"),
    ]
    assert all(detail in page for detail in ("hers, open", "hers, done", "the manager&#x27;s"))
    mine = _text(english.get("/alerts/?mine=on"))
    assert "hers, open" in mine and "hers, done" in mine and "the manager" not in mine


def test_nothing_waiting_shows_the_link_without_a_number(english, hq_admin):
    english.force_login(hq_admin)

    link = re.search(r'<a href="/alerts/"[^>]*>.*?</a>', _text(english.get("/alerts/")), re.S).group(0)

    assert "badge" not in link and "aria-label" not in link
    assert "badge" not in re.search(
        r'<label for="menu-toggle"[^>]*>.*?</label>', _text(english.get("/alerts/")), re.S
    ).group(0)


def test_a_teller_has_no_alerts_link(english, teller):
    english.force_login(teller)

    response = english.get("/alerts/")

    assert 'href="/alerts/"' not in _text(response)
    assert "alert_badge" not in response.context


# -- one alert: reading and following up -------------------------------------------------------------


def test_the_auditor_reads_the_alert_and_its_history_without_any_form(english, auditor, gz0101_alert, outlet_head):
    AlertEvent.objects.create(alert=gz0101_alert, by=outlet_head, comment="已电话联系")
    english.force_login(auditor)

    page = _text(english.get(f"/alerts/{gz0101_alert.pk}/"))

    assert "Average wait 12.5 minutes" in page
    assert "已电话联系" in page and "林晓燕" in page
    assert '<form method="post" class="contest-form">' not in page
    assert english.post(f"/alerts/{gz0101_alert.pk}/", {"action": "comment", "text": "x"}).status_code == 403


def test_the_outlet_head_sets_owner_cause_plan_and_deadline_and_the_history_says_so(english, outlet_head, gz0101_alert):
    english.force_login(outlet_head)

    response = english.post(
        f"/alerts/{gz0101_alert.pk}/",
        {
            "action": "update",
            "owner": "lin.xiaoyan",
            "cause": "internal",
            "action_plan": "高峰时段增开柜口",
            "deadline": "2026-12-01",
        },
    )

    assert response.status_code == 302 and response["Location"] == f"/alerts/{gz0101_alert.pk}/"
    gz0101_alert.refresh_from_db()
    assert (gz0101_alert.owner, gz0101_alert.cause, gz0101_alert.deadline) == (outlet_head, "internal", D(2026, 12, 1))
    page = _text(english.get(response["Location"]))
    assert "The follow-up of the alert is saved." in page
    assert "Owner: — → 林晓燕" in page


def test_a_deadline_in_the_past_is_refused_with_the_reason(english, outlet_head, gz0101_alert):
    english.force_login(outlet_head)

    response = english.post(f"/alerts/{gz0101_alert.pk}/", {"action": "update", "deadline": "2026-11-20"})

    assert response.status_code == 400
    assert "The deadline is in the past; choose today or a later day." in _text(response)


def test_a_deadline_beyond_ninety_days_is_refused_at_its_field(english, outlet_head, gz0101_alert):
    english.force_login(outlet_head)

    response = english.post(f"/alerts/{gz0101_alert.pk}/", {"action": "update", "deadline": "2099-12-31"})

    # 24 November 2026 + 90 days: 6 left in November, 31 in December, 31 in January, 22 in February.
    assert response.status_code == 400
    field = _text(response).split('name="deadline"', 1)[1].split("</p>", 1)[0]
    assert "A deadline is at most 90 days ahead: 2027-02-22 at the latest." in field
    gz0101_alert.refresh_from_db()
    assert gz0101_alert.deadline is None


def test_the_outlet_head_cannot_lift_overdue_by_moving_the_deadline_and_is_told_at_the_field(
    english, outlet_head, gz0101_alert
):
    gz0101_alert.deadline = D(2026, 11, 20)
    gz0101_alert.save()
    english.force_login(outlet_head)

    response = english.post(f"/alerts/{gz0101_alert.pk}/", {"action": "update", "deadline": "2026-12-20"})

    assert response.status_code == 400
    field = _text(response).split('name="deadline"', 1)[1].split("</p>", 1)[0]
    assert "The alert is overdue (deadline 2026-11-20): a later deadline is given by the unit manager or HQ." in field
    gz0101_alert.refresh_from_db()
    assert gz0101_alert.deadline == D(2026, 11, 20)


def test_an_owner_from_another_outlet_is_not_offered(english, outlet_head, gz0101_alert, network):
    UserFactory(username="gz0102.head", role="outlet_head", unit=network["GZ0102"])
    english.force_login(outlet_head)

    response = english.post(f"/alerts/{gz0101_alert.pk}/", {"action": "update", "owner": "gz0102.head"})

    assert response.status_code == 400
    assert "Select a valid choice" in _text(response)
    gz0101_alert.refresh_from_db()
    assert gz0101_alert.owner is None


def test_starting_the_work_without_a_plan_names_what_is_missing(english, outlet_head, gz0101_alert):
    english.force_login(outlet_head)

    response = english.post(f"/alerts/{gz0101_alert.pk}/", {"action": "transition", "to": "in_progress"})

    assert response.status_code == 400
    assert "Owner: Needed before the work starts." in _text(response)
    assert Alert.objects.get(pk=gz0101_alert.pk).status == AlertStatus.OPEN


def _ready(alert: Alert, owner) -> None:
    Alert.objects.filter(pk=alert.pk).update(
        owner=owner, cause="market", action_plan="加强外拓", deadline=D(2026, 12, 1)
    )


def test_the_outlet_head_starts_and_finishes_the_work_but_cannot_verify_it(english, outlet_head, gz0101_alert):
    _ready(gz0101_alert, outlet_head)
    english.force_login(outlet_head)
    url = f"/alerts/{gz0101_alert.pk}/"

    assert english.post(url, {"action": "transition", "to": "in_progress", "comment": "开始"}).status_code == 302
    page = _text(english.get(url))
    assert 'value="done"' in page and 'value="verified"' not in page
    assert english.post(url, {"action": "transition", "to": "done"}).status_code == 302

    refused = english.post(url, {"action": "transition", "to": "verified"})

    assert refused.status_code == 403
    assert "Verifying or reopening is done by the unit manager or HQ." in _text(refused)
    assert Alert.objects.get(pk=gz0101_alert.pk).status == AlertStatus.DONE
    assert list(AlertEvent.objects.filter(alert=gz0101_alert).values_list("to_status", flat=True)) == [
        "in_progress",
        "done",
    ]


def test_the_unit_manager_verifies_the_work(english, unit_manager, gz0101_alert, outlet_head):
    _ready(gz0101_alert, outlet_head)
    Alert.objects.filter(pk=gz0101_alert.pk).update(status=AlertStatus.DONE)
    english.force_login(unit_manager)
    url = f"/alerts/{gz0101_alert.pk}/"
    page = _text(english.get(url))
    assert 'value="verified"' in page and 'value="reopened"' in page

    response = english.post(url, {"action": "transition", "to": "verified", "comment": "复查通过"})

    assert response.status_code == 302
    assert Alert.objects.get(pk=gz0101_alert.pk).status == AlertStatus.VERIFIED
    assert "The alert is now “Verified (closed)”." in _text(english.get(url))


def test_a_move_the_state_machine_forbids_answers_400_with_the_reason(english, unit_manager, gz0101_alert):
    english.force_login(unit_manager)

    response = english.post(f"/alerts/{gz0101_alert.pk}/", {"action": "transition", "to": "verified"})

    assert response.status_code == 400
    assert "An alert that is “Open” cannot become “Verified (closed)”." in _text(response)
    assert Alert.objects.get(pk=gz0101_alert.pk).status == AlertStatus.OPEN


def test_reopening_needs_a_comment(english, unit_manager, gz0101_alert, outlet_head):
    _ready(gz0101_alert, outlet_head)
    Alert.objects.filter(pk=gz0101_alert.pk).update(status=AlertStatus.DONE)
    english.force_login(unit_manager)

    response = english.post(f"/alerts/{gz0101_alert.pk}/", {"action": "transition", "to": "reopened"})

    assert response.status_code == 400
    assert "Comment: Say why the alert is reopened." in _text(response)


def test_a_comment_joins_the_history(english, unit_manager, gz0101_alert):
    english.force_login(unit_manager)

    response = english.post(f"/alerts/{gz0101_alert.pk}/", {"action": "comment", "text": "下周一例会上汇报"})

    assert response.status_code == 302
    event = AlertEvent.objects.get(alert=gz0101_alert)
    assert (event.by, event.comment) == (unit_manager, "下周一例会上汇报")
    assert "下周一例会上汇报" in _text(english.get(f"/alerts/{gz0101_alert.pk}/"))


def test_a_post_without_csrf_token_is_refused(unit_manager, gz0101_alert):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(unit_manager)

    response = browser.post(f"/alerts/{gz0101_alert.pk}/", {"action": "comment", "text": "x"})

    assert response.status_code == 403
    assert not AlertEvent.objects.exists()


# -- the Monday review ---------------------------------------------------------------------------------


@pytest.fixture
def review(network):
    return WeeklyReviewFactory(unit=network["GZ0101"])


def test_the_review_page_lists_the_weeks_reviews_in_scope_with_what_was_missed(english, unit_manager, review, network):
    WeeklyReviewFactory(unit=network["SZ0101"])
    english.force_login(unit_manager)

    page = _text(english.get("/reviews/"))

    assert "Tianhe Road Outlet" in page and "Huaqiangbei" not in page
    # The review's JSON keeps "50.0000", "38.0000", "0.760000": written by kpi_format's rule.
    assert "Mobile banking sign-ups" in page and "76.0%" in page and "76.0 %" not in page
    assert '<td class="num">50 户</td><td class="num">38 户</td><td class="num">76.0%</td>' in page
    assert "50.0000" not in page
    assert "2026-11-23 – 2026-11-29" in page


def test_the_outlet_head_fills_in_the_review(english, outlet_head, review):
    english.force_login(outlet_head)
    url = f"/reviews/{review.pk}/"
    assert "Fill in the review" in _text(english.get(url))

    response = english.post(
        url,
        {
            "action": "fill",
            "what_happened": "手机银行签约 38 户，目标 50 户",
            "why": "两名客户经理外出培训",
            "remedy": "周三、周五厅堂集中营销",
            "support_needed": "增派一名大堂经理",
            "support_from": "支行个金部",
        },
    )

    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.status, review.submitted_by, review.support_from) == (
        ReviewStatus.SUBMITTED,
        outlet_head,
        "支行个金部",
    )


def test_support_without_whom_is_refused_with_the_reason(english, outlet_head, review):
    english.force_login(outlet_head)

    response = english.post(
        f"/reviews/{review.pk}/",
        {"action": "fill", "what_happened": "a", "why": "b", "remedy": "c", "support_needed": "一名大堂经理"},
    )

    assert response.status_code == 400
    assert "Say from whom the support is needed." in _text(response)
    assert WeeklyReview.objects.get(pk=review.pk).status == ReviewStatus.TO_FILL


def test_the_unit_manager_answers_and_the_outlet_head_cannot(english, unit_manager, outlet_head, review):
    WeeklyReview.objects.filter(pk=review.pk).update(
        status=ReviewStatus.SUBMITTED, what_happened="a", why="b", remedy="c", support_needed="人", support_from="支行"
    )
    url = f"/reviews/{review.pk}/"
    english.force_login(outlet_head)
    assert "Answer the outlet" not in _text(english.get(url))
    assert english.post(url, {"action": "answer", "answer": "自己回答"}).status_code == 403

    english.force_login(unit_manager)
    response = english.post(url, {"action": "answer", "answer": "下周一起增派一名大堂经理"})

    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.status, review.answered_by, review.answer) == (
        ReviewStatus.ANSWERED,
        unit_manager,
        "下周一起增派一名大堂经理",
    )


def test_the_auditor_reads_a_review_and_cannot_change_it(english, auditor, review):
    english.force_login(auditor)

    page = _text(english.get(f"/reviews/{review.pk}/"))

    assert "The outlet has not filled in this review yet." in page
    assert english.post(f"/reviews/{review.pk}/", {"action": "fill", "what_happened": "x"}).status_code == 403


def test_a_review_outside_the_scope_answers_404(english, outlet_head, network):
    other = WeeklyReviewFactory(unit=network["GZ0102"])
    english.force_login(outlet_head)

    assert english.get(f"/reviews/{other.pk}/").status_code == 404


# -- improvement plans (一点一策) ----------------------------------------------------------------------


def test_the_outlet_head_makes_a_plan_for_her_outlet(english, outlet_head):
    english.force_login(outlet_head)

    response = english.post(
        "/plans/", {"unit": "GZ0101", "period": "2026-12", "title": "提升客户满意度", "diagnosis": "等候时间长"}
    )

    plan = ImprovementPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/plans/{plan.pk}/"
    assert (plan.unit.code, plan.period, plan.created_by) == ("GZ0101", "2026-12", outlet_head)


def test_a_second_plan_for_the_same_outlet_and_period_is_refused(english, outlet_head, network):
    ImprovementPlanFactory(unit=network["GZ0101"], period="2026-11")
    english.force_login(outlet_head)

    response = english.post("/plans/", {"unit": "GZ0101", "period": "2026-11", "title": "又一个"})

    assert response.status_code == 400
    assert "This outlet already has a plan for 2026-11." in _text(response)
    assert ImprovementPlan.objects.count() == 1


def test_a_plan_for_an_outlet_outside_the_scope_is_refused(english, outlet_head):
    english.force_login(outlet_head)

    response = english.post("/plans/", {"unit": "GZ0102", "period": "2026-11", "title": "别人的"})

    assert response.status_code == 400
    assert "“GZ0102” is not an outlet you can see" in _text(response)


def test_measures_show_their_progress_as_an_accessible_progress_bar(english, unit_manager, network):
    plan = ImprovementPlanFactory(unit=network["GZ0101"])
    MeasureFactory(plan=plan, description="晨会演练话术", progress=40)
    MeasureFactory(plan=plan, description="周末社区外拓", progress=90)
    english.force_login(unit_manager)

    page = _text(english.get(f"/plans/{plan.pk}/"))

    # The plan: (40 + 90) / 2 = 65 %.
    # The percent sign glued to its figure (kpi_format's rule); the spoken label keeps its words.
    assert '<progress max="100" value="65" aria-label="65 % done">65%</progress>' in page
    assert '<progress max="100" value="40" aria-label="40 % done">40%</progress>' in page
    assert "65%" in _text(english.get("/plans/"))


def test_the_outlet_head_adds_a_measure_and_updates_its_progress(english, outlet_head, unit_manager, network):
    plan = ImprovementPlanFactory(unit=network["GZ0101"])
    english.force_login(outlet_head)
    url = f"/plans/{plan.pk}/"

    added = english.post(
        url,
        {
            "action": "add",
            "new-description": "厅堂每日晨会演练",
            "new-owner": "chen.zhiqiang",
            "new-due": "2026-11-30",
            "new-progress": "10",
        },
    )
    assert added.status_code == 302
    measure = Measure.objects.get()
    assert (measure.owner, measure.due, measure.progress) == (unit_manager, D(2026, 11, 30), 10)

    updated = english.post(
        url,
        {
            "action": "update",
            "measure": measure.pk,
            f"m{measure.pk}-description": "厅堂每日晨会演练",
            f"m{measure.pk}-owner": "lin.xiaoyan",
            f"m{measure.pk}-due": "2026-11-30",
            f"m{measure.pk}-progress": "100",
        },
    )
    assert updated.status_code == 302
    measure.refresh_from_db()
    assert (measure.owner, measure.progress) == (outlet_head, 100)
    assert measure.done_at is not None


def test_a_progress_over_100_is_refused(english, outlet_head, network):
    plan = ImprovementPlanFactory(unit=network["GZ0101"])
    measure = MeasureFactory(plan=plan, progress=30)
    english.force_login(outlet_head)

    response = english.post(
        f"/plans/{plan.pk}/",
        {
            "action": "update",
            "measure": measure.pk,
            f"m{measure.pk}-description": "x",
            f"m{measure.pk}-progress": "120",
        },
    )

    assert response.status_code == 400
    assert "Ensure this value is less than or equal to 100." in _text(response)
    assert Measure.objects.get(pk=measure.pk).progress == 30


def test_the_auditor_reads_plans_without_forms_and_a_plan_outside_the_scope_is_404(
    english, auditor, outlet_head, network
):
    plan = ImprovementPlanFactory(unit=network["GZ0101"])
    other = ImprovementPlanFactory(unit=network["SZ0101"])
    english.force_login(auditor)
    assert "Add a measure" not in _text(english.get(f"/plans/{plan.pk}/"))
    assert "New plan" not in _text(english.get("/plans/"))
    assert english.post(f"/plans/{plan.pk}/", {"action": "add", "new-description": "x"}).status_code == 403

    english.force_login(outlet_head)
    assert english.get(f"/plans/{other.pk}/").status_code == 404


def test_the_plan_list_costs_the_same_queries_for_one_plan_as_for_six(
    english, unit_manager, network, django_assert_num_queries
):
    english.force_login(unit_manager)
    ImprovementPlanFactory(unit=network["GZ0101"], period="2026-01")
    # session, user, unit, count, page of plans, their measures, header badge
    with django_assert_num_queries(7):
        assert english.get("/plans/").status_code == 200
    for month in range(2, 7):
        plan = ImprovementPlanFactory(unit=network["GZ0102"], period=f"2026-{month:02d}")
        MeasureFactory(plan=plan, owner=UserFactory())
    with django_assert_num_queries(7):
        assert english.get("/plans/").status_code == 200


def test_the_review_list_costs_the_same_queries_for_one_review_as_for_three(
    english, unit_manager, network, django_assert_num_queries
):
    english.force_login(unit_manager)
    WeeklyReviewFactory(unit=network["GZ0101"])
    # session, user, unit, weeks, count, page of reviews, metric names, header badge
    with django_assert_num_queries(8):
        assert english.get("/reviews/").status_code == 200
    WeeklyReviewFactory(unit=network["GZ0102"], status=ReviewStatus.SUBMITTED, submitted_by=UserFactory())
    WeeklyReviewFactory(unit=network["GZ01"], status=ReviewStatus.ANSWERED, answered_by=UserFactory())
    with django_assert_num_queries(8):
        assert english.get("/reviews/").status_code == 200


# -- figures written by kpi_format's rule --------------------------------------------------------------


def test_an_alerts_figure_and_its_rules_threshold_are_written_in_the_metrics_unit(english, unit_manager, network):
    wait = AlertFactory(
        rule=AlertRuleFactory(threshold=Decimal("10.000000")),
        unit=network["GZ0101"],
        value=Decimal("12.500000"),
    )
    behind = AlertFactory(
        rule=AlertRuleFactory(kind="behind_pace", threshold=Decimal("0.900000"), comparison=""),
        unit=network["GZ0101"],
        value=Decimal("0.853333"),
    )
    english.force_login(unit_manager)

    wait_page = _text(english.get(f"/alerts/{wait.pk}/"))
    behind_page = _text(english.get(f"/alerts/{behind.pk}/"))

    # Minutes with one decimal and their unit; a pace-adjusted attainment as a percentage, sign glued.
    assert "Average waiting time: 12.5 分钟" in wait_page and "avg_wait_minutes" not in wait_page
    assert "above 10.0 分钟" in wait_page
    assert ": 85.3%" in behind_page and "under 90.0%" in behind_page
    for page in (wait_page, behind_page):
        assert not re.search(r"\d+\.\d{4}\b", page)
