"""URL converters: a code in a route (`units/<code:code>/`) is matched by the one grammar of codes, so a
path with a NUL byte, a slash-free 5,000-character name or any other thing no code can be never reaches a
view (PostgreSQL answers a NUL byte in a query with an error, a 500). Such a path is not found (404).

Registered when this module is imported: each app's urls.py imports it before using `<code:…>`.
"""

from __future__ import annotations

from django.urls import register_converter
from django.urls.converters import StringConverter

# The grammar of every code (units, peer groups, staff, metrics, customers, tiers): 1 to 32 letters,
# digits, '_', '.' or '-', starting with a letter or digit. branches.models.code_validator checks it on
# the models; the routes and the OpenAPI schema use it from here.
CODE_REGEX = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}"
CODE_MAX_LENGTH = 32


class CodeConverter(StringConverter):
    regex = CODE_REGEX


register_converter(CodeConverter, "code")
