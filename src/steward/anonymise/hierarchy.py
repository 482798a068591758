"""Generalisation hierarchies: for each raw value, its label at every level up to the root.

A hierarchy is a table: column 0 holds the raw values, column ``i`` the label at level ``i``.
Its *height* is the number of columns (ARX's convention), so levels run from 0 to height - 1.
Hierarchies are read from CSV files (as ARX writes them) or built in code for the kinds of
quasi-identifier the study has: intervals, dates, ordered or grouped categories, redaction.
"""

from __future__ import annotations

import csv
import ctypes
import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from steward.errors import InputFileError, Location, UserError

SUPPRESSED = "*"


class HierarchyError(UserError):
    """A generalisation hierarchy is malformed or does not fit the data."""

    exit_code = 6


@dataclass(frozen=True)
class Hierarchy:
    """A generalisation hierarchy: ``rows[i]`` is raw value ``i`` followed by its labels per level."""

    name: str
    rows: tuple[tuple[str, ...], ...]
    source: str | None = None
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        where = self.source or f"hierarchy {self.name!r}"
        if not self.rows:
            raise HierarchyError(
                what=f"The hierarchy {self.name!r} is empty",
                fix="Give at least one row: the raw value, then one label per level.",
                where=Location(file=self.source),
            )
        depth = len(self.rows[0])
        index: dict[str, int] = {}
        for number, row in enumerate(self.rows, start=1):
            if len(row) != depth:
                raise HierarchyError(
                    what=(
                        f"Row {number} of {where} has {len(row)} levels but row 1 has {depth}; "
                        "every value must have the same number of levels"
                    ),
                    fix="Give every row the same number of columns (repeat '*' at the top).",
                    where=Location(file=self.source, row=number),
                )
            if row[0] in index:
                raise HierarchyError(
                    what=f"The value {row[0]!r} appears twice in {where}",
                    fix="List each raw value once.",
                    where=Location(file=self.source, row=number),
                )
            index[row[0]] = number - 1
        object.__setattr__(self, "_index", index)
        self._check_nested(where)

    def _check_nested(self, where: str) -> None:
        # Full-domain generalisation needs each label to have one parent at the next level.
        for level in range(1, self.height - 1):
            parent: dict[str, str] = {}
            for number, row in enumerate(self.rows, start=1):
                seen = parent.setdefault(row[level], row[level + 1])
                if seen != row[level + 1]:
                    raise HierarchyError(
                        what=(
                            f"In {where}, the level-{level} label {row[level]!r} generalises to "
                            f"both {seen!r} and {row[level + 1]!r}"
                        ),
                        fix="Make each label at one level map to a single label at the next level.",
                        where=Location(file=self.source, row=number),
                    )

    @property
    def height(self) -> int:
        """Number of levels including the raw values (ARX's height)."""
        return len(self.rows[0])

    @property
    def values(self) -> list[str]:
        """The raw values the hierarchy covers."""
        return [row[0] for row in self.rows]

    def level(self, level: int) -> list[str]:
        """The labels at ``level``, one per raw value (in the order of :attr:`values`)."""
        return [row[level] for row in self.rows]

    def generalise(self, value: str, level: int) -> str:
        """The label of one raw value at ``level``."""
        return self.rows[self._index[value]][level]

    def positions(self, column: Iterable[object]) -> np.ndarray:
        """Row position of each value of ``column`` in the hierarchy, -1 where it is not covered
        (missing values included)."""
        values = column if isinstance(column, pd.Series) else pd.Series(list(column), dtype=object)
        keys = pd.Index(self.values)
        if values.dtype == object and len(values):
            # Look up each distinct object once, then broadcast to the records.
            codes, objects = _factorize_objects(values.to_numpy())
            unique_positions = keys.get_indexer(pd.Index([_text(v) for v in objects], dtype=object))
            unique_positions[np.asarray(pd.isna(objects), dtype=bool)] = -1
            return np.asarray(unique_positions[codes], dtype=np.int64)
        # Look up each distinct value once, then broadcast to the records.
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        unique_positions = keys.get_indexer(pd.Index([_text(v) for v in uniques], dtype=object))
        found = np.append(unique_positions, -1)  # code -1 (missing) picks the final -1
        return np.asarray(found[codes], dtype=np.int64)

    # ---------------------------------------------------------------- readers and builders

    @classmethod
    def from_rows(cls, name: str, rows: Iterable[Sequence[object]]) -> Hierarchy:
        """A hierarchy from rows of (raw value, level 1 label, level 2 label, ...)."""
        return cls(name=name, rows=tuple(tuple(_text(v) for v in row) for row in rows))

    @classmethod
    def from_csv(cls, path: Path | str, *, sep: str = ";", name: str | None = None) -> Hierarchy:
        """Read an ARX-style hierarchy file: no header, raw value then one column per level."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise InputFileError(
                what=f"The hierarchy file {path} does not exist",
                fix="Check the path given after '=' in --qi COLUMN=HIERARCHY.csv.",
                where=Location(file=str(path)),
            ) from None
        except UnicodeDecodeError:
            raise InputFileError(
                what=f"The hierarchy file {path} is not UTF-8 text",
                fix="Save the hierarchy as a UTF-8 CSV file.",
                where=Location(file=str(path)),
            ) from None
        rows = [tuple(r) for r in csv.reader(text.splitlines(), delimiter=sep) if r]
        return cls(name=name or path.stem, rows=tuple(rows), source=str(path))

    @classmethod
    def intervals(
        cls,
        name: str,
        values: Iterable[int],
        widths: Sequence[int],
        *,
        label: Callable[[int, int], str] | None = None,
    ) -> Hierarchy:
        """Integers grouped into intervals of growing width, then ``*``.

        Each width must be a multiple of the one before, so intervals nest.
        """
        for before, after in itertools.pairwise(widths):
            if after % before:
                raise HierarchyError(
                    what=f"Interval width {after} is not a multiple of {before}",
                    fix="Choose widths that nest, e.g. 12, 60, 120.",
                )
        show = label or (lambda lo, hi: f"{lo}-{hi}")
        rows = []
        for v in sorted(set(int(x) for x in values)):
            row = [str(v)]
            for w in widths:
                lo = (v // w) * w
                row.append(show(lo, lo + w - 1))
            rows.append([*row, SUPPRESSED])
        return cls.from_rows(name, rows)

    @classmethod
    def age_in_months(
        cls, name: str, max_months: int, bands: Sequence[int] = (0, 1, 5, 10, 16)
    ) -> Hierarchy:
        """Age in months → completed years → bands of years (lower bounds given) → ``*``."""
        edges = list(bands)

        def band(years: int) -> str:
            lower = max(b for b in edges if b <= years)
            later = [b for b in edges if b > years]
            return f"{lower}-{later[0] - 1}" if later else f"{lower}+"

        rows = [[str(m), str(m // 12), band(m // 12), SUPPRESSED] for m in range(0, max_months + 1)]
        return cls.from_rows(name, rows)

    @classmethod
    def dates(cls, name: str, values: Iterable[dt.date | str]) -> Hierarchy:
        """Day → month → quarter → year → ``*`` for ISO dates (``YYYY-MM-DD``)."""
        rows = []
        for v in sorted({_text(v) for v in values}):
            try:
                day = dt.date.fromisoformat(v)
            except ValueError:
                raise HierarchyError(
                    what=f"{v!r} in {name!r} is not a date in the form YYYY-MM-DD",
                    fix="Convert the column to ISO dates before building a date hierarchy.",
                    where=Location(column=name),
                ) from None
            quarter = (day.month - 1) // 3 + 1
            rows.append([v, f"{day:%Y-%m}", f"{day.year}-Q{quarter}", str(day.year), SUPPRESSED])
        return cls.from_rows(name, rows)

    @classmethod
    def grouped(cls, name: str, *groupings: Mapping[str, str]) -> Hierarchy:
        """Categories mapped to groups (and groups to larger groups ...), then ``*``.

        ``groupings[0]`` maps raw values to level-1 labels, ``groupings[1]`` level-1 labels to
        level-2 labels, and so on.
        """
        if not groupings:
            raise HierarchyError(what=f"No grouping given for {name!r}", fix="Give a mapping.")
        rows = []
        for raw in groupings[0]:
            row = [raw]
            current = raw
            for depth, mapping in enumerate(groupings):
                if current not in mapping:
                    raise HierarchyError(
                        what=f"{current!r} has no group at level {depth + 1} of {name!r}",
                        fix="Give every label of one level a group at the next.",
                    )
                current = mapping[current]
                row.append(current)
            rows.append([*row, SUPPRESSED])
        return cls.from_rows(name, rows)

    @classmethod
    def ordered(cls, name: str, order: Sequence[str], sizes: Sequence[int]) -> Hierarchy:
        """Ordered categories merged into runs of neighbours (``sizes`` per level), then ``*``."""
        rows = []
        for position, value in enumerate(order):
            row = [value]
            for size in sizes:
                start = (position // size) * size
                run = order[start : start + size]
                row.append(run[0] if len(run) == 1 else f"{run[0]}–{run[-1]}")
            rows.append([*row, SUPPRESSED])
        return cls.from_rows(name, rows)

    @classmethod
    def redaction(cls, name: str, values: Iterable[object]) -> Hierarchy:
        """Mask characters from the right, one more per level, after padding to equal length."""
        texts = sorted({_text(v) for v in values})
        width = max((len(t) for t in texts), default=1)
        rows = []
        for t in texts:
            padded = t.rjust(width, " ")
            row = [t] + [padded[: width - i] + SUPPRESSED * i for i in range(1, width + 1)]
            rows.append(row)
        return cls.from_rows(name, rows)


# Department for Education ethnicity codes (18) and their five major groups.
DFE_ETHNICITY_GROUPS: dict[str, str] = {
    "WBRI": "White",
    "WIRI": "White",
    "WIRT": "White",
    "WOTH": "White",
    "WROM": "White",
    "MWBC": "Mixed",
    "MWBA": "Mixed",
    "MWAS": "Mixed",
    "MOTH": "Mixed",
    "AIND": "Asian",
    "APKN": "Asian",
    "ABAN": "Asian",
    "AOTH": "Asian",
    "BCRB": "Black",
    "BAFR": "Black",
    "BOTH": "Black",
    "CHNE": "Other",
    "OOTH": "Other",
}


def ethnicity(name: str = "ethnicity") -> Hierarchy:
    """DfE ethnicity: 18 codes → 5 major groups → ``*``."""
    return Hierarchy.grouped(name, DFE_ETHNICITY_GROUPS)


def local_authority(name: str = "la_code") -> Hierarchy:
    """Local authority code → English region → England."""
    from steward.study.local_authorities import NWD_LOCAL_AUTHORITIES

    regions = {la.code: la.region for la in NWD_LOCAL_AUTHORITIES}
    rows = [[code, region, "England"] for code, region in regions.items()]
    return Hierarchy.from_rows(name, rows)


def _factorize_objects(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of an object array by the identity of its elements, and one element per code.

    CSV readers hand out one string object per distinct value, so grouping the objects' addresses
    (plain integers) finds the distinct values without hashing or comparing text; equal values
    held in different objects just get different codes, which the lookup by text then merges.
    """
    values = np.ascontiguousarray(values, dtype=object)
    # An object array stores addresses; read them as integers (copied while ``values`` lives).
    slots = (ctypes.c_ssize_t * len(values)).from_address(values.ctypes.data)
    addresses = np.frombuffer(memoryview(slots), dtype=np.intp).copy()
    codes, distinct = pd.factorize(addresses)
    first = np.empty(len(distinct), dtype=np.intp)
    # Reversed, so that the last write for each code is its first record.
    first[codes[::-1]] = np.arange(len(values) - 1, -1, -1)
    return codes, values[first]


def _text(value: object) -> str:
    """Values are matched as text, as they appear in a CSV file (1.0 stays '1.0')."""
    if isinstance(value, str):
        return value
    if isinstance(value, (np.integer, int)) and not isinstance(value, bool):
        return str(int(value))
    return str(value)
