"""The Monday review (周例会) and the improvement plans (一点一策): alerts/services/reviews.py and plans.py.

Week 2026-W48 runs Monday 2026-11-23 to Sunday 2026-11-29; its week scorecards are those of the 29th.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from alerts.models import ReviewStatus, WeeklyReview
from alerts.services.plans import plan_create, plan_measure_add, plan_measure_update, plan_update
from alerts.services.reviews import review_answer, review_submit, weekly_reviews_create
from kpi.models import Scorecard
from staff.models import Role
from tests.alerts.factories import ImprovementPlanFactory, WeeklyReviewFactory, metric
from tests.factories import UserFactory
from tests.kpi.factories import TargetFactory
from tests.kpi.scorecard_factories import ScorecardFactory, ScorecardLineFactory, published_day

D = datetime.date
MONDAY = D(2026, 11, 23)
SUNDAY = D(2026, 11, 29)
pytestmark = pytest.mark.django_db


def weekly_target(unit, code, value):
    return TargetFactory(
        unit=unit,
        metric=metric(code),
        period_kind="week",
        period="2026-W48",
        period_start=MONDAY,
        period_end=SUNDAY,
        value=Decimal(str(value)),
    )


def week_line(run, unit, code, *, actual, target, attainment):
    card = Scorecard.objects.filter(run=run, unit=unit, period="week").first()
    card = card or ScorecardFactory(run=run, unit=unit, period="week")
    return ScorecardLineFactory(
        scorecard=card,
        metric=metric(code),
        actual=None if actual is None else Decimal(str(actual)),
        target=Decimal(str(target)),
        attainment=None if attainment is None else Decimal(str(attainment)),
    )


@pytest.fixture
def last_week(network):
    """Weekly targets and the published week scorecards of Sunday the 29th.

    GZ0101: sign-ups 38 of 50 (76 %, missed), deposits 1,020 of 1,000 (met).
    GZ0102: sign-ups 50 of 50 (exactly met).
    GZ0201: average wait 12.5 minutes against 10 (lower is better: 10 / 12.5 = 80 %, missed).
    GZ01, a sub-branch, missed too; SZ0101 has no weekly target.
    """
    run = published_day(SUNDAY).published_run
    for code, metric_code, actual, target, attainment in (
        ("GZ0101", "mobile_banking_signups", 38, 50, "0.76"),
        ("GZ0101", "deposit_balance", 1020, 1000, "1.02"),
        ("GZ0102", "mobile_banking_signups", 50, 50, "1"),
        ("GZ0201", "avg_wait_minutes", "12.5", 10, "0.8"),
        ("GZ01", "mobile_banking_signups", 88, 100, "0.88"),
    ):
        weekly_target(network[code], metric_code, target)
        week_line(run, network[code], metric_code, actual=actual, target=target, attainment=attainment)
    week_line(run, network["SZ0101"], "mobile_banking_signups", actual=1, target=50, attainment="0.02")
    return network


class TestWeeklyReviewsCreate:
    def test_every_outlet_that_missed_a_weekly_target_gets_one_review(self, last_week):
        result = weekly_reviews_create(week_start=MONDAY)

        reviews = {review.unit.code: review for review in WeeklyReview.objects.all()}
        assert sorted(reviews) == ["GZ0101", "GZ0201"]
        assert reviews["GZ0101"].missed == [
            {"metric": "mobile_banking_signups", "target": 50.0, "actual": 38.0, "attainment": 0.76}
        ]
        assert reviews["GZ0201"].missed == [
            {"metric": "avg_wait_minutes", "target": 10.0, "actual": 12.5, "attainment": 0.8}
        ]
        assert all(review.status == ReviewStatus.TO_FILL for review in reviews.values())
        assert (result.published, result.outlets_missed, result.created) == (True, 2, 2)

    def test_a_weekly_target_without_any_actual_counts_as_missed(self, last_week):
        weekly_target(last_week["GZ0102"], "satisfaction_rate", 85)

        weekly_reviews_create(week_start=MONDAY)

        review = WeeklyReview.objects.get(unit=last_week["GZ0102"])
        assert review.missed == [{"metric": "satisfaction_rate", "target": 85.0, "actual": None, "attainment": None}]

    def test_running_it_twice_makes_no_second_review(self, last_week):
        weekly_reviews_create(week_start=MONDAY)

        result = weekly_reviews_create(week_start=MONDAY)

        assert WeeklyReview.objects.count() == 2
        assert (result.created, result.updated) == (0, 0)

    def test_a_recomputed_week_updates_reviews_still_to_fill_and_not_submitted_ones(self, last_week):
        weekly_reviews_create(week_start=MONDAY)
        WeeklyReview.objects.filter(unit=last_week["GZ0201"]).update(status=ReviewStatus.SUBMITTED)
        # A late fact: the Sunday is published again with other figures.
        run = published_day(SUNDAY).published_run
        week_line(run, last_week["GZ0101"], "mobile_banking_signups", actual=40, target=50, attainment="0.8")
        week_line(run, last_week["GZ0101"], "deposit_balance", actual=1020, target=1000, attainment="1.02")
        week_line(run, last_week["GZ0201"], "avg_wait_minutes", actual=20, target=10, attainment="0.5")

        result = weekly_reviews_create(week_start=MONDAY)

        assert WeeklyReview.objects.get(unit=last_week["GZ0101"]).missed == [
            {"metric": "mobile_banking_signups", "target": 50.0, "actual": 40.0, "attainment": 0.8}
        ]
        assert WeeklyReview.objects.get(unit=last_week["GZ0201"]).missed[0]["actual"] == 12.5
        assert result.updated == 1

    def test_nothing_is_made_before_the_sunday_is_published(self, network):
        weekly_target(network["GZ0101"], "mobile_banking_signups", 50)

        result = weekly_reviews_create(week_start=MONDAY)

        assert result.published is False
        assert WeeklyReview.objects.count() == 0

    def test_the_week_starts_on_a_monday(self, network):
        with pytest.raises(ValueError, match="not a Monday"):
            weekly_reviews_create(week_start=D(2026, 11, 24))


REVIEW = {
    "what_happened": "手机银行签约38户，完成76%",
    "why": "两名客户经理外出培训，厅堂营销人手不足",
    "remedy": "本周恢复厅堂驻点，每日晨会通报签约进度",
    "support_needed": "",
}


class TestFillingInAndAnswering:
    @pytest.fixture
    def review(self, network):
        return WeeklyReviewFactory(unit=network["GZ0101"], week_start=MONDAY)

    def test_the_outlet_head_submits_her_review(self, review, outlet_head):
        review_submit(review=review, by=outlet_head, **REVIEW)

        review.refresh_from_db()
        assert (review.status, review.submitted_by, review.why) == (
            ReviewStatus.SUBMITTED,
            outlet_head,
            REVIEW["why"],
        )
        assert review.submitted_at is not None

    def test_what_happened_why_and_the_remedy_are_needed_and_support_says_from_whom(self, review, outlet_head):
        with pytest.raises(ValidationError) as refused:
            review_submit(review=review, by=outlet_head, what_happened="签约不足", support_needed="需要营销物料")

        assert set(refused.value.message_dict) == {"why", "remedy", "support_from"}
        review.refresh_from_db()
        assert review.status == ReviewStatus.TO_FILL

    def test_the_manager_above_may_fill_it_in_but_not_others(self, review, network, unit_manager, auditor):
        other_head = UserFactory(first_name="李娜", role=Role.OUTLET_HEAD, unit=network["GZ0102"])
        for user in (auditor, other_head):
            with pytest.raises(PermissionDenied):
                review_submit(review=review, by=user, **REVIEW)

        review_submit(review=review, by=unit_manager, **REVIEW)

        assert review.submitted_by == unit_manager

    def test_the_unit_manager_answers_the_support_request(self, review, outlet_head, unit_manager):
        review_submit(
            review=review,
            by=outlet_head,
            **{**REVIEW, "support_needed": "借调一名理财经理", "support_from": "支行个金部"},
        )

        review_answer(review=review, by=unit_manager, answer="下周一起借调王芳两周")

        review.refresh_from_db()
        assert (review.status, review.answered_by, review.answer) == (
            ReviewStatus.ANSWERED,
            unit_manager,
            "下周一起借调王芳两周",
        )

    def test_the_outlet_head_and_other_subtrees_cannot_answer(self, review, network, outlet_head):
        review_submit(review=review, by=outlet_head, **REVIEW)
        sz_manager = UserFactory(first_name="杨磊", role=Role.UNIT_MANAGER, unit=network["SZ01"])

        for user in (outlet_head, sz_manager):
            with pytest.raises(PermissionDenied):
                review_answer(review=review, by=user, answer="同意")

    def test_hq_may_answer_but_not_before_it_is_submitted_nor_with_nothing(self, review, outlet_head, hq_admin):
        with pytest.raises(ValidationError):
            review_answer(review=review, by=hq_admin, answer="同意")
        review_submit(review=review, by=outlet_head, **REVIEW)
        with pytest.raises(ValidationError):
            review_answer(review=review, by=hq_admin, answer="  ")

        review_answer(review=review, by=hq_admin, answer="同意")

        assert review.status == ReviewStatus.ANSWERED

    def test_an_answered_review_can_no_longer_be_changed_by_the_outlet(self, review, outlet_head, unit_manager):
        review_submit(review=review, by=outlet_head, **REVIEW)
        review_answer(review=review, by=unit_manager, answer="同意")

        with pytest.raises(ValidationError):
            review_submit(review=review, by=outlet_head, **{**REVIEW, "remedy": "改了"})


class TestImprovementPlans:
    def test_the_outlet_head_makes_one_plan_per_period(self, network, outlet_head):
        plan = plan_create(unit=network["GZ0101"], period="2026-11", title="提升手机银行签约", by=outlet_head)

        assert (plan.period, plan.created_by) == ("2026-11", outlet_head)
        with pytest.raises(ValidationError) as refused:
            plan_create(unit=network["GZ0101"], period="2026-11", title="第二个", by=outlet_head)
        assert "period" in refused.value.message_dict

    @pytest.mark.parametrize(
        ("unit_code", "period", "title", "field"),
        [
            ("GZ01", "2026-11", "支行计划", "unit"),
            ("GZ0101", "2026-W48", "周计划", "period"),
            ("GZ0101", "11月", "计划", "period"),
            ("GZ0101", "2026-Q4", "  ", "title"),
        ],
    )
    def test_a_plan_is_for_an_outlet_a_month_quarter_or_year_and_has_a_title(
        self, network, hq_admin, unit_code, period, title, field
    ):
        with pytest.raises(ValidationError) as refused:
            plan_create(unit=network[unit_code], period=period, title=title, by=hq_admin)

        assert field in refused.value.message_dict

    def test_auditors_and_other_outlets_may_not_write_plans(self, network, auditor):
        other_head = UserFactory(first_name="李娜", role=Role.OUTLET_HEAD, unit=network["GZ0102"])
        plan = ImprovementPlanFactory(unit=network["GZ0101"])
        for user in (auditor, other_head):
            with pytest.raises(PermissionDenied):
                plan_create(unit=network["GZ0101"], period="2026-12", title="计划", by=user)
            with pytest.raises(PermissionDenied):
                plan_update(plan=plan, by=user, title="改")
            with pytest.raises(PermissionDenied):
                plan_measure_add(plan=plan, by=user, description="措施")

    def test_a_measure_is_done_when_its_progress_reaches_100(self, network, outlet_head):
        plan = ImprovementPlanFactory(unit=network["GZ0101"])
        measure = plan_measure_add(
            plan=plan, by=outlet_head, description="厅堂每日晨会演练话术", owner=outlet_head, due=D(2026, 11, 30)
        )
        assert (measure.progress, measure.done_at) == (0, None)

        plan_measure_update(measure=measure, by=outlet_head, progress=100)
        assert measure.done_at is not None

        plan_measure_update(measure=measure, by=outlet_head, progress=60)
        measure.refresh_from_db()
        assert (measure.progress, measure.done_at, measure.description) == (60, None, "厅堂每日晨会演练话术")

    @pytest.mark.parametrize("progress", [-1, 101])
    def test_progress_stays_between_0_and_100(self, network, outlet_head, progress):
        plan = ImprovementPlanFactory(unit=network["GZ0101"])

        with pytest.raises(ValidationError) as refused:
            plan_measure_add(plan=plan, by=outlet_head, description="措施", progress=progress)

        assert "progress" in refused.value.message_dict

    def test_a_measures_owner_must_see_the_outlet(self, network, outlet_head):
        plan = ImprovementPlanFactory(unit=network["GZ0101"])
        other_head = UserFactory(first_name="李娜", role=Role.OUTLET_HEAD, unit=network["GZ0102"])

        with pytest.raises(ValidationError) as refused:
            plan_measure_add(plan=plan, by=outlet_head, description="措施", owner=other_head)

        assert "owner" in refused.value.message_dict
