"""The campaign pages: who sees which campaign, the leaderboards and the gift ledger on a page, a gift
recorded and refused (400, nothing written), masking."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from campaigns.models import GiftRecord
from campaigns.services import campaign_scores_refresh, gift_record
from staff.access import scope_for_user
from tests.campaigns.factories import CampaignFactory, focus
from tests.kpi.factories import FactFactory
from tests.kpi.scorecard_factories import published_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def english():
    with translation.override("en"):
        yield {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def running(network, teller):
    """广州分行's 他行揽储, running today: 天河路 won 50 万元 five days ago (2 points a 万元 = 100.00)."""
    today = timezone.localdate()
    campaign = CampaignFactory(
        code="gz_push",
        unit=network["GZ"],
        start=today - datetime.timedelta(days=10),
        end=today + datetime.timedelta(days=10),
        gift_budget=Decimal("500"),
        gift_limit_per_customer=Decimal("100"),
    )
    focus(campaign, "other_bank_deposits_won", "2")
    campaign.materials.create(title="开口话术", body="您好，我们网点现在有他行揽储专项活动")
    FactFactory(
        unit=network["GZ0101"], metric="other_bank_deposits_won", date=today - datetime.timedelta(days=5), value=50
    )
    campaign_scores_refresh(campaign=campaign, today=today)
    return campaign


@pytest.fixture
def sibling(network):
    """从化支行's own campaign: not for 天河支行's people."""
    return CampaignFactory(code="gz02_own", unit=network["GZ02"])


def test_an_outlet_head_sees_the_branchs_campaign_and_not_a_sibling_sub_branchs(
    client, outlet_head, running, sibling, english
):
    client.force_login(outlet_head)

    listed = client.get(reverse("campaigns:list"), **english)
    detail = client.get(reverse("campaigns:detail", args=["gz_push"]), **english)

    assert "gz_push" in listed.content.decode() and "gz02_own" not in listed.content.decode()
    assert detail.status_code == 200
    assert client.get(reverse("campaigns:detail", args=["gz02_own"])).status_code == 404
    page = detail.content.decode()
    assert "100.00" in page  # 50 × 2
    assert "开口话术" in page


def test_time_progress_and_the_uplift_count_to_the_latest_published_day_not_today(
    client, outlet_head, running, network, english
):
    today = timezone.localdate()
    published_day(today - datetime.timedelta(days=2))
    for days_ago, value in ((1, 7), (12, 999), (15, 20)):
        FactFactory(
            unit=network["GZ0101"],
            metric="other_bank_deposits_won",
            date=today - datetime.timedelta(days=days_ago),
            value=value,
        )
    client.force_login(outlet_head)

    page = client.get(reverse("campaigns:detail", args=["gz_push"]), **english)

    # 21 days (today − 10 to today + 10); published up to the day before yesterday: 9 counted, 9 / 21.
    assert page.context["elapsed"] == 9
    assert page.context["time_progress"] == pytest.approx(9 / 21)
    # During: today − 10 to today − 2, the 50 of five days ago (yesterday's 7 is not published yet);
    # before: as many days just before, today − 19 to today − 11: the 20 (the 999 of today − 12 too).
    (uplift,) = page.context["uplifts"]
    assert (uplift.days, uplift.during, uplift.before) == (9, Decimal(50), Decimal(1019))
    assert page.context["before"] == (today - datetime.timedelta(days=19), today - datetime.timedelta(days=11))


def test_a_teller_sees_the_campaign_of_her_outlets_branch(client, teller, running):
    client.force_login(teller)

    assert client.get(reverse("campaigns:detail", args=["gz_push"])).status_code == 200
    assert client.get(reverse("campaigns:gifts", args=["gz_push"])).status_code == 200


def test_an_outlet_head_records_a_gift_and_is_sent_back_to_the_ledger(client, outlet_head, running, english):
    client.force_login(outlet_head)
    today = timezone.localdate()

    response = client.post(
        reverse("campaigns:gifts", args=["gz_push"]),
        {"staff": "S1001", "day": today.isoformat(), "customer_code": "C0001024", "item": "食用油礼盒", "value": "58"},
        **english,
    )

    assert response.status_code == 302
    gift = GiftRecord.objects.get()
    assert (gift.unit.code, gift.staff.code, gift.value) == ("GZ0101", "S1001", Decimal("58"))


def test_a_gift_over_the_limit_is_refused_on_the_page_and_writes_nothing(client, outlet_head, running, english):
    client.force_login(outlet_head)
    data = {"staff": "S1001", "day": timezone.localdate().isoformat(), "customer_code": "C0001024", "item": "锅"}
    client.post(reverse("campaigns:gifts", args=["gz_push"]), {**data, "value": "60"}, **english)

    response = client.post(reverse("campaigns:gifts", args=["gz_push"]), {**data, "value": "50"}, **english)

    assert response.status_code == 400
    assert "Over the limit per customer" in response.content.decode()
    assert GiftRecord.objects.count() == 1


