"""Secondary suppression audited the way an intruder would attack it.

``published_intervals`` below uses only what leaves (the safe table with its margins) plus
non-negativity, and solves for the range of every withheld cell with ``scipy.optimize.linprog``.
It is written independently of ``steward.disclosure.audit`` on purpose.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from steward.disclosure import check_frequency_table, feasible_intervals
from steward.disclosure.audit import Relation
from steward.disclosure.secondary import (
    apply_line_rule,
    grid_exposed,
    grid_lines,
    secondary_suppression,
)


def published_intervals(safe: pd.DataFrame) -> dict[tuple[int, int], tuple[float, float]]:
    """Feasible [min, max] of every withheld cell of a safe table whose last row/column are totals."""
    grid = safe.to_numpy(dtype=float)
    unknown = [(int(i), int(j)) for i, j in zip(*np.nonzero(np.isnan(grid)), strict=True)]
    pos = {cell: k for k, cell in enumerate(unknown)}
    n_rows, n_cols = grid.shape[0] - 1, grid.shape[1] - 1
    lines = [([(i, j) for j in range(n_cols)], (i, n_cols)) for i in range(n_rows + 1)]
    lines += [([(i, j) for i in range(n_rows)], (n_rows, j)) for j in range(n_cols + 1)]
    a_eq, b_eq = [], []
    for parts, total in lines:
        row = np.zeros(len(unknown))
        rhs = 0.0
        for cell, sign in [*((p, 1.0) for p in parts), (total, -1.0)]:
            if cell in pos:
                row[pos[cell]] += sign
            else:
                rhs -= sign * grid[cell]
        if row.any():
            a_eq.append(row)
            b_eq.append(rhs)
    out = {}
    for cell, k in pos.items():
        c = np.zeros(len(unknown))
        c[k] = 1
        lo = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        hi = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        assert lo.status == 0, "the true table is feasible, so the minimum exists"
        high = np.inf if hi.status == 3 else -hi.fun
        out[cell] = (lo.fun, high)
    return out


counts_tables = st.integers(2, 5).flatmap(
    lambda r: st.integers(2, 5).flatmap(
        lambda c: st.lists(
            st.lists(st.one_of(st.integers(0, 12), st.integers(0, 60)), min_size=c, max_size=c),
            min_size=r,
            max_size=r,
        )
    )
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(counts_tables)
def test_no_withheld_cell_can_be_recovered_from_the_published_table(rows: list[list[int]]) -> None:
    counts = pd.DataFrame(rows)
    checked = check_frequency_table(counts, name="random")
    assert not any("can still be recovered" in c for c in checked.comments)
    intervals = published_intervals(checked.safe)
    assert set(intervals) == {
        (i, j) for i, j in zip(*np.nonzero(checked.suppressed().to_numpy()), strict=True)
    }
    full = checked.grid.values
    for cell, (low, high) in intervals.items():
        assert low - 1e-6 <= full[cell] <= high + 1e-6, "the true value lies in its interval"
        assert high - low > 1e-6, f"cell {cell} = {full[cell]} is recoverable: [{low}, {high}]"


def test_every_primary_cell_stays_withheld_and_rules_are_recorded() -> None:
    rows = [[3, 0, 40], [22, 8, 31], [14, 27, 50]]
    checked = check_frequency_table(pd.DataFrame(rows), name="t")
    assert (0, 0) in checked.cells_with("threshold")
    assert (0, 1) in checked.cells_with("zero")
    assert (1, 1) in checked.cells_with("threshold")
    assert checked.suppressed().iloc[0, 0] and checked.suppressed().iloc[0, 1]


def _bridge_pattern() -> tuple[np.ndarray, np.ndarray, list]:
    """Two 2x2 suppression cycles joined by one withheld 'bridge' cell (1, 2)."""
    body = np.array(
        [[20, 30, 40, 50], [25, 35, 45, 55], [15, 25, 35, 45], [30, 20, 60, 40]], dtype=float
    )
    grid = np.zeros((5, 5))
    grid[:4, :4] = body
    grid[:4, 4] = body.sum(axis=1)
    grid[4, :4] = body.sum(axis=0)
    grid[4, 4] = body.sum()
    withheld = np.zeros((5, 5), dtype=bool)
    for cell in [(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3), (1, 2)]:
        withheld[cell] = True
    return grid, withheld, grid_lines(4, 4, row_totals=True, column_totals=True)


def test_line_rule_alone_misses_a_bridge_cell_and_the_audit_repairs_it() -> None:
    """The documented limit of the classic rule: every line has >= 2 withheld cells, yet the
    bridge equals row0 + row1 - col0 - col1 (all published)."""
    grid, withheld, lines = _bridge_pattern()
    assert apply_line_rule(grid, withheld, lines) == []
    assert grid_exposed(grid, withheld, lines) == [(1, 2)]
    added = secondary_suppression(grid, withheld, lines)
    assert added
    assert grid_exposed(grid, withheld, lines) == []


def test_audit_intervals_are_exact_on_a_two_by_two_cycle() -> None:
    values = {
        "a": 8.0,
        "b": 52.0,
        "c": 12.0,
        "d": 44.0,
        "r0": 60.0,
        "r1": 56.0,
        "k0": 20.0,
        "k1": 96.0,
    }
    relations = [
        Relation(("a", "b"), "r0"),
        Relation(("c", "d"), "r1"),
        Relation(("a", "c"), "k0"),
        Relation(("b", "d"), "k1"),
    ]
    intervals = {
        iv.key: (iv.low, iv.high)
        for iv in feasible_intervals(values, {"a", "b", "c", "d"}, relations)
    }
    assert intervals == {"a": (0, 20), "b": (40, 60), "c": (0, 20), "d": (36, 56)}
    # withholding only 'a' exposes it at once
    lone = feasible_intervals(values, {"a"}, relations)
    assert [(iv.key, iv.exposed) for iv in lone] == [("a", True)]
