"""The outreach pages (outreach/views.py), under the customers' path: /customers/lists/…"""

from __future__ import annotations

from django.urls import path

from outreach import views

app_name = "outreach"

urlpatterns = [
    path("customers/lists/", views.lists, name="lists"),
    path("customers/lists/new/", views.list_new, name="new"),
    path("customers/lists/<int:list_id>/", views.list_detail, name="list"),
    path("customers/lists/<int:list_id>/work/", views.list_work, name="work"),
    path("customers/lists/customers/<int:assignment_id>/", views.assignment_card, name="card"),
    path("customers/lists/contacts/<int:contact_id>/photo/", views.contact_photo, name="photo"),
]
