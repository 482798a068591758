"""Secondary outcomes, each defined in the study YAML and built here in SQL over the store.

Every outcome is measured from the child's index (first) referral, over ``within_months``:

- ``re_referral``: a new referral within the window after the index referral's CIN episode
  closed (its earliest closure, if the returns give more than one; missing when the closure is
  not in the returns);
- ``cpp_count``: child protection plans started in the window (DR2, or the CIN census);
- ``cpp_days`` / ``cin_plan_days``: days on child protection / CIN plans started in the window,
  up to the end of the window (CIN census; missing when the LA's census is not in the store);
- ``care_proceedings``: a court application (CIN census pre-proceedings, 2025-26 on) or an
  interim care order (SSDA903 legal status C1) in the window;
- ``looked_after``: any period of care starting in the window (DR2/DR3, or SSDA903);
- ``neet``: the last recorded main activity at age 16–20 in the window is NEET (DR3);
- ``absence_rate`` / ``persistent_absence``: school absence in the academic year after the
  referral (National Pupil Database, linked inside the secure research service only).

Referrals, closures, plans and periods of care come from the study's sources (the relations of
:mod:`.sources`), so a statutory-returns study measures them from the CIN census and SSDA903.
Outcomes whose source tables are absent from the store are left out, and the run says so. The
queries run on any :class:`~steward.store.sql.SqlEngine` (joins, no correlated subqueries).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

from steward.cohort.sources import create_sources
from steward.store.sql import SqlEngine
from steward.study.definition import CohortSources, SecondaryOutcome

_SAME = "{a}.la_code = {b}.la_code AND {a}.child_pid = {b}.child_pid"


def _in_window(column: str) -> str:
    return f"{column} BETWEEN i.referral_date AND i.window_end"


def _any_of(*selects: str) -> str:
    """1 if the child has a row in any of ``selects`` (each: la_code, child_pid), else 0."""
    parts = " UNION ".join(
        f"SELECT DISTINCT la_code, child_pid FROM ({s}) AS found" for s in selects
    )
    return f"""SELECT i.la_code, i.child_pid, CAST(e.child_pid IS NOT NULL AS INTEGER) AS value
           FROM index_children i
           LEFT JOIN ({parts}) e ON {_SAME.format(a="e", b="i")}"""


# kind -> SQL over index_children(la_code, child_pid, referral_pid, referral_date, window_end);
# one row per child.
_SQL: dict[str, str] = {
    "re_referral": f"""
        WITH closed AS (
            SELECT i.la_code, i.child_pid, min(c.closure_date) AS closure_date
            FROM index_children i JOIN cohort_closures c
              ON {_SAME.format(a="c", b="i")} AND c.referral_pid = i.referral_pid
            GROUP BY i.la_code, i.child_pid
        ), again AS (
            SELECT DISTINCT k.la_code, k.child_pid
            FROM closed k JOIN cohort_referrals r
              ON {_SAME.format(a="r", b="k")}
             AND r.referral_date > k.closure_date
             AND r.referral_date <= CAST(k.closure_date + INTERVAL {{months}} MONTH AS DATE)
        )
        SELECT i.la_code, i.child_pid,
               CAST(CASE WHEN k.closure_date IS NULL THEN NULL
                         WHEN a.child_pid IS NULL THEN 0 ELSE 1 END AS INTEGER) AS value
        FROM index_children i
        LEFT JOIN closed k ON {_SAME.format(a="k", b="i")}
        LEFT JOIN again a ON {_SAME.format(a="a", b="i")}""",
    "cpp_count": f"""
        SELECT i.la_code, i.child_pid, count(p.cpp_start_date) AS value
        FROM index_children i
        LEFT JOIN cohort_cp_starts p
          ON {_SAME.format(a="p", b="i")} AND {_in_window("p.cpp_start_date")}
        GROUP BY i.la_code, i.child_pid""",
    "cpp_days": f"""
        SELECT i.la_code, i.child_pid,
               CAST(sum(date_diff('day', p.cpp_start_date,
                                  least(coalesce(p.cpp_end_date, i.window_end), i.window_end)))
                    AS BIGINT) AS value
        FROM index_children i
        LEFT JOIN cin_cp_plans_current p
          ON {_SAME.format(a="p", b="i")} AND {_in_window("p.cpp_start_date")}
        GROUP BY i.la_code, i.child_pid""",
    "cin_plan_days": f"""
        SELECT i.la_code, i.child_pid,
               CAST(sum(date_diff('day', p.cin_plan_start_date,
                                  least(coalesce(p.cin_plan_end_date, i.window_end),
                                        i.window_end))) AS BIGINT) AS value
        FROM index_children i
        LEFT JOIN cin_plans_current p
          ON {_SAME.format(a="p", b="i")} AND {_in_window("p.cin_plan_start_date")}
        GROUP BY i.la_code, i.child_pid""",
    "care_proceedings": _any_of(
        f"""SELECT i.la_code, i.child_pid FROM index_children i
            JOIN cin_pre_proceedings_current p
              ON {_SAME.format(a="p", b="i")} AND {_in_window("p.court_application_date")}""",
        f"""SELECT i.la_code, i.child_pid FROM index_children i
            JOIN s903_episodes_current e
              ON {_SAME.format(a="e", b="i")} AND e.legal_status = 'C1'
             AND {_in_window("e.episode_start_date")}""",
    ),
    "looked_after": _any_of(
        f"""SELECT i.la_code, i.child_pid FROM index_children i
            JOIN cohort_care_starts c
              ON {_SAME.format(a="c", b="i")} AND {_in_window("c.care_start")}"""
    ),
    "neet": f"""
        WITH activities AS (
            SELECT i.la_code, i.child_pid, n.main_activity,
                   row_number() OVER (PARTITION BY i.la_code, i.child_pid
                                      ORDER BY n.activity_date DESC, n.main_activity) AS latest
            FROM index_children i
            JOIN dr3_neet_current n
              ON {_SAME.format(a="n", b="i")} AND {_in_window("n.activity_date")}
             AND n.age_months_at_activity BETWEEN 192 AND 251
        )
        SELECT i.la_code, i.child_pid,
               CAST(a.main_activity IN ('NEET_AVAIL', 'NEET_UNAVAIL') AS INTEGER) AS value
        FROM index_children i
        LEFT JOIN activities a ON {_SAME.format(a="a", b="i")} AND a.latest = 1""",
}
# School absence in the academic year after the referral's (September to August; 2019/20 has
# no absence data), through the child's pseudonymised UPN and DfE's pupil reference lookup.
_ABSENCE = f"""
    WITH upn AS (
        SELECT i.la_code, i.child_pid,
               coalesce(c.upn_pid, h.upn_pid) AS upn_pid,
               year(i.referral_date) - CAST(month(i.referral_date) < 9 AS INTEGER) + 1
                   AS year_after
        FROM index_children i
        LEFT JOIN cin_children_current c ON {_SAME.format(a="c", b="i")}
        LEFT JOIN s903_header_current h ON {_SAME.format(a="h", b="i")}
    ), rates AS (
        SELECT u.la_code, u.child_pid,
               CAST(sum(a.overall_absence) AS DOUBLE) / nullif(sum(a.sessions_possible), 0)
                   AS rate
        FROM upn u
        LEFT JOIN npd_pmr_lookup_current l ON l.upn_pid = u.upn_pid
        LEFT JOIN npd_absence_current a ON a.pmr = l.pmr AND a.academic_year = u.year_after
        GROUP BY u.la_code, u.child_pid
    )
    SELECT la_code, child_pid, {{value}} AS value FROM rates
