"""The monthly tiering (客户分层): every customer's tier for a month, the migrations since the month
before, and the tier counts as KPI facts (DOMAIN.md §6).

Set-based throughout: the month's snapshots and the previous month's tiers are read as two frames,
tiers are assigned with one `searchsorted` on the scheme's thresholds, migrations are one group-by,
and the results go back with COPY. Safe to run twice: a month's CustomerMonth and TierMigration rows
are replaced whole in one transaction, and the facts go through kpi.services.facts.facts_ingest, where
sending a fact again with the same value changes nothing.

At two million customers a month takes 10–20 s and about 600 MB (bench/customers.py): most of the time
is PostgreSQL writing the month's CustomerMonth rows and their indexes; the Python side (reading both
months, tiers, migrations, facts) is about 3 s.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from branches.models import OrgUnit
from customers.models import Customer, CustomerMonth, Snapshot, Tier, TieringRun, TierMigration, TierScheme
from customers.services.prospects import prospects_convert
from kpi.models import Aggregation, Category, Direction, IngestBatch, Level, Metric, MetricUnit
from kpi.services.facts import facts_ingest
from lib.bulk import insert_frame, read_frame
from lib.csvimport import CsvRow
from lib.jobs import heartbeat, record_on_fresh_connection
from lib.locks import named_lock
from lib.periods import PeriodKind, period_of
from staff.models import Assignment

logger = logging.getLogger(__name__)

LOCK_NAME = "customers-tiering"
# The message of a run marked failed because its worker stopped (the reaper, or a run that took over).
REAPED = "reaped:"


def stale_before(now: datetime.datetime) -> datetime.datetime:
    """Runs without a sign of life since this time have lost their worker (settings.RUN_STALE_AFTER)."""
    return now - datetime.timedelta(seconds=settings.RUN_STALE_AFTER)


PREMIUM_METRIC = "premium_customers"

Progress = Callable[[int, str], None]


def tier_metric_code(tier_code: str) -> str:
    """The KPI metric that counts a tier's customers (installed by customers/migrations/0002)."""
    return f"customers_{tier_code}"


def tier_metrics_ensure(tiers: list[Tier]) -> None:
    """The KPI metric of each tier (`customers_<code>`: a `last` count in 户 for outlets and staff),
    created the first time a scheme with that tier is applied, so a tier HQ adds gets its metric and
    the standard catalog (DOMAIN.md §8) stays as it is until customers are tiered."""
    after = Metric.objects.filter(code=PREMIUM_METRIC).values_list("sort_order", flat=True).first() or 900
    for tier in tiers:
        Metric.objects.get_or_create(
            code=tier_metric_code(tier.code),
            defaults={
                "name_zh": f"{tier.name_zh}数",
                "name_en": f"{tier.name_en} customers",
                "unit": MetricUnit.HOUSEHOLDS,
                "aggregation": Aggregation.LAST,
                "direction": Direction.HIGHER,
                "level": Level.BOTH,
                "category": Category.CUSTOMERS,
                "sort_order": after + 10 + tier.rank,
                "description": "Customers of this tier at the month's end (客户分层), written by the monthly tiering.",
            },
        )


# Customer months are dates on the 1st; the arithmetic is lib.periods', as everywhere else.


def month_start(day: datetime.date) -> datetime.date:
    return period_of(PeriodKind.MONTH, day).start


def month_end(month: datetime.date) -> datetime.date:
    return period_of(PeriodKind.MONTH, month).end


def previous_month(month: datetime.date) -> datetime.date:
    return period_of(PeriodKind.MONTH, month).previous().start


def scheme_for(month: datetime.date) -> TierScheme:
    """The scheme in force in `month`: the latest whose effective month is not after it."""
    scheme = TierScheme.objects.filter(effective_month__lte=month_start(month)).order_by("-effective_month").first()
    if scheme is None:
        raise ValueError(f"no tier scheme is in force in {month:%Y-%m}; HQ must add one in the admin")
    return scheme


