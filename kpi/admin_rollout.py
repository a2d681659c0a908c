"""HQ's side of the transformation rollout (网点转型): each benchmark's practice checklist, the standard post
mix of each outlet format, and the rollouts themselves (kpi.services.rollout copies a checklist when a
rollout starts; here HQ may also set one up by hand and correct it)."""

from __future__ import annotations

from django.contrib import admin

from kpi.models import PracticeItem, RolloutItem, RolloutProject, StandardPostMix


@admin.register(PracticeItem)
class PracticeItemAdmin(admin.ModelAdmin):
    list_display = ("benchmark", "sort_order", "name", "weight")
    list_filter = ("benchmark",)
    search_fields = ("name", "benchmark__code", "benchmark__name_zh")
    autocomplete_fields = ("benchmark",)


@admin.register(StandardPostMix)
class StandardPostMixAdmin(admin.ModelAdmin):
    list_display = ("format", "post", "count")
    list_filter = ("format",)


class RolloutItemInline(admin.TabularInline):
    model = RolloutItem
    fields = ("sort_order", "name", "weight", "done_on", "evidence")
    extra = 0


@admin.register(RolloutProject)
class RolloutProjectAdmin(admin.ModelAdmin):
    list_display = ("outlet", "benchmark", "stage", "coach", "started_on", "accepted_on")
    list_filter = ("stage",)
    search_fields = ("outlet__code", "outlet__name_zh")
    autocomplete_fields = ("outlet", "benchmark", "coach")
    inlines = [RolloutItemInline]

    def save_related(self, request, form, formsets, change) -> None:
        """A rollout added here starts with its benchmark's checklist copied, as rollout_start does, unless
        items were typed in with it."""
        super().save_related(request, form, formsets, change)
        project = form.instance
        if not change and not project.items.exists():
            RolloutItem.objects.bulk_create(
                RolloutItem(project=project, name=item.name, weight=item.weight, sort_order=item.sort_order)
                for item in PracticeItem.objects.filter(benchmark_id=project.benchmark_id)
            )
