"""How seed_demo runs (issue 14, a quiet, quick, honest first run): a line per step when its output is
not a terminal, the logins printed once, the last week first and the rest later (`make run`), and a
second run with the same options that writes nothing."""

from __future__ import annotations

import datetime
import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from alerts.models import PeriodDone
from demo.models import SeedStamp
from kpi.models import RollupDay, RollupRun, Scorecard, ScorecardLine
from kpi.services.rollup import days_mark_stale, rollup_pending
from lib.periods import days_between
from tests.shared_data import as_in_a_test, shared_data

pytestmark = pytest.mark.django_db

# The tiny network of tests/demo/test_demo_facts.py: four outlets, ten days of facts, 11–20 January 2026.
END = datetime.date(2026, 1, 20)
FIRST = datetime.date(2026, 1, 11)
MAKEFILE = Path(__file__).resolve().parents[2] / "Makefile"


@pytest.fixture(autouse=True)
def _keep_daily_scorecards(settings):
    settings.SCORECARD_RETENTION_DAYS = 100_000


def seed(*flags: str) -> tuple[str, str]:
    """seed_demo on the tiny network as the command line would run it: (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    call_command("seed_demo", "--outlets=4", "--days=10", f"--end={END}", *flags, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def seeded_once(django_db_blocker, *flags: str):
    """A class's demo, seeded once for its tests with these flags (tests/shared_data.py: each test's
    own writes are undone after it): yields seed()'s (stdout, stderr)."""
    with shared_data(django_db_blocker):
        with as_in_a_test(SCORECARD_RETENTION_DAYS=100_000):
            printed = seed(*flags)
        yield printed


def published_days() -> list[datetime.date]:
    return sorted(RollupDay.objects.published().values_list("date", flat=True))


def evaluated_days() -> list[datetime.date]:
    return sorted(PeriodDone.objects.filter(job=PeriodDone.Job.EVALUATION).values_list("start", flat=True))


def line_snapshot() -> set[tuple]:
    return set(
        ScorecardLine.objects.filter(scorecard__in=Scorecard.objects.published()).values_list(
            "scorecard__date",
            "scorecard__unit__code",
            "scorecard__staff__code",
            "scorecard__period",
            "metric__code",
            "actual",
            "target",
            "status",
            "score",
            "rank",
        )
    )


def test_make_run_prints_the_logins_through_seed_demo_alone():
    recipe = MAKEFILE.read_text().split("\nrun:", 1)[1].split("\n\n", 1)[0]

    assert "demo_logins" not in recipe
    commands = re.findall(r"manage\.py seed_demo([^&;\n]*)", recipe)
    assert commands == [" --recent-first", " --rest "]


@pytest.fixture(scope="class")
def recent_first(django_db_setup, django_db_blocker):
    yield from seeded_once(django_db_blocker, "--recent-first")


# The plain run (its step lines, a second run with the same options or others) is tests/demo/test_demo_tiny.py's,
# whose tests share one seed of the tiny demo.


class TestAfterARecentFirstSeed:
    def test_the_logins_are_printed_once_by_seed_demo_and_not_by_its_rest(self, recent_first):
        out, _err = recent_first
        rest, _err = seed("--rest")

        assert out.count("Demo logins:") == 1
        assert out.count("bankops-demo") == 5  # five personas, one password each
        assert "Demo logins:" not in rest

    def test_recent_first_rolls_up_the_last_seven_days_and_the_rest_the_three_before_then_the_alerts(
        self, recent_first
    ):
        out, _err = recent_first

        assert published_days() == days_between(datetime.date(2026, 1, 14), END)
        assert evaluated_days() == []
        assert (
            "Rolled up: 7 days (2026-01-14 – 2026-01-20); 3 earlier days (2026-01-11 – 2026-01-13) left for later"
            in out
        )
        assert not SeedStamp.objects.get().complete

        rest, err = seed("--rest")

        assert published_days() == days_between(FIRST, END)
        assert evaluated_days() == days_between(FIRST, END)
        assert "Rolled up: 3 days (2026-01-11 – 2026-01-13)" in rest
        assert "seed_demo --rest: rollup: 3 days in" in err
        assert "seed_demo --rest: alerts: 10 days in" in err
        assert SeedStamp.objects.get().complete

        again, _err = seed("--rest")
        assert again.strip() == "seed_demo --rest: the demo is complete, nothing left to do."

    def test_a_second_recent_first_run_leaves_an_unfinished_rest_to_rest(self, recent_first):
        runs = RollupRun.objects.count()

        out, _err = seed("--recent-first")

        assert "already seeded" in out
        assert RollupRun.objects.count() == runs
        seed("--rest")
        assert published_days() == days_between(FIRST, END)

    def test_a_plain_run_on_a_demo_left_half_done_finishes_it(self, recent_first):
        out, _err = seed()

        assert "already seeded" in out
        assert "Rolled up: 3 days (2026-01-11 – 2026-01-13)" in out
        assert evaluated_days() == days_between(FIRST, END)

    def test_the_figures_do_not_depend_on_the_order_the_days_were_rolled_up_in(self, recent_first):
        seed("--rest")
        recent_first_lines = line_snapshot()

        # Every day again, in date order, each from the day before (as a plain seed rolls them up).
        days_mark_stale(first_date=FIRST)
        assert rollup_pending(through=END) == days_between(FIRST, END)

        assert line_snapshot() == recent_first_lines
        assert len(recent_first_lines) > 1000
