"""Integer encoding of a table's quasi-identifiers and fast equivalence-class counting.

Each quasi-identifier becomes one integer code per record (its hierarchy row); every level of
its hierarchy becomes a lookup array from codes to level codes. A generalisation (one level per
quasi-identifier) is then evaluated on a *frame*: the distinct (generalised codes, sensitive
value) rows with their counts. A frame for a node is rolled up from the frame of any less
generalised node, so classes are counted on a few thousand rows instead of every record, with
mixed-radix keys and ``np.bincount`` / ``np.unique`` — no Python loop over rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from steward.anonymise.models import ClassView

# Dense counting (bincount over the whole key space) is used when the key space is at most this
# many times the number of rows; otherwise keys are sorted.
_DENSE_FACTOR = 32
_KEY_LIMIT = 1 << 62


@dataclass(frozen=True)
class Frame:
    """Distinct generalised rows of one node: codes per quasi-identifier, sensitive code, count.

    Rows are sorted by class; ``row_class`` numbers the classes 0..C-1 and ``sizes`` counts them.
    """

    levels: tuple[int, ...]
    codes: tuple[np.ndarray, ...]  # one contiguous int64 array of codes per quasi-identifier
    sensitive: np.ndarray | None  # (rows,) int64
    count: np.ndarray  # (rows,) int64
    row_class: np.ndarray  # (rows,) int64
    sizes: np.ndarray  # (classes,) int64

    @property
    def view(self) -> ClassView:
        """The classes as the privacy models see them."""
        if self.sensitive is None:
            return ClassView(sizes=self.sizes)
        return ClassView(
            sizes=self.sizes,
            pair_class=self.row_class,
            pair_value=self.sensitive,
            pair_count=self.count,
        )


class EncodedTable:
    """Quasi-identifiers of a table as integer codes, with level maps for each hierarchy."""

    def __init__(
        self,
        record_codes: list[np.ndarray],
        level_maps: list[list[np.ndarray]],
        sensitive: np.ndarray | None,
        sensitive_cardinality: int,
    ) -> None:
        self.q = len(record_codes)
        self.n = len(record_codes[0]) if record_codes else 0
        self.level_maps = level_maps  # level_maps[i][l][raw code] = level-l code
        self.cardinality = [[int(m.max()) + 1 for m in maps] for maps in level_maps]
        self.heights = [len(maps) for maps in level_maps]
        self.sensitive_cardinality = sensitive_cardinality
        # Level-to-level maps, so a frame at level a can be rolled up to level b directly.
        self._between: dict[tuple[int, int, int], np.ndarray] = {}
        self.records = tuple(np.ascontiguousarray(c, dtype=np.int64) for c in record_codes)
        self._sensitive = sensitive
        self._base: Frame | None = None

    @property
    def base(self) -> Frame:
        """The frame of the least generalised node (built on first use)."""
        if self._base is None:
            levels = tuple(0 for _ in range(self.q))
            self._base = self.frame_of(levels)
        return self._base

    def frame_of(self, levels: tuple[int, ...]) -> Frame:
        """The frame of one node: rolled up from the base frame if it exists, otherwise
        grouped from the records directly (cheaper than building the base for one node)."""
        if self._base is not None:
            return self.roll_up(self._base, levels)
        codes = tuple(
            self.level_maps[i][level][column] if level else column
            for i, (column, level) in enumerate(zip(self.records, levels, strict=True))
        )
        return self._group(levels, codes, self._sensitive, np.ones(self.n, dtype=np.int64))

    def map_between(self, qi: int, source: int, target: int) -> np.ndarray:
        """Lookup array from level-``source`` codes to level-``target`` codes of one hierarchy."""
        key = (qi, source, target)
        found = self._between.get(key)
        if found is None:
            maps = self.level_maps[qi]
            found = np.zeros(self.cardinality[qi][source], dtype=np.int64)
            found[maps[source]] = maps[target]
            self._between[key] = found
        return found

    def roll_up(self, frame: Frame, levels: tuple[int, ...]) -> Frame:
        """The frame of ``levels``, computed from a frame of a less generalised node."""
        codes = tuple(
            self.map_between(i, have, want)[column] if want != have else column
            for i, (column, have, want) in enumerate(
                zip(frame.codes, frame.levels, levels, strict=True)
            )
        )
        return self._group(levels, codes, frame.sensitive, frame.count)

    def _group(
        self,
        levels: tuple[int, ...],
        codes: tuple[np.ndarray, ...],
        sensitive: np.ndarray | None,
        count: np.ndarray,
    ) -> Frame:
        rows = len(count)
        radices = [self.cardinality[i][lvl] for i, lvl in enumerate(levels)]
        limit = _DENSE_FACTOR * rows + 1024
        key, space = _mixed_radix(codes, radices, limit)
        class_key = key
        if sensitive is not None:
            if space * self.sensitive_cardinality >= _KEY_LIMIT:
                key, space = _compress(key)
                class_key = key
            key = key * self.sensitive_cardinality + sensitive
            space = space * self.sensitive_cardinality
        if space <= limit:
            inverse, groups = _renumber(key, space)
            new_count = np.bincount(inverse, weights=count, minlength=groups).astype(np.int64)
            pick = np.empty(groups, dtype=np.int64)
            pick[inverse] = np.arange(rows)
        else:
            order = np.argsort(key)
            ordered = key[order]
            starts = np.empty(rows, dtype=bool)
            starts[0] = True
            np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
            start_positions = np.flatnonzero(starts)
            pick = order[start_positions]
            new_count = np.add.reduceat(count[order], start_positions)
        new_codes = tuple(column[pick] for column in codes)
        if sensitive is None:
            # Without a sensitive attribute every row is its own class.
            return Frame(levels, new_codes, None, new_count, np.arange(len(pick)), new_count)
        new_sensitive = sensitive[pick]
        picked_class_key = class_key[pick]
        # Rows are sorted by key, and so by class key: a class starts where its key changes.
        starts = np.empty(len(pick), dtype=bool)
        if len(pick):
            starts[0] = True
            np.not_equal(picked_class_key[1:], picked_class_key[:-1], out=starts[1:])
        row_class = np.cumsum(starts) - 1
        sizes = np.bincount(row_class, weights=new_count).astype(np.int64)
        return Frame(levels, new_codes, new_sensitive, new_count, row_class, sizes)


def _mixed_radix(
    codes: tuple[np.ndarray, ...], radices: list[int], limit: int = _KEY_LIMIT
) -> tuple[np.ndarray, int]:
    """One int64 key per row, equal exactly for equal code tuples.

    Columns with many codes go first, and the partial key is renumbered whenever the key space
    would pass ``limit``, so the final key usually stays small enough to group without a sort.
    """
    if not codes:
        return np.zeros(0, dtype=np.int64), 1
    order = sorted(range(len(codes)), key=lambda i: -radices[i])
    key = codes[order[0]]
    space = radices[order[0]]
    for i in order[1:]:
        radix = radices[i]
        if space * radix > limit and space > 1:
            key, space = _renumber(key, space) if space <= limit else _compress(key)
        key = key * radix + codes[i]
        space *= radix
    return key, space


def _renumber(key: np.ndarray, space: int) -> tuple[np.ndarray, int]:
    """Re-number keys from a small key space 0..u-1 (keeping their order), without sorting."""
    seen = np.zeros(space, dtype=bool)
    seen[key] = True
    present = np.flatnonzero(seen)
    number = np.empty(space, dtype=np.int64)
    number[present] = np.arange(len(present))
    return number[key], len(present)


def _compress(key: np.ndarray) -> tuple[np.ndarray, int]:
    """Re-number keys 0..u-1 keeping their order."""
    unique_keys, inverse = np.unique(key, return_inverse=True)
    return inverse.ravel().astype(np.int64), len(unique_keys)


def record_classes(table: EncodedTable, frame: Frame) -> np.ndarray:
    """Class number (as in ``frame``) of every record of ``table``."""
    radices = [table.cardinality[i][level] for i, level in enumerate(frame.levels)]
    first_rows = np.searchsorted(frame.row_class, np.arange(len(frame.sizes)))
    if math.prod(radices) >= _KEY_LIMIT:
        return _record_classes_by_index(table, frame, first_rows)
    class_key = np.zeros(len(first_rows), dtype=np.int64)
    record_key = np.zeros(table.n, dtype=np.int64)
    for i, (level, radix) in enumerate(zip(frame.levels, radices, strict=True)):
        class_key *= radix
        class_key += frame.codes[i][first_rows]
        record_key *= radix
        record_key += table.level_maps[i][level][table.records[i]]
    # Every record lies in one of the frame's classes, so the search always lands on it.
    order = np.argsort(class_key)
    return np.asarray(order[np.searchsorted(class_key[order], record_key)], dtype=np.int64)


def _record_classes_by_index(
    table: EncodedTable, frame: Frame, first_rows: np.ndarray
) -> np.ndarray:
    import pandas as pd

    codes = [table.level_maps[i][lvl][table.records[i]] for i, lvl in enumerate(frame.levels)]
    classes = pd.MultiIndex.from_arrays([column[first_rows] for column in frame.codes])
    found = classes.get_indexer(pd.MultiIndex.from_arrays(codes))
    return np.asarray(found, dtype=np.int64)
