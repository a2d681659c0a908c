"""HQ's admin for early warning (alerts/admin.py) and what a rule of each kind needs (AlertRule.clean)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError

from alerts.models import AlertRule, AlertStatus, Comparison, Measure, RuleKind
from tests.alerts.factories import AlertFactory, ImprovementPlanFactory, metric

D = datetime.date
pytestmark = pytest.mark.django_db


def rule(**fields) -> AlertRule:
    return AlertRule(**{"name": "规则", "unit_kind": "outlet", "period": "month", **fields})


class TestRuleParameters:
    @pytest.mark.parametrize(
        ("fields", "missing"),
        [
            ({"kind": RuleKind.BEHIND_PACE}, {"metric", "threshold"}),
            (
                {"kind": RuleKind.BEHIND_PACE, "metric_code": "deposit_balance", "days_running": 0},
                {"threshold", "days_running"},
            ),
            (
                {"kind": RuleKind.THRESHOLD, "metric_code": "avg_wait_minutes", "threshold": Decimal("10")},
                {"comparison"},
            ),
            ({"kind": RuleKind.SUDDEN_CHANGE, "metric_code": "npl_ratio"}, {"k"}),
            (
                {"kind": RuleKind.SUDDEN_CHANGE, "metric_code": "npl_ratio", "k": Decimal("3"), "window_days": 4},
                {"window_days"},
            ),
            ({"kind": RuleKind.MISSING_DATA}, {"cutoff"}),
            ({"kind": RuleKind.MISSING_DATA, "cutoff": datetime.time(9), "unit_kind": "sub_branch"}, {"unit_kind"}),
        ],
    )
    def test_each_kind_says_what_it_is_missing(self, db, fields, missing):
        fields = dict(fields)
        code = fields.pop("metric_code", None)
        candidate = rule(metric=metric(code) if code else None, **fields)

        with pytest.raises(ValidationError) as refused:
            candidate.clean()

        assert set(refused.value.message_dict) == missing

    @pytest.mark.parametrize(
        "fields",
        [
            {
                "kind": RuleKind.BEHIND_PACE,
                "metric_code": "loan_balance",
                "threshold": Decimal("0.9"),
                "days_running": 3,
            },
            {
                "kind": RuleKind.THRESHOLD,
                "metric_code": "satisfaction_rate",
                "threshold": Decimal("85"),
                "comparison": Comparison.BELOW,
            },
            {"kind": RuleKind.SUDDEN_CHANGE, "metric_code": "npl_ratio", "k": Decimal("3"), "comparison": ""},
            {"kind": RuleKind.MISSING_DATA, "cutoff": datetime.time(9), "unit_kind": ""},
            {"kind": RuleKind.VETO},
        ],
    )
    def test_a_complete_rule_of_each_kind_is_accepted(self, db, fields):
        fields = dict(fields)
        code = fields.pop("metric_code", None)

        rule(metric=metric(code) if code else None, **fields).clean()

    def test_a_staff_only_metric_is_refused(self, db):
        from tests.kpi.factories import MetricFactory

        staff_metric = MetricFactory(code="teller_sales", level="staff")
        candidate = rule(kind=RuleKind.THRESHOLD, metric=staff_metric, threshold=1, comparison=Comparison.ABOVE)

        with pytest.raises(ValidationError) as refused:
            candidate.clean()

        assert set(refused.value.message_dict) == {"metric"}


class TestAdminPages:
    def test_hq_adds_a_rule_and_an_incomplete_one_is_refused_with_the_reason(self, hq_client):
        form = {
            "name": "存款日均落后进度",
            "kind": RuleKind.BEHIND_PACE,
            "metric": metric("deposit_daily_avg").pk,
            "unit_kind": "outlet",
            "period": "month",
            "comparison": "",
            "days_running": 3,
            "window_days": 30,
            "severity": "warning",
            "follow_up_days": 7,
            "is_active": "on",
        }

        refused = hq_client.post("/admin/alerts/alertrule/add/", form)
        accepted = hq_client.post("/admin/alerts/alertrule/add/", {**form, "threshold": "0.9"})

        assert refused.status_code == 200
        assert "errorlist" in refused.content.decode()
        assert accepted.status_code == 302
        assert AlertRule.objects.get(name="存款日均落后进度").threshold == Decimal("0.9")

    def test_a_manager_given_the_permissions_may_look_at_rules_but_not_change_them(self, client, unit_manager):
        unit_manager.is_staff = True
        unit_manager.save()
        unit_manager.user_permissions.add(
            *Permission.objects.filter(codename__in=["view_alertrule", "add_alertrule", "change_alertrule"])
        )
        client.force_login(unit_manager)
        rule_id = AlertRule.objects.first().pk

        assert client.get("/admin/alerts/alertrule/").status_code == 200
        assert client.get("/admin/alerts/alertrule/add/").status_code == 403
        assert client.post(f"/admin/alerts/alertrule/{rule_id}/change/", {"name": "改"}).status_code == 403

    def test_the_alert_list_filters_the_overdue_and_alerts_are_read_only(self, hq_client, network):
        late = AlertFactory(unit=network["GZ0101"], deadline=D(2020, 1, 1), detail="逾期的预警")
        AlertFactory(unit=network["GZ0102"], deadline=D(2099, 1, 1), detail="未到期的预警")
        AlertFactory(unit=network["GZ0201"], deadline=D(2020, 1, 1), status=AlertStatus.DONE, detail="已完成的预警")

        page = hq_client.get("/admin/alerts/alert/?overdue=yes").content.decode()

        assert "GZ0101" in page and "GZ0102" not in page and "GZ0201" not in page
        assert hq_client.get(f"/admin/alerts/alert/{late.pk}/change/").status_code == 200
        assert hq_client.post(f"/admin/alerts/alert/{late.pk}/change/", {"status": "verified"}).status_code == 403

    def test_a_measure_saved_at_100_percent_in_the_admin_is_done(self, hq_client, network):
        plan = ImprovementPlanFactory(unit=network["GZ0101"])
        form = {
            "unit": plan.unit_id,
            "period": "2026-11",
            "title": plan.title,
            "diagnosis": plan.diagnosis,
            "measures-TOTAL_FORMS": "1",
            "measures-INITIAL_FORMS": "0",
            "measures-0-description": "晨会演练营销话术",
            "measures-0-due": "2026-11-30",
            "measures-0-progress": "100",
        }

        response = hq_client.post(f"/admin/alerts/improvementplan/{plan.pk}/change/", form)

        assert response.status_code == 302
        assert Measure.objects.get(plan=plan).done_at is not None

    def test_a_plan_for_a_week_or_a_sub_branch_is_refused(self, hq_client, network):
        form = {"unit": network["GZ01"].pk, "period": "2026-W48", "title": "计划", "measures-TOTAL_FORMS": "0"}
        form["measures-INITIAL_FORMS"] = "0"

        response = hq_client.post("/admin/alerts/improvementplan/add/", form)

        assert response.status_code == 200
        errors = response.context["adminform"].form.errors
        assert set(errors) == {"unit", "period"}


def test_an_outlet_head_in_the_admin_sees_only_her_outlets_alerts(client, network, outlet_head):
    outlet_head.is_staff = True
    outlet_head.save()
    outlet_head.user_permissions.add(Permission.objects.get(codename="view_alert"))
    AlertFactory(unit=network["GZ0101"], detail="本网点的预警")
    other = AlertFactory(unit=network["SZ0101"], detail="深圳的预警")
    client.force_login(outlet_head)

    page = client.get("/admin/alerts/alert/").content.decode()

    assert "GZ0101" in page and "SZ0101" not in page
    assert client.get(f"/admin/alerts/alert/{other.pk}/change/").status_code == 302
