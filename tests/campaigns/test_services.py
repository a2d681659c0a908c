"""Campaign scores from the facts (bonus, a month end, overlapping campaigns, a staff member who moves,
posts, a closed month, twice), the uplift, and the gift ledger's refusals: numbers worked out by hand."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum

from campaigns.models import BonusRule, CampaignScore, GiftRecord
from campaigns.selectors import outlet_leaderboard, staff_leaderboard, uplift
from campaigns.services import campaign_scores_refresh, gift_record
from kpi.models import Fact, MonthClose, Scorecard
from staff.access import scope_for_user
from tests.campaigns.conftest import TODAY
from tests.campaigns.factories import CampaignFactory, focus
from tests.kpi.factories import FactFactory
from tests.kpi.scorecard_factories import published_day
from tests.ledger.factories import points_metric

D = datetime.date
WON = "other_bank_deposits_won"


def _fact(unit, day, value, staff=None, metric=WON):
    return FactFactory(unit=unit, date=day, value=Decimal(value), staff=staff, metric=metric)


@pytest.fixture
def deposits(network):
    """他行揽储 facts (万元) of the outlets' own, around the campaign of 20 November – 10 December."""
    gz0101, gz0102, sz0101 = network["GZ0101"], network["GZ0102"], network["SZ0101"]
    _fact(gz0101, D(2026, 11, 5), "999")  # 15 days before: outside the comparison window
    _fact(gz0101, D(2026, 11, 6), "30")  # the comparison window's first day
    _fact(gz0101, D(2026, 11, 19), "70")  # the day before the campaign
    _fact(gz0101, D(2026, 11, 20), "100")
    _fact(gz0101, D(2026, 11, 30), "50")  # the month's last day
    _fact(gz0101, D(2026, 12, 1), "30")  # the next month's first
    _fact(gz0101, D(2026, 12, 3), "20")
    _fact(gz0102, D(2026, 12, 2), "10")
    _fact(sz0101, D(2026, 11, 25), "500")  # 深圳: not in 广州分行's campaign


@pytest.fixture
def campaign(network):
    """广州分行's 他行揽储: 2 points per 万元 won."""
    campaign = CampaignFactory(unit=network["GZ"])
    focus(campaign, WON, "2")
    return campaign


def _bonus(campaign, **filters) -> Decimal:
    return CampaignScore.objects.filter(campaign=campaign, **filters).aggregate(total=Sum("bonus"))["total"]


def test_a_campaign_across_a_month_end_scores_the_facts_of_both_months_at_two_points_a_wan(campaign, deposits, network):
    campaign_scores_refresh(campaign=campaign, today=TODAY)

    # 天河路: 100 (20 Nov) + 50 (30 Nov) + 30 (1 Dec) + 20 (3 Dec) = 200 万元 × 2 = 400 points; 70 of
    # 19 Nov is before the campaign. 珠江新城: 10 × 2 = 20. 华强北 (深圳) is outside 广州分行's campaign.
    assert _bonus(campaign, unit=network["GZ0101"]) == Decimal("400")
    assert _bonus(campaign, unit=network["GZ0102"]) == Decimal("20")
    assert not CampaignScore.objects.filter(campaign=campaign, unit=network["SZ0101"]).exists()
    # November: (100 + 50) × 2 = 300; December: (30 + 20 + 10) × 2 = 120.
    assert _bonus(campaign, day__month=11) == Decimal("300")
    assert _bonus(campaign, day__month=12) == Decimal("120")


def test_without_a_day_the_scores_count_up_to_the_latest_published_day_not_todays_facts(campaign, network):
    # Published up to 2 December: 100 of the 1st and 40 of the 2nd count (280 points); the 3rd's 60, a
    # day no scorecard, no 时间进度 of the campaign's page has reached yet, waits for its publication.
    _fact(network["GZ0101"], D(2026, 12, 1), "100")
    _fact(network["GZ0101"], D(2026, 12, 2), "40")
    _fact(network["GZ0101"], D(2026, 12, 3), "60")
    published_day(D(2026, 12, 2))

    campaign_scores_refresh(campaign=campaign)

    assert _bonus(campaign) == Decimal("280")
    assert CampaignScore.objects.filter(campaign=campaign).latest("day").day == D(2026, 12, 2)


