"""The checklist engine's writes: a patrol ticked and missed, its pass rate worked by hand and fed as
facts; an inspection whose finding opens an alert that is rectified and re-checked, carries a deduction
through the ledger and vetoes the month's scorecard, stated there with its reason."""

from __future__ import annotations

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from alerts.models import Alert, AlertStatus, Cause, RuleKind
from alerts.services.evaluation import alerts_evaluate
from alerts.services.follow_up import alert_transition, alert_update
from checklists.links import FINDING, FINDING_KIND
from checklists.models import ChecklistItem, Finding, PatrolSheet, SheetStatus
from checklists.selectors import patrol_day, patrols_to_look_at_of
from checklists.services import (
    AnswerIn,
    FindingIn,
    inspection_record,
    patrol_facts_write,
    patrol_tick,
    patrols_look_at,
    patrols_mark_missed,
    template_items,
    template_lock_reason,
    template_new_version,
)
from checklists.tasks import write_patrol_facts
from kpi.models import Fact, LineKind, Metric, Scorecard, ScorecardTemplate, Target, TemplateLine
from kpi.selectors.score_explanation import score_explanation
from kpi.services import rollup
from ledger.models import EntryStatus, ItemKind
from staff.access import scope_for_user
from tests.checklists.factories import control_checklist, lobby_patrol
from tests.ledger.factories import LedgerItemFactory

pytestmark = pytest.mark.django_db

D = datetime.date
MONDAY = D(2026, 11, 16)


def at(day, hhmm):
    hour, minute = map(int, hhmm.split(":"))
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def answers(template, failed=()):
    """Every item of the version in order; the ones whose text is in `failed` not in order."""
    items = template_items(template)
    return [AnswerIn(item_id=item.pk, passed=item.text not in failed) for item in items]


def tick(user, template, unit, hhmm, failed=(), day=MONDAY, now=None):
    return patrol_tick(
        scope=scope_for_user(user),
        user=user,
        template=template,
        unit=unit,
        day=day,
        slot=datetime.time(*map(int, hhmm.split(":"))),
        answers=answers(template, failed),
        now=now or at(day, hhmm),
    )


def test_a_day_of_patrols_gives_the_pass_rate_worked_by_hand(network, lobby_user):
    """Three rounds of five items at GZ0101 on Monday 16 November:
    09:00 all five in order (5/5); 12:00 the queue machine down (4/5); 15:30 missed (0 of 5).
    checked = 5 + 5 + 5 = 15, passed = 5 + 4 + 0 = 9, pass rate = 100 × 9 / 15 = 60 %, one round missed."""
    patrol = lobby_patrol()
    outlet = network["GZ0101"]
    tick(lobby_user, patrol, outlet, "09:00")
    tick(lobby_user, patrol, outlet, "12:00", failed=("叫号机、自助设备运行正常",))
    assert patrols_mark_missed(now=at(MONDAY, "16:31"), days=1) >= 1
    day = patrol_day(unit=outlet, day=MONDAY, now=at(MONDAY, "18:00"))
    assert [r.state for r in day.rounds] == ["done", "done", "missed"]
    assert (day.checked, day.passed, day.missed) == (15, 9, 1)
    assert day.pass_rate == Decimal(60)

    patrol_facts_write(days=[MONDAY], now=at(MONDAY + datetime.timedelta(days=1), "00:20"))
    facts = dict(
        Fact.objects.filter(unit=outlet, date=MONDAY, metric__code__startswith="patrol").values_list(
            "metric__code", "value"
        )
    )
    assert facts == {"patrol_items_checked": 15, "patrol_items_passed": 9, "patrols_missed": 1}
    assert Metric.objects.get(code="patrol_pass_rate").numerator.code == "patrol_items_passed"


def test_writing_the_facts_twice_changes_nothing_the_second_time(network, lobby_user):
    patrol = lobby_patrol()
    tick(lobby_user, patrol, network["GZ0101"], "09:00")
    after = at(MONDAY + datetime.timedelta(days=1), "00:20")
    first = patrol_facts_write(days=[MONDAY], now=after)
    second = patrol_facts_write(days=[MONDAY], now=after)
    # The four outlets of the network (every open outlet walks the patrol): 3 facts each, then nothing new.
    assert first.created == 4 * 3
    assert (second.created, second.updated) == (0, 0)
    # GZ0101 missed 12:00 and 15:30; the three others every round.
    assert PatrolSheet.objects.filter(status=SheetStatus.MISSED).count() == 2 + 3 * 3


