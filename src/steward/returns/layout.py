"""The canonical layout of the evaluation's data returns (DR1, DR2, DR3).

One source of truth for: which tables each return has, each field's canonical name and type,
and the human headings local authorities are known to use for it. The reader matches headings
against these (then fuzzily), the synthetic generator writes them, and the pseudonymiser knows
from ``identifier`` which fields must never pass it raw.

Field types:
  string  text kept as text (identifiers keep leading zeros)
  date    a calendar date (Excel serial, ISO text or dd/mm/yyyy in the file)
  month   a year and month (YYYY-MM, MM/YYYY or a full date in the file); held as the 1st
  int, float, bool (yes/no, y/n, true/false, 1/0), code (normalised against a code list)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FieldType = Literal["string", "date", "month", "int", "float", "bool", "code"]


@dataclass(frozen=True)
class ReturnField:
    name: str
    type: FieldType
    headings: tuple[str, ...]
    required: bool = True
    identifier: bool = False  # a raw identifier: pseudonymised, never stored
    code_list: str | None = None  # name of the code list for type "code"


@dataclass(frozen=True)
class ReturnTable:
    """One sheet of a return: which return, the table's canonical name, its fields."""

    return_type: Literal["dr1", "dr2", "dr3"]
    name: str
    sheet_names: tuple[str, ...]
    fields: tuple[ReturnField, ...]
    # Fields identifying one event for de-duplication across successive returns.
    event_key: tuple[str, ...]

    def field(self, name: str) -> ReturnField:
        return next(f for f in self.fields if f.name == name)


def _f(name: str, type_: FieldType, *headings: str, **kw: object) -> ReturnField:
    return ReturnField(name, type_, (name, *headings), **kw)  # type: ignore[arg-type]


CHILD_ID = _f("child_id", "string", "Child ID", "Child Unique ID", "LA Child ID", identifier=True)
REFERRAL_ID = _f(
    "referral_id",
    "string",
    "referral_id_or_case_id",
    "Referral ID or Case ID",
    "Referral ID / Case ID",
    "Case ID",
    identifier=True,
)
BIRTH_MONTH = _f(
    "birth_month",
    "month",
    "year_and_month_of_birth_of_the_child",
    "Year and month of birth of the child",
    "Year and Month of Birth",
    "Date of birth (month/year)",
    "Month/Year of Birth",
)
CHILD_ATTRIBUTES = (
    BIRTH_MONTH,
    _f("gender", "code", "Gender", "Sex", code_list="gender"),
    _f("ethnicity", "code", "Ethnicity", "Ethnic group", required=False, code_list="ethnicity"),
    _f("disabled", "bool", "disabled_status", "Disabled status", "Disability", required=False),
    _f(
        "uasc",
        "bool",
        "unaccompanied_asylum_seeker",
        "Unaccompanied asylum seeker",
        "UASC",
        required=False,
    ),
    _f(
        "fsm_ever",
        "bool",
        "free_school_meal_eligibility_ever_fsm",
        "Free school meal eligibility (ever FSM)",
        "Ever FSM",
        required=False,
    ),
    _f(
        "pupil_premium",
        "bool",
        "pupil_premium_eligibility_for_reception_year_1_and_year_2",
        "Pupil premium eligibility for reception, year 1 and year 2",
        "Pupil Premium eligibility",
        required=False,
    ),
    _f(
        "previous_cpp",
        "int",
        "number_of_previous_child_protection_plans",
        "Number of previous child protection plans",
        "Number of previous CP plans",
        required=False,
    ),
)
REFERRAL_DATE = _f("referral_date", "date", "Referral date", "Date of referral")

DR1_MONTHLY = ReturnTable(
    "dr1",
    "dr1_monthly",
    ("DR1", "Monthly", "Aggregates", "LA level"),
    (
        _f("month", "month", "Month", "Reporting month", "Month ending"),
        _f("new_referrals", "int", "New referrals", "Number of new referrals"),
        _f("open_cin_cases", "int", "Open CIN cases", "Children in need (open cases)"),
        _f("cin_plans_started", "int", "CIN plans started", "New CIN plans"),
        _f("open_cpps", "int", "Open CPPs", "Open child protection plans"),
        _f("cpps_started", "int", "CPPs started", "Child protection plans started"),
        _f("cla_month_end", "int", "CLA at month end", "Children looked after at month end"),
        _f("cla_started", "int", "Children newly looked after", "CLA started"),
        _f("cla_rate_per_10k", "float", "CLA rate per 10,000 children", "CLA rate per 10k"),
        _f(
            "prop_fsm_eligible",
            "float",
            "Proportion eligible for FSM",
            "Proportion eligible for free school meals",
            required=False,
        ),
        _f(
            "prop_white_british",
            "float",
            "Proportion White British",
            "Proportion of children White British",
            required=False,
        ),
        _f(
            "sw_turnover_rate_fte",
            "float",
            "Social worker turnover rate (FTE)",
            "SW turnover rate FTE",
            required=False,
        ),
        _f(
            "sw_agency_rate_fte",
            "float",
            "Agency social worker rate (FTE)",
            "Agency worker rate FTE",
            required=False,
        ),
    ),
    event_key=("month",),
)

