"""Notes on the figures (标注) in the admin: HQ's list of every note, to correct or remove one; the managers
write theirs on a unit's notes page (/units/<code>/notes/).

The same rules as the page and the API: the checks of kpi.services.notes.annotation_problems, and
whoever may annotate the unit (staff.access: Scope.may_annotate) may add, change or delete a note on it.
Registered from kpi/admin.py, which imports this module.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from kpi.models import Annotation
from kpi.selectors.notes import annotations_visible
from kpi.services.notes import annotation_problems
from staff.access import Scope, scope_for_user


class AnnotationForm(forms.ModelForm):
    scope: Scope = Scope.nothing()  # set per request by AnnotationAdmin.get_form

    class Meta:
        model = Annotation
        fields = ("unit", "kind", "start", "end", "metric", "text")

    def clean(self) -> dict:
        cleaned = super().clean()
        unit = cleaned.get("unit")
        if unit is not None and not self.scope.may_annotate(unit):
            self.add_error("unit", _("You may not write notes on this unit."))
        problems = annotation_problems(
            unit=unit,
            metric=cleaned.get("metric"),
            kind=cleaned.get("kind", ""),
            start=cleaned.get("start"),
            end=cleaned.get("end"),
            text=cleaned.get("text", ""),
        )
        for name, messages in problems.items():
            for message in messages:
                if name not in self.errors:
                    self.add_error(name if name in self.fields else None, message)
        return cleaned


@admin.register(Annotation)
class AnnotationAdmin(admin.ModelAdmin):
    form = AnnotationForm
    list_display = ("start", "end", "unit", "kind", "metric", "text", "created_by")
    list_filter = ("kind",)
    list_select_related = ("unit", "metric", "created_by")
    search_fields = ("text", "unit__code", "unit__name_zh")
    autocomplete_fields = ("unit", "metric")
    date_hierarchy = "start"
    readonly_fields = ("created_by", "created_at")

    def get_queryset(self, request: HttpRequest):
        # The notes the reader reads (those of the units they see and above); HQ reads every note.
        return annotations_visible(scope=scope_for_user(request.user)).select_related("created_by")

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # A class of its own per request: the scope is the writer's, not shared with another request.
        return type(form.__name__, (form,), {"scope": scope_for_user(request.user)})

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or scope_for_user(request.user).may_annotate(obj.unit))

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or scope_for_user(request.user).may_annotate(obj.unit))

    def save_model(self, request: HttpRequest, obj: Annotation, form, change: bool) -> None:
        obj.text = obj.text.strip()
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
