"""The design matrix of a model, built from a formula-like list of terms.

A study definition names its terms the way an evaluator writes them: ``treatment_group`` (a
numeric column), ``C(wedge)`` (a factor, treatment coding, reference = first level), or
``C(wedge, ref=baseline)`` (a factor with a named reference level), and interactions joined by
``:`` (``treatment_group:la_readiness``). Columns are named as R names them (``wedgewedge_1``,
``treatment_group:la_readiness``) so estimates line up with ``glmer``/``glm`` output one to one.

Factor levels follow R's default: the categories of a pandas ``Categorical`` in their order,
otherwise the distinct values sorted, the first being the reference unless one is named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from steward.errors import AnalysisError, Location

_FACTOR = re.compile(
    r"^C\(\s*(?P<col>[A-Za-z_][A-Za-z0-9_]*)\s*(?:,\s*ref\s*=\s*(?P<ref>[^)]+?)\s*)?\)$"
)
_COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

INTERCEPT = "(Intercept)"


@dataclass(frozen=True)
class Factor:
    """A categorical variable in treatment coding: one column per non-reference level."""

    column: str
    levels: tuple[str, ...]  # reference first

    @property
    def reference(self) -> str:
        return self.levels[0]

    def names(self) -> list[str]:
        return [f"{self.column}{level}" for level in self.levels[1:]]

    def block(self, data: pd.DataFrame) -> np.ndarray:
        values = data[self.column].astype(str).to_numpy()
        return np.column_stack([(values == level).astype(float) for level in self.levels[1:]])


@dataclass(frozen=True)
class Numeric:
    """A numeric column entered as it is."""

    column: str

    def names(self) -> list[str]:
        return [self.column]

    def block(self, data: pd.DataFrame) -> np.ndarray:
        return data[self.column].to_numpy(dtype=float).reshape(-1, 1)


Component = Factor | Numeric


@dataclass(frozen=True)
class Term:
    """One model term: a single variable or an interaction of several (R's ``a:b``)."""

    spec: str
    components: tuple[Component, ...]

    @property
    def r_label(self) -> str:
        """The term as it appears in an R formula (``wedge``, ``treatment_group:la_readiness``)."""
        return ":".join(c.column for c in self.components)

    def names(self) -> list[str]:
        names = [""]
        for comp in self.components:
            names = [f"{a}:{b}" if a else b for a in names for b in comp.names()]
        return names

    def block(self, data: pd.DataFrame) -> np.ndarray:
        out = np.ones((len(data), 1))
        for comp in self.components:
            part = comp.block(data)
            out = (out[:, :, None] * part[:, None, :]).reshape(len(data), -1)
        return out


@dataclass(frozen=True)
class Design:
    """Terms with their factor levels fixed, so the same columns can be rebuilt on new data."""

    terms: tuple[Term, ...]
    columns: tuple[str, ...] = field(default=())

    @property
    def variables(self) -> list[str]:
        """Every data column the design reads."""
        seen: dict[str, None] = {}
        for term in self.terms:
            for comp in term.components:
                seen[comp.column] = None
        return list(seen)

    def matrix(self, data: pd.DataFrame) -> np.ndarray:
        """The design matrix (intercept first) for ``data``, which must have no missing values."""
        blocks = [np.ones((len(data), 1))] + [term.block(data) for term in self.terms]
        return np.hstack(blocks)

    def r_terms(self) -> list[str]:
        return [term.r_label for term in self.terms]


def _parse_component(spec: str, data: pd.DataFrame) -> Component:
    spec = spec.strip()
    match = _FACTOR.match(spec)
    if match:
        column = match.group("col")
        _require_column(data, column, spec)
        ref = match.group("ref")
        return _factor(data, column, ref.strip("'\" ") if ref else None)
    if not _COLUMN.match(spec):
        raise AnalysisError(
            what=f"Model term {spec!r} is not understood",
            fix="Write a column name, C(column), C(column, ref=level) or an interaction a:b.",
        )
    _require_column(data, spec, spec)
    series = data[spec]
    if isinstance(series.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(series):
        return _factor(data, spec, None)
    return Numeric(spec)


def _factor(data: pd.DataFrame, column: str, ref: str | None) -> Factor:
    series = data[column].dropna()
    if isinstance(series.dtype, pd.CategoricalDtype):
        present = set(series.astype(str))
        levels = [str(c) for c in series.cat.categories if str(c) in present]
    else:
        uniques = series.unique()
        try:
            levels = [str(v) for v in sorted(uniques)]
        except TypeError:
            levels = sorted(str(v) for v in uniques)
    if ref is not None:
        if ref not in levels:
            raise AnalysisError(
                what=f"Reference level {ref!r} does not occur in column {column!r}",
                fix=f"Name one of its levels: {', '.join(levels)}.",
                where=Location(column=column),
            )
        levels.remove(ref)
        levels.insert(0, ref)
    if len(levels) < 2:
        raise AnalysisError(
            what=f"Factor {column!r} has only {len(levels)} level(s) in the analysis data",
            fix="Drop the term from the model or check the cohort filters.",
            where=Location(column=column),
        )
    return Factor(column, tuple(levels))


def _require_column(data: pd.DataFrame, column: str, spec: str) -> None:
    if column not in data.columns:
        raise AnalysisError(
            what=f"Model term {spec!r} names column {column!r}, which the analysis data lacks",
            fix="Correct the term in the study definition or add the column to the cohort.",
            where=Location(column=column),
        )


def build_design(data: pd.DataFrame, fixed: list[str]) -> Design:
    """Parse the fixed-effect terms against ``data`` and fix their levels and column names."""
    terms = []
    for spec in fixed:
        parts = tuple(_parse_component(p, data) for p in spec.split(":"))
        terms.append(Term(spec, parts))
    design = Design(tuple(terms))
    columns = [INTERCEPT] + [name for term in design.terms for name in term.names()]
    if len(set(columns)) != len(columns):
        raise AnalysisError(
            what="The model names the same term twice",
            fix="Remove the repeated term from the study definition.",
        )
    return Design(design.terms, tuple(columns))


def r_formula(response: str, design: Design, group: str | None = None) -> str:
    """The model formula as R would write it."""
    rhs = " + ".join(design.r_terms()) or "1"
    if group:
        rhs += f" + (1 | {group})"
    return f"{response} ~ {rhs}"


def is_full_rank(X: np.ndarray) -> bool:
    """Whether no column of the design is determined by the others (on unit-scaled columns)."""
    norms = np.linalg.norm(X, axis=0)
    if np.any(norms == 0):
        return False
    scaled = X / norms
    eig = np.linalg.eigvalsh(scaled.T @ scaled)
    return bool(eig[0] > 1e-10 * eig[-1])


def r_formula_text(response: str, fixed: list[str], group: str | None = None) -> str:
    """The R formula of a model from its term specs alone (for models that could not be built)."""

    def label(spec: str) -> str:
        parts = []
        for part in spec.split(":"):
            match = _FACTOR.match(part.strip())
            parts.append(match.group("col") if match else part.strip())
        return ":".join(parts)

    rhs = " + ".join(label(t) for t in fixed) or "1"
    return f"{response} ~ {rhs}" + (f" + (1 | {group})" if group else "")


def model_frame(
    data: pd.DataFrame, response: str, design: Design, extra: list[str] | None = None
) -> tuple[pd.DataFrame, int]:
    """Rows complete on every variable the model reads, and how many rows were left out."""
    _require_column(data, response, response)
    used = [response, *design.variables, *(extra or [])]
    frame = data.loc[:, list(dict.fromkeys(used))].dropna()
    excluded = len(data) - len(frame)
    y = frame[response]
    if not set(pd.unique(y)).issubset({0, 1}):
        raise AnalysisError(
            what=f"Response {response!r} must be 0/1",
            fix="Code the outcome as 1 = event, 0 = no event in the cohort definition.",
            where=Location(column=response),
        )
    return frame, excluded


def check_events_per_level(frame: pd.DataFrame, response: str, design: Design) -> None:
    """Refuse a factor level with no events (or no non-events): its odds ratio does not exist."""
    for term in design.terms:
        for comp in term.components:
            if not isinstance(comp, Factor):
                continue
            counts = frame.groupby(frame[comp.column].astype(str))[response].agg(["sum", "count"])
            for level, row in counts.iterrows():
                if row["sum"] == 0 or row["sum"] == row["count"]:
                    kind = "no events" if row["sum"] == 0 else "only events"
                    raise AnalysisError(
                        what=(
                            f"The cohort has {kind} ({response}) in {comp.column} = {level!r} "
                            f"({int(row['count'])} children), so its effect cannot be estimated"
                        ),
                        fix=(
                            f"Merge {level!r} with a neighbouring level of {comp.column}, "
                            "or drop the term, and report why."
                        ),
                        where=Location(column=comp.column),
                    )
