"""A pay sheet line in words, in the reader's language: what it is and the arithmetic it rests on, from the
line's stored basis. The page shows it under each line; the lines' download writes it in a column.

Figures follow the number rule (lib.numbers): money in 元 with two decimals and thousands grouped, a
volume with the decimals of its metric's unit (kpi_format's metric_scale), a score with two decimals.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from branches.models import _localized
from kpi.models import Metric
from kpi.templatetags.kpi_format import metric_scale
from lib.numbers import format_number
from pay.arithmetic import to_fen
from pay.models import Gate, LineKind, PaySheet, PaySheetLine


def money(value, *, signed: bool = False) -> str:
    return format_number(value, 2, signed=signed)


def _score(value) -> str:
    return format_number(value, 2)


def _decimal(text: str | None) -> Decimal | None:
    return None if text in (None, "") else Decimal(text)


def _volume(metric: Metric | None, value) -> str:
    return metric_scale(metric).write(value, with_unit=True) if metric is not None else format_number(value, 2)


@dataclass(frozen=True)
class LineText:
    title: str
    details: list[str]
    gate: str  # why the line is not paid, or ""


def line_title(line: PaySheetLine) -> str:
    if line.kind == LineKind.PIECE_RATE and line.metric is not None:
        return _("Piece rate: %(metric)s") % {"metric": line.metric.name}
    if line.kind == LineKind.POOL:
        name = _localized(line.basis.get("unit_name", ""), line.basis.get("unit_name_en", ""))
        return _("Team pool of %(unit)s") % {"unit": name or line.basis.get("unit", "")}
    if line.kind == LineKind.CARRY_OVER and line.source_month:
        return _("Correction of %(month)s (上月补记)") % {"month": f"{line.source_month:%Y-%m}"}
    return str(LineKind(line.kind).label)


def gate_text(line: PaySheetLine, sheet: PaySheet) -> str:
    if line.gate == Gate.VETO:
        return _("Not paid: the scorecard was vetoed (一票否决): %(reason)s") % {"reason": sheet.veto_reason or "—"}
    if line.gate == Gate.MIN_SCORE:
        minimum = sheet.rule.min_score if sheet.rule is not None else None
        return _("Not paid: the score %(score)s is below the minimum of %(minimum)s") % {
            "score": _score(sheet.score or 0),
            "minimum": _score(minimum) if minimum is not None else "—",
        }
    return ""


def metrics_by_code() -> dict[str, Metric]:
    """The catalog by code (a few dozen rows), read once for a page or a download of many lines."""
    return {metric.code: metric for metric in Metric.objects.all()}


# The exact share of a pool is written to the ten-thousandth of a 元: enough to see which way the fen went.
POOL_EXACT_PLACES = 4


def _pool_share_exact(basis: dict) -> Decimal | None:
    """pool × score / the scores' total, unrounded (None where the basis lacks one of them)."""
    pool, score, total = (_decimal(basis.get(key)) for key in ("pool", "score", "scores_total"))
    if pool is None or score is None or not total:
        return None
    return pool * score / total