DR2_REFERRALS = ReturnTable(
    "dr2",
    "dr2_referrals",
    ("Referrals", "DR2 Referrals", "Referral"),
    (
        CHILD_ID,
        REFERRAL_ID,
        REFERRAL_DATE,
        _f(
            "referral_nfa",
            "bool",
            "referral_no_further_action",
            "Referral no further action",
            "Referral NFA",
            required=False,
        ),
        *CHILD_ATTRIBUTES,
    ),
    event_key=("child_id", "referral_id", "referral_date"),
)

DR2_CP = ReturnTable(
    "dr2",
    "dr2_cp",
    ("CP", "Child protection", "CPP"),
    (
        CHILD_ID,
        REFERRAL_ID,
        _f(
            "cpp_start_date",
            "date",
            "child_protection_plan_start_date",
            "CP Plan Start Date",
            "Child protection plan start date",
        ),
        *CHILD_ATTRIBUTES,
    ),
    event_key=("child_id", "cpp_start_date"),
)

DR2_CLA = ReturnTable(
    "dr2",
    "dr2_cla",
    ("CLA", "Looked after", "Children looked after"),
    (
        CHILD_ID,
        REFERRAL_ID,
        _f(
            "cla_start_date",
            "date",
            "date_period_of_care_commenced",
            "Date period of care commenced",
            "Date POC commenced",
        ),
        *CHILD_ATTRIBUTES,
    ),
    event_key=("child_id", "cla_start_date"),
)

DR3_PERIODS_OF_CARE = ReturnTable(
    "dr3",
    "dr3_periods_of_care",
    ("Periods of care", "POC"),
    (
        CHILD_ID,
        _f(
            "poc_start_date",
            "date",
            "Period of care start date",
            "Date period of care started",
            "POC start",
        ),
        _f(
            "poc_end_date",
            "date",
            "Date left care",
            "Period of care end date",
            required=False,
        ),
    ),
    event_key=("child_id", "poc_start_date"),
)

DR3_CARE_EPISODES = ReturnTable(
    "dr3",
    "dr3_care_episodes",
    ("Care episodes", "Episodes"),
    (
        CHILD_ID,
        _f(
            "episode_start_date",
            "date",
            "Date episode commenced",
            "Episode start date",
            "Episode start",
        ),
        _f("episode_end_date", "date", "Date episode ceased", "Episode end date", required=False),
        _f("legal_status", "code", "Legal status", required=False, code_list="legal_status"),
        _f("placement_type", "code", "Placement type", required=False, code_list="placement"),
    ),
    event_key=("child_id", "episode_start_date"),
)

DR3_NEET = ReturnTable(
    "dr3",
    "dr3_neet",
    ("NEET", "Main activity"),
    (
        CHILD_ID,
        BIRTH_MONTH,
        _f("activity_date", "date", "Date of activity", "Activity recorded date"),
        _f("main_activity", "code", "Main activity", "Activity", code_list="main_activity"),
    ),
    event_key=("child_id", "activity_date"),
)

DR3_CIN_CLOSURES = ReturnTable(
    "dr3",
    "dr3_cin_closures",
    ("CIN closures", "Closures"),
    (
        CHILD_ID,
        REFERRAL_ID,
        _f("closure_date", "date", "CIN closure date", "Date case closed"),
        _f(
            "closure_reason",
            "code",
            "Reason for closure",
            "Closure reason",
            required=False,
            code_list="closure_reason",
        ),
    ),
    event_key=("child_id", "referral_id", "closure_date"),
)

TABLES: tuple[ReturnTable, ...] = (
    DR1_MONTHLY,
    DR2_REFERRALS,
    DR2_CP,
    DR2_CLA,
    DR3_PERIODS_OF_CARE,
    DR3_CARE_EPISODES,
    DR3_NEET,
    DR3_CIN_CLOSURES,
)
TABLES_BY_NAME = {t.name: t for t in TABLES}

# Provenance columns added to every table by the reader.
PROVENANCE = ("la_code", "return_month", "submission_id", "source_sheet", "source_row")
