"""Periods of care derived from SSDA903 episodes.

Episodes of one child are ordered by start date (DECOM); a new period of care starts at an
episode whose reason for new episode (RNE) is ``S`` (started to be looked after), and at the
child's first episode in the data even if its RNE is not ``S`` (the period began before the
return's window). A period ends at the end date (DEC) of its last episode; it is open while
that is empty. Written as portable SQL so it runs on any engine the store uses.
"""

from __future__ import annotations

PERIODS_OF_CARE_SQL = """
WITH ordered AS (
    SELECT {child} AS child, "DECOM", "DEC", "RNE", "LS",
           row_number() OVER (PARTITION BY {child} ORDER BY "DECOM") AS episode_no
    FROM {episodes}
), numbered AS (
    SELECT *, CAST(sum(CASE WHEN "RNE" = 'S' OR episode_no = 1 THEN 1 ELSE 0 END)
              OVER (PARTITION BY child ORDER BY "DECOM" ROWS UNBOUNDED PRECEDING) AS INTEGER)
              AS period_no
    FROM ordered
)
SELECT child AS {child}, period_no,
       min("DECOM") AS period_start,
       max_by("DEC", "DECOM") AS period_end,
       count(*) AS episodes,
       min_by("LS", "DECOM") AS first_legal_status
FROM numbered
GROUP BY child, period_no
ORDER BY child, period_no
"""


def periods_of_care_sql(episodes: str, child: str = '"CHILD"') -> str:
    """SQL deriving periods of care from the episodes relation ``episodes``."""
    return PERIODS_OF_CARE_SQL.format(episodes=episodes, child=child)
