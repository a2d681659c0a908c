"""The "Import CSV" page of a ModelAdmin: the same importer `manage.py import_csv` runs.

A ModelAdmin names its importer (`csv_importer = CsvImporter("units", UNIT_COLUMNS, units_import)`);
`csv_importers()` collects them for the management command, so each import is declared once.
"""

from __future__ import annotations

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from lib.csvimport import CsvImporter, ImportRejected


class CsvUploadForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))
    # lib.csvimport.ENCODINGS: "auto" reads UTF-8, else GB18030 (what Chinese Excel saves).
    encoding = forms.ChoiceField(
        label=_("Encoding"),
        choices=[
            ("auto", _("Detect (UTF-8 or GB18030)")),
            ("utf-8", "UTF-8"),
            ("gb18030", _("GB18030 (GBK, Chinese Excel's “CSV (逗号分隔)”)")),
        ],
        initial="auto",
        required=False,  # a form posted without it (a script) detects
    )


class CsvImportMixin:
    """Adds an "Import CSV" page to a ModelAdmin's change list, running its `csv_importer`."""

    csv_importer: CsvImporter
    change_list_template = "admin/csv_import/change_list.html"

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                "import-csv/", self.admin_site.admin_view(self.import_csv_view), name="{}_{}_import_csv".format(*info)
            ),
            *super().get_urls(),
        ]

    def has_import_permission(self, request: HttpRequest) -> bool:
        """Importing adds and changes rows anywhere in the network (the imports take no scope): HQ only,
        and an admin that is read-only by hand (facts, snapshots) overrides this. Asked through has_perm,
        which staff.access.AccessBackend answers, so that this mixin, which belongs to no app, imports none."""
        if not request.user.has_perm("access.may_import"):
            return False
        return self.has_add_permission(request) and self.has_change_permission(request)

    def import_csv_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        problems = []
        form = CsvUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = self.csv_importer(
                    form.cleaned_data["file"], user=request.user, encoding=form.cleaned_data["encoding"] or "auto"
                )
            except ImportRejected as rejected:
                problems = rejected.problems
            else:
                messages.success(request, _("Imported: %(result)s.") % {"result": result.described()})
                info = self.model._meta.app_label, self.model._meta.model_name
                return HttpResponseRedirect(reverse("admin:{}_{}_changelist".format(*info)))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import %(what)s from CSV") % {"what": self.model._meta.verbose_name_plural},
            "form": form,
            "problems": problems,
            "columns": ",".join(self.csv_importer.columns),
        }
        return TemplateResponse(request, "admin/csv_import/import_csv.html", context)


def csv_importers(site: admin.AdminSite = admin.site) -> dict[str, CsvImporter]:
    """kind → importer of every ModelAdmin of `site` with a CSV upload: the kinds of `import_csv`."""
    model_admins = (site.get_model_admin(model) for model in apps.get_models() if site.is_registered(model))
    return {
        model_admin.csv_importer.kind: model_admin.csv_importer
        for model_admin in model_admins
        if isinstance(model_admin, CsvImportMixin)
    }
