"""The admin's delete confirmation, quick for a row with many dependants.

Django's confirmation (django.contrib.admin.utils.get_deleted_objects) collects every row the delete
would reach and prints each, one str() apiece: a metric with a year of facts is tens of thousands of
lines and as many queries (the demo's first metric: 13 s on SQLite, over 30 s on PostgreSQL), only to
say that the facts protect it. A ModelAdmin with DeleteSummaryMixin answers the same page:

1. A row that a PROTECT relation holds (a metric its facts, a unit its facts) cannot be deleted: the page
   says so at once, naming the first few holders of each kind and how many there are (one count and one
   short query per relation), without collecting the rest.
2. Otherwise the rows are collected as Django does (what the delete will really do), and each kind lists
   its first SHOWN rows and a line for the rest; the counts at the top are the whole counts, and the
   permission to delete is asked of every row as before.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.contrib.admin.utils import NestedObjects, quote
from django.db import models, router
from django.db.models.deletion import get_candidate_relations_to_delete
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext

# Rows listed per kind and level; the others are counted.
SHOWN = 20


@dataclass(frozen=True)
class _Hidden:
    """A row left out of the list: only its kind is kept, to be counted."""

    verbose_name_plural: str


class DeleteSummaryMixin:
    """For a ModelAdmin whose rows gather many dependants: see the module's docstring."""

    def get_deleted_objects(self, objs, request):
        protected = protected_by(objs, request, self.admin_site)
        if protected:
            return [], {}, set(), protected
        return summarised_deleted_objects(objs, request, self.admin_site)


def protected_by(objs, request, admin_site) -> list[str]:
    """The rows that hold `objs` through a PROTECT foreign key, first SHOWN of each kind and a line for
    the rest; empty when none does."""
    objs = list(objs)
    if not objs:
        return []
    lines: list[str] = []
    for relation in get_candidate_relations_to_delete(objs[0]._meta):  # what the deletion itself follows
        if relation.on_delete is not models.PROTECT:
            continue
        holders = relation.related_model._base_manager.filter(**{f"{relation.field.name}__in": objs})
        count = holders.count()
        if not count:
            continue
        shown = list(holders.select_related().order_by("pk")[:SHOWN])  # their str() reads what they point to
        lines += [_described(holder, request, admin_site, set()) for holder in shown]
        if count > len(shown):
            lines.append(_more(count - len(shown), relation.related_model._meta.verbose_name_plural))
    return lines


def summarised_deleted_objects(objs, request, admin_site):
    """Django's get_deleted_objects, each kind listing its first SHOWN rows per level."""
    try:
        first = objs[0]
    except IndexError:
        return [], {}, set(), []
    collector = NestedObjects(using=router.db_for_write(first._meta.model), origin=objs)
    collector.collect(objs)
    perms_needed: set[str] = set()
    listed: Counter[type] = Counter()

    def format_callback(obj):
        model = obj.__class__
        listed[model] += 1
        if listed[model] > SHOWN:
            _may_delete(obj, request, admin_site, perms_needed)
            return _Hidden(str(model._meta.verbose_name_plural))
        return _described(obj, request, admin_site, perms_needed)

    to_delete = _pruned(collector.nested(format_callback))
    protected = [_described(obj, request, admin_site, set()) for obj in list(collector.protected)[:SHOWN]]
    if len(collector.protected) > SHOWN:
        protected.append(_more(len(collector.protected) - SHOWN, gettext("rows")))
    model_count = {model._meta.verbose_name_plural: len(rows) for model, rows in collector.model_objs.items()}
    return to_delete, model_count, perms_needed, protected


def _pruned(nested: list) -> list:
    """The nested list without the hidden rows (nor what hangs under them), a line for each kind's."""
    kept, hidden = [], Counter()
    skip_children = False
    for item in nested:
        if isinstance(item, list):
            if not skip_children:
                kept.append(_pruned(item))
            skip_children = False
            continue
        skip_children = isinstance(item, _Hidden)
        if skip_children:
            hidden[item.verbose_name_plural] += 1
        else:
            kept.append(item)
    kept += [_more(count, what) for what, count in hidden.items()]
    return kept


def _more(count: int, what: str) -> str:
    return gettext("… and %(count)s more %(what)s") % {"count": f"{count:,}", "what": what}


def _may_delete(obj, request, admin_site, perms_needed: set[str]) -> None:
    model = obj.__class__
    if admin_site.is_registered(model) and not admin_site.get_model_admin(model).has_delete_permission(request, obj):
        perms_needed.add(obj._meta.verbose_name)


def _described(obj, request, admin_site, perms_needed: set[str]) -> str:
    """As Django's format_callback: the kind and the row, linked to its change form when it has one."""
    opts = obj._meta
    _may_delete(obj, request, admin_site, perms_needed)
    plain = f"{capfirst(opts.verbose_name)}: {obj}"
    if not admin_site.is_registered(obj.__class__):
        return plain
    try:
        url = reverse(f"{admin_site.name}:{opts.app_label}_{opts.model_name}_change", None, (quote(obj.pk),))
    except NoReverseMatch:
        return plain
    return format_html('{}: <a href="{}">{}</a>', capfirst(opts.verbose_name), url, obj)
