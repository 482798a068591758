"""Statutory deadlines: one calendar month, stop-the-clock, extensions, working days."""

from __future__ import annotations

import datetime as dt

import pytest
from dateutil.easter import easter

from steward.governance.rights.deadlines import (
    BANK_HOLIDAYS_ENGLAND_WALES,
    FIRST_YEAR,
    LAST_YEAR,
    Pause,
    PauseReason,
    Rag,
    add_months,
    compute_deadline,
    is_working_day,
    next_working_day,
    rag_status,
)

D = dt.date
TODAY = D(2026, 12, 31)


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        (D(2025, 1, 31), D(2025, 2, 28)),  # no 31 February: last day of the month
        (D(2024, 1, 31), D(2024, 2, 29)),  # leap year
        (D(2026, 1, 30), D(2026, 2, 28)),
        (D(2026, 3, 31), D(2026, 4, 30)),
        (D(2026, 9, 3), D(2026, 10, 3)),
        (D(2026, 12, 15), D(2027, 1, 15)),  # across the year end
    ],
)
def test_one_calendar_month(received: dt.date, expected: dt.date) -> None:
    assert add_months(received, 1) == expected


def test_deadline_is_the_corresponding_day_when_it_is_a_working_day() -> None:
    # 2 Sep 2026 → Fri 2 Oct 2026
    assert compute_deadline(D(2026, 9, 2), today=TODAY).due_on == D(2026, 10, 2)


def test_weekend_moves_to_monday() -> None:
    # 3 Oct 2026 is a Saturday
    deadline = compute_deadline(D(2026, 9, 3), today=TODAY)
    assert deadline.statutory_on == D(2026, 10, 3)
    assert deadline.due_on == D(2026, 10, 5)


def test_bank_holiday_moves_to_next_working_day() -> None:
    # received 25 Nov 2026 → 25 Dec (Fri, Christmas) → 28 Dec is the Boxing Day substitute → 29th
    assert compute_deadline(D(2026, 11, 25), today=TODAY).due_on == D(2026, 12, 29)
    # received 31 Mar 2026 → 30 Apr (Thu) stays; received 4 Apr → 4 May (early May bank holiday)
    assert compute_deadline(D(2026, 4, 4), today=TODAY).due_on == D(2026, 5, 5)


def test_31_january_to_end_of_february_then_weekend() -> None:
    # 28 Feb 2027 is a Sunday → Monday 1 March
    deadline = compute_deadline(D(2027, 1, 31), today=D(2027, 3, 31))
    assert deadline.statutory_on == D(2027, 2, 28)
    assert deadline.due_on == D(2027, 3, 1)


def test_closed_pause_moves_the_deadline_by_its_days() -> None:
    pauses = [Pause(PauseReason.IDENTITY, D(2026, 9, 2), D(2026, 9, 12))]  # 10 days
    deadline = compute_deadline(D(2026, 9, 2), pauses, today=TODAY)
    assert deadline.paused_days == 10
    assert deadline.due_on == D(2026, 10, 12)  # Mon
    assert not deadline.paused


def test_two_pauses_add_up() -> None:
    pauses = [
        Pause(PauseReason.IDENTITY, D(2026, 9, 2), D(2026, 9, 5)),
        Pause(PauseReason.CLARIFICATION, D(2026, 9, 20), D(2026, 9, 24)),
    ]
    deadline = compute_deadline(D(2026, 9, 2), pauses, today=TODAY)
    assert deadline.paused_days == 7
    assert deadline.due_on == D(2026, 10, 9)


def test_open_pause_is_provisional_and_grows_with_today() -> None:
    pauses = [Pause(PauseReason.FEE, D(2026, 9, 10))]
    first = compute_deadline(D(2026, 9, 2), pauses, today=D(2026, 9, 15))
    later = compute_deadline(D(2026, 9, 2), pauses, today=D(2026, 9, 25))
    assert first.paused and later.paused
    assert later.paused_days - first.paused_days == 10
    assert later.due_on > first.due_on
    assert rag_status(first, D(2026, 9, 15)) is Rag.PAUSED


