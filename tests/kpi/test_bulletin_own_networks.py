"""The daily bulletin (每日通报) on networks of its tests' own, apart from test_bulletin.py, whose tests
share one ranked network per module (tests/kpi/ranking_data.py; a module's shared data is there for
each of its tests): a template without key metrics, 3 or 30 outlets for the query counts, an outlet
without a peer group."""

from __future__ import annotations

import pytest
from django.utils import translation

from branches.models import PeerGroup
from branches.services import peer_groups_rebuild
from kpi.models import LineKind
from kpi.selectors import bulletin as bulletin_reads
from tests.factories import OrgUnitFactory
from tests.kpi.ranking_data import DAY, PREVIOUS, fact, month_targets, outlet_template, roll, scored_day

URL = "/bulletin/"
pytestmark = pytest.mark.django_db


def group(code: str) -> PeerGroup:
    return PeerGroup.objects.get(code=code)


def _page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_a_template_without_key_metrics_shows_its_first_four_lines(network):
    outlet = network["GZ0101"]
    codes = ["customers_served", "mobile_banking_signups", "new_merchants", "customer_visits", "wealth_sales"]
    outlet_template(lines=[(code, LineKind.WEIGHTED, {"weight": 20}) for code in codes])
    month_targets(outlet)  # targets for the first two only: the others have no status
    scored_day(outlet, (150, 50), DAY)
    fact(outlet, "new_merchants", 3, DAY)
    roll(DAY)

    (row,) = bulletin_reads.bulletin_rows(date=DAY, period="month", unit=outlet)

    assert [(chip.metric.code, chip.status) for chip in row.chips] == [
        ("customers_served", "green"),
        ("mobile_banking_signups", "green"),
        ("new_merchants", None),
        ("customer_visits", None),
    ]
    with translation.override("en"):
        assert str(row.chips[2].label) == "No target"


@pytest.fixture(params=[3, 30], ids=["3 outlets", "30 outlets"])
def wide(request, network):
    """A sub-branch with 3 or 30 scored outlets, rolled up on the 14th and 15th."""
    sub_branch = OrgUnitFactory.sub_branch_of(network["GZ"], code="GZ09")
    outlet_template()
    for number in range(request.param):
        outlet = OrgUnitFactory.outlet_of(sub_branch, code=f"GZ09{number:02d}")
        month_targets(outlet)
        scored_day(outlet, (100 + number, 30), PREVIOUS)
        scored_day(outlet, (50 - number, 20), DAY)
    peer_groups_rebuild()
    roll(PREVIOUS, DAY)
    return request.param


def test_the_number_of_queries_does_not_grow_with_the_outlets(wide, django_assert_max_num_queries):
    peer_group = group("GZ09-urban")
    sub_branch = peer_group.parent_unit

    # The five of the ranking, + HQ's cut-off and who reported the day and the day before (freshness).
    with django_assert_max_num_queries(8):
        by_group = bulletin_reads.bulletin_rows(date=DAY, period="month", group=peer_group)
    with django_assert_max_num_queries(8):
        by_unit = bulletin_reads.bulletin_rows(date=DAY, period="month", unit=sub_branch)

    assert len(by_group) == len(by_unit) == wide
    assert all(len(row.chips) == 2 for row in by_group)


def test_the_page_issues_a_fixed_number_of_queries(wide, client, hq_admin, django_assert_max_num_queries):
    client.force_login(hq_admin)

    # + the header's alert badge, + the day's notes (标注), + freshness (the cut-off, who reported the day
    # and the day before), + the campaigns app's bulletin section (kpi.bulletin_sections): the campaigns
    # running on the day, one query whatever the outlets (none runs here, so no leaderboard is read)
    with django_assert_max_num_queries(18):
        page = _page(client.get(URL, {"group": "GZ09-urban", "date": "2026-11-15"}))

    assert page.count('<td class="move">') == wide


def test_an_outlet_head_without_a_peer_group_is_told_so(english, outlet_head, network):
    english.force_login(outlet_head)

    assert "not in a peer group yet" in _page(english.get(URL))
