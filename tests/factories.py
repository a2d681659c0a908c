"""factory_boy factories for the org tree and the people in it.

Units are built top-down: every unit but the head office needs its `parent`, because a unit's path (and
so everything the scope helper answers) follows from where it hangs. Posts are not built here: the
catalog comes from the data migration, so tests take them with `post("teller")`.
"""

from __future__ import annotations

import datetime

import factory
from factory.django import DjangoModelFactory

from branches.models import Area, OrgUnit, OutletFormat, UnitKind
from staff.models import Assignment, Post, StaffMember, User

TEST_PASSWORD = "柜面-Counter-2026!"

# Common Chinese given and family names, so lists and pages read like the real thing.
_STAFF_NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄勇", "周婷", "吴斌", "徐丽", "孙浩")


_KIND_ZH = {UnitKind.HQ: "总行", UnitKind.BRANCH: "分行", UnitKind.SUB_BRANCH: "支行", UnitKind.OUTLET: "网点"}
_KIND_EN = {
    UnitKind.HQ: "head office",
    UnitKind.BRANCH: "branch",
    UnitKind.SUB_BRANCH: "sub-branch",
    UnitKind.OUTLET: "outlet",
}


def post(code: str) -> Post:
    """A post of the catalog installed by staff/migrations/0002_posts.py."""
    return Post.objects.get(code=code)


class OrgUnitFactory(DjangoModelFactory):
    """An outlet by default; `hq=True`, `branch=True` or `sub_branch=True` for the units above.

    Area and format are filled in for outlets only (DOMAIN.md §2), so a factory-made branch is as
    valid as an imported one.
    """

    class Meta:
        model = OrgUnit
        skip_postgeneration_save = True

    class Params:
        hq = factory.Trait(kind=UnitKind.HQ)
        branch = factory.Trait(kind=UnitKind.BRANCH)
        sub_branch = factory.Trait(kind=UnitKind.SUB_BRANCH)
        outlet = factory.Trait(kind=UnitKind.OUTLET)

    code = factory.Sequence(lambda n: f"U{n:04d}")
    name_zh = factory.LazyAttribute(lambda unit: f"{unit.code}{_KIND_ZH[unit.kind]}")
    name_en = factory.LazyAttribute(lambda unit: f"{unit.code} {_KIND_EN[unit.kind]}")
    kind = UnitKind.OUTLET
    parent = None
    area = factory.LazyAttribute(lambda unit: Area.URBAN if unit.kind == UnitKind.OUTLET else "")
    format = factory.LazyAttribute(lambda unit: OutletFormat.FULL if unit.kind == UnitKind.OUTLET else "")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        if kwargs.get("kind") != UnitKind.HQ and kwargs.get("parent") is None:
            raise ValueError(f"OrgUnitFactory: a {kwargs.get('kind')} needs parent=…; only the head office has none")
        return super()._create(model_class, *args, **kwargs)

    @classmethod
    def head_office(cls, **kwargs) -> OrgUnit:
        return cls(hq=True, **kwargs)

    @classmethod
    def branch_of(cls, parent: OrgUnit, **kwargs) -> OrgUnit:
        return cls(branch=True, parent=parent, **kwargs)

    @classmethod
    def sub_branch_of(cls, parent: OrgUnit, **kwargs) -> OrgUnit:
        return cls(sub_branch=True, parent=parent, **kwargs)

    @classmethod
    def outlet_of(cls, parent: OrgUnit, **kwargs) -> OrgUnit:
        return cls(outlet=True, parent=parent, **kwargs)


class UserFactory(DjangoModelFactory):
    """A login; the password is hashed with set_password, so `client.login` works with TEST_PASSWORD."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    # Chinese names are written family name first and without a space, so the whole name goes in
    # first_name and get_full_name() returns it as is.
    first_name = factory.Sequence(lambda n: _STAFF_NAMES[n % len(_STAFF_NAMES)])
    last_name = ""
    email = factory.LazyAttribute(lambda user: f"{user.username}@bank.example.com")
    role = ""
    unit = None
    is_active = True

    @classmethod
    def _create(cls, model_class, *args, password: str = TEST_PASSWORD, **kwargs):
        user = model_class(*args, **kwargs)
        user.set_password(password)
        user.save()
        return user


class StaffMemberFactory(DjangoModelFactory):
    class Meta:
        model = StaffMember

    code = factory.Sequence(lambda n: f"S{n:05d}")
    name = factory.Sequence(lambda n: _STAFF_NAMES[n % len(_STAFF_NAMES)])
    user = None


class AssignmentFactory(DjangoModelFactory):
    """A teller's open-ended assignment from 2026-01-01 unless told otherwise; `unit` is required.

    `post` may be given as a catalog code: AssignmentFactory(unit=outlet, post="lobby_manager").
    """

    class Meta:
        model = Assignment

    staff = factory.SubFactory(StaffMemberFactory)
    post = "teller"
    start = datetime.date(2026, 1, 1)
    end = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        if kwargs.get("unit") is None:
            raise ValueError("AssignmentFactory: pass unit=… (the outlet the staff member works at)")
        if isinstance(kwargs.get("post"), str):
            kwargs["post"] = post(kwargs["post"])
        return super()._create(model_class, *args, **kwargs)
