"""The credit splits page (分润): the standing rules as they apply at an outlet, the form an outlet head
moves a share with (within HQ's limits, with a reason), its errors, and who may open and post it."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from kpi.models import CreditSplitAdjustment, CreditSplitAdjustmentChange
from tests.kpi.test_credit_rules import rule

pytestmark = pytest.mark.django_db
URL = "/units/GZ0101/credit-splits/"


@pytest.fixture
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def standing(network):
    """理财 70/30 from 2026-01-01, adjustable from 20 to 40 %."""
    return rule()


def test_the_outlet_head_sees_the_rule_with_the_share_and_the_limits(english, outlet_head, standing):
    english.force_login(outlet_head)
    response = english.get(URL)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Wealth manager (seller) with Teller (partner)" in page
    assert "30%" in page and "70%" in page and "20% – 40%" in page
    assert 'name="share"' in page and 'name="reason"' in page


def test_a_share_within_limits_is_saved_with_its_reason_and_shown(english, outlet_head, standing, network):
    english.force_login(outlet_head)
    response = english.post(URL, {"rule": standing.pk, "share": "35", "reason": "理财旺季"})
    assert response.status_code == 302
    assert CreditSplitAdjustment.objects.get().share == Decimal(35)
    change = CreditSplitAdjustmentChange.objects.get()
    assert (change.new_share, change.reason, change.changed_by) == (Decimal(35), "理财旺季", outlet_head)
    page = english.get(URL).content.decode()
    # The card: 35 % for the partner, 65 % kept by the seller; the audit line: HQ's rule → 35 %.
    assert "<strong>35%</strong>" in page and "65%" in page and "adjusted by the outlet" in page
    assert "理财旺季" in page and "→ 35%" in page


@pytest.mark.parametrize(
    "data, field, message",
    [
        (
            {"share": "45", "reason": "旺季"},
            "share",
            "45% is outside the limits HQ set for this rule: between 20% and 40%.",
        ),
        ({"share": "三十", "reason": "旺季"}, "share", "Give the partner&#x27;s share in percent, such as 30 or 32.5."),
        ({"share": "35", "reason": ""}, "reason", "This field is required."),
    ],
)
def test_a_bad_share_or_reason_is_refused_under_its_field_and_nothing_is_written(
    english, outlet_head, standing, data, field, message
):
    english.force_login(outlet_head)
    response = english.post(URL, {"rule": standing.pk, **data})
    page = response.content.decode()
    assert response.status_code == 400
    assert message in page
    # Under the field of the rule's own form (its ids carry the rule's id).
    assert f'id="rule{standing.pk}_{field}"' in page
    assert not CreditSplitAdjustment.objects.exists() and not CreditSplitAdjustmentChange.objects.exists()


def test_a_rule_that_is_not_listed_is_refused_with_a_message(english, outlet_head, standing):
    english.force_login(outlet_head)
    response = english.post(URL, {"rule": "999999", "share": "35", "reason": "x"})
    assert response.status_code == 400
    assert "This rule is no longer in force; reload the page." in response.content.decode()
    response = english.post(URL, {"rule": "not-a-number", "share": "35", "reason": "x"})
    assert response.status_code == 400
    assert not CreditSplitAdjustmentChange.objects.exists()


def test_an_ended_rule_is_not_listed(english, outlet_head, network):
    rule(effective_to=timezone.localdate() - datetime.timedelta(days=1))
    english.force_login(outlet_head)
    assert "HQ has set no credit sharing rules yet." in english.get(URL).content.decode()


def test_the_unit_manager_adjusts_an_outlet_below_and_sees_which_outlets_adjusted(
    english, unit_manager, standing, network
):
    english.force_login(unit_manager)
    assert (
        english.post(
            "/units/GZ0102/credit-splits/", {"rule": standing.pk, "share": "25", "reason": "新网点"}
        ).status_code
        == 302
    )
    page = english.get("/units/GZ01/credit-splits/").content.decode()
    assert "Outlets that adjusted a share" in page
    assert "/units/GZ0102/credit-splits/" in page and "<strong>25%</strong>" in page
    assert 'name="share"' not in page  # a sub-branch has no share of its own


def test_an_auditor_reads_the_page_but_has_no_form_and_may_not_post(english, auditor, standing):
    english.force_login(auditor)
    page = english.get(URL).content.decode()
    assert "30%" in page and 'name="share"' not in page
    assert english.post(URL, {"rule": standing.pk, "share": "35", "reason": "x"}).status_code == 403
    assert not CreditSplitAdjustmentChange.objects.exists()


def test_an_outlet_outside_scope_is_not_found(english, outlet_head, teller, standing):
    english.force_login(outlet_head)
    assert english.get("/units/GZ0102/credit-splits/").status_code == 404
    assert (
        english.post("/units/GZ0102/credit-splits/", {"rule": standing.pk, "share": "35", "reason": "x"}).status_code
        == 404
    )
    english.force_login(teller)
    assert english.get(URL).status_code == 404


def test_the_outlet_heads_menu_links_to_the_page(english, outlet_head, teller):
    english.force_login(outlet_head)
    assert f'href="{URL}"' in english.get("/units/GZ0101/notes/").content.decode()
    english.force_login(teller)
    assert "credit-splits" not in english.get("/scorecard/").content.decode()


def test_the_page_reads_a_fixed_number_of_queries(english, outlet_head, network, django_assert_max_num_queries):
    for code in ("wealth_sales", "insurance_premium", "other_bank_deposits_won"):
        rule(code=code)
    english.force_login(outlet_head)
    with django_assert_max_num_queries(12):
        assert english.get(URL).status_code == 200


@pytest.mark.parametrize("field", ["rule", "share", "reason"])
@pytest.mark.parametrize(
    "value",
    ["\x00", "A" * 5000, "9" * 400, "1e400", "-" + str(2**63), "NaN", "Infinity", "٣٥", "３５", "-35", "0", ""],
)
def test_no_posted_value_makes_the_page_answer_a_5xx_or_write(english, outlet_head, standing, field, value):
    english.force_login(outlet_head)
    data = {"rule": str(standing.pk), "share": "35", "reason": "旺季"} | {field: value}
    response = english.post(URL, data)
    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 400:
        assert not CreditSplitAdjustmentChange.objects.exists()
