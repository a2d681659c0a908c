"""Judged PK contests (营销话术 PK): a panel's score sheets, the trimmed mean from five judges up, and what a
judge may read before the close."""

from __future__ import annotations

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from kpi.models import Contest, ContestJudge, ContestPair, JudgeSheet, JudgingItem
from kpi.services.contests import Lead, contest_standings
from kpi.services.judging import judge_sheet_save, judged_score, sheet_total, sheets_visible
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date
DURING = D(2026, 11, 20)
AFTER = D(2026, 12, 1)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def judged(network):
    """营销话术 PK of November 2026 between 天河路 (GZ0101) and 珠江新城 (GZ0102): two items, 话术规范 weight
    60 and 产品讲解 weight 40, out of 100; five judges."""
    contest = Contest.objects.create(
        name="营销话术 PK", unit=network["GZ01"], period_start=D(2026, 11, 1), period_end=D(2026, 11, 30), judged=True
    )
    ContestPair.objects.create(contest=contest, outlet_a=network["GZ0101"], outlet_b=network["GZ0102"])
    script = JudgingItem.objects.create(contest=contest, name="话术规范", weight=60, sort_order=1)
    product = JudgingItem.objects.create(contest=contest, name="产品讲解", weight=40, sort_order=2)
    judges = [UserFactory(username=f"judge{number}", role="unit_manager", unit=network["GZ01"]) for number in range(5)]
    ContestJudge.objects.bulk_create(ContestJudge(contest=contest, user=judge) for judge in judges)
    return contest, script, product, judges


def _score(contest, judge, outlet, script, product, a, b):
    return judge_sheet_save(
        contest=contest, judge=judge, outlet=outlet, scores={script.pk: a, product.pk: b}, today=DURING
    )


def test_a_sheets_total_is_the_weighted_score_on_a_100_scale(judged):
    _contest, script, product, _judges = judged

    # (60 × 80/100 + 40 × 90/100) × 100 / (60 + 40) = (48 + 36) = 84
    assert sheet_total([script, product], {script.pk: Decimal(80), product.pk: Decimal(90)}) == Decimal("84.0000")


def test_five_judges_score_the_mean_without_the_highest_and_the_lowest(judged, network):
    contest, script, product, judges = judged
    tianhe, zhujiang = network["GZ0101"], network["GZ0102"]
    # 天河路's totals: (80, 90) → 84; (70, 80) → 74; (90, 95) → 92; (60, 70) → 64; (100, 100) → 100.
    for judge, (a, b) in zip(judges, [(80, 90), (70, 80), (90, 95), (60, 70), (100, 100)], strict=True):
        _score(contest, judge, tianhe, script, product, a, b)
    # 珠江新城: 75 from every judge.
    for judge in judges:
        _score(contest, judge, zhujiang, script, product, 75, 75)

    standings = contest_standings(contest=contest, as_of=AFTER)

    # 64, 74, 84, 92, 100 without 64 and 100: (74 + 84 + 92) / 3 = 250 / 3 = 83.3333
    pair = standings.pairs[0]
    assert (pair.score_a, pair.score_b) == (Decimal("83.3333"), Decimal("75.0000"))
    assert pair.leader == pair.winner == Lead.A
    assert standings.final


def test_fewer_than_five_judges_score_the_plain_mean():
    # (84 + 74 + 92 + 64) / 4 = 314 / 4 = 78.5
    assert judged_score([Decimal(84), Decimal(74), Decimal(92), Decimal(64)]) == Decimal("78.5000")


def test_before_the_close_a_judge_sees_only_their_own_sheets_and_nobody_sees_scores(judged, network):
    contest, script, product, judges = judged
    first, second = judges[0], judges[1]
    _score(contest, first, network["GZ0101"], script, product, 80, 90)
    _score(contest, second, network["GZ0101"], script, product, 70, 80)

    assert [sheet.judge for sheet in sheets_visible(contest=contest, user=first, today=DURING)] == [first]
    assert [sheet.judge for sheet in sheets_visible(contest=contest, user=second, today=DURING)] == [second]
    standings = contest_standings(contest=contest, as_of=DURING)
    pair = standings.pairs[0]
    assert (pair.score_a, pair.score_b, pair.leader, pair.sheets_a) == (None, None, None, 2)
    # After the close: every sheet.
    assert sheets_visible(contest=contest, user=first, today=AFTER).count() == 2


def test_the_api_gives_a_judge_only_their_own_sheets_before_the_close(judged, network, client):
    contest, script, product, judges = judged
    _score(contest, judges[0], network["GZ0101"], script, product, 80, 90)
    _score(contest, judges[1], network["GZ0101"], script, product, 70, 80)
    client.force_login(judges[1])

    with mock.patch("django.utils.timezone.localdate", return_value=DURING):
        before = client.get(f"/api/v1/contests/{contest.pk}/sheets/").json()
    with mock.patch("django.utils.timezone.localdate", return_value=AFTER):
        after = client.get(f"/api/v1/contests/{contest.pk}/sheets/").json()

    assert [sheet["total"] for sheet in before] == ["74.0000"]
    assert sorted(sheet["total"] for sheet in after) == ["74.0000", "84.0000"]


def test_a_bad_sheet_over_the_api_is_a_400_and_writes_nothing(judged, network, client):
    contest, script, _product, judges = judged
    client.force_login(judges[0])

    with mock.patch("django.utils.timezone.localdate", return_value=DURING):
        answer = client.post(
            f"/api/v1/contests/{contest.pk}/sheets/",
            {"outlet": "GZ0101", "scores": {str(script.pk): "150"}},
            content_type="application/json",
        )

    assert answer.status_code == 400
    assert not JudgeSheet.objects.exists()


def test_bad_scores_are_refused_and_nothing_is_written(judged, network):
    contest, script, _product, judges = judged

    with pytest.raises(ValidationError) as refused:
        judge_sheet_save(
            contest=contest,
            judge=judges[0],
            outlet=network["SZ0101"],
            scores={script.pk: 101, "999": 5},
            today=DURING,
        )

    # Not an entrant; 101 over the full marks; 产品讲解 not scored; an item not on the form.
    assert set(refused.value.message_dict) == {"outlet", "scores"}
    assert len(refused.value.message_dict["scores"]) == 3
    assert not JudgeSheet.objects.exists()


def test_only_the_panel_fills_in_sheets_and_only_until_the_close(judged, network, outlet_head):
    contest, script, product, judges = judged

    with pytest.raises(PermissionDenied):
        _score(contest, outlet_head, network["GZ0101"], script, product, 80, 80)
    with pytest.raises(ValidationError):
        judge_sheet_save(
            contest=contest,
            judge=judges[0],
            outlet=network["GZ0101"],
            scores={script.pk: 80, product.pk: 80},
            today=AFTER,
        )
    assert not JudgeSheet.objects.exists()
