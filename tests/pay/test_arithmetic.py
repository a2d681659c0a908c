"""The arithmetic of pay (pay/arithmetic.py): marginal tiers, fen rounding and the pool's exact shares."""

from __future__ import annotations

from decimal import Decimal

from django.utils import translation

from pay.arithmetic import Tier, shares_by_score, tiered_amount, tiers_problem, to_fen

D = Decimal
TIERS = [Tier(D(0), D(10), D(5)), Tier(D(10), D(30), D(8)), Tier(D(30), None, D(12))]


def test_35_units_on_tiers_of_5_8_and_12_yuan_earn_270_marginally_not_the_420_of_whole_volume_tiers():
    amount, parts = tiered_amount(D(35), TIERS)

    # Marginal (超额累进): 10 × 5 + 20 × 8 + 5 × 12 = 50 + 160 + 60 = 270.00.
    assert amount == D("270.00")
    assert [(part.units, part.amount) for part in parts] == [
        (D(10), D("50.00")),
        (D(20), D("160.00")),
        (D(5), D("60.00")),
    ]
    # Whole-volume tiers would pay every unit the top tier's rate reached: 35 × 12 = 420.00.
    assert amount != 35 * D(12)


def test_a_volume_inside_the_first_tier_pays_only_that_tier():
    amount, parts = tiered_amount(D(8), TIERS)

    assert amount == D("40.00")  # 8 × 5
    assert len(parts) == 1


def test_a_volume_on_a_tier_boundary_pays_no_unit_of_the_next_tier():
    # 30 units: 10 × 5 + 20 × 8 = 210.00; the 30th unit is the last of the second tier, the total does not jump.
    assert tiered_amount(D(30), TIERS)[0] == D("210.00")
    assert tiered_amount(D(31), TIERS)[0] == D("222.00")  # + 1 × 12


def test_a_fractional_volume_is_paid_to_the_fen_half_up():
    # 12.345 万元 of wealth sales at 3.30 元 per 万元: 40.7385 → 40.74.
    amount, _parts = tiered_amount(D("12.345"), [Tier(D(0), None, D("3.30"))])

    assert amount == D("40.74")
    assert to_fen(D("0.005")) == D("0.01") and to_fen(D("-0.005")) == D("-0.01")


def test_no_volume_or_a_reversed_one_earns_nothing():
    assert tiered_amount(D(0), TIERS) == (D(0), [])
    assert tiered_amount(D("-3.5"), TIERS) == (D(0), [])


@translation.override("en")
def test_tiers_must_start_at_0_follow_each_other_and_end_open_only_last():
    assert tiers_problem(TIERS) is None
    assert tiers_problem([]) == "A piece rate needs at least one tier."
    assert tiers_problem([Tier(D(5), None, D(1))]) == "The first tier starts at 0."
    assert tiers_problem([Tier(D(0), D(10), D(1)), Tier(D(12), None, D(2))]) == (
        "Each tier starts where the one before it ends."
    )
    assert tiers_problem([Tier(D(0), None, D(1)), Tier(D(10), None, D(2))]) == (
        "Only the last tier may be open-ended (no upper bound)."
    )
    assert tiers_problem([Tier(D(0), D(0), D(1))]) == "A tier ends above where it starts."
    assert tiers_problem([Tier(D(0), None, D(-1))]) == "A rate is 0 or more."


def test_a_pool_of_10000_over_scores_91_87_and_72_is_40_yuan_a_point_with_nothing_left():
    shares = shares_by_score(D("10000.00"), {"S1": D(91), "S2": D(87), "S3": D(72)})

    # 10,000 / 250 points = 40.00 a point: 3,640.00 + 3,480.00 + 2,880.00 = 10,000.00.
    assert shares == {"S1": D("3640.00"), "S2": D("3480.00"), "S3": D("2880.00")}


def test_the_fen_left_after_rounding_down_goes_to_the_largest_remainder_so_the_pool_adds_up():
    shares = shares_by_score(D("10000.00"), {"S1": D(91), "S2": D(87), "S3": D(72), "S4": D(50)})

    # 300 points: 3,033.333…, 2,900, 2,400, 1,666.666…; rounded down 9,999.99; the fen goes to the
    # largest remainder (0.67 of a fen, S4's), not to the largest score.
    assert shares == {"S1": D("3033.33"), "S2": D("2900.00"), "S3": D("2400.00"), "S4": D("1666.67")}
    assert sum(shares.values()) == D("10000.00")


def test_two_fen_left_over_three_equal_scores_go_to_the_first_two_by_key():
    shares = shares_by_score(D("100.00"), {"b": D(80), "a": D(80), "c": D(80)})

    # 33.333… each: 33.33 × 3 = 99.99, one fen left; equal remainders and scores: by key, "a" first.
    assert shares == {"a": D("33.34"), "b": D("33.33"), "c": D("33.33")}


def test_a_score_of_0_takes_no_share_and_no_scores_share_nothing():
    assert shares_by_score(D("500.00"), {"S1": D("87.5"), "S2": D(0)}) == {"S1": D("500.00")}
    assert shares_by_score(D("500.00"), {"S1": D(0)}) == {}
