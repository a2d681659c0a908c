"""Installs the post catalog of DOMAIN.md §2. Re-running (or a post renamed later in the admin) is safe:
existing codes are left as they are."""

from django.db import migrations

POSTS = [
    ("outlet_head", "网点负责人", "Outlet head", 10, False),
    ("retail_supervisor", "零售主管", "Retail supervisor", 20, False),
    ("wealth_manager", "理财经理", "Wealth manager", 30, True),
    ("customer_manager", "客户经理", "Customer manager", 40, True),
    ("market_manager", "市场经理", "Market manager", 50, True),
    ("lobby_manager", "大堂经理", "Lobby manager", 60, True),
    ("teller", "柜员", "Teller", 70, True),
    ("service_specialist", "服务专员", "Service specialist", 80, True),
]


def install_posts(apps, schema_editor):
    Post = apps.get_model("staff", "Post")
    for code, name_zh, name_en, order, front_line in POSTS:
        Post.objects.get_or_create(
            code=code,
            defaults={"name_zh": name_zh, "name_en": name_en, "sort_order": order, "is_front_line": front_line},
        )


class Migration(migrations.Migration):
    dependencies = [("staff", "0001_initial")]
    operations = [migrations.RunPython(install_posts, migrations.RunPython.noop)]
