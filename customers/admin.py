"""HQ's pages for customers by tier: tier schemes and their versions, customers and their snapshots (with
the CSV uploads), and the tiering runs with a button to tier a month.

Names and identity numbers are shown only to readers whose scope has `personal_data`, masked for anyone
else; the admin's own history records the customer id (Customer.__str__) and the names of changed
fields, never their values.
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from branches.models import OrgUnit, UnitStatus
from customers.models import (
    GROUP_LABELS,
    Customer,
    Group,
    Prospect,
    Referral,
    Snapshot,
    Territory,
    Tier,
    TieringRun,
    TierScheme,
)
from customers.services.imports import CUSTOMER_COLUMNS, SNAPSHOT_COLUMNS, customers_import, snapshots_import
from customers.services.runs import tiering_month_problem
from customers.services.schemes import (
    SchemeError,
    TierLine,
    effective_month_problem,
    in_force_until,
    scheme_lock_reason,
    tier_scheme_copy,
    tiered_months,
    tiers_problems,
)
from customers.services.tiering import previous_month
from customers.tasks import tiering_months
from lib.admin_import import CsvImportMixin
from lib.csvimport import CsvImporter
from lib.identity import id_number_problem, normalize_id_number
from lib.periods import parse_month
from lib.periods_forms import MonthField
from lib.stored_messages import shown_message
from staff.access import scope_for_user


def _may_change_network(request: HttpRequest) -> bool:
    """HQ administrators (and superusers): the tier rules and the tiering apply to the whole network."""
    return scope_for_user(request.user).may_write_network


# -- tier schemes ------------------------------------------------------------------------------------


class TierSchemeForm(forms.ModelForm):
    class Meta:
        model = TierScheme
        fields = ("name", "effective_month")
        help_texts = {
            "effective_month": _(
                "The first day of the month from which this version decides the tiers; it stays in force until "
                "the next version's month. Once customers have been tiered by a version, copy it as a new "
                "version (action “Copy as a new version”) to change thresholds."
            )
        }

    def clean(self) -> dict:
        cleaned = super().clean()
        effective_month = cleaned.get("effective_month")
        if self.instance.pk and "effective_month" in self.changed_data:
            reason = scheme_lock_reason(TierScheme.objects.get(pk=self.instance.pk))
            if reason:
                self.add_error(None, reason)
        if effective_month and (not self.instance.pk or "effective_month" in self.changed_data):
            problem = effective_month_problem(effective_month=effective_month, exclude_pk=self.instance.pk)
            if problem:
                self.add_error("effective_month", problem)
        return cleaned

    def validate_unique(self) -> None:
        # clean() has said it in words; the constraint's message would repeat it.
        if "effective_month" not in self.errors:
            super().validate_unique()


class TierFormSet(forms.BaseInlineFormSet):
    """Rules across the tiers of a scheme (customers.services.schemes.tiers_problems), and no change to a
    version that has tiered customers."""

    def validate_unique(self) -> None:
        # Duplicate codes and ranks are named by tiers_problems, which says more than "correct the duplicates".
        return None

    def clean(self) -> None:
        super().clean()
        if self.instance.pk and self.has_changed():
            reason = scheme_lock_reason(self.instance)
            if reason:
                raise forms.ValidationError(reason)
        lines = [
            TierLine(
                code=form.cleaned_data["code"],
                rank=form.cleaned_data["rank"],
                min_aum=form.cleaned_data["min_aum"],
                is_premium=form.cleaned_data.get("is_premium", False),
            )
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and all(form.cleaned_data.get(name) is not None for name in ("code", "rank", "min_aum"))
        ]
        if any(form.errors for form in self.forms):
            return
        problems = tiers_problems(lines)
        if problems:
            raise forms.ValidationError(problems)


class TierInline(admin.TabularInline):
    model = Tier
    formset = TierFormSet
    fields = ("rank", "code", "name_zh", "name_en", "min_aum", "is_premium")
    ordering = ("rank",)
    extra = 0

    def _editable(self, request: HttpRequest, scheme: TierScheme | None) -> bool:
        return _may_change_network(request) and (scheme is None or scheme_lock_reason(scheme) is None)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._editable(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._editable(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._editable(request, obj) and super().has_delete_permission(request, obj)


class CopySchemeForm(ActionForm):
    new_effective_month = forms.CharField(
        label=_("new version from"),
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"placeholder": "YYYY-MM", "size": 8}),
    )


@admin.register(TierScheme)
class TierSchemeAdmin(admin.ModelAdmin):
    """HQ sets the tier thresholds (DOMAIN.md §6); a version that tiered customers is copied, not edited."""

    form = TierSchemeForm
    inlines = [TierInline]
    action_form = CopySchemeForm
    actions = ["copy_as_new_version"]
    list_display = ("name", "month_label", "until_label", "tier_summary", "created_at", "created_by")
    list_select_related = ("created_by",)
    readonly_fields = ("versioning",)

    def get_fields(self, request: HttpRequest, obj=None):
        return ("name", "effective_month", "versioning") if obj is not None else ("name", "effective_month")

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        if obj is not None and scheme_lock_reason(obj):
            return ("effective_month", "versioning")
        return ("versioning",)

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).prefetch_related("tiers")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _may_change_network(request) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return _may_change_network(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and scheme_lock_reason(obj):
            return False
        return _may_change_network(request) and super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        # One by one, where has_delete_permission can refuse a version that tiered customers.
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description=_("in force from"), ordering="effective_month")
    def month_label(self, scheme: TierScheme) -> str:
        return f"{scheme.effective_month:%Y-%m}"

    @admin.display(description=_("in force until"))
    def until_label(self, scheme: TierScheme) -> str:
        until = in_force_until(scheme)
        return f"{previous_month(until):%Y-%m}" if until else "—"

    @admin.display(description=_("tiers (from average daily AUM, 元)"))
    def tier_summary(self, scheme: TierScheme) -> str:
        tiers = sorted(scheme.tiers.all(), key=lambda tier: tier.rank)
        return " · ".join(f"{tier.name} ≥ {tier.min_aum:,.0f}" for tier in tiers)

    @admin.display(description=_("versioning"))
    def versioning(self, scheme: TierScheme) -> str:
        return scheme_lock_reason(scheme) or _("No customers have been tiered by this version yet: it can be changed.")

    def save_model(self, request: HttpRequest, obj: TierScheme, form, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        scheme = form.instance
        if change and "effective_month" not in form.changed_data and not any(f.has_changed() for f in formsets):
            return
        span = tiered_months(start=scheme.effective_month, until=in_force_until(scheme))
        if span is not None:
            messages.warning(
                request,
                _(
                    "%(first)s – %(last)s were tiered by an earlier version and keep those tiers until the "
                    "tiering runs for them again (Tiering runs → “Tier a month”, or tier_customers --from "
                    "%(first)s --to %(last)s)."
                )
                % {"first": f"{span[0]:%Y-%m}", "last": f"{span[1]:%Y-%m}"},
            )

    @admin.action(description=_("Copy as a new version from the month given"), permissions=["add"])
    def copy_as_new_version(self, request: HttpRequest, queryset) -> None:
        # The action form's own choices are filled in by the changelist: read the one field directly.
        try:
            month = parse_month(request.POST.get("new_effective_month", ""), first_day=True)
        except ValueError:
            messages.error(request, _("Give the month the new version takes effect (YYYY-MM) beside the action."))
            return
        for scheme in queryset:
            try:
                copy = tier_scheme_copy(scheme=scheme, effective_month=month, created_by=request.user)
            except SchemeError as refused:
                messages.error(request, str(refused))
            else:
                messages.success(
                    request,
                    _("%(name)s: new version from %(month)s; change its thresholds there.")
                    % {"name": copy.name, "month": f"{copy.effective_month:%Y-%m}"},
                )


# -- customers ---------------------------------------------------------------------------------------


class GroupFilter(admin.SimpleListFilter):
    title = pgettext_lazy("customer", "group")
    parameter_name = "group"

    def lookups(self, request: HttpRequest, model_admin):
        return [(group.code, label) for group, label in GROUP_LABELS.items()]

    def queryset(self, request: HttpRequest, queryset):
        group = next((g for g in Group if g.code == self.value()), None)
        if group is None:
            return queryset
        # The masks holding the group's bit: a plain IN, which every database indexes and understands.
        return queryset.filter(groups__in=[mask for mask in range(1 << len(Group)) if mask & group])


class CustomerForm(forms.ModelForm):
    group_codes = forms.MultipleChoiceField(
        label=pgettext_lazy("customer", "groups"),
        required=False,
        choices=[(group.code, label) for group, label in GROUP_LABELS.items()],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Customer
        fields = ("code", "name", "id_number", "home_outlet", "relationship_manager")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group_codes"].initial = self.instance.group_codes if self.instance.pk else []
        if "home_outlet" in self.fields:
            self.fields["home_outlet"].queryset = OrgUnit.objects.outlets().filter(status=UnitStatus.ACTIVE)

    def clean_id_number(self) -> str:
        number = normalize_id_number(self.cleaned_data.get("id_number", ""))
        if number and (problem := id_number_problem(number)):
            raise forms.ValidationError(_("The identity number %(problem)s.") % {"problem": problem})
        return number

    def save(self, commit: bool = True) -> Customer:
        customer = super().save(commit=False)
        customer.groups = int(sum(g for g in Group if g.code in self.cleaned_data.get("group_codes", [])))
        if commit:
            customer.save()
        return customer


@admin.register(Customer)
class CustomerAdmin(CsvImportMixin, admin.ModelAdmin):
    csv_importer = CsvImporter("customers", CUSTOMER_COLUMNS, customers_import)
    form = CustomerForm
    list_filter = (GroupFilter,)
    list_select_related = ("home_outlet", "relationship_manager")
    autocomplete_fields = ("relationship_manager",)
    fields = ("code", "name", "id_number", "home_outlet", "relationship_manager", "group_codes")

    def get_fields(self, request: HttpRequest, obj=None):
        if obj is not None and not self.has_change_permission(request, obj):
            # Viewed, not changed: the groups by name (the form's field would show the model's codes).
            return (*self.fields[:-1], "group_list")
        return self.fields

    def get_queryset(self, request: HttpRequest):
        # The same scope as every page: a unit manager with admin access sees the customers of their subtree.
        queryset = super().get_queryset(request)
        scope = scope_for_user(request.user)
        if scope.everything:
            return queryset
        if scope.unit_path:
            return queryset.filter(home_outlet__path__startswith=scope.unit_path)
        return queryset.none()

    def get_search_fields(self, request: HttpRequest):
        return ("code", "name") if scope_for_user(request.user).personal_data else ("code",)

    def get_list_display(self, request: HttpRequest):
        scope = scope_for_user(request.user)

        @admin.display(description=_("name"))
        def name(customer: Customer) -> str:
            return scope.person_name(customer.name)

        @admin.display(description=_("identity number"))
        def id_number(customer: Customer) -> str:
            return scope.id_number(customer.id_number)

        return ("code", name, id_number, "home_outlet", "relationship_manager", "group_list")

    @admin.display(description=pgettext_lazy("customer", "groups"))
    def group_list(self, customer: Customer) -> str:
        return ", ".join(str(label) for group, label in GROUP_LABELS.items() if customer.groups & group)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # Changing a customer shows the unmasked name and number in the form.
        return scope_for_user(request.user).personal_data and super().has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return scope_for_user(request.user).personal_data and super().has_add_permission(request)


# -- snapshots and runs ------------------------------------------------------------------------------


class ReadOnlyAdmin(admin.ModelAdmin):
    """A list to look at: written by the imports and the tiering, never by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Snapshot)
