"""The pay pages (pay/views.py): one's own sheet, a person's sheet, a unit's sheets with the close."""

from __future__ import annotations

from django.urls import path

from lib import converters  # noqa: F401  (registers the <code:…> route converter)
from pay import views

app_name = "pay"

urlpatterns = [
    path("pay/", views.my_pay, name="my_pay"),
    path("units/<code:code>/pay/", views.unit_pay, name="unit_pay"),
    path("staff/<code:code>/pay/", views.staff_pay, name="staff_pay"),
]
