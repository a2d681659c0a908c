"""The demo's campaigns (demo/campaigns.py, issue 20) on the tiny network of tests/demo/test_demo_facts.py:
four outlets, ten days of facts to Tuesday 20 January 2026."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.db.models import Max, Sum
from django.urls import reverse

from campaigns.models import Campaign, CampaignScore, GiftRecord, MaterialKind
from campaigns.selectors import campaigns_visible
from staff.access import scope_for_user
from staff.models import User

pytestmark = pytest.mark.django_db

END = datetime.date(2026, 1, 20)


@pytest.fixture(autouse=True)
def _keep_daily_scorecards(settings):
    settings.SCORECARD_RETENTION_DAYS = 100_000


def seed(*flags: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--outlets=4", "--days=10", f"--end={END}", *flags, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_demo_runs_a_deposits_campaign_with_scripts_a_finished_opening_and_a_gift_campaign(client):
    output = seed()

    campaigns = {campaign.code: campaign for campaign in Campaign.objects.all()}
    deposits, opening, gifts = campaigns["other_bank_push"], campaigns["opening_push"], campaigns["points_gifts"]
    today = END + datetime.timedelta(days=1)
    assert deposits.start <= today <= deposits.end and gifts.start <= today <= gifts.end
    assert opening.end < today
    assert deposits.materials.filter(kind=MaterialKind.SCRIPT).count() == 3
    assert CampaignScore.objects.filter(campaign=deposits).exists()
    # The gift ledger keeps within its budget and each customer within the limit.
    assert GiftRecord.objects.filter(campaign=gifts).exists()
    assert GiftRecord.objects.aggregate(total=Sum("value"))["total"] <= gifts.gift_budget
    per_customer = GiftRecord.objects.values("customer_code").annotate(total=Sum("value"))
    assert per_customer.aggregate(most=Max("total"))["most"] <= gifts.gift_limit_per_customer
    assert "Campaigns: 3" in output
    # Every demo login sees the running campaigns, and their pages open.
    for user in User.objects.filter(username__in=["hq_admin", "unit_manager", "outlet_head", "teller", "auditor"]):
        visible = set(campaigns_visible(scope_for_user(user)).values_list("code", flat=True))
        assert {"other_bank_push", "points_gifts"} <= visible, user.username
        client.force_login(user)
        assert client.get(reverse("campaigns:list")).status_code == 200
        assert client.get(reverse("campaigns:detail", args=["other_bank_push"])).status_code == 200
        assert client.get(reverse("campaigns:gifts", args=["points_gifts"])).status_code == 200


def test_seeding_again_adds_no_gift_and_computes_the_same_scores():
    seed()
    gifts = GiftRecord.objects.count()
    scores = CampaignScore.objects.aggregate(total=Sum("bonus"), rows=Sum(1))

    seed("--force")

    assert GiftRecord.objects.count() == gifts
    assert CampaignScore.objects.aggregate(total=Sum("bonus"), rows=Sum(1)) == scores
