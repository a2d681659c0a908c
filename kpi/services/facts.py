"""Facts in: the one service behind the CSV import (`import_csv facts FILE`, the admin upload) and the
ingest API (`POST /api/v1/facts/`). See facts_ingest()."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, ngettext, pgettext, pgettext_lazy

from branches.models import OrgUnit, UnitKind, unit_kind_noun
from kpi.models import Aggregation, CreditSplit, Fact, IngestBatch, Level, Metric, MetricUnit, MonthClose
from kpi.services.credit import ShareQuestion, shares_for
from kpi.services.rollup import days_mark_stale
from kpi.tasks import rollup_pending
from lib import bulk
from lib.csvimport import (
    Checker,
    Column,
    Columns,
    CsvRow,
    ImportRejected,
    ImportResult,
    Problem,
    Row,
    chunked,
    codes_lookup,
    date,
    decimal,
    known,
    rows_as_columns,
)
from staff.access import scope_for_token
from staff.models import ApiToken, Assignment, StaffMember

FACT_COLUMNS = Columns(
    Column("date", date, required=True),
    Column("unit", required=gettext_lazy("an outlet code")),
    Column("staff"),
    Column("metric", required=gettext_lazy("a metric code")),
    Column("value", decimal, required=True),
    # 分润: the colleague who shares a staff member's sale, by staff code; the share is the standing rule's
    # (kpi.services.credit.shares_for). Optional: a file without it leaves the facts' splits as they are.
    Column("partner", optional=True),
)

DECIMAL_PLACES = 4
_QUANTUM = Decimal(1).scaleb(-DECIMAL_PLACES)
# Fact.value is max_digits=20, decimal_places=4: at most 16 digits before the point.
_TOO_LARGE = Decimal(10) ** 16
# Units whose facts count things or time: never below zero.
_COUNT_UNITS = frozenset(
    {MetricUnit.HOUSEHOLDS, MetricUnit.TRANSACTIONS, MetricUnit.PEOPLE, MetricUnit.ITEMS, MetricUnit.MINUTES}
)
# Units whose facts count things (户 笔 人 件): whole numbers. Minutes may have fractions.
_WHOLE_UNITS = _COUNT_UNITS - {MetricUnit.MINUTES}
# Flows that may be below 0 on a day: money (a reversed sale) and points (a day of deductions).
_SIGNED_FLOW_UNITS = frozenset({MetricUnit.WAN_YUAN, MetricUnit.POINTS})
_KIND_NAMES = {
    Aggregation.RATIO: pgettext_lazy("metric kind", "ratio"),
    Aggregation.AVERAGE: pgettext_lazy("metric kind", "daily average"),
    Aggregation.CHANGE: pgettext_lazy("metric kind", "net change"),
}

WRITE_BATCH_SIZE = 2000
# A batch that writes this many facts or more is a bulk load: the facts table is analysed after it (a
# few hundred milliseconds on PostgreSQL) rather than waiting for autovacuum, which a server may not run.
ANALYZE_AFTER_ROWS = 5000
# Up to this many distinct units (staff) the existing facts are read with `unit_id IN (…)`; above it
# by date and metric alone, so a query never carries more parameters than SQLite accepts.
_IN_LIMIT = 5000
# pg_advisory_xact_lock key: "kpi.facts" as an integer. Any constant would do; it only has to be ours.
_INGEST_LOCK = 0x6B70692E6661637473 & 0x7FFFFFFFFFFFFFFF


# -- one source per outlet and day -----------------------------------------------------------------
# A register above kpi may keep an outlet metric's facts itself (the complaints register keeps
# `complaints`). It says so in its AppConfig.ready() with fact_keeper_register: the metric, its own
# source, and a function answering which (day, outlet id) pairs of a set it holds, in one query. For
# those pairs the register's count is the fact: a row of another source for them is not written (it is
# counted as unchanged: the fact stands as the register wrote it). For the other pairs the pushed count
# stands, and the register writes nothing. So a day's count comes from one source, never from both.


@dataclass(frozen=True)
class FactKeeper:
    source: str
    held: Callable[[set[tuple[datetime.date, int]]], set[tuple[datetime.date, int]]]


_fact_keepers: dict[str, FactKeeper] = {}


def fact_keeper_register(
    *,
    metric_code: str,
    source: str,
    held: Callable[[set[tuple[datetime.date, int]]], set[tuple[datetime.date, int]]],
) -> None:
    """Declare that `source` keeps the outlet facts of `metric_code` for the (day, outlet id) pairs
    `held` answers (see above). Registered by metric, so a reloaded app replaces its entry."""
    _fact_keepers[metric_code] = FactKeeper(source=source, held=held)


def fact_keepers() -> dict[str, FactKeeper]:
    return dict(_fact_keepers)


def _drop_held(facts: pd.DataFrame, metrics: dict, source: str) -> tuple[pd.DataFrame, int]:
    """The batch's facts without the outlet facts a keeper of another source holds, and how many were
    left out. One query per keeper whose metric the batch carries."""
    dropped = 0
    for metric_code, keeper in _fact_keepers.items():
        metric = metrics.get(metric_code)
        if metric is None or keeper.source == source:
            continue
        kept = ((facts["metric_id"] == metric.pk) & facts["staff_id"].isna()).to_numpy(copy=True)
        if not kept.any():
            continue
        pairs = list(zip(facts["date"][kept].tolist(), facts["unit_id"][kept].tolist(), strict=True))
        held = keeper.held(set(pairs))
        kept[kept] = [pair in held for pair in pairs]
        if kept.any():
            facts = facts[~kept]
            dropped += int(kept.sum())
    return facts, dropped


def facts_ingest(
    *,
    rows: list[CsvRow] | pd.DataFrame,
    source: str,
    created_by=None,
    token: ApiToken | None = None,
    label: str = "",
) -> IngestBatch:
    """Validate a batch of facts (FACT_COLUMNS), then create or update them, all or nothing.

    `rows` are CsvRow objects, or the same laid out column-wise (a DataFrame with a `line` column and a
    column per cell: lib.csvimport.read_csv_columns, as the CSV import reads a file): from a file,
    `line` is the file line (the header is line 1); from the API, `line` is the 0-based index of the
    fact in the request's `facts` list. Problems carry that
    number, so either door can say where a bad fact is. A row is `(date, unit, staff, metric, value)`;
    an empty staff means the outlet's own fact.

    Rules (every broken rule of every row is collected before ImportRejected is raised):
    - date is YYYY-MM-DD (YYYY/MM/DD in a file), from the outlet's opening day (`opened_on`) to its
      closing day (`closed_on`, inclusive) and no later than today plus settings.FACTS_FUTURE_DAYS
      (0: today); unit, staff and metric are known codes. With a `token`, units outside the
      token's subtree and staff never assigned inside it are "not known": existence is never revealed.
    - only base metrics (sum, last) take facts: ratios, daily averages and net changes are computed
      from their parts, so a fact for one is refused with the parts to send instead.
    - facts are reported by outlets; units above outlets add up their subtree.
    - a metric's level decides who reports it: an outlet-only metric takes no staff, a staff-only metric
      needs one; a staff member must be assigned to the outlet on the fact's date.
    - the value is a number (lib.csvimport's grammar: no exponent, no NaN) with at most 4 decimal places
      (trailing zeros do not count) and at most 16 digits before the point. It may be negative only for
      a 万元 flow (a `sum` metric in 万元: a reversed sale or disbursement) or a points flow (分: a day of
      deductions); counts (户 笔 人 件), minutes,
      percentages and every balance (`last`) must be ≥ 0; counts are whole.
    - the same (date, unit, staff, metric) may appear only once in a batch.
    - a points metric (unit 分) takes facts from the points ledger only (source `ledger`): its facts are
      the sums of the approved entries (ledger.services), which a file or the API would contradict.
    - a partner (分润, the optional `partner` column: a staff code) shares a staff member's fact of a
      flow (`sum`) with a colleague assigned to the same outlet that day; the share is the one HQ's
      standing rule for the two people's posts gives (with the outlet's adjustment): a row whose pair
      of posts no rule covers is refused. A fact already shared with the same partner keeps the share
      it was given (sending it again changes nothing); an empty or absent partner leaves a fact's
      split as it is (HQ removes one in the admin).
    - one source per outlet and day (fact_keeper_register): a row of a metric a register keeps (the
      complaints register keeps `complaints`) for an outlet and day the register holds is not written
      and is counted as unchanged; the register's count is the fact.
    - a fact that would create or change a stored fact of a closed month (月结) is refused, naming the
      close: that month's scorecards are frozen, so a late fact would only move the periods after it.
      Sending a closed month's facts again unchanged is not refused. (Checked while writing, below.)

    Writing:
    1. Read units, staff, assignments and metrics in bulk (a query per 5,000 codes the batch names,
       whatever its number of rows: codes_lookup) and check every row in memory: the plain rows a
       column at a time (_plain_facts: the rules in their cheapest form, held to the rules by
       tests/kpi/test_facts_plain.py), every other row through FACT_COLUMNS and the rules below, one by
       one, which word what is wrong with it.
    2. Inside one transaction, holding a lock that keeps two ingests apart (so two batches carrying the
       same new fact cannot both insert it), match the batch against the stored facts: a new key is
       created, a different value updated, the same value left unchanged (sending the same batch twice
       changes nothing). PostgreSQL: the facts of a day the table has none of yet COPYed straight in, the
       others COPYed into a staging table and one upsert (_write_upsert); SQLite:
       the stored facts of the batch's dates, units and metrics read and matched in memory
       (_write_matched).
    3. If a new or changed fact falls in a closed month, raise ImportRejected (nothing is written).
       Record the IngestBatch with its counts, insert the new facts and update the changed ones, then
       set the new or changed credit splits (a fact whose only change is its split counts as updated).
    4. If anything changed, mark every published day from the earliest changed date stale and queue
       `rollup_pending` once the transaction has committed.
    """
    if source not in IngestBatch.Source.values:
        raise ValueError(f"unknown source {source!r}; one of {IngestBatch.Source.values}")
    if source == IngestBatch.Source.API:
        repeated = gettext("the same fact (date, unit, staff, metric) is already on row %(first)s")
    else:
        repeated = gettext("the same fact (date, unit, staff, metric) is already on line %(first)s")
    cells = rows if isinstance(rows, pd.DataFrame) else rows_as_columns(rows, _CELLS)

    # -- 1. reference data, in bulk ---------------------------------------------------------------
    scope = scope_for_token(token) if token is not None else None
    units_qs = OrgUnit.objects.all() if scope is None else scope.units()
    units = codes_lookup(units_qs, _codes(cells, "unit"), "pk", "kind", "opened_on", "closed_on")
    # Nothing is reported about days to come (a source that reports ahead may be allowed a few days).
    ahead = settings.FACTS_FUTURE_DAYS
    last_day = timezone.localdate() + datetime.timedelta(days=ahead)
    latest = (
        ngettext("today plus %(days)s day", "today plus %(days)s days", ahead) % {"days": ahead}
        if ahead
        else gettext("today")
    )
    metrics = _metrics()
    staff_pks = codes_lookup(StaffMember, _codes(cells, "staff") | _codes(cells, "partner"))
    # staff pk → [(unit pk, start, end)]: Assignment.objects.on(day) semantics, answered in memory.
    postings: dict[int, list[tuple[int, datetime.date, datetime.date | None]]] = {}
    visible: set[int] = set()
    for part in chunked(staff_pks.values()):
        for staff_pk, unit_pk, unit_path, start, end in Assignment.objects.filter(staff_id__in=part).values_list(
            "staff_id", "unit_id", "unit__path", "start", "end"
        ):
            postings.setdefault(staff_pk, []).append((unit_pk, start, end))
            if scope is not None and unit_path.startswith(scope.unit_path or "\0"):
                visible.add(staff_pk)
    if scope is not None:
        # A token does not learn that a staff member of another subtree exists.
        staff_pks = {code: pk for code, pk in staff_pks.items() if pk in visible}

    # -- checks: the plain rows a column at a time, the others row by row -----------------------------
    plain = _plain_facts(cells, units, staff_pks, metrics, postings, last_day=last_day, source=source)

    def rules(positions: np.ndarray) -> tuple[Checker, dict, dict, dict, dict]:
        """Every rule, row by row, for the rows at these positions (in the batch's order): what is wrong
        with each, in its words, and the facts of the good ones."""
        check = Checker()
        parsed: dict[tuple, Decimal] = {}
        lines: dict[tuple, int] = {}
        # key → (partner pk, line, what the sale is, in words): the rows that name a partner.
        partners: dict[tuple, tuple[int, int, str]] = {}
        order: dict[tuple, int] = {}  # key → the row's place in the batch
        positions = positions.tolist()
        for position, row in zip(
            positions,
            FACT_COLUMNS.parse(
                (_row_at(rows, cells, position) for position in positions),
                check,
                unit=known(units, gettext("unit '{}' is not known")),
                staff=known(staff_pks, gettext("staff member '{}' is not known")),
                metric=known(metrics, gettext("metric '{}' is not known")),
                partner=known(staff_pks, gettext("staff member '{}' is not known")),
            ),
            strict=True,
        ):
            day, staff_pk, metric, value = row["date"], row["staff"], row["metric"], row["value"]
            unit_code, staff_code, metric_code = row.text("unit"), row.text("staff"), row.text("metric")
            unit_pk = None
            if day is not None and day > last_day:
                row.problem(
                    "date",
                    gettext("%(day)s is in the future; facts are taken up to %(last_day)s (%(latest)s)")
                    % {"day": day, "last_day": last_day, "latest": latest},
                )
            if row["unit"] is not None:
                unit_pk, kind, opened_on, closed_on = row["unit"]
                if kind != UnitKind.OUTLET:
                    row.problem(
                        "unit",
                        gettext(
                            "'%(code)s' is a %(kind)s, not an outlet; facts are reported by outlets and the units "
                            "above add them up"
                        )
                        % {"code": unit_code, "kind": unit_kind_noun(kind)},
                    )
                    unit_pk = None
                elif day is not None and not (opened_on or day) <= day <= (closed_on or day):
                    dates = {"day": day, "code": unit_code, "opened": opened_on, "closed": closed_on}
                    if opened_on and day < opened_on:
                        why = gettext("%(day)s is before outlet '%(code)s' opened (%(opened)s)") % dates
                    else:
                        why = gettext("%(day)s is after outlet '%(code)s' closed (%(closed)s)") % dates
                    if opened_on and closed_on:
                        taken = gettext("its facts are taken from %(opened)s to %(closed)s") % dates
                    elif opened_on:
                        taken = gettext("its facts are taken from %(opened)s") % dates
                    else:
                        taken = gettext("its facts are taken to %(closed)s") % dates
                    row.problem("date", why + pgettext("between two clauses", "; ") + taken)

            if metric is not None:
                if metric.aggregation not in (Aggregation.SUM, Aggregation.LAST):
                    row.problem("metric", _derived_message(metric))
                    metric = None
                elif staff_code and metric.level == Level.OUTLET:
                    row.problem(
                        "staff",
                        gettext("'%(metric)s' is reported per outlet only; leave staff empty")
                        % {"metric": metric_code},
                    )
                elif not staff_code and metric.level == Level.STAFF:
                    row.problem(
                        "staff",
                        gettext("is required: '%(metric)s' is reported per staff member") % {"metric": metric_code},
                    )
                if metric is not None and metric.unit == MetricUnit.POINTS and source != IngestBatch.Source.LEDGER:
                    # A person's points of a day are the sum of their approved ledger entries: a fact from
                    # elsewhere would be overwritten by the next approval, or overwrite it.
                    row.problem(
                        "metric",
                        gettext(
                            "'%(metric)s' counts points (分) of the points ledger (台账): its facts are the sums of "
                            "approved ledger entries, written by the ledger only"
                        )
                        % {"metric": metric_code},
                    )

            if (
                staff_pk is not None
                and unit_pk is not None
                and day is not None
                and not _assigned(postings, staff_pk, unit_pk, day)
            ):
                row.problem(
                    "staff",
                    gettext("staff member '%(staff)s' is not assigned to %(unit)s on %(day)s")
                    % {"staff": staff_code, "unit": unit_code, "day": day},
                )

            partner_pk, partner_code = row["partner"], row.text("partner")
            if partner_code:
                _check_partner(row, metric, staff_pk, unit_pk, day, postings)

            if value is not None:
                value = _check_value(row, value, metric)

            if day is None or unit_pk is None or metric is None or value is None or (staff_code and staff_pk is None):
                continue
            key = (day, unit_pk, staff_pk, metric.pk)
            if (first := check.repeated(key, row.line)) is not None:
                row.problem("metric", repeated % {"first": first})
                continue
            parsed[key] = value
            lines[key] = row.line
            order[key] = position
            if partner_pk is not None and row.ok:
                sale = gettext("'%(metric)s' sold by '%(staff)s' with '%(partner)s' at %(unit)s on %(day)s") % {
                    "metric": metric_code,
                    "staff": staff_code,
                    "partner": partner_code,
                    "unit": unit_code,
                    "day": day,
                }
                partners[key] = (partner_pk, row.line, sale)
        return check, parsed, lines, partners, order

    check, parsed, lines, partners, order = rules(np.flatnonzero(~plain.mask))
    if plain.mask.any() and (seen := check.seen()):
        # A plain row and a row of the rules with the same key: every row with such a key goes through the
        # rules, in the batch's order, so the later one is said to repeat the earlier, as one pass says it.
        shared = plain.having(seen)
        if shared.any():
            plain.mask &= ~shared
            check, parsed, lines, partners, order = rules(np.flatnonzero(~plain.mask))
    shares = _partner_shares(partners, check)
    check.raise_if_any()
    facts = plain.facts(parsed, lines, order)
    facts, kept_by_register = _drop_held(facts, metrics, source)

    # -- 2.–4. write --------------------------------------------------------------------------------
    days = sorted(pd.unique(facts["date"].to_numpy()).tolist())
    units_by_pk = {pk: code for code, (pk, *_) in units.items()}
    with transaction.atomic():
        if connection.vendor == "postgresql":
            batch, changed_days, split_changes = _write_upsert(
                facts, parsed, shares, rows=len(cells), days=days, units_by_pk=units_by_pk,
                source=source, label=label, created_by=created_by, token=token,
            )  # fmt: skip
        else:
            batch, changed_days, split_changes = _write_matched(
                *_as_parsed(facts), shares, rows=len(cells), days=days, units_by_pk=units_by_pk,
                source=source, label=label, created_by=created_by, token=token,
            )  # fmt: skip
        if kept_by_register:
            # The rows a register keeps (one source per outlet and day) stand as the register wrote them.
            batch.unchanged += kept_by_register
            IngestBatch.objects.filter(pk=batch.pk).update(unchanged=batch.unchanged)
        if split_changes:
            _write_splits(split_changes, created_by=created_by if getattr(created_by, "pk", None) else None)
        if changed_days:
            days_mark_stale(dates=changed_days)
            # robust: the facts are in; if the broker is down the scheduled rollup still picks them up.
            transaction.on_commit(_queue_rollup, robust=True)
    if batch.created >= ANALYZE_AFTER_ROWS:
        # A bulk load: the planner's statistics of the facts table, now (PostgreSQL; nothing elsewhere),
        # when a tenth of the table or more changed since they were last taken (bulk.analyze_stale). Only
        # after new facts: an update changes a fact's value, batch and time, while the columns the reads
        # choose their index by (date, unit, staff, metric) stay as they were; a resend of a whole day
        # analysed the table after every batch of it (0.3–0.6 s each, bench/ingest.py).
        bulk.analyze_stale(Fact)
    return batch


def _new_batch(*, source, label, created_by, token, rows: int, days: list, **counts) -> IngestBatch:
    return IngestBatch.objects.create(
        source=source,
        label=label[:200],
        created_by=created_by if getattr(created_by, "pk", None) else None,
        token_name=token.name if token is not None else "",
        rows=rows,
        first_date=days[0] if days else None,
        last_date=days[-1] if days else None,
        **counts,
    )


def _write_matched(parsed, lines, shares, *, units_by_pk, **batch_fields) -> tuple[IngestBatch, set, dict]:
    """SQLite (the embedded default): read the stored facts of the batch, match them in memory, insert the
    new ones and update the changed ones. Returns (batch, changed days, split changes)."""
    existing = _existing_facts(parsed)
    split_changes = _split_changes(shares, existing)
    to_create: list[tuple] = []
    to_update: list[tuple[int, Decimal]] = []
    unchanged = split_only = 0
    changed_days: set[datetime.date] = set()
    for key, value in parsed.items():
        found = existing.get(key)
        if found is not None and found[1] == value:
            if key in split_changes:
                split_only += 1
                changed_days.add(key[0])
            else:
                unchanged += 1
            continue
        changed_days.add(key[0])
        if found is None:
            to_create.append((*key, value))
        else:
            to_update.append((found[0], value))
    if changed_days:
        _refuse_closed_months(parsed, existing, lines, units_by_pk=units_by_pk, split_changed=split_changes.keys())
    batch = _new_batch(**batch_fields, created=len(to_create), updated=len(to_update) + split_only, unchanged=unchanged)
    _write_facts(to_create, to_update, batch=batch)
    return batch, changed_days, split_changes


def _write_upsert(facts: pd.DataFrame, parsed, shares, *, units_by_pk, **batch_fields) -> tuple[IngestBatch, set, dict]:
    """PostgreSQL: the batch's facts (a frame: date, unit_id, staff_id, metric_id, value as text, line)
    written by COPY. The facts of a day the table holds no fact of yet (a day's first load, the T+1 file)
    are all new: they are COPYed straight into the fact table. The others are COPYed into a staging
    table, then one statement inserts the new facts and updates those whose value differs (INSERT … ON
    CONFLICT DO UPDATE on the fact's one key), leaves the others untouched, and records the counts on the
    IngestBatch. The stored facts are read only where a rule needs them: the keys of rows naming a
    partner (their split; `parsed` holds the facts the rules read, those rows among them) and the keys
    in a closed month (the refusal names each changed one). Returns (batch, changed days, split changes).

    The lock is taken before the days are asked: until this transaction ends no other ingest can write a
    fact of a day found empty, so COPYing its facts cannot meet a stored key (and if a writer without the
    lock did, the COPY would fail on the key and the batch be refused whole, nothing lost or doubled)."""
    with connection.cursor() as cursor:
        # One round trip: the lock that keeps two ingests apart (held until the transaction ends), a fresh
        # staging table (dropped at commit; dropped first if a caller's transaction ingested before) and
        # which of the batch's days the table holds facts of (a probe of the key per day).
        cursor.execute(
            f"SELECT pg_advisory_xact_lock(%s); DROP TABLE IF EXISTS {_STAGING}; "
            f"CREATE TEMPORARY TABLE {_STAGING} (date date, unit_id bigint, staff_id bigint, metric_id bigint, "
            "value numeric(20, 4)) ON COMMIT DROP; "
            f'SELECT array_agg(day) FROM unnest(%s::date[]) AS day WHERE EXISTS (SELECT FROM "{_FACT_TABLE}" '
            "WHERE date = day)",
            [_INGEST_LOCK, batch_fields["days"]],
        )
        stored_days = set(cursor.fetchone()[0] or ())
    on_stored_day = facts["date"].isin(stored_days).to_numpy(dtype=bool)
    first_load, staged = facts[~on_stored_day], facts[on_stored_day]
    split_existing = _existing_facts({key: parsed[key] for key in shares})
    split_changes = _split_changes(shares, split_existing)
    closed = set(MonthClose.objects.closed().values_list("month", flat=True))
    if closed:
        months = {day: day.replace(day=1) in closed for day in pd.unique(facts["date"].to_numpy())}
        in_closed = facts["date"].map(months).to_numpy(dtype=bool)
        if in_closed.any():
            closing, lines = _as_parsed(facts[in_closed])
            _refuse_closed_months(
                closing,
                _existing_facts(closing),
                lines,
                units_by_pk=units_by_pk,
                split_changed=split_changes.keys(),
            )
    # A stored fact whose value stays and whose split changes counts as updated.
    split_only = sum(1 for key in split_changes if key in split_existing and split_existing[key][1] == parsed[key])
    batch = _new_batch(**batch_fields, created=len(first_load))
    now = timezone.now()
    written = [(True, day, count) for day, count in first_load.groupby("date", sort=False).size().items()]
    if len(first_load):
        # The time as its text: one value for every row, formatted once (a column of timestamps is
        # turned into a Python object a row before it is formatted).
        bulk.insert_frame(Fact, first_load[_STAGED].assign(batch_id=batch.pk, updated_at=now.isoformat()))
    if len(staged):
        bulk.insert_frame(Fact, staged[_STAGED], table=_STAGING)
        written += _upsert_facts(batch=batch, now=now, total=len(facts), direct=len(first_load), split_only=split_only)
    batch.created = sum(count for inserted, _day, count in written if inserted)
    batch.updated = sum(count for inserted, _day, count in written if not inserted) + split_only
    batch.unchanged = len(facts) - batch.created - batch.updated
    changed_days = {day for _inserted, day, _count in written} | {key[0] for key in split_changes}
    return batch, changed_days, split_changes


_STAGED = ["date", "unit_id", "staff_id", "metric_id", "value"]
_STAGING = "kpi_fact_incoming"
_FACT_TABLE = Fact._meta.db_table
_BATCH_TABLE = IngestBatch._meta.db_table
# The fact's one key (kpi.models.Fact, fact_unique_key: an empty staff counts as 0) is the conflict target.
# xmax is 0 on a row version this statement inserted, the updating transaction's id on one it updated; a
# stored fact with the same value is neither (the DO UPDATE's WHERE skips it), so it is not returned.
_WRITE = f"""
WITH written AS (
    INSERT INTO "{_FACT_TABLE}" AS fact (date, unit_id, staff_id, metric_id, value, batch_id, updated_at)
    SELECT date, unit_id, staff_id, metric_id, value, %(batch)s, %(now)s FROM {_STAGING}
    ON CONFLICT (date, unit_id, (COALESCE(staff_id, 0)), metric_id) DO UPDATE
    SET value = EXCLUDED.value, batch_id = EXCLUDED.batch_id, updated_at = EXCLUDED.updated_at
    WHERE fact.value <> EXCLUDED.value
    RETURNING fact.xmax = 0 AS inserted, fact.date
),
counted AS (SELECT inserted, date, count(*) AS facts FROM written GROUP BY inserted, date),
recorded AS (
    UPDATE "{_BATCH_TABLE}" SET
        created = %(direct)s + (SELECT coalesce(sum(facts), 0) FROM counted WHERE inserted),
        updated = (SELECT coalesce(sum(facts), 0) FROM counted WHERE NOT inserted) + %(split_only)s,
        unchanged = %(total)s - %(direct)s - (SELECT coalesce(sum(facts), 0) FROM counted) - %(split_only)s
    WHERE id = %(batch)s
)
SELECT inserted, date, facts FROM counted
"""


def _upsert_facts(
    *, batch: IngestBatch, now: datetime.datetime, total: int, direct: int, split_only: int
) -> list[tuple[bool, datetime.date, int]]:
    """Write the staged facts and the batch's counts in one statement: (inserted?, day, facts) rows.
    `total` facts in the batch, of which `direct` were COPYed straight into the table."""
    params = {"batch": batch.pk, "now": now, "total": total, "direct": direct, "split_only": split_only}
    with connection.cursor() as cursor:
        cursor.execute(_WRITE, params)
        return cursor.fetchall()


# The cells of a fact, as the batch's columns (kpi.api and lib.csvimport.read_csv_columns lay them out).
_CELLS = tuple(column.name for column in FACT_COLUMNS.declared)
# A number taken as written is at most 16 digits, a point and 4 decimals.
_NUMBER_WIDTH = 21
_NO_DAY = -1
_NEVER = 10**9  # a day ordinal after any date


@dataclass
class _PlainFacts:
    """The rows of a batch that keep every rule with nothing to say (`mask`), and their facts: the day
    (a date, and its ordinal), unit, staff (-1: none) and metric ids and the value as written."""

    mask: np.ndarray
    line: np.ndarray
    day: np.ndarray
    day_ordinal: np.ndarray
    unit: np.ndarray
    staff: np.ndarray
    metric: np.ndarray
    value: np.ndarray

    def having(self, keys: set[tuple]) -> np.ndarray:
        """Which plain rows have one of these keys (date, unit id, staff id or None, metric id)."""
        wanted = pd.MultiIndex.from_tuples(
            [(day.toordinal(), unit, _NO_DAY if staff is None else staff, metric) for day, unit, staff, metric in keys]
        )
        found = pd.MultiIndex.from_arrays([self.day_ordinal, self.unit, self.staff, self.metric]).isin(wanted)
        return self.mask & found

    def facts(self, parsed: dict[tuple, Decimal], lines: dict[tuple, int], order: dict[tuple, int]) -> pd.DataFrame:
        """The batch's facts, the plain rows' and those the rules read (`parsed`, with their `lines` and
        their places in the batch, `order`), as one frame: date, unit_id, staff_id, metric_id, value (its
        text, a number PostgreSQL reads exactly), line, position (the row's place in the batch)."""
        mask = self.mask
        keys = list(parsed)

        def ids(plain: np.ndarray, read: list) -> np.ndarray:
            return np.concatenate([plain[mask], np.asarray(read, dtype=np.int64)])

        staff = ids(self.staff, [_NO_DAY if key[2] is None else key[2] for key in keys])
        return pd.DataFrame(
            {
                "date": np.concatenate([self.day[mask], _objects([key[0] for key in keys])]),
                "unit_id": ids(self.unit, [key[1] for key in keys]),
                "staff_id": pd.Series(staff, dtype="Int64").mask(staff == _NO_DAY),
                "metric_id": ids(self.metric, [key[3] for key in keys]),
                "value": np.concatenate([self.value[mask], _objects([f"{value:f}" for value in parsed.values()])]),
                "line": ids(self.line, [lines[key] for key in keys]),
                "position": ids(np.arange(len(mask), dtype=np.int64), [order[key] for key in keys]),
            }
        )


def _objects(values: list) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    for index, value in enumerate(values):
        array[index] = value
    return array


def _each_distinct(cells: pd.Series | None, read: Callable, length: int) -> list:
    """read() of each distinct cell of a column (once each), then answered for every row: a list of
    (codes, answers) where answers[codes] is the row's answer."""
    values = np.full(length, None, dtype=object) if cells is None else cells.to_numpy(dtype=object)
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return codes, [read(cell) for cell in uniques]


def _plain_facts(
    cells: pd.DataFrame, units, staff_pks, metrics, postings, *, last_day: datetime.date, source: str
) -> _PlainFacts:
    """The rows of the batch that keep every rule of facts_ingest with nothing to say, found a column at a
    time: each distinct date, unit, staff code and metric is read once (a file of half a million facts
    names a few days, a few thousand people and a few dozen metrics), numbers are checked as arrays of
    characters, and the answers are spread over the rows with numpy. The other rows go through the rules
    one by one (facts_ingest), which say what is wrong with them in their words. The same rules, asked in
    their cheapest form (tests/kpi/test_facts_plain.py holds them to the rules on every row of a mixed
    file); when in doubt a row is not plain.

    Not plain, so always through the rules: a cell with spaces around it, a partner, a negative number,
    a number with thousands commas or full-width digits, a count with a decimal point, points from
    another source than the ledger, a key that two rows share."""
    rows = len(cells)
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return _PlainFacts(np.zeros(0, dtype=bool), empty, _objects([]), empty, empty, empty, empty, _objects([]))
    ledger = source == IngestBatch.Source.LEDGER

    def read_day(text) -> datetime.date | None:
        if text.__class__ is not str or not text or text != text.strip():
            return None
        try:
            day = date(text)
        except ValueError:
            return None
        return day if day <= last_day else None

    def read_outlet(text) -> tuple[int, int, int]:
        found = units.get(text) if text.__class__ is str else None
        if found is None or found[1] != UnitKind.OUTLET:
            return _NO_DAY, _NEVER, _NO_DAY
        pk, _kind, opened_on, closed_on = found
        return pk, opened_on.toordinal() if opened_on else 0, closed_on.toordinal() if closed_on else _NEVER

    def read_metric(text) -> tuple[int, bool, bool, bool]:
        """(pk or -1, counts whole things, outlet only, staff only)."""
        metric = metrics.get(text) if text.__class__ is str else None
        if (
            metric is None
            or metric.aggregation not in (Aggregation.SUM, Aggregation.LAST)
            or (metric.unit == MetricUnit.POINTS and not ledger)
        ):
            return _NO_DAY, False, False, False
        return metric.pk, metric.unit in _WHOLE_UNITS, metric.level == Level.OUTLET, metric.level == Level.STAFF

    def read_staff(text) -> tuple[bool, int]:
        """(a staff cell is given, the staff member's pk or -1)."""
        if text is None or text == "":
            return False, _NO_DAY
        return True, staff_pks.get(text, _NO_DAY) if text.__class__ is str else _NO_DAY

    codes, days = _each_distinct(cells.get("date"), read_day, rows)
    day = _objects(days)[codes]
    day_ordinal = np.array([found.toordinal() if found else _NO_DAY for found in days], dtype=np.int64)[codes]
    codes, outlets = _each_distinct(cells.get("unit"), read_outlet, rows)
    unit, opened, closed = (
        np.array(column, dtype=np.int64).reshape(-1)[codes] for column in zip(*outlets, strict=True)
    )
    codes, found = _each_distinct(cells.get("metric"), read_metric, rows)
    metric = np.array([answer[0] for answer in found], dtype=np.int64)[codes]
    whole, outlet_only, staff_only = (
        np.array([answer[index] for answer in found], dtype=bool)[codes] for index in (1, 2, 3)
    )
    codes, found = _each_distinct(cells.get("staff"), read_staff, rows)
    staffed = np.array([answer[0] for answer in found], dtype=bool)[codes]
    staff = np.array([answer[1] for answer in found], dtype=np.int64)[codes]
    number, point = _plain_numbers(cells.get("value"), rows)
    partner = cells.get("partner")
    shared = np.zeros(rows, dtype=bool) if partner is None else partner.to_numpy(dtype=object).astype(bool)

    mask = (
        ~shared
        & (day_ordinal != _NO_DAY)
        & (unit != _NO_DAY)
        & (opened <= day_ordinal)
        & (day_ordinal <= closed)
        & (metric != _NO_DAY)
        & number
        & ~(whole & point)
        & np.where(staffed, ~outlet_only & (staff != _NO_DAY), ~staff_only)
    )
    # A staff member on duty at the outlet that day: each (staff, outlet, day) asked once.
    posted = mask & staffed
    if posted.any():
        triples = pd.DataFrame({"staff": staff[posted], "unit": unit[posted], "day": day_ordinal[posted]})
        group = triples.groupby(["staff", "unit", "day"], sort=False).ngroup().to_numpy()
        on_duty = np.array(
            [
                _assigned(postings, staff_pk, unit_pk, datetime.date.fromordinal(ordinal))
                for staff_pk, unit_pk, ordinal in triples.drop_duplicates().itertuples(index=False, name=None)
            ],
            dtype=bool,
        )
        mask[posted] = on_duty[group]
    # A key two plain rows share: both through the rules (the later one repeats the earlier).
    if mask.any():
        keys = pd.DataFrame(
            {"day": day_ordinal[mask], "unit": unit[mask], "staff": staff[mask], "metric": metric[mask]}
        )
        mask[mask] = ~keys.duplicated(keep=False).to_numpy()
    value = np.full(rows, None, dtype=object) if cells.get("value") is None else cells["value"].to_numpy(dtype=object)
    return _PlainFacts(
        mask=mask,
        line=cells["line"].to_numpy(dtype=np.int64),
        day=day,
        day_ordinal=day_ordinal,
        unit=unit,
        staff=np.where(staffed, staff, _NO_DAY),
        metric=metric,
        value=value,
    )


def _plain_numbers(cells: pd.Series | None, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """For each cell: whether it is a number the rules take as written (ASCII digits, at most 16 before
    an optional point and 1 to 4 after it: no sign, comma, space or full-width digit), and whether it
    has a point. The cells are laid out as a matrix of code points, one row a cell."""
    if cells is None:
        return np.zeros(rows, dtype=bool), np.zeros(rows, dtype=bool)
    texts = cells.to_numpy(dtype=object)
    lengths = np.fromiter((len(text) if text.__class__ is str else 0 for text in texts), dtype=np.int64, count=rows)
    short = (lengths >= 1) & (lengths <= _NUMBER_WIDTH)
    chars = np.where(short, texts, "").astype(f"U{_NUMBER_WIDTH}").view(np.uint32).reshape(rows, _NUMBER_WIDTH)
    digit = (chars >= ord("0")) & (chars <= ord("9"))
    point = chars == ord(".")
    used = chars != 0
    points = point.sum(axis=1)
    at = np.argmax(point, axis=1)  # where the point is (0 when there is none)
    decimals = lengths - at - 1
    number = (
        short
        & (used.sum(axis=1) == lengths)  # no NUL inside
        & (digit | point | ~used).all(axis=1)
        & (
            ((points == 0) & (lengths <= 16))
            | ((points == 1) & (at >= 1) & (at <= 16) & (decimals >= 1) & (decimals <= 4))
        )
    )
    return number, points > 0


def _as_parsed(facts: pd.DataFrame) -> tuple[dict[tuple, Decimal], dict[tuple, int]]:
    """The facts of a frame (_PlainFacts.facts) as key → value and key → line, in the batch's order."""
    facts = facts.sort_values("position", kind="stable")
    staff = facts["staff_id"].astype(object).where(facts["staff_id"].notna(), None).tolist()
    keys = list(zip(facts["date"].tolist(), facts["unit_id"].tolist(), staff, facts["metric_id"].tolist(), strict=True))
    parsed = dict(zip(keys, (Decimal(text) for text in facts["value"].tolist()), strict=True))
    return parsed, dict(zip(keys, facts["line"].tolist(), strict=True))


def facts_import(*, rows: list[CsvRow] | pd.DataFrame, created_by=None) -> ImportResult:
    """The `facts` kind of import_csv and the admin upload: facts_ingest from a CSV file (read column-wise,
    lib.csvimport.read_csv_columns)."""
    batch = facts_ingest(rows=rows, source=IngestBatch.Source.CSV, created_by=created_by)
    return ImportResult(created=batch.created, updated=batch.updated, unchanged=batch.unchanged)


def _codes(cells: pd.DataFrame, column: str) -> set[str]:
    """The codes a column names (as CsvRow reads a cell: stripped), each distinct cell stripped once."""
    if column not in cells:
        return set()
    return {text.strip() if text.__class__ is str else "" for text in pd.unique(cells[column].to_numpy(dtype=object))}


def _row_at(rows: list[CsvRow] | pd.DataFrame, cells: pd.DataFrame, position: int) -> CsvRow:
    """The row at a position of the batch, as the rules read it."""
    if not isinstance(rows, pd.DataFrame):
        return rows[position]
    values = {name: cells[name].iat[position] for name in _CELLS if name in cells}
    return CsvRow(line=int(cells["line"].iat[position]), values=values)


def _queue_rollup() -> None:
    rollup_pending.delay()


class _MetricRule:
    __slots__ = ("aggregation", "code", "level", "parts", "pk", "unit")

    def __init__(self, pk: int, code: str, unit: str, aggregation: str, level: str, parts: tuple[str, ...]):
        self.pk, self.code, self.unit, self.aggregation, self.level, self.parts = (
            pk,
            code,
            unit,
            aggregation,
            level,
            parts,
        )


def _metrics() -> dict[str, _MetricRule]:
    """The whole catalog (a few dozen rows) in one query, with the codes of each derived metric's parts."""
    rows = list(
        Metric.objects.values_list(
            "pk", "code", "unit", "aggregation", "level", "base_id", "numerator_id", "denominator_id"
        )
    )
    code_of = {row[0]: row[1] for row in rows}
    return {
        code: _MetricRule(pk, code, unit, kind, level, tuple(code_of[part] for part in parts if part in code_of))
        for pk, code, unit, kind, level, *parts in rows
    }


def _derived_message(metric: _MetricRule) -> str:
    kind = _KIND_NAMES.get(metric.aggregation, metric.aggregation)
    if metric.aggregation == Aggregation.RATIO:
        parts = pgettext("a list of two", " and ").join(metric.parts) or gettext("its numerator and denominator")
        return gettext("'%(metric)s' is a %(kind)s metric; it is computed: send its parts (%(parts)s) instead") % {
            "metric": metric.code,
            "kind": kind,
            "parts": parts,
        }
    base = metric.parts[0] if metric.parts else gettext("its base metric")
    return gettext("'%(metric)s' is a %(kind)s metric; it is computed: send its base (%(base)s) instead") % {
        "metric": metric.code,
        "kind": kind,
        "base": base,
    }


def _check_value(row: Row, value: Decimal, metric: _MetricRule | None) -> Decimal | None:
    text = row.text("value")
    # Size first: quantize() of a number with more digits than the context holds raises.
    if abs(value) >= _TOO_LARGE:
        row.problem(
            "value", gettext("'%(value)s' is too large (at most 16 digits before the decimal point)") % {"value": text}
        )
        return None
    if value.as_tuple().exponent < -DECIMAL_PLACES and value != value.quantize(_QUANTUM):
        row.problem(
            "value",
            gettext("'%(value)s' has more than %(places)s decimal places (at most %(places)s)")
            % {"value": text, "places": DECIMAL_PLACES},
        )
        return None
    if metric is not None and metric.unit in _WHOLE_UNITS and value != value.to_integral_value():
        row.problem(
            "value",
            gettext("'%(value)s' is not a whole number; '%(metric)s' counts %(unit)s")
            % {"value": text, "metric": metric.code, "unit": metric.unit},
        )
        return None
    if (
        value < 0
        and metric is not None
        and not (metric.unit in _SIGNED_FLOW_UNITS and metric.aggregation == Aggregation.SUM)
    ):
        if metric.aggregation == Aggregation.LAST:
            why = gettext("a balance cannot be negative")
        elif metric.unit in _COUNT_UNITS:
            why = gettext("it counts %(unit)s") % {"unit": metric.unit}
        else:
            why = gettext("only flows in 万元 or points (分) may be negative, not in %(unit)s") % {"unit": metric.unit}
        row.problem(
            "value",
            gettext("'%(value)s' is negative; '%(metric)s' must be 0 or more (%(why)s)")
            % {"value": text, "metric": metric.code, "why": why},
        )
        return None
    return value


def _refuse_closed_months(
    parsed: dict[tuple, Decimal],
    existing: dict[tuple, tuple[int, Decimal]],
    lines: dict[tuple, int],
    *,
    units_by_pk,
    split_changed=(),
) -> None:
    """ImportRejected if a new or changed fact (or a fact whose credit split changes: it moves the
    figures of two people) falls in a closed month: one problem per such fact, naming the close (who
    and when). Run inside the ingest's transaction, before anything is written."""
    closed = MonthClose.objects.closed().values_list("month", "changed_at", "changed_by__username")
    closes = {month: (changed_at, by) for month, changed_at, by in closed}
    if not closes:
        return
    problems = []
    for key, value in parsed.items():
        day = key[0]
        close = closes.get(day.replace(day=1))
        if close is None or (key in existing and existing[key][1] == value and key not in split_changed):
            continue
        changed_at, by = close
        close = {
            "month": f"{day:%Y-%m}",
            "by": by,
            "at": f"{timezone.localtime(changed_at):%Y-%m-%d %H:%M}",
            "unit": units_by_pk.get(key[1], ""),
            "day": day,
        }
        if by:
            closed_when = gettext("month %(month)s was closed (月结) by %(by)s on %(at)s") % close
        else:
            closed_when = gettext("month %(month)s was closed (月结) on %(at)s") % close
        frozen = (
            gettext(
                "its figures are frozen, so no fact of %(unit)s on %(day)s may be added or changed; HQ reopens the "
                "month in the admin (Month closes) to correct it"
            )
            % close
        )
        problems.append(Problem(lines[key], "date", closed_when + pgettext("before a reason", ": ") + frozen))
    if problems:
        raise ImportRejected(sorted(problems, key=lambda problem: problem.line or 0))


def _check_partner(row: Row, metric, staff_pk, unit_pk, day, postings: dict) -> None:
    """The rules of a row's partner (分润) that its own cells answer; whether a standing rule covers the
    pair is asked of all the rows at once (_partner_shares)."""
    partner_pk, partner_code = row["partner"], row.text("partner")
    if not row.text("staff"):
        row.problem(
            "partner", gettext("a partner shares a staff member's sale: give the staff member who made it in 'staff'")
        )
    elif metric is not None and metric.aggregation != Aggregation.SUM:
        row.problem(
            "partner",
            gettext("'%(metric)s' is a balance; only a flow (sum: a sale, a sign-up) is shared")
            % {"metric": metric.code},
        )
    elif partner_pk is not None and partner_pk == staff_pk:
        row.problem(
            "partner",
            gettext("'%(partner)s' is the fact's own staff member; name the colleague who shares it")
            % {"partner": partner_code},
        )
    elif (
        partner_pk is not None
        and unit_pk is not None
        and day is not None
        and not _assigned(postings, partner_pk, unit_pk, day)
    ):
        row.problem(
            "partner",
            gettext(
                "staff member '%(partner)s' is not assigned to %(unit)s on %(day)s; a sale is shared with a colleague "
                "at the same outlet"
            )
            % {"partner": partner_code, "unit": row.text("unit"), "day": day},
        )


def _partner_shares(partners: dict[tuple, tuple[int, int, str]], check: Checker) -> dict[tuple, tuple[int, Decimal]]:
    """key → (partner pk, share) of the rows naming a partner, by the standing rules (one bulk question);
    a row no rule covers is a problem on its `partner` cell."""
    questions = {
        key: ShareQuestion(metric_id=key[3], owner_id=key[2], partner_id=partner_pk, unit_id=key[1], on=key[0])
        for key, (partner_pk, _line, _sale) in partners.items()
    }
    answers = shares_for(questions.values()) if questions else {}
    shares = {}
    for key, question in questions.items():
        partner_pk, line, sale = partners[key]
        if (share := answers[question]) is None:
            check.add(
                line,
                "partner",
                gettext(
                    "no credit sharing rule applies to %(sale)s: HQ's rules (分润) pair the posts the two hold at the "
                    "outlet that day, and none pairs theirs for this metric"
                )
                % {"sale": sale},
            )
        else:
            shares[key] = (partner_pk, share)
    return shares


def _split_changes(
    shares: dict[tuple, tuple[int, Decimal]], existing: dict[tuple, tuple[int, Decimal]]
) -> dict[tuple, tuple[int, Decimal]]:
    """The splits to set: those of new facts, and of stored facts not yet shared with that partner. A
    fact already shared with the same partner keeps the share it was given (one query per 5,000)."""
    stored_pks = [existing[key][0] for key in shares if key in existing]
    current: dict[int, int] = {}
    for part in chunked(stored_pks):
        current.update(CreditSplit.objects.filter(fact_id__in=part).values_list("fact_id", "partner_id"))
    return {
        key: (partner_pk, share)
        for key, (partner_pk, share) in shares.items()
        if key not in existing or current.get(existing[key][0]) != partner_pk
    }


def _write_splits(split_changes: dict[tuple, tuple[int, Decimal]], *, created_by) -> None:
    """Replace the credit splits of these facts (written just before, so every key has a fact)."""
    fact_pks = {key: pk for key, (pk, _value) in _existing_facts(dict.fromkeys(split_changes)).items()}
    for part in chunked(fact_pks.values()):
        CreditSplit.objects.filter(fact_id__in=part).delete()
    CreditSplit.objects.bulk_create(
        [
            CreditSplit(fact_id=fact_pks[key], partner_id=partner_pk, share=share, created_by=created_by)
            for key, (partner_pk, share) in split_changes.items()
        ],
        batch_size=WRITE_BATCH_SIZE,
    )


def _assigned(postings: dict, staff_pk: int, unit_pk: int, day: datetime.date) -> bool:
    """Assignment.objects.on(day).filter(unit=…) for one staff member, answered from the bulk read."""
    return any(
        unit == unit_pk and start <= day and (end is None or end >= day)
        for unit, start, end in postings.get(staff_pk, ())
    )


def _write_facts(to_create: list[tuple], to_update: list[tuple[int, Decimal]], *, batch: IngestBatch) -> None:
    """SQLite: insert the new facts (date, unit, staff, metric, value) and set the changed ones (pk, value).

    The new facts go in through one prepared INSERT run for every row (executemany; the values adapted
    as Django adapts them): the demo's first seed writes half a million, which bulk_create took a minute
    over, most of it building and reading model instances. The changed ones through bulk_update.
    PostgreSQL takes the batch through COPY and an upsert instead (_upsert_facts).
    """
    now = timezone.now()
    table = Fact._meta.db_table
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        for part in chunked(to_create, WRITE_BATCH_SIZE * 10):
            cursor.executemany(
                f'INSERT INTO "{table}" (date, unit_id, staff_id, metric_id, value, batch_id, updated_at) '
                "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [
                    (ops.adapt_datefield_value(day), unit, staff, metric, value, batch.pk, stamp)
                    for day, unit, staff, metric, value in part
                ],
            )
    Fact.objects.bulk_update(
        [Fact(pk=pk, value=value, batch=batch, updated_at=now) for pk, value in to_update],
        ["value", "batch", "updated_at"],
        batch_size=WRITE_BATCH_SIZE,
    )


def _existing_facts(parsed: dict[tuple, Decimal]) -> dict[tuple, tuple[int, Decimal]]:
    """The stored facts among the batch's keys, as key → (pk, value): one query over the batch's date
    range, metrics and units (and staff), matched in memory."""
    if not parsed:
        return {}
    days = {key[0] for key in parsed}
    unit_pks = {key[1] for key in parsed}
    staff_pks = {key[2] for key in parsed if key[2] is not None}
    metric_pks = {key[3] for key in parsed}
    facts = Fact.objects.filter(date__gte=min(days), date__lte=max(days), metric_id__in=metric_pks)
    if len(unit_pks) <= _IN_LIMIT:
        facts = facts.filter(unit_id__in=unit_pks)
    if not staff_pks:
        facts = facts.filter(staff=None)
    elif len(staff_pks) <= _IN_LIMIT:
        facts = facts.filter(Q(staff=None) | Q(staff_id__in=staff_pks))
    existing = {}
    for pk, day, unit_pk, staff_pk, metric_pk, value in facts.values_list(
        "pk", "date", "unit_id", "staff_id", "metric_id", "value"
    ):
        key = (day, unit_pk, staff_pk, metric_pk)
        if key in parsed:
            existing[key] = (pk, value)
    return existing
