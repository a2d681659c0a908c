"""The ledger's writes (ledger/services.py): entries recorded, approved, rejected, withdrawn, and the facts
they add up to, with the points worked out by hand.

The people (tests/conftest.py, tests/ledger/conftest.py): 黄丽娟 S1001, teller at 天河路网点 GZ0101; 林晓燕,
its outlet head; 陈志强, the 天河支行 manager above it. The items (tests/ledger/factories.py): 信用卡开卡 2.5
points a card (customer number, at most 5 a day), 发放宣传单 0.1 a leaflet (photo, no approval), 劳动纪律扣分
−5 a time (no approval).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from kpi.models import Fact, IngestBatch, MonthClose, ScorecardLine
from kpi.services.rollup import rollup_day
from ledger.models import EntryChange, EntryStatus, LedgerEntry
from ledger.selectors import pending_entries
from ledger.services import Action, entries_decide, entry_create, entry_withdraw
from tests.ledger.conftest import JPEG, scope_of
from tests.ledger.factories import card_item, discipline_item, leaflet_item

pytestmark = pytest.mark.django_db


def _record(user, item, day, quantity, **kwargs) -> LedgerEntry:
    return entry_create(scope=scope_of(user), user=user, item=item, day=day, quantity=quantity, **kwargs)


def _fact(staff, day, metric) -> Decimal | None:
    fact = Fact.objects.filter(staff=staff, date=day, metric=metric).first()
    return None if fact is None else fact.value


def test_a_teller_records_three_cards_worth_seven_and_a_half_points_waiting_for_approval(
    teller, teller_staff, ledger_metric, yesterday, network
):
    entry = _record(teller, card_item(), yesterday, 3, customer_code="C0001024")

    # 3 cards × 2.5 points = 7.5 points, all the teller's own, at her outlet, nothing counted yet.
    assert entry.points == Decimal("7.5")
    assert entry.own_points == Decimal("7.5")
    assert (entry.staff, entry.unit, entry.status) == (teller_staff, network["GZ0101"], EntryStatus.PENDING)
    assert _fact(teller_staff, yesterday, ledger_metric) is None
    assert list(entry.changes.values_list("action", flat=True)) == [EntryChange.Action.CREATED]


def test_approving_makes_the_sum_of_the_days_approved_points_the_tellers_fact(
    teller, outlet_head, teller_staff, ledger_metric, yesterday, django_capture_on_commit_callbacks
):
    cards = _record(teller, card_item(), yesterday, 3, customer_code="C0001024")
    more = _record(teller, card_item(), yesterday, 1, customer_code="C0002048")

    with django_capture_on_commit_callbacks() as queued:
        decided = entries_decide(
            scope=scope_of(outlet_head), user=outlet_head, entry_ids=[cards.pk, more.pk], action=Action.APPROVE
        )

    # (3 + 1) cards × 2.5 = 10 points: one fact for the teller's day, written by the ledger, the rollup queued.
    assert (decided.entries, decided.facts_changed) == (2, 1)
    assert _fact(teller_staff, yesterday, ledger_metric) == Decimal(10)
    cards.refresh_from_db()
    fact = Fact.objects.get(staff=teller_staff, date=yesterday, metric=ledger_metric)
    assert (cards.status, cards.decided_by, cards.fact) == (EntryStatus.APPROVED, outlet_head, fact)
    assert fact.batch.source == IngestBatch.Source.LEDGER and cards.batch == fact.batch
    assert len(queued) == 1  # the rollup, queued as facts_ingest queues it


def test_a_deduction_entered_by_the_outlet_head_counts_at_once_against_the_approved_points(
    teller, outlet_head, teller_staff, ledger_metric, yesterday
):
    cards = _record(teller, card_item(), yesterday, 3, customer_code="C0001024")
    entries_decide(scope=scope_of(outlet_head), user=outlet_head, entry_ids=[cards.pk], action=Action.APPROVE)

    deduction = _record(outlet_head, discipline_item(), yesterday, 1, staff=teller_staff, note="迟到 20 分钟")

    # 3 × 2.5 − 1 × 5 = 2.5 points.
    assert deduction.points == Decimal(-5)
    assert deduction.status == EntryStatus.APPROVED
    assert _fact(teller_staff, yesterday, ledger_metric) == Decimal("2.5")


def test_a_deduction_alone_makes_the_days_fact_negative(outlet_head, teller_staff, ledger_metric, yesterday):
    _record(outlet_head, discipline_item(), yesterday, 2, staff=teller_staff, note="两次未按规定交接")

    # 2 × −5 = −10 points: a points flow may be below 0.
    assert _fact(teller_staff, yesterday, ledger_metric) == Decimal(-10)


def test_a_deduction_needs_a_reason_and_is_not_entered_by_the_person_or_a_colleague(
    teller, teller_staff, outlet_head, unit_manager, hq_admin, ledger_metric, yesterday
):
    item = discipline_item()
    with pytest.raises(ValidationError) as no_reason:
        _record(outlet_head, item, yesterday, 1, staff=teller_staff)
    assert "note" in no_reason.value.message_dict

    with pytest.raises(ValidationError) as by_the_teller:
        _record(teller, item, yesterday, 1, note="自己扣")
    assert "staff" in by_the_teller.value.message_dict or "item" in by_the_teller.value.message_dict

    with pytest.raises(ValidationError) as by_hq:
        _record(hq_admin, item, yesterday, 1, staff=teller_staff, note="总行检查")
    assert "item" in by_hq.value.message_dict

    # The unit manager above the outlet may.
    assert _record(unit_manager, item, yesterday, 1, staff=teller_staff, note="服务违规").points == Decimal(-5)
    assert LedgerEntry.objects.count() == 1


def test_an_item_without_approval_counts_at_once_and_keeps_its_photo(
    teller, teller_staff, ledger_metric, today, tmp_path
):
    photo = SimpleUploadedFile("x.jpg", JPEG, content_type="image/jpeg")
    entry = _record(teller, leaflet_item(), today, 50, photo=photo, note="社区宣传")

    # 50 leaflets × 0.1 = 5 points, approved without anyone, today's fact 5.
    assert entry.status == EntryStatus.APPROVED and entry.decided_by is None
    assert _fact(teller_staff, today, ledger_metric) == Decimal(5)
    assert entry.photo.endswith(".jpg") and entry.photo_type == "image/jpeg"
    assert (tmp_path / "evidence" / entry.photo).read_bytes() == JPEG


def test_the_daily_cap_counts_pending_and_approved_units_of_the_person(teller, ledger_metric, yesterday):
    item = card_item()
    _record(teller, item, yesterday, 3, customer_code="C1")
    _record(teller, item, yesterday, 2, customer_code="C2")

    # 3 + 2 = 5 cards: the cap of 5 a day is reached; a sixth is refused and nothing is written.
    with pytest.raises(ValidationError) as refused:
        _record(teller, item, yesterday, 1, customer_code="C3")
    assert "quantity" in refused.value.message_dict
    assert LedgerEntry.objects.count() == 2


def test_a_rejected_entry_frees_its_units_under_the_cap(teller, outlet_head, ledger_metric, yesterday):
    item = card_item()
    first = _record(teller, item, yesterday, 5, customer_code="C1")
    entries_decide(
        scope=scope_of(outlet_head), user=outlet_head, entry_ids=[first.pk], action=Action.REJECT, reason="未核实"
    )

    assert _record(teller, item, yesterday, 5, customer_code="C1").quantity == 5


def test_an_entry_is_for_today_or_yesterday_only(teller, ledger_metric, today):
    with pytest.raises(ValidationError) as refused:
        _record(teller, card_item(), today - datetime.timedelta(days=2), 1, customer_code="C1")
    assert "day" in refused.value.message_dict


def test_missing_customer_number_photo_and_an_identity_number_typed_as_customer_are_refused(
    teller, ledger_metric, today
):
    with pytest.raises(ValidationError) as no_customer:
        _record(teller, card_item(), today, 1)
    assert "customer_code" in no_customer.value.message_dict
    with pytest.raises(ValidationError) as identity:
        _record(teller, card_item(), today, 1, customer_code="44010619900307123X")
    assert "customer_code" in identity.value.message_dict
    with pytest.raises(ValidationError) as no_photo:
        _record(teller, leaflet_item(), today, 10)
    assert "photo" in no_photo.value.message_dict
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize(
    "content, name, problem",
    [
        (b"GIF89a" + b"\x00" * 100, "x.jpg", "JPEG, PNG or WebP"),  # a GIF named .jpg: by content, not name
        (b"%PDF-1.7" + b"\x00" * 100, "x.png", "JPEG, PNG or WebP"),
        (b"", "x.jpg", "empty"),
    ],
)
def test_a_photo_that_is_not_a_jpeg_png_or_webp_by_its_content_is_refused(
    teller, ledger_metric, today, tmp_path, content, name, problem
):
    photo = SimpleUploadedFile(name, content, content_type="image/jpeg")
    with pytest.raises(ValidationError) as refused:
        _record(teller, leaflet_item(), today, 10, photo=photo)
    assert problem in refused.value.message_dict["photo"][0]
    assert not LedgerEntry.objects.exists()
    assert not list(tmp_path.rglob("*.*"))  # nothing stored


def test_a_photo_over_the_size_limit_is_refused(teller, ledger_metric, today, settings):
    settings.LEDGER_PHOTO_MAX_BYTES = 1000
    photo = SimpleUploadedFile("x.jpg", JPEG, content_type="image/jpeg")  # 2,011 bytes > 1,000
    with pytest.raises(ValidationError) as refused:
        _record(teller, leaflet_item(), today, 10, photo=photo)
    assert "larger than" in refused.value.message_dict["photo"][0]


def test_a_post_not_among_the_items_posts_may_not_record_it(teller, ledger_metric, today):
    from staff.models import Post

    item = card_item()
    item.posts.set([Post.objects.get(code="wealth_manager")])
    with pytest.raises(ValidationError) as refused:
        _record(teller, item, today, 1, customer_code="C1")
    assert "item" in refused.value.message_dict


def test_an_entry_in_a_closed_month_is_refused_at_entry_and_at_approval(
    teller, outlet_head, teller_staff, ledger_metric, yesterday
):
    pending = _record(teller, card_item(), yesterday, 1, customer_code="C1")
    MonthClose.objects.create(month=yesterday.replace(day=1))

    with pytest.raises(ValidationError) as at_entry:
        _record(teller, card_item(), yesterday, 1, customer_code="C2")
    assert "closed" in at_entry.value.message_dict["day"][0]
    with pytest.raises(ValidationError) as at_approval:
        entries_decide(scope=scope_of(outlet_head), user=outlet_head, entry_ids=[pending.pk], action=Action.APPROVE)
    assert "closed" in " ".join(at_approval.value.message_dict["entries"])
    pending.refresh_from_db()
    assert pending.status == EntryStatus.PENDING
    assert _fact(teller_staff, yesterday, ledger_metric) is None


def test_withdrawing_an_approval_adds_the_day_up_again_without_it(
    teller, outlet_head, teller_staff, ledger_metric, yesterday
):
    three = _record(teller, card_item(), yesterday, 3, customer_code="C1")
    one = _record(teller, card_item(), yesterday, 1, customer_code="C2")
    head = scope_of(outlet_head)
    entries_decide(scope=head, user=outlet_head, entry_ids=[three.pk, one.pk], action=Action.APPROVE)

    entries_decide(scope=head, user=outlet_head, entry_ids=[three.pk], action=Action.WITHDRAW)

    # 10 − 3 × 2.5 = 2.5 points; the withdrawn entry waits again, no longer in the fact.
    assert _fact(teller_staff, yesterday, ledger_metric) == Decimal("2.5")
    three.refresh_from_db()
    assert (three.status, three.fact_id) == (EntryStatus.PENDING, None)

    entries_decide(scope=head, user=outlet_head, entry_ids=[one.pk], action=Action.WITHDRAW)
    assert _fact(teller_staff, yesterday, ledger_metric) == Decimal(0)
    assert list(three.changes.values_list("action", flat=True)) == ["created", "approved", "withdrawn"]


def test_a_batch_with_one_wrong_entry_changes_nothing(teller, outlet_head, teller_staff, ledger_metric, yesterday):
    pending = _record(teller, card_item(), yesterday, 1, customer_code="C1")
    approved = _record(teller, card_item(), yesterday, 1, customer_code="C2")
    head = scope_of(outlet_head)
    entries_decide(scope=head, user=outlet_head, entry_ids=[approved.pk], action=Action.APPROVE)

    with pytest.raises(ValidationError):
        entries_decide(scope=head, user=outlet_head, entry_ids=[pending.pk, approved.pk], action=Action.APPROVE)

    pending.refresh_from_db()
    assert pending.status == EntryStatus.PENDING
    assert _fact(teller_staff, yesterday, ledger_metric) == Decimal("2.5")


def test_a_rejection_needs_a_reason(teller, outlet_head, ledger_metric, yesterday):
    entry = _record(teller, card_item(), yesterday, 1, customer_code="C1")
    with pytest.raises(ValidationError) as refused:
        entries_decide(scope=scope_of(outlet_head), user=outlet_head, entry_ids=[entry.pk], action=Action.REJECT)
    assert "reason" in refused.value.message_dict


def test_an_outlet_head_of_another_outlet_does_not_find_the_entry(teller, ledger_metric, yesterday, network, neighbour):
    from tests.factories import UserFactory

    other_head = UserFactory(username="he.jun", role="outlet_head", unit=network["GZ0102"])
    entry = _record(teller, card_item(), yesterday, 1, customer_code="C1")
    with pytest.raises(ValidationError) as refused:
        entries_decide(scope=scope_of(other_head), user=other_head, entry_ids=[entry.pk], action=Action.APPROVE)
    assert f"No such entries: {entry.pk}" in " ".join(refused.value.message_dict["entries"])


def test_staff_and_auditors_may_not_approve(teller, auditor, ledger_metric, yesterday):
    entry = _record(teller, card_item(), yesterday, 1, customer_code="C1")
    for user in (teller, auditor):
        with pytest.raises(ValidationError):
            entries_decide(scope=scope_of(user), user=user, entry_ids=[entry.pk], action=Action.APPROVE)
    entry.refresh_from_db()
    assert entry.status == EntryStatus.PENDING


def test_approved_points_reach_the_tellers_scorecard_after_the_rollup(
    teller, outlet_head, teller_staff, ledger_metric, yesterday
):
    cards = _record(teller, card_item(), yesterday, 3, customer_code="C1")
    deduction = _record(outlet_head, discipline_item(), yesterday, 1, staff=teller_staff, note="迟到")
    entries_decide(scope=scope_of(outlet_head), user=outlet_head, entry_ids=[cards.pk], action=Action.APPROVE)

    rollup_day(day=yesterday)

    # The day's line: 3 × 2.5 − 5 = 2.5 points.
    line = ScorecardLine.objects.get(
        scorecard__staff=teller_staff, scorecard__period="day", scorecard__date=yesterday, metric=ledger_metric
    )
    assert line.actual == Decimal("2.5")
    deduction.refresh_from_db()
    assert deduction.fact == Fact.objects.get(staff=teller_staff, date=yesterday, metric=ledger_metric)


# -- withdrawing one's own entry (撤回) ------------------------------------------------------------------


def test_a_teller_withdraws_a_mistyped_entry_which_is_kept_and_she_records_the_right_one_under_the_cap(
    teller, outlet_head, teller_staff, ledger_metric, yesterday, network
):
    item = card_item()
    # 5 cards typed for 1: the cap of 5 a day is full, so the right entry could not be recorded.
    mistyped = _record(teller, item, yesterday, 5, customer_code="C0001024")

    withdrawn = entry_withdraw(user=teller, entry=mistyped)

    assert withdrawn.changed is True
    mistyped.refresh_from_db()
    assert (mistyped.status, mistyped.quantity, mistyped.points) == (EntryStatus.WITHDRAWN, 5, Decimal("12.5"))
    changes = list(mistyped.changes.values_list("action", "by"))
    assert changes == [("created", teller.pk), ("entry_withdrawn", teller.pk)]
    # The right one, 1 card of the same customer, item and day: under the cap (0 + 1 ≤ 5) and no
    # suspected duplicate of the withdrawn one, which waits for nobody any longer.
    right = _record(teller, item, yesterday, 1, customer_code="C0001024")
    waiting = list(pending_entries(scope=scope_of(outlet_head), unit=network["GZ0101"]))
    assert [(entry.pk, entry.suspected_duplicate) for entry in waiting] == [(right.pk, False)]
    entries_decide(scope=scope_of(outlet_head), user=outlet_head, entry_ids=[right.pk], action=Action.APPROVE)
    # 1 × 2.5 = 2.5 points: the withdrawn 12.5 count nothing.
    assert _fact(teller_staff, yesterday, ledger_metric) == Decimal("2.5")


def test_withdrawing_an_entry_twice_writes_nothing_the_second_time(teller, ledger_metric, yesterday):
    entry = _record(teller, card_item(), yesterday, 2, customer_code="C1")
    entry_withdraw(user=teller, entry=entry)

    again = entry_withdraw(user=teller, entry=LedgerEntry.objects.get(pk=entry.pk))

    assert again.changed is False
    assert again.entry.status == EntryStatus.WITHDRAWN
    assert entry.changes.count() == 2  # recorded, withdrawn: no second "withdrawn"


def test_an_approved_or_rejected_entry_is_not_withdrawn_by_the_teller(teller, outlet_head, ledger_metric, yesterday):
    approved = _record(teller, card_item(), yesterday, 1, customer_code="C1")
    rejected = _record(teller, card_item(), yesterday, 1, customer_code="C2")
    head = scope_of(outlet_head)
    entries_decide(scope=head, user=outlet_head, entry_ids=[approved.pk], action=Action.APPROVE)
    entries_decide(scope=head, user=outlet_head, entry_ids=[rejected.pk], action=Action.REJECT, reason="重复")

    for entry, status in ((approved, "Approved"), (rejected, "Rejected")):
        with pytest.raises(ValidationError) as refused:
            entry_withdraw(user=teller, entry=entry)
        assert refused.value.message_dict["status"] == [
            f"Credit card opened of {yesterday} is {status}: only an entry waiting for approval may be withdrawn; "
            "ask your outlet head to correct it."
        ]
    assert [entry.status for entry in LedgerEntry.objects.order_by("pk")] == [
        EntryStatus.APPROVED,
        EntryStatus.REJECTED,
    ]


def test_an_entry_is_withdrawn_only_by_the_person_who_recorded_it_for_herself(
    teller, outlet_head, teller_staff, ledger_metric, yesterday
):
    cards = _record(teller, card_item(), yesterday, 1, customer_code="C1")
    deductions = discipline_item()
    deductions.requires_approval = True
    deductions.save()
    # A deduction the outlet head entered against the teller, waiting: hers to bear, not hers to withdraw.
    late = _record(outlet_head, deductions, yesterday, 1, staff=teller_staff, note="迟到")

    for user, entry in ((outlet_head, cards), (teller, late), (outlet_head, late)):
        with pytest.raises(PermissionDenied):
            entry_withdraw(user=user, entry=entry)
    assert set(LedgerEntry.objects.values_list("status", flat=True)) == {EntryStatus.PENDING}


def test_the_outlet_head_cannot_approve_an_entry_its_author_withdrew(teller, outlet_head, ledger_metric, yesterday):
    entry = _record(teller, card_item(), yesterday, 1, customer_code="C1")
    entry_withdraw(user=teller, entry=entry)

    with pytest.raises(ValidationError) as refused:
        entries_decide(scope=scope_of(outlet_head), user=outlet_head, entry_ids=[entry.pk], action=Action.APPROVE)

    assert refused.value.message_dict["entries"] == [
        f"#{entry.pk} {yesterday} 黄丽娟 Credit card opened is Withdrawn, not Waiting for approval."
    ]
