"""What seed_demo remembers of its last run, so that `make run` a second time takes seconds."""

from __future__ import annotations

from django.db import models


class SeedStamp(models.Model):
    """The demo seeded with these options by this version of the generator (`fingerprint`: a hash of
    both, see demo.stamp). seed_demo with the same options and code finds it and writes nothing;
    `complete` is set once the earlier days' rollup and the alerts are done too (seed_demo --rest).
    Internal bookkeeping of the demo: not shown anywhere, so it has no permissions for the admin's
    permission lists to show."""

    fingerprint = models.CharField(max_length=64, unique=True)
    options = models.JSONField(default=dict)
    seeded_at = models.DateTimeField(auto_now_add=True)
    complete = models.BooleanField(default=False)

    class Meta:
        verbose_name = "demo seed stamp"
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.options} ({'complete' if self.complete else 'rest pending'})"