def test_the_nightly_facts_make_up_the_nights_the_beat_missed(network, lobby_user):
    """The 00:20 job did not run on Tuesday 17 nor Wednesday 18 November. On Thursday 19 at 00:20 it writes
    the seven days before: Monday's and Tuesday's facts too, with their missed rounds marked. GZ0101 walked
    09:00 in order on Monday and Tuesday (5 of 15 items in order, two rounds missed) and nothing on
    Wednesday (0 of 15, three rounds missed)."""
    patrol = lobby_patrol()
    outlet = network["GZ0101"]
    tick(lobby_user, patrol, outlet, "09:00")
    tick(
        lobby_user,
        patrol,
        outlet,
        "09:00",
        day=MONDAY + datetime.timedelta(days=1),
        now=at(MONDAY + datetime.timedelta(days=1), "09:30"),
    )
    thursday = at(MONDAY + datetime.timedelta(days=3), "00:20")

    with mock.patch("django.utils.timezone.now", return_value=thursday):
        write_patrol_facts()

    facts = {
        (day, code): value
        for day, code, value in Fact.objects.filter(unit=outlet, metric__code__startswith="patrol").values_list(
            "date", "metric__code", "value"
        )
    }
    for offset, passed, missed in ((0, 5, 2), (1, 5, 2), (2, 0, 3)):
        day = MONDAY + datetime.timedelta(days=offset)
        assert facts[day, "patrol_items_checked"] == 15, day
        assert facts[day, "patrol_items_passed"] == passed, day
        assert facts[day, "patrols_missed"] == missed, day
    assert (MONDAY + datetime.timedelta(days=3), "patrols_missed") not in facts  # Thursday is not over


def test_a_round_is_ticked_only_while_it_is_open(network, lobby_user):
    patrol = lobby_patrol()
    with pytest.raises(ValidationError) as refused:
        tick(lobby_user, patrol, network["GZ0101"], "09:00", now=at(MONDAY, "10:01"))
    assert "counts as missed" in str(refused.value)
    with pytest.raises(ValidationError) as refused:
        tick(lobby_user, patrol, network["GZ0101"], "12:00", now=at(MONDAY, "11:00"))
    assert "opens at 11:30" in str(refused.value)


def test_a_round_is_recorded_once(network, lobby_user, outlet_head):
    patrol = lobby_patrol()
    tick(lobby_user, patrol, network["GZ0101"], "09:00")
    with pytest.raises(ValidationError):
        tick(outlet_head, patrol, network["GZ0101"], "09:00")


def test_the_lobby_manager_ticks_only_her_outlet_and_a_teller_not_at_all(network, lobby_user, teller):
    patrol = lobby_patrol()
    with pytest.raises(PermissionDenied):
        tick(lobby_user, patrol, network["GZ0102"], "09:00")
    with pytest.raises(PermissionDenied):
        tick(teller, patrol, network["GZ0101"], "09:00")


def test_every_item_must_be_answered(network, lobby_user):
    patrol = lobby_patrol()
    with pytest.raises(ValidationError) as refused:
        patrol_tick(
            scope=scope_for_user(lobby_user), user=lobby_user, template=patrol, unit=network["GZ0101"], day=MONDAY,
            slot=datetime.time(9), answers=answers(patrol)[:4], now=at(MONDAY, "09:05"),
        )  # fmt: skip
    assert "Answer “宣传折页、填单台凭条摆放齐全”." in refused.value.message_dict["answers"]
    assert not PatrolSheet.objects.exists()


def test_missed_and_failed_rounds_wait_for_the_outlet_head_until_she_looks(network, lobby_user, outlet_head):
    today = timezone.localdate()
    patrol = lobby_patrol()
    sheet = tick(lobby_user, patrol, network["GZ0101"], "09:00", failed=("员工统一着装、佩戴工号牌",), day=today)
    assert list(patrols_to_look_at_of(outlet_head)) == [sheet]
    patrols_look_at(scope=scope_for_user(outlet_head), user=outlet_head, sheet_ids=[sheet.pk])
    assert not patrols_to_look_at_of(outlet_head).exists()
    with pytest.raises(ValidationError):
        patrols_look_at(scope=scope_for_user(lobby_user), user=lobby_user, sheet_ids=[sheet.pk])