"""
_SQL["absence_rate"] = _ABSENCE.replace("{value}", "rate")
# the DfE threshold since 2015/16
_SQL["persistent_absence"] = _ABSENCE.replace("{value}", "CAST(rate >= 0.10 AS INTEGER)")
KINDS = frozenset(_SQL)

# kind -> the store relations its data comes from, per study sources (any one with rows will do).
_EVALUATION_NEEDS: dict[str, tuple[str, ...]] = {
    "re_referral": ("dr3_cin_closures_current",),
    "cpp_count": ("dr2_cp_current",),
    "cpp_days": ("cin_cp_plans_current",),
    "cin_plan_days": ("cin_plans_current",),
    "care_proceedings": ("cin_pre_proceedings_current", "s903_episodes_current"),
    "looked_after": ("dr3_periods_of_care_current", "dr2_cla_current"),
    "neet": ("dr3_neet_current",),
    "absence_rate": ("npd_absence_current",),
    "persistent_absence": ("npd_absence_current",),
}
NEEDS: dict[CohortSources, dict[str, tuple[str, ...]]] = {
    "evaluation_returns": _EVALUATION_NEEDS,
    "statutory_returns": {
        **_EVALUATION_NEEDS,
        "re_referral": ("cin_episodes_current",),
        "cpp_count": ("cin_cp_plans_current",),
        "looked_after": ("s903_periods_of_care_current",),
    },
}


@dataclass
class SecondaryResult:
    values: pd.DataFrame  # la_code, child_pid + one column per outcome built
    skipped: dict[str, str]  # outcome name -> why it was not built


def _has(sql: SqlEngine, relation: str) -> bool:
    if not sql.has_relation(relation):
        return False
    return bool(sql.arrow(f'SELECT 1 AS found FROM "{relation}" LIMIT 1').num_rows)


def _index_table(index: pd.DataFrame) -> pa.Table:
    """The index referrals with explicit types, so both engines read the same columns."""
    dates = pd.to_datetime(index["referral_date"]).dt.date
    return pa.table(
        {
            "la_code": pa.array(index["la_code"].astype(object), pa.string()),
            "child_pid": pa.array(index["child_pid"].astype(object), pa.string()),
            "referral_pid": pa.array(index["referral_pid"].astype(object), pa.string()),
            "referral_date": pa.array(list(dates), pa.date32()),
        }
    )


def build_secondary(
    sql: SqlEngine,
    index: pd.DataFrame,
    outcomes: list[SecondaryOutcome],
    *,
    sources: CohortSources = "evaluation_returns",
) -> SecondaryResult:
    """Every secondary outcome for the children of ``index`` (one row per child)."""
    values = index[["la_code", "child_pid"]].copy()
    skipped: dict[str, str] = {}
    if outcomes:
        create_sources(sql, sources)
        sql.register("index_frame", _index_table(index))
    for outcome in outcomes:
        tables = NEEDS[sources][outcome.kind]
        if not any(_has(sql, t) for t in tables):
            where = (
                " (education data is held only inside the secure research service)"
                if outcome.kind in ("absence_rate", "persistent_absence")
                else ""
            )
            skipped[outcome.name] = f"no {' or '.join(tables)} data in the store{where}"
            continue
        sql.temp_table(
            "index_children",
            "SELECT la_code, child_pid, referral_pid, referral_date, "
            f"CAST(referral_date + INTERVAL {outcome.within_months} MONTH AS DATE) AS window_end "
            "FROM index_frame",
        )
        built = sql.frame(_SQL[outcome.kind].replace("{months}", str(outcome.within_months)))
        values = values.merge(
            built.rename(columns={"value": outcome.name}), on=["la_code", "child_pid"], how="left"
        )
    return SecondaryResult(values, skipped)
