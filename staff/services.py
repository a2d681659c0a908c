"""Writes about people: the staff import and API tokens."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from branches.models import CODE_PATTERN, OrgUnit
from lib.csvimport import Checker, Column, Columns, CsvRow, ImportResult, choice, codes_lookup, date, known, valid_code
from staff.api import hash_key
from staff.models import ApiToken, Assignment, Post, StaffMember, User

STAFF_COLUMNS = Columns(
    Column("code", valid_code(CODE_PATTERN), required=True),
    Column("name", required=True),
    Column("post", required=True),  # one of the posts in the database
    Column("unit", required=gettext_lazy("a unit code")),
    Column("start", date, required=True),
    Column("end", date),
)


def staff_import(*, rows: list[CsvRow]) -> ImportResult:
    """Create or update staff members and their assignments from CSV rows (STAFF_COLUMNS).

    One row is one assignment: a staff member with two posts or two outlets has two rows. An
    assignment is identified by (staff, post, unit, start); importing it again only updates its end.
    All or nothing: every problem is collected before anything is written.
    """
    check = Checker()
    posts = dict(Post.objects.values_list("code", "pk"))
    units = codes_lookup(OrgUnit, {row["unit"] for row in rows})
    names: dict[str, tuple[str, int]] = {}
    parsed: list[tuple] = []  # (code, post pk, unit pk, start, end)
    for row in STAFF_COLUMNS.parse(
        rows, check, post=choice(posts), unit=known(units, gettext("unit '{}' is not known; import the units first"))
    ):
        code, name, start, end = row["code"], row["name"], row["start"], row["end"]
        if start and end and end < start:
            row.problem("end", gettext("%(end)s is before the start date %(start)s") % {"end": end, "start": start})
        if code and name:
            if code in names and names[code][0] != name:
                row.problem(
                    "name",
                    gettext("'%(name)s' differs from '%(first)s' for %(code)s on line %(line)s")
                    % {"name": name, "first": names[code][0], "code": code, "line": names[code][1]},
                )
            names.setdefault(code, (name, row.line))
        if not (code and name and row["post"] and row["unit"] and start):
            continue
        key = (code, posts[row["post"]], row["unit"], start)
        if (first := check.repeated(key, row.line)) is not None:
            row.problem("start", gettext("the same assignment is already on line %(first)s") % {"first": first})
            continue
        parsed.append((*key, end))
    check.raise_if_any()

    result = ImportResult()
    with transaction.atomic():
        members = {member.code: member for member in StaffMember.objects.filter(code__in=names)}
        new_members = [
            StaffMember(code=code, name=name) for code, (name, _line) in names.items() if code not in members
        ]
        StaffMember.objects.bulk_create(new_members)
        renamed = []
        for code, member in members.items():
            if member.name != names[code][0]:
                member.name = names[code][0]
                renamed.append(member)
        StaffMember.objects.bulk_update(renamed, ["name"])
        renamed_codes = {member.code for member in renamed}
        members = {member.code: member for member in StaffMember.objects.filter(code__in=names)}

        existing = {
            (a.staff_id, a.post_id, a.unit_id, a.start): a
            for a in Assignment.objects.filter(staff__in=members.values())
        }
        to_create, to_update = [], []
        for code, post_pk, unit_pk, start, end in parsed:
            key = (members[code].pk, post_pk, unit_pk, start)
            assignment = existing.get(key)
            if assignment is None:
                to_create.append(Assignment(staff_id=key[0], post_id=post_pk, unit_id=unit_pk, start=start, end=end))
                result.created += 1
            elif assignment.end != end:
                assignment.end = end
                to_update.append(assignment)
                result.updated += 1
            elif code in renamed_codes:
                result.updated += 1
            else:
                result.unchanged += 1
        Assignment.objects.bulk_create(to_create)
        Assignment.objects.bulk_update(to_update, ["end"])
    return result


# -- API tokens (DOMAIN.md §7) -------------------------------------------------------------------------


def api_token_issue_key(token: ApiToken) -> str:
    """Give an unsaved token a fresh key and return it: the key is shown once, only its hash is kept."""
    key = secrets.token_urlsafe(32)
    token.key_hash = hash_key(key)
    token.prefix = key[:8]
    return key


def api_token_scopes(scopes: str | Iterable[str]) -> str:
    """The scopes as stored ("read,ingest"): known names only, each once, in catalog order."""
    names = [part.strip() for part in (scopes.split(",") if isinstance(scopes, str) else scopes)]
    names = [name for name in names if name]
    known = ApiToken.ScopeName.values
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValidationError(f"unknown scope {', '.join(unknown)} (use {', '.join(known)})")
    if not names:
        raise ValidationError(f"give at least one scope ({', '.join(known)})")
    return ",".join(name for name in known if name in names)


def api_token_create(
    *, name: str, unit: OrgUnit, scopes: str | Iterable[str], created_by: User | None = None
) -> tuple[ApiToken, str]:
    """A new integration token for `unit`'s subtree; returns it with its key, which is never stored."""
    name = name.strip()
    if not name:
        raise ValidationError("a token needs a name")
    token = ApiToken(name=name, unit=unit, scopes=api_token_scopes(scopes), created_by=created_by)
    key = api_token_issue_key(token)
    if ApiToken.objects.filter(name=name).exists():
        raise ValidationError(f"a token named '{name}' already exists; revoke it or choose another name")
    token.save()
    return token, key


def api_token_revoke(*, name: str) -> ApiToken:
    """Revoke a token by name from now on (safe to repeat: the first revocation time is kept)."""
    token = ApiToken.objects.filter(name=name).first()
    if token is None:
        raise ValidationError(f"no token is named '{name}'")
    ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=timezone.now())
    token.refresh_from_db(fields=["revoked_at"])
    return token
