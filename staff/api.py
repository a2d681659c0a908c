"""API authentication and permissions for integration tokens (`Authorization: Token KEY`)."""

from __future__ import annotations

import datetime
import hashlib

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework import authentication, exceptions, permissions

from lib import ratelimit
from staff import access
from staff.models import ApiToken


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        _refuse_after_too_many_failures(request)
        if len(header) != 2:
            _record_failure(request)
            raise exceptions.AuthenticationFailed("Send the header as 'Authorization: Token <key>'.")
        key = header[1].decode(errors="replace")
        # One indexed query by the key's hash (unique), with the unit that access needs (scope_for_token)
        # and whether another unit is a root too (access.token_reaches_network);
        # get(), not first(): no ORDER BY name and LIMIT to plan. No comparison of secrets happens in
        # Python: a timing difference of the index lookup could at most tell how much of a SHA-256 an
        # attacker's guess shares with a stored one, which does not bring a key any nearer.
        try:
            token = (
                ApiToken.objects.select_related("unit")
                .annotate(**{access.ANOTHER_ROOT: access.another_root_exists()})
                .get(key_hash=hash_key(key), revoked_at=None)
            )
        except ApiToken.DoesNotExist:
            _record_failure(request)
            raise exceptions.AuthenticationFailed("Unknown or revoked token.") from None
        _stamp_last_use(token, timezone.now())
        return (TokenUser(token), token)

    def authenticate_header(self, request):
        return self.keyword


# A token's last use is written at most once per this stretch: a busy integration does not write a row on
# every request (admin's "last used" is then at most this old), and a token used once is still stamped.
LAST_USE_STAMP_EVERY = datetime.timedelta(minutes=1)


def _stamp_last_use(token: ApiToken, now: datetime.datetime) -> bool:
    """Record the token's use unless it was recorded within LAST_USE_STAMP_EVERY (no query then); whether
    this call wrote it. A compare-and-swap: of the gunicorn workers that read the same old stamp at once,
    one writes."""
    stale = now - LAST_USE_STAMP_EVERY
    if token.last_used_at is not None and token.last_used_at > stale:
        return False
    fresh = Q(last_used_at=None) | Q(last_used_at__lte=stale)
    written = ApiToken.objects.filter(fresh, pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
    return bool(written)


class TooManyAuthFailures(exceptions.Throttled):
    """429 for an address that has sent too many wrong tokens (its own message, not the request limit's)."""


def _failure_rate() -> tuple[str, int, int] | None:
    rate = getattr(settings, "API_AUTH_FAILURE_RATE", None)
    return (rate, *ratelimit.parse_rate(rate)) if rate else None


def _refuse_after_too_many_failures(request) -> None:
    """Once a client address has sent API_AUTH_FAILURE_RATE wrong tokens ("20/min"), every token it sends
    is refused (429) until the window ends, before the token is looked at: guessing a key goes no faster
    than that. Read, then counted on failure: requests already in flight when the limit is reached are
    still checked, so a window may see the limit plus as many guesses as were sent in parallel."""
    failure_rate = _failure_rate()
    if failure_rate is None:
        return
    rate, limit, window = failure_rate
    failures, wait = ratelimit.peek(f"authfail:{ratelimit.client_ip(request)}", window=window)
    if failures >= limit:
        message = f"too many failed authentications from this address: the limit is {rate}; try again in {wait} seconds"
        raise TooManyAuthFailures(wait=wait, detail=message)


def _record_failure(request) -> None:
    failure_rate = _failure_rate()
    if failure_rate is not None:
        _rate, limit, window = failure_rate
        ratelimit.hit(f"authfail:{ratelimit.client_ip(request)}", limit=limit, window=window)


class TokenUser:
    """Stands in for request.user when a token authenticated the request."""

    is_authenticated = True
    is_active = True
    is_anonymous = False
    is_superuser = False
    is_staff = False
    role = "token"
    unit_id = None
    pk = None
    id = None

    def __init__(self, token: ApiToken):
        self.token = token
        self.username = f"token:{token.name}"

    def __str__(self) -> str:
        return self.username


class HasTokenScope(permissions.BasePermission):
    """Token requests need the view's `required_scope` (default `read` for safe methods); session users
    pass through to the role checks of the view."""

    message = "This token does not have the scope this request needs."

    def has_permission(self, request, view) -> bool:
        token = request.auth if isinstance(request.auth, ApiToken) else None
        if token is None:
            return True
        needed = getattr(view, "required_scopes", {}).get(request.method)
        if needed is None:
            needed = ApiToken.ScopeName.READ if request.method in permissions.SAFE_METHODS else ApiToken.ScopeName.ADMIN
        return needed in token.scope_names


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """Describes `Authorization: Token <key>` in the OpenAPI schema (drf-spectacular finds it by
    target_class once this module is imported, which the authentication settings do)."""

    target_class = "staff.api.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="HTTP_AUTHORIZATION", token_prefix="Token")
