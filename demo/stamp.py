"""The fingerprint of a seed_demo run: its options and the generator's code (demo/*.py), so that a second
run with the same options skips the work, and one after the generator changed seeds again."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from demo.models import SeedStamp

DEMO_DIR = Path(__file__).resolve().parent


def fingerprint(options: dict) -> str:
    digest = hashlib.sha256(json.dumps(options, sort_keys=True, default=str).encode())
    for path in sorted(DEMO_DIR.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        digest.update(path.relative_to(DEMO_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def stamp_find(options: dict) -> SeedStamp | None:
    return SeedStamp.objects.filter(fingerprint=fingerprint(options)).first()


def stamp_record(options: dict, *, complete: bool) -> SeedStamp:
    """The demo now holds what these options make: the one stamp (any other is out of date)."""
    key = fingerprint(options)
    SeedStamp.objects.exclude(fingerprint=key).delete()
    stamp, _created = SeedStamp.objects.update_or_create(
        fingerprint=key, defaults={"options": json.loads(json.dumps(options, default=str)), "complete": complete}
    )
    return stamp


def stamp_complete(options: dict) -> None:
    """The rest of the seed with these options is done too (nothing if another seed came since)."""
    SeedStamp.objects.filter(fingerprint=fingerprint(options)).update(complete=True)


def stamps_forget() -> None:
    """Something changed the demo outside a whole run (one stopped half-way): the next run seeds again."""
    SeedStamp.objects.all().delete()