def assign_tiers(aum: np.ndarray, tiers: list[Tier]) -> np.ndarray:
    """The index into `tiers` (sorted by threshold) of each average daily AUM: the highest tier whose
    threshold it reaches. A threshold is inclusive (exactly 50,000 元 is 3-star); an AUM below the lowest
    threshold (a negative balance) takes the lowest tier."""
    thresholds = np.array([float(tier.min_aum) for tier in tiers])
    index = np.searchsorted(thresholds, np.asarray(aum, dtype=float), side="right") - 1
    return np.clip(index, 0, len(tiers) - 1)


def tiering_run(*, month: datetime.date, progress: Progress | None = None) -> TieringRun:
    """Tier every customer with a snapshot in `month`, count the migrations from the month before per
    outlet and relationship manager, and write the tier counts as facts dated the month's last day.

    The run's heartbeat moves with its progress and while it waits for the lock; under the lock, another
    run of the month "running" without a heartbeat for RUN_STALE_AFTER has lost its worker (a killed
    process whose task was redelivered): this one takes over and that one is marked failed, saying so.
    A failure is recorded on a fresh connection (lib.jobs): the job's own may be what failed."""
    month = month_start(month)
    run = TieringRun.objects.create(month=month, heartbeat_at=timezone.now())
    beat = heartbeat(TieringRun.objects.filter(pk=run.pk))

    def report(percent: int, message: str) -> None:
        beat(progress=percent, message=message[:300])
        if progress:
            progress(percent, message)

    try:
        with named_lock(LOCK_NAME, on_wait=beat):
            stopped = TieringRun.objects.filter(
                month=month, status=TieringRun.Status.RUNNING, heartbeat_at__lt=stale_before(timezone.now())
            )
            stopped.exclude(pk=run.pk).update(
                status=TieringRun.Status.FAILED,
                finished_at=timezone.now(),
                message=f"{REAPED} its worker stopped; run {run.pk} took the month over",
            )
            customers = _tier_month(month, report)
    except Exception as exc:
        record_on_fresh_connection(
            TieringRun.objects.filter(pk=run.pk),
            status=TieringRun.Status.FAILED,
            finished_at=timezone.now(),
            message=f"{type(exc).__name__}: {exc}"[:300],
        )
        logger.exception("tiering of %s failed", f"{month:%Y-%m}")
        raise
    TieringRun.objects.filter(pk=run.pk).update(
        status=TieringRun.Status.DONE, progress=100, finished_at=timezone.now(), customers=customers, message=""
    )
    run.refresh_from_db()
    return run


def _tier_month(month: datetime.date, report: Progress) -> int:
    scheme = scheme_for(month)
    tiers = list(scheme.tiers.order_by("min_aum"))
    if not tiers:
        raise ValueError(f"tier scheme '{scheme}' has no tiers")
    report(5, f"{month:%Y-%m}: reading snapshots")
    current = _current(month)
    if not current.empty:
        index = assign_tiers(current["aum_avg_daily"].to_numpy(), tiers)
        current["tier_code"] = np.array([tier.code for tier in tiers], dtype=object)[index]
        current["tier_rank"] = np.array([tier.rank for tier in tiers])[index]
    else:
        current = current.assign(tier_code=pd.Series(dtype=object), tier_rank=pd.Series(dtype="int64"))
    report(40, f"{month:%Y-%m}: comparing with {previous_month(month):%Y-%m}")
    previous = _previous(previous_month(month))
    migrations = migration_counts(current, previous)
    del previous  # the month before is counted: free it before the long write
    report(60, f"{month:%Y-%m}: writing {len(current)} tiers")
    tier_metrics_ensure(tiers)
    with transaction.atomic():
        CustomerMonth.objects.filter(month=month).delete()
        TierMigration.objects.filter(month=month).delete()
        _write_customer_months(month, current)
        insert_frame(TierMigration, migrations.assign(month=month))
        report(80, f"{month:%Y-%m}: tier counts as facts")
        _write_facts(month, current, tiers)
        # Customers who arrived by another door than the import (the admin, a core-banking load) link their
        # prospects here at the latest, once a month.
        prospects_convert()
    return len(current)