class SnapshotAdmin(CsvImportMixin, ReadOnlyAdmin):
    csv_importer = CsvImporter("customer_snapshots", SNAPSHOT_COLUMNS, snapshots_import)
    list_display = ("customer", "month_label", "deposits", "wealth", "funds", "insurance", "bonds", "aum_avg_daily")
    list_filter = ("month",)
    search_fields = ("customer__code",)
    list_select_related = ("customer",)

    def get_queryset(self, request: HttpRequest):
        queryset = super().get_queryset(request)
        scope = scope_for_user(request.user)
        if scope.everything:
            return queryset
        if scope.unit_path:
            return queryset.filter(customer__home_outlet__path__startswith=scope.unit_path)
        return queryset.none()

    def has_import_permission(self, request: HttpRequest) -> bool:
        # Read-only by hand, but an upload goes through the snapshot import, for HQ.
        return request.user.has_perm("access.may_import") and request.user.has_perms(
            ["customers.add_snapshot", "customers.change_snapshot"]
        )

    @admin.display(description=_("month"), ordering="month")
    def month_label(self, snapshot: Snapshot) -> str:
        return f"{snapshot.month:%Y-%m}"


class TierMonthForm(forms.Form):
    month = MonthField(
        label=_("month"),
        help_text=_("The month to tier, as 2026-10. Tiering a month again replaces its tiers and migrations."),
        widget=forms.TextInput(attrs={"placeholder": "YYYY-MM", "size": 8}),
    )

    def clean_month(self):
        month = self.cleaned_data["month"]
        problem = tiering_month_problem(month)
        if problem:
            raise forms.ValidationError(problem)
        return month


