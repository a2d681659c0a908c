"""manage.py campaign_scores [--code CODE]: compute the campaigns' scores from the facts again (all of them,
or one), as the receiver of a published day does for the running ones. Safe to run twice: each campaign's
rows are rewritten in one transaction under its lock, a closed month's days left as they are."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from campaigns.models import Campaign
from campaigns.services import campaign_scores_refresh


class Command(BaseCommand):
    help = "Compute the campaigns' scores from the facts again (all, or --code one)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--code", help="Only this campaign.")

    def handle(self, *args, code: str | None = None, **options) -> None:
        campaigns = Campaign.objects.order_by("start", "code")
        if code:
            campaigns = campaigns.filter(code=code)
            if not campaigns.exists():
                raise CommandError(f"No campaign with the code {code!r}.")
        for campaign in campaigns:
            rows = campaign_scores_refresh(campaign=campaign)
            self.stdout.write(f"{campaign.code}: {rows} score rows")
