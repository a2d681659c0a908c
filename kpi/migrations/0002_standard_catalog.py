"""Installs the standard metric catalog of DOMAIN.md §8. Existing codes are left as HQ edited them."""

from django.db import migrations

# code, zh, en, unit, aggregation, direction, level, category, base / (numerator, denominator)
CATALOG = [
    ("deposit_balance", "各项存款余额", "Deposit balance", "万元", "last", "higher", "outlet", "deposits", None),
    ("deposit_balance_personal", "对私存款余额", "Personal deposit balance", "万元", "last", "higher", "outlet", "deposits", None),
    ("deposit_balance_corporate", "对公存款余额", "Corporate deposit balance", "万元", "last", "higher", "outlet", "deposits", None),
    ("deposit_growth", "存款净增", "Deposit growth", "万元", "change", "higher", "outlet", "deposits", "deposit_balance"),
    ("deposit_daily_avg", "存款日均", "Deposit daily average", "万元", "average", "higher", "outlet", "deposits", "deposit_balance"),
    ("loan_balance", "各项贷款余额", "Loan balance", "万元", "last", "higher", "outlet", "loans", None),
    ("loan_disbursed", "贷款发放额", "Loans disbursed", "万元", "sum", "higher", "outlet", "loans", None),
    ("npl_balance", "不良贷款余额", "Non-performing loan balance", "万元", "last", "lower", "outlet", "loans", None),
    ("npl_ratio", "不良贷款率", "Non-performing loan ratio", "%", "ratio", "lower", "outlet", "loans", ("npl_balance", "loan_balance")),
    ("mobile_banking_signups", "手机银行签约", "Mobile banking sign-ups", "户", "sum", "higher", "both", "channels", None),
    ("sms_banking_signups", "短信金融服务签约", "SMS banking sign-ups", "户", "sum", "higher", "outlet", "channels", None),
    ("online_banking_signups", "网上银行签约", "Online banking sign-ups", "户", "sum", "higher", "outlet", "channels", None),
    ("new_merchants", "新增特约商户", "New merchants", "户", "sum", "higher", "outlet", "channels", None),
    ("customers_served", "到店客户数", "Customers served", "人", "sum", "higher", "outlet", "service", None),
    ("wait_minutes_total", "客户等待总时长", "Total waiting time", "分钟", "sum", "lower", "outlet", "service", None),
    ("avg_wait_minutes", "平均等待时间", "Average waiting time", "分钟", "ratio", "lower", "outlet", "service", ("wait_minutes_total", "customers_served")),
    ("satisfaction_responses", "满意度评价数", "Satisfaction responses", "件", "sum", "higher", "outlet", "service", None),
    ("satisfaction_positive", "满意评价数", "Positive responses", "件", "sum", "higher", "outlet", "service", None),
    ("satisfaction_rate", "客户满意度", "Customer satisfaction", "%", "ratio", "higher", "outlet", "service", ("satisfaction_positive", "satisfaction_responses")),
    ("lobby_referrals", "大堂转介数", "Lobby referrals", "人", "sum", "higher", "both", "marketing", None),
    ("lobby_referral_rate", "大堂转介率", "Lobby referral rate", "%", "ratio", "higher", "outlet", "marketing", ("lobby_referrals", "customers_served")),
    ("counter_referrals", "柜面转介数", "Counter referrals", "人", "sum", "higher", "both", "marketing", None),
    ("counter_referral_rate", "柜面转介率", "Counter referral rate", "%", "ratio", "higher", "outlet", "marketing", ("counter_referrals", "customers_served")),
    ("customer_visits", "客户走访数", "Customer visits", "户", "sum", "higher", "both", "marketing", None),
    ("other_bank_deposits_won", "他行揽储", "Deposits won from other banks", "万元", "sum", "higher", "both", "deposits", None),
    ("insurance_premium", "保险保费", "Insurance premium", "万元", "sum", "higher", "both", "marketing", None),
    ("wealth_sales", "理财销售额", "Wealth product sales", "万元", "sum", "higher", "both", "marketing", None),
    ("complaints", "有效投诉", "Valid complaints", "件", "sum", "lower", "outlet", "service", None),
    ("risk_events", "内控风险事件", "Internal-control risk events", "件", "sum", "lower", "outlet", "compliance", None),
    ("premium_customers", "三星及以上客户数", "Premium customers (3-star and above)", "户", "last", "higher", "both", "customers", None),
    ("premium_customers_growth", "优质客户净增", "Premium customer growth", "户", "change", "higher", "both", "customers", "premium_customers"),
]


def install_catalog(apps, schema_editor):
    Metric = apps.get_model("kpi", "Metric")
    by_code = {}
    for order, (code, zh, en, unit, kind, direction, level, category, parts) in enumerate(CATALOG):
        metric, _created = Metric.objects.get_or_create(
            code=code,
            defaults={
                "name_zh": zh, "name_en": en, "unit": unit, "aggregation": kind, "direction": direction,
                "level": level, "category": category, "sort_order": (order + 1) * 10,
            },
        )  # fmt: skip
        by_code[code] = metric
    for code, *_rest, parts in CATALOG:
        metric = by_code[code]
        if isinstance(parts, str) and metric.base_id is None:
            metric.base = by_code[parts]
            metric.save(update_fields=["base"])
        elif isinstance(parts, tuple) and metric.numerator_id is None:
            metric.numerator, metric.denominator = by_code[parts[0]], by_code[parts[1]]
            metric.save(update_fields=["numerator", "denominator"])


class Migration(migrations.Migration):
    dependencies = [("kpi", "0001_initial")]
    operations = [migrations.RunPython(install_catalog, migrations.RunPython.noop)]
