"""Sections other apps add to the daily bulletin (每日通报) and its push, without kpi importing them.

kpi imports no app above it (docs/architecture.md). An app with something to say beside the day's
ranking (a campaign's leaderboard while it runs) registers a function in its AppConfig.ready()
(`bulletin_section_register`); the bulletin page (kpi.views.bulletin) and the push (notify.selectors,
which may read kpi) call `bulletin_sections` and show what comes back. Registered by name, so a reloaded
app replaces its entry.

A section function takes keyword arguments `scope` (the reader's staff.access.Scope: for the push, the
channel unit's), `day` (the business day shown) and `unit` (the unit whose outlets are ranked, or None
for a peer group) and `outlets` (the outlets shown), and returns a list of BulletinSection. It should be
a fixed number of queries. A failing section is logged and left out: the bulletin itself never fails
for it.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SectionRow:
    rank: int
    name: str
    score: Decimal | None


@dataclass(frozen=True)
class BulletinSection:
    """A titled list of ranked rows with a link to the page that has them all."""

    key: str  # stable: what a push's fingerprint reads ("campaign:ck_2026_q4")
    title: str
    subtitle: str
    rows: list[SectionRow] = field(default_factory=list)
    link: str = ""


SectionFunction = Callable[..., list[BulletinSection]]
_sections: dict[str, SectionFunction] = {}


def bulletin_section_register(name: str, function: SectionFunction) -> None:
    _sections[name] = function


def bulletin_sections(*, scope, day: datetime.date | None, unit=None, outlets=None) -> list[BulletinSection]:
    """Every registered app's sections for this bulletin, in the order the apps registered."""
    if day is None:
        return []
    found: list[BulletinSection] = []
    for name, function in list(_sections.items()):
        try:
            found.extend(function(scope=scope, day=day, unit=unit, outlets=outlets))
        except Exception:  # a section never breaks the bulletin or the push
            logger.exception("bulletin section %s failed", name)
    return found
