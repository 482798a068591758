"""Magnitude tables: sums or means of a variable by group, checked against the microdata.

Per cell (and per margin), on the contributors with a non-missing value:

- ``threshold``: fewer than ``safe_threshold`` contributors (means, medians and SDs need n >= 10);
- ``dominance`` (n, k): the largest ``safe_nk_n`` contributions exceed ``safe_nk_k`` of the total;
- ``p-ratio``: the rest of the cell after the two largest is less than ``safe_pratio_p`` of the
  largest, so the second largest contributor could estimate the largest to within p%. As in
  ACRO, a cell whose total is zero or negative, or with fewer than two contributors, cannot be
  shown safe and fires ``p-ratio`` when zeros are disclosive.

Negative values make dominance and p% meaningless; they send the output to review (as ACRO
does) rather than being checked silently. Sums with margins are additive, so they get secondary
suppression like counts; means are not additive and get primary suppression only.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from steward.disclosure.grid import build_grid, to_checked
from steward.disclosure.output import CheckedOutput
from steward.disclosure.rules import SdcRules
from steward.errors import DisclosureError, Location, UserError

Aggregate = Literal["sum", "mean"]


def fired_rules(contributions: np.ndarray, rules: SdcRules) -> list[str]:
    """Rules that fire on one cell, given its contributors' non-missing values."""
    fired: list[str] = []
    n = contributions.size
    if n < rules.safe_threshold:
        fired.append("threshold")
    ordered = np.sort(contributions)[::-1]
    total = float(ordered.sum()) if n else 0.0
    if total > 0 and ordered[: rules.safe_nk_n].sum() / total > rules.safe_nk_k:
        fired.append("dominance")
    if total <= 0 or n <= 1:
        if rules.zeros_are_disclosive:
            fired.append("p-ratio")
    elif (total - ordered[0] - ordered[1]) / ordered[0] < rules.safe_pratio_p:
        fired.append("p-ratio")
    return fired


def check_magnitude_table(
    microdata: pd.DataFrame,
    *,
    index: str,
    columns: str | None,
    value: str,
    aggfunc: Aggregate = "sum",
    rules: SdcRules | None = None,
    name: str | None = None,
    margins: bool = True,
) -> CheckedOutput:
    """Tabulate ``aggfunc`` of ``value`` by ``index`` (x ``columns``) and check every cell."""
    rules = rules or SdcRules()
    label = name or f"{aggfunc} of {value} by {index}" + (f" by {columns}" if columns else "")
    groups = [index] + ([columns] if columns else [])
    for column in [*groups, value]:
        if column not in microdata.columns:
            raise UserError(
                what=f"The data has no column {column!r}",
                fix=f"Use one of: {', '.join(map(str, microdata.columns))}.",
                where=Location(sheet=label, column=column),
            )
    if aggfunc not in ("sum", "mean"):
        raise DisclosureError(
            what=f"Aggregate {aggfunc!r} is not supported for magnitude tables",
            fix="Use 'sum' or 'mean'.",
            where=Location(sheet=label),
        )
    if not pd.api.types.is_numeric_dtype(microdata[value]):
        raise DisclosureError(
            what=f"Column {value!r} is not numeric",
            fix="Sums and means need a numeric variable.",
            where=Location(sheet=label, column=value),
        )
    data = microdata[[*groups, value]].dropna(subset=groups)
    row_labels = pd.Index(sorted(data[index].unique()), name=index)
    if columns:
        col_labels = pd.Index(sorted(data[columns].unique()), name=columns)
    else:
        col_labels = pd.Index([value])
    if len(row_labels) == 0:
        raise DisclosureError(
            what=f"Output {label!r} has no cells to check",
            fix="Check the filters that built the data; an empty table cannot be released.",
            where=Location(sheet=label),
        )

    def contributions(row: object | None, col: object | None) -> np.ndarray:
        mask = pd.Series(True, index=data.index)
        if row is not None:
            mask &= data[index] == row
        if col is not None and columns:
            mask &= data[columns] == col
        return data.loc[mask, value].dropna().to_numpy(dtype=float)

    rows: list[object | None] = [*row_labels]
    cols: list[object | None] = [*col_labels] if columns else [None]
    if margins:
        rows.append(None)
        if columns:
            cols.append(None)
    cells = [[contributions(r, c) for c in cols] for r in rows]
    sums = np.array([[cell.sum() for cell in row] for row in cells], dtype=float)
    means = np.array(
        [[cell.mean() if cell.size else np.nan for cell in row] for row in cells], dtype=float
    )
    n_body_rows, n_body_cols = len(row_labels), len(col_labels)
    body = pd.DataFrame(sums[:n_body_rows, :n_body_cols], index=row_labels, columns=col_labels)
    if not columns:
        body.columns.name = None
    has_negative = bool((data[value].dropna() < 0).any())
    additive = aggfunc == "sum" and not has_negative
    grid = build_grid(
        body,
        name=label,
        statistic=f"{aggfunc}:{value}",
        margins=margins,
        additive=additive,
        row_totals=pd.Series(sums[:n_body_rows, -1]) if margins and columns else None,
        column_totals=pd.Series(sums[-1, :n_body_cols]) if margins else None,
    )
    for i, row in enumerate(cells):
        for j, cell in enumerate(row):
            for rule in fired_rules(cell, rules):
                grid.tag((i, j), rule)
    grid.suppress_secondary()
    review = []
    if has_negative:
        review.append(
            f"{value!r} has negative values: dominance and p% rules are not reliable; "
            "a checker must review every cell."
        )
    if aggfunc == "mean":
        review.append(
            "Means are not additive: suppressed means were not protected by secondary "
            "suppression; do not publish the matching counts and sums with them."
        )
    counts = np.array([[cell.size for cell in row] for row in cells])
    return to_checked(
        grid,
        name=label,
        kind="magnitude",
        rules=rules,
        properties={
            "method": "magnitude_table",
            "aggfunc": aggfunc,
            "value": value,
            "index": index,
            "columns": columns,
            "margins": margins,
            "min_contributors": int(counts.min()),
        },
        command=f"magnitude({aggfunc!r}, {value!r}, {index!r}, {columns!r})",
        review_reasons=review if has_negative else None,
        comments=review if not has_negative else None,
        display_values=sums if aggfunc == "sum" else means,
    )
