"""The scorecard template admin (kpi/admin.py, kpi/services/templates.py): HQ's rules for 考核方案."""

from __future__ import annotations

import datetime

import pytest

from kpi.models import LineKind, Metric, MonthClose, RollupDay, ScorecardTemplate, TemplateLine
from tests.factories import UserFactory, post
from tests.kpi.factories import MetricFactory
from tests.kpi.scorecard_factories import published_day

D = datetime.date
ADD_URL = "/admin/kpi/scorecardtemplate/add/"
pytestmark = pytest.mark.django_db


def metric(code: str) -> Metric:
    return Metric.objects.get(code=code)


@pytest.fixture
def admin_client(client, db):
    """张国栋, an HQ superuser, in the admin in English so messages do not depend on the zh-Hans catalog."""
    client.force_login(UserFactory(username="zhang.guodong", first_name="张国栋", is_staff=True, is_superuser=True))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


LINE_DEFAULTS = {"kind": "weighted", "floor": "0", "cap": "1.2", "green_at": "1.0", "amber_at": "0.9"}


def template_form(
    *, code="T-URBAN", subject="outlet", effective_from="2026-01-01", area="urban", posts=(), lines=(), existing=()
) -> dict:
    """The POST of the add (or change) page: the template's fields and its inline lines.

    `lines` are dicts of line fields ('metric' a code); `existing` the TemplateLine rows already saved,
    sent back unchanged before the new ones."""
    data = {
        "code": code,
        "name_zh": "城区网点考核方案",
        "name_en": "Urban outlets",
        "subject": subject,
        "effective_from": effective_from,
        "area": area,
        "format": "",
        "is_active": "on",
        "posts": [post(code).pk for code in posts],
        "lines-TOTAL_FORMS": str(len(existing) + len(lines)),
        "lines-INITIAL_FORMS": str(len(existing)),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    fields = ("kind", "weight", "floor", "cap", "green_at", "amber_at", "points_per_unit", "allowed_value")
    rows = [
        {
            "id": line.pk,
            "metric": line.metric.code,
            "veto_reason": line.veto_reason,
            **{name: "" if getattr(line, name) is None else getattr(line, name) for name in fields},
        }
        for line in existing
    ]
    rows += [{**LINE_DEFAULTS, **line} for line in lines]
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"lines-{index}-{name}"] = metric(value).pk if name == "metric" else value
        data[f"lines-{index}-sort_order"] = str(index)
    return data


def form_errors(response) -> tuple[dict, list, list[dict]]:
    """(template form errors, line formset errors across lines, each line form's errors)."""
    formset = response.context["inline_admin_formsets"][0].formset
    return (
        response.context["adminform"].form.errors,
        list(formset.non_form_errors()),
        [dict(form.errors) for form in formset.forms],
    )


def saved_template(code="T-URBAN", effective=None, lines=(("customers_served", 100),)) -> ScorecardTemplate:
    template = ScorecardTemplate.objects.create(
        code=code, name_zh="城区网点考核方案", subject="outlet", effective_from=effective or D(2026, 1, 1), area="urban"
    )
    for order, (code_, weight) in enumerate(lines):
        TemplateLine.objects.create(
            template=template, metric=metric(code_), kind=LineKind.WEIGHTED, weight=weight, sort_order=order
        )
    return template


