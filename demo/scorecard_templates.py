"""Demo scorecard templates (考核方案) behind `manage.py seed_demo`, seeded before the rollup runs.

What a provincial bank's 综合绩效考核方案 looks like, in the catalog's metrics (DOMAIN.md §5, §8):

- One outlet template per area (城区 / 县城 / 乡镇). All weigh deposits most (日均 and 净增); the city
  leans more on wealth, insurance and premium customers, the townships on deposits, loans and mobile
  banking. Service levels (satisfaction, waiting time, lobby referral rate) are capped at full marks
  (cap 1.0: 达标即满分). A risk event vetoes the score (一票否决); each valid complaint takes 2 points off.
- One staff template per front-line post, scored on staff metrics against their monthly targets
  (weighted lines) and, for tellers and the visiting posts, 台账-style points per unit.

Every version takes effect on 1 January of the year given (seed_demo: the year of the first day of
facts), so every seeded day is scored. Seeding is idempotent: a template and its lines are compared with
the plan and written only when they differ; then published days from the effective date on are marked
stale, so a database rolled up before the templates existed is scored by the next rollup.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from demo.ledger import ledger_metric_ensure
from kpi.models import LineKind, Metric, ScorecardTemplate, TemplateLine
from kpi.services.templates import metric_level_problem, template_rescore, weights_problem
from staff.models import Post

RISK_VETO = "发生内控风险事件，一票否决"
COMPLAINT_DEDUCTION = Decimal(-2)


@dataclass(frozen=True)
class LinePlan:
    metric: str
    kind: str = LineKind.WEIGHTED
    weight: Decimal | None = None
    cap: Decimal = Decimal("1.2")
    points_per_unit: Decimal | None = None
    max_points: Decimal | None = None
    allowed_value: Decimal | None = None
    veto_reason: str = ""
    is_key: bool = False

    def fields(self) -> dict:
        return {
            "kind": self.kind,
            "weight": self.weight,
            "cap": self.cap,
            "floor": Decimal(0),
            "points_per_unit": self.points_per_unit,
            "max_points": self.max_points,
            "allowed_value": self.allowed_value,
            "veto_reason": self.veto_reason,
            "green_at": Decimal("1.0"),
            "amber_at": Decimal("0.9"),
            "is_key": self.is_key,
        }


@dataclass(frozen=True)
class TemplatePlan:
    code: str
    name_zh: str
    name_en: str
    subject: str
    area: str = ""
    posts: tuple[str, ...] = ()
    lines: tuple[LinePlan, ...] = field(default_factory=tuple)

    @property
    def weights(self) -> list[Decimal | None]:
        return [line.weight for line in self.lines if line.kind == LineKind.WEIGHTED]


def weighted(metric: str, weight: int, *, key: bool = False, cap: str = "1.2") -> LinePlan:
    return LinePlan(metric=metric, weight=Decimal(weight), cap=Decimal(cap), is_key=key)


def points(metric: str, per_unit: str, maximum: int | None = None, *, key: bool = False) -> LinePlan:
    return LinePlan(
        metric=metric,
        kind=LineKind.POINTS,
        points_per_unit=Decimal(per_unit),
        max_points=Decimal(maximum) if maximum is not None else None,
        is_key=key,
    )


# Every outlet template ends with these: the veto and the complaint deduction.
OUTLET_DISCIPLINE = (
    LinePlan(metric="risk_events", kind=LineKind.VETO, allowed_value=Decimal(0), veto_reason=RISK_VETO),
    LinePlan(metric="complaints", kind=LineKind.POINTS, points_per_unit=COMPLAINT_DEDUCTION),
)


def _outlet(area: str, zh: str, en: str, weights: dict[str, int], key: tuple[str, ...]) -> TemplatePlan:
    service_levels = {"satisfaction_rate", "avg_wait_minutes", "lobby_referral_rate"}
    lines = tuple(
        weighted(metric, weight, key=metric in key, cap="1.0" if metric in service_levels else "1.2")
        for metric, weight in weights.items()
    )
    return TemplatePlan(
        code=f"OUTLET-{area.upper()}",
        name_zh=f"{zh}网点综合绩效考核方案",
        name_en=f"{en} outlets: performance scorecard",
        subject=ScorecardTemplate.Subject.OUTLET,
        area=area,
        lines=lines + OUTLET_DISCIPLINE,
    )


OUTLET_TEMPLATES = (
    _outlet(
        "urban",
        "城区",
        "Urban",
        {
            "deposit_daily_avg": 20,
            "deposit_growth": 15,
            "loan_disbursed": 10,
            "mobile_banking_signups": 8,
            "wealth_sales": 12,
            "insurance_premium": 8,
            "premium_customers_growth": 10,
            "satisfaction_rate": 7,
            "avg_wait_minutes": 5,
            "lobby_referral_rate": 5,
        },
        key=("deposit_daily_avg", "deposit_growth", "wealth_sales", "premium_customers_growth"),
    ),
    _outlet(
        "county",
        "县城",
        "County",
        {
            "deposit_daily_avg": 22,
            "deposit_growth": 18,
            "loan_disbursed": 12,
            "mobile_banking_signups": 10,
            "wealth_sales": 8,
            "insurance_premium": 6,
            "premium_customers_growth": 8,
            "satisfaction_rate": 6,
            "avg_wait_minutes": 5,
            "lobby_referral_rate": 5,
        },
        key=("deposit_daily_avg", "deposit_growth", "loan_disbursed", "mobile_banking_signups"),
    ),
    _outlet(
        "township",
        "乡镇",
        "Township",
        {
            "deposit_daily_avg": 25,
            "deposit_growth": 20,
            "loan_disbursed": 12,
            "mobile_banking_signups": 12,
            "wealth_sales": 5,
            "insurance_premium": 5,
            "premium_customers_growth": 6,
            "satisfaction_rate": 7,
            "avg_wait_minutes": 4,
            "lobby_referral_rate": 4,
        },
        key=("deposit_daily_avg", "deposit_growth", "mobile_banking_signups"),
    ),
)


# 台账积分 (demo.ledger): every post's ledger points count, a tenth of a point each, up to 20 (a month of
# 180 points is 18).
LEDGER_LINE = points("ledger_points", "0.1", 20)


def _staff(post: str, zh: str, en: str, *lines: LinePlan) -> TemplatePlan:
    return TemplatePlan(
        code=f"STAFF-{post.upper().replace('_', '-')}",
        name_zh=f"{zh}岗位考核方案",
        name_en=f"{en}: post scorecard",
        subject=ScorecardTemplate.Subject.STAFF,
        posts=(post,),
        lines=(*lines, LEDGER_LINE),
    )


# Weighted lines are the metrics of each post's monthly targets (bankops.demo_facts.STAFF_TARGETS).
STAFF_TEMPLATES = (
    _staff(
        "wealth_manager",
        "理财经理",
        "Wealth manager",
        weighted("wealth_sales", 40, key=True),
        weighted("insurance_premium", 25, key=True),
        weighted("premium_customers_growth", 20),
        weighted("other_bank_deposits_won", 15),
    ),
    _staff(
        "customer_manager",
        "客户经理",
        "Customer manager",
        weighted("other_bank_deposits_won", 60, key=True),
        weighted("premium_customers_growth", 40, key=True),
        points("customer_visits", "0.2", 15),
    ),
    _staff(
        "market_manager",
        "市场经理",
        "Market manager",
        weighted("other_bank_deposits_won", 100, key=True),
        points("customer_visits", "0.25", 20, key=True),
    ),
    _staff(
        "lobby_manager",
        "大堂经理",
        "Lobby manager",
        weighted("lobby_referrals", 60, key=True),
        weighted("mobile_banking_signups", 40, key=True),
    ),
    # Tellers are scored 台账-style: so many points per referral and per sign-up, up to a ceiling.
    _staff(
        "teller",
        "柜员",
        "Teller",
        points("counter_referrals", "1", 60, key=True),
        points("mobile_banking_signups", "0.5", 40, key=True),
    ),
    _staff(
        "service_specialist",
        "服务专员",
        "Service specialist",
        weighted("lobby_referrals", 50, key=True),
        weighted("mobile_banking_signups", 50),
    ),
)

TEMPLATES = OUTLET_TEMPLATES + STAFF_TEMPLATES


@dataclass
class SeededTemplates:
    effective_from: datetime.date
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    days_marked_stale: int = 0

    def __str__(self) -> str:
        return (
            f"Scorecard templates from {self.effective_from}: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged"
        )


def seed_templates(*, effective_from: datetime.date | None = None) -> SeededTemplates:
    """The demo's templates, effective from `effective_from` (default: 1 January of this year)."""
    effective_from = effective_from or datetime.date(timezone.localdate().year, 1, 1)
    ledger_metric_ensure()  # 台账积分, which every staff template scores
    metrics = {metric.code: metric for metric in Metric.objects.all()}
    posts = {post.code: post for post in Post.objects.all()}
    result = SeededTemplates(effective_from=effective_from)
    with transaction.atomic():
        for plan in TEMPLATES:
            _check(plan, metrics)
            outcome = _seed_one(plan, effective_from, metrics, posts)
            setattr(result, outcome, getattr(result, outcome) + 1)
        if result.created or result.updated:
            result.days_marked_stale = template_rescore(first_date=effective_from)
    return result


