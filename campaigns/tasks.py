"""Campaign tasks: thin, taking dates and ids, each safe to run twice (the service rewrites the
campaign's rows in one transaction under a lock)."""

from __future__ import annotations

import datetime

from celery import shared_task

from campaigns.models import Campaign
from campaigns.services import campaign_scores_refresh, campaigns_refresh_running
from lib.background import InBackgroundWhenEager


@shared_task(acks_late=True, base=InBackgroundWhenEager)
def refresh_scores(day: str) -> list[int]:
    """After a published day: the scores of the campaigns running then."""
    return campaigns_refresh_running(day=datetime.date.fromisoformat(day))


@shared_task(acks_late=True, base=InBackgroundWhenEager)
def refresh_campaign(campaign_id: int) -> int:
    """After a campaign is saved (its metrics, outlets or window changed): its scores again."""
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    return campaign_scores_refresh(campaign=campaign) if campaign else 0
