"""A checked output: the table as computed, the safe table that may leave, and why.

``cell_rules`` has the shape of the published table; each cell holds the rules that fired on it
joined by ``"; "`` (ACRO writes its outcome table the same way), or ``"ok"``. ``safe`` holds the
values that may leave, with suppressed cells as NaN; ``to_display`` renders them with the GSS
symbol ``[c]``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from steward.disclosure.rules import CELL_RULES, GSS_CONFIDENTIAL, CellRule, SdcRules, Status

OutputKind = Literal["frequency", "magnitude", "model"]
OK = "ok"


@dataclass
class CheckedOutput:
    """One output after disclosure control."""

    name: str
    kind: OutputKind
    status: Status
    safe: pd.DataFrame
    cell_rules: pd.DataFrame
    summary: str
    rules: SdcRules
    properties: dict[str, Any] = field(default_factory=dict)
    command: str = ""
    comments: list[str] = field(default_factory=list)
    exception: str = ""
    #: Aggregate keys of published cells (frequency tables only): cell position -> key shared
    #: with other tables of a release, so a cell suppressed in one is suppressed in all.
    cell_keys: dict[tuple[int, int], frozenset[tuple[str, Any]]] = field(default_factory=dict)
    #: The working grid (unrounded values; never written out) and how to rebuild this output
    #: from it after a ``Release`` withholds more cells.
    grid: Any = field(default=None, repr=False, compare=False)
    rebuild: Callable[[], CheckedOutput] | None = field(default=None, repr=False, compare=False)

    def suppressed(self) -> pd.DataFrame:
        """Boolean mask of cells withheld from the safe table."""
        return self.cell_rules != OK

    def cells_with(self, rule: CellRule) -> list[tuple[Any, Any]]:
        """(row label, column label) of every cell on which ``rule`` fired."""
        hits: list[tuple[Any, Any]] = []
        for r, row_label in enumerate(self.cell_rules.index):
            for c, col_label in enumerate(self.cell_rules.columns):
                if rule in fired(str(self.cell_rules.iat[r, c])):
                    hits.append((row_label, col_label))
        return hits

    def rule_counts(self) -> dict[str, int]:
        """How many cells each rule fired on (a cell may count under several rules)."""
        return {rule: len(self.cells_with(rule)) for rule in CELL_RULES}


def fired(tags: str) -> list[str]:
    """The rules named in one cell of an outcome table."""
    return [] if tags == OK else [t.strip() for t in tags.split(";") if t.strip()]


def join_rules(rules: list[str]) -> str:
    """The outcome text of one cell: rules in canonical order, or ``ok``."""
    ordered = [r for r in CELL_RULES if r in rules]
    return "; ".join(ordered) if ordered else OK


def outcome_frame(tags: list[list[list[str]]], index: pd.Index, columns: pd.Index) -> pd.DataFrame:
    """Build the per-cell outcome table from nested lists of fired rules."""
    return pd.DataFrame(
        [[join_rules(cell) for cell in row] for row in tags], index=index, columns=columns
    )


def summary_line(name: str, kind: str, status: Status, counts: Mapping[str, int]) -> str:
    """One line a checker reads first: status and how many cells each rule withheld."""
    fired = [f"{rule}: {n} cells suppressed" for rule, n in counts.items() if n]
    detail = "; ".join(fired) if fired else "no cell needed suppressing"
    return f"{name} ({kind}): {status}; {detail}"


def to_display(checked: CheckedOutput, *, decimals: int | None = None) -> pd.DataFrame:
    """The safe table as text, with ``[c]`` in every suppressed cell (GSS symbols guidance)."""
    mask = checked.suppressed().to_numpy()
    values = checked.safe.to_numpy(dtype=object)
    out = np.empty(values.shape, dtype=object)
    for (r, c), value in np.ndenumerate(values):
        if mask[r, c]:
            out[r, c] = GSS_CONFIDENTIAL
        else:
            out[r, c] = _format(value, decimals)
    return pd.DataFrame(out, index=checked.safe.index, columns=checked.safe.columns)


def _format(value: Any, decimals: int | None) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if decimals is None and float(value).is_integer():
            return str(int(value))
        return f"{value:.{decimals if decimals is not None else 2}f}"
    return str(value)
