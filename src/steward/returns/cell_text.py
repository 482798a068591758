"""How a cell's stored value reads as text, exactly as the previous reader (calamine) gave it.

Numbers as ``format(x, ".9f")`` with trailing zeros trimmed; numbers in a date or time format as
``YYYY-MM-DD HH:MM:SS[.fff]``, including calamine's shift of serials below 60 and the 1904 date
system; which number formats are dates. Kept apart from the streaming reader so the rules that
normalisation depends on sit in one small, separately tested place.
"""

from __future__ import annotations

import math

# Excel's built-in number formats 14-22 and 45-47 are dates, times or durations.
BUILTIN_DATE_FORMATS = frozenset({14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47})
EPOCH_1899_MS = -25569 * 86_400_000  # 1899-12-30 in ms since 1970-01-01
DAY_MS = 86_400_000
OFFSET_1904 = 1462.0


def number_text(value: float) -> str:
    """A number as fastexcel writes it: nine decimals, trailing zeros and point trimmed."""
    return f"{value:.9f}".rstrip("0").rstrip(".")


def _civil(days: int) -> tuple[int, int, int]:
    """(year, month, day) of ``days`` since 1970-01-01 (proleptic Gregorian, any year)."""
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (month <= 2), month, day


def _serial_ms(serial: float, date1904: bool) -> float:
    if date1904:
        serial += OFFSET_1904
    # Serials below 60 fall before Excel's phantom 29 February 1900; calamine moves them a day.
    if serial < 60.0:
        serial += 1.0
    scaled = serial * DAY_MS
    return math.copysign(math.floor(abs(scaled) + 0.5), scaled)  # half away from zero


def datetime_text(serial: float, date1904: bool = False) -> str | None:
    """A date-formatted serial as calamine shows it: ``YYYY-MM-DD HH:MM:SS[.fff]``."""
    ms = int(_serial_ms(serial, date1904)) + EPOCH_1899_MS
    days, in_day = divmod(ms, DAY_MS)
    year, month, day = _civil(days)
    if abs(year) > 262_000:  # beyond chrono's range: calamine gives no value
        return None
    secs, frac = divmod(in_day, 1000)
    text = f"{year:04d}" if 0 <= year <= 9999 else f"{year:+05d}"
    text += f"-{month:02d}-{day:02d} {secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}"
    return text + (f".{frac:03d}" if frac else "")


def is_date_format(code: str) -> bool:
    """Whether a custom number format shows a date, time or duration (calamine's test).

    Only the first section counts; text in quotes, escaped characters and bracketed parts
    (colours, conditions, locales) are skipped, except ``[h]``/``[m]``/``[s]`` durations.
    """
    escaped = in_quote = after_a = False
    brackets = 0
    prev = " "
    elapsed = False
    for ch in code:
        if escaped:
            escaped = False
        elif ch in "_\\":
            escaped = True
        elif in_quote:
            in_quote = ch != '"'
        elif ch == '"':
            in_quote = True
        elif ch == ";":
            return False
        elif ch == "[":
            brackets += 1
        elif ch == "]":
            if brackets == 1 and elapsed:
                return True
            brackets = max(brackets - 1, 0)
        elif brackets == 0 and not after_a and ch in "aA":
            after_a = True
        elif (brackets == 0 and after_a and ch in "pmPM/") or (
            brackets == 0 and not after_a and ch in "dmhysDMHYS"
        ):
            return True
        elif not (elapsed and ch.lower() == prev.lower()):
            elapsed = prev == "[" and ch in "mhsMHS"
        prev = ch
    return False
