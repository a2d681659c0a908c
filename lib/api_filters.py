"""Filters shared by the list endpoints of the REST API: ordering that is safe under cursor pagination and
strict about what it is asked, a true/false query parameter that rejects anything else, and a way to
use `format` as a filter.

Beside lib/api.py (the error format, pagination, throttling) rather than in it only because that
module was being edited elsewhere when these were written; they belong together.
"""

from __future__ import annotations

import django_filters
from django import forms
from django_filters.constants import EMPTY_VALUES
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.drainage import set_override
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.negotiation import DefaultContentNegotiation

from lib.ids import MAX_ID


class StableOrderingFilter(OrderingFilter):
    """DRF's `?ordering=name_zh,-depth`, made fit for StableCursorPagination:

    1. an unknown field answers 400 naming `ordering` (DRF drops it silently, so an integration would
       get an order it did not ask for without hearing about it);
    2. the view's `ordering_tiebreak` (a unique column) is appended unless already asked for: the cursor
       remembers a position in the first column and counts ties by offset, which only works if rows that
       tie keep one order from page to page.

    Views list `ordering_fields` explicitly, only columns of their own model that are never null (the
    cursor compares the position with `>`, and a null position cannot be compared).
    """

    ordering_description = "Sort order: one or more of the fields listed, comma-separated; prefix - for descending."

    def get_ordering(self, request, queryset, view) -> list[str]:
        raw = request.query_params.get(self.ordering_param, "")
        if raw.strip():
            ordering = [term.strip() for term in raw.split(",") if term.strip()]
            allowed = list(view.ordering_fields)
            wrong = [term for term in ordering if term.removeprefix("-") not in allowed]  # "--code" is wrong
            if wrong or not ordering:
                message = (
                    f"“{raw}” is not an ordering of this list; use one or more of {', '.join(allowed)}, "
                    "comma-separated, each optionally prefixed with - for descending"
                )
                raise ValidationError({self.ordering_param: [message]})
        else:
            ordering = list(self.get_default_ordering(view) or [])
        tiebreak = getattr(view, "ordering_tiebreak", None)
        if tiebreak and tiebreak not in {term.lstrip("-") for term in ordering}:
            ordering.append(tiebreak)
        return ordering

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        default = ",".join(self.get_default_ordering(view) or [])
        for parameter in parameters:
            parameter["description"] = (
                f"{self.ordering_description} Fields: {', '.join(view.ordering_fields)}. Default: {default}."
            )
        return parameters


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend (every list endpoint's, REST_FRAMEWORK's default), which builds the filter
    form only when the request names one of the filterset's parameters. Without one the form could not
    filter anything: each filter leaves the rows alone on an empty value (django-filter's Filter.filter,
    TrueFalseFilter, the FilterMethod of `method=`), no filter of the project is required, and the two
    filtersets with their own filter_queryset (meetings' action items, staff's assignments) do nothing
    then either. Building it
    (a deep copy of every filter, a form, its validation) was about a tenth of a warm page of scorecards,
    the page an integration walks every night without a filter (issue 21)."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and not names_a_filter(request.query_params, filterset_class):
            return queryset
        return super().filter_queryset(request, queryset, view)


def names_a_filter(params, filterset_class) -> bool:
    """Whether the query names a filter of `filterset_class`: its name, or its name and a suffix (a range's
    `date_after`, `amount_min`), or whether one of its filters is required (then the form must say so)."""
    filters = filterset_class.base_filters
    if any(item.extra.get("required") for item in filters.values()):
        return True
    return any(key == name or key.startswith(f"{name}_") for key in params for name in filters)


class TrueFalseFilter(django_filters.ChoiceFilter):
    """`true` or `false`, and nothing else: django-filter's BooleanFilter reads an unknown value as "no
    filter", which would answer a typo with the whole list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        super().__init__(*args, **kwargs)
        # drf-spectacular would type it from the model's BooleanField: a boolean whose enum is two strings.
        schema = {"type": "string", "enum": ["true", "false"]}
        if self.extra.get("help_text"):
            schema["description"] = str(self.extra["help_text"])
        set_override(self, "field", schema)

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        return qs.filter(**{self.field_name: value == "true"})


class _NoFormatOverride:
    URL_FORMAT_OVERRIDE = None


class FormatIsAFilter(DefaultContentNegotiation):
    """Content negotiation for a view with a `format` filter (an outlet's format: full, light, smart). DRF
    reads `?format=` as a choice of renderer and answers 404 for `?format=light`; the API renders JSON
    only, so the override serves nothing here. (REST_FRAMEWORK's URL_FORMAT_OVERRIDE = None would free
    the name for every view.)"""

    settings = _NoFormatOverride()


class IdFilter(django_filters.NumberFilter):
    """A database id: a whole number from 1 to lib.ids.MAX_ID (django-filter's NumberFilter takes decimals and
    exponents, and an id beyond the column's range would reach the database)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)
