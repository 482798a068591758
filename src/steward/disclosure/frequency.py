"""Frequency tables: counts of people (or records) by one or two categorical variables.

Order of operations, always the same:

1. validate the counts (whole, non-negative numbers; margins, if given, must add up);
2. **primary suppression** on the unrounded counts of body *and* margins: a count below
   ``safe_threshold`` fires ``threshold``; a zero fires ``zero`` when zeros are disclosive
   (otherwise a zero is published as a structural zero);
3. **secondary suppression** (``secondary.py``) so no withheld cell can be recovered from the
   published totals;
4. **rounding** of the published cells to ``rounding_base`` when chosen (ONS 10-5 rule). Margins
   are rounded from their unrounded values, so rounded cells need not add up to rounded totals.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from steward.disclosure.grid import build_grid, to_checked
from steward.disclosure.output import CheckedOutput
from steward.disclosure.rules import SdcRules
from steward.errors import DisclosureError, Location, UserError


def check_frequency_table(
    counts: pd.DataFrame | pd.Series,
    *,
    rules: SdcRules | None = None,
    name: str,
    margins: bool = True,
    margins_name: str = "All",
    command: str = "",
    conditions: Mapping[str, Any] | None = None,
) -> CheckedOutput:
    """Check a table of counts (rows x columns, with or without margins) for disclosure.

    A one-column table without a column-axis name (or a Series) is a one-way table. Margins
    in the input (a last row and/or column labelled ``margins_name``) are checked to add up and
    then recomputed; ``margins`` says whether the safe table publishes totals. ``conditions``
    names the filters the counted population was selected by (variable -> category, e.g.
    ``{"grant_type": "R/G"}``), so a ``Release`` can match its cells with other tables.
    """
    rules = rules or SdcRules()
    body = _validated_body(counts, name=name, margins_name=margins_name)
    grid = build_grid(
        body,
        name=name,
        statistic="count",
        margins=margins,
        margins_name=margins_name,
        conditions=conditions,
    )
    for (i, j), value in np.ndenumerate(grid.values):
        if value == 0:
            if rules.zeros_are_disclosive:
                grid.tag((i, j), "zero")
        elif value < rules.safe_threshold:
            grid.tag((i, j), "threshold")
    grid.suppress_secondary()
    properties = {
        "method": "frequency_table",
        "index": _axis_name(body.index),
        "columns": _axis_name(body.columns),
        "margins": margins,
        "threshold": rules.safe_threshold,
        "zeros_are_disclosive": rules.zeros_are_disclosive,
        "conditions": {str(k): str(v) for k, v in (conditions or {}).items()},
    }
    return to_checked(
        grid,
        name=name,
        kind="frequency",
        rules=rules,
        properties=properties,
        command=command,
        rounding_base=rules.rounding_base,
    )


def crosstab(
    df: pd.DataFrame,
    index: str,
    columns: str | None = None,
    *,
    rules: SdcRules | None = None,
    name: str | None = None,
    margins: bool = True,
    conditions: Mapping[str, Any] | None = None,
) -> CheckedOutput:
    """Count microdata rows by ``index`` (and ``columns``) and check the table.

    Rows with a missing category are not counted; how many is recorded in the output's
    comments, never silently.
    """
    needed = [index] + ([columns] if columns else [])
    for column in needed:
        if column not in df.columns:
            raise UserError(
                what=f"The data has no column {column!r} to tabulate",
                fix=f"Use one of: {', '.join(map(str, df.columns))}.",
                where=Location(column=column),
            )
    complete = df[needed].dropna()
    missing = len(df) - len(complete)
    if columns:
        counts = pd.crosstab(complete[index], complete[columns])
        counts.index.name, counts.columns.name = index, columns
    else:
        counts = complete[index].value_counts().sort_index().to_frame("count")
        counts.index.name = index
        counts.columns.name = None
    label = name or (f"{index} by {columns}" if columns else index)
    checked = check_frequency_table(
        counts,
        rules=rules,
        name=label,
        margins=margins,
        command=f"crosstab({index!r}, {columns!r})" if columns else f"crosstab({index!r})",
        conditions=conditions,
    )
    if missing:
        checked.comments.insert(0, f"{missing} rows with a missing category were not counted.")
    return checked


def _axis_name(labels: pd.Index) -> str | None:
    if isinstance(labels, pd.MultiIndex):
        return "|".join(str(n) for n in labels.names)
    return None if labels.name is None else str(labels.name)


def _validated_body(
    counts: pd.DataFrame | pd.Series, *, name: str, margins_name: str
) -> pd.DataFrame:
    if isinstance(counts, pd.Series):
        counts = counts.to_frame(counts.name if counts.name is not None else "count")
        counts.columns.name = None
    if not isinstance(counts, pd.DataFrame):
        raise DisclosureError(
            what=f"Output {name!r} is not a table of counts",
            fix="Pass a pandas DataFrame of counts (rows x columns) or a Series (one-way).",
        )
    has_row_margin = margins_name in counts.index
    has_col_margin = margins_name in counts.columns
    body = counts
    if has_row_margin:
        body = body.drop(index=margins_name)
    if has_col_margin:
        body = body.drop(columns=margins_name)
    if body.shape[0] == 0 or body.shape[1] == 0:
        raise DisclosureError(
            what=f"Output {name!r} has no cells to check",
            fix="Check the filters that built the table; an empty table cannot be released.",
        )
    for r, row_label in enumerate(body.index):
        for c, col_label in enumerate(body.columns):
            _check_count(body.iat[r, c], name=name, row=row_label, column=col_label, index=r)
    numeric = body.astype(float)
    if has_col_margin:
        _check_margin(
            numeric.sum(axis=1), pd.Series(counts[margins_name]), name, "row total", margins_name
        )
    if has_row_margin:
        totals = pd.Series(counts.loc[margins_name])
        _check_margin(numeric.sum(axis=0), totals, name, "column total", margins_name)
    return numeric


def _check_count(value: object, *, name: str, row: object, column: object, index: int) -> None:
    where = Location(sheet=name, row=index + 1, column=f"{row} / {column}")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = float("nan")
    if np.isnan(number):
        raise DisclosureError(
            what=f"Count {value!r} is not a number",
            fix="A frequency table holds whole counts; fill empty cells with 0.",
            where=where,
        )
    if number < 0:
        raise DisclosureError(
            what=f"Count {number:g} is negative",
            fix="Counts of people or records cannot be negative; check how the table was built.",
            where=where,
        )
    if not number.is_integer():
        raise DisclosureError(
            what=f"Count {number:g} is not a whole number",
            fix=(
                "Check unweighted counts: pass raw counts, not weighted, rounded or percentage "
                "values (use check_magnitude_table for sums and means)."
            ),
            where=where,
        )


def _check_margin(
    computed: pd.Series, given: pd.Series, name: str, what: str, margins_name: str
) -> None:
    for label, expected in computed.items():
        if label == margins_name:
            continue
        actual = float(given.get(label, np.nan))
        if not np.isclose(actual, expected):
            raise DisclosureError(
                what=f"The {what} for {label!r} is {actual:g} but its cells add up to {expected:g}",
                fix=f"Pass the table without its {margins_name!r} margins; they are recomputed.",
                where=Location(sheet=name, column=f"{label} / {margins_name}"),
            )
