"""A table held with its published margins as one grid, with the rules fired on each cell.

Frequency tables and additive magnitude tables (sums) share this machinery: primary rules tag
cells, ``secondary_suppression`` extends the pattern, ``to_checked`` produces the
``CheckedOutput``. Each cell carries an aggregate key (which category of which variable, and
which statistic) so that a ``Release`` can suppress the same aggregate in every table it occurs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from steward.disclosure.output import CheckedOutput, OutputKind, outcome_frame, summary_line
from steward.disclosure.rules import CELL_RULES, SdcRules, Status
from steward.disclosure.secondary import Cell, Line, grid_exposed, grid_lines, secondary_suppression

AggregateKey = frozenset[tuple[str, Any]]


@dataclass
class TableGrid:
    """Body plus margins as a matrix, the additive relations, and per-cell fired rules."""

    values: np.ndarray  # float, unrounded, shape (rows(+1), cols(+1))
    index: pd.Index
    columns: pd.Index
    lines: list[Line]
    keys: dict[Cell, AggregateKey]
    body_shape: tuple[int, int]
    tags: list[list[list[str]]] = field(default_factory=list)
    additive: bool = True

    def __post_init__(self) -> None:
        if not self.tags:
            self.tags = [
                [[] for _ in range(self.values.shape[1])] for _ in range(self.values.shape[0])
            ]

    def tag(self, cell: Cell, rule: str) -> None:
        """Record that ``rule`` fired on ``cell``."""
        bucket = self.tags[cell[0]][cell[1]]
        if rule not in bucket:
            bucket.append(rule)

    def withheld(self) -> np.ndarray:
        """Mask of cells any rule fired on."""
        return np.array([[bool(cell) for cell in row] for row in self.tags], dtype=bool)

    def suppress_secondary(self) -> list[Cell]:
        """Run secondary suppression on the grid and tag the added cells ``secondary``."""
        if not self.additive:
            return []
        mask = self.withheld()
        added = secondary_suppression(self.values, mask, self.lines)
        for cell in added:
            self.tag(cell, "secondary")
        return added

    def exposed(self) -> list[Cell]:
        """Withheld cells still recoverable from this table's own margins (should be none)."""
        if not self.additive:
            return []
        return grid_exposed(self.values, self.withheld(), self.lines)


def build_grid(
    body: pd.DataFrame,
    *,
    name: str,
    statistic: str,
    margins: bool,
    row_totals: pd.Series | None = None,
    column_totals: pd.Series | None = None,
    grand_total: float | None = None,
    margins_name: str = "All",
    additive: bool = True,
    conditions: Mapping[str, Any] | None = None,
) -> TableGrid:
    """Assemble the grid; margins default to sums of the body (pass them for non-additive stats)."""
    n_rows, n_cols = body.shape
    one_way = n_cols == 1 and body.columns.name is None
    has_row_totals = margins and not one_way
    has_column_totals = margins
    values = body.to_numpy(dtype=float)
    index = body.index
    columns = body.columns
    if has_row_totals:
        rt = body.sum(axis=1) if row_totals is None else row_totals
        values = np.column_stack([values, rt.to_numpy(dtype=float)])
        columns = _append(columns, margins_name)
    if has_column_totals:
        ct = body.sum(axis=0) if column_totals is None else column_totals
        last = ct.to_numpy(dtype=float)
        if has_row_totals:
            gt = float(body.to_numpy(dtype=float).sum()) if grand_total is None else grand_total
            last = np.append(last, gt)
        values = np.vstack([values, last])
        index = _append(index, margins_name)
    row_dim = _dim(body.index, f"{name}.rows")
    col_dim = _dim(body.columns, f"{name}.columns")
    stat = ("__statistic__", statistic)
    fixed = [(str(k), _label(v)) for k, v in (conditions or {}).items()]
    keys: dict[Cell, AggregateKey] = {}
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            parts = [stat, *fixed]
            if i < n_rows:
                parts.append((row_dim, _label(body.index[i])))
            if j < n_cols and not one_way:
                parts.append((col_dim, _label(body.columns[j])))
            keys[(i, j)] = frozenset(parts)
    lines = grid_lines(n_rows, n_cols, row_totals=has_row_totals, column_totals=has_column_totals)
    return TableGrid(
        values=values,
        index=index,
        columns=columns,
        lines=lines,
        keys=keys,
        body_shape=(n_rows, n_cols),
        additive=additive,
    )


def _append(labels: pd.Index, margins_name: str) -> pd.Index:
    if isinstance(labels, pd.MultiIndex):
        filler = (margins_name,) + ("",) * (labels.nlevels - 1)
        return labels.append(pd.MultiIndex.from_tuples([filler], names=labels.names))
    return pd.Index([*labels.tolist(), margins_name], name=labels.name)


def _dim(labels: pd.Index, fallback: str) -> str:
    if isinstance(labels, pd.MultiIndex):
        names = [str(n) if n is not None else fallback for n in labels.names]
        return "|".join(names)
    return str(labels.name) if labels.name is not None else fallback


def _label(value: Any) -> Any:
    # numpy scalars hash like Python ones, but keep keys JSON-friendly and comparable
    if isinstance(value, np.generic):
        return value.item()
    return value


def to_checked(
    grid: TableGrid,
    *,
    name: str,
    kind: OutputKind,
    rules: SdcRules,
    properties: dict[str, Any],
    command: str = "",
    comments: list[str] | None = None,
    rounding_base: int | None = None,
    review_reasons: list[str] | None = None,
    display_values: np.ndarray | None = None,
) -> CheckedOutput:
    """Turn a tagged grid into a ``CheckedOutput`` (safe values, outcome, status, summary)."""
    mask = grid.withheld()
    shown = grid.values if display_values is None else display_values
    safe_values = np.where(mask, np.nan, shown)
    if rounding_base:
        # Suppression was decided on unrounded counts; rounding the published cells is last.
        safe_values = np.floor(safe_values / rounding_base + 0.5) * rounding_base
    safe = pd.DataFrame(safe_values, index=grid.index, columns=grid.columns)
    outcome = outcome_frame(grid.tags, grid.index, grid.columns)
    counts: dict[str, int] = {
        rule: sum(rule in cell for row in grid.tags for cell in row) for rule in CELL_RULES
    }
    n_rows, n_cols = grid.body_shape
    body_all_withheld = bool(mask[:n_rows, :n_cols].all())
    status: Status
    notes = list(comments or [])
    if body_all_withheld:
        status = "fail"
        notes.append("Every cell of the table is disclosive: combine categories and re-run.")
    elif grid.exposed():
        status = "fail"
        notes.append("A withheld cell can still be recovered from the published margins.")
    elif mask.any() or review_reasons:
        status = "review"
        notes.extend(review_reasons or [])
        if mask.any():
            notes.append("Suppression automatically applied where needed.")
    else:
        status = "pass"
    keys = {cell: key for cell, key in grid.keys.items()}
    checked = CheckedOutput(
        name=name,
        kind=kind,
        status=status,
        safe=safe,
        cell_rules=outcome,
        summary=summary_line(name, kind, status, counts),
        rules=rules,
        properties={**properties, "rounding_base": rounding_base},
        command=command,
        comments=notes,
        cell_keys=keys,
    )
    checked.grid = grid

    def rebuild() -> CheckedOutput:
        again = to_checked(
            grid,
            name=name,
            kind=kind,
            rules=rules,
            properties=properties,
            command=command,
            comments=comments,
            rounding_base=rounding_base,
            review_reasons=review_reasons,
            display_values=display_values,
        )
        again.exception = checked.exception
        return again

    checked.rebuild = rebuild
    return checked
