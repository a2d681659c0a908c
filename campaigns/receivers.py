"""What campaigns hears from kpi, and what it tells kpi's bulletin (and so the push).

- kpi.signals.day_published: the campaigns running on the day (or ended within a week) have their
  scores computed again (campaigns.tasks.refresh_scores, queued; safe to run twice).
- kpi.bulletin_sections: while a campaign runs, the bulletin and the push show its outlet leaderboard's
  top beside the day's ranking, never inside it.
"""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils.translation import gettext as _

from kpi.bulletin_sections import BulletinSection, SectionRow

# How many outlets of a campaign's leaderboard the bulletin and the push name.
SECTION_TOP = 3


def refresh_running_campaigns(sender, *, day: datetime.date, run=None, **kwargs) -> None:
    from campaigns.tasks import refresh_scores

    refresh_scores.delay(day.isoformat())


def bulletin_sections(*, scope, day: datetime.date, unit=None, outlets=None) -> list[BulletinSection]:
    """The campaigns the reader sees that run on `day`, each with its outlet leaderboard's top
    (restricted to the bulletin's outlets when it shows a peer group or a unit's subtree)."""
    from campaigns.models import Campaign
    from campaigns.selectors import campaigns_visible, outlet_leaderboard

    sections = []
    running = (
        campaigns_visible(scope, Campaign.objects.running_on(day)).select_related("unit").order_by("start", "code")
    )
    shown = {outlet.pk for outlet in outlets} if outlets else None
    for campaign in running[:3]:
        rows = outlet_leaderboard(campaign=campaign, scope=scope)
        if unit is not None:
            rows = [row for row in rows if row.outlet.path.startswith(unit.path)]
        elif shown is not None:
            rows = [row for row in rows if row.outlet.pk in shown]
        if not rows:
            continue
        left = (campaign.end - day).days
        sections.append(
            BulletinSection(
                key=f"campaign:{campaign.code}",
                title=_("Campaign · %(name)s") % {"name": campaign.name},
                subtitle=_("%(first)s – %(last)s, %(left)s days left · bonus points")
                % {"first": campaign.start.isoformat(), "last": campaign.end.isoformat(), "left": left},
                rows=[SectionRow(rank=row.rank, name=row.outlet.name, score=row.bonus) for row in rows[:SECTION_TOP]],
                link=reverse("campaigns:detail", args=[campaign.code]),
            )
        )
    return sections