class TestValidation:
    def test_weights_short_of_100_are_refused_with_what_is_missing(self, admin_client):
        form = template_form(
            lines=[{"metric": "deposit_daily_avg", "weight": "60"}, {"metric": "customers_served", "weight": "35"}]
        )

        response = admin_client.post(ADD_URL, form)

        assert response.status_code == 200
        assert form_errors(response)[1] == ["Weights add up to 95.00, not 100: add 5.00."]
        assert not ScorecardTemplate.objects.exists()

    def test_weights_above_100_say_how_much_to_take_off(self, admin_client):
        form = template_form(
            lines=[{"metric": "deposit_daily_avg", "weight": "60"}, {"metric": "customers_served", "weight": "42.5"}]
        )

        response = admin_client.post(ADD_URL, form)

        assert form_errors(response)[1] == ["Weights add up to 102.50, not 100: take off 2.50."]

    def test_an_outlet_template_refuses_a_staff_only_metric_on_its_line(self, admin_client):
        MetricFactory(code="wealth_clients_met", level="staff")
        form = template_form(
            lines=[
                {"metric": "customers_served", "weight": "100"},
                {"metric": "wealth_clients_met", "kind": "points", "points_per_unit": "1"},
            ]
        )

        response = admin_client.post(ADD_URL, form)

        assert form_errors(response)[2] == [
            {},
            {"metric": ["wealth_clients_met is a staff metric; an outlet template takes metrics of units."]},
        ]
        assert not ScorecardTemplate.objects.exists()

    def test_a_staff_template_refuses_a_metric_of_units_and_needs_a_post(self, admin_client):
        form = template_form(
            code="T-TELLER",
            subject="staff",
            area="",
            lines=[{"metric": "deposit_daily_avg", "weight": "100"}],
        )

        response = admin_client.post(ADD_URL, form)

        template_errors, _formset_errors, line_errors = form_errors(response)
        assert template_errors == {"posts": ["A staff template names at least one post."]}
        assert line_errors == [
            {"metric": ["deposit_daily_avg is a metric of units; a staff template takes staff metrics."]}
        ]

    def test_a_line_rule_is_shown_on_its_field(self, admin_client):
        form = template_form(
            lines=[
                {"metric": "customers_served", "weight": "100"},
                {"metric": "risk_events", "kind": "veto", "allowed_value": "0"},
            ]
        )

        response = admin_client.post(ADD_URL, form)

        assert form_errors(response)[2][1] == {
            "veto_reason": ["Say why this vetoes the score; the scorecard shows it."]
        }

    def test_a_metric_twice_on_one_template_is_refused(self, admin_client):
        form = template_form(
            lines=[{"metric": "customers_served", "weight": "50"}, {"metric": "customers_served", "weight": "50"}]
        )

        response = admin_client.post(ADD_URL, form)

        assert form_errors(response)[2][1] == {"metric": ["customers_served is on this template twice."]}

    def test_a_second_version_on_the_same_date_is_refused_in_words(self, admin_client):
        saved_template()

        response = admin_client.post(ADD_URL, template_form(lines=[{"metric": "customers_served", "weight": "100"}]))

        assert form_errors(response)[0] == {
            "effective_from": [
                "T-URBAN already has a version from 2026-01-01: change that one, or give this version another "
                "effective date."
            ]
        }
        assert ScorecardTemplate.objects.count() == 1

    def test_a_valid_template_is_saved_with_its_lines(self, admin_client):
        form = template_form(
            lines=[
                {"metric": "deposit_daily_avg", "weight": "60", "is_key": "on"},
                {"metric": "customers_served", "weight": "40"},
                {"metric": "risk_events", "kind": "veto", "allowed_value": "0", "veto_reason": "发生内控风险事件"},
                {"metric": "complaints", "kind": "points", "points_per_unit": "-2"},
            ]
        )

        response = admin_client.post(ADD_URL, form)

        assert response.status_code == 302
        template = ScorecardTemplate.objects.get()
        assert (template.code, template.subject, template.area, template.effective_from) == (
            "T-URBAN",
            "outlet",
            "urban",
            D(2026, 1, 1),
        )
        assert list(template.lines.values_list("metric__code", "kind", "weight", "is_key")) == [
            ("deposit_daily_avg", "weighted", 60, True),
            ("customers_served", "weighted", 40, False),
            ("risk_events", "veto", None, False),
            ("complaints", "points", None, False),
        ]

    def test_a_valid_staff_template_names_its_posts(self, admin_client):
        form = template_form(
            code="T-TELLER",
            subject="staff",
            area="",
            posts=["teller"],
            lines=[
                {"metric": "counter_referrals", "weight": "100"},
                {"metric": "mobile_banking_signups", "kind": "points", "points_per_unit": "0.5", "max_points": "20"},
            ],
        )

        assert admin_client.post(ADD_URL, form).status_code == 302
        assert [p.code for p in ScorecardTemplate.objects.get().posts.all()] == ["teller"]


