"""Shared admin pieces: the CSV upload that runs the same importer as `manage.py import_csv`."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from bankops.importers import IMPORTERS
from lib.csvimport import ImportRejected, read_csv

admin.site.site_header = _("BankOps administration")
admin.site.site_title = _("BankOps")
admin.site.index_title = _("Head office")


class CsvUploadForm(forms.Form):
    file = forms.FileField(label=_("CSV file (UTF-8)"))


class CsvImportMixin:
    """Adds an "Import CSV" page to a ModelAdmin's change list. Set `import_kind` to a key of IMPORTERS."""

    import_kind: str = ""
    change_list_template = "admin/bankops/change_list_with_import.html"

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                "import-csv/", self.admin_site.admin_view(self.import_csv_view), name="{}_{}_import_csv".format(*info)
            ),
            *super().get_urls(),
        ]

    def has_import_permission(self, request: HttpRequest) -> bool:
        """Importing adds and changes rows anywhere in the network: HQ only (the imports take no scope),
        and an admin that is read-only by hand (facts) overrides this. Asked through has_perm (answered
        by staff.access.AccessBackend) so that this mixin, which belongs to no app, imports none."""
        if not request.user.has_perm("access.may_import"):
            return False
        return self.has_add_permission(request) and self.has_change_permission(request)

    def import_csv_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        importer = IMPORTERS[self.import_kind]
        problems = []
        form = CsvUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                rows = read_csv(form.cleaned_data["file"], columns=importer.columns)
                result = importer(rows, user=request.user)
            except ImportRejected as rejected:
                problems = rejected.problems
            else:
                messages.success(request, _("Imported: %(result)s.") % {"result": result})
                info = self.model._meta.app_label, self.model._meta.model_name
                return HttpResponseRedirect(reverse("admin:{}_{}_changelist".format(*info)))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import %(what)s from CSV") % {"what": self.model._meta.verbose_name_plural},
            "form": form,
            "problems": problems,
            "columns": ",".join(importer.columns),
        }
        return TemplateResponse(request, "admin/bankops/import_csv.html", context)
