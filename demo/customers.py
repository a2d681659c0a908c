"""Demo customers behind `manage.py seed_demo`: a sample of every outlet's customers with their monthly
AUM, tiered month by month, so the tier pages, the migration matrix and the tier metrics have data.

What is made (everything from `random.Random` seeded with the seed and a customer's or slot's key, so
the same seed gives the same customers whatever the window, and a later window adds months without
changing the earlier ones):

- Every active outlet has 40–80 customer *slots* (more in a city's full-service outlet than in a light
  township one). A slot holds one customer for 18–96 months; then that customer is lost and, after an
  empty month or two at times, a new one takes the slot. So each month brings a few new and a few lost
  customers per outlet.
- A customer is a person (a name drawn as demo.py draws staff names; an 18-character identity number
  with a region code of the outlet's county or city, a date of birth that fits the groups, and its
  check digit) or, now and then, a small company (长尾对公: a company name and a unified social credit
  code). Groups follow age (90后/00后, 50+), area (涉农 in the townships) and chance (商户, 他行策反).
- The month's average daily AUM is log-normal around a median that depends on the area and the age
  (most customers 一星 or 二星, a few 五星, a 私行 now and then), moves with the customer's own trend
  and a monthly wobble, and jumps up or down once in the life of some customers.
- Relationship managers are the outlet's customer managers (wealth managers too for the wealthiest);
  most premium customers have one, fewer of the others.

Written through the CSV import services (customers_import, snapshots_import), then tiered month by month
with customers.services.tiering.tiering_run, oldest first: the snapshots of the DEFAULT_MONTHS months that
ended by `end` (the first of them counts everyone as new: there is no month before it). A month is tiered
again only when its snapshots changed (or a month before it was), so a second run with the same seed
writes nothing.

The demo's premium customers (premium_customers, 三星及以上) are a daily balance of demo_facts, modelled
on each outlet's deposits (thousands per outlet), while this sample holds a few dozen customers per
outlet. The tiering writes its own count on each month's last day; where the demo's facts have a value
for that day (or one carried into it), it is put back, so premium_customers and its growth targets stay
the demo's. The tier counts (customers_<tier>) are the sample's. With real data the tiering is the one
source of premium_customers.
"""

from __future__ import annotations

import datetime
import math
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from branches.models import Area, OrgUnit, OutletFormat, UnitKind
from customers.models import Group, TieringRun
from customers.services.imports import (
    CUSTOMER_COLUMNS,
    GROUP_SEPARATOR,
    SNAPSHOT_COLUMNS,
    customers_import,
    snapshots_import,
)
from customers.services.tiering import PREMIUM_METRIC, month_end, previous_month, tiering_run
from demo import network as demo_network
from demo.facts import Bar, OutletInfo, Posting, network_read, no_bar
from kpi.models import Fact, IngestBatch
from kpi.services.facts import facts_ingest
from lib.csvimport import CsvRow, ImportResult
from lib.identity import USCC_CHARACTERS, resident_check_digit, uscc_check_character