def test_extension_adds_up_to_two_months() -> None:
    # one month plus two further months: 31 Jan → 30 Apr (no 31 April)
    deadline = compute_deadline(D(2026, 1, 31), extension_months=2, today=TODAY)
    assert deadline.statutory_on == D(2026, 4, 30)
    with pytest.raises(ValueError):
        compute_deadline(D(2026, 1, 31), extension_months=3, today=TODAY)


def test_extension_and_pause_combine() -> None:
    pauses = [Pause(PauseReason.IDENTITY, D(2026, 6, 1), D(2026, 6, 6))]
    deadline = compute_deadline(D(2026, 6, 1), pauses, extension_months=1, today=TODAY)
    assert deadline.due_on == D(2026, 8, 6)  # 1 Aug + 5 days = Thu 6 Aug


def test_bad_pauses_are_refused() -> None:
    with pytest.raises(ValueError):
        compute_deadline(D(2026, 6, 1), [Pause(PauseReason.FEE, D(2026, 5, 1))], today=TODAY)
    with pytest.raises(ValueError):
        compute_deadline(
            D(2026, 6, 1), [Pause(PauseReason.FEE, D(2026, 6, 5), D(2026, 6, 2))], today=TODAY
        )


def test_rag() -> None:
    deadline = compute_deadline(D(2026, 9, 2), today=TODAY)  # due 2 Oct
    assert rag_status(deadline, D(2026, 9, 10)) is Rag.GREEN
    assert rag_status(deadline, D(2026, 9, 25)) is Rag.AMBER
    assert rag_status(deadline, D(2026, 9, 30)) is Rag.RED
    assert rag_status(deadline, D(2026, 10, 20)) is Rag.RED  # overdue


def _last_monday(year: int, month: int) -> dt.date:
    day = add_months(D(year, month, 1), 1) - dt.timedelta(days=1)
    return day - dt.timedelta(days=day.weekday())


def _first_monday(year: int, month: int) -> dt.date:
    day = D(year, month, 1)
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def _substitutes(*days: dt.date) -> set[dt.date]:
    """Fixed holidays that fall at a weekend move to the next free weekday."""
    out: set[dt.date] = set()
    for day in days:
        while day.weekday() >= 5 or day in out:
            day += dt.timedelta(days=1)
        out.add(day)
    return out


MOVED = {  # announced changes to the standing rules
    2020: ({D(2020, 5, 4)}, {D(2020, 5, 8)}),  # VE Day
    2022: ({D(2022, 5, 30)}, {D(2022, 6, 2), D(2022, 6, 3), D(2022, 9, 19)}),
    2023: (set(), {D(2023, 5, 8)}),  # Coronation
}


@pytest.mark.parametrize("year", range(FIRST_YEAR, LAST_YEAR + 1))
def test_bank_holiday_table_follows_the_rules(year: int) -> None:
    sunday = easter(year)
    expected = {
        sunday - dt.timedelta(days=2),
        sunday + dt.timedelta(days=1),
        _first_monday(year, 5),
        _last_monday(year, 5),
        _last_monday(year, 8),
    }
    expected |= _substitutes(D(year, 1, 1))
    expected |= _substitutes(D(year, 12, 25), D(year, 12, 26))
    removed, added = MOVED.get(year, (set(), set()))
    expected = (expected - removed) | added
    table = {d for d in BANK_HOLIDAYS_ENGLAND_WALES if d.year == year}
    assert table == expected
    assert all(d.weekday() < 5 for d in table)


def test_next_working_day_and_table_bounds() -> None:
    assert next_working_day(D(2026, 12, 24)) == D(2026, 12, 24)
    assert next_working_day(D(2026, 12, 25)) == D(2026, 12, 29)
    assert not is_working_day(D(2026, 8, 31))
    with pytest.raises(ValueError):
        is_working_day(D(2031, 1, 2))
