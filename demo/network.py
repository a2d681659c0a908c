"""The demo network behind `manage.py seed_demo` and the demo logins `manage.py demo_logins` prints.

A fictional bank (豫州银行) in one province (河南省): head office, three city branches, sub-branches of
districts and counties, and outlets with the areas, formats, transformation status and benchmarks of
DOMAIN.md §2, staffed post by post. Everything is planned first in memory from `random.Random(seed)`
(no database reads), then written through the very services the CSV import uses (`units_import`,
`staff_import`): they are set-based and key on codes, so a second run with the same seed finds every row
unchanged and writes nothing new.

Seeding over a database filled with another seed or another `--outlets` is not undone: units and
assignments the new plan lacks stay, staff members keep their codes but take the new names. Start from
an empty database to get exactly one seed's network.

Later issues add steps (facts, targets, customers) after `seed_network`; each reads what it needs from
the returned `SeededNetwork`.
"""

from __future__ import annotations

import datetime
import random
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count

from branches.models import Area, OrgUnit, OutletFormat, PeerGroup, Transformation, UnitKind
from branches.services import peer_groups_rebuild, units_import
from lib.csvimport import CsvRow, ImportResult
from staff.models import Assignment, Role, StaffMember, User
from staff.services import staff_import

DEMO_PASSWORD = "bankops-demo"
DEFAULT_SEED = 2026
DEFAULT_OUTLETS = 120
# About ten outlets per sub-branch, the usual span of control of a 支行长.
OUTLETS_PER_SUB_BRANCH = 10

# Called with a step's name when it is done (the command moves its progress bar).
Progress = Callable[[str], None]
NETWORK_STEPS = ("plan", "units", "staff", "peer groups")

# -- vocabulary --------------------------------------------------------------------------------------
# Pairs of (Chinese, pinyin-ish English). Place names are real ones of the province so the demo reads
# true to a Chinese user; the bank itself is made up.

HQ = ("HQ", "豫州银行总行", "Yuzhou Bank Head Office")

# code, city (zh, en), sub-branch seats in the order they are opened: districts (urban) alternate with
# counties so that four sub-branches per branch give two of each.
BRANCHES: tuple[tuple[str, tuple[str, str], tuple[tuple[str, str, str], ...]], ...] = (
    (
        "LY",
        ("洛阳", "Luoyang"),
        (
            ("西工", "Xigong", Area.URBAN),
            ("宜阳县", "Yiyang County", Area.COUNTY),
            ("涧西", "Jianxi", Area.URBAN),
            ("新安县", "Xin'an County", Area.COUNTY),
            ("老城", "Laocheng", Area.URBAN),
            ("洛宁县", "Luoning County", Area.COUNTY),
            ("洛龙", "Luolong", Area.URBAN),
            ("嵩县", "Song County", Area.COUNTY),
            ("瀍河", "Chanhe", Area.URBAN),
            ("栾川县", "Luanchuan County", Area.COUNTY),
            ("汝阳县", "Ruyang County", Area.COUNTY),
            ("伊川县", "Yichuan County", Area.COUNTY),
        ),
    ),
    (
        "NY",
        ("南阳", "Nanyang"),
        (
            ("宛城", "Wancheng", Area.URBAN),
            ("方城县", "Fangcheng County", Area.COUNTY),
            ("卧龙", "Wolong", Area.URBAN),
            ("镇平县", "Zhenping County", Area.COUNTY),
            ("高新区", "Gaoxin District", Area.URBAN),
            ("内乡县", "Neixiang County", Area.COUNTY),
            ("西峡县", "Xixia County", Area.COUNTY),
            ("淅川县", "Xichuan County", Area.COUNTY),
            ("社旗县", "Sheqi County", Area.COUNTY),
            ("唐河县", "Tanghe County", Area.COUNTY),
            ("新野县", "Xinye County", Area.COUNTY),
            ("桐柏县", "Tongbai County", Area.COUNTY),
        ),
    ),
    (
        "XY",
        ("信阳", "Xinyang"),
        (
            ("浉河", "Shihe", Area.URBAN),
            ("罗山县", "Luoshan County", Area.COUNTY),
            ("平桥", "Pingqiao", Area.URBAN),
            ("光山县", "Guangshan County", Area.COUNTY),
            ("羊山新区", "Yangshan New District", Area.URBAN),
            ("固始县", "Gushi County", Area.COUNTY),
            ("商城县", "Shangcheng County", Area.COUNTY),
            ("潢川县", "Huangchuan County", Area.COUNTY),
            ("淮滨县", "Huaibin County", Area.COUNTY),
            ("息县", "Xi County", Area.COUNTY),
            ("新县", "Xin County", Area.COUNTY),
        ),
    ),
)

