"""The package's variables: how each column is described, coded and labelled.

Generalised quasi-identifiers become categorical variables (text labels in CSV and Parquet,
integer codes with value labels in Stata) whose categories keep the hierarchy's order, so age
bands and dates stay in order. Flags are 0/1 with "No"/"Yes" labels; counts are integers;
missing values are blank in CSV, null in Parquet and ``.`` in Stata.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from steward.anonymise import Hierarchy
from steward.archive.hierarchies import LEVEL_NAMES, MISSING, level_order
from steward.study.local_authorities import NWD_LOCAL_AUTHORITIES

ARCHIVE_ID = "archive_id"
FLAG_LABELS = {0: "No", 1: "Yes"}
_VALUE_LABELS = {
    "gender": {"F": "Female", "M": "Male", "U": "Unknown"},
    "local_authority": {la.code: f"{la.code} {la.name}" for la in NWD_LOCAL_AUTHORITIES},
    "flag": {"yes": "Yes", "no": "No"},
}
MISSING_NOTE = "blank in CSV, null in Parquet, . in Stata: not recorded"
CATEGORY_MISSING_NOTE = f"category {MISSING!r}: not recorded"


@dataclass(frozen=True)
class Category:
    """One category of a categorical variable."""

    code: int
    value: str
    label: str
    count: int


@dataclass(frozen=True)
class Variable:
    """One variable of the package, as the codebook describes it."""

    name: str
    label: str
    kind: str  # id, categorical, flag, integer or text
    category: str | None = None  # data category in the policy registry
    categories: list[Category] = field(default_factory=list)
    missing: str | None = None
    generalisation: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain values for the JSON codebook."""
        return {
            "name": self.name,
            "label": self.label,
            "type": self.kind,
            "data_category": self.category,
            "categories": [c.__dict__ for c in self.categories],
            "missing": self.missing,
            "generalisation": self.generalisation,
        }


def categorical(
    name: str, label: str, category: str, column: pd.Series, hierarchy: Hierarchy,
    hierarchy_kind: str, level: int,
) -> Variable:  # fmt: skip
    """A generalised quasi-identifier: categories present, in hierarchy order."""
    counts = column.value_counts()
    labels = _VALUE_LABELS.get(hierarchy_kind, {}) if level == 0 else {}
    order = [v for v in level_order(hierarchy, level) if v in counts.index]
    categories = [
        Category(code, value, labels.get(value, value), int(counts[value]))
        for code, value in enumerate(order, start=1)
    ]
    names = LEVEL_NAMES[hierarchy_kind]
    generalisation = {
        "hierarchy": hierarchy_kind,
        "level": level,
        "levels": len(names),
        "level_name": names[level],
        "description": " → ".join(names),
    }
    missing = CATEGORY_MISSING_NOTE if MISSING in counts.index else None
    return Variable(name, label, "categorical", category, categories, missing, generalisation)


def flag(name: str, label: str, category: str, column: pd.Series) -> Variable:
    """A 0/1 flag with No/Yes labels."""
    counts = column.value_counts()
    categories = [Category(v, str(v), FLAG_LABELS[v], int(counts.get(v, 0))) for v in (0, 1)]
    missing = MISSING_NOTE if column.isna().any() else None
    return Variable(name, label, "flag", category, categories, missing)


def plain(name: str, label: str, kind: str, category: str | None, column: pd.Series) -> Variable:
    """An integer or text variable without categories."""
    missing = MISSING_NOTE if column.isna().any() else None
    return Variable(name, label, kind, category, [], missing)


def encode(frame: pd.DataFrame, variables: list[Variable]) -> pd.DataFrame:
    """The package table for CSV and Parquet: labels as text, flags 0/1, nullable integers."""
    out: dict[str, pd.Series] = {}
    for var in variables:
        column = frame[var.name]
        if var.kind == "flag":
            out[var.name] = column.astype("Int8")
        elif var.kind == "integer":
            out[var.name] = column.astype("Int64")
        else:
            out[var.name] = column.astype("string")
    return pd.DataFrame(out)


def stata_frame(
    table: pd.DataFrame, variables: list[Variable]
) -> tuple[pd.DataFrame, dict[str, dict[int | float, str]]]:
    """The Stata table (categorical variables as labelled integer codes) and its value labels."""
    out: dict[str, pd.Series] = {}
    value_labels: dict[str, dict[int | float, str]] = {}
    for var in variables:
        column = table[var.name]
        if var.kind == "categorical":
            codes = {c.value: c.code for c in var.categories}
            out[var.name] = column.map(codes).astype("int32")
            value_labels[var.name] = {c.code: c.label for c in var.categories}
        elif var.kind in ("flag", "integer"):
            out[var.name] = column.astype("float64")
            if var.kind == "flag":
                value_labels[var.name] = dict(FLAG_LABELS.items())
        else:
            out[var.name] = column.astype(object).where(column.notna(), "")
    return pd.DataFrame(out), value_labels
