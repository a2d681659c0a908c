"""What campaigns tells the bulletin and the push (kpi.bulletin_sections), and what it hears from kpi
(day_published): on the ranked network of tests/kpi/ranking_data.py, whose outlets report mobile banking
sign-ups on 14 and 15 November 2026."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from campaigns.models import CampaignScore
from campaigns.receivers import bulletin_sections as campaign_sections
from campaigns.services import campaign_scores_refresh
from kpi.bulletin_sections import SectionRow, bulletin_sections
from kpi.selectors.freshness import Freshness
from kpi.signals import day_published
from lib.periods import PeriodKind
from notify.messages import summary_message
from notify.selectors import DaySummary
from staff.access import Scope, scope_for_user
from tests.campaigns.factories import CampaignFactory, focus
from tests.kpi.ranking_data import DAY, ranked, shared_ranking  # noqa: F401  (fixtures: scored outlets, rolled up once)

pytestmark = pytest.mark.django_db


@pytest.fixture
def signups_push(ranked):  # noqa: F811
    """广州分行's 手机银行 push from 10 to 30 November, 1 point a sign-up. Sign-ups of the 14th and 15th:
    GZ0101 20 + 35 = 55, GZ0102 50 + 0 = 50, GZ0103 30 + 20 = 50, GZ0104 20 + 26 = 46."""
    campaign = CampaignFactory(
        code="signups_push",
        name_zh="手机银行冲刺",
        name_en="Mobile banking sprint",
        unit=ranked["GZ"],
        start=datetime.date(2026, 11, 10),
        end=datetime.date(2026, 11, 30),
    )
    focus(campaign, "mobile_banking_signups", "1")
    campaign_scores_refresh(campaign=campaign, today=DAY)
    return campaign


def test_the_bulletin_of_a_sub_branch_shows_the_campaigns_top_three_of_its_outlets(signups_push, ranked):  # noqa: F811
    with translation.override("en"):
        (section,) = bulletin_sections(scope=Scope(unit_path=ranked["GZ01"].path), day=DAY, unit=ranked["GZ01"])

    # 55, 50, 50: ranks 1, 2, 2 (珠江新城 before 体育西 by path); 石牌's 46 is fourth, left out.
    assert [(row.rank, row.score) for row in section.rows] == [(1, Decimal(55)), (2, Decimal(50)), (2, Decimal(50))]
    assert section.key == "campaign:signups_push"
    assert section.title == "Campaign · Mobile banking sprint"


def test_no_section_on_a_day_outside_the_campaign_or_for_a_reader_who_does_not_see_it(signups_push, ranked):  # noqa: F811
    assert campaign_sections(scope=Scope(everything=True), day=datetime.date(2026, 12, 1), unit=None) == []
    # 深圳分行's reader sees no campaign of 广州分行.
    assert campaign_sections(scope=Scope(unit_path=ranked["SZ"].path), day=DAY, unit=ranked["SZ"]) == []


def test_the_bulletin_page_shows_the_campaign_beside_the_ranking(client, signups_push, ranked, hq_admin):  # noqa: F811
    client.force_login(hq_admin)

    page = client.get("/bulletin/", {"unit": "GZ01", "date": DAY.isoformat()}).content.decode()

    assert "手机银行冲刺" in page
    assert "/campaigns/signups_push/" in page


def test_the_push_carries_the_campaign_and_its_fingerprint_moves_with_it(signups_push, ranked, settings):  # noqa: F811
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        sections = bulletin_sections(scope=Scope(unit_path=ranked["GZ"].path), day=DAY, unit=ranked["GZ"])
    now = datetime.datetime(2026, 11, 16, 8, 30, tzinfo=datetime.UTC)
    freshness = Freshness(day=DAY, expected=0, reported=0, missing=[], due_at=now, now=now)
    summary = DaySummary(ranked["GZ"], DAY, PeriodKind.MONTH, "2026-11", freshness, [], [], "https://x/", sections)

    text = summary_message(summary).plain_text()

    assert "Campaign · Mobile banking sprint" in text
    assert "1 Tianhe Road Outlet 55.00" in text
    moved = [
        type(section)(**{**section.__dict__, "rows": [SectionRow(1, "天河路网点", Decimal(56))]})
        for section in sections
    ]
    assert DaySummary(*[*summary.__dict__.values()][:-1], moved).fingerprint() != summary.fingerprint()


def test_a_published_day_computes_the_running_campaigns_scores(signups_push, ranked):  # noqa: F811
    CampaignScore.objects.all().delete()

    day_published.send_robust(sender=None, day=DAY, run=None)

    # The receiver queues campaigns.tasks.refresh_scores (eager in tests): 55 + 50 + 50 + 46 = 201.
    assert sum(CampaignScore.objects.values_list("bonus", flat=True)) == Decimal(201)


def test_an_outlet_head_reads_the_section_of_hqs_campaign_in_her_peer_group(ranked, outlet_head):  # noqa: F811
    campaign = CampaignFactory(
        code="hq_push", unit=ranked["HQ"], start=datetime.date(2026, 11, 1), end=datetime.date(2026, 11, 30)
    )
    focus(campaign, "mobile_banking_signups", "1")
    campaign_scores_refresh(campaign=campaign, today=DAY)
    outlets = [ranked["GZ0101"], ranked["GZ0104"]]

    (section,) = bulletin_sections(scope=scope_for_user(outlet_head), day=DAY, outlets=outlets)

    # Only the outlets shown: 天河路 55 first, 石牌 46 second.
    assert [(row.rank, row.score) for row in section.rows] == [(1, Decimal(55)), (5, Decimal(46))]