# Town quarters and landmarks that give urban and county-town outlets their names (东关分理处, 城南网点).
QUARTERS = (
    ("东关", "Dongguan"),
    ("西关", "Xiguan"),
    ("南关", "Nanguan"),
    ("北关", "Beiguan"),
    ("城南", "Chengnan"),
    ("城北", "Chengbei"),
    ("城东", "Chengdong"),
    ("城西", "Chengxi"),
    ("火车站", "Huochezhan"),
    ("汽车站", "Qichezhan"),
    ("开发区", "Kaifaqu"),
    ("高新区", "Gaoxinqu"),
    ("大学城", "Daxuecheng"),
    ("新区", "Xinqu"),
    ("商贸城", "Shangmaocheng"),
    ("工业园", "Gongyeyuan"),
)
ROAD_NAMES = (
    ("文化", "Wenhua"),
    ("解放", "Jiefang"),
    ("人民", "Renmin"),
    ("建设", "Jianshe"),
    ("和平", "Heping"),
    ("新华", "Xinhua"),
    ("中州", "Zhongzhou"),
    ("胜利", "Shengli"),
    ("光明", "Guangming"),
    ("幸福", "Xingfu"),
    ("青年", "Qingnian"),
    ("工业", "Gongye"),
    ("花园", "Huayuan"),
    ("体育", "Tiyu"),
    ("滨河", "Binhe"),
    ("黄河", "Huanghe"),
    ("民主", "Minzhu"),
    ("团结", "Tuanjie"),
    ("友谊", "Youyi"),
    ("东风", "Dongfeng"),
    ("红旗", "Hongqi"),
    ("健康", "Jiankang"),
    ("劳动", "Laodong"),
    ("迎宾", "Yingbin"),
    ("学院", "Xueyuan"),
    ("南湖", "Nanhu"),
    ("九州", "Jiuzhou"),
    ("开元", "Kaiyuan"),
    ("龙门", "Longmen"),
    ("七一", "Qiyi"),
    ("五一", "Wuyi"),
    ("建业", "Jianye"),
)
ROAD_KINDS = (("路", "Road"), ("街", "Street"), ("大道", "Avenue"))
STREETS = QUARTERS + tuple(
    (f"{zh}{kind_zh}", f"{en} {kind_en}") for zh, en in ROAD_NAMES for kind_zh, kind_en in ROAD_KINDS
)

