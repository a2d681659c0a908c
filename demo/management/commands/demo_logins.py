from __future__ import annotations

from django.core.management.base import BaseCommand

from demo import network as demo_network


class Command(BaseCommand):
    help = "Print the demo logins (username, role, unit, password) that seed_demo created."

    def handle(self, *args, **options) -> None:
        self.stdout.write(demo_network.format_logins_table(demo_network.demo_logins()))
