"""The complaints register's pages (complaints/views.py)."""

from __future__ import annotations

from django.urls import path

from complaints import views

app_name = "complaints"

urlpatterns = [
    path("complaints/", views.complaint_list, name="list"),
    path("complaints/new/", views.complaint_new, name="new"),
    path("complaints/<int:complaint_id>/", views.complaint_detail, name="detail"),
]
