"""The rule evaluation (alerts/services/evaluation.py) on hand-made published days.

Calendar: 2026-11-24 is a Tuesday; 2026-11-17 the Tuesday before. Each rule is made here and the
default rules of the data migration are switched off, so only the rule under test can fire.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts.models import Alert, AlertEvent, AlertRule, AlertStatus, Comparison, RuleKind
from alerts.services.evaluation import alerts_check_missing, alerts_evaluate
from branches.models import UnitStatus
from kpi.models import RollupDay, Scorecard
from tests.alerts.factories import AlertRuleFactory, metric
from tests.factories import StaffMemberFactory, UserFactory
from tests.kpi.factories import FactFactory
from tests.kpi.scorecard_factories import ScorecardFactory, ScorecardLineFactory, published_day

D = datetime.date
SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = D(2026, 11, 24)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _only_the_rules_under_test(db):
    AlertRule.objects.update(is_active=False)


# -- building published days ---------------------------------------------------------------------


def run_of(day: datetime.date):
    published = RollupDay.objects.published(on=day).first()
    return (published or published_day(day)).published_run


def line(day, unit, code, *, period="day", actual=None, pace=None, target=None):
    """A published line of `unit` on `day` (one scorecard per unit, day and period)."""
    run = run_of(day)
    card = Scorecard.objects.filter(run=run, unit=unit, period=period).first() or ScorecardFactory(
        run=run, unit=unit, period=period
    )
    return ScorecardLineFactory(
        scorecard=card,
        metric=metric(code),
        actual=None if actual is None else Decimal(str(actual)),
        pace_attainment=None if pace is None else Decimal(str(pace)),
        target=None if target is None else Decimal(str(target)),
    )


def paces(unit, code, values, last=DAY):
    """Month pace-adjusted attainment on consecutive days ending `last`."""
    for offset, value in enumerate(reversed(values)):
        line(last - datetime.timedelta(days=offset), unit, code, period="month", actual=1, pace=value, target=1)


def series(unit, code, values, last=DAY):
    """Day values on consecutive days ending `last`."""
    for offset, value in enumerate(reversed(values)):
        line(last - datetime.timedelta(days=offset), unit, code, period="day", actual=value)


def behind_pace_rule(**overrides) -> AlertRule:
    fields = {
        "name": "手机银行签约落后进度",
        "kind": RuleKind.BEHIND_PACE,
        "metric": metric("mobile_banking_signups"),
        "period": "month",
        "comparison": "",
        "threshold": Decimal("0.9"),
        "days_running": 3,
    }
    return AlertRuleFactory(**{**fields, **overrides})


def wait_rule(**overrides) -> AlertRule:
    return AlertRuleFactory(**{"name": "平均等待超过10分钟", **overrides})


def alerts_of(rule, unit=None):
    queryset = Alert.objects.filter(rule=rule)
    return list(queryset.filter(unit=unit) if unit else queryset)


# -- behind pace ---------------------------------------------------------------------------------


class TestBehindPace:
    def test_it_fires_on_the_third_day_running_under_the_threshold(self, network, outlet_head):
        rule = behind_pace_rule()
        paces(network["GZ0101"], "mobile_banking_signups", [0.85, 0.88, 0.89])

        result = alerts_evaluate(day=DAY)

        (alert,) = alerts_of(rule)
        assert (alert.unit, alert.status, alert.opened_on, alert.last_seen_on) == (
            network["GZ0101"],
            AlertStatus.OPEN,
            DAY,
            DAY,
        )
        assert alert.value == Decimal("0.89")
        assert alert.metric == metric("mobile_banking_signups")
        # The deadline is the day plus the rule's days to act (7); the owner the outlet's one head.
        assert alert.deadline == D(2026, 12, 1)
        assert alert.owner == outlet_head
        assert "89.0%" in alert.detail and "90.0%" in alert.detail
        (event,) = AlertEvent.objects.filter(alert=alert)
        assert (event.by, event.from_status, event.to_status) == (None, "", AlertStatus.OPEN)
        assert (result.opened, result.rules) == (1, 1)

    def test_it_does_not_fire_when_one_of_the_days_is_on_pace(self, network):
        rule = behind_pace_rule()
        paces(network["GZ0101"], "mobile_banking_signups", [0.85, 0.88, 0.95])
        # Behind on the last two days only.
        paces(network["GZ0102"], "mobile_banking_signups", [0.95, 0.85, 0.88])

        alerts_evaluate(day=DAY)

        assert alerts_of(rule) == []

    def test_a_pace_equal_to_the_threshold_is_not_behind(self, network):
        rule = behind_pace_rule()
        paces(network["GZ0101"], "mobile_banking_signups", [0.85, 0.88, 0.9])

        alerts_evaluate(day=DAY)

        assert alerts_of(rule) == []

    def test_fewer_published_days_than_days_running_raise_nothing(self, network):
        rule = behind_pace_rule()
        paces(network["GZ0101"], "mobile_banking_signups", [0.5, 0.5])

        alerts_evaluate(day=DAY)

        assert alerts_of(rule) == []

    def test_only_units_of_the_rules_kind_and_its_period_are_watched(self, network):
        rule = behind_pace_rule()
        # A sub-branch far behind: the rule is for outlets.
        paces(network["GZ01"], "mobile_banking_signups", [0.5, 0.5, 0.5])
        # Behind on the week, not on the month the rule watches.
        for offset in range(3):
            day = DAY - datetime.timedelta(days=offset)
            line(day, network["GZ0102"], "mobile_banking_signups", period="week", actual=1, pace=0.5, target=1)
            line(day, network["GZ0102"], "mobile_banking_signups", period="month", actual=1, pace=1.1, target=1)

        alerts_evaluate(day=DAY)

        assert alerts_of(rule) == []

    def test_a_rule_for_every_unit_kind_watches_the_units_above_outlets_too(self, network, unit_manager):
        rule = behind_pace_rule(unit_kind="")
        paces(network["GZ01"], "mobile_banking_signups", [0.5, 0.6, 0.7])

        alerts_evaluate(day=DAY)

        (alert,) = alerts_of(rule)
        assert (alert.unit, alert.owner) == (network["GZ01"], unit_manager)

    def test_a_unit_with_two_heads_gets_an_alert_without_owner(self, network, outlet_head):
        UserFactory(first_name="王芳", role="outlet_head", unit=network["GZ0101"])
        rule = behind_pace_rule()
        paces(network["GZ0101"], "mobile_banking_signups", [0.85, 0.88, 0.89])

        alerts_evaluate(day=DAY)

        assert alerts_of(rule)[0].owner is None

    def test_a_day_not_published_evaluates_nothing_on_results(self, network):
        rule = behind_pace_rule()
        paces(network["GZ0101"], "mobile_banking_signups", [0.85, 0.88, 0.89], last=DAY - datetime.timedelta(days=1))

        result = alerts_evaluate(day=DAY)

        assert alerts_of(rule) == []
        assert (result.published, result.rules) == (False, 0)


# -- thresholds ----------------------------------------------------------------------------------


class TestThreshold:
    def test_an_average_wait_above_10_minutes_fires_and_exactly_10_does_not(self, network):
        rule = wait_rule()
        line(DAY, network["GZ0101"], "avg_wait_minutes", actual="12.5")
        line(DAY, network["GZ0102"], "avg_wait_minutes", actual="10")
        line(DAY, network["GZ0201"], "avg_wait_minutes", actual="9.99")

        alerts_evaluate(day=DAY)

        (alert,) = alerts_of(rule)
        assert (alert.unit, alert.value) == (network["GZ0101"], Decimal("12.5"))
        assert "12.5 分钟" in alert.detail and "10.0 分钟" in alert.detail  # minutes: one decimal

    def test_satisfaction_is_compared_in_percent_below_85(self, network):
        # DOMAIN.md §4: a metric in % is written in percent, so 84.9 means 84.9 %.
        rule = AlertRuleFactory(
            name="客户满意度低于85%",
            metric=metric("satisfaction_rate"),
            period="month",
            comparison=Comparison.BELOW,
            threshold=Decimal("85"),
        )
        line(DAY, network["GZ0101"], "satisfaction_rate", period="month", actual="84.9")
        line(DAY, network["GZ0102"], "satisfaction_rate", period="month", actual="85")
        # The day's satisfaction is low, but the rule reads the month to date.
        line(DAY, network["GZ0201"], "satisfaction_rate", period="day", actual="60")
        line(DAY, network["GZ0201"], "satisfaction_rate", period="month", actual="91.2")

        alerts_evaluate(day=DAY)

        (alert,) = alerts_of(rule)
        assert (alert.unit, alert.value) == (network["GZ0101"], Decimal("84.9"))

    def test_a_closed_outlet_raises_nothing(self, network):
        rule = wait_rule()
        closed = network["GZ0102"]
        closed.status = UnitStatus.CLOSED
        closed.save()
        line(DAY, closed, "avg_wait_minutes", actual="30")

        alerts_evaluate(day=DAY)

        assert alerts_of(rule) == []


# -- sudden change -------------------------------------------------------------------------------


class TestSuddenChange:
    """History 10, 12, 12, 12, 14: mean 12, sample variance (4 + 0 + 0 + 0 + 4) / 4 = 2, standard
    deviation √2 = 1.41421; with k = 3 the band is 12 ± 4.24264 = [7.75736, 16.24264]."""

    HISTORY = [10, 12, 12, 12, 14]

    def rule(self, comparison=Comparison.ABOVE, window_days=30):
        return AlertRuleFactory(
            name="不良贷款率突升",
            kind=RuleKind.SUDDEN_CHANGE,
            metric=metric("npl_ratio"),
            period="day",
            comparison=comparison,
            threshold=None,
            k=Decimal("3"),
            window_days=window_days,
        )

    def test_a_rise_beyond_k_standard_deviations_fires(self, network):
        rule = self.rule()
        series(network["GZ0101"], "npl_ratio", [*self.HISTORY, 16.3])
        series(network["GZ0102"], "npl_ratio", [*self.HISTORY, 16.2])

        alerts_evaluate(day=DAY)

        (alert,) = alerts_of(rule)
        assert (alert.unit, alert.value) == (network["GZ0101"], Decimal("16.3"))
        # (16.3 − 12) / 1.41421 = 3.04
        assert "+3.0" in alert.detail and "12.0%" in alert.detail  # a percentage: one decimal, glued

    def test_above_ignores_a_fall_and_below_or_either_catch_it(self, network):
        above = self.rule()
        below = self.rule(comparison=Comparison.BELOW)
        either = self.rule(comparison="")
        series(network["GZ0101"], "npl_ratio", [*self.HISTORY, 7.7])
        series(network["GZ0102"], "npl_ratio", [*self.HISTORY, 16.3])
        series(network["GZ0201"], "npl_ratio", [*self.HISTORY, 7.8])

        alerts_evaluate(day=DAY)

        assert [alert.unit.code for alert in alerts_of(above)] == ["GZ0102"]
        assert [alert.unit.code for alert in alerts_of(below)] == ["GZ0101"]
        assert sorted(alert.unit.code for alert in alerts_of(either)) == ["GZ0101", "GZ0102"]

    def test_fewer_than_five_earlier_days_or_no_spread_raise_nothing(self, network):
        rule = self.rule()
        series(network["GZ0101"], "npl_ratio", [12, 12, 12, 14, 40])
        series(network["GZ0102"], "npl_ratio", [12, 12, 12, 12, 12, 40])

        alerts_evaluate(day=DAY)

        assert alerts_of(rule) == []

    def test_days_before_the_window_are_not_in_the_mean(self, network):
        # With a window of 5 days the 100 six days back is left out: the band is that of HISTORY.
        rule = self.rule(window_days=5)
        series(network["GZ0101"], "npl_ratio", [100, *self.HISTORY, 16.3])

        alerts_evaluate(day=DAY)

        assert len(alerts_of(rule)) == 1


# -- missing data --------------------------------------------------------------------------------


class TestMissingData:
    BEFORE_CUTOFF = datetime.datetime(2026, 11, 25, 8, 59, tzinfo=SHANGHAI)
    AT_CUTOFF = datetime.datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI)

    def rule(self, **overrides):
        fields = {
            "name": "数据未按时报送",
            "kind": RuleKind.MISSING_DATA,
            "metric": None,
            "comparison": "",
            "threshold": None,
            "cutoff": datetime.time(9, 0),
        }
        return AlertRuleFactory(**{**fields, **overrides})

    @pytest.fixture
    def reported(self, network):
        """Every outlet reported on Tuesdays 10 and 17 November; on the 24th GZ0102 (through a staff fact)
        and GZ0201 did, GZ0101 did not, and SZ0101 has closed."""
        for code in ("GZ0101", "GZ0102", "GZ0201", "SZ0101"):
            for day in (D(2026, 11, 10), D(2026, 11, 17)):
                FactFactory(unit=network[code], metric="customers_served", date=day, value=30)
        staff = StaffMemberFactory()
        FactFactory(unit=network["GZ0102"], staff=staff, metric="mobile_banking_signups", date=DAY, value=2)
        FactFactory(unit=network["GZ0201"], metric="customers_served", date=DAY, value=12)
        closed = network["SZ0101"]
        closed.status, closed.closed_on = UnitStatus.CLOSED, D(2026, 11, 20)
        closed.save()
        return network

    def test_an_outlet_without_facts_by_the_cutoff_gets_an_alert(self, reported):
        rule = self.rule()

        alerts_check_missing(day=DAY, now=self.AT_CUTOFF)

        (alert,) = alerts_of(rule)
        assert (alert.unit.code, alert.value) == ("GZ0101", None)
        assert "2026-11-24" in alert.detail and "09:00" in alert.detail

    def test_nothing_is_checked_before_the_cutoff(self, reported):
        rule = self.rule()

        result = alerts_check_missing(day=DAY, now=self.BEFORE_CUTOFF)
        evaluated = alerts_evaluate(day=DAY, now=self.BEFORE_CUTOFF)

        assert alerts_of(rule) == []
        assert result.skipped == evaluated.skipped == ["数据未按时报送"]

    def test_the_rollup_evaluation_after_the_cutoff_checks_it_too(self, reported):
        rule = self.rule()

        alerts_evaluate(day=DAY, now=self.AT_CUTOFF)

        assert [alert.unit.code for alert in alerts_of(rule)] == ["GZ0101"]

    def test_an_outlet_that_seldom_reports_on_that_weekday_is_not_expected_to(self, network):
        # Light outlets close at the weekend: GZ0102 reported every Friday and on one Saturday, the
        # month-end 31 October; GZ0201 never reported at all.
        rule = self.rule()
        for day in (D(2026, 11, 6), D(2026, 11, 13), D(2026, 11, 20), D(2026, 10, 31)):
            FactFactory(unit=network["GZ0102"], metric="customers_served", date=day, value=30)
        friday, saturday = D(2026, 11, 27), D(2026, 11, 28)

        alerts_check_missing(day=saturday, now=datetime.datetime(2026, 11, 29, 10, tzinfo=SHANGHAI))
        assert alerts_of(rule) == []
        alerts_check_missing(day=friday, now=datetime.datetime(2026, 11, 28, 10, tzinfo=SHANGHAI))
        assert [alert.unit.code for alert in alerts_of(rule)] == ["GZ0102"]

    def test_an_outlet_that_went_silent_stays_alerted_until_it_reports(self, network):
        # Silent from Friday 27 November: the alert of the Friday goes on over the weekend, on which
        # the outlet does not usually report, and clears on the Monday it reports again.
        rule = self.rule()
        for day in (D(2026, 11, 6), D(2026, 11, 13), D(2026, 11, 20)):
            FactFactory(unit=network["GZ0102"], metric="customers_served", date=day, value=30)
        FactFactory(unit=network["GZ0102"], metric="customers_served", date=D(2026, 11, 30), value=30)

        for day in (D(2026, 11, 27), D(2026, 11, 28), D(2026, 11, 29)):
            alerts_check_missing(day=day, now=datetime.datetime(2026, 12, 1, 10, tzinfo=SHANGHAI))
        (alert,) = alerts_of(rule)
        assert (alert.status, alert.opened_on, alert.last_seen_on) == (
            AlertStatus.OPEN,
            D(2026, 11, 27),
            D(2026, 11, 29),
        )

        alerts_check_missing(day=D(2026, 11, 30), now=datetime.datetime(2026, 12, 1, 10, tzinfo=SHANGHAI))
        alert.refresh_from_db()
        assert (alert.status, alert.cleared_on) == (AlertStatus.CLEARED, D(2026, 11, 30))

    def test_a_rule_for_one_metric_wants_that_metrics_fact(self, reported):
        rule = self.rule(metric=metric("customers_served"))

        alerts_check_missing(day=DAY, now=self.AT_CUTOFF)

        # GZ0102 reported a staff sign-up on the 24th but no customers served.
        assert sorted(alert.unit.code for alert in alerts_of(rule)) == ["GZ0101", "GZ0102"]

    def test_facts_arriving_late_clear_the_alert_at_the_next_check(self, reported):
        rule = self.rule()
        alerts_check_missing(day=DAY, now=self.AT_CUTOFF)
        FactFactory(unit=reported["GZ0101"], metric="customers_served", date=DAY, value=25)

        alerts_check_missing(day=DAY, now=self.AT_CUTOFF + datetime.timedelta(minutes=15))

        (alert,) = alerts_of(rule)
        assert (alert.status, alert.cleared_on) == (AlertStatus.CLEARED, DAY)


class TestMissingDataSetBased:
    """The missing-data rule as one read of the facts, whatever the number of outlets."""

    AT_CUTOFF = datetime.datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI)

    def test_which_outlets_are_flagged_worked_by_hand(self, network):
        # Tuesdays before DAY (24 Nov): 17, 10, 3 Nov and 27 Oct. HABIT_DAYS = 2 of those 4.
        #   GZ0101: 17 and 10 Nov (habit 2), nothing on the 24th                    → flagged
        #   GZ0102: 17 Nov only (habit 1), nothing on the 24th, no alert before      → not expected
        #   GZ0201: 3 Nov and 27 Oct (habit 2), a staff fact on the 24th            → reported
        #   SZ0101: 17 Nov only (habit 1), nothing on the 24th, but already alerted  → flagged (stays)
        #   a Wednesday fact (18 Nov) is not of the habit: GZ0102's makes no second day.
        rule = TestMissingData().rule()
        tuesdays = {"GZ0101": [D(2026, 11, 17), D(2026, 11, 10)], "GZ0102": [D(2026, 11, 17)]}
        tuesdays |= {"GZ0201": [D(2026, 11, 3), D(2026, 10, 27)], "SZ0101": [D(2026, 11, 17)]}
        for code, days in tuesdays.items():
            for day in days:
                FactFactory(unit=network[code], metric="customers_served", date=day, value=30)
        FactFactory(unit=network["GZ0102"], metric="customers_served", date=D(2026, 11, 18), value=30)
        FactFactory(unit=network["GZ0201"], staff=StaffMemberFactory(), metric="wealth_sales", date=DAY, value=5)
        Alert.objects.create(
            rule=rule, unit=network["SZ0101"], status=AlertStatus.OPEN, opened_on=D(2026, 11, 23),
            last_seen_on=D(2026, 11, 23), detail="", deadline=D(2026, 11, 30),
        )  # fmt: skip

        alerts_check_missing(day=DAY, now=self.AT_CUTOFF)

        active = Alert.objects.filter(rule=rule, status=AlertStatus.OPEN)
        assert sorted(active.values_list("unit__code", "last_seen_on")) == [("GZ0101", DAY), ("SZ0101", DAY)]

    def test_its_queries_do_not_grow_with_the_outlets(self, network):
        # Three reads (the facts of the five days, the open outlets, the alerted ones), however many
        # outlets: ten more outlets without facts change nothing but the answer's size.
        from alerts.services.evaluation import _missing_data
        from tests.factories import OrgUnitFactory

        rule = TestMissingData().rule()

        def reads() -> int:
            with CaptureQueriesContext(connection) as captured:
                _missing_data(rule, DAY)
            return len(captured.captured_queries)

        before = reads()
        for number in range(10):
            OrgUnitFactory.outlet_of(network["GZ01"], code=f"GZ01{50 + number}")
        assert reads() == before == 3


# -- veto ----------------------------------------------------------------------------------------


class TestVeto:
    def test_a_vetoed_month_scorecard_fires_with_its_reason(self, network):
        rule = AlertRuleFactory(
            name="一票否决", kind=RuleKind.VETO, metric=None, period="month", comparison="", threshold=None
        )
        run = run_of(DAY)
        ScorecardFactory(run=run, unit=network["GZ0101"], period="month", vetoed=True, veto_reason="内控风险事件")
        ScorecardFactory(run=run, unit=network["GZ0102"], period="day", vetoed=True, veto_reason="内控风险事件")
        ScorecardFactory(run=run, unit=network["GZ0201"], period="month", vetoed=False)

        alerts_evaluate(day=DAY)

        (alert,) = alerts_of(rule)
        assert alert.unit == network["GZ0101"]
        assert "内控风险事件" in alert.detail


# -- one condition, one alert --------------------------------------------------------------------


class TestOneAlertPerCondition:
    """Average wait of GZ0101: 12 on the 22nd, 13 on the 23rd, 9 on the 24th (cleared), 15 on the 25th."""

    @pytest.fixture
    def waits(self, network):
        for day, value in ((D(2026, 11, 22), 12), (D(2026, 11, 23), 13), (D(2026, 11, 24), 9), (D(2026, 11, 25), 15)):
            line(day, network["GZ0101"], "avg_wait_minutes", actual=value)
        return wait_rule()

    def test_an_ongoing_condition_stays_one_alert_that_follows_the_latest_day(self, waits):
        alerts_evaluate(day=D(2026, 11, 22))
        result = alerts_evaluate(day=D(2026, 11, 23))

        (alert,) = alerts_of(waits)
        assert (alert.opened_on, alert.last_seen_on, alert.value) == (D(2026, 11, 22), D(2026, 11, 23), Decimal("13"))
        assert alert.deadline == D(2026, 11, 29)
        assert AlertEvent.objects.filter(alert=alert).count() == 1
        assert (result.opened, result.updated) == (0, 1)

    def test_an_open_alert_clears_itself_when_the_condition_goes(self, waits):
        alerts_evaluate(day=D(2026, 11, 22))
        alerts_evaluate(day=D(2026, 11, 23))

        alerts_evaluate(day=D(2026, 11, 24))

        (alert,) = alerts_of(waits)
        assert (alert.status, alert.cleared_on, alert.last_seen_on) == (
            AlertStatus.CLEARED,
            D(2026, 11, 24),
            D(2026, 11, 23),
        )
        assert alert.closed_at is not None
        last = AlertEvent.objects.filter(alert=alert).last()
        assert (last.by, last.from_status, last.to_status) == (None, AlertStatus.OPEN, AlertStatus.CLEARED)

    def test_when_it_comes_back_after_clearing_it_is_a_new_alert(self, waits):
        for day in (22, 23, 24, 25):
            alerts_evaluate(day=D(2026, 11, day))

        first, second = sorted(alerts_of(waits), key=lambda alert: alert.opened_on)
        assert (first.status, second.status, second.opened_on) == (
            AlertStatus.CLEARED,
            AlertStatus.OPEN,
            D(2026, 11, 25),
        )

    def test_an_alert_someone_works_on_stays_and_is_marked_cleared(self, waits):
        alerts_evaluate(day=D(2026, 11, 23))
        Alert.objects.filter(rule=waits).update(status=AlertStatus.IN_PROGRESS)

        alerts_evaluate(day=D(2026, 11, 24))

        (alert,) = alerts_of(waits)
        assert (alert.status, alert.cleared_on, alert.closed_at) == (AlertStatus.IN_PROGRESS, D(2026, 11, 24), None)
        note = AlertEvent.objects.filter(alert=alert).last()
        assert (note.by, note.to_status, note.changes) == (None, "", {"cleared_on": [None, "2026-11-24"]})

        # Seen again the next day: still the same alert, no longer marked cleared.
        alerts_evaluate(day=D(2026, 11, 25))

        (alert,) = alerts_of(waits)
        assert (alert.status, alert.cleared_on, alert.last_seen_on) == (
            AlertStatus.IN_PROGRESS,
            None,
            D(2026, 11, 25),
        )

    def test_evaluating_the_same_day_twice_changes_nothing(self, waits):
        alerts_evaluate(day=D(2026, 11, 23))
        before = list(Alert.objects.values())

        result = alerts_evaluate(day=D(2026, 11, 23))

        assert list(Alert.objects.values()) == before
        assert AlertEvent.objects.count() == 1
        assert (result.opened, result.updated, result.cleared) == (0, 0, 0)

    def test_an_earlier_day_evaluated_late_neither_rewinds_nor_clears_the_alert(self, waits):
        alerts_evaluate(day=D(2026, 11, 25))

        alerts_evaluate(day=D(2026, 11, 23))
        alerts_evaluate(day=D(2026, 11, 24))

        (alert,) = alerts_of(waits)
        assert (alert.status, alert.last_seen_on, alert.value) == (AlertStatus.OPEN, D(2026, 11, 25), Decimal("15"))

    def test_a_cleared_alert_is_not_opened_again_by_an_earlier_day(self, waits):
        alerts_evaluate(day=D(2026, 11, 23))
        alerts_evaluate(day=D(2026, 11, 24))

        alerts_evaluate(day=D(2026, 11, 23))
        alerts_evaluate(day=D(2026, 11, 22))

        (alert,) = alerts_of(waits)
        assert alert.status == AlertStatus.CLEARED

    def test_alerts_of_one_rule_do_not_clear_those_of_another(self, waits, network):
        other = wait_rule(name="平均等待超过12分钟", threshold=Decimal("12"))
        alerts_evaluate(day=D(2026, 11, 23))

        assert {alert.rule for alert in Alert.objects.all()} == {waits, other}


class TestRules:
    def test_a_failing_rule_is_logged_and_the_others_are_evaluated(self, network, caplog):
        broken = wait_rule(name="坏规则", threshold=None)
        rule = wait_rule()
        line(DAY, network["GZ0101"], "avg_wait_minutes", actual=12)

        result = alerts_evaluate(day=DAY)

        assert result.failed == ["坏规则"]
        assert len(alerts_of(rule)) == 1 and alerts_of(broken) == []
        assert "坏规则" in caplog.text

    def test_an_inactive_rule_is_not_evaluated(self, network):
        rule = wait_rule(is_active=False)
        line(DAY, network["GZ0101"], "avg_wait_minutes", actual=12)

        alerts_evaluate(day=DAY)

        assert alerts_of(rule) == []

    @pytest.mark.parametrize("codes", [["GZ0101"], ["GZ0101", "GZ0102", "GZ0201", "SZ0101"]])
    def test_each_rule_takes_the_same_queries_whatever_the_number_of_units(self, network, codes):
        wait_rule()
        behind_pace_rule()
        for code in codes:
            line(DAY, network[code], "avg_wait_minutes", actual=20)
            paces(network[code], "mobile_banking_signups", [0.5, 0.5, 0.5])

        with CaptureQueriesContext(connection) as captured:
            result = alerts_evaluate(day=DAY)

        # The day and the rules; per rule a savepoint, the lines (behind pace: and the days), the active
        # alerts, the closed ones covering the day, the owners, the alerts and their events, the release.
        # (PostgreSQL also takes and releases the advisory lock.)
        statements = [query["sql"] for query in captured.captured_queries if "advisory" not in query["sql"]]
        assert len(statements) == 2 + 9 + 8
        assert result.opened == 2 * len(codes)


def test_the_default_rules_are_installed_and_valid(db):
    rules = AlertRule.objects.order_by("name")

    assert {rule.kind for rule in rules} == set(RuleKind.values)
    for rule in rules:
        rule.full_clean()
    wait = AlertRule.objects.get(metric__code="avg_wait_minutes")
    assert (wait.kind, wait.period, wait.comparison, wait.threshold) == ("threshold", "month", "above", Decimal("10"))
    assert AlertRule.objects.filter(kind=RuleKind.BEHIND_PACE, days_running=3, threshold=Decimal("0.9")).count() == 3
    assert AlertRule.objects.get(kind=RuleKind.MISSING_DATA).cutoff == datetime.time(9, 0)
