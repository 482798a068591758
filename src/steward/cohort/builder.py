"""The analysis dataset of a stepped-wedge study, built in SQL over the research store.

One row per eligible child, at the child's first referral (ties on one date count once), with
treatment, wedge, the primary outcome and its follow-up, covariates and LA-level indicators.
Alongside it, a CONSORT-style flow: how many referral rows each eligibility step removed, per LA.

Rules, all taken from the study definition:
- age in months at a referral counts from the 1st of the birth month (DOB is held as year-month);
- eligible: first referral in the trial period, aged ``eligibility.age_years`` (min..max whole years);
- treated: referral on or after the LA's go-live (``months_since_go_live``: whole months since it,
  0 before); ``cross_contamination``: in the N days before go-live;
- outcome: the first period of care starting on/after the referral, within ``within_months``
  months; follow-up ends at the earliest of that horizon, the 18th birthday (1st of the birth
  month + 18 years) and the end of the LA's data (last day of its latest return month). A child
  whose follow-up ended early without the event ``is_censored``; ``time_at_risk_days`` runs to the
  event or the end of follow-up;
- ``open_cpp``: a child protection plan started in the 12 months before or 45 days after the
  referral (DR2 carries no plan end dates);
- children flagged restricted, objected or erased in ``subject_flags`` never reach the builder
  (the store's current views leave them out); the flow's ``restricted_or_objected`` counts them
  per LA from the flags and the bare pseudonyms alone, before ``rows_in``, which therefore
  reconciles with the steps after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pandas as pd

from steward.cohort.secondary import build_secondary
from steward.returns.codes import ETHNICITY_GROUP_MISSING as MISSING_GROUP
from steward.returns.codes import ETHNICITY_GROUPS
from steward.study.definition import StudyDefinition

FLOW_STEPS = (
    "restricted_or_objected",
    "rows_in",
    "missing_dob",
    "dob_after_referral",
    "outside_window",
    "outside_age",
    "not_first_referral",
    "analysed",
)
EXCLUDING_FLAGS = ("restricted", "objected", "erased")


@dataclass
class Cohort:
    data: pd.DataFrame  # one row per child
    flow: pd.DataFrame  # one row per LA, one column per flow step
    secondary_skipped: dict[str, str] = field(default_factory=dict)  # outcome -> why not built


def _study_tables(con: duckdb.DuckDBPyConnection, study: StudyDefinition) -> None:
    las = pd.DataFrame(
        {
            "la_code": [la.code for la in study.local_authorities],
            "la_name": [la.name for la in study.local_authorities],
            "go_live": [la.go_live for la in study.local_authorities],
            "readiness": [la.readiness for la in study.local_authorities],
            "in_primary_analysis": [la.in_primary_analysis for la in study.local_authorities],
        }
    )
    periods = pd.DataFrame(
        {
            "wedge": [p.name for p in study.periods],
            "p_start": [p.start for p in study.periods],
            "p_end": [p.end for p in study.periods],
        }
    )
    groups = pd.DataFrame(
        {"ethnicity": list(ETHNICITY_GROUPS), "ethnicity_group": list(ETHNICITY_GROUPS.values())}
    )
    con.register("study_las_df", las)
    con.register("study_periods_df", periods)
    con.register("ethnicity_groups_df", groups)
    con.execute("CREATE OR REPLACE TEMP TABLE study_las AS SELECT * FROM study_las_df")
    con.execute("CREATE OR REPLACE TEMP TABLE study_periods AS SELECT * FROM study_periods_df")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE ethnicity_groups AS SELECT * FROM ethnicity_groups_df"
    )


def _rows_sql(study: StudyDefinition) -> str:
    """Every referral row of the study's LAs with the flags the flow counts."""
    e = study.eligibility.age_years
    return f"""
    WITH r AS (
        SELECT r.*, CAST(r.birth_year_month || '-01' AS DATE) AS birth_month_start
        FROM dr2_referrals_current r JOIN study_las USING (la_code)
        WHERE r.referral_date IS NOT NULL
    ), firsts AS (
        SELECT la_code, child_pid, min(referral_date) AS first_referral_date
        FROM r GROUP BY la_code, child_pid
    )
    SELECT r.*, f.first_referral_date,
        (year(r.referral_date) - year(r.birth_month_start)) * 12
            + (month(r.referral_date) - month(r.birth_month_start)) AS age_months,
        r.birth_year_month IS NULL AS f_missing_dob,
        r.birth_month_start > r.referral_date AS f_dob_after_referral,
        NOT (r.referral_date BETWEEN DATE '{study.trial_period.start}'
                                 AND DATE '{study.trial_period.end}') AS f_outside_window,
        NOT (((year(r.referral_date) - year(r.birth_month_start)) * 12
              + (month(r.referral_date) - month(r.birth_month_start)))
             BETWEEN {e.min * 12} AND {e.max * 12 + 11}) AS f_outside_age,
        r.referral_date > f.first_referral_date AS f_not_first
    FROM r JOIN firsts f USING (la_code, child_pid)
    """


