"""The 3-term absence layout (``SessionsPossible_Autumn`` … ``OverallAbsence_Summer``) as one
row per pupil, year and term: the autumn rows, then spring, then summer, each in file order.

A term the pupil was not on roll for has every measure blank: no row, no error. A column is
stacked only when a rule asks for it, and a row-by-row rule runs on each term's column before
stacking, so a year or count is read once per file row, not once per term row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from steward.errors import InputFileError, Location
from steward.returns.npd.extract_text import TextFrame, stripped
from steward.returns.npd.spec import ABSENCE_MEASURES, TERMS


def one_row_per_term(frame: TextFrame, path: Path) -> TextFrame:
    """``frame`` with each term's measures (``SessionsPossible`` …) and ``term`` as columns."""
    lower = {c.lower(): c for c in frame.names}
    terms: list[_TermRows] = []
    for term in TERMS:
        cols = {f"{raw}_{term.capitalize()}": raw for raw, _ in ABSENCE_MEASURES}
        present = {lower[c.lower()]: raw for c, raw in cols.items() if c.lower() in lower}
        if not present:
            continue
        blank = np.logical_and.reduce([_blank(frame[c]) for c in present])
        names = [c for c in frame.names if c not in present] + ["term"]
        columns = {c: frame[c] for c in names[:-1]}
        for c, raw in present.items():
            names += [] if raw in names else [raw]
            columns[raw] = frame[c]
        terms.append(_TermRows(term, names, columns, pa.array(np.flatnonzero(~blank))))
    if not terms:
        raise InputFileError(
            what=f"{path.name} has no SessionsPossible_Autumn/_Spring/_Summer columns",
            fix="Send the 3-term absence table, or a per-term table with a Term column.",
            where=Location(file=path.name),
        )
    return _StackedTerms(terms, frame.source_row)


def _blank(values: pa.Array) -> np.ndarray:
    return np.asarray(pc.equal(stripped(values), "").to_numpy(zero_copy_only=False), dtype=bool)


@dataclass
class _TermRows:
    """One term: its columns (indexed by file row) and the file rows the pupil was on roll."""

    term: str
    names: list[str]
    columns: dict[str, pa.Array]
    rows: pa.Array


class _StackedTerms(TextFrame):
    """The terms' rows one after another; a column one term lacks is null in its rows."""

    def __init__(self, terms: list[_TermRows], file_rows: pa.Array) -> None:
        self.terms = terms
        self.file_rows = pa.concat_arrays([t.rows for t in terms])
        names = list(dict.fromkeys(n for t in terms for n in t.names))
        super().__init__(names, {}, file_rows.take(self.file_rows))

    def __getitem__(self, name: str) -> pa.Array:
        if name not in self.columns:
            if name == "term":
                terms = [pa.repeat(pa.scalar(t.term), len(t.rows)) for t in self.terms]
                self.columns[name] = pa.concat_arrays(terms)
            else:
                self.columns[name] = self.derived(name, lambda text: text)
        return self.columns[name]

    def derived(self, name: str, rule: Callable[[pa.Array], pa.Array]) -> pa.Array:
        if name == "term":
            return rule(self[name])
        columns = [t.columns.get(name) for t in self.terms]
        if columns[0] is not None and all(c is columns[0] for c in columns):
            return rule(columns[0]).take(self.file_rows)  # the same in every term: one take
        if all(c is None for c in columns):
            raise KeyError(name)
        return pa.concat_arrays(
            [
                rule(c).take(t.rows) if c is not None else rule(pa.nulls(len(t.rows), pa.string()))
                for c, t in zip(columns, self.terms, strict=True)
            ]
        )
