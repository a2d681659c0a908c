"""The meeting pages (meetings/views.py): the 晨会 sheet and its 夕会, the Monday minutes, one's action items."""

from __future__ import annotations

from django.urls import path

from lib import converters  # noqa: F401  (registers the <code:…> route converter)
from meetings import views

app_name = "meetings"

urlpatterns = [
    path("meetings/", views.meeting_index, name="index"),
    path("meetings/actions/", views.action_items, name="action_items"),
    path("meetings/<code:code>/morning/", views.morning, name="morning"),
    path("meetings/<code:code>/evening/", views.evening, name="evening"),
    path("meetings/<code:code>/weekly/", views.weekly, name="weekly"),
]
