"""API authentication and permissions for integration tokens (`Authorization: Token KEY`)."""

from __future__ import annotations

import hashlib

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework import authentication, exceptions, permissions

from staff.models import ApiToken


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the header as 'Authorization: Token <key>'.")
        key = header[1].decode(errors="replace")
        token = ApiToken.objects.select_related("unit").filter(key_hash=hash_key(key), revoked_at=None).first()
        if token is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked token.")
        now = timezone.now()
        # Record use at most once a minute, so a busy integration does not write on every request.
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return (TokenUser(token), token)

    def authenticate_header(self, request):
        return self.keyword


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
