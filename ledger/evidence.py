"""Photos of the ledger's evidence (a leaflet handed out, a merchant visited): checked, stored, read back.

Stored through Django's storage API under the alias `ledger_evidence` of settings.STORAGES: files on
the server's disk by default (settings.EVIDENCE_ROOT, outside the static and media URLs), any
S3-compatible store in production (django-storages; bankops/settings.py sets it when BANKOPS_S3_BUCKET
is set). A photo has no public URL in either: ledger.views.entry_photo streams it after checking the
reader's scope.

Checked before anything is written: at most settings.LEDGER_PHOTO_MAX_BYTES (5 MB by default), and a
JPEG, PNG or WebP image by its content (its first bytes), whatever its name or the type the browser
claims. Its name in the store is made here (month folders, a random name, the type's extension), so
nothing a user typed reaches a path.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.storage import Storage, storages
from django.utils import timezone
from django.utils.translation import gettext as _

STORAGE_ALIAS = "ledger_evidence"

# Content type → extension, and the bytes a file of the type starts with.
TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
_HEAD_BYTES = 12


def evidence_storage() -> Storage:
    return storages[STORAGE_ALIAS]


def photo_type(head: bytes) -> str | None:
    """The image type the first bytes of a file say it is (JPEG, PNG or WebP), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def photo_check(upload: File) -> str:
    """The photo's content type; ValidationError saying what is wrong when it is too large or not an image
    of the types taken."""
    limit = settings.LEDGER_PHOTO_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is None or size > limit:
        raise ValidationError(
            _("The photo is larger than %(limit)s MB; take it again at a lower resolution.")
            % {"limit": f"{limit / 1024 / 1024:g}"},
            code="photo_too_large",
        )
    if size == 0:
        raise ValidationError(_("The photo is empty."), code="photo_empty")
    upload.seek(0)
    head = upload.read(_HEAD_BYTES)
    upload.seek(0)
    found = photo_type(head)
    if found is None:
        raise ValidationError(
            _("The photo must be a JPEG, PNG or WebP image; this file is not one of them."), code="photo_type"
        )
    return found


def photo_save(upload: File, *, content_type: str, folder: str = "ledger") -> str:
    """Stores a checked photo; its name in the store (under `folder`: the outreach visits' photos are
    kept beside the ledger's, under outreach/)."""
    now = timezone.localdate()
    name = f"{folder}/{now:%Y/%m}/{uuid.uuid4().hex}.{TYPES[content_type]}"
    upload.seek(0)
    return evidence_storage().save(name, upload)


def photo_delete(name: str) -> None:
    """Removes a stored photo (a write that failed after the photo was stored); quiet if it is gone."""
    if name:
        storage = evidence_storage()
        if storage.exists(name):
            storage.delete(name)


def photo_open(name: str):
    return evidence_storage().open(name, "rb")
