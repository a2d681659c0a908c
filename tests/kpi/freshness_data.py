"""A day one outlet did not report, through the real rollup: freshness before ranking
(kpi.selectors.freshness), for the bulletin, the rankings API and the push (tests/notify).

The Tianhe peer group GZ01-urban of tests/kpi/ranking_data.py (GZ0101–GZ0104, the same template and
November targets: customers served 300, weight 60; mobile banking sign-ups 100, weight 40). Every outlet
has the habit of reporting on Sundays: a fact (new merchants, a metric the template does not score) on
Sunday 1 and Sunday 8 November, two of the four Sundays before the 15th, so each is expected on Sunday
the 15th. GZ0104 (石牌网点) sends nothing for the 15th.

Sunday 2026-11-15, month to date (time progress 15/30: the pace needs 150 served and 50 sign-ups):

  outlet   served  sign-ups   score                                  ranked as
  GZ0101    165       55      60 × 1.1   + 40 × 1.1  = 110             1
  GZ0102    150       50      60 × 1.0   + 40 × 1.0  = 100             2
  GZ0103    150       50      60 × 1.0   + 40 × 1.0  = 100             2
  GZ0104     50       20      60 × 0.3333 + 40 × 0.4 = 36              无数据 (it would have been 4th of 4)

So 3 of 4 are ranked (rank_of 3). HQ's cut-off is 08:00 on Monday the 16th: before it the ranking waits
for GZ0104, from it the ranking is final with GZ0104 named as missing.
"""

from __future__ import annotations

import datetime

import pytest

from branches.models import OrgUnit
from branches.services import peer_groups_rebuild
from tests.conftest import network_of_the_tests
from tests.factories import OrgUnitFactory
from tests.kpi.ranking_data import DAY, FIGURES, PREVIOUS, fact, month_targets, outlet_template, roll, scored_day
from tests.shared_data import as_in_a_test, shared_data

D = datetime.date
HABIT_SUNDAYS = (D(2026, 11, 1), D(2026, 11, 8))
LATE = "GZ0104"
# HQ's default cut-off for the 15th, in the bank's time zone (Asia/Shanghai, UTC+8).
DUE_AT = datetime.datetime(2026, 11, 16, 8, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
BEFORE_CUTOFF = DUE_AT - datetime.timedelta(hours=1)
AFTER_CUTOFF = DUE_AT + datetime.timedelta(minutes=1)


def report(unit: OrgUnit, day: datetime.date) -> None:
    """A fact the template does not score: the outlet has reported the day, its scores unchanged."""
    fact(unit, "new_merchants", 1, day)


def late_of(network) -> dict[str, OrgUnit]:
    """What `late` makes of a network."""
    gz01 = network["GZ01"]
    network["GZ0103"] = OrgUnitFactory.outlet_of(gz01, code="GZ0103", name_zh="体育西网点", name_en="Tiyu West Outlet")
    network["GZ0104"] = OrgUnitFactory.outlet_of(gz01, code="GZ0104", name_zh="石牌网点", name_en="Shipai Outlet")
    peer_groups_rebuild()
    outlet_template()
    for code in ("GZ0101", "GZ0102", "GZ0103", "GZ0104"):
        previous, today = FIGURES[code]
        month_targets(network[code])
        for sunday in HABIT_SUNDAYS:
            report(network[code], sunday)
        scored_day(network[code], previous, PREVIOUS)
        if code != LATE:
            scored_day(network[code], today, DAY)
    roll(PREVIOUS, DAY)
    return network


@pytest.fixture
def late(network) -> dict[str, OrgUnit]:
    """The network with GZ01-urban's four outlets, each in the habit of reporting on Sundays; GZ0104 has
    not reported the 15th. Rolled up on the 14th and 15th. Made for the test; see shared_late_network."""
    return late_of(network)


@pytest.fixture(scope="module")
def shared_late(django_db_setup, django_db_blocker) -> dict:
    """`late`'s network made once for the module (tests/shared_data.py), for modules whose tests only read
    it: scoring and rolling up two days cost each of them seconds. tests/conftest.py's `network` is this
    one in a test that asks for it."""
    with shared_data(django_db_blocker), as_in_a_test():
        yield {"network": late_of(network_of_the_tests())}


@pytest.fixture(name="late")
def shared_late_network(shared_late, network) -> dict[str, OrgUnit]:
    """`late`, the module's: a module takes it with `late = freshness_data.shared_late_network` and
    `shared_late = freshness_data.shared_late`. The test's `network` is the same dict."""
    return network
