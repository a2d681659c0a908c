"""HQ's admin of pay (pay/admin.py): rules per template by month, piece rates with their tiers, pools;
what a closed month rests on no longer changes; stored sheets read-only, in the reader's scope."""

from __future__ import annotations

import pytest
from django.utils import translation

from pay.models import PayRule, PaySheet, PieceRate, PieceRateTier, TeamPool
from pay.services.sheets import pay_close
from tests.pay.pay_data import OCTOBER

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def hq_client(client, hq_admin):
    hq_admin.is_staff = hq_admin.is_superuser = True
    hq_admin.save()
    client.force_login(hq_admin)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _rule_form(**fields) -> dict:
    data = {
        "template_code": "T-TELLER",
        "effective_from": "2026-12",
        "yuan_per_point": "25.00",
        "min_score": "60",
        "veto_zeroes_pay": "on",
        "monthly_cap": "",
        "note": "每分 25 元",
        "piece_rates-TOTAL_FORMS": "0",
        "piece_rates-INITIAL_FORMS": "0",
        "piece_rates-MIN_NUM_FORMS": "0",
        "piece_rates-MAX_NUM_FORMS": "1000",
    }
    return {**data, **fields}


def _tier_form(piece: PieceRate, tiers: list[tuple[str, str, str]]) -> dict:
    data = {
        "rule": piece.rule_id,
        "metric": piece.metric_id,
        "sort_order": "0",
        "tiers-TOTAL_FORMS": str(len(tiers)),
        "tiers-INITIAL_FORMS": "0",
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "1000",
    }
    for index, (start, end, rate) in enumerate(tiers):
        data |= {
            f"tiers-{index}-from_volume": start,
            f"tiers-{index}-to_volume": end,
            f"tiers-{index}-yuan_per_unit": rate,
        }
    return data


def test_hq_adds_a_rule_of_a_staff_template_from_a_month(october, hq_client):
    response = hq_client.post("/admin/pay/payrule/add/", _rule_form())

    assert response.status_code == 302, response.context["adminform"].form.errors
    rule = PayRule.objects.get(effective_from="2026-12-01")
    assert (rule.template_code, str(rule.yuan_per_point)) == ("T-TELLER", "25.00")


def test_a_rule_of_an_unknown_template_is_refused(october, hq_client):
    response = hq_client.post("/admin/pay/payrule/add/", _rule_form(template_code="T-NONE"))

    assert response.status_code == 200
    assert "template_code" in response.context["adminform"].form.errors


def test_a_rule_cannot_start_in_a_month_whose_pay_is_closed(october, hq_client, network):
    pay_close(month=OCTOBER, unit=network["GZ0101"], by=None, scope=None)

    response = hq_client.post("/admin/pay/payrule/add/", _rule_form(effective_from="2026-09"))

    assert response.context["adminform"].form.errors["effective_from"] == [
        "The pay of 2026-10 is closed for T-TELLER: a rule cannot start in or before it. Start it after 2026-10."
    ]


def test_a_rule_a_closed_month_rests_on_no_longer_changes(october, hq_client, network):
    pay_close(month=OCTOBER, unit=network["GZ0101"], by=None, scope=None)
    rule = PayRule.objects.get()

    response = hq_client.post(
        f"/admin/pay/payrule/{rule.pk}/change/",
        _rule_form(effective_from="2026-10", yuan_per_point="30.00", **_inline_of(rule)),
    )

    assert response.status_code == 200
    assert "Pay sheets up to 2026-10 were closed under this rule" in str(response.context["adminform"].form.errors)
    rule.refresh_from_db()
    assert str(rule.yuan_per_point) == "20.00"


def _inline_of(rule: PayRule) -> dict:
    pieces = list(rule.piece_rates.all())
    data = {"piece_rates-TOTAL_FORMS": str(len(pieces)), "piece_rates-INITIAL_FORMS": str(len(pieces))}
    for index, piece in enumerate(pieces):
        data |= {
            f"piece_rates-{index}-id": piece.pk,
            f"piece_rates-{index}-rule": rule.pk,
            f"piece_rates-{index}-metric": piece.metric_id,
            f"piece_rates-{index}-sort_order": "0",
        }
    return data


def test_tiers_with_a_gap_are_refused(october, hq_client):
    rule = PayRule.objects.create(template_code="T-TELLER", effective_from="2026-12-01", yuan_per_point=20)
    piece = PieceRate.objects.create(rule=rule, metric=PieceRate.objects.first().metric)

    response = hq_client.post(
        f"/admin/pay/piecerate/{piece.pk}/change/", _tier_form(piece, [("0", "10", "5"), ("12", "", "8")])
    )

    assert response.status_code == 200
    assert "Each tier starts where the one before it ends." in str(
        response.context["inline_admin_formsets"][0].formset.non_form_errors()
    )
    assert not PieceRateTier.objects.filter(piece_rate=piece).exists()


def test_tiers_that_follow_each_other_are_saved(october, hq_client):
    rule = PayRule.objects.create(template_code="T-TELLER", effective_from="2026-12-01", yuan_per_point=20)
    piece = PieceRate.objects.create(rule=rule, metric=PieceRate.objects.first().metric)

    response = hq_client.post(
        f"/admin/pay/piecerate/{piece.pk}/change/", _tier_form(piece, [("0", "10", "5"), ("10", "", "8")])
    )

    assert response.status_code == 302
    assert [(tier.from_volume, tier.to_volume) for tier in piece.tiers.all()] == [(0, 10), (10, None)]


def test_a_pool_of_a_closed_month_no_longer_changes(october, hq_client, network):
    pay_close(month=OCTOBER, unit=network["GZ0101"], by=None, scope=None)
    pool = TeamPool.objects.get()

    response = hq_client.post(
        f"/admin/pay/teampool/{pool.pk}/change/",
        {"unit": pool.unit_id, "month": "2026-10", "amount": "12000.00", "note": ""},
    )

    assert response.status_code == 200
    pool.refresh_from_db()
    assert str(pool.amount) == "10000.00"


def test_stored_sheets_are_read_only_and_a_unit_manager_sees_their_subtree_only(
    october, hq_client, network, unit_manager, client
):
    pay_close(month=OCTOBER, unit=network["GZ0101"], by=None, scope=None)
    sheet = PaySheet.objects.get(staff__code="S1")

    assert hq_client.get(f"/admin/pay/paysheet/{sheet.pk}/change/").status_code == 200
    assert hq_client.post(f"/admin/pay/paysheet/{sheet.pk}/delete/").status_code == 403
    assert hq_client.get("/admin/pay/paysheet/add/").status_code == 403

    from django.contrib.auth.models import Permission

    unit_manager.is_staff = True
    unit_manager.save()
    unit_manager.user_permissions.add(Permission.objects.get(codename="view_paysheet"))
    client.force_login(unit_manager)
    assert client.get("/admin/pay/paysheet/").context["cl"].result_count == 5
    PaySheet.objects.update(unit=network["SZ0101"])  # as if they were Futian's, outside GZ01
    assert client.get("/admin/pay/paysheet/").context["cl"].result_count == 0
