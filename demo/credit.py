"""The demo's credit sharing (分润): HQ's standing rules, two outlets' adjustments and shared sales, so the
credit splits page and the staff scorecards show them for the demo logins.

The seeds' practice (营销产品的分润): a teller who recommends a wealth product to a customer the wealth
manager then serves shares the sale "by an agreed proportion", and the other way round. So:

- HQ's rules (from 1 January of the window's first year, no end), seller's post / partner's post:
  理财 wealth_sales 理财经理 / 柜员 70/30 (an outlet may set 20–40 %) and 理财经理 / 大堂经理 80/20
  (10–30 %); 保险 insurance_premium 理财经理 / 柜员 80/20 (10–30 %); 贷款 loan_disbursed 客户经理 /
  大堂经理 60/40 (30–50 %); 他行揽储 other_bank_deposits_won 客户经理 / 柜员 70/30 (20–40 %).
- The demo outlet head's outlet raised the teller's share of 理财 to 35 % (a reason, in her name); a
  neighbouring outlet of the demo manager's sub-branch lowered the lobby manager's share of loans to 35 %.
- In the outlets of the demo manager's sub-branch, about one sale in three of a seller with a rule is
  shared with a colleague holding the partner's post there that day: those facts are sent again through
  facts_ingest with the `partner` column, the door a source system uses, so the rules give the shares.

Runs in seed_facts' `before_rollup` (after the facts, before the rollup, in the same transaction), so
the first rollup credits the parts. Safe to run again: a rule of the same metric and posts, an
adjustment already made and a fact already shared with that partner are left as they are.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from branches.models import OrgUnit, UnitKind
from kpi.models import CreditSplitAdjustment, CreditSplitRule, Fact, IngestBatch, Metric
from kpi.services.credit import credit_split_adjust
from kpi.services.facts import facts_ingest
from lib.csvimport import CsvRow
from lib.periods import Period
from staff.access import scope_for_user
from staff.models import Assignment, Post, Role, User

# (metric, seller's post, partner's post, share, lowest, highest, note)
RULES: tuple[tuple[str, str, str, int, int, int, str], ...] = (
    ("wealth_sales", "wealth_manager", "teller", 30, 20, 40, "柜员推荐客户购买理财产品，理财经理协助完成"),
    ("wealth_sales", "wealth_manager", "lobby_manager", 20, 10, 30, "大堂经理厅堂识别转介理财客户"),
    ("insurance_premium", "wealth_manager", "teller", 20, 10, 30, "柜员转介保险客户"),
    ("loan_disbursed", "customer_manager", "lobby_manager", 40, 30, 50, "大堂经理转介贷款客户，客户经理调查发放"),
    ("other_bank_deposits_won", "customer_manager", "teller", 30, 20, 40, "柜员识别他行到期存款客户并转介"),
)
# (whose outlet, metric, seller's post, partner's post, share, reason)
ADJUSTMENTS = (
    ("outlet_head", "wealth_sales", "wealth_manager", "teller", 35, "网点理财旺季营销方案：柜员转介分润上调至35%"),
    (
        "neighbour",
        "loan_disbursed",
        "customer_manager",
        "lobby_manager",
        35,
        "贷款由客户经理独立调查为主，转介分润下调",
    ),
)
# One sale in this many (of a seller with a rule and a colleague to share it with) names a partner.
SHARED_ONE_IN = 3


@dataclass
class SeededCredit:
    rules: int = 0
    adjustments: int = 0
    shared: int = 0

    def __str__(self) -> str:
        return (
            f"Credit sharing (分润): {self.rules} rules new, {self.adjustments} outlet adjustments new, "
            f"{self.shared} sales shared"
        )


def seed_credit(*, seed: int, window: Period) -> SeededCredit:
    """HQ's rules, the two adjustments (once the demo logins exist) and the shared sales of `window`."""
    seeded = SeededCredit()
    posts = Post.objects.in_bulk(field_name="code")
    metrics = Metric.objects.in_bulk({rule[0] for rule in RULES}, field_name="code")
    start = datetime.date(window.start.year, 1, 1)
    rules: dict[tuple[str, str, str], CreditSplitRule] = {}
    for code, owner, partner, share, low, high, note in RULES:
        found = CreditSplitRule.objects.filter(
            metric=metrics[code], owner_post=posts[owner], partner_post=posts[partner]
        ).first()
        if found is None:
            found = CreditSplitRule.objects.create(
                metric=metrics[code],
                owner_post=posts[owner],
                partner_post=posts[partner],
                share=Decimal(share),
                min_share=Decimal(low),
                max_share=Decimal(high),
                effective_from=start,
                note=note,
            )
            seeded.rules += 1
        rules[(code, owner, partner)] = found
    outlets = _demo_outlets()
    seeded.adjustments = _adjustments(rules, outlets)
    if outlets.get("sub_branch") is not None:
        seeded.shared = _shared_sales(seed=seed, window=window, sub_branch=outlets["sub_branch"])
    return seeded


