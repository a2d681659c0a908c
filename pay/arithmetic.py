"""The arithmetic of pay, in exact decimals: money to the fen (0.01 元), rounded half up.

Tiered piece rates are marginal (超额累进, like tax brackets): each tier's rate pays only the units that
fall inside the tier. Whole-volume tiers (the rate of the tier reached pays every unit) put a cliff at
each boundary: on 0–10 at 5 元, 10–30 at 8 元, above 30 at 12 元, the 30th sign-up would be worth 160 元
and a teller at 29 on the 30th would hold a sale over to the next month. Marginal tiers pay every unit
at least the rate of the tier it falls in, and the total never jumps.

    35 units, marginal:      10 × 5 + 20 × 8 + 5 × 12 = 50 + 160 + 60 = 270.00 元
    35 units, whole-volume:  35 × 12                                  = 420.00 元

A team pool is shared in proportion to scores by the largest remainder method (Hamilton): every part is
first rounded down to the fen, then the fen left over go one each to the parts with the largest
remainders (ties: the larger score, then the key's order), so the parts add up to the pool exactly.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from itertools import pairwise

from django.utils.translation import gettext as _

FEN = Decimal("0.01")
ZERO = Decimal(0)


def plain(value: Decimal | None) -> str | None:
    """A volume or a score as exact text without trailing zeros or an exponent: 10, 12.5, 0.0001."""
    if value is None:
        return None
    normalized = value.normalize()
    if normalized == normalized.to_integral():
        return str(normalized.quantize(Decimal(1)))
    return format(normalized, "f")


def to_fen(amount: Decimal) -> Decimal:
    """Money to the fen, half up: 12.345 → 12.35, -12.345 → -12.35."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Tier:
    """Units from `start` up to `end` (None: and above) pay `rate` 元 each."""

    start: Decimal
    end: Decimal | None
    rate: Decimal


@dataclass(frozen=True)
class TierPart:
    tier: Tier
    units: Decimal
    amount: Decimal  # units × rate, to the fen

    def as_basis(self) -> dict:
        return {
            "from": plain(self.tier.start),
            "to": plain(self.tier.end),
            "rate": str(self.tier.rate),
            "units": plain(self.units),
            "amount": str(self.amount),
        }


def tiered_amount(volume: Decimal, tiers: Iterable[Tier]) -> tuple[Decimal, list[TierPart]]:
    """What `volume` units earn on marginal tiers, and the part of each tier reached. A volume of 0 or
    less (a month of reversed sales) earns nothing: piece rates never take pay away."""
    parts: list[TierPart] = []
    volume = max(volume, ZERO)
    for tier in sorted(tiers, key=lambda tier: tier.start):
        top = volume if tier.end is None else min(volume, tier.end)
        units = top - tier.start
        if units <= 0:
            continue
        parts.append(TierPart(tier=tier, units=units, amount=to_fen(units * tier.rate)))
    return sum((part.amount for part in parts), ZERO), parts


def tiers_problem(tiers: Iterable[Tier]) -> str | None:
    """Why these tiers cannot be used, or None: the first starts at 0, each starts where the one before
    ended, only the last is open-ended, rates are 0 or more."""
    ordered = sorted(tiers, key=lambda tier: tier.start)
    if not ordered:
        return _("A piece rate needs at least one tier.")
    if ordered[0].start != 0:
        return _("The first tier starts at 0.")
    for before, after in pairwise(ordered):
        if before.end is None:
            return _("Only the last tier may be open-ended (no upper bound).")
        if after.start != before.end:
            return _("Each tier starts where the one before it ends.")
    for tier in ordered:
        if tier.end is not None and tier.end <= tier.start:
            return _("A tier ends above where it starts.")
        if tier.rate < 0:
            return _("A rate is 0 or more.")
    return None


def shares_by_score(pool: Decimal, scores: Mapping[Hashable, Decimal]) -> dict[Hashable, Decimal]:
    """`pool` 元 shared in proportion to `scores` (each > 0), to the fen, adding up to `pool` exactly.

    10,000.00 over scores 91, 87, 72 (250 points, 40 元 a point): 3,640.00, 3,480.00 and 2,880.00.
    10,000.00 over 91, 87, 72, 50 (300 points): 3,033.33|3, 2,900.00, 2,400.00, 1,666.66|67 rounded
    down make 9,999.99; the fen left goes to the largest remainder (0.67 of a fen): 1,666.67.
    """
    keys = [key for key, score in scores.items() if score > 0]
    total = sum((scores[key] for key in keys), ZERO)
    if not keys or total <= 0:
        return {}
    exact = {key: pool * scores[key] / total for key in keys}
    parts = {key: value.quantize(FEN, rounding=ROUND_DOWN) for key, value in exact.items()}
    left = int(((pool - sum(parts.values(), ZERO)) / FEN).to_integral_value())
    order = sorted(keys, key=lambda key: (-(exact[key] - parts[key]), -scores[key], str(key)))
    for key in order[:left]:
        parts[key] += FEN
    return parts