def test_the_outlet_leaderboard_ranks_by_bonus_with_the_target_attainment(campaign, deposits, network, hq_admin):
    campaign.targets.create(unit=network["GZ0101"], metric=campaign.lines.get().metric, value=Decimal("250"))
    campaign_scores_refresh(campaign=campaign, today=TODAY)

    rows = outlet_leaderboard(campaign=campaign, scope=scope_for_user(hq_admin))

    # GZ0101 400, GZ0102 20, GZ0201 0; 天河路's attainment 200 / 250 = 0.8.
    assert [(row.outlet.code, row.rank, row.bonus) for row in rows] == [
        ("GZ0101", 1, Decimal("400")),
        ("GZ0102", 2, Decimal("20")),
        ("GZ0201", 3, Decimal("0")),
    ]
    assert rows[0].figures[0].value == Decimal("200")
    assert rows[0].figures[0].attainment == Decimal("0.8")


def test_the_uplift_compares_the_campaign_days_with_as_many_days_just_before(campaign, deposits, network):
    found = uplift(campaign=campaign, as_of=TODAY)

    # 14 days counted (20 Nov – 3 Dec); before them 6 – 19 Nov. During: 200 (天河路) + 10 (珠江新城) = 210;
    # before: 30 + 70 = 100 (999 of 5 Nov is 15 days before). Uplift 110, (210 − 100) / 100 = 1.1.
    (metric,) = found
    assert (metric.days, metric.during, metric.before) == (14, Decimal("210"), Decimal("100"))
    assert metric.change == Decimal("110")
    assert metric.ratio == Decimal("1.1")


def test_overlapping_campaigns_on_one_metric_each_count_their_own_bonus(campaign, deposits, network):
    sprint = CampaignFactory(unit=network["GZ01"], start=D(2026, 12, 1), end=D(2026, 12, 31))
    focus(sprint, WON, "1")

    campaign_scores_refresh(campaign=campaign, today=TODAY)
    campaign_scores_refresh(campaign=sprint, today=TODAY)

    # The sprint (天河支行, from 1 Dec, 1 point a 万元): 天河路 30 + 20 = 50, 珠江新城 10. The branch's
    # campaign still counts its own: 400 and 20.
    assert _bonus(sprint, unit=network["GZ0101"]) == Decimal("50")
    assert _bonus(sprint, unit=network["GZ0102"]) == Decimal("10")
    assert _bonus(campaign, unit=network["GZ0101"]) == Decimal("400")
    assert _bonus(campaign, unit=network["GZ0102"]) == Decimal("20")


def test_a_staff_member_who_moves_mid_campaign_is_credited_at_the_outlet_of_each_fact(
    campaign, network, mover, hq_admin
):
    _fact(network["GZ0101"], D(2026, 11, 25), "40", staff=mover)
    _fact(network["GZ0102"], D(2026, 12, 2), "25", staff=mover)
    campaign_scores_refresh(campaign=campaign, today=TODAY)
    scope = scope_for_user(hq_admin)

    (row,) = staff_leaderboard(campaign=campaign, scope=scope)
    # 40 × 2 = 80 at 天河路 (November), 25 × 2 = 50 at 珠江新城 (December): 130 in all.
    assert row.bonus == Decimal("130")
    assert [(outlet.code, bonus) for outlet, bonus in row.outlets] == [
        ("GZ0101", Decimal("80")),
        ("GZ0102", Decimal("50")),
    ]
    (at_new_outlet,) = staff_leaderboard(campaign=campaign, scope=scope, unit=network["GZ0102"])
    assert at_new_outlet.bonus == Decimal("50")
    # The staff facts stay off the outlets' board (an outlet's figure is its own fact).
    assert all(row.bonus == 0 for row in outlet_leaderboard(campaign=campaign, scope=scope))


def test_only_the_posts_taking_part_count_staff_facts(campaign, deposits, network, mover, teller_staff):
    campaign.posts.add(mover.assignments.first().post)  # customer managers only
    _fact(network["GZ0101"], D(2026, 11, 25), "40", staff=mover)
    _fact(network["GZ0101"], D(2026, 11, 25), "15", staff=teller_staff)

    campaign_scores_refresh(campaign=campaign, today=TODAY)

    # The customer manager's 40 × 2 = 80 counts; the teller's 15 does not; the outlet's own facts do.
    assert _bonus(campaign, staff=mover) == Decimal("80")
    assert not CampaignScore.objects.filter(campaign=campaign, staff=teller_staff).exists()
    assert _bonus(campaign, unit=network["GZ0101"], staff=None) == Decimal("400")


