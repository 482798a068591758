"""Secondary outcomes, each defined in the study YAML and built here in SQL over the store.

Every outcome is measured from the child's index (first) referral, over ``within_months``:

- ``re_referral``: a new referral within the window after the index referral's CIN episode
  closed (missing when the closure is not in the returns);
- ``cpp_count``: child protection plans started in the window (DR2);
- ``cpp_days`` / ``cin_plan_days``: days on child protection / CIN plans started in the window,
  up to the end of the window (CIN census; missing when the LA's census is not in the store);
- ``care_proceedings``: a court application (CIN census pre-proceedings, 2025-26 on) or an
  interim care order (SSDA903 legal status C1) in the window;
- ``looked_after``: any period of care starting in the window (DR2/DR3);
- ``neet``: the last recorded main activity at age 16–20 in the window is NEET (DR3);
- ``absence_rate`` / ``persistent_absence``: school absence in the academic year after the
  referral (National Pupil Database, linked inside the secure research service only).

Outcomes whose source tables are absent from the store are left out, and the run says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from steward.study.definition import SecondaryOutcome

# kind -> (tables needed, SQL over index_children(la_code, child_pid, referral_pid,
#          referral_date, window_end, birth_month_start)); one row per child.
_SQL: dict[str, tuple[tuple[str, ...], str]] = {
    "re_referral": (
        ("dr3_cin_closures_current",),
        """SELECT i.la_code, i.child_pid,
               CASE WHEN c.closure_date IS NULL THEN NULL
                    ELSE EXISTS (SELECT 1 FROM dr2_referrals_current r
                                 WHERE r.la_code = i.la_code AND r.child_pid = i.child_pid
                                   AND r.referral_date > c.closure_date
                                   AND r.referral_date <= c.closure_date + INTERVAL {months} MONTH)
               END::INTEGER AS value
           FROM index_children i
           LEFT JOIN dr3_cin_closures_current c
             ON c.la_code = i.la_code AND c.child_pid = i.child_pid
            AND c.referral_pid = i.referral_pid""",
    ),
    "cpp_count": (
        ("dr2_cp_current",),
        """SELECT i.la_code, i.child_pid, count(p.cpp_start_date) AS value
           FROM index_children i
           LEFT JOIN dr2_cp_current p ON p.la_code = i.la_code AND p.child_pid = i.child_pid
            AND p.cpp_start_date BETWEEN i.referral_date AND i.window_end
           GROUP BY 1, 2""",
    ),
    "cpp_days": (
        ("cin_cp_plans_current",),
        """SELECT i.la_code, i.child_pid,
               sum(date_diff('day', p.cpp_start_date,
                             least(coalesce(p.cpp_end_date, i.window_end), i.window_end))) AS value
           FROM index_children i
           LEFT JOIN cin_cp_plans_current p ON p.la_code = i.la_code AND p.child_pid = i.child_pid
            AND p.cpp_start_date BETWEEN i.referral_date AND i.window_end
           GROUP BY 1, 2""",
    ),
    "cin_plan_days": (
        ("cin_plans_current",),
        """SELECT i.la_code, i.child_pid,
               sum(date_diff('day', p.cin_plan_start_date,
                             least(coalesce(p.cin_plan_end_date, i.window_end), i.window_end)))
                   AS value
           FROM index_children i
           LEFT JOIN cin_plans_current p ON p.la_code = i.la_code AND p.child_pid = i.child_pid
            AND p.cin_plan_start_date BETWEEN i.referral_date AND i.window_end
           GROUP BY 1, 2""",
    ),
    "care_proceedings": (
        ("cin_pre_proceedings_current", "s903_episodes_current"),
        """SELECT i.la_code, i.child_pid,
               (EXISTS (SELECT 1 FROM cin_pre_proceedings_current p
                        WHERE p.la_code = i.la_code AND p.child_pid = i.child_pid
                          AND p.court_application_date BETWEEN i.referral_date AND i.window_end)
                OR EXISTS (SELECT 1 FROM s903_episodes_current e
                           WHERE e.la_code = i.la_code AND e.child_pid = i.child_pid
                             AND e.legal_status = 'C1'
                             AND e.episode_start_date BETWEEN i.referral_date AND i.window_end)
               )::INTEGER AS value
           FROM index_children i""",
    ),
    "looked_after": (
        ("dr3_periods_of_care_current", "dr2_cla_current"),
        """SELECT i.la_code, i.child_pid,
               (EXISTS (SELECT 1 FROM dr3_periods_of_care_current p
                        WHERE p.la_code = i.la_code AND p.child_pid = i.child_pid
                          AND p.poc_start_date BETWEEN i.referral_date AND i.window_end)
                OR EXISTS (SELECT 1 FROM dr2_cla_current c
                           WHERE c.la_code = i.la_code AND c.child_pid = i.child_pid
                             AND c.cla_start_date BETWEEN i.referral_date AND i.window_end)
               )::INTEGER AS value
           FROM index_children i""",
    ),
    "neet": (
        ("dr3_neet_current",),
        """SELECT i.la_code, i.child_pid,
               (arg_max(n.main_activity, n.activity_date) IN ('NEET_AVAIL', 'NEET_UNAVAIL'))::INTEGER
                   AS value
           FROM index_children i
           LEFT JOIN dr3_neet_current n ON n.la_code = i.la_code AND n.child_pid = i.child_pid
            AND n.activity_date BETWEEN i.referral_date AND i.window_end
            AND n.age_months_at_activity BETWEEN 192 AND 251
           GROUP BY 1, 2""",
    ),
}
# School absence in the academic year after the referral's (September to August; 2019/20 has
# no absence data), through the child's pseudonymised UPN and DfE's pupil reference lookup.
_ABSENCE = """
    WITH upn AS (
        SELECT i.la_code, i.child_pid,
               coalesce(c.upn_pid, h.upn_pid) AS upn_pid,
               year(i.referral_date) - (month(i.referral_date) < 9)::INTEGER + 1 AS year_after
        FROM index_children i
        LEFT JOIN cin_children_current c ON c.la_code = i.la_code AND c.child_pid = i.child_pid
        LEFT JOIN s903_header_current h ON h.la_code = i.la_code AND h.child_pid = i.child_pid
    ), rates AS (
        SELECT u.la_code, u.child_pid,
               sum(a.overall_absence)::DOUBLE / nullif(sum(a.sessions_possible), 0) AS rate
        FROM upn u
        LEFT JOIN npd_pmr_lookup_current l ON l.upn_pid = u.upn_pid
        LEFT JOIN npd_absence_current a ON a.pmr = l.pmr AND a.academic_year = u.year_after
        GROUP BY 1, 2
    )
    SELECT la_code, child_pid, {value} AS value FROM rates
