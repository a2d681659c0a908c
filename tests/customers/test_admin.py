"""The customers admin (customers/admin.py): HQ edits tier thresholds, versions that tiered customers are
copied rather than changed, customers are listed in scope, and a month is tiered from the admin."""

from __future__ import annotations

import datetime
import threading
import time
from decimal import Decimal
from unittest import mock

import pytest
from django.contrib.auth.models import Permission

from customers.models import CustomerMonth, Tier, TieringRun, TierScheme
from customers.services.tiering import tiering_run
from kpi.models import MonthClose
from lib.background import background
from staff.models import User

OCT = datetime.date(2026, 10, 1)
DEFAULT = datetime.date(2000, 1, 1)
STAR_TIERS = [
    # rank, code, zh, en, from (元), premium
    (1, "star1", "一星客户", "1-star", "0", False),
    (2, "star2", "二星客户", "2-star", "10000", False),
    (3, "star3", "三星客户", "3-star", "50000", True),
    (4, "star4", "四星客户", "4-star", "200000", True),
    (5, "star5", "五星客户", "5-star", "1000000", True),
    (6, "private", "私行客户", "Private banking", "6000000", True),
]


def admin_login(client, user: User):
    """`user` made staff with every customers permission, in the admin in English."""
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="customers"))
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def hq(client, hq_admin):
    return admin_login(client, hq_admin)


def scheme_form(name: str, month: str, tiers, *, scheme: TierScheme | None = None) -> dict:
    """The add/change form of a scheme with its tiers inline (prefix `tiers`)."""
    existing = list(scheme.tiers.order_by("rank")) if scheme else []
    data = {
        "name": name,
        "effective_month": month,
        "tiers-TOTAL_FORMS": str(len(tiers)),
        "tiers-INITIAL_FORMS": str(len(existing)),
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "1000",
    }
    for index, (rank, code, zh, en, threshold, premium) in enumerate(tiers):
        data.update(
            {
                f"tiers-{index}-rank": str(rank),
                f"tiers-{index}-code": code,
                f"tiers-{index}-name_zh": zh,
                f"tiers-{index}-name_en": en,
                f"tiers-{index}-min_aum": threshold,
            }
        )
        if premium:
            data[f"tiers-{index}-is_premium"] = "on"
        if index < len(existing):
            data[f"tiers-{index}-id"] = str(existing[index].pk)
            data[f"tiers-{index}-scheme"] = str(scheme.pk)
    return data


def thresholds(scheme: TierScheme) -> list[tuple[str, Decimal]]:
    return list(scheme.tiers.order_by("rank").values_list("code", "min_aum"))


# -- tier schemes ------------------------------------------------------------------------------------


def test_hq_adds_a_scheme_from_a_month_with_its_thresholds(hq, hq_admin):
    tiers = [*STAR_TIERS[:2], (3, "star3", "三星客户", "3-star", "80000", True), *STAR_TIERS[3:]]

    response = hq.post("/admin/customers/tierscheme/add/", scheme_form("星级客户 2027", "2027-01-01", tiers))

    assert response.status_code == 302, response.context["errors"] if response.context else response
    scheme = TierScheme.objects.get(effective_month=datetime.date(2027, 1, 1))
    assert scheme.created_by == hq_admin
    assert thresholds(scheme)[2] == ("star3", Decimal("80000"))


def test_hq_edits_the_thresholds_of_a_version_nobody_was_tiered_by(hq):
    scheme = TierScheme.objects.create(name="星级客户 2027", effective_month=datetime.date(2027, 1, 1))
    for rank, code, zh, en, threshold, premium in STAR_TIERS:
        Tier.objects.create(
            scheme=scheme, rank=rank, code=code, name_zh=zh, name_en=en, min_aum=threshold, is_premium=premium
        )
    tiers = [*STAR_TIERS[:4], (5, "star5", "五星客户", "5-star", "1500000", True), STAR_TIERS[5]]

    response = hq.post(
        f"/admin/customers/tierscheme/{scheme.pk}/change/", scheme_form(scheme.name, "2027-01-01", tiers, scheme=scheme)
    )

    assert response.status_code == 302
    assert thresholds(scheme)[4] == ("star5", Decimal("1500000"))


