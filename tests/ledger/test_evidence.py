"""Where the evidence photos are kept (bankops/settings.py evidence_storage, ledger/evidence.py): the server's
disk by default, outside any public URL; an S3-compatible store through django-storages when
BANKOPS_S3_BUCKET is set, private."""

from __future__ import annotations

import pytest

from bankops.settings import evidence_storage
from ledger.evidence import photo_type
from tests.ledger.conftest import JPEG, PNG, WEBP


def test_by_default_photos_are_files_on_the_server_without_a_url(monkeypatch):
    monkeypatch.delenv("BANKOPS_S3_BUCKET", raising=False)
    entry = evidence_storage()
    assert entry["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert entry["OPTIONS"]["base_url"] is None
    assert entry["OPTIONS"]["location"].endswith("private/evidence")


def test_with_a_bucket_the_s3_backend_is_configured_private(monkeypatch):
    monkeypatch.setenv("BANKOPS_S3_BUCKET", "bankops-evidence")
    monkeypatch.setenv("BANKOPS_S3_ENDPOINT_URL", "https://minio.bank.internal:9000")
    monkeypatch.setenv("BANKOPS_S3_ACCESS_KEY", "key")
    monkeypatch.setenv("BANKOPS_S3_SECRET_KEY", "secret")
    entry = evidence_storage()
    assert entry["BACKEND"] == "storages.backends.s3.S3Storage"
    options = entry["OPTIONS"]
    assert (options["bucket_name"], options["default_acl"], options["location"]) == (
        "bankops-evidence",
        "private",
        "evidence",
    )
    assert options["endpoint_url"] == "https://minio.bank.internal:9000"
    # The backend takes these options as they are (built without reaching the store).
    from storages.backends.s3 import S3Storage

    store = S3Storage(**options)
    assert store.bucket_name == "bankops-evidence" and store.default_acl == "private"


@pytest.mark.parametrize(
    "head, expected",
    [
        (JPEG[:12], "image/jpeg"),
        (PNG[:12], "image/png"),
        (WEBP[:12], "image/webp"),
        (b"RIFF\x00\x00\x00\x00WAVE", None),  # a RIFF that is sound, not WebP
        (b"GIF89a\x00\x00\x00\x00\x00\x00", None),
        (b"<svg xmlns=", None),  # an SVG can carry script: never an image here
        (b"", None),
    ],
)
def test_a_photo_is_told_by_its_first_bytes(head, expected):
    assert photo_type(head) == expected
