"""A pay line in words (pay/explain.py): the arithmetic a team pool's share rests on, and the fen the
largest remainder moved (pay.arithmetic.shares_by_score) said where the shown formula would not add up."""

from __future__ import annotations

from decimal import Decimal

from django.utils import translation

from pay.arithmetic import shares_by_score
from pay.explain import line_details
from pay.models import LineKind, PaySheetLine

D = Decimal


def pool_line(pool: str, scores: dict[str, Decimal], who: str) -> PaySheetLine:
    share = shares_by_score(D(pool), scores)[who]
    basis = {"pool": pool, "score": str(scores[who]), "scores_total": str(sum(scores.values())), "sharing": len(scores)}
    return PaySheetLine(kind=LineKind.POOL, gross=share, amount=share, basis=basis)


def test_a_share_that_took_the_fen_left_over_says_its_exact_figure_and_why_it_differs():
    # 100.00 元 over three equal scores: 33.3333 each, cut to 33.33 three times = 99.99; the fen left goes to
    # the first in the key order (equal remainders, equal scores): A is paid 33.34, B and C 33.33.
    scores = {"A": D(80), "B": D(80), "C": D(80)}

    with translation.override("en"):
        a_details = line_details(pool_line("100.00", scores, "A"), {})
        b_details = line_details(pool_line("100.00", scores, "B"), {})

    assert a_details == [
        "100.00 元 × 80.00 of 240.00 points (3 people) = 33.34 元",
        "Exactly 33.3333 元: each share is cut to the fen and the fen left over go to the largest remainders, "
        "so the 3 shares add up to 100.00 元.",
    ]
    # 33.3333 rounds to the 33.33 B is paid: the formula adds up as written, nothing more is said.
    assert b_details == ["100.00 元 × 80.00 of 240.00 points (3 people) = 33.33 元"]


def test_a_share_cut_down_by_the_remainder_rule_says_its_exact_figure_too():
    # 100.00 元 over scores 33.336, 33.337 and 33.327 (100 points): exactly 33.336, 33.337 and 33.327 元; cut to
    # the fen, 33.33 + 33.33 + 33.32 = 99.98, and the two fen left go to the larger remainders (0.7 of a fen, B
    # and C), not to A's 0.6. A is paid 33.33 where "33.34 of 100.00 points" rounded alone would say 33.34.
    scores = {"A": D("33.336"), "B": D("33.337"), "C": D("33.327")}

    with translation.override("en"):
        details = line_details(pool_line("100.00", scores, "A"), {})

    assert details == [
        "100.00 元 × 33.34 of 100.00 points (3 people) = 33.33 元",
        "Exactly 33.3360 元: each share is cut to the fen and the fen left over go to the largest remainders, "
        "so the 3 shares add up to 100.00 元.",
    ]
