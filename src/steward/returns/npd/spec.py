"""Facts about the NPD extract the reader and the derived measures rely on.

Academic years are held as their start year (2018 = 2018/19). Persistent absence thresholds by
year follow DfE's "A guide to absence statistics": 10% of possible sessions from 2015/16, 15% for
2010/11 to 2014/15, 20% before. No absence data exists for 2019/20 (schools closed for COVID-19),
so a 2019/20 absence row cannot be genuine and a 2019/20 measure is "not collected", never zero.
"""

from __future__ import annotations

import re

TERMS = ("autumn", "spring", "summer")
ABSENCE_MEASURES = (
    ("SessionsPossible", "sessions_possible"),
    ("AuthorisedAbsence", "authorised_absence"),
    ("UnauthorisedAbsence", "unauthorised_absence"),
    ("OverallAbsence", "overall_absence"),
)
PMR_COLUMN = "PupilMatchingRefAnonymous"
NO_ABSENCE_YEARS = frozenset({2019})  # 2019/20: not collected (COVID-19)

# Flag columns of the school census FSM table: store name -> accepted headings.
FSM_FLAGS = {
    "fsm_eligible": ("FSMeligible", "FSM_Eligible"),
    "ever_fsm_6": ("EVERFSM_6",),
    "ever_fsm_6_p": ("EVERFSM_6_P",),
    "disadvantaged": ("Disadvantaged", "PupilPremium", "PupilPremiumEligible", "PP_Eligible"),
}

_YEAR_PATTERNS = (
    re.compile(r"^(\d{4})\s*[/-]\s*(\d{2}|\d{4})$"),  # 2018/19, 2018-2019
    re.compile(r"^(\d{4})(\d{2})$"),  # 201819
)
_SHORT = re.compile(r"^(\d{2})(\d{2})$")  # 1819 (the _abYY column suffix style)
_SUFFIX = re.compile(r"_ab(\d{2,6})$", re.IGNORECASE)


def academic_year(value: object, *, short: bool = False) -> int | None:
    """The start year of an academic year written as 2018/19, 2018-19, 201819 or 2018.

    ``short`` also reads DfE's column-suffix style ``1819``; it is off for year columns, where
    ``2021`` is the year starting in 2021, not 2020/21.
    """
    text = str(value).strip() if value is not None else ""
    for pattern in _YEAR_PATTERNS:
        m = pattern.match(text)
        if m:
            start, end = int(m.group(1)), int(m.group(2))
            if end % 100 == (start + 1) % 100:
                return start
            return None
    m = _SHORT.match(text) if short else None
    if m and int(m.group(2)) == (int(m.group(1)) + 1) % 100:
        return 2000 + int(m.group(1))
    if re.fullmatch(r"\d{4}", text) and 1990 <= int(text) <= 2100:
        return int(text)
    return None


def year_label(start: int) -> str:
    """2018 -> '2018/19'."""
    return f"{start}/{(start + 1) % 100:02d}"


def strip_year_suffix(heading: str) -> tuple[str, int | None]:
    """``SessionsPossible_Autumn_ab1819`` -> (``SessionsPossible_Autumn``, 2018)."""
    m = _SUFFIX.search(heading)
    if not m:
        return heading, None
    return heading[: m.start()], academic_year(m.group(1), short=True)


def persistent_threshold(start_year: int) -> float:
    """Share of possible sessions missed from which a pupil is persistently absent that year."""
    if start_year >= 2015:
        return 0.10
    if start_year >= 2010:
        return 0.15
    return 0.20