def _demo_outlets() -> dict[str, OrgUnit | User | None]:
    """The demo outlet head (her login and outlet), a neighbouring outlet in her sub-branch, and the sub-
    branch the demo manager runs; none of them before the demo logins exist."""
    head = User.objects.filter(username="outlet_head", role=Role.OUTLET_HEAD).select_related("unit").first()
    manager = User.objects.filter(username="unit_manager", role=Role.UNIT_MANAGER).select_related("unit").first()
    found: dict[str, OrgUnit | User | None] = {"head": head, "outlet_head": None, "neighbour": None, "sub_branch": None}
    if head is None or manager is None:
        return found
    found["outlet_head"] = head.unit
    found["sub_branch"] = manager.unit
    found["neighbour"] = (
        OrgUnit.objects.filter(path__startswith=manager.unit.path, kind=UnitKind.OUTLET)
        .exclude(pk=head.unit_id)
        .order_by("code")
        .first()
    )
    return found


def _adjustments(rules: dict, outlets: dict) -> int:
    made = 0
    head = outlets.get("head")
    for whose, code, owner, partner, share, reason in ADJUSTMENTS:
        outlet = outlets.get(whose)
        if outlet is None or head is None:
            continue
        rule = rules[(code, owner, partner)]
        if CreditSplitAdjustment.objects.filter(outlet=outlet, rule=rule).exists():
            continue
        # The outlet head adjusts her own outlet; HQ the neighbour's (as its own head would).
        user = head if whose == "outlet_head" else User.objects.filter(username="hq_admin").first()
        if user is None:
            continue
        credit_split_adjust(
            scope=scope_for_user(user), outlet=outlet, rule=rule, share=Decimal(share), reason=reason, changed_by=user
        )
        made += 1
    return made


def _shared_sales(*, seed: int, window: Period, sub_branch: OrgUnit) -> int:
    """About one sale in SHARED_ONE_IN of the sellers with a rule, in the outlets of `sub_branch`, sent
    again with a colleague of the partner's post there that day; the number of facts shared."""
    partner_posts: dict[tuple[str, str], list[str]] = {}
    for code, owner, partner, *_ in RULES:
        partner_posts.setdefault((code, owner), []).append(partner)
    facts = list(
        Fact.objects.filter(
            date__gte=window.start,
            date__lte=window.end,
            unit__path__startswith=sub_branch.path,
            staff__isnull=False,
            metric__code__in={code for code, *_ in RULES},
            credit_split__isnull=True,
        )
        .order_by("date", "unit__code", "staff__code", "metric__code")
        .values_list("date", "unit_id", "unit__code", "staff_id", "staff__code", "metric__code", "value")
    )
    if not facts:
        return 0
    held = Assignment.objects.filter(unit__path__startswith=sub_branch.path, start__lte=window.end).exclude(
        end__lt=window.start
    )
    postings = list(held.values_list("staff_id", "staff__code", "unit_id", "post__code", "start", "end"))
    rows: list[CsvRow] = []
    for day, unit_id, unit_code, _staff_id, staff_code, metric_code, value in facts:
        rng = random.Random(f"{seed}:credit:{unit_code}:{staff_code}:{metric_code}:{day.isoformat()}")
        if rng.randrange(SHARED_ONE_IN):
            continue
        there = [
            (code, post)
            for _person, code, unit, post, start, end in postings
            if unit == unit_id and start <= day and (end is None or day <= end)
        ]
        owner_posts = {post for code, post in there if code == staff_code}
        wanted = {partner for owner in owner_posts for partner in partner_posts.get((metric_code, owner), ())}
        colleagues = sorted({code for code, post in there if post in wanted and code != staff_code})
        if not colleagues:
            continue
        partner = rng.choice(colleagues)
        rows.append(
            CsvRow(
                line=len(rows),
                values={
                    "date": day.isoformat(),
                    "unit": unit_code,
                    "staff": staff_code,
                    "metric": metric_code,
                    "value": f"{value:f}",
                    "partner": partner,
                },
            )
        )
    if rows:
        facts_ingest(rows=rows, source=IngestBatch.Source.DEMO, label="seed_demo 分润 shared sales")
    return len(rows)