def test_a_version_something_was_filled_on_is_locked_and_a_new_version_takes_over(network, lobby_user):
    patrol = lobby_patrol()
    assert template_lock_reason(patrol) is None
    sheet = tick(lobby_user, patrol, network["GZ0101"], "09:00")
    assert template_lock_reason(patrol)
    newer = template_new_version(template=patrol, effective_from=D(2026, 12, 1))
    assert ChecklistItem.objects.filter(section__template=newer).count() == 5
    # The sheet keeps the version it was filled on.
    sheet.refresh_from_db()
    assert sheet.template_id == patrol.pk
    with pytest.raises(ValidationError):
        tick(lobby_user, patrol, network["GZ0101"], "09:00", day=D(2026, 12, 1))


# -- inspections ----------------------------------------------------------------------------------------

INSPECTION_DAY = D(2026, 11, 20)
VETO_WORDS = "内控检查发现严重问题，一票否决"


@pytest.fixture
def deduction_item():
    """内控问题扣分: 5 points a time."""
    return LedgerItemFactory(
        code="control_deduction", name_zh="内控问题", kind=ItemKind.DEDUCTION, points_per_unit=Decimal(5)
    )


def record(auditor, network, lobby_staff, deduction, **finding):
    control = control_checklist()
    item = ChecklistItem.objects.get(section__template=control, text="重要空白凭证入库保管、登记完整")
    values = {
        "text": "重要空白凭证未入库保管",
        "severity": "severe",
        "deadline": D(2026, 11, 27),
        "item": item,
        "staff": lobby_staff,
        "deduction_item": deduction,
        "deduction_quantity": 2,
        "vetoes": True,
        **finding,
    }
    return inspection_record(
        scope=scope_for_user(auditor), user=auditor, unit=network["GZ0101"], day=INSPECTION_DAY, title="内控检查",
        template=control, findings=[FindingIn(**values)], today=INSPECTION_DAY,
    )  # fmt: skip


def test_a_finding_opens_an_alert_that_is_rectified_and_rechecked(
    network, auditor, outlet_head, unit_manager, lobby_staff, deduction_item
):
    inspection = record(auditor, network, lobby_staff, deduction_item, deduction_item=None, vetoes=False)
    finding = inspection.findings.get()
    alert = finding.alert
    assert (alert.rule.kind, alert.unit, alert.deadline) == (RuleKind.INSPECTION, network["GZ0101"], D(2026, 11, 27))
    assert (alert.link_kind, alert.link_id) == (FINDING_KIND, finding.pk)
    assert "重要空白凭证未入库保管" in alert.detail

    # 整改: the outlet head takes it on, works it, reports it done.
    alert_update(
        alert=alert, by=outlet_head, owner=outlet_head, cause=Cause.INTERNAL, action_plan="凭证当日入库，双人登记"
    )
    alert_transition(alert=alert, to=AlertStatus.IN_PROGRESS, by=outlet_head)
    alert_transition(alert=alert, to=AlertStatus.DONE, by=outlet_head)
    assert not Finding.objects.filter(FINDING.closed, pk=finding.pk).exists()
    with pytest.raises(PermissionDenied):
        alert_transition(alert=alert, to=AlertStatus.VERIFIED, by=outlet_head)
    # 复查: the unit manager above re-checks it and closes it; the finding is closed with it.
    alert_transition(alert=alert, to=AlertStatus.VERIFIED, by=unit_manager)
    assert Finding.objects.filter(FINDING.closed, pk=finding.pk).exists()


def test_the_evaluation_of_a_day_leaves_the_inspection_alerts_alone(network, auditor, lobby_staff, deduction_item):
    finding = record(auditor, network, lobby_staff, deduction_item, deduction_item=None, vetoes=False).findings.get()
    result = alerts_evaluate(day=INSPECTION_DAY)
    assert result.failed == []
    assert Alert.objects.get(pk=finding.alert_id).status == AlertStatus.OPEN


