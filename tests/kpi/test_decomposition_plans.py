"""The split arithmetic a plan's page uses (kpi.services.decomposition: split_equally, split_by_basis,
split_over_time), every part worked out by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kpi.services.decomposition import SplitProblem, split_by_basis, split_equally, split_over_time
from lib.periods import parse_period


def dec(*values) -> list[Decimal]:
    return [Decimal(str(value)) for value in values]


def test_equal_parts_put_the_remainder_on_the_last_of_the_largest():
    # 100 / 3 = 33.333…: 33.33 + 33.33 + 33.34.
    assert list(split_equally(Decimal(100), ["A", "B", "C"]).values()) == dec("33.33", "33.33", "33.34")


def test_a_level_gives_every_part_the_whole():
    assert split_equally(Decimal(85), ["A", "B"], adds_up=False) == {"A": Decimal(85), "B": Decimal(85)}


def test_a_negative_or_missing_basis_is_counted_as_zero_and_said_so():
    split = split_by_basis(Decimal(1000), {"A": Decimal(300), "B": Decimal(-50), "C": Decimal(100), "D": None})

    # Weights 300 : 0 : 100 : 0 → 750, 0, 250, 0.
    assert list(split.values.values()) == dec("750.00", "0.00", "250.00", "0.00")
    assert (split.floored, split.missing, split.equal_fallback) == (("B",), ("D",), False)


def test_when_no_basis_is_above_zero_the_parts_are_equal_instead():
    split = split_by_basis(Decimal(10), {"A": Decimal(-1), "B": Decimal(0), "C": None})
    # 10 / 3: 3.33 + 3.33 + 3.34.
    assert list(split.values.values()) == dec("3.33", "3.33", "3.34")
    assert split.equal_fallback and split.zero == ("B",)


def test_asking_for_equal_shares_on_any_basis_of_zero_or_below_splits_equally():
    split = split_by_basis(Decimal(900), {"A": Decimal(600), "B": Decimal(0)}, on_nonpositive="equal")
    assert list(split.values.values()) == dec("450.00", "450.00") and split.equal_fallback


def test_proportional_parts_add_up_exactly_with_the_remainder_on_the_largest_weight():
    # 1000 by 1 : 2 : 3 → 166.67, 333.33, 500.00 (the largest weight takes the remainder, here none).
    split = split_by_basis(Decimal(1000), {"A": Decimal(1), "B": Decimal(2), "C": Decimal(3)})
    assert list(split.values.values()) == dec("166.67", "333.33", "500.00")
    # 100 by 1 : 1 : 1 : 3 → 16.67 ×3 = 50.01, so the 3-weight part is 50 − 0.01 = 49.99.
    split = split_by_basis(Decimal(100), {"A": Decimal(1), "B": Decimal(1), "C": Decimal(1), "D": Decimal(3)})
    assert list(split.values.values()) == dec("16.67", "16.67", "16.67", "49.99")
    assert sum(split.values.values()) == Decimal(100)


def test_a_quarter_over_its_months_by_weights_and_a_level_held_in_each():
    quarter = parse_period("2027-Q1")
    parts = split_over_time(Decimal(100), quarter, "month", dec(2, 1, 1), adds_up=True)
    assert [(period.code, value) for period, value in parts] == [
        ("2027-01", Decimal("50.00")),
        ("2027-02", Decimal("25.00")),
        ("2027-03", Decimal("25.00")),
    ]
    levels = split_over_time(Decimal(85), quarter, "month", None, adds_up=False)
    assert [value for _period, value in levels] == [Decimal(85)] * 3
    with pytest.raises(SplitProblem):
        split_over_time(Decimal(100), quarter, "month", dec(1, 1), adds_up=True)
