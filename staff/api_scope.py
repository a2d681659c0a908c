"""What every scoped API endpoint shares: the reader's scope on the request; the list endpoint in that
scope (ScopedListView); the `unit`, `under` and `staff` filter methods that look their code up inside it
(404 outside it, as for an unknown code); and the refusal of a token where a person must write.

Beside staff/api.py rather than in it: DRF imports staff.api (token authentication) while loading its
own views, so that module must not import DRF's views or django-filter itself.
"""

from __future__ import annotations

from django.db.models import Model, QuerySet
from drf_spectacular.utils import OpenApiResponse
from rest_framework import generics
from rest_framework.exceptions import PermissionDenied

from lib.api import ApiErrorsSerializer, StableCursorPagination
from lib.api_filters import FilterBackend
from staff.access import Scope, get_staff_or_404, get_unit_or_404, scope_for_request
from staff.models import ApiToken

# The errors a scoped list documents: its filters, page size and cursor are checked (400), and a unit a
# filter names is looked up in the scope (404, as for an unknown code).
BAD_LIST_QUERY = OpenApiResponse(ApiErrorsSerializer, description="A bad filter value, page size or cursor.")
NO_SUCH_UNIT = OpenApiResponse(ApiErrorsSerializer, description="No such unit in your scope.")


class ScopedViewMixin:
    """Puts the reader's scope (staff.access.Scope of the token or the user) on the request once,
    after authentication, for the filters and querysets to read as `request.scope`."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        request.scope = scope_for_request(request)


class ScopedListView(ScopedViewMixin, generics.ListAPIView):
    """A list of what the reader's scope may see, as the API's lists are: filtered by the view's
    `filterset_class` (FilterBackend), a page at a time (StableCursorPagination), with the scope in the
    serializer's context (`scope`, for masking).

    A view sets `model` and `serializer_class` and answers `scoped_queryset(scope)` in a stable order.
    drf-spectacular builds the schema without a request, so without a scope: it gets an empty queryset of
    `model`, all it reads (the filters' types)."""

    filter_backends = [FilterBackend]
    pagination_class = StableCursorPagination
    model: type[Model]

    def scoped_queryset(self, scope: Scope) -> QuerySet:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return self.model.objects.none()
        return self.scoped_queryset(self.request.scope)

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "scope": getattr(self.request, "scope", None)}


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


def by_token(request) -> bool:
    """Whether an API token, not a signed-in person, makes the request."""
    return isinstance(request.auth, ApiToken)


def refuse_tokens(request, message: str) -> None:
    """A 403 saying `message` when a token makes the request: a write that is a person's word (recorded
    under their name, audited) cannot be made by a token, which speaks for no one."""
    if by_token(request):
        raise PermissionDenied(message)