def _check(plan: TemplatePlan, metrics: dict[str, Metric]) -> None:
    """The plan keeps the rules the admin enforces (a wrong demo plan fails loudly, not in the rollup)."""
    problems = [weights_problem(plan.weights)] if plan.weights else []
    problems += [metric_level_problem(plan.subject, metrics[line.metric]) for line in plan.lines]
    for line in plan.lines:
        try:
            TemplateLine(metric=metrics[line.metric], **line.fields()).clean()
        except ValidationError as exc:
            problems.append(str(exc))
    problems = [problem for problem in problems if problem]
    if problems:
        raise ValueError(f"demo template {plan.code}: {'; '.join(problems)}")


def _seed_one(
    plan: TemplatePlan, effective_from: datetime.date, metrics: dict[str, Metric], posts: dict[str, Post]
) -> str:
    wanted = {
        "name_zh": plan.name_zh,
        "name_en": plan.name_en,
        "subject": plan.subject,
        "area": plan.area,
        "format": "",
        "is_active": True,
    }
    template, created = ScorecardTemplate.objects.get_or_create(
        code=plan.code, effective_from=effective_from, defaults=wanted
    )
    changed = created
    if not created and any(getattr(template, name) != value for name, value in wanted.items()):
        for name, value in wanted.items():
            setattr(template, name, value)
        template.save()
        changed = True

    wanted_posts = {posts[code].pk for code in plan.posts}
    if set(template.posts.values_list("pk", flat=True)) != wanted_posts:
        template.posts.set(wanted_posts)
        changed = True
    if template.outlets.exists():
        template.outlets.clear()
        changed = True

    wanted_lines = [
        (metrics[line.metric].pk, order, tuple(sorted(line.fields().items()))) for order, line in enumerate(plan.lines)
    ]
    names = sorted(LinePlan(metric="").fields())
    existing = [
        (row["metric_id"], row["sort_order"], tuple((name, row[name]) for name in names))
        for row in template.lines.order_by("sort_order", "pk").values("metric_id", "sort_order", *names)
    ]
    if existing != wanted_lines:
        template.lines.all().delete()
        TemplateLine.objects.bulk_create(
            TemplateLine(template=template, metric=metrics[line.metric], sort_order=order, **line.fields())
            for order, line in enumerate(plan.lines)
        )
        changed = True
    if created:
        return "created"
    return "updated" if changed else "unchanged"
