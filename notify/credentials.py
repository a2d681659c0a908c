"""The secrets of a push channel (a robot's webhook key or address, DingTalk's signing secret): kept
sealed in the database or named in the environment, and never shown back in full.

A stored value is one of:

- ``fernet:<token>``: sealed with Fernet (AES-128-CBC and HMAC-SHA256, from PyCA's `cryptography`),
  under a key derived with HKDF-SHA256 from BANKOPS_SECRETS_KEY when it is set, else from SECRET_KEY.
  Set BANKOPS_SECRETS_KEY in production: rotating SECRET_KEY (sessions, signed links) then leaves the
  channels readable. A value sealed under another key cannot be opened: the delivery fails and says so,
  and HQ types the secret again.
- ``env:NAME``: the secret is the environment variable NAME of the process that sends (the worker),
  for operators who keep secrets out of the database altogether (typed as ``env:`` or ``ENV:``).
- empty: none.

Whoever reads a channel sees `mask()`: ``••••`` and the last four characters, or ``env:NAME``.
"""

from __future__ import annotations

import base64
import os
import re

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.utils.translation import gettext as _

SEALED = "fernet:"
FROM_ENV = "env:"
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,99}$")
MASK = "••••"


class CredentialError(Exception):
    """A secret that cannot be read: a missing environment variable, a value sealed under another key."""


def _fernet() -> Fernet:
    material = getattr(settings, "BANKOPS_SECRETS_KEY", "") or settings.SECRET_KEY
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"bankops notify credentials").derive(
        material.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def is_env_reference(value: str) -> bool:
    return value[: len(FROM_ENV)].lower() == FROM_ENV


def seal(plain: str) -> str:
    """What to store for a secret typed in: `env:NAME` kept as it is, anything else sealed."""
    plain = plain.strip()
    if not plain:
        return ""
    if is_env_reference(plain):
        return FROM_ENV + plain[len(FROM_ENV) :]
    return SEALED + _fernet().encrypt(plain.encode()).decode()


def unseal(stored: str) -> str:
    """The secret a stored value stands for; CredentialError when it cannot be had."""
    if not stored:
        return ""
    if stored.startswith(FROM_ENV):
        name = stored.removeprefix(FROM_ENV)
        value = os.environ.get(name, "")
        if not value:
            raise CredentialError(_("The environment variable %(name)s is not set.") % {"name": name})
        return value
    if stored.startswith(SEALED):
        try:
            return _fernet().decrypt(stored.removeprefix(SEALED).encode()).decode()
        except InvalidToken:
            raise CredentialError(
                _("The stored secret cannot be opened (sealed under another key): type it again in the admin.")
            ) from None
    raise CredentialError(_("The stored secret is in no known form: type it again in the admin."))


def mask(stored: str) -> str:
    """What a reader sees: the environment variable's name, or •••• and the secret's last four characters."""
    if not stored:
        return ""
    if stored.startswith(FROM_ENV):
        return stored
    try:
        plain = unseal(stored)
    except CredentialError:
        return MASK
    return MASK + plain[-4:] if len(plain) > 8 else MASK


def env_name_problem(value: str) -> str | None:
    """Why `env:NAME` names no usable variable name (None when it does, or is not an env reference)."""
    if is_env_reference(value) and not ENV_NAME.match(value[len(FROM_ENV) :]):
        return _("Write env:NAME with NAME in capitals, digits and underscores, e.g. env:WECOM_GZ01_KEY.")
    return None
