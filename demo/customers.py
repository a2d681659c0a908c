"""Demo customers behind `manage.py seed_demo`: a sample of every outlet's customers with their monthly
AUM, tiered month by month, so the tier pages, the migration matrix and the tier metrics have data.

What is made (everything from `random.Random` seeded with the seed and a customer's or slot's key, so
the same seed gives the same customers whatever the window, and a later window adds months without
changing the earlier ones):

- Every active outlet has 120–240 customer *slots* (more in a city's full-service outlet than in a light
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

Premium customers (premium_customers, 三星及以上) come from these customers alone (premium_book): the tier
pages, the scorecard and the overview count the same people. Each outlet's premium count follows a
planned path (its start, grown by the outlet's rate, at least one a month, and its form): in a
month whose natural count (from the AUM above) misses the path, the customers nearest below the
threshold are lifted just above it (a 他行策反, a new deposit), or those nearest above it slip just
below, so the month's tiering counts exactly the path and its migrations stay those of real
customers. Between month ends a customer's tier changes on a day of the month drawn for them, so the
daily premium_customers facts (demo_facts) move through the month and reach the tiering's count on its
last day: the tiering then finds its facts already written.
"""

from __future__ import annotations

import bisect
import datetime
import hashlib
import itertools
import math
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np
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
from customers.services.tiering import assign_tiers, month_end, previous_month, scheme_for, tiering_run
from demo import network as demo_network
from demo.facts import Bar, OutletInfo, Posting, network_read, no_bar, premium_yearly_growth, profile_of, stock_years
from lib.csvimport import CsvRow, ImportResult
from lib.identity import USCC_CHARACTERS, resident_check_digit, uscc_check_character

