from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from bankops import demo, demo_templates


class Command(BaseCommand):
    help = (
        "Fill the database with the demo network (HQ, 3 branches, sub-branches, outlets, staff, peer "
        "groups) and the demo logins. Safe to run again: the same seed changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--outlets",
            type=int,
            default=demo.DEFAULT_OUTLETS,
            help=f"number of outlets, about ten per sub-branch (default {demo.DEFAULT_OUTLETS})",
        )
        parser.add_argument(
            "--seed", type=int, default=demo.DEFAULT_SEED, help=f"random seed (default {demo.DEFAULT_SEED})"
        )

    def handle(self, *args, outlets: int, seed: int, **options) -> None:
        if outlets < 1:
            raise CommandError(f"--outlets must be at least 1 (got {outlets})")
        steps = [*demo.NETWORK_STEPS, "personas"]
        # tqdm writes to the real stderr (Django's OutputWrapper would end every redraw with a newline)
        # and switches itself off when that is not a terminal (disable=None).
        with tqdm(total=len(steps), desc="seed_demo", unit="step", file=sys.stderr, disable=None) as bar:

            def advance(step: str) -> None:
                bar.set_postfix_str(step, refresh=False)
                bar.update()

            seeded = demo.seed_network(outlets=outlets, seed=seed, progress=advance)
            logins = demo.personas_ensure(plan=seeded.plan)
            advance("personas")

        # Before any rollup: the days rolled up from here on are scored by these templates.
        templates = demo_templates.seed_templates()

        self.stdout.write(demo.format_summary(demo.network_counts(), seeded=seeded))
        self.stdout.write(str(templates))
        self.stdout.write("")
        self.stdout.write(demo.format_logins_table(logins))