def line_details(line: PaySheetLine, metrics: dict[str, Metric]) -> list[str]:
    """The arithmetic of a line, one sentence per step."""
    basis = line.basis or {}
    if line.kind == LineKind.POINTS:
        score = _score(_decimal(basis.get("score")) or 0)
        return [
            _("%(score)s points × %(rate)s 元 a point = %(amount)s 元")
            % {"score": score, "rate": money(line.rate), "amount": money(line.gross)}
        ]
    if line.kind == LineKind.PIECE_RATE:
        details = [_("Volume of the month: %(volume)s") % {"volume": _volume(line.metric, line.volume or 0)}]
        for tier in basis.get("tiers", []):
            upper = _decimal(tier.get("to"))
            numbers = {
                "start": _volume(line.metric, _decimal(tier["from"])),
                "end": _volume(line.metric, upper) if upper is not None else "",
                "units": _volume(line.metric, _decimal(tier["units"])),
                "rate": money(_decimal(tier["rate"])),
                "amount": money(_decimal(tier["amount"])),
            }
            if upper is None:
                details.append(_("above %(start)s: %(units)s × %(rate)s 元 = %(amount)s 元") % numbers)
            else:
                details.append(_("%(start)s to %(end)s: %(units)s × %(rate)s 元 = %(amount)s 元") % numbers)
        if not basis.get("tiers"):
            details.append(_("Nothing to pay on this volume."))
        return details
    if line.kind == LineKind.POOL:
        numbers = {
            "pool": money(_decimal(basis.get("pool"))),
            "score": _score(_decimal(basis.get("score")) or 0),
            "total": _score(_decimal(basis.get("scores_total")) or 0),
            "people": basis.get("sharing", 0),
            "amount": money(line.gross),
        }
        if not basis.get("sharing"):
            return [_("%(pool)s 元: nobody reached the conditions to share it this month.") % numbers]
        if not _decimal(basis.get("score")):
            return [_("%(pool)s 元 shared by %(people)s people by score; no share without a score.") % numbers]
        details = [_("%(pool)s 元 × %(score)s of %(total)s points (%(people)s people) = %(amount)s 元") % numbers]
        exact = _pool_share_exact(basis)
        if exact is not None and to_fen(exact) != line.gross:
            # shares_by_score: each share cut to the fen, the fen left over to the largest remainders.
            details.append(
                _(
                    "Exactly %(exact)s 元: each share is cut to the fen and the fen left over go to the largest "
                    "remainders, so the %(people)s shares add up to %(pool)s 元."
                )
                % {**numbers, "exact": format_number(exact, POOL_EXACT_PLACES)}
            )
        return details
    if line.kind == LineKind.CAP:
        return [
            _("The month's pay of %(before)s 元 is cut to the cap of %(cap)s 元: %(cut)s 元 less.")
            % {
                "before": money(_decimal(basis.get("before"))),
                "cap": money(_decimal(basis.get("cap"))),
                "cut": money(_decimal(basis.get("cut"))),
            }
        ]
    if line.kind == LineKind.CARRY_OVER:
        return carry_over_details(line, metrics)
    return []


def carry_over_details(line: PaySheetLine, metrics: dict[str, Metric]) -> list[str]:
    basis = line.basis or {}
    details = [
        _("%(month)s is due %(due)s 元 now; %(paid)s 元 was paid and %(before)s 元 carried before: %(delta)s 元.")
        % {
            "month": basis.get("month", ""),
            "due": money(_decimal(basis.get("due"))),
            "paid": money(_decimal(basis.get("paid"))),
            "before": money(_decimal(basis.get("carried_before"))),
            "delta": money(line.amount, signed=True),
        }
    ]
    if basis.get("score_was") != basis.get("score_now"):
        details.append(
            _("Score %(was)s → %(now)s")
            % {"was": _score(_decimal(basis.get("score_was"))), "now": _score(_decimal(basis.get("score_now")))}
        )
    for change in basis.get("changes", []):
        metric = metrics.get(change["metric"])
        details.append(
            _("%(metric)s: %(was)s → %(now)s")
            % {
                "metric": metric.name if metric else change["metric"],
                "was": _volume(metric, _decimal(change["was"])),
                "now": _volume(metric, _decimal(change["now"])),
            }
        )
    for fact in basis.get("late_facts", []):
        metric = metrics.get(fact["metric"])
        details.append(
            _("Late fact: %(day)s %(metric)s %(value)s, received %(received)s")
            % {
                "day": fact["date"],
                "metric": metric.name if metric else fact["metric"],
                "value": _volume(metric, _decimal(fact["value"])),
                "received": fact.get("received", ""),
            }
        )
    hidden = basis.get("late_facts_count", 0) - len(basis.get("late_facts", []))
    if hidden > 0:
        details.append(_("and %(count)s more late facts") % {"count": hidden})
    return details


def line_text(line: PaySheetLine, sheet: PaySheet, metrics: dict[str, Metric]) -> LineText:
    return LineText(title=line_title(line), details=line_details(line, metrics), gate=gate_text(line, sheet))


def month_label(month: datetime.date) -> str:
    return f"{month:%Y-%m}"
