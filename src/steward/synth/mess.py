"""The ways synthetic returns are messy on purpose, and how each local authority writes its data.

Every kind of mess is an enum member below, so the reader's tests can ask for "a file with
``MessKind.DATE_TEXT``" and the generator records where it planted each kind
(``SynthResult.mess``). Cell-level styles (how dates, months, genders and flags look) are fixed
per local authority, as real LAs keep their own export habits; row-level mess is drawn per child
from the seed whether or not mess is on, so a tidy and a messy run hold the same children.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from steward.returns.layout import ReturnField


class MessKind(StrEnum):
    """One kind of mess a messy synthetic return may contain."""

    TITLE_BLOCK = "title_block"  # two title rows, header on row 3
    HEADING_VARIANTS = "heading_variants"  # human headings from the layout, varying by LA/return
    HEADING_MISSPELT = "heading_misspelt"  # misspelt / re-spaced / re-cased headings
    DATE_SERIAL = "date_serial"  # dates as bare Excel serial numbers (no date format)
    DATE_TEXT = "date_text"  # dates as dd/mm/yyyy text
    MONTH_FORMATS = "month_formats"  # birth month as MM/YYYY text or a full date cell
    GENDER_CODES = "gender_codes"  # gender as M/F or 1/2
    FLAG_CODES = "flag_codes"  # yes/no flags as Y/N or 1/0
    EXTRA_COLUMN = "extra_column"  # an unexpected free-text column the reader must drop
    MISSING_EDUCATION = "missing_education"  # fsm_ever and pupil_premium columns absent
    DUPLICATE_REFERRALS = "duplicate_referrals"  # a first referral repeated on the same date
    MISSING_ETHNICITY = "missing_ethnicity"  # ethnicity blank for a few children
    BIRTH_AFTER_REFERRAL = "birth_after_referral"  # birth month later than the referral
    LEADING_ZERO_IDS = "leading_zero_ids"  # child ids like "000123", as text cells


MESS_KINDS: tuple[MessKind, ...] = tuple(MessKind)

# Extra column written into one return of some LAs (fictional text).
EXTRA_COLUMN_HEADING = "Social worker notes"
EXTRA_COLUMN_NOTES = (
    "Visit arranged",
    "See case file",
    "Awaiting school report",
    "Family support offered",
    "Closed to team",
    "",
)
EDUCATION_FIELDS = ("fsm_ever", "pupil_premium")

# Headings not in the layout's list: a reader must match these fuzzily.
MISSPELT_HEADINGS: dict[str, tuple[str, ...]] = {
    "child_id": ("Child  ID", "CHILD ID"),
    "referral_id": ("Referal ID / Case ID", "referral id or case id"),
    "referral_date": ("Referal Date", "Date Of Referral "),
    "birth_month": ("Year & month of birth of child", "Month/Year of Birth"),
    "gender": ("gender ", "GENDER"),
    "ethnicity": ("Ethnicity ", "Ethnic Group"),
    "disabled": ("Disabled Status", "Disabled?"),
    "uasc": ("UASC ", "Unaccompanied Asylum Seeking Child"),
    "previous_cpp": ("No. of previous CP plans", "Number previous child protection plans"),
    "referral_nfa": ("Referral - NFA", "referral NFA"),
    "cpp_start_date": ("CP plan start date ", "Child Protection Plan Start"),
    "cla_start_date": ("Date Period Of Care Commenced", "Date POC started"),
    "poc_start_date": ("Period of Care Start Date", "POC start"),
    "episode_start_date": ("Date Episode Commenced", "Episode start"),
    "closure_date": ("CIN Closure Date", "Closure date"),
    "activity_date": ("Date Of Activity", "Activity date"),
}

DateStyle = Literal["date_cell", "serial", "text"]
MonthStyle = Literal["iso", "mm_yyyy", "date_cell"]
GenderStyle = Literal["word", "letter", "number"]
FlagStyle = Literal["yes_no", "y_n", "one_zero"]


@dataclass(frozen=True)
class LaStyle:
    """How one local authority writes cells and headings in its returns."""

    dates: DateStyle = "date_cell"
    months: MonthStyle = "iso"
    gender: GenderStyle = "word"
    flags: FlagStyle = "yes_no"
    leading_zero_ids: bool = False
    title_block: bool = False
    heading_seed: int = -1  # -1: canonical field names; else picks among known headings
    misspelt: bool = False  # some headings misspelt (chosen per return)
    extra_column: bool = False  # this return carries the free-text notes column
    missing_education: bool = False  # this return lacks the education fields
    row_mess: bool = False  # duplicates, missing ethnicity, birth after referral


TIDY = LaStyle()

# Fixed habits per LA position (cycled for studies with more LAs). Each cell-level kind of mess
# appears in at least one LA.
_HABITS: tuple[tuple[DateStyle, MonthStyle, GenderStyle, FlagStyle, bool], ...] = (
    ("date_cell", "iso", "word", "yes_no", True),  # e.g. Rochdale: ids with leading zeros
    ("text", "mm_yyyy", "letter", "y_n", False),
    ("serial", "date_cell", "number", "one_zero", False),
    ("date_cell", "iso", "word", "y_n", False),
    ("text", "mm_yyyy", "letter", "yes_no", False),
)


def la_style(la_index: int, return_index: int, n_returns: int, *, mess: bool) -> LaStyle:
    """The style of one LA's ``return_index``-th submission (of ``n_returns``) of a return type.

    The extra column goes into the last return of LAs at even positions, the missing education
    fields into the first return of LAs at odd positions, misspelt headings into every second
    return, so each kind appears in a multi-LA run without every file carrying everything.
    """
    if not mess:
        return TIDY
    dates, months, gender, flags, zeros = _HABITS[la_index % len(_HABITS)]
    return LaStyle(
        dates=dates,
        months=months,
        gender=gender,
        flags=flags,
        leading_zero_ids=zeros,
        title_block=True,
        heading_seed=la_index * 7 + return_index,
        misspelt=(la_index + return_index) % 2 == 0,
        extra_column=la_index % 2 == 0 and return_index == n_returns - 1,
        missing_education=la_index % 2 == 1 and return_index == 0,
        row_mess=True,
    )


def heading_for(field: ReturnField, style: LaStyle, position: int) -> str:
    """The heading an LA writes for ``field`` (the ``position``-th column of its sheet)."""
    if style.heading_seed < 0:
        return field.name
    key = style.heading_seed + position
    if style.misspelt and field.name in MISSPELT_HEADINGS and key % 3 == 0:
        variants = MISSPELT_HEADINGS[field.name]
        return variants[key % len(variants)]
    # The layout lists the canonical name first; a messy LA uses one of the human headings.
    human = field.headings[1:] or field.headings
    return human[key % len(human)]
