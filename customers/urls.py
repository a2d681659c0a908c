"""Customers by tier pages (customers/views.py), beside the units' scorecards and overviews."""

from __future__ import annotations

from django.urls import path

from customers import views
from lib import converters  # noqa: F401  (registers the <code:…> route converter)

app_name = "customers"

urlpatterns = [
    path("customers/", views.my_customers, name="my_customers"),
    path("units/<code:code>/customers/", views.unit_customers, name="unit_customers"),
]
