"""The monthly tiering (客户分层): every customer's tier for a month, the migrations since the month
before, and the tier counts as KPI facts (DOMAIN.md §6).

Set-based throughout: the month's snapshots and the previous month's tiers are read as two frames,
tiers are assigned with one `searchsorted` on the scheme's thresholds, migrations are one group-by,
and the results go back with COPY. Safe to run twice: a month's CustomerMonth and TierMigration rows
are replaced whole in one transaction, and the facts go through kpi.services.facts.facts_ingest, where
sending a fact again with the same value changes nothing.
"""

from __future__ import annotations

import calendar
import datetime
import logging
from collections.abc import Callable

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils import timezone

from bankops.lib.bulk import insert_frame, read_frame
from bankops.lib.csvimport import CsvRow
from bankops.lib.locks import named_lock
from branches.models import OrgUnit
from customers.models import Customer, CustomerMonth, Snapshot, Tier, TieringRun, TierMigration, TierScheme
from kpi.models import Aggregation, Category, Direction, IngestBatch, Level, Metric, MetricUnit
from kpi.services.facts import facts_ingest
from staff.models import Assignment

logger = logging.getLogger(__name__)

LOCK_NAME = "customers-tiering"
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


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def month_end(month: datetime.date) -> datetime.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def previous_month(month: datetime.date) -> datetime.date:
    return month_start(month_start(month) - datetime.timedelta(days=1))


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
    outlet and relationship manager, and write the tier counts as facts dated the month's last day."""
    month = month_start(month)
    run = TieringRun.objects.create(month=month)

    def report(percent: int, message: str) -> None:
        TieringRun.objects.filter(pk=run.pk).update(progress=percent, message=message[:300])
        if progress:
            progress(percent, message)

    try:
        with named_lock(LOCK_NAME):
            customers = _tier_month(month, report)
    except Exception as exc:
        TieringRun.objects.filter(pk=run.pk).update(
            status=TieringRun.Status.FAILED, finished_at=timezone.now(), message=f"{type(exc).__name__}: {exc}"[:300]
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
    report(60, f"{month:%Y-%m}: writing {len(current)} tiers")
    tier_metrics_ensure(tiers)
    with transaction.atomic():
        CustomerMonth.objects.filter(month=month).delete()
        TierMigration.objects.filter(month=month).delete()
        insert_frame(
            CustomerMonth,
            current.assign(month=month)[
                [
                    "month",
                    "customer_id",
                    "outlet_id",
                    "relationship_manager_id",
                    "tier_code",
                    "tier_rank",
                    "aum_avg_daily",
                ]
            ],
        )
        insert_frame(TierMigration, migrations.assign(month=month))
        report(80, f"{month:%Y-%m}: tier counts as facts")
        _write_facts(month, current, tiers)
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
    only last month is lost (`to_code` empty) and counts where they were."""
    now = current[["customer_id", "outlet_id", "relationship_manager_id", "tier_code", "tier_rank"]]
    before = previous.rename(
        columns={
            "outlet_id": "prev_outlet_id",
            "relationship_manager_id": "prev_rm_id",
            "tier_code": "from_code",
            "tier_rank": "from_rank",
        }
    )
    both = now.rename(columns={"tier_code": "to_code", "tier_rank": "to_rank"}).merge(
        before, on="customer_id", how="outer"
    )
    lost = both["to_code"].isna()
    both["outlet_id"] = both["outlet_id"].where(~lost, both["prev_outlet_id"])
    both["relationship_manager_id"] = both["relationship_manager_id"].where(~lost, both["prev_rm_id"])
    both["from_code"] = both["from_code"].fillna("")
    both["to_code"] = both["to_code"].fillna("")
    keys = ["outlet_id", "relationship_manager_id", "from_code", "to_code", "from_rank", "to_rank"]
    if both.empty:
        return pd.DataFrame(columns=[*keys, "customers"])
    counted = both.groupby(keys, dropna=False).size().reset_index(name="customers")
    for column in ("outlet_id", "from_rank", "to_rank", "relationship_manager_id"):
        counted[column] = counted[column].astype("Int64")
    return counted


def _write_facts(month: datetime.date, current: pd.DataFrame, tiers: list[Tier]) -> None:
    """Tier counts and premium customers (三星及以上) for every outlet with customers this month, and for
    every relationship manager assigned to that outlet at the month's end. Every tier of the scheme is
    written, zeros included, so a count that fell to nothing shows as 0 and not as last month's."""
    day = month_end(month)
    if current.empty:
        return
    premium = {tier.code for tier in tiers if tier.is_premium}
    rows: list[CsvRow] = []

    def add(counts: pd.Series, unit_code: str, staff_code: str) -> None:
        for tier in tiers:
            value = int(counts.get(tier.code, 0))
            rows.append(_fact(len(rows), day, unit_code, staff_code, tier_metric_code(tier.code), value))
        total = int(sum(int(counts.get(code, 0)) for code in premium))
        rows.append(_fact(len(rows), day, unit_code, staff_code, PREMIUM_METRIC, total))

    units = dict(OrgUnit.objects.filter(pk__in=current["outlet_id"].unique().tolist()).values_list("pk", "code"))
    by_outlet = current.groupby(["outlet_id", "tier_code"]).size()
    for outlet_id in by_outlet.index.get_level_values(0).unique():
        add(by_outlet.loc[outlet_id], units[outlet_id], "")

    managed = current.dropna(subset=["relationship_manager_id"])
    if not managed.empty:
        assigned = {
            (staff_id, unit_id): code
            for staff_id, unit_id, code in Assignment.objects.on(day)
            .filter(staff_id__in=managed["relationship_manager_id"].unique().tolist())
            .values_list("staff_id", "unit_id", "staff__code")
        }
        by_manager = managed.groupby(["outlet_id", "relationship_manager_id", "tier_code"]).size()
        for outlet_id, staff_id in by_manager.index.droplevel(2).unique():
            code = assigned.get((int(staff_id), int(outlet_id)))
            if code is not None:  # a manager who has left the outlet reports nothing there
                add(by_manager.loc[(outlet_id, staff_id)], units[outlet_id], code)
    facts_ingest(rows=rows, source=IngestBatch.Source.TIERING, label=f"customer tiering {month:%Y-%m}")


def _fact(line: int, day: datetime.date, unit: str, staff: str, metric: str, value: int) -> CsvRow:
    return CsvRow(
        line=line,
        values={"date": day.isoformat(), "unit": unit, "staff": staff, "metric": metric, "value": str(value)},
    )
