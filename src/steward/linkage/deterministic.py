"""Deterministic linkage over the research store, by pseudonym only.

Within an LA, the evaluation's returns (DR1–DR3) and the statutory returns (CIN census,
SSDA903) carry the same ``child_pid`` (the LA's child id under the one workspace key), so they
join on (la_code, child_pid). Across to education data, the chain is the statutory returns'
pseudonymised UPN (``upn_pid``, national: one pupil, one pseudonym in every LA) → DfE's PMR
lookup → the NPD extract; the former UPN is tried when the current one finds no PMR.

One row per DR child says, per source, whether it linked and if not why:

- ``cin_status``: ``matched`` | ``not_in_cin_census``
- ``s903_status`` (looked-after children only, else null): ``matched`` | ``not_in_ssda903``
- ``npd_status``: ``matched`` | ``no_statutory_record`` (no CIN/SSDA903 row to take a UPN from)
  | ``not_school_age`` (UPN unknown code UN1) | ``upn_unknown`` (UN2–UN7) | ``no_upn``
  (blank, no code) | ``no_pmr`` (DfE found no pupil) | ``not_in_extract`` (a PMR, but no
  absence or FSM row); null when the NPD part was not run (not allowed in this environment).

The queries are written in DuckDB's dialect and run on any :class:`~steward.store.sql.SqlEngine`
(DuckDB, or Spark through sqlglot), so both engines link alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from steward.store.sql import SqlEngine
from steward.study.definition import CohortSources as Sources

DR_CHILD_TABLES = (
    "dr2_referrals", "dr2_cp", "dr2_cla", "dr3_periods_of_care", "dr3_care_episodes",
    "dr3_neet", "dr3_cin_closures",
)  # fmt: skip
NPD_REASONS = (
    "no_statutory_record", "not_school_age", "upn_unknown", "no_upn", "no_pmr", "not_in_extract",
)  # fmt: skip
CIN_REASONS = ("not_in_cin_census",)
S903_REASONS = ("not_in_ssda903",)
LINKAGE_COLUMNS = (
    "la_code", "child_pid", "first_referral_year", "looked_after", "cin_status", "s903_status",
    "upn_pid", "upn_unknown", "pmr", "npd_status",
)  # fmt: skip

# Sex as every source codes it, to M/F; unknown or not stated is no evidence of a conflict.
_SEX = """CASE WHEN upper(trim({c})) IN ('M', 'MALE', '1') THEN 'M'
               WHEN upper(trim({c})) IN ('F', 'FEMALE', '2') THEN 'F' END"""


def _v(table: str) -> str:
    return f'"{table}_current"'


def _academic_year(column: str) -> str:
    # BIGINT on every engine (Spark's year() is a 32-bit INT, DuckDB's a BIGINT).
    return (
        f"CAST(CASE WHEN month({column}) >= 9 THEN year({column}) ELSE year({column}) - 1 END "
        "AS BIGINT)"
    )


def dr_children_sql() -> str:
    """Every DR child (la_code, child_pid) with its first referral's academic year."""
    parts = [
        f"SELECT la_code, child_pid, "
        f"{'referral_date' if t == 'dr2_referrals' else 'CAST(NULL AS DATE)'} AS referral_date "
        f"FROM {_v(t)} WHERE child_pid IS NOT NULL"
        for t in DR_CHILD_TABLES
    ]
    return f"""
        SELECT la_code, child_pid, {_academic_year("min(referral_date)")} AS first_referral_year
        FROM ({" UNION ALL ".join(parts)}) AS dr_rows GROUP BY la_code, child_pid
    """


def cin_children_sql() -> str:
    """Every child referred in the CIN census, with its first referral's academic year: the
    base of a study built on the statutory returns alone (a national study)."""
    return f"""
        SELECT la_code, child_pid, {_academic_year("min(referral_date)")} AS first_referral_year
        FROM {_v("cin_episodes")} WHERE child_pid IS NOT NULL GROUP BY la_code, child_pid
    """


