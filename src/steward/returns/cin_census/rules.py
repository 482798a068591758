"""DfE-style validation rules for the CIN census, one rule per unit: code, message, fields, severity.

Each rule looks at one batch (pandas frames per table) and returns the failing rows as
(child_seq, field) pairs. A child with any *blocking* failure is quarantined whole, with the
reasons; warnings are reported and the child is kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from steward.returns.cin_census import codes

Severity = Literal["blocking", "warning"]
Frames = dict[str, pd.DataFrame]
UPN = re.compile(r"^[A-Za-z]\d{12}$|^[A-Za-z]\d{11}[A-Za-z]$")


@dataclass(frozen=True)
class CinRule:
    code: str
    message: str
    table: str
    fields: tuple[str, ...]
    severity: Severity
    check: Callable[[Frames, int], pd.Series]  # boolean mask over the table: True = fails


RULES: list[CinRule] = []


def rule(
    code: str, message: str, table: str, fields: tuple[str, ...], severity: Severity
) -> Callable[[Callable[[Frames, int], pd.Series]], Callable[[Frames, int], pd.Series]]:
    def register(check: Callable[[Frames, int], pd.Series]) -> Callable[[Frames, int], pd.Series]:
        RULES.append(CinRule(code, message, table, fields, severity, check))
        return check

    return register


def _not_in(series: pd.Series, allowed: frozenset[str]) -> pd.Series:
    return series.notna() & ~series.isin(allowed)


def _with_referral(frames: Frames, table: str) -> pd.DataFrame:
    episodes = frames["cin_episodes"][["child_seq", "episode_seq", "referral_date"]]
    return frames[table].merge(episodes, on=["child_seq", "episode_seq"], how="left")


@rule("CIN100", "LAchildID is missing", "cin_children", ("LAchildID",), "blocking")
def _missing_id(f: Frames, year: int) -> pd.Series:
    return f["cin_children"]["child_id"].isna()


@rule("CIN101", "UPN is not a valid unique pupil number", "cin_children", ("UPN",), "blocking")
def _bad_upn(f: Frames, year: int) -> pd.Series:
    upn = f["cin_children"]["upn"]
    return upn.notna() & ~upn.fillna("").str.match(UPN)


@rule(
    "CIN102",
    "FormerUPN is not a valid unique pupil number",
    "cin_children",
    ("FormerUPN",),
    "warning",
)
def _bad_former_upn(f: Frames, year: int) -> pd.Series:
    upn = f["cin_children"]["former_upn"]
    return upn.notna() & ~upn.fillna("").str.match(UPN)


@rule("CIN103", "UPNunknown is not one of UN1–UN7", "cin_children", ("UPNunknown",), "warning")
def _bad_upn_unknown(f: Frames, year: int) -> pd.Series:
    return _not_in(f["cin_children"]["upn_unknown"], codes.UPN_UNKNOWN)


@rule(
    "CIN104",
    "neither PersonBirthDate nor ExpectedPersonBirthDate is given",
    "cin_children",
    ("PersonBirthDate",),
    "warning",
)
def _no_birth(f: Frames, year: int) -> pd.Series:
    c = f["cin_children"]
    return c["birth_date"].isna() & c["expected_birth_date"].isna()


@rule(
    "CIN105",
    "gender / sex code is not in the code list",
    "cin_children",
    ("GenderCurrent", "Sex"),
    "warning",
)
def _bad_gender(f: Frames, year: int) -> pd.Series:
    c = f["cin_children"]
    sex_ok = c["sex"].isin(codes.SEX | codes.GENDER_CURRENT)
    return _not_in(c["gender_current"], codes.GENDER_CURRENT) | (c["sex"].notna() & ~sex_ok)


@rule(
    "CIN106",
    "gender is missing (GenderCurrent up to 2023-24, Sex from 2024-25)",
    "cin_children",
    ("GenderCurrent", "Sex"),
    "warning",
)
def _no_gender(f: Frames, year: int) -> pd.Series:
    c = f["cin_children"]
    return c["gender_current"].isna() & c["sex"].isna()


@rule(
    "CIN107", "Ethnicity is not in the code list", "cin_characteristics", ("Ethnicity",), "warning"
)
def _bad_ethnicity(f: Frames, year: int) -> pd.Series:
    return _not_in(f["cin_characteristics"]["ethnicity"], codes.ETHNICITY)


@rule(
    "CIN108", "Disability is not in the code list", "cin_disabilities", ("Disability",), "warning"
)
def _bad_disability(f: Frames, year: int) -> pd.Series:
    return _not_in(f["cin_disabilities"]["disability"], codes.DISABILITY)


@rule("CIN110", "CINreferralDate is missing", "cin_episodes", ("CINreferralDate",), "blocking")
def _no_referral(f: Frames, year: int) -> pd.Series:
    return f["cin_episodes"]["referral_date"].isna()


@rule(
    "CIN111",
    "ReferralSource is not in this year's code list",
    "cin_episodes",
    ("ReferralSource",),
    "warning",
)
def _bad_source(f: Frames, year: int) -> pd.Series:
    return _not_in(f["cin_episodes"]["referral_source"], codes.referral_sources(year))


@rule(
    "CIN112",
    "ReasonForClosure is not in this year's code list",
    "cin_episodes",
    ("ReasonForClosure",),
    "warning",
)
def _bad_closure(f: Frames, year: int) -> pd.Series:
    return _not_in(f["cin_episodes"]["closure_reason"], codes.closure_reasons(year))


@rule(
    "CIN113",
    "CINclosureDate is before CINreferralDate",
    "cin_episodes",
    ("CINclosureDate",),
    "blocking",
)
def _closure_before(f: Frames, year: int) -> pd.Series:
    e = f["cin_episodes"]
    return (e["closure_date"] < e["referral_date"]).fillna(False).astype(bool)


@rule(
    "CIN114",
    "PrimaryNeedCode is not in the code list",
    "cin_episodes",
    ("PrimaryNeedCode",),
    "warning",
)
def _bad_need(f: Frames, year: int) -> pd.Series:
    return _not_in(f["cin_episodes"]["primary_need"], codes.PRIMARY_NEED)


@rule(
    "CIN115",
    "PersonBirthDate is after CINreferralDate",
    "cin_episodes",
    ("PersonBirthDate", "CINreferralDate"),
    "blocking",
)
def _born_after(f: Frames, year: int) -> pd.Series:
    e = f["cin_episodes"].merge(f["cin_children"][["child_seq", "birth_date"]], on="child_seq")
    return (
        (e["birth_date"] > e["referral_date"])
        .fillna(False)
        .astype(bool)
        .set_axis(f["cin_episodes"].index)
    )


@rule(
    "CIN120",
    "AssessmentActualStartDate is before the CIN referral date",
    "cin_assessments",
    ("AssessmentActualStartDate",),
    "blocking",
)
def _assessment_before(f: Frames, year: int) -> pd.Series:
    a = _with_referral(f, "cin_assessments")
    return (
        (a["assessment_start_date"] < a["referral_date"])
        .fillna(False)
        .astype(bool)
        .set_axis(f["cin_assessments"].index)
    )


@rule(
    "CIN121",
    "AssessmentAuthorisationDate is before AssessmentActualStartDate",
    "cin_assessments",
    ("AssessmentAuthorisationDate",),
    "blocking",
)
def _authorised_before(f: Frames, year: int) -> pd.Series:
    a = f["cin_assessments"]
    return (a["assessment_authorised_date"] < a["assessment_start_date"]).fillna(False).astype(bool)


@rule(
    "CIN122",
    "assessment factor is not in this year's code list",
    "cin_assessment_factors",
    ("AssessmentFactors",),
    "warning",
)
def _bad_factor(f: Frames, year: int) -> pd.Series:
    return _not_in(f["cin_assessment_factors"]["factor"], codes.assessment_factors(year))


@rule(
    "CIN130",
    "CINPlanEndDate is before CINPlanStartDate",
    "cin_plans",
    ("CINPlanEndDate",),
    "blocking",
)
def _plan_end(f: Frames, year: int) -> pd.Series:
    p = f["cin_plans"]
    return (p["cin_plan_end_date"] < p["cin_plan_start_date"]).fillna(False).astype(bool)


@rule("CIN140", "CPPendDate is before CPPstartDate", "cin_cp_plans", ("CPPendDate",), "blocking")
def _cpp_end(f: Frames, year: int) -> pd.Series:
    p = f["cin_cp_plans"]
    return (p["cpp_end_date"] < p["cpp_start_date"]).fillna(False).astype(bool)


@rule(
    "CIN141",
    "category of abuse is not in the code list",
    "cin_cp_plans",
    ("InitialCategoryOfAbuse", "LatestCategoryOfAbuse"),
    "warning",
)
def _bad_abuse(f: Frames, year: int) -> pd.Series:
    p = f["cin_cp_plans"]
    return _not_in(p["initial_category"], codes.CATEGORY_OF_ABUSE) | _not_in(
        p["latest_category"], codes.CATEGORY_OF_ABUSE
    )


@rule(
    "CIN142",
    "CPPstartDate is before the CIN referral date",
    "cin_cp_plans",
    ("CPPstartDate",),
    "warning",
)
def _cpp_before(f: Frames, year: int) -> pd.Series:
    p = _with_referral(f, "cin_cp_plans")
    return (
        (p["cpp_start_date"] < p["referral_date"])
        .fillna(False)
        .astype(bool)
        .set_axis(f["cin_cp_plans"].index)
    )


@rule(
    "CIN150",
    "the same LAchildID appears twice with different dates of birth",
    "cin_children",
    ("LAchildID", "PersonBirthDate"),
    "blocking",
)
def _reused_id(f: Frames, year: int) -> pd.Series:
    c = f["cin_children"]
    births = c.groupby("child_id")["birth_date"].nunique(dropna=True)
    return c["child_id"].isin(births[births > 1].index)


def check(frames: Frames, year: int) -> list[tuple[CinRule, pd.Series]]:
    """Every rule with the child_seq of the rows it failed on (only rules that fired)."""
    fired = []
    for r in RULES:
        table = frames[r.table]
        if table.empty:
            continue
        mask = r.check(frames, year)
        if mask.any():
            fired.append((r, table.loc[mask.to_numpy(), "child_seq"]))
    return fired
