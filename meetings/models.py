"""The outlet's rhythm (issue 17): the morning meeting (晨会), its evening look back (夕会) and the Monday
meeting (周例会), as the seeds run them: "晨会中各岗位员工汇报昨日业绩，今日目标".

A Meeting is one unit's meeting of one kind on one day (a Monday meeting is kept on its Monday). Its
sheet (《晨会记录表》) records who attended, the topics (话术, 产品, 案例), the decisions and, for the
morning meeting, each person's goal for the day on the metrics chosen (Goal); every change of a
goal is kept in GoalChange with who, when, old and new. The sheet proposes goals until it is first
saved (`sheet_saved_at`). The evening view reads the goals beside the day's actuals once the rollup of
the next morning has published the day (meetings.selectors).

An ActionItem of a meeting has an owner (a login) and a due date and may name what it is about in
another app by (kind, id): an alert, an improvement plan (一点一策) or a target (lib.links; meetings
imports none of those apps). An item linked to an alert closes when the alert closes.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from branches.models import OrgUnit
from kpi.models import AMOUNT, Metric
from lib.numbers import plain_number
from staff.models import StaffMember


class MeetingKind(models.TextChoices):
    MORNING = "morning", _("Morning meeting (晨会)")
    WEEKLY = "weekly", _("Monday meeting (周例会)")


class Meeting(models.Model):
    unit = models.ForeignKey(OrgUnit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="meetings")
    kind = models.CharField(_("kind"), max_length=8, choices=MeetingKind.choices)
    date = models.DateField(_("date"), help_text=_("A Monday meeting is kept on its Monday."))
    goal_metrics = models.ManyToManyField(
        Metric,
        verbose_name=_("metrics with goals"),
        blank=True,
        related_name="+",
        help_text=_("The metrics the morning meeting sets each person's goal for the day on."),
    )
    decisions = models.TextField(_("decisions"), blank=True)
    # The 晨会 sheet proposes a goal in an empty field only until the sheet is first saved: from then on
    # an empty field is a goal left empty or cleared on purpose, and proposing it again would bring a
    # deleted goal back at the next save (meetings.selectors.morning_sheet).
    sheet_saved_at = models.DateTimeField(
        _("sheet saved"),
        null=True,
        blank=True,
        help_text=_("When the morning sheet was last saved; empty goal fields show proposals only before."),
    )
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("held by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-date", "unit__path", "kind"]
        constraints = [models.UniqueConstraint(fields=["unit", "kind", "date"], name="meeting_once_per_unit_kind_day")]

    def __str__(self) -> str:
        return f"{self.unit.code} {self.get_kind_display()} {self.date}"


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("Present")
    LATE = "late", _("Late")
    LEAVE = "leave", _("On leave (请假)")
    ABSENT = "absent", _("Absent")


class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="attendance")
    staff = models.ForeignKey(StaffMember, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="+")
    status = models.CharField(_("attendance"), max_length=8, choices=AttendanceStatus.choices)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["meeting", "staff__code"]
        constraints = [models.UniqueConstraint(fields=["meeting", "staff"], name="attendance_once_per_person")]

    def __str__(self) -> str:
        return f"{self.staff.code} {self.get_status_display()}"


class TopicKind(models.TextChoices):
    SCRIPT = "script", _("Sales script (话术)")
    PRODUCT = "product", _("Product (产品)")
    CASE = "case", _("Case (案例)")
    OTHER = "other", _("Other")


class Topic(models.Model):
    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="topics")
    kind = models.CharField(_("kind"), max_length=8, choices=TopicKind.choices)
    text = models.CharField(_("topic"), max_length=300)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["meeting", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text}"


class Goal(models.Model):
    """A person's goal for the meeting's day on one metric, in the metric's unit (3 户 of mobile banking
    sign-ups, 50.00 万元 of other banks' deposits won). Changed only through meetings.services, which
    writes a GoalChange for every change."""

    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="goals")
    staff = models.ForeignKey(StaffMember, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="+")
    metric = models.ForeignKey(Metric, verbose_name=_("metric"), on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(_("goal"), **AMOUNT)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("set by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    set_at = models.DateTimeField(_("set"), auto_now=True)

    class Meta:
        verbose_name = _("goal for the day")
        verbose_name_plural = _("goals for the day")
        ordering = ["meeting", "staff__code", "metric__sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "staff", "metric"], name="goal_once_per_person_metric")
        ]

    def __str__(self) -> str:
        return f"{self.staff.code} {self.metric.code} {plain_number(self.value)}"


class ChangeSource(models.TextChoices):
    PAGE = "page", _("Meeting sheet")
    API = "api", _("API")


class GoalChange(models.Model):
    """Audit trail of the goals: who set, changed or cleared which goal, when, from what to what."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="goal_changes"
    )
    staff = models.ForeignKey(StaffMember, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="+")
    metric = models.ForeignKey(Metric, verbose_name=_("metric"), on_delete=models.PROTECT, related_name="+")
    old_value = models.DecimalField(_("old value"), null=True, blank=True, **AMOUNT)
    new_value = models.DecimalField(_("new value"), null=True, blank=True, **AMOUNT)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed"), auto_now_add=True)
    source = models.CharField(_("source"), max_length=8, choices=ChangeSource.choices)

    class Meta:
        verbose_name = _("goal change")
        verbose_name_plural = _("goal changes")
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        # "—" for no goal before (or after), and no stored column's trailing zeros ("3", not "3.0000").
        old, new = (plain_number(value) for value in (self.old_value, self.new_value))
        return f"{self.staff.code} {self.metric.code}: {old} → {new}"


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class ActionItem(models.Model):
    """What a meeting agreed someone does by a day (会议督办事项). `link_kind` and `link_id` name the
    object it is about in another app (lib.links: "alert", "improvement_plan", "target"); empty when
    it names none. An item linked to an alert is closed when the alert closes (`closed_with_link`)."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="action_items"
    )
    text = models.CharField(_("action"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="meeting_action_items",
    )
    due = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=8, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    link_kind = models.CharField(_("linked to"), max_length=32, blank=True)
    link_id = models.PositiveBigIntegerField(_("linked object id"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty when it closed with what it is linked to."),
    )
    closed_with_link = models.BooleanField(_("closed with its link"), default=False)

    class Meta:
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        ordering = ["due", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(link_kind="", link_id__isnull=True) | (~Q(link_kind="") & Q(link_id__isnull=False)),
                name="action_item_link_kind_and_id_together",
            )
        ]
        indexes = [
            models.Index(fields=["owner", "status", "due"]),
            models.Index(fields=["link_kind", "link_id"]),
        ]

    def __str__(self) -> str:
        return self.text