def test_a_multiplier_multiplies_a_points_metric(network, teller_staff):
    campaign = CampaignFactory(unit=network["GZ"])
    focus(campaign, points_metric(), "1.5", rule=BonusRule.MULTIPLIER)
    FactFactory(
        unit=network["GZ0101"], staff=teller_staff, metric=points_metric(), date=D(2026, 11, 21), value=Decimal("12.5")
    )

    campaign_scores_refresh(campaign=campaign, today=TODAY)

    # 12.5 points × 1.5 = 18.75 bonus points.
    assert _bonus(campaign, staff=teller_staff) == Decimal("18.75")


def test_the_uplift_of_a_metric_reported_per_staff_member_sums_the_staffs_facts(network, teller_staff):
    # 台账积分 has no outlet facts: the teller's 12.5 + 7.5 = 20 points during (20 Nov – 3 Dec), her 6 of
    # 10 November before (6 – 19 Nov); 5 of 1 November is outside both.
    campaign = CampaignFactory(unit=network["GZ"])
    points = points_metric()
    focus(campaign, points, "1", rule=BonusRule.MULTIPLIER)
    for day, value in (
        (D(2026, 11, 1), "5"),
        (D(2026, 11, 10), "6"),
        (D(2026, 11, 21), "12.5"),
        (D(2026, 12, 2), "7.5"),
    ):
        FactFactory(unit=network["GZ0101"], staff=teller_staff, metric=points, date=day, value=Decimal(value))

    (metric,) = uplift(campaign=campaign, as_of=TODAY)

    assert (metric.days, metric.during, metric.before, metric.change) == (
        14,
        Decimal("20"),
        Decimal("6"),
        Decimal("14"),
    )


def test_computing_twice_writes_the_same_rows(campaign, deposits):
    first = campaign_scores_refresh(campaign=campaign, today=TODAY)
    second = campaign_scores_refresh(campaign=campaign, today=TODAY)

    # 4 facts of 天河路 and 1 of 珠江新城 in the window: 5 rows, once.
    assert first == second == 5
    assert CampaignScore.objects.filter(campaign=campaign).count() == 5
    assert _bonus(campaign) == Decimal("420")


def test_a_month_closed_mid_campaign_keeps_its_figures_and_pay_is_never_touched(campaign, deposits, network):
    campaign_scores_refresh(campaign=campaign, today=TODAY)
    MonthClose.objects.create(month=D(2026, 11, 1))
    facts, scorecards = Fact.objects.count(), Scorecard.objects.count()
    line = campaign.lines.get()
    line.factor = Decimal("3")
    line.save()

    campaign_scores_refresh(campaign=campaign, today=TODAY)

    # November is closed: its days keep 2 points a 万元, (100 + 50) × 2 = 300. December is open and
    # follows the new rule: (30 + 20 + 10) × 3 = 180. No fact or scorecard is written by a campaign.
    assert _bonus(campaign, day__month=11) == Decimal("300")
    assert _bonus(campaign, day__month=12) == Decimal("180")
    assert (Fact.objects.count(), Scorecard.objects.count()) == (facts, scorecards)


def test_a_campaign_not_yet_started_scores_nothing(network, deposits):
    later = CampaignFactory(unit=network["GZ"], start=D(2026, 12, 20), end=D(2026, 12, 31))
    focus(later, WON, "2")

    assert campaign_scores_refresh(campaign=later, today=TODAY) == 0
    assert uplift(campaign=later, as_of=TODAY) == []


# -- the gift ledger ---------------------------------------------------------------------------------


@pytest.fixture
def gift_campaign(network):
    """积分送好礼 at 广州分行: a budget of 1,000 yuan, at most 100 yuan a customer."""
    return CampaignFactory(
        unit=network["GZ"], name_zh="积分送好礼", gift_budget=Decimal("1000"), gift_limit_per_customer=Decimal("100")
    )


GIFT_DAY = D(2026, 12, 1)


def _give(scope, campaign, staff, value, customer="C0001024", day=GIFT_DAY, **kwargs):
    return gift_record(
        scope=scope,
        user=None,
        campaign=campaign,
        staff=staff,
        day=day,
        customer_code=customer,
        item=kwargs.pop("item", "食用油礼盒"),
        value=Decimal(value),
        today=TODAY,
        **kwargs,
    )