# The tiering's progress messages (customers.services.tiering and .runs), stored in English (lib.stored_messages).
TIERING_MESSAGES = [
    (re.compile(r"(?P<month>\d{4}-\d{2}): reading snapshots"), _("%(month)s: reading the snapshots")),
    (
        re.compile(r"(?P<month>\d{4}-\d{2}): comparing with (?P<previous>\d{4}-\d{2})"),
        _("%(month)s: comparing with %(previous)s"),
    ),
    (re.compile(r"(?P<month>\d{4}-\d{2}): writing (?P<count>\d+) tiers"), _("%(month)s: writing %(count)s tiers")),
    (re.compile(r"(?P<month>\d{4}-\d{2}): tier counts as facts"), _("%(month)s: writing the tier counts as facts")),
    (
        re.compile(r"reaped: no sign of life from its worker since (?P<since>.+)"),
        _("No sign of life from its worker since %(since)s"),
    ),
    (
        re.compile(r"reaped: its worker stopped; run (?P<run>\d+) took the month over"),
        _("Its worker stopped; run %(run)s took the month over"),
    ),
]


@admin.register(TieringRun)
class TieringRunAdmin(ReadOnlyAdmin):
    list_display = (
        "month_label",
        "status",
        "progress_label",
        "customers",
        "started_at",
        "finished_at",
        "message_shown",
    )
    list_filter = ("status",)
    date_hierarchy = "month"
    actions = ["tier_again"]
    change_list_template = "admin/customers/tieringrun/change_list.html"

    def get_urls(self):
        return [
            path("tier-month/", self.admin_site.admin_view(self.tier_month_view), name="customers_tieringrun_tier"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context=None):
        extra_context = {**(extra_context or {}), "may_tier": _may_change_network(request)}
        return super().changelist_view(request, extra_context)

    def get_fields(self, request: HttpRequest, obj=None):
        return [("message_shown" if name == "message" else name) for name in super().get_fields(request, obj)]

    @admin.display(description=_("message"))
    def message_shown(self, run: TieringRun) -> str:
        return shown_message(run.message, TIERING_MESSAGES)

    @admin.display(description=_("month"), ordering="month")
    def month_label(self, run: TieringRun) -> str:
        return f"{run.month:%Y-%m}"

    @admin.display(description=_("progress %"), ordering="progress")
    def progress_label(self, run: TieringRun) -> str:
        return f"{run.progress}%"

    def tier_month_view(self, request: HttpRequest) -> HttpResponse:
        if not _may_change_network(request):
            raise PermissionDenied
        last = previous_month(timezone.localdate())
        form = TierMonthForm(request.POST or None, initial={"month": f"{last:%Y-%m}"})
        if request.method == "POST" and form.is_valid():
            self._start(request, [form.cleaned_data["month"]])
            return HttpResponseRedirect(reverse("admin:customers_tieringrun_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Tier a month"),
            "form": form,
        }
        return TemplateResponse(request, "admin/customers/tier_month.html", context)

    @admin.action(description=_("Tier the months of the selected runs again"))
    def tier_again(self, request: HttpRequest, queryset) -> None:
        if not _may_change_network(request):
            raise PermissionDenied
        months = sorted(set(queryset.values_list("month", flat=True)))
        refused = [problem for month in months if (problem := tiering_month_problem(month))]
        for problem in refused:
            messages.error(request, problem)
        if not refused:
            self._start(request, months)

    def _start(self, request: HttpRequest, months) -> None:
        """Tier `months` in one task, oldest first (each month's migrations start from the month before,
        so two months must not run side by side in two workers). Without a broker (development) it runs
        in the web process's background thread: the page answers at once, the list shows the progress."""
        labels = ", ".join(f"{month:%Y-%m}" for month in months)
        try:
            tiering_months.delay([month.isoformat() for month in months])
        except Exception as exc:  # the broker refused it, or (tests) it ran here: recorded on the run too
            messages.error(request, _("Tiering of %(months)s failed: %(error)s") % {"months": labels, "error": exc})
            return
        started = _("Tiering of %(months)s started; its progress shows in this list.")
        messages.success(request, started % {"months": labels})


# -- territories, prospects and referrals (issue 18) -------------------------------------------------------


def _scoped(request: HttpRequest, queryset, path: str = "outlet__path"):
    scope = scope_for_user(request.user)
    if scope.everything:
        return queryset
    if scope.unit_path:
        return queryset.filter(**{f"{path}__startswith": scope.unit_path})
    return queryset.none()


@admin.register(Territory)
class TerritoryAdmin(admin.ModelAdmin):
    """The territories (网格) of the network; the owner's assignment is checked by Territory.clean()."""

    list_display = ("name", "kind", "outlet", "owner", "active")
    list_filter = ("kind", "active")
    list_select_related = ("outlet", "owner")
    search_fields = ("name", "outlet__code")
    autocomplete_fields = ("owner",)

    def get_queryset(self, request: HttpRequest):
        return _scoped(request, super().get_queryset(request))

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and not scope_for_user(request.user).may_edit_territories(obj.outlet):
            return False
        return super().has_change_permission(request, obj)


@admin.register(Prospect)
class ProspectAdmin(admin.ModelAdmin):
    """Prospects are read here (masked as on the pages); they are taken down on the 客户信息表 page."""

    list_filter = ("status", "interest")
    list_select_related = ("outlet", "territory", "captured_by", "customer")
    date_hierarchy = "captured_on"

    def get_queryset(self, request: HttpRequest):
        return _scoped(request, super().get_queryset(request))

    def get_list_display(self, request: HttpRequest):
        scope = scope_for_user(request.user)

        @admin.display(description=_("name"))
        def name(prospect: Prospect) -> str:
            return scope.person_name(prospect.name)

        @admin.display(description=_("identity number"))
        def id_number(prospect: Prospect) -> str:
            return scope.id_number(prospect.id_number)

        return ("__str__", name, id_number, "outlet", "territory", "interest", "status", "customer", "captured_on")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Referral)
class ReferralAdmin(admin.ModelAdmin):
    """Referrals are read here; they are recorded and moved on on the referrals page."""

    list_display = ("__str__", "day", "outlet", "referrer", "channel", "receiver", "product", "status", "closed_on")
    list_filter = ("status", "channel", "product")
    list_select_related = ("outlet", "referrer", "receiver")
    date_hierarchy = "day"

    def get_queryset(self, request: HttpRequest):
        return _scoped(request, super().get_queryset(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
