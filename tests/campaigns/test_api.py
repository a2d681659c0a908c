"""The campaigns over the API: the list in scope, the leaderboard with the uplift, the gift ledger masked,
a gift recorded and refused (400 in the API's error format, nothing written), tokens may not record."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from campaigns.models import GiftRecord
from campaigns.services import campaign_scores_refresh
from tests.campaigns.factories import CampaignFactory, focus
from tests.kpi.factories import FactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def running(network, teller):
    """广州分行's 他行揽储 over the last 4 days and the next 10: 天河路 won 30 万元 in it and 10 in the 4 days
    before; 黄丽娟 5 万元 (staff fact)."""
    today = timezone.localdate()
    campaign = CampaignFactory(
        code="gz_push",
        unit=network["GZ"],
        start=today - datetime.timedelta(days=3),
        end=today + datetime.timedelta(days=10),
        gift_budget=Decimal("100"),
    )
    focus(campaign, "other_bank_deposits_won", "2")
    outlet = network["GZ0101"]
    FactFactory(unit=outlet, metric="other_bank_deposits_won", date=today - datetime.timedelta(days=1), value=30)
    FactFactory(unit=outlet, metric="other_bank_deposits_won", date=today - datetime.timedelta(days=6), value=10)
    from staff.models import StaffMember

    FactFactory(
        unit=outlet,
        staff=StaffMember.objects.get(code="S1001"),
        metric="other_bank_deposits_won",
        date=today - datetime.timedelta(days=1),
        value=5,
    )
    campaign_scores_refresh(campaign=campaign, today=today)
    return campaign


def test_the_leaderboard_ranks_outlets_and_staff_and_gives_the_uplift(client, token_client, network, running):
    api = token_client(network["GZ"], "read")

    answer = api.get("/api/v1/campaigns/gz_push/leaderboard/").json()

    # 天河路 30 × 2 = 60. No day published yet, so the days up to yesterday count: 3 (today − 3 to
    # today − 1), before them today − 6 to today − 4: 10. Uplift 20, (30 − 10) / 10 = 2.
    assert answer["outlets"][0]["outlet"] == "GZ0101" and Decimal(answer["outlets"][0]["bonus"]) == Decimal("60")
    assert Decimal(answer["staff"][0]["bonus"]) == Decimal("10")
    assert answer["staff"][0]["name"] == "黄*娟"  # no personal scope: masked
    assert answer["staff"][0]["outlets"] == [{"outlet": "GZ0101", "bonus": "10.0000"}]  # 4 places, as every bonus
    (uplift,) = answer["uplift"]
    assert (uplift["days"], Decimal(uplift["during"]), Decimal(uplift["before"])) == (3, Decimal(30), Decimal(10))
    assert Decimal(uplift["ratio"]) == Decimal(2)


def test_a_token_of_another_branch_gets_404(token_client, network, running):
    api = token_client(network["SZ"], "read")

    assert api.get("/api/v1/campaigns/gz_push/leaderboard/").status_code == 404
    assert api.get("/api/v1/campaigns/").json()["results"] == []


def test_a_bad_state_is_a_400_in_the_error_format(token_client, network, running):
    answer = token_client(network["GZ"], "read").get("/api/v1/campaigns/?state=soon")

    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] == "state"


def test_a_teller_records_her_gift_and_the_next_over_the_budget_is_refused(client, teller, running):
    client.force_login(teller)
    body = {"day": timezone.localdate().isoformat(), "customer_code": "C0001024", "item": "锅", "value": "80"}

    made = client.post("/api/v1/campaigns/gz_push/gifts/", body, content_type="application/json")
    refused = client.post(
        "/api/v1/campaigns/gz_push/gifts/", {**body, "customer_code": "C2"}, content_type="application/json"
    )

    assert made.status_code == 201
    assert made.json()["staff"] == "S1001"
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "value"
    assert GiftRecord.objects.count() == 1


def test_a_token_may_not_record_a_gift(token_client, network, running):
    api = token_client(network["GZ"], "read,admin")

    answer = api.post(
        "/api/v1/campaigns/gz_push/gifts/",
        {"staff": "S1001", "day": "2026-12-01", "customer_code": "C1", "item": "锅", "value": "1"},
        content_type="application/json",
    )

    assert answer.status_code == 403
    assert not GiftRecord.objects.exists()


def test_the_gift_ledger_masks_customer_numbers_without_the_personal_scope(
    client, teller, token_client, network, running
):
    client.force_login(teller)
    client.post(
        "/api/v1/campaigns/gz_push/gifts/",
        {"day": timezone.localdate().isoformat(), "customer_code": "C0001024", "customer_name": "张小三", "item": "锅",
         "value": "8"},
        content_type="application/json",
    )  # fmt: skip

    (gift,) = token_client(network["GZ"], "read").get("/api/v1/campaigns/gz_push/gifts/").json()["results"]

    assert (gift["customer_code"], gift["customer_name"], gift["staff_name"]) == ("****1024", "张*三", "黄*娟")
