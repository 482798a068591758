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
- the events come from the study's ``sources`` (evaluation or statutory returns) through the
  relations of :mod:`.sources`, so these rules are written once;
- children flagged restricted, objected or erased in ``subject_flags`` never reach the builder
  (the store's current views leave them out); the flow's ``restricted_or_objected`` counts them
  per LA from the flags and the bare pseudonyms alone, before ``rows_in``, which therefore
  reconciles with the steps after it.

The queries are written in DuckDB's dialect and run on any :class:`~steward.store.sql.SqlEngine`
(DuckDB, or Spark through sqlglot): joins and aggregates rather than correlated subqueries,
dates cast back to DATE after interval arithmetic, explicit orderings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa

from steward.cohort.secondary import build_secondary
from steward.cohort.sources import create_sources
from steward.returns.codes import ETHNICITY_GROUP_MISSING as MISSING_GROUP
from steward.returns.codes import ETHNICITY_GROUPS
from steward.store.sql import SqlEngine
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


def _study_tables(sql: SqlEngine, study: StudyDefinition) -> None:
    las = study.local_authorities
    sql.register(
        "study_las",
        pa.table(
            {
                "la_code": pa.array([la.code for la in las], pa.string()),
                "la_name": pa.array([la.name for la in las], pa.string()),
                "go_live": pa.array([la.go_live for la in las], pa.date32()),
                "readiness": pa.array([la.readiness for la in las], pa.string()),
                "in_primary_analysis": pa.array([la.in_primary_analysis for la in las], pa.bool_()),
            }
        ),
    )
    sql.register(
        "study_periods",
        pa.table(
            {
                "wedge": pa.array([p.name for p in study.periods], pa.string()),
                "p_start": pa.array([p.start for p in study.periods], pa.date32()),
                "p_end": pa.array([p.end for p in study.periods], pa.date32()),
            }
        ),
    )
    sql.register(
        "ethnicity_groups",
        pa.table(
            {
                "ethnicity": pa.array(list(ETHNICITY_GROUPS), pa.string()),
                "ethnicity_group": pa.array(list(ETHNICITY_GROUPS.values()), pa.string()),
            }
        ),
    )


def _age_months(day: str, birth: str) -> str:
    # BIGINT on every engine (Spark's year() is a 32-bit INT, DuckDB's a BIGINT).
    return f"CAST((year({day}) - year({birth})) * 12 + (month({day}) - month({birth})) AS BIGINT)"


def _rows_sql(study: StudyDefinition) -> str:
    """Every referral row of the study's LAs with the flags the flow counts."""
    e = study.eligibility.age_years
    age = _age_months("r.referral_date", "r.birth_month_start")
    return f"""
    WITH r AS (
        SELECT r.*, CAST(r.birth_year_month || '-01' AS DATE) AS birth_month_start
        FROM cohort_referrals r JOIN study_las l ON l.la_code = r.la_code
        WHERE r.referral_date IS NOT NULL
    ), firsts AS (
        SELECT la_code, child_pid, min(referral_date) AS first_referral_date
        FROM r GROUP BY la_code, child_pid
    )
    SELECT r.*, f.first_referral_date,
        {age} AS age_months,
        r.birth_year_month IS NULL AS f_missing_dob,
        r.birth_month_start > r.referral_date AS f_dob_after_referral,
        NOT (r.referral_date BETWEEN DATE '{study.trial_period.start}'
                                 AND DATE '{study.trial_period.end}') AS f_outside_window,
        NOT ({age} BETWEEN {e.min * 12} AND {e.max * 12 + 11}) AS f_outside_age,
        r.referral_date > f.first_referral_date AS f_not_first
    FROM r JOIN firsts f ON f.la_code = r.la_code AND f.child_pid = r.child_pid
    """


_KEPT = "NOT f_missing_dob AND NOT f_dob_after_referral"
_IN_WINDOW = f"{_KEPT} AND NOT f_outside_window"
_CANDIDATE = f"{_IN_WINDOW} AND NOT f_outside_age"
_FLOW_SQL = f"""
    SELECT la_code,
        count(*) AS rows_in,
        count(CASE WHEN f_missing_dob THEN 1 END) AS missing_dob,
        count(CASE WHEN NOT f_missing_dob AND f_dob_after_referral THEN 1 END)
            AS dob_after_referral,
        count(CASE WHEN {_KEPT} AND f_outside_window THEN 1 END) AS outside_window,
        count(CASE WHEN {_IN_WINDOW} AND f_outside_age THEN 1 END) AS outside_age,
        count(CASE WHEN {_CANDIDATE} THEN 1 END) AS candidate_rows,
        count(DISTINCT CASE WHEN {_CANDIDATE} AND NOT f_not_first THEN child_pid END) AS analysed
    FROM cohort_rows GROUP BY la_code ORDER BY la_code
"""
_FLAGGED_SQL = f"""
    SELECT h.la_code, count(DISTINCT h.child_pid) AS restricted_or_objected
    FROM cohort_referral_history h
    JOIN study_las l ON l.la_code = h.la_code
    JOIN (SELECT DISTINCT child_pid FROM subject_flags
          WHERE flag IN ({", ".join(f"'{f}'" for f in EXCLUDING_FLAGS)})) s
      ON s.child_pid = h.child_pid
    GROUP BY h.la_code ORDER BY h.la_code
"""


def _flow(sql: SqlEngine) -> pd.DataFrame:
    flow = sql.frame(_FLOW_SQL)
    flagged = sql.frame(_FLAGGED_SQL)
    flow = flow.merge(flagged, on="la_code", how="left").fillna({"restricted_or_objected": 0})
    for column in flow.columns.drop("la_code"):
        flow[column] = flow[column].astype("int64")
    flow["not_first_referral"] = flow["candidate_rows"] - flow["analysed"]
    return flow[["la_code", *FLOW_STEPS]]


def _data_sql(study: StudyDefinition) -> str:
    horizon = study.outcome.within_months
    censor_age = study.outcome.censor_at_age_years
    same_child = "{a}.la_code = {b}.la_code AND {a}.child_pid = {b}.child_pid"
    return f"""
        WITH index_rows AS (
            -- ties on the first referral date count once: keep one row per child
            SELECT * FROM (
                SELECT c.*, row_number() OVER (
                    PARTITION BY la_code, child_pid
                    ORDER BY referral_pid NULLS LAST, source_row NULLS LAST) AS tie_rank
                FROM cohort_rows c
                WHERE NOT (f_missing_dob OR f_dob_after_referral OR f_outside_window
                           OR f_outside_age OR f_not_first)
            ) ranked WHERE tie_rank = 1
        ), data_end AS (
            SELECT la_code, last_day(max(return_month)) AS data_end FROM submissions
            GROUP BY la_code
        ), first_care AS (
            SELECT i.la_code, i.child_pid, min(c.care_start) AS first_care_start
            FROM index_rows i JOIN cohort_care_starts c
              ON {same_child.format(a="c", b="i")} AND c.care_start >= i.referral_date
            GROUP BY i.la_code, i.child_pid
        ), open_cpp AS (
            SELECT DISTINCT i.la_code, i.child_pid
            FROM index_rows i JOIN cohort_cp_starts p
              ON {same_child.format(a="p", b="i")}
             AND p.cpp_start_date BETWEEN CAST(i.referral_date - INTERVAL 365 DAY AS DATE)
                                      AND CAST(i.referral_date + INTERVAL 45 DAY AS DATE)
        ), followed AS (
            SELECT i.*,
                CAST(least(CAST(i.referral_date + INTERVAL {horizon} MONTH AS DATE),
                           CAST(i.birth_month_start + INTERVAL {censor_age} YEAR AS DATE),
                           CAST(d.data_end + INTERVAL 1 DAY AS DATE)) AS DATE) AS followup_end,
                CAST(i.referral_date + INTERVAL {horizon} MONTH AS DATE) AS horizon_end,
                fc.first_care_start,
                o.child_pid IS NOT NULL AS open_cpp
            FROM index_rows i
            LEFT JOIN data_end d ON d.la_code = i.la_code
            LEFT JOIN first_care fc ON {same_child.format(a="fc", b="i")}
            LEFT JOIN open_cpp o ON {same_child.format(a="o", b="i")}
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
            CAST(f.referral_date >= l.go_live AS INTEGER) AS treatment_group,
            CAST(CASE WHEN f.referral_date >= l.go_live
                      THEN (year(f.referral_date) - year(l.go_live)) * 12
                           + month(f.referral_date) - month(l.go_live)
                           - CAST(day(f.referral_date) < day(l.go_live) AS INTEGER)
                      ELSE 0 END AS BIGINT) AS months_since_go_live,
            p.wedge,
            CAST(f.referral_date < l.go_live
                 AND f.referral_date >= CAST(l.go_live - INTERVAL {study.cross_contamination_days}
                                             DAY AS DATE) AS INTEGER) AS cross_contamination,
            CAST(f.first_care_start IS NOT NULL AND f.first_care_start < f.followup_end
                 AS INTEGER) AS cla_status,
            CAST((f.first_care_start IS NULL OR f.first_care_start >= f.followup_end)
                 AND f.followup_end < f.horizon_end AS INTEGER) AS is_censored,
            date_diff('day', f.referral_date,
                      CASE WHEN f.first_care_start < f.followup_end THEN f.first_care_start
                           ELSE f.followup_end END) AS time_at_risk_days,
            nullif(f.gender, 'U') AS gender,  -- not recorded: missing, so models leave it out
            f.ethnicity,
            coalesce(g.ethnicity_group, '{MISSING_GROUP}') AS ethnicity_group,
            CAST(f.disabled AS INTEGER) AS disabled,
            CAST(f.uasc AS INTEGER) AS uasc,
            CASE WHEN f.previous_cpp IS NULL OR f.previous_cpp = 0 THEN '0'
                 WHEN f.previous_cpp >= 3 THEN '3+' ELSE CAST(f.previous_cpp AS VARCHAR) END
                AS previous_cpp_group,
            CAST(f.referral_nfa AS INTEGER) AS referral_nfa,
            CAST(f.open_cpp AS INTEGER) AS open_cpp,
            m.cla_rate_per_10k, m.prop_white_british, m.sw_turnover_rate_fte
        FROM followed f
        JOIN study_las l ON l.la_code = f.la_code
        LEFT JOIN study_periods p ON f.referral_date BETWEEN p.p_start AND p.p_end
        LEFT JOIN ethnicity_groups g ON g.ethnicity = f.ethnicity
        LEFT JOIN cohort_monthly m
            ON m.la_code = f.la_code
           AND m.month = CAST(date_trunc('month', f.referral_date) AS DATE)
        ORDER BY local_authority, child_pid
        """


def build_cohort(sql: SqlEngine, study: StudyDefinition) -> Cohort:
    """Build the analysis dataset and its flow from the store behind ``sql``."""
    _study_tables(sql, study)
    create_sources(sql, study.sources)
    sql.temp_table("cohort_rows", _rows_sql(study))
    flow = _flow(sql)
    data = sql.frame(_data_sql(study))
    if not study.secondary_outcomes or data.empty:
        return Cohort(data=data, flow=flow)
    index = data.rename(columns={"local_authority": "la_code"})
    secondary = build_secondary(sql, index, study.secondary_outcomes, sources=study.sources)
    # By LA and pseudonym: the same pseudonym text from two LAs is two children.
    values = secondary.values.rename(columns={"la_code": "local_authority"})
    data = data.merge(values, on=["local_authority", "child_pid"], how="left")
    return Cohort(data=data, flow=flow, secondary_skipped=secondary.skipped)
