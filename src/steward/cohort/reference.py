"""A slow, obviously-correct pandas version of the cohort builder, for tests only.

Every engine's cohort must agree with this one row for row. It reads the same current views
(as DataFrames), maps them onto the cohort's sources as :mod:`.sources` does (evaluation or
statutory returns) and applies the rules in ``builder``'s docstring one step at a time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from steward.cohort.builder import EXCLUDING_FLAGS, FLOW_STEPS, Cohort
from steward.returns.codes import ETHNICITY_GROUP_MISSING as MISSING_GROUP
from steward.returns.codes import ETHNICITY_GROUPS
from steward.study.definition import CohortSources, StudyDefinition


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months later, clamped to the month's last day (as SQL intervals do)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def rows_of(frame: pd.DataFrame) -> list[Any]:
    """Rows as named tuples (typed loosely: this is the slow, readable reference)."""
    return list(frame.itertuples(index=False))


def _whole_months(start: dt.date, day: dt.date) -> int:
    return _months_between(start, day) - (day.day < start.day)


def _months_between(birth: dt.date, day: dt.date) -> int:
    return (day.year - birth.year) * 12 + (day.month - birth.month)


@dataclass
class SourceFrames:
    """The cohort relations of :mod:`.sources`, as DataFrames."""

    referrals: pd.DataFrame  # la_code, child_pid, referral_pid, referral_date, ... source_row
    history: pd.DataFrame  # la_code, child_pid of every stored referral row
    care_starts: pd.DataFrame  # la_code, child_pid, care_start
    cp_starts: pd.DataFrame  # la_code, child_pid, cpp_start_date
    closures: pd.DataFrame  # la_code, child_pid, referral_pid, closure_date
    monthly: pd.DataFrame  # la_code, month, LA indicators


def _pairs(frame: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(frame["la_code"], frame["child_pid"], strict=True))


def _statutory_pid(child_pid: str, day: dt.date) -> str:
    return f"{child_pid}/{day.isoformat()}"


def _statutory_sources(tables: dict[str, pd.DataFrame]) -> SourceFrames:
    episodes = tables["cin_episodes"]
    children = {
        (r.la_code, r.child_pid): r for r in rows_of(tables["cin_children"])
    }  # one current row per child
    disab = tables["cin_disabilities"]
    disabled = _pairs(disab[disab["disability"].str.strip().str.upper() != "NONE"])
    uasc = _pairs(tables["s903_uasc"]) if "s903_uasc" in tables else set()
    plans = tables["cin_cp_plans"]
    rows = []
    for e in rows_of(episodes):
        child = children.get((e.la_code, e.child_pid))
        mine = plans[(plans.la_code == e.la_code) & (plans.child_pid == e.child_pid)]
        rows.append(
            {
                "la_code": e.la_code,
                "child_pid": e.child_pid,
                "referral_pid": None
                if pd.isna(e.referral_date)
                else _statutory_pid(e.child_pid, e.referral_date),
                "referral_date": e.referral_date,
                "referral_nfa": e.referral_nfa,
                "birth_year_month": None if child is None else child.birth_year_month,
                "gender": None if child is None else child.gender,
                "ethnicity": None if child is None else child.ethnicity,
                "disabled": (e.la_code, e.child_pid) in disabled,
                "uasc": (e.la_code, e.child_pid) in uasc,
                "previous_cpp": 0
                if pd.isna(e.referral_date)
                else sum(s < e.referral_date for s in mine["cpp_start_date"].dropna()),
                "source_row": e.source_row,
            }
        )
    closed = episodes[episodes["closure_date"].notna()]
    return SourceFrames(
        referrals=pd.DataFrame(rows, columns=list(_REFERRAL_COLUMNS)),
        history=tables["cin_episodes_history"],
        care_starts=tables["s903_periods_of_care"][["la_code", "child_pid", "period_start"]]
        .rename(columns={"period_start": "care_start"})
        .dropna()
        .drop_duplicates(),
        cp_starts=plans[["la_code", "child_pid", "cpp_start_date"]],
        closures=pd.DataFrame(
            {
                "la_code": closed["la_code"],
                "child_pid": closed["child_pid"],
                "referral_pid": [
                    _statutory_pid(c, d)
                    for c, d in zip(closed["child_pid"], closed["referral_date"], strict=True)
                ],
                "closure_date": closed["closure_date"],
            }
        ),
        monthly=pd.DataFrame(columns=["la_code", "month", *_INDICATORS]),
    )


_REFERRAL_COLUMNS = (
    "la_code", "child_pid", "referral_pid", "referral_date", "referral_nfa", "birth_year_month",
    "gender", "ethnicity", "disabled", "uasc", "previous_cpp", "source_row",
)  # fmt: skip
_INDICATORS = ("cla_rate_per_10k", "prop_white_british", "sw_turnover_rate_fte")


def reference_sources(tables: dict[str, pd.DataFrame], sources: CohortSources) -> SourceFrames:
    """The cohort relations from ``tables`` (current views by store table name, and
    ``<table>_history`` for the referral table's stored rows)."""
    if sources == "statutory_returns":
        return _statutory_sources(tables)
    care = pd.concat(
        [
            tables["dr3_periods_of_care"][["la_code", "child_pid", "poc_start_date"]].rename(
                columns={"poc_start_date": "care_start"}
            ),
            tables["dr2_cla"][["la_code", "child_pid", "cla_start_date"]].rename(
                columns={"cla_start_date": "care_start"}
            ),
        ]
    )
    closures = tables.get("dr3_cin_closures")
    return SourceFrames(
        referrals=tables["dr2_referrals"][list(_REFERRAL_COLUMNS)],
        history=tables["dr2_referrals_history"],
        care_starts=care.dropna().drop_duplicates(),
        cp_starts=tables["dr2_cp"][["la_code", "child_pid", "cpp_start_date"]],
        closures=closures[["la_code", "child_pid", "referral_pid", "closure_date"]]
        if closures is not None
        else pd.DataFrame(columns=["la_code", "child_pid", "referral_pid", "closure_date"]),
        monthly=tables["dr1_monthly"][["la_code", "month", *_INDICATORS]],
    )


def _tie_key(row: Any) -> tuple[bool, str, bool, int]:
    """Referral id then source row, missing last (as the SQL's NULLS LAST)."""
    pid_missing = row.referral_pid is None or pd.isna(row.referral_pid)
    row_missing = row.source_row is None or pd.isna(row.source_row)
    return (
        pid_missing,
        "" if pid_missing else str(row.referral_pid),
        row_missing,
        0 if row_missing else int(row.source_row),
    )


def build_cohort_reference(tables: dict[str, pd.DataFrame], study: StudyDefinition) -> Cohort:
    """``tables`` holds the current views the study's sources read (evaluation: dr2_referrals,
    dr2_cla, dr2_cp, dr3_periods_of_care, dr1_monthly; statutory: cin_episodes, cin_children,
    cin_disabilities, cin_cp_plans, s903_periods_of_care, s903_uasc if held), submissions,
    subject_flags and ``<referral table>_history`` (la_code, child_pid of every stored referral
    row, for counting flagged children)."""
    src = reference_sources(tables, study.sources)
    las = {la.code: la for la in study.local_authorities}
    refs = src.referrals
    refs = refs[refs["la_code"].isin(las) & refs["referral_date"].notna()].copy()
    flagged = set(
        tables["subject_flags"].loc[
            tables["subject_flags"]["flag"].isin(EXCLUDING_FLAGS), "child_pid"
        ]
    )
    firsts = refs.groupby(["la_code", "child_pid"])["referral_date"].min()
    lo, hi = study.eligibility.age_years.min * 12, study.eligibility.age_years.max * 12 + 11

    flow_rows = []
    kept: list[Any] = []
    la_code: Any
    for la_code, group in refs.groupby("la_code"):
        counts = dict.fromkeys(FLOW_STEPS, 0)
        counts["rows_in"] = len(group)
        candidates = []
        for row in rows_of(group):
            if row.birth_year_month is None or pd.isna(row.birth_year_month):
                counts["missing_dob"] += 1
                continue
            birth = dt.date.fromisoformat(f"{row.birth_year_month}-01")
            if birth > row.referral_date:
                counts["dob_after_referral"] += 1
                continue
            if not study.trial_period.contains(row.referral_date):
                counts["outside_window"] += 1
                continue
            if not lo <= _months_between(birth, row.referral_date) <= hi:
                counts["outside_age"] += 1
                continue
            candidates.append(row)
        first_children: dict[str, Any] = {}
        for row in sorted(candidates, key=_tie_key):
            if row.referral_date == firsts[(la_code, row.child_pid)]:
                first_children.setdefault(row.child_pid, row)
        counts["not_first_referral"] = len(candidates) - len(first_children)
        history = src.history
        in_la = set(history.loc[history["la_code"] == la_code, "child_pid"])
        counts["restricted_or_objected"] = len(in_la & flagged)
        chosen = list(first_children.values())
        counts["analysed"] = len(chosen)
        flow_rows.append({"la_code": la_code, **counts})
        kept.extend(chosen)

    care = src.care_starts.rename(columns={"care_start": "start"})
    cps = src.cp_starts
    data_end = tables["submissions"].groupby("la_code")["return_month"].max()
    monthly = src.monthly.set_index(["la_code", "month"])
    horizon, censor = study.outcome.within_months, study.outcome.censor_at_age_years

    out = []
    for r in kept:
        la = las[r.la_code]
        birth = dt.date.fromisoformat(f"{r.birth_year_month}-01")
        age = _months_between(birth, r.referral_date)
        end_month = data_end[r.la_code]
        last_day = add_months(end_month.replace(day=1), 1) - dt.timedelta(days=1)
        horizon_end = add_months(r.referral_date, horizon)
        followup_end = min(horizon_end, add_months(birth, censor * 12), last_day + dt.timedelta(1))
        starts = care[(care.la_code == r.la_code) & (care.child_pid == r.child_pid)]["start"]
        after = sorted(s for s in starts if s >= r.referral_date)
        first_care = after[0] if after else None
        event = first_care is not None and first_care < followup_end
        cp_starts = cps[(cps.la_code == r.la_code) & (cps.child_pid == r.child_pid)]
        open_cpp = any(
            r.referral_date - dt.timedelta(365) <= s <= r.referral_date + dt.timedelta(45)
            for s in cp_starts["cpp_start_date"].dropna()
        )
        key = (r.la_code, r.referral_date.replace(day=1))
        indicators = monthly.loc[key] if key in monthly.index else None
        prev = r.previous_cpp
        out.append(
            {
                "child_pid": r.child_pid,
                "referral_pid": r.referral_pid,
                "local_authority": r.la_code,
                "la_name": la.name,
                "in_primary_analysis": la.in_primary_analysis,
                "la_readiness": la.readiness,
                "referral_date": r.referral_date,
                "age_months_at_referral": age,
                "age_group": "12-13" if age < 168 else "14-15" if age < 192 else "16-17",
                "treatment_group": int(r.referral_date >= la.go_live),
                "months_since_go_live": _whole_months(la.go_live, r.referral_date)
                if r.referral_date >= la.go_live
                else 0,
                "wedge": study.period_of(r.referral_date),
                "cross_contamination": int(
                    la.go_live - dt.timedelta(study.cross_contamination_days)
                    <= r.referral_date
                    < la.go_live
                ),
                "cla_status": int(event),
                "is_censored": int(not event and followup_end < horizon_end),
                "time_at_risk_days": (
                    (first_care if event else followup_end) - r.referral_date
                ).days,
                "gender": r.gender if isinstance(r.gender, str) and r.gender != "U" else None,
                "ethnicity": r.ethnicity,
                "ethnicity_group": ETHNICITY_GROUPS.get(r.ethnicity, MISSING_GROUP),
                "disabled": None if pd.isna(r.disabled) else int(r.disabled),
                "uasc": None if pd.isna(r.uasc) else int(r.uasc),
                "previous_cpp_group": "0"
                if pd.isna(prev) or prev == 0
                else "3+"
                if prev >= 3
                else str(int(prev)),
                "referral_nfa": None if pd.isna(r.referral_nfa) else int(r.referral_nfa),
                "open_cpp": int(open_cpp),
                "cla_rate_per_10k": None if indicators is None else indicators["cla_rate_per_10k"],
                "prop_white_british": None
                if indicators is None
                else indicators["prop_white_british"],
                "sw_turnover_rate_fte": None
                if indicators is None
                else indicators["sw_turnover_rate_fte"],
            }
        )
    data = pd.DataFrame(out)
    if len(data):
        data = data.sort_values(["local_authority", "child_pid"]).reset_index(drop=True)
    flow = pd.DataFrame(flow_rows).sort_values("la_code").reset_index(drop=True)
    return Cohort(data=data, flow=flow)
