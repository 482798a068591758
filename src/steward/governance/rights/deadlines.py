"""Statutory time limits of a rights request (UK GDPR Articles 12(3) and 12A), as pure functions.

The rule, as the ICO states it:

- one calendar month from the day of receipt: the corresponding date of the next month, or the
  last day of that month when it has no such date (received 31 January → 28 or 29 February);
- the clock stops while the controller waits for proof of identity, clarification or a fee and
  restarts when it arrives (Article 12A, in force 5 February 2026): each paused day moves the
  deadline one day later;
- the time may be extended by up to two further months for a complex or numerous request (the
  requester must be told, with the reason, within the first month);
- a deadline that falls on a weekend or an England & Wales bank holiday moves to the next working
  day.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

MAX_EXTENSION_MONTHS = 2
# Days left at which a request turns amber, and red (red also means overdue).
AMBER_DAYS = 10
RED_DAYS = 3

# England and Wales bank holidays, 2019-2030. Source: GOV.UK "UK bank holidays"
# (https://www.gov.uk/bank-holidays, england-and-wales), including the moved and extra days
# (VE Day 2020, Platinum Jubilee and the State Funeral 2022, the Coronation 2023); 2027-2030
# follow the standing rules with substitute days. tests/governance_rights/test_deadlines.py
# checks every year against those rules.
BANK_HOLIDAYS_ENGLAND_WALES: frozenset[dt.date] = frozenset(
    dt.date.fromisoformat(day)
    for day in [
        "2019-01-01",
        "2019-04-19",
        "2019-04-22",
        "2019-05-06",
        "2019-05-27",
        "2019-08-26",
        "2019-12-25",
        "2019-12-26",
        "2020-01-01",
        "2020-04-10",
        "2020-04-13",
        "2020-05-08",
        "2020-05-25",
        "2020-08-31",
        "2020-12-25",
        "2020-12-28",
        "2021-01-01",
        "2021-04-02",
        "2021-04-05",
        "2021-05-03",
        "2021-05-31",
        "2021-08-30",
        "2021-12-27",
        "2021-12-28",
        "2022-01-03",
        "2022-04-15",
        "2022-04-18",
        "2022-05-02",
        "2022-06-02",
        "2022-06-03",
        "2022-08-29",
        "2022-09-19",
        "2022-12-26",
        "2022-12-27",
        "2023-01-02",
        "2023-04-07",
        "2023-04-10",
        "2023-05-01",
        "2023-05-08",
        "2023-05-29",
        "2023-08-28",
        "2023-12-25",
        "2023-12-26",
        "2024-01-01",
        "2024-03-29",
        "2024-04-01",
        "2024-05-06",
        "2024-05-27",
        "2024-08-26",
        "2024-12-25",
        "2024-12-26",
        "2025-01-01",
        "2025-04-18",
        "2025-04-21",
        "2025-05-05",
        "2025-05-26",
        "2025-08-25",
        "2025-12-25",
        "2025-12-26",
        "2026-01-01",
        "2026-04-03",
        "2026-04-06",
        "2026-05-04",
        "2026-05-25",
        "2026-08-31",
        "2026-12-25",
        "2026-12-28",
        "2027-01-01",
        "2027-03-26",
        "2027-03-29",
        "2027-05-03",
        "2027-05-31",
        "2027-08-30",
        "2027-12-27",
        "2027-12-28",
        "2028-01-03",
        "2028-04-14",
        "2028-04-17",
        "2028-05-01",
        "2028-05-29",
        "2028-08-28",
        "2028-12-25",
        "2028-12-26",
        "2029-01-01",
        "2029-03-30",
        "2029-04-02",
        "2029-05-07",
        "2029-05-28",
        "2029-08-27",
        "2029-12-25",
        "2029-12-26",
        "2030-01-01",
        "2030-04-19",
        "2030-04-22",
        "2030-05-06",
        "2030-05-27",
        "2030-08-26",
        "2030-12-25",
        "2030-12-26",
    ]
)
FIRST_YEAR, LAST_YEAR = 2019, 2030


class PauseReason(StrEnum):
    """Why the clock stopped (the only three reasons Article 12A allows)."""

    IDENTITY = "identity"
    CLARIFICATION = "clarification"
    FEE = "fee"


class Rag(StrEnum):
    """Red / amber / green status of an open request."""

    RED = "red"
    AMBER = "amber"
    GREEN = "green"
    PAUSED = "paused"


@dataclass(frozen=True)
class Pause:
    """One stop of the clock; ``ended_on`` is None while it is still stopped."""

    reason: PauseReason
    started_on: dt.date
    ended_on: dt.date | None = None

    def days(self, today: dt.date) -> int:
        """Days the clock was (or, while open, has so far been) stopped."""
        end = self.ended_on if self.ended_on is not None else max(today, self.started_on)
        return max(0, (end - self.started_on).days)


@dataclass(frozen=True)
class Deadline:
    """When a response is due, and how that date was reached."""

    due_on: dt.date
    statutory_on: dt.date  # one month (plus extension), before pauses and working-day roll
    paused_days: int
    extension_months: int
    paused: bool  # the clock is stopped now: due_on is provisional (it moves each day)

    def days_left(self, today: dt.date) -> int:
        return (self.due_on - today).days


def add_months(day: dt.date, months: int) -> dt.date:
    """The corresponding date ``months`` later; the month's last day when it has no such date."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def is_bank_holiday(day: dt.date) -> bool:
    """Whether ``day`` is an England & Wales bank holiday (table covers 2019-2030)."""
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(
            f"no bank-holiday table for {day.year}; extend BANK_HOLIDAYS_ENGLAND_WALES from GOV.UK"
        )
    return day in BANK_HOLIDAYS_ENGLAND_WALES


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and not is_bank_holiday(day)


def next_working_day(day: dt.date) -> dt.date:
    """``day`` itself if it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def compute_deadline(
    received_on: dt.date,
    pauses: Iterable[Pause] = (),
    *,
    extension_months: int = 0,
    today: dt.date | None = None,
) -> Deadline:
    """The response deadline of a request received on ``received_on``.

    ``today`` matters only while a pause is open (the deadline moves one day per paused day).
    """
    if not 0 <= extension_months <= MAX_EXTENSION_MONTHS:
        raise ValueError(f"an extension is 0 to {MAX_EXTENSION_MONTHS} months")
    today = today or dt.date.today()
    pauses = list(pauses)
    for pause in pauses:
        if pause.started_on < received_on:
            raise ValueError("a pause cannot start before the request was received")
        if pause.ended_on is not None and pause.ended_on < pause.started_on:
            raise ValueError("a pause cannot end before it starts")
    statutory = add_months(received_on, 1 + extension_months)
    paused_days = sum(p.days(today) for p in pauses)
    due = next_working_day(statutory + dt.timedelta(days=paused_days))
    return Deadline(
        due_on=due,
        statutory_on=statutory,
        paused_days=paused_days,
        extension_months=extension_months,
        paused=any(p.ended_on is None for p in pauses),
    )


def rag_status(deadline: Deadline, today: dt.date) -> Rag:
    """Red when overdue or due within 3 days, amber within 10, green otherwise; paused apart."""
    if deadline.paused:
        return Rag.PAUSED
    left = deadline.days_left(today)
    if left <= RED_DAYS:
        return Rag.RED
    if left <= AMBER_DAYS:
        return Rag.AMBER
    return Rag.GREEN


def extension_notice_due(received_on: dt.date) -> dt.date:
    """The last day to tell the requester about an extension: within the first month."""
    return add_months(received_on, 1)
