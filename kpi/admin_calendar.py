"""The bank's calendar in the admin: HQ keeps the holidays and make-up working days (调休) of each year,
by hand or from a CSV file (date,kind,name), the same import as `manage.py import_csv calendar`.

Written only through kpi.services.calendar, which marks the rollup stale around a changed day when a
metric counts its time progress in business days. Registered from kpi/admin.py, which imports this module.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models.functions import ExtractYear
from django.http import HttpRequest
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from kpi.models import CalendarDay
from kpi.services.calendar import (
    CALENDAR_COLUMNS,
    calendar_day_save,
    calendar_days_delete,
    calendar_days_import,
)
from lib.admin_import import CsvImportMixin
from lib.csvimport import CsvImporter


class YearFilter(admin.SimpleListFilter):
    """The years the calendar holds, newest first."""

    title = _("year")
    parameter_name = "year"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        years = CalendarDay.objects.annotate(year=ExtractYear("date")).order_by("-year").values_list("year", flat=True)
        return [(str(year), str(year)) for year in years.distinct()]

    def queryset(self, request: HttpRequest, queryset):
        value = self.value() or ""
        if len(value) == 4 and value.isascii() and value.isdigit():
            return queryset.filter(date__year=int(value))
        return queryset


@admin.register(CalendarDay)
class CalendarDayAdmin(CsvImportMixin, admin.ModelAdmin):
    csv_importer = CsvImporter("calendar", CALENDAR_COLUMNS, calendar_days_import)
    list_display = ("date", "weekday", "kind", "name")
    list_filter = (YearFilter, "kind")
    search_fields = ("name",)
    fields = ("date", "kind", "name")

    @admin.display(description=_("weekday"), ordering="date")
    def weekday(self, day: CalendarDay) -> str:
        return date_format(day.date, "l")

    def save_model(self, request: HttpRequest, obj: CalendarDay, form, change: bool) -> None:
        previous = form.initial.get("date") if change else None
        calendar_day_save(calendar_day=obj, previous_date=previous)

    def delete_model(self, request: HttpRequest, obj: CalendarDay) -> None:
        calendar_days_delete(days=CalendarDay.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        calendar_days_delete(days=queryset)
