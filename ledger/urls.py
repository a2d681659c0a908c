"""The points ledger's pages (ledger/views.py): record, approve, the entries behind a scorecard line, a photo,
withdraw one's own entry."""

from __future__ import annotations

from django.urls import path

from ledger import views

app_name = "ledger"

urlpatterns = [
    path("ledger/", views.ledger_home, name="home"),
    path("ledger/approve/", views.ledger_approve, name="approve"),
    path("ledger/entries/", views.ledger_entries, name="entries"),
    path("ledger/entries/<int:entry_id>/photo/", views.entry_photo, name="photo"),
    path("ledger/entries/<int:entry_id>/withdraw/", views.entry_withdraw_view, name="withdraw"),
]
