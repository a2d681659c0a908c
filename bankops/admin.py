"""The admin site's titles. (The CSV upload every app's admin may offer is lib.admin_import.)"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("BankOps administration")
admin.site.site_title = _("BankOps")
admin.site.index_title = _("Head office")