def _current(month: datetime.date) -> pd.DataFrame:
    """This month's snapshots with where each customer belongs now (home outlet, relationship manager)."""
    sql = (
        f"SELECT s.customer_id, c.home_outlet_id, c.relationship_manager_id, s.aum_avg_daily "
        f'FROM "{Snapshot._meta.db_table}" s JOIN "{Customer._meta.db_table}" c ON c.id = s.customer_id '
        f"WHERE s.month = %s ORDER BY s.customer_id"
    )
    frame = read_frame(sql, [month], ["customer_id", "outlet_id", "relationship_manager_id", "aum_avg_daily"])
    frame["relationship_manager_id"] = frame["relationship_manager_id"].astype("Int64")
    frame["aum_avg_daily"] = frame["aum_avg_daily"].astype(float)
    return frame


# Rows of CustomerMonth formatted and sent to COPY at a time (a few MB of text).
COPY_CHUNK_ROWS = 100_000
CUSTOMER_MONTH_COLUMNS = [
    "month",
    "customer_id",
    "outlet_id",
    "relationship_manager_id",
    "tier_code",
    "tier_rank",
    "aum_avg_daily",
]
_NULL = r"\N"  # NULL in the COPY text (a name, as an f-string expression cannot hold a backslash in 3.11)


def _write_customer_months(month: datetime.date, current: pd.DataFrame) -> None:
    """The month's CustomerMonth rows. On PostgreSQL they are formatted as CSV a chunk at a time and
    streamed to one COPY: memory holds one chunk of text instead of the whole month's (hundreds of MB
    at two million customers), and the server writes a chunk while the next one is formatted. The text
    is what insert_frame writes (a float's shortest repr, `\\N` for no manager); elsewhere insert_frame."""
    columns = CUSTOMER_MONTH_COLUMNS
    if connection.vendor != "postgresql":
        insert_frame(CustomerMonth, current.assign(month=month)[columns])
        return
    if current.empty:
        return
    # Tier codes are few: quote each once, as the csv module would (a code is letters and digits in
    # practice, but the table does not enforce it).
    quoted = {code: _csv_field(code) for code in current["tier_code"].unique().tolist()}
    day = month.isoformat()

    def chunks():
        for start in range(0, len(current), COPY_CHUNK_ROWS):
            part = current.iloc[start : start + COPY_CHUNK_ROWS]
            lines = [
                f"{day},{customer},{outlet},{_NULL if manager is pd.NA else manager},{quoted[code]},{rank},{aum!r}\n"
                for customer, outlet, manager, code, rank, aum in zip(
                    part["customer_id"].tolist(),
                    part["outlet_id"].tolist(),
                    part["relationship_manager_id"].tolist(),
                    part["tier_code"].tolist(),
                    part["tier_rank"].tolist(),
                    part["aum_avg_daily"].tolist(),
                    strict=True,
                )
            ]
            yield "".join(lines).encode()

    column_list = ", ".join(f'"{column}"' for column in columns)
    with connection.cursor() as cursor:
        raw = cursor.cursor if hasattr(cursor, "cursor") else cursor
        raw.copy_expert(
            f"COPY \"{CustomerMonth._meta.db_table}\" ({column_list}) FROM STDIN WITH (FORMAT csv, NULL '\\N')",
            _ChunkReader(chunks()),
            size=1 << 16,
        )


