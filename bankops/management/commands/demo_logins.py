from __future__ import annotations

from django.core.management.base import BaseCommand

from bankops import demo


class Command(BaseCommand):
    help = "Print the demo logins (username, role, unit, password) that seed_demo created."

    def handle(self, *args, **options) -> None:
        self.stdout.write(demo.format_logins_table(demo.demo_logins()))