"""
_SQL["absence_rate"] = (("npd_absence_current",), _ABSENCE.replace("{value}", "rate"))
_SQL["persistent_absence"] = (
    ("npd_absence_current",),
    _ABSENCE.replace("{value}", "(rate >= 0.10)::INTEGER"),  # the DfE threshold since 2015/16
)
KINDS = frozenset(_SQL)


@dataclass
class SecondaryResult:
    values: pd.DataFrame  # child_pid + one column per outcome built
    skipped: dict[str, str]  # outcome name -> why it was not built


def _has(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    [(found,)] = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [relation]
    ).fetchall()
    if not found:
        return False
    [(rows,)] = con.execute(f'SELECT count(*) FROM "{relation}"').fetchall()
    return bool(rows)


def build_secondary(
    con: duckdb.DuckDBPyConnection, index: pd.DataFrame, outcomes: list[SecondaryOutcome]
) -> SecondaryResult:
    """Every secondary outcome for the children of ``index`` (one row per child)."""
    values = index[["la_code", "child_pid"]].copy()
    skipped: dict[str, str] = {}
    for outcome in outcomes:
        tables, sql = _SQL[outcome.kind]
        if not any(_has(con, t) for t in tables):
            where = (
                " (education data is held only inside the secure research service)"
                if outcome.kind in ("absence_rate", "persistent_absence")
                else ""
            )
            skipped[outcome.name] = f"no {' or '.join(tables)} data in the store{where}"
            continue
        con.register("index_frame", index)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE index_children AS SELECT la_code, child_pid, "
            "referral_pid, referral_date, "
            f"(referral_date + INTERVAL {outcome.within_months} MONTH)::DATE AS window_end "
            "FROM index_frame"
        )
        built = con.execute(sql.format(months=outcome.within_months)).df()
        values = values.merge(
            built.rename(columns={"value": outcome.name}), on=["la_code", "child_pid"], how="left"
        )
    return SecondaryResult(values.drop(columns=["la_code"]), skipped)
