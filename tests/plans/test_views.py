"""The target-plan pages (plans.views) as each persona meets them, with the data of tests/plans/conftest.py."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from kpi.models import Target, TargetChange
from lib.periods import parse_period
from plans.models import AcknowledgementStatus, Plan, PlanCell, PlanStatus, TargetAcknowledgement
from plans.services.cells import plan_create
from tests.kpi.factories import metric

pytestmark = pytest.mark.django_db


def grid_url(plan, level=None) -> str:
    url = reverse("plans:plan_grid", args=[plan.pk])
    return f"{url}?level={level}" if level else url


@pytest.fixture
def december(october, network, hq_scope):
    return plan_create(
        scope=hq_scope,
        unit=network["GZ01"],
        period=parse_period("2026-12"),
        metrics=[metric("deposit_growth"), metric("mobile_banking_signups")],
        name="天河支行 2026-12 目标",
    )


def test_hq_makes_a_plan_from_the_list_page(client, hq_admin, network):
    client.force_login(hq_admin)
    response = client.post(
        reverse("plans:plan_list"),
        {
            "action": "create",
            "plan-unit": "GZ01",
            "plan-period": "2026-12",
            "plan-metrics": ["deposit_growth"],
            "plan-name": "",
        },
    )
    plan = Plan.objects.get()
    assert response.status_code == 302 and response["Location"] == grid_url(plan)
    assert plan.period == "2026-12" and plan.unit.code == "GZ01" and plan.status == PlanStatus.DRAFT


def test_a_bad_period_is_answered_on_the_page_and_makes_nothing(client, hq_admin, network):
    client.force_login(hq_admin)
    response = client.post(
        reverse("plans:plan_list"),
        {"action": "create", "plan-unit": "GZ01", "plan-period": "2026-13", "plan-metrics": ["deposit_growth"]},
    )
    assert response.status_code == 400
    assert "2026-13" in response.content.decode()
    assert not Plan.objects.exists()


def test_the_grid_shows_last_periods_figures_and_the_unit_of_every_value(client, hq_admin, december):
    client.force_login(hq_admin)
    response = client.get(grid_url(december))
    page = response.content.decode()
    assert response.status_code == 200
    # An input per outlet and metric, the unit of each column and of each input, the script from a file.
    for code in ("GZ0101", "GZ0102", "GZ0103"):
        assert f'name="v:{code}::deposit_growth"' in page
    assert "万元" in page and "户" in page
    assert "js/plans.js" in page and "<script>" not in page


def test_typing_saving_and_a_bad_cell_that_saves_nothing(client, hq_admin, december, network):
    client.force_login(hq_admin)
    response = client.post(
        grid_url(december),
        {"action": "save", "v:GZ01::deposit_growth": "1,000", "v:GZ0101::deposit_growth": "abc"},
    )
    assert response.status_code == 400
    assert "abc" in response.content.decode()
    assert not PlanCell.objects.exists()

    response = client.post(grid_url(december), {"action": "save", "v:GZ01::deposit_growth": "1,000"})
    assert response.status_code == 302
    assert PlanCell.objects.get().value == Decimal("1000")


def test_fill_then_preview_then_publish_writes_audited_targets_and_asks_for_acknowledgements(
    client, hq_admin, december, network
):
    client.force_login(hq_admin)
    client.post(
        grid_url(december),
        {"action": "fill", "v:GZ01::deposit_growth": "1000", "method": "equal", "metric": "deposit_growth"},
    )
    assert PlanCell.objects.filter(plan=december, unit__code="GZ0103").get().value == Decimal("333.34")

    preview = client.get(reverse("plans:plan_preview", args=[december.pk]))
    page = preview.content.decode()
    assert preview.status_code == 200
    fingerprint = preview.context["preview"].fingerprint()
    assert "333.34" in page and "1,000.00" in page

    published = client.post(reverse("plans:plan_preview", args=[december.pk]), {"fingerprint": fingerprint})
    assert published.status_code == 302
    december.refresh_from_db()
    assert december.status == PlanStatus.PUBLISHED
    target = Target.objects.get(unit__code="GZ0103", metric__code="deposit_growth", period="2026-12")
    assert target.value == Decimal("333.34")
    change = TargetChange.objects.get(target=target)
    assert (
        change.source == "plan"
        and change.changed_by == hq_admin
        and change.reference.startswith(f"plan {december.pk} ")
    )
    assert set(TargetAcknowledgement.objects.values_list("unit__code", flat=True)) == {
        "GZ01",
        "GZ0101",
        "GZ0102",
        "GZ0103",
    }


def test_a_stale_preview_is_not_published(client, hq_admin, december, network):
    client.force_login(hq_admin)
    client.post(grid_url(december), {"action": "save", "v:GZ01::deposit_growth": "1000"})
    response = client.post(reverse("plans:plan_preview", args=[december.pk]), {"fingerprint": "seen-before"})
    assert response.status_code == 409
    assert not Target.objects.filter(period="2026-12").exists()


def test_an_outlet_head_acknowledges_or_asks_for_a_review_with_a_reason(client, outlet_head, hq_scope, network):
    plan = plan_create(
        scope=hq_scope, unit=network["GZ01"], period=parse_period("2026-12"), metrics=[metric("deposit_growth")]
    )
    plan.status = PlanStatus.PUBLISHED
    plan.save()
    row = TargetAcknowledgement.objects.create(plan=plan, unit=network["GZ0101"])
    client.force_login(outlet_head)

    listing = client.get(reverse("plans:plan_list"))
    assert reverse("plans:acknowledgement", args=[row.pk]) in listing.content.decode()

    url = reverse("plans:acknowledgement", args=[row.pk])
    refused = client.post(url, {"status": "review", "reason": ""})
    assert refused.status_code == 400
    assert client.post(url, {"status": "review", "reason": "存款净增目标高于去年同期两倍"}).status_code == 302
    row.refresh_from_db()
    assert row.status == AcknowledgementStatus.REVIEW and row.answered_by == outlet_head


def test_nobody_else_answers_for_an_outlet_and_outsiders_do_not_see_it(
    client, unit_manager, hq_scope, network, outsider
):
    plan = plan_create(
        scope=hq_scope, unit=network["GZ01"], period=parse_period("2026-12"), metrics=[metric("deposit_growth")]
    )
    row = TargetAcknowledgement.objects.create(plan=plan, unit=network["GZ0101"])
    url = reverse("plans:acknowledgement", args=[row.pk])
    client.force_login(unit_manager)
    assert client.get(url).status_code == 200
    assert client.post(url, {"status": "acknowledged"}).status_code == 403
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_a_unit_manager_cannot_change_a_month_plan_but_reads_it(client, unit_manager, december):
    client.force_login(unit_manager)
    assert client.get(grid_url(december)).status_code == 200
    assert client.post(grid_url(december), {"action": "save", "v:GZ01::deposit_growth": "5"}).status_code == 403


def test_a_plan_outside_the_scope_is_a_404(client, network, hq_scope, outlet_head):
    plan = plan_create(
        scope=hq_scope, unit=network["GZ02"], period=parse_period("2026-12"), metrics=[metric("deposit_growth")]
    )
    client.force_login(outlet_head)
    assert client.get(grid_url(plan)).status_code == 404


def test_a_year_goes_into_months_on_the_time_page_and_a_month_is_changed_by_hand(client, hq_admin, network, hq_scope):
    from plans.services.cells import CellInput, plan_cells_save

    year = parse_period("2027")
    plan = plan_create(scope=hq_scope, unit=network["GZ01"], period=year, metrics=[metric("deposit_growth")])
    plan_cells_save(
        scope=hq_scope,
        plan=plan,
        cells=[CellInput(unit=network["GZ01"], metric=metric("deposit_growth"), period=year, value=Decimal(1200))],
    )
    client.force_login(hq_admin)
    url = reverse("plans:plan_time", args=[plan.pk]) + "?into=quarter"

    response = client.post(url, {"action": "split", "weights": "4 2 2 4"})

    assert response.status_code == 302
    # 1200 by 4 : 2 : 2 : 4 (12) → 400, 200, 200, 400.
    quarters = dict(PlanCell.objects.filter(plan=plan, period_kind="quarter").values_list("period", "value"))
    assert quarters == {"2027-Q1": 400, "2027-Q2": 200, "2027-Q3": 200, "2027-Q4": 400}
    page = client.get(url).content.decode()
    assert 'data-remainder-for="GZ01:"' in page

    assert client.post(url, {"action": "save", "v:GZ01::deposit_growth:2027-Q2": "250"}).status_code == 302
    assert PlanCell.objects.get(plan=plan, period="2027-Q2").value == 250
    refused = client.post(url, {"action": "split", "weights": "1 2"})
    assert refused.status_code == 400


def test_the_grid_reads_a_fixed_number_of_queries_however_many_outlets(
    client, hq_admin, network, hq_scope, django_assert_max_num_queries
):
    from tests.factories import AssignmentFactory, OrgUnitFactory

    plan = plan_create(
        scope=hq_scope,
        unit=network["GZ01"],
        period=parse_period("2026-12"),
        metrics=[metric("deposit_growth"), metric("mobile_banking_signups")],
    )
    client.force_login(hq_admin)
    url, staff_url = grid_url(plan), grid_url(plan, "GZ0101")
    client.get(url)  # sessions, content types: the first request's own queries
    with django_assert_max_num_queries(25) as units:
        client.get(url)
    with django_assert_max_num_queries(25) as staff:
        client.get(staff_url)
    for number in range(10):
        outlet = OrgUnitFactory.outlet_of(network["GZ01"], code=f"GZ01{number + 10}")
        AssignmentFactory(unit=outlet)
        AssignmentFactory(unit=network["GZ0101"])
    with django_assert_max_num_queries(len(units.captured_queries)):
        client.get(url)
    with django_assert_max_num_queries(len(staff.captured_queries)):
        client.get(staff_url)


def test_one_save_names_every_wrong_cell_with_its_row_and_metric_and_keeps_everything_typed(
    english, hq_admin, december, network
):
    english.force_login(hq_admin)
    typed = {
        "v:GZ01::deposit_growth": "1,000",
        "v:GZ0101::deposit_growth": "abc",
        "v:GZ0102::deposit_growth": "-5",
        "v:GZ0101::mobile_banking_signups": "1.5",
        "v:GZ0102::mobile_banking_signups": "99999999999",
        "v:GZ0103::mobile_banking_signups": "40",
    }

    response = english.post(grid_url(december), {"action": "save", **typed})

    assert response.status_code == 400
    assert not PlanCell.objects.exists()
    page = response.content.decode()
    for error in (
        'id="vgz0101deposit_growth-error">“abc” is not a number',
        'id="vgz0101mobile_banking_signups-error">Mobile banking sign-ups is counted in whole 户',
        'id="vgz0102deposit_growth-error">-5 is below 0: a target is 0 or more.',
        'id="vgz0102mobile_banking_signups-error">99999999999 is too large (less than 10,000,000,000',
    ):
        assert error in page
    # The bad number and the three values the services refuse, each at its cell, in the grid's order.
    wrong = [(row.entity.code, cell.metric.code, cell.error) for row, cell in response.context["grid"].wrong_cells]
    assert wrong == [
        ("GZ0101", "deposit_growth", "“abc” is not a number; write digits such as 1234.5."),
        (
            "GZ0101",
            "mobile_banking_signups",
            "Mobile banking sign-ups is counted in whole 户 (accounts): give a whole number.",
        ),
        ("GZ0102", "deposit_growth", "-5 is below 0: a target is 0 or more."),
        ("GZ0102", "mobile_banking_signups", "99999999999 is too large (less than 10,000,000,000 is expected)"),
    ]
    assert "Tianhe Road Outlet <small>GZ0101</small> · Mobile banking sign-ups</a>: Mobile banking" in page
    assert "Zhujiang New Town Outlet <small>GZ0102</small> · Deposit growth</a>: -5 is below 0" in page
    for name, text in typed.items():
        assert f'name="{name}" value="{text}"' in page


def test_a_unit_managers_week_follows_an_outlet_changed_on_the_grid(client, unit_manager, network, manager_scope):
    from plans.services.cells import CellInput, plan_cells_save

    week = parse_period("2026-W50")
    plan = plan_create(scope=manager_scope, unit=network["GZ01"], period=week, metrics=[metric("customer_visits")])
    plan_cells_save(
        scope=manager_scope,
        plan=plan,
        cells=[
            CellInput(unit=network["GZ0101"], metric=metric("customer_visits"), period=week, value=Decimal(400)),
            CellInput(unit=network["GZ0102"], metric=metric("customer_visits"), period=week, value=Decimal(232)),
            CellInput(
                unit=network["GZ01"], metric=metric("customer_visits"), period=week, value=Decimal(632), basis="sum"
            ),
        ],
    )
    client.force_login(unit_manager)

    # The page sends every input back: 天河支行's own 632 untouched, 天河路网点 lowered by 35 to 365.
    response = client.post(
        grid_url(plan),
        {
            "action": "preview",
            "v:GZ01::customer_visits": "632",
            "v:GZ0101::customer_visits": "365",
            "v:GZ0102::customer_visits": "232",
        },
    )

    assert response.status_code == 302
    # 365 + 232 = 597: the sum of the rows below is 597, and the preview's sums add up.
    own = PlanCell.objects.get(plan=plan, unit=network["GZ01"])
    assert (own.value, own.basis) == (Decimal(597), "sum")
    [total] = client.get(response["Location"]).context["preview"].sums
    assert (total.parent_value, total.parts_total) == (Decimal(597), Decimal(597))


def test_the_monday_meetings_prefill_of_a_published_week_opens_it_with_a_warning_and_makes_no_draft(
    english, unit_manager, network, manager_scope
):
    from django.utils import timezone

    from lib.periods import PeriodKind, period_of
    from plans.services.cells import CellInput, plan_cells_save
    from plans.services.publish import plan_publish

    this_week = period_of(PeriodKind.WEEK, timezone.localdate())
    published = plan_create(
        scope=manager_scope, unit=network["GZ01"], period=this_week, metrics=[metric("customer_visits")], name="周目标"
    )
    plan_cells_save(
        scope=manager_scope,
        plan=published,
        cells=[
            CellInput(unit=network["GZ0101"], metric=metric("customer_visits"), period=this_week, value=Decimal(400))
        ],
    )
    plan_publish(scope=manager_scope, plan=published, by=unit_manager)
    english.force_login(unit_manager)
    prefill = {
        "action": "week",
        "week-unit": "GZ01",
        "week-week": this_week.code,
        "week-metrics": ["deposit_growth", "mobile_banking_signups"],
    }

    response = english.post(reverse("plans:plan_list"), prefill, follow=True)

    assert response.redirect_chain == [(grid_url(published), 302)]
    [warning] = [str(message) for message in response.context["messages"]]
    assert warning.startswith(f"Tianhe Sub-branch's targets for {this_week.code} were published on ")
    assert "by 陈志强 (“周目标”). It is opened instead of a second plan." in warning
    assert list(Plan.objects.values_list("pk", flat=True)) == [published.pk]

    # Ticked, the revision is a new draft, and its page names the published plan beside it.
    response = english.post(reverse("plans:plan_list"), prefill | {"week-revise": "on"}, follow=True)

    revision = Plan.objects.get(status=PlanStatus.DRAFT)
    assert response.redirect_chain == [(grid_url(revision), 302)]
    page = response.content.decode()
    assert f"Tianhe Sub-branch's other plans for {this_week.code}:" in page
    assert f'<a href="{grid_url(published)}">周目标</a>' in page