def test_two_findings_at_one_outlet_open_two_alerts(network, auditor, lobby_staff, deduction_item):
    control = control_checklist()
    findings = [
        FindingIn(text="尾箱未双人核对", severity="major", deadline=D(2026, 11, 25)),
        FindingIn(text="凭证登记簿漏登", severity="minor", deadline=D(2026, 11, 25)),
    ]
    inspection = inspection_record(
        scope=scope_for_user(auditor), user=auditor, unit=network["GZ0101"], day=INSPECTION_DAY, title="稽核检查",
        template=control, findings=findings, today=INSPECTION_DAY,
    )  # fmt: skip
    assert Alert.objects.filter(link_kind=FINDING_KIND, link_id__in=inspection.findings.values("pk")).count() == 2


def test_a_severe_finding_deducts_points_through_the_ledger_approved(network, auditor, lobby_staff, deduction_item):
    """2 times 内控问题 at 5 points = -10 points for the person responsible, approved."""
    finding = record(auditor, network, lobby_staff, deduction_item).findings.get()
    entry = finding.ledger_entry
    assert (entry.staff, entry.status, entry.points) == (lobby_staff, EntryStatus.APPROVED, Decimal(-10))
    assert entry.changes.filter(by=auditor).exists()
    assert Fact.objects.get(metric__code="ledger_points", staff=lobby_staff, date=INSPECTION_DAY).value == -10


def test_a_deduction_or_a_veto_only_on_a_severe_finding(network, auditor, lobby_staff, deduction_item):
    with pytest.raises(ValidationError) as refused:
        record(auditor, network, lobby_staff, deduction_item, severity="major")
    assert any("only a severe finding" in message for message in refused.value.message_dict["findings"])
    assert not Finding.objects.exists() and not Alert.objects.exists()


def test_an_outlet_head_does_not_inspect_her_own_outlet(network, outlet_head, lobby_staff, deduction_item):
    with pytest.raises(PermissionDenied):
        record(outlet_head, network, lobby_staff, deduction_item)


def test_the_veto_is_stated_on_the_month_scorecard_with_the_finding(
    client, settings, network, auditor, unit_manager, lobby_staff, deduction_item
):
    """T-OUT scores 到店客户数 (weight 100) with a veto line on 检查否决事项 (allowed 0). GZ0101 served 300 of
    a 300 target; the severe finding of 20 November vetoes it: score 0, said to be the inspection's."""
    template = ScorecardTemplate.objects.create(
        code="T-OUT", name_zh="网点考核", subject="outlet", effective_from=D(2026, 1, 1)
    )
    TemplateLine.objects.create(
        template=template, metric=Metric.objects.get(code="customers_served"), kind=LineKind.WEIGHTED, weight=100
    )
    TemplateLine.objects.create(
        template=template, metric=Metric.objects.get(code="inspection_vetoes"), kind=LineKind.VETO, allowed_value=0,
        veto_reason=VETO_WORDS,
    )  # fmt: skip
    for code in ("GZ0101", "GZ0102"):
        Target.objects.create(
            unit=network[code], metric=Metric.objects.get(code="customers_served"), period_kind="month",
            period_start=D(2026, 11, 1), period_end=D(2026, 11, 30), period="2026-11", value=300,
        )  # fmt: skip
        Fact.objects.create(
            date=INSPECTION_DAY, unit=network[code], metric=Metric.objects.get(code="customers_served"), value=300
        )
    record(auditor, network, lobby_staff, deduction_item)
    assert Fact.objects.get(metric__code="inspection_vetoes", unit=network["GZ0101"]).value == 1
    rollup.rollup_day(day=INSPECTION_DAY, today=D(2026, 11, 21))

    card = Scorecard.objects.published(on=INSPECTION_DAY).get(unit=network["GZ0101"], period="month")
    assert card.vetoed and card.total_score == 0
    explanation = score_explanation(scorecard=Scorecard.objects.prefetch_related("lines").get(pk=card.pk))
    [veto] = explanation.fired_vetoes
    assert veto.rule.veto_reason == VETO_WORDS
    assert veto.details == ("内控检查 2026-11-20 Tianhe Road Outlet: 重要空白凭证未入库保管 (Severe (严重))",)
    neighbour = Scorecard.objects.published(on=INSPECTION_DAY).get(unit=network["GZ0102"], period="month")
    assert not neighbour.vetoed
    # The scorecard page says it, with the template's words and the finding.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(unit_manager)
    page = client.get("/units/GZ0101/scorecard/?date=2026-11-20&period=month").content.decode()
    assert VETO_WORDS in page and "重要空白凭证未入库保管" in page