DEFAULT_MONTHS = 3
# Customer slots per outlet (fewest, most), by area and format.
SLOTS = {
    (Area.URBAN, OutletFormat.FULL): (65, 80),
    (Area.URBAN, OutletFormat.LIGHT): (45, 60),
    (Area.URBAN, OutletFormat.SMART): (50, 65),
    (Area.COUNTY, OutletFormat.FULL): (55, 70),
    (Area.COUNTY, OutletFormat.LIGHT): (40, 55),
    (Area.COUNTY, OutletFormat.SMART): (45, 60),
    (Area.TOWNSHIP, OutletFormat.FULL): (50, 65),
    (Area.TOWNSHIP, OutletFormat.LIGHT): (40, 50),
    (Area.TOWNSHIP, OutletFormat.SMART): (40, 55),
}
LIFE_MONTHS = (18, 96)
# Median average daily AUM (元) of a person aged 30–49, by area; other ages scale it.
MEDIAN_AUM = {Area.URBAN: 12_000, Area.COUNTY: 8_000, Area.TOWNSHIP: 5_000}
AUM_SIGMA = 1.5
AGE_FACTOR = ((29, 0.5), (49, 1.0), (64, 1.6), (200, 1.3))
# One customer in a hundred is wealthy: the 五星 and 私行 customers come from here.
WEALTHY = (0.01, 800_000, 1.0)
CORPORATE = {Area.URBAN: 0.04, Area.COUNTY: 0.03, Area.TOWNSHIP: 0.015}
CORPORATE_AUM = (150_000, 1.2)
# Age brackets (lowest, highest, weight) by area: the townships are older.
AGES = {
    Area.URBAN: ((18, 29, 0.22), (30, 49, 0.38), (50, 64, 0.25), (65, 85, 0.15)),
    Area.COUNTY: ((18, 29, 0.18), (30, 49, 0.34), (50, 64, 0.28), (65, 85, 0.20)),
    Area.TOWNSHIP: ((18, 29, 0.12), (30, 49, 0.30), (50, 64, 0.32), (65, 85, 0.26)),
}
MERCHANT = {Area.URBAN: 0.08, Area.COUNTY: 0.07, Area.TOWNSHIP: 0.05}
AGRICULTURAL = {Area.URBAN: 0.03, Area.COUNTY: 0.2, Area.TOWNSHIP: 0.45}
OTHER_BANK_WON = 0.06
# Ages are counted in this year, so a customer's groups do not change with the window.
AGE_YEAR = 2026
MONTHLY_WOBBLE = 0.12
DRIFT_SIGMA = 0.015
JUMP_CHANCE = 0.3
# With a relationship manager: most premium customers (≥ 5万), fewer of the others.
MANAGED = (50_000, 0.9, 0.35)

# Region codes (GB/T 2260) of the demo's sub-branch seats (demo_network.BRANCHES), and of each city's districts
# for customers born elsewhere in the city.
SEAT_REGIONS = {
    "LY": {
        "西工": "410303",
        "宜阳县": "410327",
        "涧西": "410305",
        "新安县": "410323",
        "老城": "410302",
        "洛宁县": "410328",
        "洛龙": "410311",
        "嵩县": "410325",
        "瀍河": "410304",
        "栾川县": "410324",
        "汝阳县": "410326",
        "伊川县": "410329",
    },
    "NY": {
        "宛城": "411302",
        "方城县": "411322",
        "卧龙": "411303",
        "镇平县": "411324",
        "高新区": "411303",
        "内乡县": "411325",
        "西峡县": "411323",
        "淅川县": "411326",
        "社旗县": "411327",
        "唐河县": "411328",
        "新野县": "411329",
        "桐柏县": "411330",
    },
    "XY": {
        "浉河": "411502",
        "罗山县": "411521",
        "平桥": "411503",
        "光山县": "411522",
        "羊山新区": "411502",
        "固始县": "411525",
        "商城县": "411524",
        "潢川县": "411526",
        "淮滨县": "411527",
        "息县": "411528",
        "新县": "411523",
    },
}
CITY_NAMES = {"LY": "洛阳", "NY": "南阳", "XY": "信阳"}
# A network not planned by demo.py (another seed's codes): the provincial capital, 郑州.
OTHER_CITY = ("郑州", ("410102", "410103", "410105"))
PROVINCE_REGIONS = tuple(sorted({code for seats in SEAT_REGIONS.values() for code in seats.values()}))
BRANDS = demo_network._words("鑫源 宏达 恒泰 金顺 华兴 永盛 瑞丰 德昌 聚福 万隆 天成 兴旺 众诚 嘉禾 润泽 广源")
TRADES = demo_network._words("商贸 农资 建材 物流 餐饮 五金 食品 家具 汽修 电子 服饰 茶叶 粮油")
FARM_TRADES = demo_network._words("种植 养殖 果蔬 茶叶 农机 中药材")
COOPERATIVE = "农民专业合作社"
COMPANY_FORMS = {"有限公司": 0.75, "有限责任公司": 0.2, COOPERATIVE: 0.05}


