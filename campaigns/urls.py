"""The campaign pages (campaigns/views.py): the list, a campaign with its leaderboards, its gift ledger."""

from __future__ import annotations

from django.urls import path

from campaigns import views
from lib import converters  # noqa: F401  (registers the <code:…> route converter)

app_name = "campaigns"

urlpatterns = [
    path("campaigns/", views.campaign_list, name="list"),
    path("campaigns/new/", views.campaign_new, name="new"),
    path("campaigns/<code:code>/", views.campaign_detail, name="detail"),
    path("campaigns/<code:code>/gifts/", views.campaign_gifts, name="gifts"),
]