class TestVersions:
    def test_a_version_in_force_on_a_published_day_keeps_its_lines(self, admin_client):
        template = saved_template()
        published_day(D(2026, 11, 24))
        form = template_form(existing=list(template.lines.all()))
        form["lines-0-weight"] = "90"
        form["lines-TOTAL_FORMS"] = "2"
        form.update({"lines-1-metric": metric("complaints").pk, "lines-1-kind": "weighted", "lines-1-weight": "10"})
        form.update({f"lines-1-{k}": v for k, v in LINE_DEFAULTS.items() if k != "kind"})

        response = admin_client.post(f"/admin/kpi/scorecardtemplate/{template.pk}/change/", form)

        assert response.status_code == 200
        (message,) = form_errors(response)[1]
        assert message.startswith("This version was in force on published days (up to 2026-11-24)")
        assert list(template.lines.values_list("metric__code", "weight")) == [("customers_served", 100)]

    def test_a_version_in_force_on_a_published_day_can_still_be_renamed_but_not_deleted(self, admin_client):
        template = saved_template()
        published_day(D(2026, 11, 24))
        form = template_form(existing=list(template.lines.all()))
        form["name_zh"] = "城区网点综合考核"

        response = admin_client.post(f"/admin/kpi/scorecardtemplate/{template.pk}/change/", form)

        assert response.status_code == 302
        template.refresh_from_db()
        assert template.name_zh == "城区网点综合考核"
        assert admin_client.get(f"/admin/kpi/scorecardtemplate/{template.pk}/delete/").status_code == 403

    def test_a_new_version_from_a_published_day_has_the_days_from_then_on_scored_again(self, admin_client):
        saved_template()
        for day in (D(2026, 10, 31), D(2026, 11, 1), D(2026, 11, 24)):
            published_day(day)
        form = template_form(effective_from="2026-11-01", lines=[{"metric": "customers_served", "weight": "100"}])

        response = admin_client.post(ADD_URL, form, follow=True)

        assert "2 published days from 2026-11-01 on will be scored again by the next rollup." in [
            str(m) for m in response.context["messages"]
        ]
        stale = RollupDay.objects.exclude(stale_since=None).values_list("date", flat=True)
        assert sorted(stale) == [D(2026, 11, 1), D(2026, 11, 24)]

    def test_a_version_cannot_start_in_a_closed_month(self, admin_client):
        saved_template()
        MonthClose.objects.create(month=D(2026, 10, 1), is_closed=True)
        form = template_form(effective_from="2026-10-15", lines=[{"metric": "customers_served", "weight": "100"}])

        response = admin_client.post(ADD_URL, form)

        assert form_errors(response)[0] == {
            "effective_from": [
                "2026-10 is closed: a version cannot take effect in or before a closed month. Start it after "
                "2026-10, or have the month reopened first."
            ]
        }

    def test_copy_as_a_new_version_duplicates_the_template_with_its_lines_and_posts(self, admin_client):
        teller = ScorecardTemplate.objects.create(
            code="T-TELLER", name_zh="柜员考核", subject="staff", effective_from=D(2026, 1, 1)
        )
        teller.posts.add(post("teller"))
        TemplateLine.objects.create(
            template=teller, metric=metric("counter_referrals"), kind=LineKind.WEIGHTED, weight=100, is_key=True
        )

        response = admin_client.post(
            "/admin/kpi/scorecardtemplate/",
            {"action": "copy_as_new_version", "_selected_action": [teller.pk], "new_effective_from": "2027-01-01"},
            follow=True,
        )

        assert [str(m) for m in response.context["messages"]] == ["T-TELLER: new version from 2027-01-01."]
        copy = ScorecardTemplate.objects.get(code="T-TELLER", effective_from=D(2027, 1, 1))
        assert [p.code for p in copy.posts.all()] == ["teller"]
        assert list(copy.lines.values_list("metric__code", "weight", "is_key")) == [("counter_referrals", 100, True)]
        assert list(teller.lines.values_list("metric__code", flat=True)) == ["counter_referrals"]

    def test_copy_as_a_new_version_needs_a_later_date(self, admin_client):
        template = saved_template()

        response = admin_client.post(
            "/admin/kpi/scorecardtemplate/",
            {"action": "copy_as_new_version", "_selected_action": [template.pk], "new_effective_from": "2025-12-01"},
            follow=True,
        )

        assert [str(m) for m in response.context["messages"]] == [
            "T-URBAN: A new version of T-URBAN starts after 2026-01-01, the date of the version it copies."
        ]
        assert ScorecardTemplate.objects.count() == 1

    def test_the_template_pages_open(self, admin_client):
        template = saved_template(lines=(("deposit_daily_avg", 60), ("customers_served", 40)))
        saved_template(effective=D(2026, 7, 1))

        listing = admin_client.get("/admin/kpi/scorecardtemplate/")

        assert listing.status_code == 200
        assert admin_client.get(f"/admin/kpi/scorecardtemplate/{template.pk}/change/").status_code == 200
        assert admin_client.get(ADD_URL).status_code == 200
        rows = {(t.effective_from, t.next_start, t.line_count, t.weights) for t in listing.context["cl"].result_list}
        assert rows == {(D(2026, 1, 1), D(2026, 7, 1), 2, 100), (D(2026, 7, 1), None, 1, 100)}
