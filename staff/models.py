"""People: logins with a role and a scope, staff members, posts and dated assignments (DOMAIN.md §2, §7)."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from branches.models import OrgUnit, _localized, code_validator


class Role(models.TextChoices):
    HQ_ADMIN = "hq_admin", _("HQ administrator")
    UNIT_MANAGER = "unit_manager", _("Unit manager")
    OUTLET_HEAD = "outlet_head", _("Outlet head")
    STAFF = "staff", _("Staff member")
    AUDITOR = "auditor", _("Auditor")


class User(AbstractUser):
    """A login. Its role says what it may do and its unit whose subtree it may see (DOMAIN.md §7);
    staff/access.py is the one place that turns these into answers."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, blank=True)
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("scope unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        help_text=_("The user sees this unit and everything under it."),
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def get_full_name(self) -> str:
        """Chinese names read family name first, without a space (刘雪梅, not 雪梅 刘)."""
        if any("\u4e00" <= char <= "\u9fff" for char in f"{self.first_name}{self.last_name}"):
            return f"{self.last_name}{self.first_name}".strip()
        return super().get_full_name()

    def clean(self) -> None:
        super().clean()
        if self.role in (Role.UNIT_MANAGER, Role.OUTLET_HEAD) and not self.unit_id:
            raise ValidationError({"unit": _("A unit manager or outlet head needs the unit they are responsible for.")})
        if self.role == Role.OUTLET_HEAD and self.unit_id and not self.unit.is_outlet:
            raise ValidationError({"unit": _("An outlet head's unit must be an outlet.")})


class Post(models.Model):
    """A job (岗位). The catalog of DOMAIN.md §2 is installed by a data migration."""

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name_zh = models.CharField(_("name (Chinese)"), max_length=50)
    name_en = models.CharField(_("name (English)"), max_length=50)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_front_line = models.BooleanField(_("front line"), default=True)

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _localized(self.name_zh, self.name_en)


class StaffMember(models.Model):
    code = models.CharField(_("staff code"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=50)
    user = models.OneToOneField(
        User,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff_member",
    )

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class AssignmentQuerySet(models.QuerySet):
    def on(self, day: datetime.date) -> AssignmentQuerySet:
        """Assignments in force on `day` (start ≤ day, and end empty or ≥ day)."""
        return self.filter(Q(end__isnull=True) | Q(end__gte=day), start__lte=day)


class Assignment(models.Model):
    """A staff member holds a post at a unit from `start` to `end` (inclusive; empty = still there).
    Several may overlap: a teller can serve two outlets."""

    staff = models.ForeignKey(
        StaffMember, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="assignments"
    )
    post = models.ForeignKey(Post, verbose_name=_("post"), on_delete=models.PROTECT, related_name="assignments")
    unit = models.ForeignKey(OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="assignments")
    start = models.DateField(_("from"))
    end = models.DateField(_("to"), null=True, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["staff__code", "start"]
        constraints = [
            models.UniqueConstraint(fields=["staff", "post", "unit", "start"], name="assignment_unique_start"),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")), name="assignment_end_after_start"
            ),
        ]
        indexes = [models.Index(fields=["unit", "start", "end"])]

    def __str__(self) -> str:
        return f"{self.staff} · {self.post} · {self.unit.code} ({self.start} – {self.end or '…'})"

    def clean(self) -> None:
        if self.end and self.start and self.end < self.start:
            raise ValidationError({"end": _("The end date is before the start date.")})


class ApiToken(models.Model):
    """A key for an integration (DOMAIN.md §7): it sees its unit's subtree; `read` to pull, `ingest` to
    push facts, `admin` for writes HQ would make, `personal` to read personal data unmasked. Only a
    SHA-256 hash of the key is stored."""

    class ScopeName(models.TextChoices):
        READ = "read", _("read")
        INGEST = "ingest", _("ingest facts")
        ADMIN = "admin", _("admin")
        PERSONAL = "personal", _("personal data")

    name = models.CharField(_("name"), max_length=100, unique=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("key starts with"), max_length=8, editable=False)
    unit = models.ForeignKey(OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="api_tokens")
    scopes = models.CharField(
        _("scopes"),
        max_length=64,
        default="read",
        help_text=_("Comma-separated: read, ingest, admin, personal (names and identity numbers unmasked)"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        User, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def scope_names(self) -> frozenset[str]:
        return frozenset(part.strip() for part in self.scopes.split(",") if part.strip())

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