def _base_sql(sources: Sources) -> str:
    return dr_children_sql() if sources == "evaluation_returns" else cin_children_sql()


def _extract_pmrs_sql() -> str:
    """The pupils the NPD extracts hold. Read from the tables, not their current views: a pupil
    is in a current view exactly when it has a row in the table (the supersede rule keeps one
    row of every key, and ``pmr`` is part of each NPD key), and ranking tens of millions of
    absence rows only to drop all but their pupils costs most of a national linkage."""
    return "SELECT DISTINCT pmr FROM npd_absence UNION SELECT DISTINCT pmr FROM npd_fsm"


def linkage_sql(*, with_npd: bool, sources: Sources = "evaluation_returns") -> str:
    """The linkage table's SELECT (DuckDB) over the store's current views.

    ``sources`` is the study's: its children are the DR children, or (``statutory_returns``)
    the children referred in the CIN census, looked after when SSDA903 has a period of care.
    """
    looked_after = (
        f"SELECT DISTINCT la_code, child_pid FROM {_v('dr2_cla')} "
        f"UNION SELECT DISTINCT la_code, child_pid FROM {_v('dr3_periods_of_care')}"
        if sources == "evaluation_returns"
        else f"SELECT DISTINCT la_code, child_pid FROM {_v('s903_periods_of_care')}"
    )
    if with_npd:
        npd_ctes = f""",
        lookup AS (SELECT upn_pid, min(pmr) AS pmr FROM {_v("npd_pmr_lookup")}
                   WHERE pmr IS NOT NULL GROUP BY upn_pid),
        extract AS ({_extract_pmrs_sql()})"""
        npd_join = """
            LEFT JOIN lookup AS lu ON lu.upn_pid = ids.upn_pid
            LEFT JOIN lookup AS lf ON lf.upn_pid = ids.former_upn_pid
            LEFT JOIN extract AS x ON x.pmr = coalesce(lu.pmr, lf.pmr)"""
        pmr = "coalesce(lu.pmr, lf.pmr)"
        no_upn = "coalesce(ids.upn_pid, ids.former_upn_pid) IS NULL"
        status = f"""CASE
            WHEN NOT ids.in_cin AND NOT ids.in_s903 THEN 'no_statutory_record'
            WHEN {no_upn} AND ids.upn_unknown = 'UN1' THEN 'not_school_age'
            WHEN {no_upn} AND ids.upn_unknown IS NOT NULL THEN 'upn_unknown'
            WHEN {no_upn} THEN 'no_upn'
            WHEN {pmr} IS NULL THEN 'no_pmr'
            WHEN x.pmr IS NULL THEN 'not_in_extract'
            ELSE 'matched' END"""
    else:
        npd_ctes, npd_join, pmr, status = "", "", "CAST(NULL AS VARCHAR)", "CAST(NULL AS VARCHAR)"
    return f"""
        WITH dr AS ({_base_sql(sources)}),
        looked_after AS ({looked_after}),
        cin AS (SELECT la_code, child_pid, upn_pid, former_upn_pid, upn_unknown
                FROM {_v("cin_children")}),
        s903 AS (SELECT la_code, child_pid, upn_pid FROM {_v("s903_header")}),
        ids AS (
            SELECT dr.la_code, dr.child_pid, dr.first_referral_year,
                   la.child_pid IS NOT NULL AS looked_after,
                   cin.child_pid IS NOT NULL AS in_cin, s.child_pid IS NOT NULL AS in_s903,
                   coalesce(cin.upn_pid, s.upn_pid) AS upn_pid, cin.former_upn_pid,
                   upper(trim(cin.upn_unknown)) AS upn_unknown
            FROM dr
            LEFT JOIN looked_after AS la
              ON la.la_code = dr.la_code AND la.child_pid = dr.child_pid
            LEFT JOIN cin ON cin.la_code = dr.la_code AND cin.child_pid = dr.child_pid
            LEFT JOIN s903 AS s ON s.la_code = dr.la_code AND s.child_pid = dr.child_pid
        ){npd_ctes}
        SELECT ids.la_code, ids.child_pid, ids.first_referral_year, ids.looked_after,
               CASE WHEN ids.in_cin THEN 'matched' ELSE 'not_in_cin_census' END AS cin_status,
               CASE WHEN ids.in_s903 THEN 'matched'
                    WHEN ids.looked_after THEN 'not_in_ssda903' END AS s903_status,
               ids.upn_pid, ids.upn_unknown, {pmr} AS pmr, {status} AS npd_status
        FROM ids {npd_join}
        ORDER BY ids.la_code, ids.child_pid
    """


