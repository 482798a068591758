"""Periods of care derived from SSDA903 episodes.

Episodes of one child are ordered by start date (DECOM); a new period of care starts at an
episode whose reason for new episode (RNE) is ``S`` (started to be looked after), and at the
child's first episode in the data even if its RNE is not ``S`` (the period began before the
return's window). A period ends at the end date (DEC) of its last episode; it is open while
that is empty. Written as portable SQL so it runs on any engine the store uses; ingest derives
the same periods from Arrow arrays (``periods_of_care``), a SQL query costing more to plan than
the few hundred episodes of a file cost to sort.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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


def periods_of_care(episodes: pa.Table, child: str = "CHILD") -> pa.Table | None:
    """What ``periods_of_care_sql`` gives over ``episodes``, in its column names and types.

    None when the SQL's order is not fully decided by the data (a child with two episodes
    starting the same day, a missing child or start date): the SQL is then the only answer.
    As in the SQL (``max_by``/``min_by`` skip nulls), a period ends at the last end date its
    episodes have, and its legal status is the first one given.
    """
    n = episodes.num_rows
    if n and (episodes[child].null_count or episodes["DECOM"].null_count):
        return None
    by_start = pc.sort_indices(episodes, [(child, "ascending"), ("DECOM", "ascending")])
    table = episodes.select([child, "DECOM", "DEC", "RNE", "LS"]).take(by_start)
    children = table[child].combine_chunks()
    starts_on = table["DECOM"].combine_chunks()
    new_child = np.ones(n, dtype=bool)
    if n > 1:
        same_child = pc.equal(children[1:], children[:-1]).to_numpy(zero_copy_only=False)
        same_day = pc.equal(starts_on[1:], starts_on[:-1]).to_numpy(zero_copy_only=False)
        if (same_child & same_day).any():
            return None
        new_child[1:] = ~same_child
    started = pc.fill_null(pc.equal(table["RNE"], "S"), False).to_numpy(zero_copy_only=False)
    new_period = new_child | started
    first = np.flatnonzero(new_period)  # each period's first episode (row in start order)
    last = (np.append(first[1:], n) - 1)[: len(first)]  # each period's last (none if no rows)
    period = np.cumsum(new_period) - 1  # each episode's period
    child_of_period = (np.cumsum(new_child) - 1)[first]
    first_period_of_child = period[np.flatnonzero(new_child)]
    period_no = np.arange(len(first)) - first_period_of_child[child_of_period] + 1
    return pa.table(
        {
            child: children.take(first),
            "period_no": pa.array(period_no, pa.int32()),
            "period_start": starts_on.take(first),
            "period_end": _last_given(table["DEC"].combine_chunks(), first, last),
            "episodes": pa.array(last - first + 1, pa.int64()),
            "first_legal_status": _first_given(table["LS"].combine_chunks(), first, last),
        }
    )


def _last_given(values: pa.Array, first: np.ndarray, last: np.ndarray) -> pa.Array:
    """Per run ``first[i]..last[i]``, its last non-null value (null if none)."""
    given = np.flatnonzero(pc.is_valid(values).to_numpy(zero_copy_only=False))
    at = np.searchsorted(given, last, side="right") - 1
    found = at >= 0
    found[found] = given[at[found]] >= first[found]
    return values.take(pa.array(given[np.maximum(at, 0)] if len(given) else at, mask=~found))


def _first_given(values: pa.Array, first: np.ndarray, last: np.ndarray) -> pa.Array:
    """Per run ``first[i]..last[i]``, its first non-null value (null if none)."""
    given = np.flatnonzero(pc.is_valid(values).to_numpy(zero_copy_only=False))
    at = np.searchsorted(given, first, side="left")
    found = at < len(given)
    found[found] = given[at[found]] <= last[found]
    return values.take(
        pa.array(given[np.minimum(at, len(given) - 1)] if len(given) else at, mask=~found)
    )
