"""What kpi announces to the apps built on it.

kpi imports no app above it (docs/architecture.md): an app that must react to a kpi event connects a
receiver to one of these signals in its AppConfig.ready(), as pretix's plugins connect to `order_paid`.
"""

from __future__ import annotations

from django.dispatch import Signal

day_published = Signal()
"""
Arguments: ``day``, ``run``

Sent once for every business day the rollup publishes (kpi.services.rollup.rollup_day), after the
transaction that switched RollupDay.published_run has committed: a receiver, or a worker it queues,
reads the new scorecards. Not sent when the rollup fails (the previous results stay published), nor
for a day of a closed month (its run is recorded as skipped).

``sender`` is the RollupDay model; ``day`` is the business day (a datetime.date); ``run`` is the
RollupRun now published for it (status PUBLISHED).

Receivers are called with send_robust, so one that fails is logged and neither stops the others nor
touches the publication. Heavy work belongs in a Celery task the receiver queues (alerts does so:
alerts.receivers).
"""