def test_thresholds_that_do_not_rise_with_the_rank_and_premium_below_ordinary_are_refused(hq):
    tiers = [
        (1, "star1", "一星客户", "1-star", "0", False),
        (2, "star2", "二星客户", "2-star", "60000", True),
        (3, "star3", "三星客户", "3-star", "50000", False),
        (4, "diamond", "钻石客户", "Diamond", "9000000", True),
    ]

    response = hq.post("/admin/customers/tierscheme/add/", scheme_form("乱序", "2027-01-01", tiers))

    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.non_form_errors()
    assert "Thresholds must rise with the rank" in errors[0]
    assert "Premium tiers are the top ones" in errors[1]
    assert not TierScheme.objects.filter(effective_month=datetime.date(2027, 1, 1)).exists()


def test_a_version_that_tiered_customers_keeps_its_thresholds_and_can_be_renamed(hq, population):
    tiering_run(month=OCT)
    default = TierScheme.objects.get(effective_month=DEFAULT)
    before = thresholds(default)
    tiers = [*STAR_TIERS[:2], (3, "star3", "三星客户", "3-star", "80000", True), *STAR_TIERS[3:]]

    page = hq.get(f"/admin/customers/tierscheme/{default.pk}/change/")
    response = hq.post(
        f"/admin/customers/tierscheme/{default.pk}/change/",
        scheme_form("星级客户", "2000-01-01", tiers, scheme=default),
    )

    assert "Customers were tiered by this version (up to 2026-10)" in page.content.decode()
    assert response.status_code == 302
    default.refresh_from_db()
    assert default.name == "星级客户"
    assert thresholds(default) == before  # the inline is read-only: its posted values are ignored


def test_copy_as_a_new_version_takes_the_tiers_to_a_later_month(hq, population):
    tiering_run(month=OCT)
    default = TierScheme.objects.get(effective_month=DEFAULT)

    response = hq.post(
        "/admin/customers/tierscheme/",
        {"action": "copy_as_new_version", "_selected_action": [default.pk], "new_effective_month": "2026-12"},
        follow=True,
    )

    copy = TierScheme.objects.get(effective_month=datetime.date(2026, 12, 1))
    assert thresholds(copy) == thresholds(default)
    assert "new version from 2026-12" in response.content.decode()
    # Nobody was tiered by the copy yet: HQ can change it.
    assert (
        hq.get(f"/admin/customers/tierscheme/{copy.pk}/change/")
        .context["inline_admin_formsets"][0]
        .has_change_permission
    )


def test_a_new_version_is_refused_in_a_closed_month_and_warned_about_in_a_tiered_one(hq, population):
    tiering_run(month=OCT)
    default = TierScheme.objects.get(effective_month=DEFAULT)
    MonthClose.objects.create(month=datetime.date(2026, 9, 1))

    closed = hq.post(
        "/admin/customers/tierscheme/",
        {"action": "copy_as_new_version", "_selected_action": [default.pk], "new_effective_month": "2026-09"},
        follow=True,
    )
    added = hq.post("/admin/customers/tierscheme/add/", scheme_form("十月起", "2026-10-01", STAR_TIERS), follow=True)

    assert "2026-09 is closed" in closed.content.decode()
    assert not TierScheme.objects.filter(effective_month=datetime.date(2026, 9, 1)).exists()
    assert "2026-10 – 2026-10 were tiered by an earlier version" in added.content.decode()


def test_an_auditor_reads_the_schemes_but_cannot_add_or_change_them(client, auditor):
    admin_login(client, auditor)
    default = TierScheme.objects.get(effective_month=DEFAULT)

    assert client.get("/admin/customers/tierscheme/").status_code == 200
    assert client.get("/admin/customers/tierscheme/add/").status_code == 403
    response = client.post(f"/admin/customers/tierscheme/{default.pk}/change/", {"name": "改名"})
    assert response.status_code == 403


# -- customers, snapshots ----------------------------------------------------------------------------


def test_hq_lists_customers_with_names_and_a_unit_manager_only_those_of_the_subtree(client, hq, population, network):
    hq_page = hq.get("/admin/customers/customer/").content.decode()

    assert "张小三" in hq_page and "440106199001011234" in hq_page and "C6" in hq_page


