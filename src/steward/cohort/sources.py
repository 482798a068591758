"""Where a cohort's events come from: the same relations over either kind of return.

The cohort rules (:mod:`.builder`, :mod:`.secondary`) read only these temporary views, so they
are written once whichever returns a study uses (``StudyDefinition.sources``):

- ``cohort_referrals``: one row per referral, with the child's characteristics at it
  (la_code, child_pid, referral_pid, referral_date, referral_nfa, birth_year_month, gender,
  ethnicity, disabled, uasc, previous_cpp, source_row);
- ``cohort_referral_history``: (la_code, child_pid) of every stored referral row, flagged
  children included, for counting the children the flags keep out;
- ``cohort_care_starts``: (la_code, child_pid, care_start) of every period of care;
- ``cohort_cp_starts``: (la_code, child_pid, cpp_start_date) of every child protection plan;
- ``cohort_closures``: (la_code, child_pid, referral_pid, closure_date) of closed CIN episodes;
- ``cohort_monthly``: LA-level indicators by month (la_code, month, cla_rate_per_10k,
  prop_white_british, sw_turnover_rate_fte).

``evaluation_returns`` maps them onto DR1–DR3. ``statutory_returns`` maps them onto the CIN
census and SSDA903: referrals are CIN episodes with the census child's birth month, gender and
ethnicity; disabled = any recorded disability other than NONE; UASC = listed in SSDA903's UASC
table (false where the store has none); previous CPPs = plans starting before the referral;
the referral id is derived from the child's pseudonym and the referral date (the census has
none); care starts are SSDA903 periods of care; the census carries no LA indicators.
"""

from __future__ import annotations

from steward.store.sql import SqlEngine
from steward.study.definition import CohortSources

RELATIONS = (
    "cohort_referrals",
    "cohort_referral_history",
    "cohort_care_starts",
    "cohort_cp_starts",
    "cohort_closures",
    "cohort_monthly",
)

# The census has no referral id: the child's pseudonym and the referral date name the episode.
_STATUTORY_REFERRAL_PID = "{t}.child_pid || '/' || CAST({t}.referral_date AS VARCHAR)"

_EVALUATION = {
    "cohort_referrals": """
        SELECT la_code, child_pid, referral_pid, referral_date, referral_nfa, birth_year_month,
               gender, ethnicity, disabled, uasc, previous_cpp, source_row
        FROM dr2_referrals_current""",
    "cohort_referral_history": "SELECT la_code, child_pid FROM dr2_referrals",
    "cohort_care_starts": """
        SELECT la_code, child_pid, poc_start_date AS care_start FROM dr3_periods_of_care_current
        WHERE poc_start_date IS NOT NULL
        UNION
        SELECT la_code, child_pid, cla_start_date FROM dr2_cla_current
        WHERE cla_start_date IS NOT NULL""",
    "cohort_cp_starts": "SELECT la_code, child_pid, cpp_start_date FROM dr2_cp_current",
    "cohort_closures": """
        SELECT la_code, child_pid, referral_pid, closure_date FROM dr3_cin_closures_current""",
    "cohort_monthly": """
        SELECT la_code, month, cla_rate_per_10k, prop_white_british, sw_turnover_rate_fte
        FROM dr1_monthly_current""",
}


def _statutory(*, with_uasc: bool) -> dict[str, str]:
    uasc = (
        "SELECT DISTINCT la_code, child_pid FROM s903_uasc_current"
        if with_uasc
        else "SELECT CAST(NULL AS VARCHAR) AS la_code, CAST(NULL AS VARCHAR) AS child_pid "
        "WHERE FALSE"
    )
    return {
        "cohort_referrals": f"""
            WITH disabled AS (
                SELECT DISTINCT la_code, child_pid FROM cin_disabilities_current
                WHERE upper(trim(disability)) <> 'NONE'
            ), uasc AS ({uasc}),
            previous AS (
                SELECT e.la_code, e.child_pid, e.referral_date, count(p.cpp_start_date) AS plans
                FROM cin_episodes_current e
                JOIN cin_cp_plans_current p
                  ON p.la_code = e.la_code AND p.child_pid = e.child_pid
                 AND p.cpp_start_date < e.referral_date
                GROUP BY e.la_code, e.child_pid, e.referral_date
            )
            SELECT e.la_code, e.child_pid,
                   {_STATUTORY_REFERRAL_PID.format(t="e")} AS referral_pid,
                   e.referral_date, e.referral_nfa, c.birth_year_month, c.gender, c.ethnicity,
                   d.child_pid IS NOT NULL AS disabled, u.child_pid IS NOT NULL AS uasc,
                   coalesce(p.plans, 0) AS previous_cpp, e.source_row
            FROM cin_episodes_current e
            LEFT JOIN cin_children_current c
              ON c.la_code = e.la_code AND c.child_pid = e.child_pid
            LEFT JOIN disabled d ON d.la_code = e.la_code AND d.child_pid = e.child_pid
            LEFT JOIN uasc u ON u.la_code = e.la_code AND u.child_pid = e.child_pid
            LEFT JOIN previous p ON p.la_code = e.la_code AND p.child_pid = e.child_pid
                                AND p.referral_date = e.referral_date""",
        "cohort_referral_history": "SELECT la_code, child_pid FROM cin_episodes",
        "cohort_care_starts": """
            SELECT DISTINCT la_code, child_pid, period_start AS care_start
            FROM s903_periods_of_care_current WHERE period_start IS NOT NULL""",
        "cohort_cp_starts": "SELECT la_code, child_pid, cpp_start_date FROM cin_cp_plans_current",
        "cohort_closures": f"""
            SELECT e.la_code, e.child_pid, {_STATUTORY_REFERRAL_PID.format(t="e")} AS referral_pid,
                   e.closure_date
            FROM cin_episodes_current e WHERE e.closure_date IS NOT NULL""",
        "cohort_monthly": """
            SELECT CAST(NULL AS VARCHAR) AS la_code, CAST(NULL AS DATE) AS month,
                   CAST(NULL AS DOUBLE) AS cla_rate_per_10k,
                   CAST(NULL AS DOUBLE) AS prop_white_british,
                   CAST(NULL AS DOUBLE) AS sw_turnover_rate_fte
            WHERE FALSE""",
    }


def source_sql(sql: SqlEngine, sources: CohortSources) -> dict[str, str]:
    """The SELECT behind each cohort relation, for ``sources``."""
    if sources == "evaluation_returns":
        return dict(_EVALUATION)
    return _statutory(with_uasc=sql.has_relation("s903_uasc_current"))


def create_sources(sql: SqlEngine, sources: CohortSources) -> None:
    """(Re)create the cohort relations as temporary views over the store's current views."""
    for name, select in source_sql(sql, sources).items():
        sql.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {select}")