# -- the plan ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutletSeat:
    """What the customers of an outlet draw from: its size class and where its customers come from."""

    code: str
    area: str
    outlet_format: str
    city: str  # 洛阳
    seat_region: str  # region code of the sub-branch's district or county
    city_regions: tuple[str, ...]
    managers: tuple[str, ...] = ()  # customer managers' staff codes
    wealth_managers: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlannedCustomer:
    code: str
    outlet: str
    name: str
    id_number: str
    manager: str
    groups: int
    aum: dict[datetime.date, float] = field(default_factory=dict, compare=False)

    def as_row(self, line: int) -> CsvRow:
        groups = GROUP_SEPARATOR.join(group.code for group in Group if self.groups & group)
        values = (self.code, self.name, self.id_number, self.outlet, self.manager, groups)
        return CsvRow(line=line, values=dict(zip(CUSTOMER_COLUMNS, values, strict=True)))


def customers_plan(
    *, outlets: Sequence[OutletSeat], months: Sequence[datetime.date], seed: int
) -> list[PlannedCustomer]:
    """Every customer with a snapshot in `months`, outlet by outlet and slot by slot, with their average
    daily AUM per month. Pure: reads no database."""
    planned = []
    for outlet in outlets:
        rng = random.Random(f"{seed}:customers:{outlet.code}")
        low, high = SLOTS.get((outlet.area, outlet.outlet_format), SLOTS[Area.URBAN, OutletFormat.FULL])
        for slot in range(rng.randint(low, high)):
            planned.extend(_slot_customers(outlet, slot, months, seed=seed))
    return planned