def _csv_field(text: str) -> str:
    """`text` as one field of a CSV line for COPY, quoted only if it must be."""
    if text == _NULL or any(char in text for char in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


class _ChunkReader:
    """A file to read() from, over an iterator of byte strings: what psycopg2's copy_expert reads."""

    def __init__(self, chunks):
        self._chunks = iter(chunks)
        self._left = memoryview(b"")

    def read(self, size: int = -1) -> bytes:
        while not self._left:
            chunk = next(self._chunks, None)
            if chunk is None:
                return b""
            self._left = memoryview(chunk)
        if size is None or size < 0:
            size = len(self._left)
        piece, self._left = self._left[:size], self._left[size:]
        return piece.tobytes()


def _previous(month: datetime.date) -> pd.DataFrame:
    sql = (
        f"SELECT customer_id, outlet_id, relationship_manager_id, tier_code, tier_rank "
        f'FROM "{CustomerMonth._meta.db_table}" WHERE month = %s'
    )
    frame = read_frame(
        sql,
        [month],
        ["customer_id", "outlet_id", "relationship_manager_id", "tier_code", "tier_rank"],
        dtype={"tier_code": str},
    )
    frame["relationship_manager_id"] = frame["relationship_manager_id"].astype("Int64")
    return frame


def migration_counts(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """Per outlet and relationship manager: how many customers went from each tier to each tier.

    A customer in both months counts at this month's outlet and manager (a customer who moved outlet
    arrives at the new one with their old tier); one only this month is new (`from_code` empty); one
    only last month is lost (`to_code` empty) and counts where they were.

    Rows come out sorted by outlet, manager (none last), from code, to code ('' first), from rank, to
    rank (none last). The work is done on integers (-1 for none; tier codes as their index among the
    codes seen): at two million customers a pandas outer merge and a group-by on the string and
    nullable columns took twice the time and 100 MB more."""
    keys = ["outlet_id", "relationship_manager_id", "from_code", "to_code", "from_rank", "to_rank"]
    if current.empty and previous.empty:
        return pd.DataFrame(columns=[*keys, "customers"])
    grouped, names = _migration_rows(current, previous)
    counted = grouped.groupby(keys, sort=False).size().reset_index(name="customers")
    del grouped
    labels = np.array([*names, ""], dtype=object)  # index -1: no tier that month
    counted["from_code"] = labels[counted["from_code"].to_numpy()]
    counted["to_code"] = labels[counted["to_code"].to_numpy()]
    for column in ("outlet_id", "relationship_manager_id", "from_rank", "to_rank"):
        values = counted[column].to_numpy(dtype=np.int64)
        counted[column] = pd.arrays.IntegerArray(values, values < 0).astype("Int64")
    return counted.sort_values(keys, na_position="last", kind="stable", ignore_index=True)


def _migration_rows(current: pd.DataFrame, previous: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """migration_counts' rows before counting: one per customer of this month, then one per customer
    lost since last month, in integers (-1 for none, a tier code as its index in the list returned)."""
    now_codes, now_names = pd.factorize(current["tier_code"])
    before_codes, before_names = pd.factorize(previous["tier_code"])
    names = pd.Index([*now_names.tolist(), *before_names.tolist()]).unique()
    now_codes = names.get_indexer(now_names.tolist())[now_codes] if len(now_codes) else now_codes
    before_codes = names.get_indexer(before_names.tolist())[before_codes] if len(before_codes) else before_codes

    match = _match(current["customer_id"].to_numpy(dtype=np.int64), previous["customer_id"].to_numpy(dtype=np.int64))
    new = match < 0
    lost = np.ones(len(previous), dtype=bool)
    lost[match[~new]] = False

    def before(values: np.ndarray) -> np.ndarray:
        """Last month's value of this month's customers (-1 for the new), then of the lost."""
        here = np.where(new, -1, values[match]) if len(values) else np.full(len(match), -1)
        return np.concatenate([here, values[lost]]).astype(np.int16)

    def now(values: np.ndarray, gone: np.ndarray | int, dtype=np.int16) -> np.ndarray:
        """This month's value of this month's customers, then `gone` for the lost."""
        return np.concatenate([values, np.broadcast_to(gone, int(lost.sum()))]).astype(dtype)

    rows = pd.DataFrame(
        {
            "outlet_id": now(_ints(current["outlet_id"]), _ints(previous["outlet_id"])[lost], np.int64),
            "relationship_manager_id": now(
                _ints(current["relationship_manager_id"]), _ints(previous["relationship_manager_id"])[lost], np.int64
            ),
            "from_code": before(before_codes),
            "to_code": now(now_codes, -1),
            "from_rank": before(_ints(previous["tier_rank"])),
            "to_rank": now(_ints(current["tier_rank"]), -1),
        }
    )
    return rows, names.tolist()


def _match(ids: np.ndarray, among: np.ndarray) -> np.ndarray:
    """For each of `ids`, its position in `among` (unique ids, in any order), or -1: one sort and one
    binary search."""
    if not len(among):
        return np.full(len(ids), -1, dtype=np.int64)
    order = np.argsort(among, kind="stable")
    at = np.minimum(np.searchsorted(among, ids, sorter=order), len(among) - 1)
    position = order[at]
    return np.where(among[position] == ids, position, -1)


def _ints(column: pd.Series) -> np.ndarray:
    """A column of whole numbers (ids, ranks; int, float or nullable) as int64, -1 where empty."""
    return column.to_numpy(dtype=np.int64, na_value=-1)


def _write_facts(month: datetime.date, current: pd.DataFrame, tiers: list[Tier]) -> None:
    """Tier counts and premium customers (三星及以上) for every outlet with customers this month, and for
    every relationship manager assigned to that outlet at the month's end. Every tier of the scheme is
    written, zeros included, so a count that fell to nothing shows as 0 and not as last month's."""
    day = month_end(month)
    if current.empty:
        return
    codes = [tier.code for tier in tiers]
    metrics = [tier_metric_code(code) for code in codes]
    premium = [tier.code for tier in tiers if tier.is_premium]
    rows: list[CsvRow] = []

    def counted(keys: list[str], frame: pd.DataFrame) -> tuple[list, list[list[int]], list[int]]:
        """(keys, counts per tier in the scheme's order, premium total) per group: one group-by, the
        tiers as columns, zeros where a group has none of a tier."""
        table = frame.groupby([*keys, "tier_code"]).size().unstack("tier_code", fill_value=0)
        table = table.reindex(columns=codes, fill_value=0)
        return table.index.tolist(), table.to_numpy().tolist(), table[premium].sum(axis=1).tolist()

    def add(unit_code: str, staff_code: str, counts: list[int], total: int) -> None:
        for metric, value in zip(metrics, counts, strict=True):
            rows.append(_fact(len(rows), day, unit_code, staff_code, metric, int(value)))
        rows.append(_fact(len(rows), day, unit_code, staff_code, PREMIUM_METRIC, int(total)))

    units = dict(OrgUnit.objects.filter(pk__in=current["outlet_id"].unique().tolist()).values_list("pk", "code"))
    for outlet_id, counts, total in zip(*counted(["outlet_id"], current), strict=True):
        add(units[outlet_id], "", counts, total)

    managed = current.dropna(subset=["relationship_manager_id"])
    if not managed.empty:
        assigned = {
            (staff_id, unit_id): code
            for staff_id, unit_id, code in Assignment.objects.on(day)
            .filter(staff_id__in=managed["relationship_manager_id"].unique().tolist())
            .values_list("staff_id", "unit_id", "staff__code")
        }
        for (outlet_id, staff_id), counts, total in zip(
            *counted(["outlet_id", "relationship_manager_id"], managed), strict=True
        ):
            code = assigned.get((int(staff_id), int(outlet_id)))
            if code is not None:  # a manager who has left the outlet reports nothing there
                add(units[outlet_id], code, counts, total)
    facts_ingest(rows=rows, source=IngestBatch.Source.TIERING, label=f"{month:%Y-%m}")


def _fact(line: int, day: datetime.date, unit: str, staff: str, metric: str, value: int) -> CsvRow:
    return CsvRow(
        line=line,
        values={"date": day.isoformat(), "unit": unit, "staff": staff, "metric": metric, "value": str(value)},
    )
