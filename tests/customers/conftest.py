"""The hand-worked population of six customers shared by the tiering, selector, page and API tests.

Default star scheme (DOMAIN.md §6), average daily AUM in 元: 一星 < 10,000 ≤ 二星 < 50,000 ≤ 三星
< 200,000 ≤ 四星 < 1,000,000 ≤ 五星 < 6,000,000 ≤ 私行. Premium = 三星 and above.

           home    Oct 2026                  Nov 2026
    C1     GZ0101  49,999.99  star2          50,000.00  star3     up
    C2     GZ0101  200,000.00 star4          199,999.99 star3     down
    C3     GZ0101  9,999.99   star1          10,000.00  star2     up
    C4     GZ0101  6,000,000  private        —                    lost
    C5     GZ0101  —                         1,000,000  star5     new
    C6     GZ0102  0          star1          −5         star1     same (a negative AUM takes the lowest tier)

C1–C5 are managed by 黄丽娟 (S1001, assigned to GZ0101); C6 has no manager. C1 is 张小三, identity
number 440106199001011234 (masked: 张*三, 440106********1234); C2 is 欧阳娜娜, 110101199003075678
(欧**娜, 110101********5678).

The tiered population is made once for each module whose tests ask for `tiered` (tests/shared_data.py):
those tests only read it (what one writes is undone at its end), and tiering two months per test cost
them about a second each. In such a test `network`, `teller` and `population` are the module's too, as
copies (tests/conftest.py's shared_data_of); a test without `tiered` gets its own.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from customers.services.tiering import tiering_run
from tests.conftest import network_of_the_tests, teller_of
from tests.customers.factories import CustomerFactory, SnapshotFactory
from tests.shared_data import a_copy, as_in_a_test, shared_data

OCT, NOV = datetime.date(2026, 10, 1), datetime.date(2026, 11, 1)


def population_of(network, teller) -> dict:
    manager = teller.staff_member
    figures = {
        "C1": ("GZ0101", manager, "49999.99", "50000.00"),
        "C2": ("GZ0101", manager, "200000.00", "199999.99"),
        "C3": ("GZ0101", manager, "9999.99", "10000.00"),
        "C4": ("GZ0101", manager, "6000000", None),
        "C5": ("GZ0101", manager, None, "1000000"),
        "C6": ("GZ0102", None, "0", "-5"),
    }
    people = {
        "C1": {"name": "张小三", "id_number": "440106199001011234"},
        "C2": {"name": "欧阳娜娜", "id_number": "110101199003075678"},
    }
    customers = {}
    for code, (outlet, rm, october, november) in figures.items():
        customer = CustomerFactory(
            code=code, home_outlet=network[outlet], relationship_manager=rm, **people.get(code, {})
        )
        customers[code] = customer
        for month, aum in ((OCT, october), (NOV, november)):
            if aum is not None:
                SnapshotFactory(customer=customer, month=month, aum_avg_daily=Decimal(aum))
    return customers


@pytest.fixture(scope="module")
def shared_tiered_population(django_db_setup, django_db_blocker) -> dict:
    """The network, the teller and the population tiered for October and November 2026, made once for
    the module (tests/conftest.py's `network` and `teller` are these in a test that asks for `tiered`)."""
    with shared_data(django_db_blocker), as_in_a_test():
        network = network_of_the_tests()
        teller = teller_of(network)
        population = population_of(network, teller)
        tiering_run(month=OCT)
        tiering_run(month=NOV)
        yield {"network": network, "teller": teller, "population": population}


@pytest.fixture
def population(request, network, teller) -> dict:
    """The six customers of the table above, by code, with their snapshots (tiered in a test of `tiered`)."""
    if "tiered" in request.fixturenames:
        return request.getfixturevalue("tiered")
    return population_of(network, teller)


@pytest.fixture
def tiered(shared_tiered_population, db) -> dict:
    """The population tiered for October and November 2026 (the module's)."""
    return a_copy(shared_tiered_population["population"])
