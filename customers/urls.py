"""Customers by tier pages (customers/views.py), beside the units' scorecards and overviews."""

from __future__ import annotations

from django.urls import path

from customers import outreach_views, views
from lib import converters  # noqa: F401  (registers the <code:…> route converter)

app_name = "customers"

urlpatterns = [
    path("customers/", views.my_customers, name="my_customers"),
    path("units/<code:code>/customers/", views.unit_customers, name="unit_customers"),
    path("outreach/", outreach_views.outreach_home, name="outreach_home"),
    path("units/<code:code>/territories/", outreach_views.unit_territories, name="unit_territories"),
    path("territories/<int:territory_id>/", outreach_views.territory_edit, name="territory_edit"),
    path("units/<code:code>/prospects/", outreach_views.unit_prospects, name="unit_prospects"),
    path("units/<code:code>/referrals/", outreach_views.unit_referrals, name="unit_referrals"),
]
