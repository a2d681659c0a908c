"""The organisation: a tree of units (HQ → branch → sub-branch → outlet, any depth) and peer groups.

The tree is stored as a materialised path of unit codes (`/HQ/GZ/GZ01/GZ0101/`), so "every unit under
X" is one indexed `path LIKE '/HQ/GZ/%'` query (Apache Fineract's m_office.hierarchy does the same).
Codes are stable identifiers used in files and the API; when one changes, the subtree's paths are
rewritten in a single UPDATE.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from lib.converters import CODE_REGEX

CODE_PATTERN = rf"^{CODE_REGEX}$"
code_validator = RegexValidator(
    CODE_PATTERN, _("Use 1–32 letters, digits, '_', '.' or '-', starting with a letter or digit.")
)

PATH_SEPARATOR = "/"


class UnitKind(models.TextChoices):
    HQ = "hq", _("Head office (总行)")
    BRANCH = "branch", _("Branch (分行)")
    SUB_BRANCH = "sub_branch", _("Sub-branch (支行)")
    OUTLET = "outlet", _("Outlet (网点)")


# A kind as a noun inside a sentence: "'GZ01' is a sub-branch, not an outlet".
_KIND_NOUNS = {
    UnitKind.HQ: pgettext_lazy("unit kind in a sentence", "head office"),
    UnitKind.BRANCH: pgettext_lazy("unit kind in a sentence", "branch"),
    UnitKind.SUB_BRANCH: pgettext_lazy("unit kind in a sentence", "sub-branch"),
    UnitKind.OUTLET: pgettext_lazy("unit kind in a sentence", "outlet"),
}


def unit_kind_noun(kind: str) -> str:
    """The kind of a unit (its code) as a noun in the reader's language."""
    return str(_KIND_NOUNS.get(kind, kind))


class Area(models.TextChoices):
    URBAN = "urban", _("Urban (城区)")
    COUNTY = "county", _("County (县城)")
    TOWNSHIP = "township", _("Township (乡镇)")


class OutletFormat(models.TextChoices):
    FULL = "full", _("Full-service (全功能)")
    LIGHT = "light", _("Light (轻型)")
    SMART = "smart", _("Smart (智能)")


class Transformation(models.TextChoices):
    NOT_STARTED = "not_started", _("Not transformed (未转型)")
    ROLLING_OUT = "rolling_out", _("Rolling out (导入中)")
    TRANSFORMED = "transformed", _("Transformed (已转型)")


class UnitStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


def _localized(zh: str, en: str) -> str:
    """The zh or en variant by the active language, falling back to whichever is filled in."""
    language = (get_language() or "zh-hans").lower()
    if language.startswith("en"):
        return en or zh
    return zh or en


class OrgUnitQuerySet(models.QuerySet):
    def subtree(self, unit: OrgUnit) -> OrgUnitQuerySet:
        """The unit and every unit below it: one indexed prefix filter."""
        return self.filter(path__startswith=unit.path)

    def subtree_of_path(self, path: str) -> OrgUnitQuerySet:
        return self.filter(path__startswith=path)

    def outlets(self) -> OrgUnitQuerySet:
        return self.filter(kind=UnitKind.OUTLET)

    def active(self) -> OrgUnitQuerySet:
        return self.filter(status=UnitStatus.ACTIVE)