def conflicts_sql(*, with_uasc: bool = True, sources: Sources = "evaluation_returns") -> str:
    """Per child: how many distinct birth months, sexes and UPN pseudonyms its sources give
    (SSDA903's UASC table only where the store holds one)."""
    parts = [
        *(f"SELECT la_code, child_pid, '{t}' AS source, birth_year_month, "
          f"{_SEX.format(c='gender')} AS sex, CAST(NULL AS VARCHAR) AS upn_pid FROM {_v(t)}"
          for t in ("dr2_referrals", "dr2_cp", "dr2_cla")),
        f"SELECT la_code, child_pid, 'dr3_neet', birth_year_month, NULL, NULL FROM {_v('dr3_neet')}",
        f"SELECT la_code, child_pid, 'cin_census', birth_year_month, {_SEX.format(c='gender')}, "
        f"upn_pid FROM {_v('cin_children')}",
        f"SELECT la_code, child_pid, 'ssda903', birth_year_month, {_SEX.format(c='sex')}, upn_pid "
        f"FROM {_v('s903_header')}",
    ]  # fmt: skip
    if with_uasc:
        parts.append(
            f"SELECT la_code, child_pid, 'ssda903', birth_year_month, {_SEX.format(c='sex')}, "
            f"NULL FROM {_v('s903_uasc')}"
        )
    return f"""
        WITH attrs AS ({" UNION ALL ".join(parts)}),
        dr AS ({_base_sql(sources)})
        SELECT a.la_code, a.child_pid,
               count(DISTINCT a.source) AS sources,
               count(DISTINCT a.birth_year_month) AS birth_year_months,
               count(DISTINCT a.sex) AS sexes,
               count(DISTINCT a.upn_pid) AS upn_pids
        FROM attrs AS a JOIN dr ON dr.la_code = a.la_code AND dr.child_pid = a.child_pid
        GROUP BY a.la_code, a.child_pid
        ORDER BY a.la_code, a.child_pid
    """


@dataclass
class LinkageResult:
    """The linkage table (pseudonyms only), per-child conflicts and what was (not) run."""

    children: pd.DataFrame  # LINKAGE_COLUMNS
    conflicts: pd.DataFrame  # la_code, child_pid, birth_year_month, sex, upn (bools)
    npd_linked: bool
    notes: list[str] = field(default_factory=list)


def link_store(
    sql: SqlEngine, *, with_npd: bool, sources: Sources = "evaluation_returns"
) -> LinkageResult:
    """Run the deterministic linkage on a store's engine (``store.sql``, or Spark's); the policy
    check is the caller's. ``sources``: the study's (see :func:`linkage_sql`)."""
    children = sql.arrow(linkage_sql(with_npd=with_npd, sources=sources)).to_pandas()
    with_uasc = sql.has_relation("s903_uasc_current")
    counts = sql.arrow(conflicts_sql(with_uasc=with_uasc, sources=sources)).to_pandas()
    conflicts = pd.DataFrame(
        {
            "la_code": counts["la_code"],
            "child_pid": counts["child_pid"],
            "birth_year_month": counts["birth_year_months"] > 1,
            "sex": counts["sexes"] > 1,
            "upn": counts["upn_pids"] > 1,
        }
    )
    notes = []
    if not with_npd:
        notes.append(
            "NPD linkage not run: education data may be held only in the SRS research "
            "environment, not in this workspace."
        )
    return LinkageResult(children, conflicts, with_npd, notes)