def test_a_bad_value_is_refused_with_400(client, outlet_head, running):
    client.force_login(outlet_head)
    data = {"staff": "S1001", "day": "not a day", "customer_code": "C1", "item": "锅", "value": "-3"}

    response = client.post(reverse("campaigns:gifts", args=["gz_push"]), data)

    assert response.status_code == 400
    assert not GiftRecord.objects.exists()


def test_an_auditor_reads_the_gift_ledger_but_has_no_form(client, auditor, running, outlet_head, teller):
    from staff.models import StaffMember

    gift_record(
        scope=scope_for_user(outlet_head), user=outlet_head, campaign=running,
        staff=StaffMember.objects.get(code="S1001"), day=timezone.localdate(), customer_code="C0001024",
        customer_name="张小三", item="锅", value=Decimal("30"),
    )  # fmt: skip
    client.force_login(auditor)

    response = client.get(reverse("campaigns:gifts", args=["gz_push"]))

    assert response.status_code == 200
    assert response.context["form"] is None
    assert client.post(reverse("campaigns:gifts", args=["gz_push"]), {}).status_code == 404


def test_customer_numbers_and_names_are_masked_for_a_reader_without_personal_data(running, outlet_head, network):
    from campaigns.selectors import gifts_visible
    from staff.access import Scope
    from staff.models import StaffMember

    gift_record(
        scope=scope_for_user(outlet_head), user=outlet_head, campaign=running,
        staff=StaffMember.objects.get(code="S1001"), day=timezone.localdate(), customer_code="C0001024",
        customer_name="张小三", item="锅", value=Decimal("30"),
    )  # fmt: skip
    reader = Scope(unit_path=network["GZ"].path)
    gift = gifts_visible(reader, running).get()

    assert (reader.customer_code(gift.customer_code), reader.person_name(gift.customer_name)) == ("****1024", "张*三")


# -- a sub-branch's own campaign -----------------------------------------------------------------------


def _new(**changes) -> dict:
    data = {
        "unit": "GZ01",
        "code": "gz01_signups",
        "name_zh": "手机银行冲刺",
        "theme": "stage",
        "start": "2026-12-01",
        "end": "2026-12-31",
        "metric_1": "mobile_banking_signups",
        "rule_1": "per_unit",
        "factor_1": "1",
        "metric_2": "",
        "rule_2": "per_unit",
        "factor_2": "",
        "gift_budget": "0",
        "gift_limit_per_customer": "",
        "script_title": "开口话术",
        "script_body": "您好，手机银行现在签约有礼……",
    }
    return {**data, **changes}


def test_a_unit_manager_sets_up_a_campaign_of_her_sub_branch(client, unit_manager):
    from campaigns.models import Campaign

    client.force_login(unit_manager)

    response = client.post(reverse("campaigns:new"), _new())

    assert response.status_code == 302
    campaign = Campaign.objects.get(code="gz01_signups")
    assert (campaign.unit.code, campaign.lines.get().metric.code, campaign.materials.get().title) == (
        "GZ01",
        "mobile_banking_signups",
        "开口话术",
    )


def test_a_unit_manager_cannot_set_up_one_for_another_sub_branch_nor_with_a_multiplier_of_a_count(client, unit_manager):
    from campaigns.models import Campaign

    client.force_login(unit_manager)

    other = client.post(reverse("campaigns:new"), _new(unit="GZ02"))
    multiplier = client.post(reverse("campaigns:new"), _new(rule_1="multiplier"))
    backwards = client.post(reverse("campaigns:new"), _new(end="2026-11-01"))

    assert (other.status_code, multiplier.status_code, backwards.status_code) == (400, 400, 400)
    assert not Campaign.objects.exists()


def test_an_outlet_head_sets_up_no_campaign(client, outlet_head):
    client.force_login(outlet_head)

    assert client.get(reverse("campaigns:new")).status_code == 404


def test_the_admin_refuses_units_outside_the_organisers_subtree(network):
    from campaigns.admin import CampaignAdminForm

    form = CampaignAdminForm(
        data={
            "code": "gz01_push",
            "name_zh": "冲刺",
            "theme": "stage",
            "unit": network["GZ01"].pk,
            "start": "2026-12-01",
            "end": "2026-12-31",
            "units": [network["GZ0101"].pk, network["SZ0101"].pk],
            "gift_budget": "0",
        }
    )

    assert not form.is_valid()
    assert "units" in form.errors
