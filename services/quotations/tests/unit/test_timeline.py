"""Reminders and expiry on a timeline, with an injected clock."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from quotations.domain.model import ReminderDue, Status
from quotations.domain.timeline import ReminderPlan

from .factories import T0, draft

DAY = timedelta(days=1)


def test_reminders_fall_at_seven_and_one_day_before_expiry_each_once() -> None:
    q = draft()
    q.send(T0, validity=15 * DAY, reminders=[7 * DAY, DAY])
    q.take_changes()
    valid_until = T0 + 15 * DAY
    assert q.remind(valid_until - 7 * DAY - timedelta(seconds=1)) is None
    assert q.remind(valid_until - 7 * DAY) == 7 * DAY
    assert q.take_changes() == [ReminderDue(at=valid_until - 7 * DAY, before_expiry=7 * DAY)]
    assert q.remind(valid_until - 6 * DAY) is None  # the 7-day one is not sent twice
    assert q.next_reminder_at == valid_until - DAY
    assert q.remind(valid_until - DAY + timedelta(hours=2)) == DAY
    assert q.remind(valid_until - timedelta(minutes=1)) is None
    assert q.next_reminder_at is None
    assert q.reminders_sent == (7 * DAY, DAY)
    assert q.expire(valid_until)
    assert q.status is Status.EXPIRED


def test_after_an_outage_only_the_most_urgent_reminder_is_sent() -> None:
    q = draft()
    q.send(T0, validity=15 * DAY, reminders=[7 * DAY, DAY])
    q.take_changes()
    late = T0 + 14 * DAY + timedelta(hours=1)
    assert q.remind(late) == DAY
    assert q.take_changes() == [ReminderDue(at=late, before_expiry=DAY)]
    assert q.reminders_sent == (7 * DAY, DAY)
    assert q.remind(late + timedelta(minutes=5)) is None


def test_no_reminder_once_expired() -> None:
    q = draft()
    q.send(T0, validity=15 * DAY, reminders=[7 * DAY, DAY])
    assert q.remind(T0 + 15 * DAY) is None


def test_offsets_longer_than_the_validity_are_dropped_and_minutes_work() -> None:
    q = draft()
    q.send(T0, validity=timedelta(minutes=10), reminders=[7 * DAY, timedelta(minutes=3)])
    assert q.reminder_plan is not None
    assert q.reminder_plan.offsets == (timedelta(minutes=3),)
    assert q.remind(T0 + timedelta(minutes=7)) == timedelta(minutes=3)


offsets = st.lists(
    st.integers(min_value=1, max_value=14 * 24).map(lambda h: timedelta(hours=h)),
    max_size=5,
)


@given(offsets, st.lists(st.integers(min_value=0, max_value=400), max_size=30))
def test_each_reminder_is_handled_at_most_once_and_never_before_its_time(
    plan_offsets: list[timedelta], ticks: list[int]
) -> None:
    plan = ReminderPlan.of(valid_until=T0 + 15 * DAY, offsets=plan_offsets)
    now = T0
    seen: list[timedelta] = []
    for tick in ticks:
        now += timedelta(hours=tick)
        due = plan.due(now)
        for offset in due:
            assert plan.at(offset) <= now < plan.valid_until
            assert offset not in seen
        seen.extend(due)
        plan = plan.handle(due)
    assert sorted(seen) == sorted(set(seen))
