"""Customer outreach (客户经营, issue 18): call and visit lists (名单) built from a filter over the customers
of a unit's subtree, frozen, assigned to staff and worked on a phone.

- An OutreachList is frozen when it is built: its customers (ListAssignment rows, one INSERT … SELECT per
  list, outreach.services.building) do not change when a customer later changes tier, outlet or manager.
  Its `criteria` keep the filter it was built from, for the page to say what the list is.
- A ListAssignment is one customer of a list and the staff member who works them (empty until assigned
  by hand), with what the customer was when the list was frozen (tier, average daily AUM) and where the
  work stands (first reached, first 已办理, the next follow-up; a call not answered, 未接通, leaves the
  customer to contact again).
- A Contact is one call or visit and its outcome; a visit may carry a photo (private, streamed by an
  access-checked view, in the same store as the ledger's evidence) and the browser's location.
- DoNotContact (勿扰) marks a customer no later list takes: set by the outcome 勿扰 or by hand.

The rates (coverage, contact success, conversion, visits per person) are facts of the metrics this app
declares (migration 0002), written by outreach.services.facts through kpi's facts_ingest (source
`outreach`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from branches.models import OrgUnit
from customers.models import MONEY, Customer
from staff.models import StaffMember


class Channel(models.TextChoices):
    CALL = "call", _("Call (电话回访)")
    VISIT = "visit", _("Visit (走访)")


class Outcome(models.TextChoices):
    CONNECTED = "connected", _("Reached (接通)")
    NO_ANSWER = "no_answer", _("Not reached (未接通)")
    INTERESTED = "interested", _("Interested (有意向)")
    DONE = "done", _("Signed up (已办理)")
    REFUSED = "refused", _("Refused (拒绝)")
    DO_NOT_DISTURB = "dnd", _("Do not disturb (勿扰)")


# Contact success (DOMAIN: 接通率): the calls on which the customer was reached and talked, whatever they
# said after: 接通, 有意向 and 已办理. 拒绝 and 勿扰 are reached too, but are not a success of the call.
SUCCESS_OUTCOMES = (Outcome.CONNECTED, Outcome.INTERESTED, Outcome.DONE)
# Reached (触达): the customer answered, whatever they said. A list customer counts as contacted (coverage,
# 名单覆盖率) once reached; after 未接通 alone they are still to contact (to call again).
REACHED_OUTCOMES = tuple(outcome for outcome in Outcome if outcome != Outcome.NO_ANSWER)


class Movement(models.TextChoices):
    """A list's tier movement filter (customers.models.TierMigration.movement)."""

    DOWN = "down", _("Moved down")
    LOST = "lost", _("Lost")
    NEW = "new", _("New")


class AssignMode(models.TextChoices):
    EVEN = "even", _("Evenly over the chosen staff")
    MANAGER = "manager", _("By relationship manager")
    HAND = "hand", _("By hand")


class OutreachList(models.Model):
    name = models.CharField(_("name"), max_length=100)
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+", help_text=_("Whose customers.")
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.CALL)
    criteria = models.JSONField(_("filter"), default=dict, blank=True)
    assign_mode = models.CharField(_("assigned"), max_length=8, choices=AssignMode.choices, default=AssignMode.EVEN)
    starts_on = models.DateField(_("from"))
    due_on = models.DateField(_("due"))
    customers = models.PositiveIntegerField(_("customers"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("built by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("built"), auto_now_add=True)

    class Meta:
        verbose_name = _("outreach list")
        verbose_name_plural = _("outreach lists")
        ordering = ["-starts_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.starts_on:%Y-%m-%d})"


class ListAssignment(models.Model):
    outreach_list = models.ForeignKey(
        OutreachList, verbose_name=_("list"), on_delete=models.CASCADE, related_name="assignments"
    )
    # No database constraint: a list of two million customers is inserted in one statement (bench).
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    staff = models.ForeignKey(
        StaffMember, verbose_name=_("assigned to"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The staff member's outlet when the customer was assigned to them: the list's coverage counts there.
    outlet = models.ForeignKey(
        OrgUnit, verbose_name=_("outlet"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assigned_on = models.DateField(_("assigned on"), null=True, blank=True)
    position = models.PositiveIntegerField(_("order"), default=0)
    tier_code = models.CharField(_("tier"), max_length=16, blank=True)
    aum_avg_daily = models.DecimalField(_("average daily AUM"), null=True, blank=True, **MONEY)
    last_outcome = models.CharField(_("last outcome"), max_length=12, choices=Outcome.choices, blank=True)
    # The day the customer was first reached (REACHED_OUTCOMES): empty while only 未接通 (to call again).
    first_contact_on = models.DateField(_("first contact"), null=True, blank=True)
    converted_on = models.DateField(_("signed up"), null=True, blank=True)
    next_follow_up = models.DateField(_("next follow-up"), null=True, blank=True)
    product_interest = models.CharField(_("product of interest"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("list customer")
        verbose_name_plural = _("list customers")
        ordering = ["outreach_list", "position"]
        constraints = [
            models.UniqueConstraint(fields=["outreach_list", "customer"], name="outreach_customer_once_per_list")
        ]
        indexes = [models.Index(fields=["staff", "outreach_list"]), models.Index(fields=["outreach_list", "position"])]

    def __str__(self) -> str:
        return f"{self.outreach_list_id} {self.customer_id}"


class Contact(models.Model):
    assignment = models.ForeignKey(
        ListAssignment, verbose_name=_("list customer"), on_delete=models.CASCADE, related_name="contacts"
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    staff = models.ForeignKey(StaffMember, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")
    # The staff member's outlet on the day of the contact (where the fact goes), whatever the customer's
    # home outlet is then or was when the list was built.
    outlet = models.ForeignKey(OrgUnit, verbose_name=_("outlet"), on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("day"))
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    product = models.CharField(_("product of interest"), max_length=50, blank=True)
    next_follow_up = models.DateField(_("next follow-up"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    photo = models.CharField(_("photo"), max_length=200, blank=True, editable=False)
    photo_type = models.CharField(_("photo type"), max_length=16, blank=True, editable=False)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-day", "-pk"]
        indexes = [models.Index(fields=["day", "outlet"]), models.Index(fields=["customer", "day"])]

    def __str__(self) -> str:
        return f"{self.day} {self.get_channel_display()} {self.get_outcome_display()}"

    @property
    def has_photo(self) -> bool:
        return bool(self.photo)


class DoNotContact(models.Model):
    """勿扰: no later list takes this customer (set by the outcome 勿扰, or by hand; removed by hand)."""

    customer = models.OneToOneField(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+", primary_key=True
    )
    by_outcome = models.BooleanField(_("set by a contact's outcome"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("set by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField(_("set"), auto_now_add=True)

    class Meta:
        verbose_name = _("do-not-contact flag")
        verbose_name_plural = _("do-not-contact flags")

    def __str__(self) -> str:
        return str(self.customer_id)