def _slot_customers(
    outlet: OutletSeat, slot: int, months: Sequence[datetime.date], *, seed: int
) -> list[PlannedCustomer]:
    rng = random.Random(f"{seed}:slot:{outlet.code}:{slot}")
    life = rng.randint(*LIFE_MONTHS)
    offset = rng.randrange(life)
    indexes = [_month_index(month) for month in months]
    customers = []
    for generation in range((indexes[0] + offset) // life, (indexes[-1] + offset) // life + 1):
        code = f"C{outlet.code}{slot:03d}{generation % 1000:03d}"
        customer_rng = random.Random(f"{seed}:customer:{code}")
        # The slot stays empty for a month or two after the customer before it was lost, at times.
        first = generation * life - offset + customer_rng.choices((0, 1, 2), weights=(0.6, 0.25, 0.15))[0]
        last = (generation + 1) * life - offset - 1
        active = [month for month, index in zip(months, indexes, strict=True) if first <= index <= last]
        if active:
            customers.append(_customer(outlet, code, customer_rng, active, first, last, seed=seed))
    return customers


def _customer(
    outlet: OutletSeat,
    code: str,
    rng: random.Random,
    months: list[datetime.date],
    first: int,
    last: int,
    *,
    seed: int,
) -> PlannedCustomer:
    if rng.random() < CORPORATE[outlet.area]:
        name, id_number, groups = _company(outlet, rng)
        median, sigma = CORPORATE_AUM
    else:
        name, id_number, groups, age = _person(outlet, rng)
        median = MEDIAN_AUM[outlet.area] * next(factor for top, factor in AGE_FACTOR if age <= top)
        median *= 2 if groups & Group.MERCHANT else 1
        sigma = AUM_SIGMA
        if rng.random() < WEALTHY[0]:
            _chance, median, sigma = WEALTHY
    base = median * math.exp(rng.gauss(0, sigma))
    drift = rng.gauss(0, DRIFT_SIGMA)
    jump_at, jump = (rng.randint(first, last), rng.choice((rng.uniform(0.25, 0.6), rng.uniform(1.6, 3.0))))
    if rng.random() >= JUMP_CHANCE:
        jump = 1.0
    aum = {}
    for month in months:
        index = _month_index(month)
        wobble = random.Random(f"{seed}:aum:{code}:{month:%Y-%m}").gauss(0, MONTHLY_WOBBLE)
        aum[month] = base * math.exp(drift * (index - first) + wobble) * (jump if index >= jump_at else 1.0)
    manager = ""
    managed_from, premium_chance, other_chance = MANAGED
    if rng.random() < (premium_chance if base >= managed_from else other_chance):
        pool = outlet.managers + (outlet.wealth_managers if base >= 4 * managed_from else ())
        manager = rng.choice(pool) if pool else ""
    return PlannedCustomer(
        code=code, outlet=outlet.code, name=name, id_number=id_number, manager=manager, groups=groups, aum=aum
    )


def _person(outlet: OutletSeat, rng: random.Random) -> tuple[str, str, int, int]:
    low, high, _weight = rng.choices(AGES[outlet.area], weights=[bracket[2] for bracket in AGES[outlet.area]])[0]
    age = rng.randint(low, high)
    born = datetime.date(AGE_YEAR - age, rng.randint(1, 12), rng.randint(1, 28))
    region = _birth_region(outlet, rng)
    first17 = f"{region}{born:%Y%m%d}{rng.randint(1, 999):03d}"
    groups = 0
    if born.year >= 1990:
        groups |= Group.YOUNG
    if age >= 50:
        groups |= Group.SILVER
    if rng.random() < MERCHANT[outlet.area]:
        groups |= Group.MERCHANT
    if rng.random() < AGRICULTURAL[outlet.area]:
        groups |= Group.AGRICULTURAL
    if rng.random() < OTHER_BANK_WON:
        groups |= Group.OTHER_BANK_WON
    return demo_network._person_name(rng), first17 + resident_check_digit(first17), int(groups), age


def _company(outlet: OutletSeat, rng: random.Random) -> tuple[str, str, int]:
    form = rng.choices(list(COMPANY_FORMS), weights=list(COMPANY_FORMS.values()))[0]
    trade = rng.choice(FARM_TRADES if form == COOPERATIVE else TRADES)
    name = f"{outlet.city}{rng.choice(BRANDS)}{trade}{form}"
    # 9 (market regulation) + 1 (enterprise) or 3 (farmers' cooperative), the region, then the
    # organisation code (8 characters and its GB 11714 check) and the code's own check character.
    organisation = "".join(rng.choice(USCC_CHARACTERS) for _ in range(8))
    first17 = f"9{'3' if form == COOPERATIVE else '1'}{outlet.seat_region}{organisation}"
    first17 += _organisation_check(organisation)
    groups = Group.LONG_TAIL_CORPORATE | (Group.AGRICULTURAL if form == COOPERATIVE else 0)
    if form != COOPERATIVE and rng.random() < 0.3:
        groups |= Group.MERCHANT
    if rng.random() < OTHER_BANK_WON:
        groups |= Group.OTHER_BANK_WON
    return name, first17 + uscc_check_character(first17), int(groups)


def _organisation_check(code: str) -> str:
    """GB 11714: the 9th character of an organisation code."""
    total = sum(int(character, 36) * weight for character, weight in zip(code, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def _birth_region(outlet: OutletSeat, rng: random.Random) -> str:
    draw = rng.random()
    if draw < 0.7:
        return outlet.seat_region
    if draw < 0.9:
        return rng.choice(outlet.city_regions)
    return rng.choice(PROVINCE_REGIONS)


def snapshot_rows(customers: Sequence[PlannedCustomer], month: datetime.date, *, seed: int) -> list[CsvRow]:
    """The month's snapshots (SNAPSHOT_COLUMNS): the average daily AUM, and month-end balances around it
    split over the products: the more a customer holds, the less of it sits in deposits."""
    rows = []
    for customer in customers:
        average = customer.aum.get(month)
        if average is None:
            continue
        rng = random.Random(f"{seed}:snapshot:{customer.code}:{month:%Y-%m}")
        total = max(0.0, average * rng.gauss(1.0, 0.05))
        if customer.groups & Group.LONG_TAIL_CORPORATE:
            deposit_share = rng.uniform(0.9, 1.0)
        elif average < 50_000:
            deposit_share = rng.uniform(0.85, 1.0)
        elif average < 1_000_000:
            deposit_share = rng.uniform(0.45, 0.8)
        else:
            deposit_share = rng.uniform(0.3, 0.6)
        rest = total * (1 - deposit_share)
        weights = [rng.uniform(0.5, 1.5) * share for share in (0.5, 0.2, 0.2, 0.1)]
        parts = [round(rest * weight / sum(weights), 2) for weight in weights]
        deposits = round(total, 2) - sum(parts)
        values = (customer.code, f"{month:%Y-%m}", f"{max(deposits, 0):.2f}", *(f"{part:.2f}" for part in parts))
        values = (*values, f"{average:.2f}")
        rows.append(CsvRow(line=len(rows) + 2, values=dict(zip(SNAPSHOT_COLUMNS, values, strict=True))))
    return rows


def _month_index(month: datetime.date) -> int:
    return month.year * 12 + month.month - 1


def demo_months(*, end: datetime.date, months: int = DEFAULT_MONTHS) -> list[datetime.date]:
    """The last `months` months that ended by `end` (and before today), oldest first."""
    last = end.replace(day=1) if month_end(end.replace(day=1)) <= end else previous_month(end)
    chosen = [min(last, previous_month(timezone.localdate()))]
    while len(chosen) < months:
        chosen.insert(0, previous_month(chosen[0]))
    return chosen


# -- reading the network -----------------------------------------------------------------------------


def outlet_seats(outlets: Sequence[OutletInfo], postings: Sequence[Posting], *, on: datetime.date) -> list[OutletSeat]:
    """The outlets as the plan needs them, with the customer and wealth managers whose own outlet it is
    (demo_facts' postings of weight 1) on day `on`."""
    seats = dict(OrgUnit.objects.filter(kind=UnitKind.SUB_BRANCH).values_list("code", "name_zh"))
    staff: dict[tuple[str, str], list[str]] = defaultdict(list)
    for posting in postings:
        if posting.weight == 1.0 and posting.on(on) and posting.post in ("customer_manager", "wealth_manager"):
            staff[posting.unit, posting.post].append(posting.staff)
    planned = []
    for outlet in outlets:
        branch = outlet.ancestors[1] if len(outlet.ancestors) > 1 else ""
        sub_branch = outlet.ancestors[-1] if outlet.ancestors else ""
        regions = SEAT_REGIONS.get(branch)
        if regions is None:
            city, city_regions = OTHER_CITY
            seat = city_regions[0]
        else:
            city, city_regions = CITY_NAMES[branch], tuple(sorted(set(regions.values())))
            seat = regions.get(seats.get(sub_branch, "").removesuffix("支行"), city_regions[0])
        planned.append(
            OutletSeat(
                code=outlet.code,
                area=outlet.area,
                outlet_format=outlet.outlet_format,
                city=city,
                seat_region=seat,
                city_regions=city_regions,
                managers=tuple(sorted(staff[outlet.code, "customer_manager"])),
                wealth_managers=tuple(sorted(staff[outlet.code, "wealth_manager"])),
            )
        )
    return planned


# -- writing it --------------------------------------------------------------------------------------


@dataclass
class SeededCustomers:
    months: list[datetime.date]
    customers: ImportResult
    snapshots: ImportResult
    tiered: list[datetime.date]
    premium_kept: int = 0

    def __str__(self) -> str:
        tiered = ", ".join(f"{month:%Y-%m}" for month in self.tiered) or "nothing (unchanged)"
        return "\n".join(
            [
                f"Customers: {self.customers}; snapshots {self.months[0]:%Y-%m} – {self.months[-1]:%Y-%m}: "
                f"{self.snapshots}",
                f"Tiered: {tiered}",
            ]
        )


def seed_customers(
    *, seed: int, end: datetime.date, months: int = DEFAULT_MONTHS, bar: Bar = no_bar
) -> SeededCustomers:
    """Customers and snapshots through the imports, then the tiering of every month that changed.

    1. Read the active outlets and their managers; plan the customers of the months (customers_plan).
    2. customers_import, then snapshots_import month by month (each says whether its month changed).
    3. From the first month that changed (or was never tiered) on, oldest first: remember the demo's
       premium_customers facts on the month's last day, and tiering_run.
    4. Put the demo's premium customers back (see the module's docstring), in one facts_ingest.

    No transaction of its own: seed_demo calls it inside seed_facts', before the rollup.
    """
    chosen = demo_months(end=end, months=months)
    outlets, postings = network_read()
    seats = outlet_seats(outlets, postings, on=month_end(chosen[-1]))
    planned = customers_plan(outlets=seats, months=chosen, seed=seed)

    customers = customers_import(rows=[customer.as_row(line) for line, customer in enumerate(planned, start=2)])
    snapshots = ImportResult()
    changed: list[datetime.date] = []
    for month in chosen:
        result = snapshots_import(rows=snapshot_rows(planned, month, seed=seed))
        snapshots.created += result.created
        snapshots.updated += result.updated
        snapshots.unchanged += result.unchanged
        if result.created or result.updated:
            changed.append(month)
    tiered = set(
        TieringRun.objects.filter(month__in=chosen, status=TieringRun.Status.DONE).values_list("month", flat=True)
    )
    due = [month for month in chosen if month in changed or month not in tiered or customers.updated]
    if due:
        due = [month for month in chosen if month >= due[0]]

    put_back: list[CsvRow] = []
    with bar("customers", len(due), "month") as advance:
        for month in due:
            premium = _demo_premium(month_end(month))
            tiering_run(month=month)
            put_back += _premium_rows(month_end(month), premium, line=len(put_back) + 2)
            advance(1)
    if put_back:
        facts_ingest(rows=put_back, source=IngestBatch.Source.DEMO, label="seed_demo premium customers at month ends")
    return SeededCustomers(
        months=chosen, customers=customers, snapshots=snapshots, tiered=due, premium_kept=len(put_back)
    )


def _demo_premium(day: datetime.date) -> dict[tuple[int, int | None], Decimal]:
    """(unit pk, staff pk) → the demo's premium_customers in force on `day`: its latest fact on or before
    the day that the tiering did not write."""
    rows = (
        Fact.objects.filter(metric__code=PREMIUM_METRIC, date__lte=day, date__gt=day - datetime.timedelta(days=31))
        .exclude(batch__source=IngestBatch.Source.TIERING)
        .order_by("date")
        .values_list("unit_id", "staff_id", "value")
    )
    return {(unit, staff): value for unit, staff, value in rows}


def _premium_rows(day: datetime.date, premium: dict[tuple[int, int | None], Decimal], *, line: int) -> list[CsvRow]:
    """Facts that put the demo's premium customers back where the tiering wrote another count on `day`."""
    rows: list[CsvRow] = []
    if not premium:
        return rows
    for unit, staff, unit_code, staff_code, value in Fact.objects.filter(
        metric__code=PREMIUM_METRIC, date=day
    ).values_list("unit_id", "staff_id", "unit__code", "staff__code", "value"):
        kept = premium.get((unit, staff))
        if kept is not None and kept != value:
            values = {"date": day.isoformat(), "unit": unit_code, "staff": staff_code or "", "metric": PREMIUM_METRIC}
            rows.append(CsvRow(line=line + len(rows), values={**values, "value": str(kept)}))
    return rows
