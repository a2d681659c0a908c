"""The kpi admin (kpi/admin.py): the catalog form, the read-only lists, and the facts upload."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile

from kpi.models import Fact, IngestBatch, Metric, ReportingCutoff
from kpi.services.targets import target_set
from lib.periods import parse_period
from tests.factories import UserFactory

D = datetime.date


def metric(code: str) -> Metric:
    return Metric.objects.get(code=code)


@pytest.fixture
def admin_client(client, db):
    """张国栋, an HQ superuser, in the admin in English so messages do not depend on the zh-Hans catalog."""
    client.force_login(UserFactory(username="zhang.guodong", first_name="张国栋", is_staff=True, is_superuser=True))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_a_metric_ratio_without_a_denominator_is_refused_by_the_admin_form(admin_client):
    form = {
        "code": "visit_rate",
        "name_zh": "走访率",
        "name_en": "Visit rate",
        "unit": "%",
        "aggregation": "ratio",
        "direction": "higher",
        "level": "outlet",
        "category": "marketing",
        "numerator": metric("customer_visits").pk,
        "time_basis": "calendar",
        "sort_order": "0",
        "is_active": "on",
    }

    response = admin_client.post("/admin/kpi/metric/add/", form)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"denominator": ["A ratio names its denominator metric."]}
    assert not Metric.objects.filter(code="visit_rate").exists()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/kpi/metric/",
        "/admin/kpi/target/",
        "/admin/kpi/target/add/",
        "/admin/kpi/targetchange/",
        "/admin/kpi/fact/",
        "/admin/kpi/ingestbatch/",
        "/admin/kpi/rolluprun/",
    ],
)
def test_the_kpi_admin_pages_open(admin_client, network, url):
    target_set(
        unit=network["GZ0101"],
        metric=metric("complaints"),
        period=parse_period("2026"),
        value=Decimal("0"),
        source="csv",
    )
    Fact.objects.create(date=D(2026, 11, 24), unit=network["GZ0101"], metric=metric("complaints"), value=1)

    assert admin_client.get(url).status_code == 200


def test_facts_targets_changes_batches_and_runs_cannot_be_added_or_edited_by_hand(admin_client, network):
    fact = Fact.objects.create(date=D(2026, 11, 24), unit=network["GZ0101"], metric=metric("complaints"), value=1)

    assert admin_client.get("/admin/kpi/fact/add/").status_code == 403
    assert admin_client.post(f"/admin/kpi/fact/{fact.pk}/change/", {"value": "5"}).status_code == 403
    assert admin_client.get("/admin/kpi/targetchange/add/").status_code == 403
    assert admin_client.get("/admin/kpi/ingestbatch/add/").status_code == 403
    assert admin_client.get("/admin/kpi/rolluprun/add/").status_code == 403
    fact.refresh_from_db()
    assert fact.value == 1


def test_a_metric_search_finds_it_by_chinese_name_for_the_autocomplete(admin_client):
    response = admin_client.get(
        "/admin/autocomplete/",
        {"app_label": "kpi", "model_name": "metric", "field_name": "base", "term": "存款余额"},
    )

    assert response.status_code == 200
    assert {result["text"].split()[0] for result in response.json()["results"]} == {
        "deposit_balance",
        "deposit_balance_personal",
        "deposit_balance_corporate",
    }


FACTS_FILE = "date,unit,staff,metric,value\n2026-11-24,GZ0101,,customers_served,120\n"


def test_uploading_a_facts_file_in_the_admin_imports_it_as_a_batch_of_the_uploader(admin_client, network):
    upload = SimpleUploadedFile("facts.csv", FACTS_FILE.encode())

    response = admin_client.post("/admin/kpi/fact/import-csv/", {"file": upload}, follow=True)

    assert [str(message) for message in response.context["messages"]] == [
        "Imported: 1 created, 0 updated, 0 unchanged."
    ]
    fact = Fact.objects.get()
    assert (fact.date, fact.unit.code, fact.metric.code, fact.value) == (
        D(2026, 11, 24),
        "GZ0101",
        "customers_served",
        Decimal("120"),
    )
    assert IngestBatch.objects.get().created_by.username == "zhang.guodong"


def test_a_user_who_may_only_view_facts_cannot_upload_them(client, network):
    viewer = UserFactory(first_name="孙丽", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_fact"))
    client.force_login(viewer)

    assert client.get("/admin/kpi/fact/").status_code == 200
    response = client.post("/admin/kpi/fact/import-csv/", {"file": SimpleUploadedFile("f.csv", FACTS_FILE.encode())})

    assert response.status_code == 403
    assert Fact.objects.count() == 0


def test_a_user_who_may_add_and_change_facts_can_upload_them_but_not_edit_one_by_hand(client, network):
    clerk = UserFactory(first_name="刘洋", is_staff=True)
    clerk.user_permissions.add(*Permission.objects.filter(codename__in=["view_fact", "add_fact", "change_fact"]))
    client.force_login(clerk)

    response = client.post("/admin/kpi/fact/import-csv/", {"file": SimpleUploadedFile("f.csv", FACTS_FILE.encode())})

    assert response.status_code == 302
    fact = Fact.objects.get()
    assert client.post(f"/admin/kpi/fact/{fact.pk}/change/", {"value": "5"}).status_code == 403


def test_a_unit_manager_in_the_admin_sees_only_the_targets_of_their_subtree_and_cannot_import(
    client, network, unit_manager
):
    unit_manager.is_staff = True
    unit_manager.save()
    unit_manager.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_target", "add_target", "change_target"])
    )
    metric = Metric.objects.get(code="mobile_banking_signups")
    own, _ = target_set(
        metric=metric, period=parse_period("2026"), value=Decimal(100), unit=network["GZ01"], source="test"
    )
    other, _ = target_set(
        metric=metric, period=parse_period("2026"), value=Decimal(100), unit=network["SZ01"], source="test"
    )
    client.force_login(unit_manager)

    assert client.get(f"/admin/kpi/target/{own.pk}/change/").status_code == 200
    # Another sub-branch's target is not found, as on every page; the import (which takes no scope) is HQ's.
    assert client.get(f"/admin/kpi/target/{other.pk}/change/").status_code == 302
    assert client.get("/admin/kpi/target/import-csv/").status_code == 403


def test_hq_changes_the_reporting_cut_off_in_the_admin_and_cannot_add_or_delete_another(admin_client):
    url = "/admin/kpi/reportingcutoff/1/change/"
    response = admin_client.post(url, {"cutoff": "07:45"})

    assert response.status_code == 302
    assert ReportingCutoff.objects.current().cutoff == datetime.time(7, 45)
    assert admin_client.get("/admin/kpi/reportingcutoff/add/").status_code == 403
    assert admin_client.get("/admin/kpi/reportingcutoff/1/delete/").status_code == 403
