"""The demo's notes on the figures (标注): what a manager would have written on the days of the demo's facts,
so the charts and the bulletin show them (kpi.models.Annotation, read by kpi.selectors.notes).

Dated from the last day of facts, so they fall inside the charts' days whenever the demo is seeded:

- HQ: 国庆节 (1–7 October of the latest October before the last day), on every metric of every unit;
- the demo manager's city branch: a core-system upgrade on a Saturday morning a week or two back;
- the demo outlet head's outlet: a large fixed deposit maturing four days back (deposit balances only);
- a neighbouring outlet of the same sub-branch: three days of refurbishment, which the outlet head does
  not read (not her outlet) and her sub-branch manager does.

Safe to run again: a note already there (same unit, kind, days and text) is not written twice.
"""

from __future__ import annotations

import datetime

from branches.models import OrgUnit, UnitKind
from demo.network import NetworkPlan
from kpi.models import Annotation, AnnotationKind, Metric


def _national_day(end: datetime.date) -> tuple[datetime.date, datetime.date]:
    year = end.year if end >= datetime.date(end.year, 10, 1) else end.year - 1
    return datetime.date(year, 10, 1), datetime.date(year, 10, 7)


def _saturday_before(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=(day.weekday() - 5) % 7)


def seed_notes(*, plan: NetworkPlan, end: datetime.date) -> str:
    """Writes the demo's notes; what it wrote, as a line."""
    hq = plan.of_kind(UnitKind.HQ)[0]
    sub_branch = plan.sub_branches[0]
    outlets = [outlet for outlet in plan.outlets if outlet.parent == sub_branch.code]
    holiday_start, holiday_end = _national_day(end)
    upgrade = _saturday_before(end - datetime.timedelta(days=8))
    maturity = end - datetime.timedelta(days=4)
    refurbishment = end - datetime.timedelta(days=15)
    wanted = [
        (hq.code, AnnotationKind.HOLIDAY, holiday_start, holiday_end, None, "国庆节假期，网点轮休，对公业务暂停办理"),
        (
            sub_branch.parent,
            AnnotationKind.SYSTEM_OUTAGE,
            upgrade,
            upgrade,
            None,
            "核心系统升级：周六 08:00–12:00 柜面及手机银行暂停服务",
        ),
        (
            outlets[0].code,
            AnnotationKind.LARGE_MATURITY,
            maturity,
            maturity,
            "deposit_balance",
            "某企业 3,000 万元定期存款到期转出，存款余额下降",
        ),
    ]
    if len(outlets) > 1:
        wanted.append(
            (
                outlets[1].code,
                AnnotationKind.OTHER,
                refurbishment,
                refurbishment + datetime.timedelta(days=2),
                None,
                "网点装修，临时暂停现金业务，客户分流至营业部",
            )
        )
    units = OrgUnit.objects.in_bulk({code for code, *_ in wanted}, field_name="code")
    metrics = Metric.objects.in_bulk({code for *_, code, _text in wanted if code}, field_name="code")
    written = 0
    for code, kind, start, last, metric_code, text in wanted:
        _note, created = Annotation.objects.get_or_create(
            unit=units[code],
            kind=kind,
            start=start,
            end=last,
            text=text,
            defaults={"metric": metrics.get(metric_code)},
        )
        written += created
    return f"Notes on the figures: {written} written, {len(wanted) - written} already there"