# Townships: some named ones, and the village-style names (李庄, 王店, 张集) that cover the plains.
TOWNS = (
    ("白鹤", "Baihe"),
    ("朝阳", "Chaoyang"),
    ("平乐", "Pingle"),
    ("会盟", "Huimeng"),
    ("横水", "Hengshui"),
    ("柳泉", "Liuquan"),
    ("石门", "Shimen"),
    ("双河", "Shuanghe"),
    ("龙泉", "Longquan"),
    ("青山", "Qingshan"),
    ("黄湾", "Huangwan"),
    ("河口", "Hekou"),
    ("赵堡", "Zhaobao"),
    ("新集", "Xinji"),
    ("高庙", "Gaomiao"),
    ("三里河", "Sanlihe"),
    ("马店", "Madian"),
    ("沙河", "Shahe"),
    ("长岭", "Changling"),
    ("古城", "Gucheng"),
    ("太平", "Taiping"),
    ("仁和", "Renhe"),
    ("官庄", "Guanzhuang"),
    ("土门", "Tumen"),
    ("青龙", "Qinglong"),
    ("大营", "Daying"),
)
_VILLAGE_CLANS = (("李", "Li"), ("王", "Wang"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"), ("杨", "Yang"))
_VILLAGE_PLACES = (("庄", "zhuang"), ("店", "dian"), ("集", "ji"), ("营", "ying"), ("楼", "lou"), ("寨", "zhai"))
TOWNSHIPS = TOWNS + tuple((c + p, c_en + p_en) for c, c_en in _VILLAGE_CLANS for p, p_en in _VILLAGE_PLACES)

# Surnames in rough order of frequency, grouped by weight, so 王李张刘陈 dominate as they do in life.
SURNAMES: tuple[tuple[str, float], ...] = (
    *((s, 6.0) for s in "王李张刘陈"),
    *((s, 2.5) for s in "杨黄赵吴周"),
    *((s, 1.2) for s in "徐孙马朱胡郭何高林罗"),
    *((s, 0.5) for s in "郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏"),
    *((s, 0.2) for s in "付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶贺顾毛郝龚邵万钱严武戴孔向汤"),
)


def _words(text: str) -> tuple[str, ...]:
    """A table of names written one word each, which reads better than a hundred quoted strings."""
    return tuple(text.split())


# Given names people in their twenties to fifties really carry, of one and two characters (a random
# pair of characters reads wrong to a Chinese eye: 韩梅明).
GIVEN_NAMES_ONE = tuple(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚鹏辉斌宇浩凯佳琳婷雪颖博瑞鑫昊航帆楠蕾倩晶莉丹洁亮峰波华红萍燕飞龙阳欣悦"
)
GIVEN_NAMES_TWO = _words(
    """
    建国 建军 建华 志强 志刚 志明 国强 国庆 海燕 海涛 海峰 丽娟 丽华 丽萍 秀英 秀兰 桂英 桂芳 玉兰 玉梅
    文静 文博 文杰 晓明 晓东 晓燕 晓红 晓丽 春梅 春燕 红霞 雪梅 凤英 美玲 淑珍 振华 振宇 德明 宏伟 永刚
    俊杰 俊峰 子涵 子轩 梓涵 梓轩 浩然 浩宇 宇航 雨桐 雨欣 欣怡 思雨 思琪 梦瑶 佳怡 佳琪 嘉怡 一鸣 天宇
    博文 明轩 皓轩 静怡 诗涵 可欣 鹏飞 家豪 家乐 少华 新民 卫东 红梅 艳玲 丹丹 婷婷 莉莉 晶晶 亚楠 丽君
    """
)

# Staff of one outlet, post by post: (post code, fewest, most).
OUTLET_STAFFING = (
    ("outlet_head", 1, 1),
    ("retail_supervisor", 1, 1),
    ("wealth_manager", 1, 2),
    ("customer_manager", 2, 3),
    ("market_manager", 1, 1),
    ("lobby_manager", 1, 1),
    ("teller", 4, 6),
    ("service_specialist", 0, 1),
)

# Outlet mix by area: the business areas of a city sub-branch are mostly urban with a few suburban
# townships; a county sub-branch has a few outlets in the county town and most out in the townships.
AREA_WEIGHTS = {
    Area.URBAN: {Area.URBAN: 0.85, Area.TOWNSHIP: 0.15},
    Area.COUNTY: {Area.COUNTY: 0.3, Area.TOWNSHIP: 0.7},
}
FORMAT_WEIGHTS = {
    Area.URBAN: {OutletFormat.FULL: 0.5, OutletFormat.LIGHT: 0.3, OutletFormat.SMART: 0.2},
    Area.COUNTY: {OutletFormat.FULL: 0.6, OutletFormat.LIGHT: 0.3, OutletFormat.SMART: 0.1},
    Area.TOWNSHIP: {OutletFormat.FULL: 0.45, OutletFormat.LIGHT: 0.5, OutletFormat.SMART: 0.05},
}
TRANSFORMATION_WEIGHTS = {
    Area.URBAN: {Transformation.TRANSFORMED: 0.5, Transformation.ROLLING_OUT: 0.25, Transformation.NOT_STARTED: 0.25},
    Area.COUNTY: {Transformation.TRANSFORMED: 0.4, Transformation.ROLLING_OUT: 0.3, Transformation.NOT_STARTED: 0.3},
    Area.TOWNSHIP: {Transformation.TRANSFORMED: 0.3, Transformation.ROLLING_OUT: 0.3, Transformation.NOT_STARTED: 0.4},
}
# What an outlet is called follows its area: 营业所 is the township word, 分理处 the town one.
OUTLET_SUFFIXES = {
    Area.URBAN: {("分理处", "Sub-office"): 0.5, ("支行", "Sub-branch"): 0.25, ("网点", "Outlet"): 0.25},
    Area.COUNTY: {("分理处", "Sub-office"): 0.6, ("网点", "Outlet"): 0.4},
    Area.TOWNSHIP: {("营业所", "Office"): 0.8, ("分理处", "Sub-office"): 0.2},
}
TOWNSHIP_KINDS = {("镇", "Town"): 0.7, ("乡", "Township"): 0.3}

# Dates. Every primary assignment starts on the first of a month up to ASSIGNMENTS_FROM, so facts from
# 2024 on always find their staff; the second outlets of shared tellers came later in 2024.
ASSIGNMENTS_FROM = datetime.date(2024, 1, 1)
EARLIEST_ASSIGNMENT = datetime.date(2012, 1, 1)
TRANSFORMED_BETWEEN = (datetime.date(2022, 3, 1), datetime.date(2025, 10, 31))
OPENED_BETWEEN = (datetime.date(1988, 1, 1), datetime.date(2019, 12, 31))


# -- the plan ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitPlan:
    """One org unit as it will be imported (the columns of branches.services.UNIT_COLUMNS)."""

    code: str
    parent: str
    name_zh: str
    name_en: str
    kind: str
    area: str = ""
    outlet_format: str = ""
    transformation: str = Transformation.NOT_STARTED
    transformed_on: datetime.date | None = None
    is_benchmark: bool = False
    benchmark: str = ""
    opened_on: datetime.date | None = None

    def as_row(self, line: int) -> CsvRow:
        return CsvRow(
            line=line,
            values={
                "code": self.code,
                "parent": self.parent,
                "name_zh": self.name_zh,
                "name_en": self.name_en,
                "kind": self.kind,
                "area": self.area,
                "format": self.outlet_format,
                "status": "active",
                "transformation": self.transformation,
                "transformed_on": _iso(self.transformed_on),
                "is_benchmark": "1" if self.is_benchmark else "0",
                "benchmark": self.benchmark,
                "opened_on": _iso(self.opened_on),
                "closed_on": "",
            },
        )


@dataclass(frozen=True)
class AssignmentPlan:
    """One staff assignment as it will be imported (staff.services.STAFF_COLUMNS)."""

    code: str
    name: str
    post: str
    unit: str
    start: datetime.date

    def as_row(self, line: int) -> CsvRow:
        values = {"code": self.code, "name": self.name, "post": self.post, "unit": self.unit}
        return CsvRow(line=line, values={**values, "start": self.start.isoformat(), "end": ""})


@dataclass
class NetworkPlan:
    """The whole demo network, units parents first and outlets in code order."""

    units: list[UnitPlan] = field(default_factory=list)
    assignments: list[AssignmentPlan] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[UnitPlan]:
        return [unit for unit in self.units if unit.kind == kind]

    @property
    def outlets(self) -> list[UnitPlan]:
        return self.of_kind(UnitKind.OUTLET)

    @property
    def sub_branches(self) -> list[UnitPlan]:
        return self.of_kind(UnitKind.SUB_BRANCH)

    def staff_at(self, outlet_code: str, post: str) -> list[AssignmentPlan]:
        return [a for a in self.assignments if a.unit == outlet_code and a.post == post]


def network_plan(
    *,
    outlets: int = DEFAULT_OUTLETS,
    seed: int = DEFAULT_SEED,
    replicas_transformed: tuple[datetime.date, datetime.date] | None = None,
) -> NetworkPlan:
    """The demo network for `outlets` outlets, the same for the same seed. Pure: reads no database.

    1. HQ and the three city branches, always.
    2. max(1, outlets // 10) sub-branches dealt round-robin to the branches, so a small network still
       starts in the first city and a big one grows evenly.
    3. The outlets shared out over the sub-branches in turn; each sub-branch's first outlet is its
       营业部 (the sub-branch's own counter), the others named after a street, quarter or township.
    4. A few benchmark outlets (about one in forty) and two or three outlets of the same city that
       replicate each one. With `replicas_transformed` (the first and last day rolled up), each
       replica completes its transformation inside them (replica_transformation_day), so the benchmark
       page has its month before and its month after, both with figures.
    5. The staff of every outlet, and a few tellers who also serve a neighbouring outlet.
    """
    if outlets < 1:
        raise ValueError("a demo network needs at least one outlet")
    rng = random.Random(seed)
    plan = NetworkPlan()
    hq_code, hq_zh, hq_en = HQ
    plan.units.append(UnitPlan(code=hq_code, parent="", name_zh=hq_zh, name_en=hq_en, kind=UnitKind.HQ))
    for code, (city_zh, city_en), _seats in BRANCHES:
        plan.units.append(
            UnitPlan(
                code=code, parent=hq_code, name_zh=f"{city_zh}分行", name_en=f"{city_en} Branch", kind=UnitKind.BRANCH
            )
        )

    sub_branches = _plan_sub_branches(outlets)
    plan.units.extend(sorted((unit for unit, _area in sub_branches), key=lambda unit: unit.code))

    # Names are drawn per city so two outlets of one city never share a name.
    streets = {code: _NamePool(rng, STREETS) for code, _city, _seats in BRANCHES}
    townships = {code: _NamePool(rng, TOWNSHIPS) for code, _city, _seats in BRANCHES}
    count, extra = divmod(outlets, len(sub_branches))
    sizes = [count + (1 if index < extra else 0) for index in range(len(sub_branches))]
    width = max(2, len(str(max(sizes))))
    planned_outlets: list[UnitPlan] = []
    for (sub_branch, seat_area), size in zip(sub_branches, sizes, strict=True):
        for number in range(1, size + 1):
            code = f"{sub_branch.code}{number:0{width}d}"
            if number == 1:
                area = seat_area
                name_zh, name_en = f"{sub_branch.name_zh}营业部", f"{sub_branch.name_en} Business Department"
            else:
                area = _weighted(rng, AREA_WEIGHTS[seat_area])
                name_zh, name_en = _outlet_name(rng, area, streets[sub_branch.parent], townships[sub_branch.parent])
            # The 营业部 carries the full counter service of its sub-branch.
            outlet_format = OutletFormat.FULL if number == 1 else _weighted(rng, FORMAT_WEIGHTS[area])
            transformation = _weighted(rng, TRANSFORMATION_WEIGHTS[area])
            transformed_on = (
                _day_between(rng, *TRANSFORMED_BETWEEN) if transformation == Transformation.TRANSFORMED else None
            )
            planned_outlets.append(
                UnitPlan(
                    code=code,
                    parent=sub_branch.code,
                    name_zh=name_zh,
                    name_en=name_en,
                    kind=UnitKind.OUTLET,
                    area=area,
                    outlet_format=outlet_format,
                    transformation=transformation,
                    transformed_on=transformed_on,
                    opened_on=_day_between(rng, *OPENED_BETWEEN),
                )
            )
    planned_outlets.sort(key=lambda unit: unit.code)
    planned_outlets = _with_benchmarks(rng, planned_outlets, branch_of={u.code: u.parent for u, _a in sub_branches})
    if replicas_transformed is not None:
        planned_outlets = [
            _replace(outlet, transformation=Transformation.TRANSFORMED, transformed_on=day)
            if outlet.benchmark and (day := replica_transformation_day(outlet.code, *replicas_transformed, seed=seed))
            else outlet
            for outlet in planned_outlets
        ]
    plan.units.extend(planned_outlets)
    plan.assignments = _plan_staff(rng, plan.outlets)
    return plan


def replica_transformation_day(
    code: str, first: datetime.date, last: datetime.date, *, seed: int = DEFAULT_SEED
) -> datetime.date | None:
    """When a replica (标杆复制网点) completes its transformation, for a demo rolled up from `first` to
    `last`: in the earliest month whose month before ends on a rolled-up day (the benchmark page's
    "before" is that month's scorecard), on one of its first ten days up to `last`; None when no month
    end lies between `first` and `last`. Its own generator, so the rest of the plan does not move."""
    month_start = (first + datetime.timedelta(days=1)).replace(day=1)
    if month_start - datetime.timedelta(days=1) < first:
        month_start = _next_month(month_start)
    if month_start > last:
        return None
    latest = min(last, month_start + datetime.timedelta(days=9))
    return _day_between(random.Random(f"{seed}:transformed:{code}"), month_start, latest)


def _plan_sub_branches(outlets: int) -> list[tuple[UnitPlan, str]]:
    """The sub-branches in the order outlets are dealt to them, each with the area of its seat."""
    count = max(1, outlets // OUTLETS_PER_SUB_BRANCH)
    per_branch = [len(range(index, count, len(BRANCHES))) for index in range(len(BRANCHES))]
    width = max(2, len(str(max(per_branch))))
    planned = []
    for index in range(count):
        branch_code, (city_zh, city_en), seats = BRANCHES[index % len(BRANCHES)]
        number = index // len(BRANCHES) + 1
        if number <= len(seats):
            seat_zh, seat_en, area = seats[number - 1]
            name_zh, name_en = f"{seat_zh}支行", f"{seat_en} Sub-branch"
        else:
            # More sub-branches than the city has districts and counties: numbered city sub-branches.
            area = Area.URBAN
            name_zh, name_en = f"{city_zh}第{number}支行", f"{city_en} Sub-branch No. {number}"
        unit = UnitPlan(
            code=f"{branch_code}{number:0{width}d}",
            parent=branch_code,
            name_zh=name_zh,
            name_en=name_en,
            kind=UnitKind.SUB_BRANCH,
        )
        planned.append((unit, area))
    return planned


def _outlet_name(rng: random.Random, area: str, streets: _NamePool, townships: _NamePool) -> tuple[str, str]:
    suffix_zh, suffix_en = _weighted(rng, OUTLET_SUFFIXES[area])
    if area == Area.TOWNSHIP:
        (place_zh, place_en), round_number = townships.draw()
        kind_zh, kind_en = _weighted(rng, TOWNSHIP_KINDS)
        place_zh, place_en = f"{place_zh}{kind_zh}", f"{place_en} {kind_en}"
    else:
        (place_zh, place_en), round_number = streets.draw()
    if round_number > 1:
        # The city has run out of names: a second 文化路分理处 is 文化路第二分理处, as banks number them.
        return f"{place_zh}第{_zh_number(round_number)}{suffix_zh}", f"{place_en} {suffix_en} No. {round_number}"
    return f"{place_zh}{suffix_zh}", f"{place_en} {suffix_en}"


def _with_benchmarks(rng: random.Random, outlets: list[UnitPlan], *, branch_of: dict[str, str]) -> list[UnitPlan]:
    """Mark about one outlet in forty as a benchmark (标杆网点) and give each two or three replicas
    (标杆复制网点) in the same city, chosen among outlets already transforming."""
    wanted = max(1, round(len(outlets) / 40))
    city = {outlet.code: branch_of[outlet.parent] for outlet in outlets}
    # A benchmark is a transformed full-service outlet; prefer one per city before a second anywhere.
    candidates = [
        o for o in outlets if o.transformation == Transformation.TRANSFORMED and o.outlet_format == OutletFormat.FULL
    ]
    rng.shuffle(candidates)
    # Rank each candidate by how many of its city come before it; a stable sort then takes the first
    # of every city before the second of any.
    seen: dict[str, int] = {}
    ranked = []
    for candidate in candidates:
        ranked.append((seen.get(city[candidate.code], 0), candidate))
        seen[city[candidate.code]] = ranked[-1][0] + 1
    ranked.sort(key=lambda pair: pair[0])
    chosen = [candidate for _rank, candidate in ranked[:wanted]]
    if not chosen:
        # A tiny network may have no transformed full-service outlet; its first 营业部 becomes one.
        chosen = [outlets[0]]
    by_code = {outlet.code: outlet for outlet in outlets}
    for benchmark in chosen:
        by_code[benchmark.code] = _replace(
            benchmark,
            is_benchmark=True,
            transformation=Transformation.TRANSFORMED,
            transformed_on=benchmark.transformed_on or TRANSFORMED_BETWEEN[0],
        )
    benchmarks = {benchmark.code for benchmark in chosen}
    for benchmark in chosen:
        pool = [
            o
            for o in by_code.values()
            if city[o.code] == city[benchmark.code]
            and o.code not in benchmarks
            and not o.benchmark
            and o.transformation != Transformation.NOT_STARTED
        ]
        for replica in rng.sample(pool, min(len(pool), rng.randint(2, 3))):
            by_code[replica.code] = _replace(replica, benchmark=benchmark.code)
    return [by_code[outlet.code] for outlet in outlets]


def _plan_staff(rng: random.Random, outlets: list[UnitPlan]) -> list[AssignmentPlan]:
    """Every outlet's staff, codes S000001… in outlet order (so the first outlet's head is S000001),
    then, for one outlet in fifteen, a teller who also serves a neighbour in the same sub-branch."""
    assignments: list[AssignmentPlan] = []
    tellers: list[AssignmentPlan] = []
    for outlet in outlets:
        # Nobody works at an outlet before it opens: the earliest start is the month after its opening.
        earliest = max(EARLIEST_ASSIGNMENT, _next_month(outlet.opened_on or EARLIEST_ASSIGNMENT))
        for post, fewest, most in OUTLET_STAFFING:
            for _ in range(rng.randint(fewest, most)):
                assignment = AssignmentPlan(
                    code=f"S{len(assignments) + 1:06d}",
                    name=_person_name(rng),
                    post=post,
                    unit=outlet.code,
                    start=_month_between(rng, earliest, ASSIGNMENTS_FROM),
                )
                assignments.append(assignment)
                if post == "teller":
                    tellers.append(assignment)

    siblings: dict[str, list[str]] = {}
    for outlet in outlets:
        siblings.setdefault(outlet.parent, []).append(outlet.code)
    parent_of = {outlet.code: outlet.parent for outlet in outlets}
    shared = max(1, len(outlets) // 15)
    for teller in rng.sample(tellers, min(shared, len(tellers))):
        others = [code for code in siblings[parent_of[teller.unit]] if code != teller.unit]
        if not others:
            continue  # a sub-branch of one outlet has no neighbour to lend a teller to
        assignments.append(
            AssignmentPlan(
                code=teller.code,
                name=teller.name,
                post="teller",
                unit=rng.choice(others),
                start=datetime.date(2024, rng.randint(2, 9), 1),
            )
        )
    return assignments


class _NamePool:
    """Names drawn without repeats, in an order fixed by the seed; when all are used the pool starts
    over and says which round it is in, so the caller can number the repeats."""

    def __init__(self, rng: random.Random, names: Sequence[tuple[str, str]]) -> None:
        self._rng = rng
        self._names = list(names)
        self._queue: list[tuple[str, str]] = []
        self._round = 0

    def draw(self) -> tuple[tuple[str, str], int]:
        if not self._queue:
            self._queue = list(self._names)
            self._rng.shuffle(self._queue)
            self._round += 1
        return self._queue.pop(), self._round


def _person_name(rng: random.Random) -> str:
    surname = rng.choices([s for s, _w in SURNAMES], weights=[w for _s, w in SURNAMES])[0]
    # About one in five has a one-character given name (王磊, 李娜); the list holds more of those.
    given_names = GIVEN_NAMES_ONE if rng.random() < 0.2 else GIVEN_NAMES_TWO
    return surname + rng.choice(given_names)


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _day_between(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    return first + datetime.timedelta(days=rng.randint(0, (last - first).days))


def _month_between(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    months = (last.year - first.year) * 12 + last.month - first.month
    index = first.month - 1 + rng.randint(0, months)
    return datetime.date(first.year + index // 12, index % 12 + 1, 1)


def _next_month(day: datetime.date) -> datetime.date:
    return datetime.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _zh_number(number: int) -> str:
    digits = "〇一二三四五六七八九十"
    return digits[number] if number <= 10 else str(number)


def _replace(unit: UnitPlan, **changes) -> UnitPlan:
    return UnitPlan(**{**unit.__dict__, **changes})


def _iso(day: datetime.date | None) -> str:
    return day.isoformat() if day else ""


# -- writing it --------------------------------------------------------------------------------------


@dataclass
class SeededNetwork:
    """What `seed_network` wrote: the plan, and what each import made of it."""

    plan: NetworkPlan
    units: ImportResult
    staff: ImportResult
    peer_groups: int


def seed_network(
    *,
    outlets: int = DEFAULT_OUTLETS,
    seed: int = DEFAULT_SEED,
    progress: Progress | None = None,
    replicas_transformed: tuple[datetime.date, datetime.date] | None = None,
) -> SeededNetwork:
    """Plan the network and write it through the CSV import services, then rebuild the peer groups
    (`replicas_transformed`: see network_plan).

    One transaction, so a run stopped half-way leaves the database as it was; the imports are keyed on
    codes, so running it again with the same seed changes nothing.
    """
    step = progress or (lambda _name: None)
    plan = network_plan(outlets=outlets, seed=seed, replicas_transformed=replicas_transformed)
    step("plan")
    with transaction.atomic():
        # Line numbers as in a file with a header, so a rejected row reads like an import problem.
        units = units_import(rows=[unit.as_row(line) for line, unit in enumerate(plan.units, start=2)])
        step("units")
        staff = staff_import(rows=[a.as_row(line) for line, a in enumerate(plan.assignments, start=2)])
        step("staff")
        peer_groups = peer_groups_rebuild()
        step("peer groups")
    return SeededNetwork(plan=plan, units=units, staff=staff, peer_groups=peer_groups)


# -- personas ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Persona:
    username: str
    role: str
    last_name: str = ""
    first_name: str = ""


# One login per role of DOMAIN.md §7. The outlet head and the teller take the name of the staff member
# they are linked to, so their scorecard and their login agree.
PERSONAS = (
    Persona("hq_admin", Role.HQ_ADMIN, "王", "建国"),
    Persona("unit_manager", Role.UNIT_MANAGER, "李", "振华"),
    Persona("outlet_head", Role.OUTLET_HEAD),
    Persona("teller", Role.STAFF),
    Persona("auditor", Role.AUDITOR, "赵", "敏"),
)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    name: str
    unit: str
    password: str = DEMO_PASSWORD


def personas_ensure(*, plan: NetworkPlan) -> list[DemoLogin]:
    """Create or update the demo logins of PERSONAS and set their password; returns the logins table.

    The unit manager runs the first sub-branch; the outlet head and the teller work at its first outlet
    (its 营业部) and are linked to that outlet's outlet_head and first teller staff members.
    """
    hq = plan.of_kind(UnitKind.HQ)[0]
    sub_branch = plan.sub_branches[0]
    outlet = next(o for o in plan.outlets if o.parent == sub_branch.code)
    head = plan.staff_at(outlet.code, "outlet_head")[0]
    teller = plan.staff_at(outlet.code, "teller")[0]
    units = {unit.code: unit for unit in OrgUnit.objects.filter(code__in=[hq.code, sub_branch.code, outlet.code])}
    members = {member.code: member for member in StaffMember.objects.filter(code__in=[head.code, teller.code])}
    unit_of = {
        Role.HQ_ADMIN: units[hq.code],
        Role.UNIT_MANAGER: units[sub_branch.code],
        Role.OUTLET_HEAD: units[outlet.code],
        Role.STAFF: units[outlet.code],
        Role.AUDITOR: units[hq.code],
    }
    member_of = {Role.OUTLET_HEAD: members[head.code], Role.STAFF: members[teller.code]}
    # PBKDF2 takes a good fraction of a second per hash; the demo password is public, so one hash (and
    # salt) shared by the five logins costs no secrecy and saves seconds on every `make run`.
    password = make_password(DEMO_PASSWORD)

    with transaction.atomic():
        existing = {user.username: user for user in User.objects.filter(username__in=[p.username for p in PERSONAS])}
        for persona in PERSONAS:
            user = existing.get(persona.username) or User(username=persona.username)
            member = member_of.get(persona.role)
            last_name, first_name = (
                (member.name[:1], member.name[1:]) if member else (persona.last_name, persona.first_name)
            )
            user.role = persona.role
            user.unit = unit_of[persona.role]
            user.last_name, user.first_name = last_name, first_name
            user.is_active = True
            # The HQ administrator runs the Django admin (catalog, templates, users); nobody else may.
            user.is_staff = user.is_superuser = persona.role == Role.HQ_ADMIN
            user.password = password
            user.save()
            if member:
                # A staff member has at most one login and a login at most one staff member: move the link.
                StaffMember.objects.filter(user=user).exclude(pk=member.pk).update(user=None)
                if member.user_id != user.pk:
                    member.user = user
                    member.save(update_fields=["user"])
    return demo_logins()


def demo_logins() -> list[DemoLogin]:
    """The demo logins that exist, in PERSONAS order (none before the first seed_demo)."""
    users = {
        user.username: user
        for user in User.objects.filter(username__in=[p.username for p in PERSONAS]).select_related("unit")
    }
    return [
        DemoLogin(
            username=user.username,
            role=user.role,
            name=f"{user.last_name}{user.first_name}",
            unit=f"{user.unit.code} {user.unit.name_zh}" if user.unit else "",
        )
        for persona in PERSONAS
        if (user := users.get(persona.username))
    ]


# -- what the commands print -------------------------------------------------------------------------


def network_counts() -> dict[str, int]:
    """Counts of what is in the database now: units by kind, staff, assignments, peer groups."""
    by_kind = dict(OrgUnit.objects.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
    counts = {kind: by_kind.get(kind, 0) for kind in UnitKind.values}
    counts["staff"] = StaffMember.objects.count()
    counts["assignments"] = Assignment.objects.count()
    counts["peer_groups"] = PeerGroup.objects.count()
    return counts


def format_summary(counts: dict[str, int], *, seeded: SeededNetwork | None = None) -> str:
    units = ", ".join(f"{counts[kind]} {kind}" for kind in UnitKind.values)
    lines = [
        f"Units: {units}",
        f"Staff: {counts['staff']} members, {counts['assignments']} assignments",
        f"Peer groups: {counts['peer_groups']}",
    ]
    if seeded is not None:
        lines.append(f"This run: units {seeded.units}; assignments {seeded.staff}")
    return "\n".join(lines)


def format_logins_table(logins: Sequence[DemoLogin]) -> str:
    """The demo logins as an aligned text table (Chinese characters count two columns in a terminal)."""
    if not logins:
        return "No demo logins yet: run `python manage.py seed_demo` first."
    header = ("username", "role", "name", "unit", "password")
    rows = [header, *((login.username, login.role, login.name, login.unit, login.password) for login in logins)]
    widths = [max(_display_width(row[column]) for row in rows) for column in range(len(header))]
    lines = [_table_line(row, widths) for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(["Demo logins:", *lines])


def _table_line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(
        cell + " " * (width - _display_width(cell)) for cell, width in zip(cells, widths, strict=True)
    ).rstrip()


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in text)
