"""An alert's figures as the pages write them (kpi/templatetags/kpi_format.py's rule): the alert page,
the rule's description and the admin's lists."""

from __future__ import annotations

from alerts.models import Alert, AlertRule, RuleKind
from kpi.models import Metric
from kpi.templatetags.kpi_format import kpi_amount, kpi_percent, metric_scale
from lib.numbers import plain_number


def threshold_text(rule: AlertRule) -> str:
    """A behind-pace threshold is a fraction (0.9 reads "90.0%"); a threshold rule's is in its metric's
    unit ("85.0%", "10.0 分钟")."""
    if rule.threshold is None:
        return "—"
    if rule.kind == RuleKind.BEHIND_PACE:
        return kpi_percent(rule.threshold)
    return kpi_amount(rule.threshold, rule.metric) if rule.metric_id else plain_number(rule.threshold)


def alert_value_text(alert: Alert) -> str:
    """The figure an alert was raised on, as the pages write it: a behind-pace alert's is the pace-adjusted
    attainment ("85.3%"), a threshold's or a sudden change's the metric's value in its unit ("89.33 万元")."""
    if alert.value is None:
        return ""
    if alert.rule.kind == RuleKind.BEHIND_PACE:
        return kpi_percent(alert.value)
    return kpi_amount(alert.value, alert.metric) if alert.metric_id else plain_number(alert.value)


def missed_figures(entry: dict, metric: Metric | None) -> dict[str, str]:
    """A missed weekly target of a review (its JSON keeps "50.0000", "0.760000") as the review page and
    the admin write it: "50 户", "38 户", "76.0%"; without its metric, the figures without a unit."""
    if metric is None:
        target, actual = (plain_number(entry.get(name)) for name in ("target", "actual"))
    else:
        scale = metric_scale(metric)
        target, actual = (scale.write(entry.get(name), with_unit=True) for name in ("target", "actual"))
    return {"target": target, "actual": actual, "attainment": kpi_percent(entry.get("attainment"))}
