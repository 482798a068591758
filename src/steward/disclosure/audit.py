"""Attacker's audit: how precisely can each suppressed cell be worked out from what is published?

An intruder who sees the published cells knows every additive relation of the release (each
row, column and margin sums to its total) and that counts are non-negative. Each suppressed
cell is then confined to an interval: its minimum and maximum over all non-negative tables that
agree with the published cells. Two linear programmes per suppressed cell
(``scipy.optimize.linprog``, HiGHS) give that interval exactly. A cell whose interval has width
zero is *exposed*: its value can be recovered. The audit works on any set of additive relations
whose cells are identified by hashable keys, so one audit covers a table or a whole release.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import linprog

WIDTH_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Relation:
    """``sum(parts) == total``: one additive constraint the intruder knows."""

    parts: tuple[Hashable, ...]
    total: Hashable


@dataclass(frozen=True)
class CellInterval:
    """The range a suppressed cell could take given everything published."""

    key: Hashable
    value: float
    low: float
    high: float

    @property
    def width(self) -> float:
        """Width of the feasible interval (``inf`` when nothing bounds it from above)."""
        return self.high - self.low

    @property
    def exposed(self) -> bool:
        """True when the published cells pin this cell to a single value."""
        return self.width <= WIDTH_TOLERANCE


def feasible_intervals(
    values: Mapping[Any, float],
    suppressed: AbstractSet[Any],
    relations: Sequence[Relation],
    *,
    non_negative: bool = True,
) -> list[CellInterval]:
    """Feasible interval of every suppressed cell that appears in some relation.

    ``values`` holds the true value of every cell (only suppressed ones are treated as unknown).
    """
    unknown = sorted(
        {k for rel in relations for k in (*rel.parts, rel.total) if k in suppressed}, key=repr
    )
    if not unknown:
        return []
    position = {k: i for i, k in enumerate(unknown)}
    rows: list[np.ndarray] = []
    rhs: list[float] = []
    for rel in relations:
        coef = np.zeros(len(unknown))
        constant = 0.0
        for key, sign in [*((p, 1.0) for p in rel.parts), (rel.total, -1.0)]:
            if key in position:
                coef[position[key]] += sign
            else:
                constant += sign * float(values[key])
        if np.any(coef):
            rows.append(coef)
            rhs.append(-constant)
    a_eq = np.vstack(rows) if rows else None
    b_eq = np.array(rhs) if rows else None
    bound: tuple[float | None, float | None] = (0.0, None) if non_negative else (None, None)
    bounds = [bound] * len(unknown)
    intervals: list[CellInterval] = []
    for key, i in position.items():
        objective = np.zeros(len(unknown))
        objective[i] = 1.0
        low = _optimum(objective, a_eq, b_eq, bounds)
        high = -_optimum(-objective, a_eq, b_eq, bounds)
        intervals.append(CellInterval(key=key, value=float(values[key]), low=low, high=high))
    return intervals


def _optimum(
    objective: np.ndarray,
    a_eq: np.ndarray | None,
    b_eq: np.ndarray | None,
    bounds: list[tuple[float | None, float | None]],
) -> float:
    result = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    if result.status == 3:  # unbounded in this direction
        return -np.inf
    if result.status != 0:
        # The true table is always feasible, so anything else is a numerical failure: treat
        # the cell as exposed rather than claim protection that was not shown.
        return float("nan")
    return float(result.fun)


def exposed_cells(
    values: Mapping[Any, float],
    suppressed: AbstractSet[Any],
    relations: Sequence[Relation],
    *,
    non_negative: bool = True,
) -> list[CellInterval]:
    """Suppressed cells whose value the published cells determine exactly (should be none)."""
    return [
        iv
        for iv in feasible_intervals(values, suppressed, relations, non_negative=non_negative)
        if iv.exposed or np.isnan(iv.width)
    ]