class OrgUnit(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised path of codes, maintained by save(); e.g. "/HQ/GZ/GZ01/". Indexed for prefix search
    # (Django adds a varchar_pattern_ops index on PostgreSQL so LIKE 'x%' uses it).
    path = models.CharField(_("path"), max_length=512, db_index=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)

    # Outlet attributes (DOMAIN.md §2); blank for units above outlets.
    area = models.CharField(_("area"), max_length=16, choices=Area.choices, blank=True)
    format = models.CharField(_("format"), max_length=16, choices=OutletFormat.choices, blank=True)
    transformation = models.CharField(
        _("transformation status"),
        max_length=16,
        choices=Transformation.choices,
        default=Transformation.NOT_STARTED,
    )
    transformed_on = models.DateField(_("transformation date"), null=True, blank=True)
    is_benchmark = models.BooleanField(_("benchmark outlet (标杆网点)"), default=False)
    benchmark = models.ForeignKey(
        "self",
        verbose_name=_("replicates benchmark (标杆复制)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replicas",
        limit_choices_to={"is_benchmark": True},
    )

    status = models.CharField(_("status"), max_length=16, choices=UnitStatus.choices, default=UnitStatus.ACTIVE)
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    objects = OrgUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        ordering = ["path"]
        indexes = [models.Index(fields=["kind", "status"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def name(self) -> str:
        return _localized(self.name_zh, self.name_en)

    @property
    def is_outlet(self) -> bool:
        return self.kind == UnitKind.OUTLET

    @property
    def ancestor_codes(self) -> list[str]:
        """Codes from the root down to the parent, read off the path (no query)."""
        return [code for code in self.path.split(PATH_SEPARATOR) if code][:-1]

    def ancestors(self) -> OrgUnitQuerySet:
        return OrgUnit.objects.filter(code__in=self.ancestor_codes).order_by("depth")

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.parent_id:
            if self.pk and self.parent.path.startswith(self.path or "\0"):
                errors["parent"] = _("A unit cannot be moved under itself or one of its own units.")
        elif self.kind != UnitKind.HQ:
            errors["parent"] = _("Only the head office has no parent unit.")
        if self.kind == UnitKind.OUTLET:
            if not self.area:
                errors["area"] = _("An outlet needs an area.")
            if not self.format:
                errors["format"] = _("An outlet needs a format.")
        if self.benchmark_id and self.benchmark_id == self.pk:
            errors["benchmark"] = _("An outlet cannot replicate itself.")
        if errors:
            raise ValidationError(errors)

    def compute_path(self) -> str:
        prefix = self.parent.path if self.parent_id else PATH_SEPARATOR
        return f"{prefix}{self.code}{PATH_SEPARATOR}"

    def save(self, *args, **kwargs) -> None:
        new_path = self.compute_path()
        old_path = self.path
        self.path = new_path
        self.depth = new_path.count(PATH_SEPARATOR) - 2
        with transaction.atomic():
            super().save(*args, **kwargs)
            if old_path and old_path != new_path:
                rewrite_subtree_paths(old_path, new_path)


def rewrite_subtree_paths(old_prefix: str, new_prefix: str) -> int:
    """Move every descendant's path from old_prefix to new_prefix in one UPDATE."""
    shift = new_prefix.count(PATH_SEPARATOR) - old_prefix.count(PATH_SEPARATOR)
    return (
        OrgUnit.objects.filter(path__startswith=old_prefix)
        .exclude(path=new_prefix)
        .update(
            path=Concat(Value(new_prefix), Substr("path", len(old_prefix) + 1), output_field=models.CharField()),
            depth=F("depth") + shift,
        )
    )


class PeerGroup(models.Model):
    """A named set of outlets ranked against each other. Default groups (one per sub-branch and area)
    are rebuilt by `peer_groups_rebuild`; groups HQ makes by hand (is_default off) are left alone."""

    code = models.CharField(_("code"), max_length=64, unique=True, validators=[code_validator])
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    is_default = models.BooleanField(
        _("maintained automatically"),
        default=False,
        help_text=_("Default groups are rebuilt every night from the tree; untick to edit by hand."),
    )
    parent_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("parent unit"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    area = models.CharField(_("area"), max_length=16, choices=Area.choices, blank=True)
    members = models.ManyToManyField(
        OrgUnit,
        verbose_name=_("outlets"),
        related_name="peer_groups",
        limit_choices_to={"kind": UnitKind.OUTLET},
        blank=True,
    )

    class Meta:
        verbose_name = _("peer group")
        verbose_name_plural = _("peer groups")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def name(self) -> str:
        return _localized(self.name_zh, self.name_en)
