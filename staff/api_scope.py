"""What every scoped API endpoint shares: the reader's scope on the request, and the `unit`, `under` and
`staff` filter methods that look their code up inside it (404 outside it, as for an unknown code).

Beside staff/api.py rather than in it: DRF imports staff.api (token authentication) while loading its
own views, so that module must not import DRF's views or django-filter itself.
"""

from __future__ import annotations

from staff.access import get_staff_or_404, get_unit_or_404, scope_for_request


class ScopedViewMixin:
    """Puts the reader's scope (staff.access.Scope of the token or the user) on the request once,
    after authentication, for the filters and querysets to read as `request.scope`."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        request.scope = scope_for_request(request)


class ScopedFilterMethods:
    """Filter methods for a django-filter FilterSet over a model with `unit` (and `staff`): declare the
    filters with method="filter_unit" / "filter_under" / "filter_staff" and their own help texts;
    override a method where the model reads a subtree differently."""

    def filter_unit(self, queryset, name, value):
        return queryset.filter(unit=get_unit_or_404(self.request.scope, value))

    def filter_under(self, queryset, name, value):
        return queryset.filter(unit__path__startswith=get_unit_or_404(self.request.scope, value).path)

    def filter_staff(self, queryset, name, value):
        return queryset.filter(staff=get_staff_or_404(self.request.scope, value))