def test_a_gift_over_the_budget_is_refused_with_the_figures_and_writes_nothing(
    gift_campaign, outlet_head, teller_staff
):
    scope = scope_for_user(outlet_head)
    for number in range(1, 7):  # 6 customers × 100 = 600 yuan
        _give(scope, gift_campaign, teller_staff, "100", customer=f"C000{number}")
    _give(scope, gift_campaign, teller_staff, "100", customer="C0007")
    _give(scope, gift_campaign, teller_staff, "100", customer="C0008")
    _give(scope, gift_campaign, teller_staff, "100", customer="C0009")  # 900 given, 100 left

    with pytest.raises(ValidationError) as refused:
        _give(scope, gift_campaign, teller_staff, "100.01", customer="C0010")

    assert refused.value.message_dict["value"] == [
        "Over the gift budget: 900.00 of 1,000.00 yuan given, 100.00 left; this gift is 100.01."
    ]
    assert GiftRecord.objects.count() == 9
    _give(scope, gift_campaign, teller_staff, "100", customer="C0010")  # exactly the budget: taken
    assert GiftRecord.objects.aggregate(total=Sum("value"))["total"] == Decimal("1000")


def test_a_gift_over_the_limit_per_customer_is_refused(gift_campaign, outlet_head, teller_staff):
    scope = scope_for_user(outlet_head)
    _give(scope, gift_campaign, teller_staff, "60")

    with pytest.raises(ValidationError) as refused:
        _give(scope, gift_campaign, teller_staff, "50")  # 60 + 50 = 110 > 100

    assert refused.value.message_dict["customer_code"] == [
        "Over the limit per customer: this customer has received 60.00 of 100.00 yuan in the campaign; "
        "this gift is 50.00."
    ]
    assert GiftRecord.objects.count() == 1
    _give(scope, gift_campaign, teller_staff, "40")  # 60 + 40 = 100: taken
    _give(scope, gift_campaign, teller_staff, "50", customer="C0002048")  # another customer
    assert GiftRecord.objects.count() == 3


def test_a_gift_is_recorded_at_the_outlet_where_its_giver_works_that_day(
    gift_campaign, outlet_head, unit_manager, mover
):
    gift = _give(scope_for_user(unit_manager), gift_campaign, mover, "30", day=D(2026, 11, 28))
    later = _give(scope_for_user(unit_manager), gift_campaign, mover, "30", customer="C0002", day=D(2026, 12, 2))

    assert (gift.unit.code, later.unit.code) == ("GZ0101", "GZ0102")


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"day": D(2026, 11, 19)}, "day"),  # before the campaign
        ({"day": D(2026, 12, 4)}, "day"),  # after today
        ({"customer": "440106199001011234"}, "customer_code"),  # an identity number
        ({"customer": ""}, "customer_code"),
        ({"item": "  "}, "item"),
    ],
)
def test_a_gift_with_a_bad_field_is_refused_and_writes_nothing(
    gift_campaign, outlet_head, teller_staff, changes, field
):
    with pytest.raises(ValidationError) as refused:
        _give(scope_for_user(outlet_head), gift_campaign, teller_staff, "20", **changes)

    assert field in refused.value.message_dict
    assert not GiftRecord.objects.exists()


def test_a_teller_records_her_own_gifts_and_not_a_colleagues(gift_campaign, teller, teller_staff, mover):
    scope = scope_for_user(teller)
    _give(scope, gift_campaign, teller_staff, "20")

    with pytest.raises(ValidationError) as refused:
        _give(scope, gift_campaign, mover, "20", customer="C0002", day=D(2026, 11, 28))

    assert "staff" in refused.value.message_dict
    assert GiftRecord.objects.count() == 1


def test_an_outlet_head_records_no_gift_for_another_outlets_staff(gift_campaign, outlet_head, mover):
    with pytest.raises(ValidationError) as refused:
        _give(scope_for_user(outlet_head), gift_campaign, mover, "20", day=D(2026, 12, 2))  # 珠江新城 by then

    assert "staff" in refused.value.message_dict


def test_a_campaign_without_a_budget_takes_no_gift(campaign, outlet_head, teller_staff):
    with pytest.raises(ValidationError) as refused:
        _give(scope_for_user(outlet_head), campaign, teller_staff, "20")

    assert "campaign" in refused.value.message_dict


def test_the_command_computes_one_campaign_and_refuses_an_unknown_code(campaign, deposits):
    import io

    from django.core.management import CommandError, call_command

    out = io.StringIO()
    call_command("campaign_scores", f"--code={campaign.code}", stdout=out)

    # Up to the real today every fact of the window counts: 5 rows (4 of 天河路, 1 of 珠江新城).
    assert out.getvalue() == f"{campaign.code}: 5 score rows\n"
    with pytest.raises(CommandError):
        call_command("campaign_scores", "--code=nope")