def build_cohort(con: duckdb.DuckDBPyConnection, study: StudyDefinition) -> Cohort:
    """Build the analysis dataset and its flow from the store behind ``con``."""
    _study_tables(con, study)
    con.execute(f"CREATE OR REPLACE TEMP TABLE cohort_rows AS {_rows_sql(study)}")
    flow = con.execute(
        """
        SELECT la_code,
            count(*) AS rows_in,
            count(*) FILTER (WHERE f_missing_dob) AS missing_dob,
            count(*) FILTER (WHERE NOT f_missing_dob AND f_dob_after_referral) AS dob_after_referral,
            count(*) FILTER (WHERE NOT f_missing_dob AND NOT f_dob_after_referral
                             AND f_outside_window) AS outside_window,
            count(*) FILTER (WHERE NOT f_missing_dob AND NOT f_dob_after_referral
                             AND NOT f_outside_window AND f_outside_age) AS outside_age,
            count(*) FILTER (WHERE NOT f_missing_dob AND NOT f_dob_after_referral
                             AND NOT f_outside_window AND NOT f_outside_age) AS candidate_rows,
            count(DISTINCT child_pid) FILTER (WHERE NOT f_missing_dob AND NOT f_dob_after_referral
                             AND NOT f_outside_window AND NOT f_outside_age
                             AND NOT f_not_first) AS analysed
        FROM cohort_rows GROUP BY la_code ORDER BY la_code
        """
    ).df()
    flagged = con.execute(
        f"""
        SELECT r.la_code, count(DISTINCT r.child_pid) AS restricted_or_objected
        FROM dr2_referrals r JOIN study_las USING (la_code)
        WHERE r.child_pid IN (SELECT child_pid FROM subject_flags WHERE flag IN {EXCLUDING_FLAGS!r})
        GROUP BY r.la_code
        """
    ).df()
    flow = flow.merge(flagged, on="la_code", how="left").fillna({"restricted_or_objected": 0})
    flow["restricted_or_objected"] = flow["restricted_or_objected"].astype("int64")
    flow["not_first_referral"] = flow["candidate_rows"] - flow["analysed"]
    flow = flow[["la_code", *FLOW_STEPS]]

    horizon = study.outcome.within_months
    censor_age = study.outcome.censor_at_age_years
    eth_case = f"coalesce(g.ethnicity_group, '{MISSING_GROUP}')"
    data = con.execute(
        f"""
        WITH index_rows AS (
            SELECT * FROM cohort_rows
            WHERE NOT (f_missing_dob OR f_dob_after_referral OR f_outside_window
                       OR f_outside_age OR f_not_first)
            -- ties on the first referral date count once: keep one row per child
            QUALIFY row_number() OVER (PARTITION BY la_code, child_pid
                                       ORDER BY referral_pid, source_row) = 1
        ), care AS (
            SELECT la_code, child_pid, poc_start_date AS care_start FROM dr3_periods_of_care_current
            UNION
            SELECT la_code, child_pid, cla_start_date FROM dr2_cla_current
        ), data_end AS (
            SELECT la_code, last_day(max(return_month)) AS data_end FROM submissions
            GROUP BY la_code
        ), followed AS (
            SELECT i.*,
                least(i.referral_date + INTERVAL {horizon} MONTH,
                      i.birth_month_start + INTERVAL {censor_age} YEAR,
                      d.data_end + INTERVAL 1 DAY)::DATE AS followup_end,
                (SELECT min(c.care_start) FROM care c
                 WHERE c.la_code = i.la_code AND c.child_pid = i.child_pid
                   AND c.care_start >= i.referral_date) AS first_care_start,
                EXISTS (SELECT 1 FROM dr2_cp_current p
                        WHERE p.la_code = i.la_code AND p.child_pid = i.child_pid
                          AND p.cpp_start_date BETWEEN i.referral_date - INTERVAL 365 DAY
                                                   AND i.referral_date + INTERVAL 45 DAY) AS open_cpp
            FROM index_rows i LEFT JOIN data_end d USING (la_code)
        )
        SELECT
            f.child_pid,
            f.referral_pid,
            f.la_code AS local_authority,
            l.la_name,
            l.in_primary_analysis,
            l.readiness AS la_readiness,
            f.referral_date,
            f.age_months AS age_months_at_referral,
            CASE WHEN f.age_months < 168 THEN '12-13'
                 WHEN f.age_months < 192 THEN '14-15' ELSE '16-17' END AS age_group,
            (f.referral_date >= l.go_live)::INTEGER AS treatment_group,
            CASE WHEN f.referral_date >= l.go_live
                 THEN (year(f.referral_date) - year(l.go_live)) * 12
                      + month(f.referral_date) - month(l.go_live)
                      - (day(f.referral_date) < day(l.go_live))::INTEGER
                 ELSE 0 END AS months_since_go_live,
            p.wedge,
            (f.referral_date < l.go_live
             AND f.referral_date >= l.go_live - INTERVAL {study.cross_contamination_days} DAY
            )::INTEGER AS cross_contamination,
            (f.first_care_start IS NOT NULL AND f.first_care_start < f.followup_end)::INTEGER
                AS cla_status,
            ((f.first_care_start IS NULL OR f.first_care_start >= f.followup_end)
             AND f.followup_end < (f.referral_date + INTERVAL {horizon} MONTH)::DATE)::INTEGER
                AS is_censored,
            date_diff('day', f.referral_date,
                      CASE WHEN f.first_care_start < f.followup_end THEN f.first_care_start
                           ELSE f.followup_end END) AS time_at_risk_days,
            nullif(f.gender, 'U') AS gender,  -- not recorded: missing, so models leave it out
            f.ethnicity,
            {eth_case} AS ethnicity_group,
            f.disabled::INTEGER AS disabled,
            f.uasc::INTEGER AS uasc,
            CASE WHEN f.previous_cpp IS NULL OR f.previous_cpp = 0 THEN '0'
                 WHEN f.previous_cpp >= 3 THEN '3+' ELSE CAST(f.previous_cpp AS VARCHAR) END
                AS previous_cpp_group,
            f.referral_nfa::INTEGER AS referral_nfa,
            f.open_cpp::INTEGER AS open_cpp,
            m.cla_rate_per_10k, m.prop_white_british, m.sw_turnover_rate_fte
        FROM followed f
        JOIN study_las l USING (la_code)
        LEFT JOIN study_periods p ON f.referral_date BETWEEN p.p_start AND p.p_end
        LEFT JOIN ethnicity_groups g ON g.ethnicity = f.ethnicity
        LEFT JOIN dr1_monthly_current m
            ON m.la_code = f.la_code AND m.month = date_trunc('month', f.referral_date)
        ORDER BY local_authority, child_pid
        """
    ).df()
    if not study.secondary_outcomes or data.empty:
        return Cohort(data=data, flow=flow)
    index = data.rename(columns={"local_authority": "la_code"})
    secondary = build_secondary(con, index, study.secondary_outcomes)
    data = data.merge(secondary.values, on="child_pid", how="left")
    return Cohort(data=data, flow=flow, secondary_skipped=secondary.skipped)
