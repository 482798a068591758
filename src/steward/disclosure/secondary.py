"""Secondary suppression: stop a withheld cell being worked out from the totals around it.

The table is held *with* its published margins as one grid. Every row of the body with its row
total, every column with its column total, and the margins with the grand total are additive
relations. The algorithm:

1. **Line rule, to a fixed point.** Any relation with exactly one withheld cell gives that cell
   away by subtraction, so the smallest unsuppressed part of that relation (preferring positive
   values, which actually hide something) is withheld too; if every part is withheld the total
   is. Repeat until no relation has exactly one withheld cell.
2. **Audit, then repair.** The line rule is the classic heuristic and it is not complete: a
   withheld cell on a "bridge" between two suppression cycles, or a withheld zero whose partners
   are zeros, can still be pinned down by combining several relations. So the grid is audited by
   linear programming (``audit.feasible_intervals``); for each exposed cell the smallest
   unsuppressed cell of one of its relations is withheld and step 1 runs again.

Guarantee: when this returns, every withheld cell that takes part in a relation has a feasible
interval of positive width given the published cells and non-negativity. Limits: the guarantee
is width > 0, not a protection interval of a chosen size (no "sliding" protection levels as in
tau-argus' optimal suppression), the choice of complementary cells is greedy (it may withhold
more than an optimal linear-programming pattern would), and across tables only shared
aggregates are made consistent (``Release``); it is not a full audit of every possible linear
combination of all tables a study ever publishes, though ``Release.audit`` checks the release.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from steward.disclosure.audit import Relation, exposed_cells

Cell = tuple[int, int]


@dataclass(frozen=True)
class Line:
    """Cells ``parts`` that add up to the cell ``total`` in the grid."""

    parts: tuple[Cell, ...]
    total: Cell

    def cells(self) -> tuple[Cell, ...]:
        return (*self.parts, self.total)


def grid_lines(n_rows: int, n_cols: int, *, row_totals: bool, column_totals: bool) -> list[Line]:
    """Additive relations of an ``n_rows`` x ``n_cols`` body plus its published margins.

    With ``row_totals`` the grid has an extra last column (each row's total); with
    ``column_totals`` an extra last row (each column's total); with both, the corner is the
    grand total and the margins themselves add up to it.
    """
    lines: list[Line] = []
    if row_totals:
        for i in range(n_rows):
            lines.append(Line(tuple((i, j) for j in range(n_cols)), (i, n_cols)))
    if column_totals:
        for j in range(n_cols):
            lines.append(Line(tuple((i, j) for i in range(n_rows)), (n_rows, j)))
    if row_totals and column_totals:
        lines.append(Line(tuple((n_rows, j) for j in range(n_cols)), (n_rows, n_cols)))
        lines.append(Line(tuple((i, n_cols) for i in range(n_rows)), (n_rows, n_cols)))
    return lines


def _complement(line: Line, values: np.ndarray, withheld: np.ndarray) -> Cell | None:
    """The cell to withhold next in ``line``: smallest positive open part, else any open cell."""
    open_parts = [c for c in line.parts if not withheld[c]]
    positive = [c for c in open_parts if values[c] > 0]
    for pool in (positive, open_parts):
        if pool:
            return min(pool, key=lambda c: (values[c], c))
    return None if withheld[line.total] else line.total


def apply_line_rule(values: np.ndarray, withheld: np.ndarray, lines: list[Line]) -> list[Cell]:
    """Withhold cells until no line has exactly one withheld cell; returns the cells added."""
    added: list[Cell] = []
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(bool(withheld[c]) for c in line.cells()) == 1:
                cell = _complement(line, values, withheld)
                if cell is not None:
                    withheld[cell] = True
                    added.append(cell)
                    changed = True
    return added


def grid_exposed(values: np.ndarray, withheld: np.ndarray, lines: list[Line]) -> list[Cell]:
    """Withheld cells of the grid that the published cells determine exactly."""
    cell_values = {(i, j): float(values[i, j]) for i, j in np.ndindex(values.shape)}
    withheld_set = {(int(i), int(j)) for i, j in zip(*np.nonzero(withheld), strict=True)}
    relations = [Relation(line.parts, line.total) for line in lines]
    exposed = exposed_cells(cell_values, withheld_set, relations)
    return [(int(iv.key[0]), int(iv.key[1])) for iv in exposed]  # type: ignore[index]


def secondary_suppression(
    values: np.ndarray,
    withheld: np.ndarray,
    lines: list[Line],
    *,
    audit: Callable[[np.ndarray, np.ndarray, list[Line]], list[Cell]] = grid_exposed,
) -> list[Cell]:
    """Extend ``withheld`` (in place) so no withheld cell can be recovered; returns cells added.

    ``values`` must be non-negative (counts, or sums of a non-negative variable): the audit
    relies on non-negativity to bound the cells.
    """
    added = apply_line_rule(values, withheld, lines)
    if not lines:
        return added
    while True:
        exposed = audit(values, withheld, lines)
        if not exposed:
            return added
        cell = _repair_cell(exposed[0], values, withheld, lines)
        if cell is None:  # nothing left to withhold: every cell of every line already is
            return added
        withheld[cell] = True
        added.append(cell)
        added.extend(apply_line_rule(values, withheld, lines))


def _repair_cell(
    exposed: Cell, values: np.ndarray, withheld: np.ndarray, lines: list[Line]
) -> Cell | None:
    candidates: list[Cell] = []
    for line in lines:
        if exposed in line.cells():
            cell = _complement(line, values, withheld)
            if cell is not None:
                candidates.append(cell)
    if not candidates:
        # Every relation through the exposed cell is fully withheld: open up protection
        # elsewhere by withholding the smallest open cell of the grid.
        candidates = [c for line in lines for c in line.cells() if not withheld[c]]
    if not candidates:
        return None
    return min(candidates, key=lambda c: (values[c] <= 0, values[c], c))
