"""Writes about people: the staff import and API tokens."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from branches.models import CODE_PATTERN, OrgUnit
from lib.csvimport import Checker, CsvRow, ImportResult
from staff.api import hash_key
from staff.models import ApiToken, Assignment, Post, StaffMember, User

STAFF_COLUMNS = ("code", "name", "post", "unit", "start", "end")


def staff_import(*, rows: list[CsvRow]) -> ImportResult:
    """Create or update staff members and their assignments from CSV rows (STAFF_COLUMNS).

    One row is one assignment: a staff member with two posts or two outlets has two rows. An
    assignment is identified by (staff, post, unit, start); importing it again only updates its end.
    All or nothing: every problem is collected before anything is written.
    """
    check = Checker()
    posts = {post.code: post.pk for post in Post.objects.all()}
    units = dict(OrgUnit.objects.values_list("code", "pk"))
    names: dict[str, tuple[str, int]] = {}
    keys: dict[tuple, int] = {}
    parsed: list[dict] = []

    for row in rows:
        line = row.line
        code = check.code(line, "code", row["code"], CODE_PATTERN)
        name = check.required(line, "name", row["name"])
        post = check.choice(line, "post", row["post"], posts.keys())
        unit = row["unit"]
        if not unit:
            check.add(line, "unit", "is required (a unit code)")
        elif unit not in units:
            check.add(line, "unit", f"unit '{unit}' is not known; import the units first")
            unit = None
        start = check.date(line, "start", row["start"])
        end = check.date(line, "end", row["end"], required=False)
        if start and end and end < start:
            check.add(line, "end", f"{end} is before the start date {start}")
        if code and name:
            if code in names and names[code][0] != name:
                check.add(line, "name", f"'{name}' differs from '{names[code][0]}' for {code} on line {names[code][1]}")
            names.setdefault(code, (name, line))
        if not (code and name and post and unit and start):
            continue
        key = (code, post, unit, start)
        if key in keys:
            check.add(line, "start", f"the same assignment is already on line {keys[key]}")
            continue
        keys[key] = line
        parsed.append({"code": code, "name": name, "post": post, "unit": unit, "start": start, "end": end})
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
        for item in parsed:
            key = (members[item["code"]].pk, posts[item["post"]], units[item["unit"]], item["start"])
            assignment = existing.get(key)
            if assignment is None:
                to_create.append(
                    Assignment(staff_id=key[0], post_id=key[1], unit_id=key[2], start=key[3], end=item["end"])
                )
                result.created += 1
            elif assignment.end != item["end"]:
                assignment.end = item["end"]
                to_update.append(assignment)
                result.updated += 1
            elif item["code"] in renamed_codes:
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
