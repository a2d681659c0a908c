"""A month's pay sheets (pay/services/sheets.py), with the numbers of tests/pay/pay_data.py worked by hand:
preview, close, idempotence, gates, cap, pool, and late facts carried into the next month."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from kpi.services import rollup
from kpi.services.closing import month_close, month_reopen
from kpi.services.facts import facts_ingest
from lib.csvimport import CsvRow, ImportRejected
from pay.models import Gate, LineKind, PayClose, PayRule, PaySheet, PaySheetLine, TeamPool
from pay.services.sheets import PayCloseError, pay_close, pay_compute, reopened_months
from staff.access import scope_for_user
from staff.models import Assignment
from tests.factories import AssignmentFactory, StaffMemberFactory
from tests.pay.pay_data import (
    AFTER_NOVEMBER,
    DECEMBER,
    NOV_15,
    NOV_30,
    NOVEMBER,
    OCT_31,
    OCTOBER,
    fact,
)

pytestmark = pytest.mark.django_db
D = Decimal


def by_code(sheets) -> dict:
    return {sheet.staff.code: sheet for sheet in sheets}


def lines(sheet, kind: str) -> list[PaySheetLine]:
    return [line for line in getattr(sheet, "line_list", None) or sheet.lines.all() if line.kind == kind]


def amounts(sheet) -> list[tuple[str, Decimal]]:
    return [(line.kind, line.amount) for line in sheet.line_list]


class TestPreview:
    def test_points_piece_rate_pool_and_cap_make_wang_fangs_5500(self, october):
        sheet = by_code(pay_compute(month=OCTOBER))["S1"]

        # 91 × 20 = 1,820.00; 35 referrals = 270.00; pool 3,640.00; 5,730.00 capped at 5,500.00 (-230.00).
        assert amounts(sheet) == [
            (LineKind.POINTS, D("1820.00")),
            (LineKind.PIECE_RATE, D("270.00")),
            (LineKind.POOL, D("3640.00")),
            (LineKind.CAP, D("-230.00")),
        ]
        assert sheet.total == D("5500.00")
        assert (sheet.score, sheet.template_code, sheet.scorecard_date, sheet.unit.code) == (
            D(91),
            "T-TELLER",
            OCT_31,
            "GZ0101",
        )

    def test_each_line_keeps_what_it_rests_on(self, october):
        points, piece, pool, cap = by_code(pay_compute(month=OCTOBER))["S1"].line_list

        assert (points.rate, points.basis) == (D("20.00"), {"score": "91", "yuan_per_point": "20.00"})
        assert (piece.metric.code, piece.volume) == ("counter_referrals", D(35))
        assert piece.basis == {
            "method": "marginal",
            "tiers": [
                {"from": "0", "to": "10", "rate": "5.00", "units": "10", "amount": "50.00"},
                {"from": "10", "to": "30", "rate": "8.00", "units": "20", "amount": "160.00"},
                {"from": "30", "to": None, "rate": "12.00", "units": "5", "amount": "60.00"},
            ],
        }
        assert pool.basis == {
            "unit": "GZ0101",
            "unit_name": "天河路网点",
            "unit_name_en": "Tianhe Road Outlet",
            "pool": "10000.00",
            "score": "91",
            "scores_total": "250",
            "sharing": 3,
        }
        assert cap.basis == {"cap": "5500.00", "before": "5730.00", "cut": "230.00"}

    def test_a_sheet_under_the_cap_is_not_cut(self, october):
        sheet = by_code(pay_compute(month=OCTOBER))["S2"]

        # 87 × 20 = 1,740.00; 12 referrals = 10 × 5 + 2 × 8 = 66.00; pool 3,480.00: 5,286.00 ≤ 5,500.00.
        assert amounts(sheet) == [
            (LineKind.POINTS, D("1740.00")),
            (LineKind.PIECE_RATE, D("66.00")),
            (LineKind.POOL, D("3480.00")),
        ]
        assert sheet.total == D("5286.00")

    def test_the_pool_of_10000_adds_up_exactly_over_the_three_who_share_it(self, october):
        sheets = pay_compute(month=OCTOBER)

        shares = {sheet.staff.code: lines(sheet, LineKind.POOL)[0].amount for sheet in sheets}
        assert shares == {"S1": D("3640.00"), "S2": D("3480.00"), "S3": D("2880.00"), "S4": D(0), "S5": D(0)}
        assert sum(shares.values()) == D("10000.00")

    def test_a_score_below_the_minimum_zeroes_every_line_and_says_so(self, october):
        sheet = by_code(pay_compute(month=OCTOBER))["S4"]

        # 55 < 60: 55 × 20 = 1,100.00 and 8 × 5 = 40.00 kept as gross, paid 0; no pool share.
        assert [(line.kind, line.gross, line.amount, line.gate) for line in sheet.line_list] == [
            (LineKind.POINTS, D("1100.00"), D(0), Gate.MIN_SCORE),
            (LineKind.PIECE_RATE, D("40.00"), D(0), Gate.MIN_SCORE),
            (LineKind.POOL, D(0), D(0), Gate.MIN_SCORE),
        ]
        assert sheet.total == D(0)

    def test_a_veto_zeroes_the_performance_pay_and_says_so(self, october):
        sheet = by_code(pay_compute(month=OCTOBER))["S5"]

        # Vetoed: score 0; 20 referrals = 10 × 5 + 10 × 8 = 130.00 gross, zeroed.
        assert sheet.vetoed and sheet.veto_reason == "员工违规，一票否决"
        assert [(line.kind, line.gross, line.amount, line.gate) for line in sheet.line_list] == [
            (LineKind.POINTS, D("0.00"), D(0), Gate.VETO),
            (LineKind.PIECE_RATE, D("130.00"), D(0), Gate.VETO),
            (LineKind.POOL, D(0), D(0), Gate.VETO),
        ]

    def test_a_rule_that_does_not_zero_on_veto_still_pays_the_piece_rates(self, october):
        PayRule.objects.filter(template_code="T-TELLER").update(veto_zeroes_pay=False)

        sheet = by_code(pay_compute(month=OCTOBER))["S5"]

        # Score 0: no points and no pool share; the minimum score is not asked of a vetoed card.
        assert [(line.kind, line.amount, line.gate) for line in sheet.line_list] == [
            (LineKind.POINTS, D("0.00"), ""),
            (LineKind.PIECE_RATE, D("130.00"), ""),
            (LineKind.POOL, D(0), ""),
        ]
        assert sheet.total == D("130.00")

    def test_a_staff_member_whose_template_has_no_rule_gets_no_sheet(self, october):
        PayRule.objects.all().delete()

        assert pay_compute(month=OCTOBER) == []

    def test_a_rule_starting_after_the_month_does_not_pay_it(self, october):
        PayRule.objects.update(effective_from=NOVEMBER)

        assert pay_compute(month=OCTOBER) == []

    def test_a_unit_preview_holds_its_own_staff_and_their_share_of_a_pool_above_it(self, october, network):
        TeamPool.objects.create(unit=network["GZ01"], month=OCTOBER, amount=D("500.00"))
        other = StaffMemberFactory(code="S9", name="周宁")
        AssignmentFactory(staff=other, unit=network["GZ0102"], post="teller", start=OCTOBER)
        month_reopen(month=OCTOBER, by=None)
        fact(network["GZ0102"], other, "mobile_banking_signups", 65)
        rollup.days_mark_stale(first_date=OCT_31)
        rollup.rollup_pending()
        month_close(month=OCTOBER, by=None, today=AFTER_NOVEMBER)

        outlet = by_code(pay_compute(month=OCTOBER, under=network["GZ0101"]))

        # GZ01's 500.00 over 91 + 87 + 72 + 65 = 315 points: 144.444…, 138.095…, 114.285… and 103.174…
        # round down to 499.98; the two fen go to the largest remainders, S3's (0.57 fen) and S2's (0.52),
        # not to the largest score. S9 is at GZ0102: in the pool, not in GZ0101's preview.
        assert set(outlet) == {"S1", "S2", "S3", "S4", "S5"}
        gz01 = {
            code: line.amount
            for code, sheet in outlet.items()
            for line in lines(sheet, LineKind.POOL)
            if line.basis["unit"] == "GZ01"
        }
        assert gz01 == {"S1": D("144.44"), "S2": D("138.10"), "S3": D("114.29"), "S4": D(0), "S5": D(0)}
        network_wide = by_code(pay_compute(month=OCTOBER))
        assert lines(network_wide["S9"], LineKind.POOL)[0].amount == D("103.17")  # 500.00 in all

    def test_the_preview_reads_a_fixed_number_of_queries_whatever_the_staff(self, october, network):
        with CaptureQueriesContext(connection) as five:
            pay_compute(month=OCTOBER, under=network["GZ0101"])
        for index in range(10):
            member = StaffMemberFactory(code=f"S{20 + index}", name="新员工")
            AssignmentFactory(staff=member, unit=network["GZ0101"], post="teller", start=OCTOBER)
        with CaptureQueriesContext(connection) as fifteen:
            pay_compute(month=OCTOBER, under=network["GZ0101"])

        assert len(fifteen) == len(five)


class TestClose:
    def test_the_close_stores_what_the_preview_showed(self, october, network, hq_admin):
        preview = {sheet.staff.code: (sheet.total, amounts(sheet)) for sheet in pay_compute(month=OCTOBER)}

        result = pay_close(month=OCTOBER, unit=network["HQ"], by=hq_admin, scope=scope_for_user(hq_admin))

        stored = {
            sheet.staff.code: (sheet.total, [(line.kind, line.amount) for line in sheet.lines.order_by("position")])
            for sheet in PaySheet.objects.all()
        }
        assert stored == preview
        assert (result.stored, result.kept, result.total) == (5, 0, D("15106.00"))  # 5,500 + 5,286 + 4,320
        close = PayClose.objects.get()
        assert (close.unit.code, close.by, close.sheets, close.total) == ("HQ", hq_admin, 5, D("15106.00"))

    def test_closing_twice_stores_nothing_twice(self, october, network, hq_admin):
        scope = scope_for_user(hq_admin)
        pay_close(month=OCTOBER, unit=network["GZ0101"], by=hq_admin, scope=scope)

        again = pay_close(month=OCTOBER, unit=network["HQ"], by=hq_admin, scope=scope)

        assert (again.stored, again.kept) == (0, 5)
        assert PaySheet.objects.count() == 5
        assert PaySheetLine.objects.count() == 5 * 3 + 1  # three lines each, and 王芳's cap
        assert PayClose.objects.count() == 1

    def test_a_stored_sheet_stays_as_it_was_closed_when_the_rule_changes_later(self, october, network):
        pay_close(month=OCTOBER, unit=network["GZ0101"], by=None, scope=None)
        PayRule.objects.update(yuan_per_point=D("30.00"))

        pay_close(month=OCTOBER, unit=network["GZ0101"], by=None, scope=None)

        assert PaySheet.objects.get(staff__code="S2").total == D("5286.00")

    def test_the_pay_of_a_month_not_closed_by_hq_cannot_be_closed(self, october, network, hq_admin):
        month_reopen(month=OCTOBER, by=None)

        with translation.override("en"), pytest.raises(PayCloseError, match="2026-10 is not closed yet"):
            pay_close(month=OCTOBER, unit=network["GZ0101"], by=hq_admin, scope=scope_for_user(hq_admin))
        assert not PaySheet.objects.exists()

    def test_a_correction_made_before_the_close_is_what_the_close_stores(self, october, network):
        # HQ finds 李强's referrals short in the preview: reopen, 30 instead of 12, roll up, close again.
        month_reopen(month=OCTOBER, by=None)
        fact(network["GZ0101"], october["S2"], "counter_referrals", 30)
        rollup.days_mark_stale(first_date=OCT_31)
        rollup.rollup_pending()
        month_close(month=OCTOBER, by=None, today=AFTER_NOVEMBER)

        pay_close(month=OCTOBER, unit=network["GZ0101"], by=None, scope=None)

        sheet = PaySheet.objects.get(staff__code="S2")
        # 30 referrals: 10 × 5 + 20 × 8 = 210.00; 1,740 + 210 + 3,480 = 5,430.00; no carry-over later.
        assert sheet.total == D("5430.00")
        assert not PaySheetLine.objects.filter(kind=LineKind.CARRY_OVER).exists()

    def test_only_hq_and_the_unit_manager_above_close_a_units_pay(
        self, october, network, unit_manager, outlet_head, auditor
    ):
        for user in (outlet_head, auditor):
            with pytest.raises(PermissionDenied):
                pay_close(month=OCTOBER, unit=network["GZ0101"], by=user, scope=scope_for_user(user))
        with pytest.raises(PermissionDenied):
            pay_close(month=OCTOBER, unit=network["SZ01"], by=unit_manager, scope=scope_for_user(unit_manager))

        pay_close(month=OCTOBER, unit=network["GZ01"], by=unit_manager, scope=scope_for_user(unit_manager))

        assert PaySheet.objects.count() == 5


class TestLateFacts:
    """李强's 12 referrals of October were 15: 3 reported after his pay was closed. October paid him
    66.00 for them (10 × 5 + 2 × 8); 15 earn 10 × 5 + 5 × 8 = 90.00, so 24.00 is owed; his month stays
    under the cap (5,286.00 + 24.00 = 5,310.00 ≤ 5,500.00)."""

    @pytest.fixture
    def paid_october(self, october, network):
        pay_close(month=OCTOBER, unit=network["GZ0101"], by=None, scope=None)
        return october

    def correct_october(self, network, member, referrals: int = 15):
        """HQ reopens October, the late fact goes in, October is rolled up and closed again."""
        month_reopen(month=OCTOBER, by=None)
        fact(network["GZ0101"], member, "counter_referrals", referrals)
        rollup.days_mark_stale(first_date=OCT_31)
        rollup.rollup_pending()
        month_close(month=OCTOBER, by=None, today=AFTER_NOVEMBER)

    def november(self, network, staff):
        """70 sign-ups each in November: 70 × 20 = 1,400.00 of points (no pool in November)."""
        for member in staff.values():
            fact(network["GZ0101"], member, "mobile_banking_signups", 70, day=NOV_15)
        rollup.rollup_day(day=NOV_30, today=AFTER_NOVEMBER)
        month_close(month=NOVEMBER, by=None, today=AFTER_NOVEMBER)

    def test_a_late_fact_for_a_closed_month_is_refused_until_hq_reopens_it(self, paid_october, network):
        row = CsvRow(
            line=2,
            values={
                "date": "2026-10-15",
                "unit": "GZ0101",
                "staff": "S2",
                "metric": "counter_referrals",
                "value": "15",
            },
        )

        with pytest.raises(ImportRejected) as refused:
            facts_ingest(rows=[row], source="csv")

        message = refused.value.problems[0].message  # in Chinese, as the admin's import page shows it
        assert (
            message.startswith("2026-10 已于 ")
            and "月结：数据已冻结，GZ0101 在 2026-10-15 的业务数据不能新增" in message
        )

    def test_a_late_fact_is_a_carry_over_line_of_the_next_month_with_what_changed(self, paid_october, network):
        self.correct_october(network, paid_october["S2"])
        self.november(network, paid_october)

        sheet = by_code(pay_compute(month=NOVEMBER))["S2"]

        # 90.00 - 66.00 = +24.00 carried into November (上月补记), beside November's own 1,400.00.
        [carry] = lines(sheet, LineKind.CARRY_OVER)
        assert (carry.amount, carry.source_month, carry.gate) == (D("24.00"), OCTOBER, "")
        assert (carry.basis["due"], carry.basis["paid"], carry.basis["carried_before"]) == ("5310.00", "5286.00", "0")
        assert carry.basis["changes"] == [{"metric": "counter_referrals", "was": "12", "now": "15"}]
        assert [(fact["date"], fact["metric"], fact["value"]) for fact in carry.basis["late_facts"]] == [
            ("2026-10-15", "counter_referrals", "15")
        ]
        assert (sheet.carried, sheet.total) == (D("24.00"), D("1424.00"))
        # Nobody else's October changed.
        assert [code for code, other in by_code(pay_compute(month=NOVEMBER)).items() if other.carried] == ["S2"]

    def test_october_as_it_was_paid_stays_stored(self, paid_october, network):
        self.correct_october(network, paid_october["S2"])

        assert PaySheet.objects.get(staff__code="S2", month=OCTOBER).total == D("5286.00")

    def test_a_late_fact_that_the_cap_absorbs_carries_nothing(self, paid_october, network):
        # 王芳: 40 referrals instead of 35 = 330.00 (60.00 more), but 1,820 + 330 + 3,640 = 5,790.00 is
        # still cut to the cap of 5,500.00, as October paid.
        self.correct_october(network, paid_october["S1"], referrals=40)
        self.november(network, paid_october)

        assert lines(by_code(pay_compute(month=NOVEMBER))["S1"], LineKind.CARRY_OVER) == []

    def test_a_carry_over_is_paid_once(self, paid_october, network):
        self.correct_october(network, paid_october["S2"])
        self.november(network, paid_october)
        pay_close(month=NOVEMBER, unit=network["GZ0101"], by=None, scope=None)

        # December: October has not changed since November's close looked at it.
        december = pay_compute(month=DECEMBER)

        assert PaySheetLine.objects.filter(kind=LineKind.CARRY_OVER).count() == 1
        assert PaySheet.objects.get(staff__code="S2", month=NOVEMBER).carried == D("24.00")
        assert all(not sheet.carried for sheet in december)

    def test_a_second_correction_carries_only_what_was_not_carried_yet(self, paid_october, network):
        self.correct_october(network, paid_october["S2"])
        self.november(network, paid_october)
        pay_close(month=NOVEMBER, unit=network["GZ0101"], by=None, scope=None)
        # 18 referrals after all: 10 × 5 + 8 × 8 = 114.00; paid 66.00 and carried 24.00: 24.00 more.
        self.correct_october(network, paid_october["S2"], referrals=18)

        [carry] = lines(by_code(pay_compute(month=DECEMBER))["S2"], LineKind.CARRY_OVER)

        assert (carry.amount, carry.basis["carried_before"]) == (D("24.00"), "24.00")

    def test_a_person_with_no_pay_next_month_gets_a_sheet_of_the_carry_over_alone(self, paid_october, network):
        self.correct_october(network, paid_october["S2"])
        # 李强 left the outlet on 31 October: no template scores him in November.
        Assignment.objects.filter(staff=paid_october["S2"]).update(end=OCT_31)
        self.november(network, {code: member for code, member in paid_october.items() if code != "S2"})

        sheet = by_code(pay_compute(month=NOVEMBER))["S2"]

        assert (sheet.staff.code, sheet.rule, sheet.total) == ("S2", None, D("24.00"))
        assert [line.kind for line in sheet.line_list] == [LineKind.CARRY_OVER]

    def test_a_reopened_month_waits_and_its_correction_is_not_carried_yet(self, paid_october, network):
        self.november(network, paid_october)
        month_reopen(month=OCTOBER, by=None)
        fact(network["GZ0101"], paid_october["S2"], "counter_referrals", 15)

        assert lines(by_code(pay_compute(month=NOVEMBER))["S2"], LineKind.CARRY_OVER) == []
        assert reopened_months(NOVEMBER) == [OCTOBER]