DEFAULT_MONTHS = 3
# Customer slots per outlet (fewest, most), by area and format.
# Three times what an earlier demo had: enough premium customers per outlet (a dozen in a township, sixty
# or more in a city) for a monthly growth target of a few, within make run's three minutes.
SLOTS = {
    (Area.URBAN, OutletFormat.FULL): (195, 240),
    (Area.URBAN, OutletFormat.LIGHT): (135, 180),
    (Area.URBAN, OutletFormat.SMART): (150, 195),
    (Area.COUNTY, OutletFormat.FULL): (165, 210),
    (Area.COUNTY, OutletFormat.LIGHT): (120, 165),
    (Area.COUNTY, OutletFormat.SMART): (135, 180),
    (Area.TOWNSHIP, OutletFormat.FULL): (150, 195),
    (Area.TOWNSHIP, OutletFormat.LIGHT): (120, 150),
    (Area.TOWNSHIP, OutletFormat.SMART): (120, 165),
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
        wobble = MONTHLY_WOBBLE * _standard_normal(f"{seed}:aum:{code}:{month:%Y-%m}")
        aum[month] = base * math.exp(drift * (index - first) + wobble) * (jump if index >= jump_at else 1.0)
    manager = ""
    managed_from, premium_chance, other_chance = MANAGED
    if rng.random() < (premium_chance if base >= managed_from else other_chance):
        pool = outlet.managers + (outlet.wealth_managers if base >= 4 * managed_from else ())
        manager = rng.choice(pool) if pool else ""
    return PlannedCustomer(
        code=code, outlet=outlet.code, name=name, id_number=id_number, manager=manager, groups=groups, aum=aum
    )


_NORMAL = NormalDist()


def _standard_normal(key: str) -> float:
    """A standard normal draw fixed by `key`: a hash read as a probability, through the inverse normal
    CDF. A fresh random.Random per customer and month cost most of the plan's time (its seeding hashes
    the key with SHA-512 and fills a state of 624 words)."""
    digest = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")
    return _NORMAL.inv_cdf((digest + 0.5) / 2**64)


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


# -- premium customers: one count for the tier pages and the scorecard ------------------------------

# How far past the threshold a lifted customer lands, or below it one who slips (a fraction of it).
STEER_MARGIN = (0.01, 0.15)
MANAGER_POSTS = ("customer_manager", "wealth_manager")


def premium_months(first_day: datetime.date, last_day: datetime.date) -> list[datetime.date]:
    """The months whose tiers the premium facts from `first_day` to `last_day` need: the month before
    `first_day`'s (where the counts start), through `last_day`'s (which may not have ended)."""
    month = previous_month(first_day.replace(day=1))
    months = []
    while month <= last_day:
        months.append(month)
        month = month_end(month) + datetime.timedelta(days=1)
    return months


@dataclass
class PremiumBook:
    """The demo's premium customers (三星及以上) by outlet, relationship manager and day, counted from its
    customers (`customers`, their AUM already steered onto each outlet's path): what demo_facts reports
    as premium_customers and what the monthly tiering counts at each month's end."""

    months: list[datetime.date]
    customers: list[PlannedCustomer]
    # outlet → its counts (Counts); the same per (outlet, manager).
    outlet_changes: dict[str, Counts]
    staff_changes: dict[tuple[str, str], Counts]
    # (outlet, month) → the managers with at least one customer there that month (tiering reports them).
    managing: dict[tuple[str, datetime.date], set[str]] = field(default_factory=dict)
    path: dict[tuple[str, datetime.date], int] = field(default_factory=dict)  # (outlet, month) → planned count

    def start_of(self, code: str) -> int:
        """The outlet's premium customers at the end of the first month, where its path starts."""
        return self.path.get((code, self.months[0]), 0)

    def outlet(self, code: str, day: datetime.date) -> int:
        return _count_on(self.outlet_changes.get(code), day)

    def staff(self, code: str, day: datetime.date, present: list[Posting]) -> list[tuple[str, int]]:
        """(staff code, premium customers) of the relationship managers at outlet `code` on `day` who
        manage some of its customers that month, as the tiering writes them at a month's end."""
        managers = self.managing.get((code, day.replace(day=1)), set())
        staff = sorted({posting.staff for posting in present if posting.staff in managers})
        return [(member, _count_on(self.staff_changes.get((code, member)), day)) for member in staff]


@dataclass(frozen=True)
class Counts:
    """A count from the first month's end on, and the days it changes with the count after each."""

    start: int
    days: tuple[datetime.date, ...] = ()
    after: tuple[int, ...] = ()

    @classmethod
    def of(cls, start: int, changes: list[tuple[datetime.date, int]]) -> Counts:
        days, after, count = [], [], start
        for day, change in sorted(changes):
            count += change
            if days and days[-1] == day:
                after[-1] = count
            else:
                days.append(day)
                after.append(count)
        return cls(start, tuple(days), tuple(after))

    def on(self, day: datetime.date) -> int:
        index = bisect.bisect_right(self.days, day)
        return self.after[index - 1] if index else self.start


def _count_on(counts: Counts | None, day: datetime.date) -> int:
    return counts.on(day) if counts is not None else 0


def premium_book(
    *, seed: int, first_day: datetime.date, last_day: datetime.date, outlets=None, postings=None
) -> PremiumBook:
    """The premium customers of the demo from `first_day` to `last_day`, from its customers.

    1. Plan the customers of premium_months (customers_plan), their managers those of each outlet at the
       end of the last month the demo tiers (demo_months), as seed_customers imports them.
    2. Per outlet, the path: the natural count of the first month, grown month by month by the outlet's
       planned growth (premium_yearly_growth) × its form on premium_customers_growth, spread over the
       year as deposits grow (stock_years); each later month is steered onto it (_steer).
    3. A customer whose premium status differs from the month before changes on a day of the month drawn
       for them (by the month's end at the latest): the changes per outlet and manager.

    Pure but for reading the tier schemes in force (and the network, when not given)."""
    if outlets is None or postings is None:
        outlets, postings = network_read()
    tiered = demo_months(end=last_day)
    # From the first month the demo tiers, if that is earlier: its tiering counts the same customers.
    months = premium_months(min(first_day, tiered[0]), last_day)
    seats = outlet_seats(outlets, postings, on=month_end(tiered[-1]))
    planned = customers_plan(outlets=seats, months=months, seed=seed)
    schemes = {month: list(scheme_for(month).tiers.order_by("min_aum")) for month in months}
    by_outlet: dict[str, list[PlannedCustomer]] = defaultdict(list)
    for customer in planned:
        by_outlet[customer.outlet].append(customer)
    book = PremiumBook(months=months, customers=planned, outlet_changes={}, staff_changes={})
    for outlet in outlets:
        customers = by_outlet.get(outlet.code, [])
        profile = profile_of(outlet, seed=seed)
        start = _premium_flags(customers, months[0], schemes[months[0]])
        natural = sum(start.values())
        yearly = premium_yearly_growth(profile.premium_growth, natural) * profile.perf("premium_customers_growth")
        opened = stock_years(month_end(months[0]))
        for month in months:
            planned_count = round(natural + yearly * (stock_years(month_end(month)) - opened))
            book.path[outlet.code, month] = planned_count
            if month != months[0]:
                _steer(customers, month, planned_count, schemes[month], seed=seed)
        _changes(book, outlet.code, customers, months, schemes, seed=seed)
    return book


def _premium_flags(customers: list[PlannedCustomer], month: datetime.date, tiers) -> dict[str, bool]:
    """customer code → premium in `month` (as the tiering decides it on the snapshot's rounded AUM), for
    the customers with a snapshot that month."""
    active = [customer for customer in customers if month in customer.aum]
    if not active:
        return {}
    aum = np.array([round(customer.aum[month], 2) for customer in active])
    premium = np.array([tier.is_premium for tier in tiers])[assign_tiers(aum, tiers)]
    return {customer.code: bool(flag) for customer, flag in zip(active, premium, strict=True)}


def _steer(customers: list[PlannedCustomer], month: datetime.date, wanted: int, tiers, *, seed: int) -> None:
    """Lift the customers nearest below the premium threshold just above it (or let those nearest above
    slip just below) until `wanted` of the outlet's customers are premium in `month`."""
    flags = _premium_flags(customers, month, tiers)
    have = sum(flags.values())
    if have == wanted:
        return
    threshold = min(float(tier.min_aum) for tier in tiers if tier.is_premium)
    active = [customer for customer in customers if customer.code in flags]
    if have < wanted:
        below = sorted((c for c in active if not flags[c.code]), key=lambda c: c.aum[month], reverse=True)
        moved, direction = below[: wanted - have], 1
    else:
        above = sorted((c for c in active if flags[c.code]), key=lambda c: c.aum[month])
        moved, direction = above[: have - wanted], -1
    for customer in moved:
        margin = random.Random(f"{seed}:steer:{customer.code}:{month:%Y-%m}").uniform(*STEER_MARGIN)
        customer.aum[month] = threshold * (1 + direction * margin)


def _changes(book: PremiumBook, outlet: str, customers, months, schemes, *, seed: int) -> None:
    """The outlet's and its managers' premium counts at the first month, and the day each customer's
    status changes after it (a day of the month drawn for them; a customer new or lost that month
    counts from or until that day)."""
    flags = {month: _premium_flags(customers, month, schemes[month]) for month in months}
    changes: list[tuple[datetime.date, int, str]] = []
    first = flags[months[0]]
    start = sum(first.values())
    staff_start: dict[str, int] = defaultdict(int)
    for customer in customers:
        if customer.manager and first.get(customer.code):
            staff_start[customer.manager] += 1
        for month in months:
            if month in customer.aum and customer.manager:
                book.managing.setdefault((outlet, month), set()).add(customer.manager)
    for before, month in itertools.pairwise(months):
        last = month_end(month).day
        for customer in customers:
            was, now = flags[before].get(customer.code, False), flags[month].get(customer.code, False)
            if was == now:
                continue
            rng = random.Random(f"{seed}:premium-day:{customer.code}:{month:%Y-%m}")
            changes.append((month.replace(day=rng.randint(1, last)), 1 if now else -1, customer.manager))
    book.outlet_changes[outlet] = Counts.of(start, [(day, change) for day, change, _manager in changes])
    managers = set(staff_start) | {manager for _day, _change, manager in changes if manager}
    for manager in managers:
        dated = [(day, change) for day, change, who in changes if who == manager]
        book.staff_changes[outlet, manager] = Counts.of(staff_start.get(manager, 0), dated)


# -- writing it --------------------------------------------------------------------------------------


@dataclass
class SeededCustomers:
    months: list[datetime.date]
    customers: ImportResult
    snapshots: ImportResult
    tiered: list[datetime.date]

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
    *, seed: int, end: datetime.date, months: int = DEFAULT_MONTHS, bar: Bar = no_bar, book: PremiumBook | None = None
) -> SeededCustomers:
    """Customers and snapshots through the imports, then the tiering of every month that changed.

    1. The customers of the months (demo_months) as premium_book planned and steered them (`book`: the
       one seed_facts reported premium customers from; made here when not given).
    2. customers_import, then snapshots_import month by month (each says whether its month changed).
    3. From the first month that changed (or was never tiered) on, oldest first: tiering_run. Its
       premium counts are those the demo's facts already hold, so its facts change nothing there.

    No transaction of its own: seed_demo calls it inside seed_facts', before the rollup.
    """
    chosen = demo_months(end=end, months=months)
    if book is None or not set(chosen) <= set(book.months):
        book = premium_book(seed=seed, first_day=chosen[0], last_day=end)
    planned = [customer for customer in book.customers if any(month in customer.aum for month in chosen)]

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

    with bar("customers", len(due), "month") as advance:
        for month in due:
            tiering_run(month=month)
            advance(1)
    return SeededCustomers(months=chosen, customers=customers, snapshots=snapshots, tiered=due)