def test_a_unit_manager_sees_the_customers_of_the_subtree_only(client, unit_manager, population, network):
    from tests.customers.factories import CustomerFactory

    CustomerFactory(code="S9", home_outlet=network["SZ0101"])
    admin_login(client, unit_manager)

    listed = client.get("/admin/customers/customer/").context["cl"].result_list

    assert sorted(customer.code for customer in listed) == ["C1", "C2", "C3", "C4", "C5", "C6"]


def test_hq_sets_groups_by_checkbox_and_a_bad_identity_number_is_refused_without_quoting_it(hq, population, network):
    c1 = population["C1"]
    form = {
        "code": "C1",
        "name": "张小三",
        "id_number": "440106199003071231",
        "home_outlet": network["GZ0102"].pk,
        "relationship_manager": "",
        "group_codes": ["young", "merchant"],
    }

    saved = hq.post(f"/admin/customers/customer/{c1.pk}/change/", form)
    refused = hq.post(f"/admin/customers/customer/{c1.pk}/change/", {**form, "id_number": "440106199003071232"})

    assert saved.status_code == 302
    c1.refresh_from_db()
    assert (c1.groups, c1.home_outlet, c1.relationship_manager) == (5, network["GZ0102"], None)
    message = refused.context["adminform"].form.errors["id_number"][0]
    assert "check digit" in message and "440106199003071232" not in message


def test_the_csv_upload_pages_of_customers_and_snapshots_open_for_hq(hq, network):
    for kind in ("customer", "snapshot"):
        page = hq.get(f"/admin/customers/{kind}/import-csv/")
        assert page.status_code == 200
    assert (
        "customer,name,id_number,home_outlet,relationship_manager,groups"
        in hq.get("/admin/customers/customer/import-csv/").content.decode()
    )


# -- tiering runs ------------------------------------------------------------------------------------


def test_hq_tiers_a_month_from_the_admin(hq, population):
    page = hq.get("/admin/customers/tieringrun/")

    response = hq.post("/admin/customers/tieringrun/tier-month/", {"month": "2026-10"}, follow=True)

    assert "Tier a month" in page.content.decode()
    run = TieringRun.objects.get()
    assert (run.month, run.status, run.progress, run.customers) == (OCT, "done", 100, 5)
    assert CustomerMonth.objects.filter(month=OCT).count() == 5
    assert "Tiering of 2026-10 started" in response.content.decode()


def test_without_a_broker_the_admin_answers_at_once_and_the_months_are_tiered_in_the_background(
    hq, population, settings
):
    # The embedded default (no REDIS_URL): a month of 2 million customers takes 10–20 s, never the request's.
    settings.BACKGROUND_THREAD = True
    started, release, tiered = threading.Event(), threading.Event(), []

    def a_long_month(month):
        started.set()
        release.wait(5)
        tiered.append((month, threading.current_thread().name))
        return {"month": month}

    with mock.patch("customers.tasks.tiering_month", side_effect=a_long_month):
        began = time.monotonic()
        response = hq.post("/admin/customers/tieringrun/tier-month/", {"month": "2026-10"})
        elapsed = time.monotonic() - began

        assert response.status_code == 302 and elapsed < 1.0
        assert started.wait(5) and tiered == []  # at it, in the background
        release.set()
        assert background.wait_idle(10)

    assert tiered == [("2026-10-01", "bankops-background")]


def test_a_month_without_snapshots_or_not_ended_is_refused(hq, population):
    empty = hq.post("/admin/customers/tieringrun/tier-month/", {"month": "2026-08"})
    running = hq.post("/admin/customers/tieringrun/tier-month/", {"month": "2099-01"})

    assert "2026-08 has no AUM snapshots" in empty.context["form"].errors["month"][0]
    assert "2099-01 has not ended yet" in running.context["form"].errors["month"][0]
    assert not TieringRun.objects.exists()


def test_the_months_of_selected_runs_are_tiered_again(hq, population):
    first = tiering_run(month=OCT)

    hq.post("/admin/customers/tieringrun/", {"action": "tier_again", "_selected_action": [first.pk]})

    assert TieringRun.objects.filter(month=OCT, status="done").count() == 2
    assert CustomerMonth.objects.filter(month=OCT).count() == 5


def test_only_hq_may_tier_a_month(client, auditor, population):
    admin_login(client, auditor)

    assert client.post("/admin/customers/tieringrun/tier-month/", {"month": "2026-10"}).status_code == 403
    assert not TieringRun.objects.exists()
