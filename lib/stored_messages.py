"""A job's progress message in the reader's language.

Jobs (the rollup, the tiering) store their progress message in English, the language of the API that
serves it and of the logs. A page or the admin shows the messages it knows in the reader's language by
matching them against the patterns the job writes; anything else (an error's own text) is shown as it
is, marked English so that a screen reader reads it as such.
"""

from __future__ import annotations

import re

from django.utils.html import format_html

KnownMessages = list[tuple[re.Pattern, str]]


def shown_message(message: str, known: KnownMessages) -> str:
    """`known`: (pattern, translatable text with the pattern's named groups as %(name)s) pairs."""
    for pattern, text in known:
        if matched := pattern.fullmatch(message):
            return text % matched.groupdict()
    return format_html('<span lang="en">{}</span>', message) if message else ""
