"""factory_boy factories for customers and their monthly snapshots."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from customers.models import Customer, Snapshot


class CustomerFactory(DjangoModelFactory):
    """A customer of an outlet (give `home_outlet=`), without a relationship manager or groups."""

    class Meta:
        model = Customer

    code = factory.Sequence(lambda n: f"C{n:07d}")
    name = factory.Sequence(lambda n: ["张小三", "李四", "王芳", "欧阳娜娜", "陈静"][n % 5])
    id_number = factory.Sequence(lambda n: f"440106199001{n:06d}")
    relationship_manager = None
    groups = 0


class SnapshotFactory(DjangoModelFactory):
    """October 2026's snapshot; `aum_avg_daily` is what the tier follows, the components are the month-end
    balances (all in deposits unless given)."""

    class Meta:
        model = Snapshot

    month = datetime.date(2026, 10, 1)
    aum_avg_daily = Decimal("0")
    deposits = factory.LazyAttribute(lambda snapshot: snapshot.aum_avg_daily)
