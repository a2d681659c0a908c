"""Links between apps that may not import each other: one app's row names another app's object by
(kind, id), and hears when that object closes.

Apps side by side (meetings, alerts) may not import each other (docs/architecture.md), yet a Monday
meeting's action item names the alert, the improvement plan (一点一策) or the target it is about, and
closes when that alert closes. So the app that owns a kind of object describes it here, in its
AppConfig.ready() (`link_kind_register`): its model, who may see which of them, its page, which of
them are closed, which to offer in a form. The app that links reads the registry by kind code and never
imports the owner. When the owner closes objects others may link to, it sends `objects_closed` after
its transaction commits; a listener closes what links to them. A listener that needs certainty
besides (a signal lost with a worker that stopped) reconciles with `LinkKind.closed`.

Domain-free: lib knows no app; the owner's callables take the reader's scope (staff.access.Scope) and
the queryset, and answer with a queryset.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.dispatch import Signal


def _everything(queryset: QuerySet, day: datetime.date) -> QuerySet:
    return queryset


@dataclass(frozen=True)
class LinkKind:
    """A kind of object other apps may link to.

    code:    the kind as stored and sent over the API ("alert").
    label:   its name for people (a lazy translation).
    model:   the owner's model.
    visible: (queryset, scope) → the objects of the queryset the scope may see (404 for the others).
    url:     an object → the path of its page, or "" when it has none.
    describe: an object → one line that names it for people (the reader's language).
    closed:  the condition of a closed object (None: objects of this kind never close by themselves).
    offered: (queryset, day) → the objects worth offering in a form on that day (the open alerts).
    select_related: what `describe` and `url` read beside the object, fetched with it.
    """

    code: str
    label: Any
    model: type[models.Model]
    visible: Callable[[QuerySet, Any], QuerySet]
    url: Callable[[models.Model], str]
    describe: Callable[[models.Model], str] = str
    closed: Q | None = None
    offered: Callable[[QuerySet, datetime.date], QuerySet] = _everything
    select_related: tuple[str, ...] = ()

    def objects(self) -> QuerySet:
        queryset = self.model._default_manager.all()
        return queryset.select_related(*self.select_related) if self.select_related else queryset


logger = logging.getLogger(__name__)

_kinds: dict[str, LinkKind] = {}


def link_kind_register(kind: LinkKind) -> LinkKind:
    """Called by the owning app in its AppConfig.ready(); registering the same code again replaces it
    (a test's reloaded app)."""
    _kinds[kind.code] = kind
    return kind


def link_kinds() -> list[LinkKind]:
    """Every kind registered, in the order the apps registered them."""
    return list(_kinds.values())


def link_kind(code: str) -> LinkKind | None:
    return _kinds.get(code)


def link_kind_of(model: type[models.Model]) -> LinkKind | None:
    """The kind whose model this is (the sender of `objects_closed`)."""
    label = model._meta.label
    return next((kind for kind in _kinds.values() if kind.model._meta.label == label), None)


objects_closed = Signal()
"""
Arguments: ``pks``

Sent by the app that owns a kind of linkable object (LinkKind) when some of its objects close, after the
transaction that closed them has committed (transaction.on_commit). ``sender`` is the model class;
``pks`` the ids of the objects just closed (a list). Sent with send_robust: a failing listener is
logged and touches neither the owner's work nor the other listeners.

alerts sends it when alerts are verified (复查) or clear by themselves; meetings closes the action items
linked to them (meetings.receivers.close_linked_action_items).
"""


def objects_closed_announce(model: type[models.Model], pks: list[int]) -> None:
    """Send `objects_closed` for these ids once the current transaction commits (at once outside one)."""
    pks = sorted(set(pks))
    if not pks:
        return

    def send() -> None:
        for receiver, result in objects_closed.send_robust(sender=model, pks=pks):
            if isinstance(result, Exception):
                logger.error(
                    "objects_closed receiver %r failed for %s %s", receiver, model._meta.label, pks, exc_info=result
                )

    transaction.on_commit(send)
