"""Class sizes of any generalisation, from one integer key per distinct record.

When no privacy model looks at a sensitive attribute, a node is judged by its class sizes alone.
Each distinct combination of quasi-identifier codes is then one int64 key made of one bit field
per quasi-identifier (wide enough for the number of rows of its hierarchy, which bounds the codes
of every level). Generalising a quasi-identifier replaces its field, so a node's keys come from a
less generalised node's keys by a shift, a mask, a gather and an add per changed
quasi-identifier. The class count rides in the low bits of the same word, so one sort of plain
integers groups the new keys; it is a stable (merging) sort, fast because the rolled-up keys are
still sorted in long runs.

Most nodes never need the sort: when a node's key space is small, its sizes are counted with
``np.bincount`` straight from the distinct records, the key being two memoised half keys (one
per half of the quasi-identifiers) combined.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from steward.anonymise.encoding import EncodedTable

# Keys kept for rolling up, counted in rows (16 bytes a row).
_CACHE_ROWS = 2_000_000
_NOT_CACHED = np.iinfo(np.int64).max
_WORD_BITS = 62
# Count by a dense key when its space is at most this many times the distinct records (a
# larger space costs more to scan than a sort).
_DENSE_FACTOR = 64


def _bits(values: int) -> int:
    """Bits needed for codes 0..values-1."""
    return max(1, (values - 1).bit_length())


_INT32_LIMIT = 1 << 31


def _small_int(codes: np.ndarray) -> type[np.signedinteger]:
    """The narrowest of int32 and int64 that holds ``codes``."""
    return np.int32 if len(codes) == 0 or int(codes.max()) < _INT32_LIMIT else np.int64


def fits_in_keys(table: EncodedTable) -> bool:
    """Whether a key and a class count fit in one int64 (true for ordinary tables)."""
    fields = sum(_bits(len(maps[0])) for maps in table.level_maps)
    return fields + _bits(table.n + 1) <= _WORD_BITS


@dataclass
class _Records:
    """The distinct records: their codes at every level, how many records each stands for,
    and the half keys met so far."""

    level_codes: list[list[np.ndarray]]
    weights: np.ndarray
    half_keys: dict[tuple[int, tuple[int, ...]], tuple[np.ndarray, int]] = field(
        default_factory=dict
    )


class ClassSizes:
    """Class sizes of the nodes of a lattice, rolled up from cached less generalised nodes."""

    def __init__(self, table: EncodedTable, shape: tuple[int, ...], strides: np.ndarray) -> None:
        self.table = table
        self.shape = shape
        self.strides = strides
        q = table.q
        widths = [_bits(len(maps[0])) for maps in table.level_maps]
        self.shifts = np.zeros(q, dtype=np.int64)
        for i in range(q - 2, -1, -1):
            self.shifts[i] = self.shifts[i + 1] + widths[i + 1]
        self.masks = np.array([(1 << w) - 1 for w in widths], dtype=np.int64)
        self.count_bits = _bits(table.n + 1)
        key = np.zeros(table.n, dtype=np.int64)
        for i in range(q):
            key |= table.records[i] << self.shifts[i]
        keys, counts = np.unique(key, return_counts=True)
        self._base = (keys, counts.astype(np.int64))
        # Codes of the distinct records at every level, for counting by a dense key instead.
        # int32 where every level has fewer than 2**31 labels: half the memory traffic.
        level_codes = []
        for i, maps in enumerate(table.level_maps):
            raw = (keys >> self.shifts[i]) & self.masks[i]
            # Narrow the small maps, not the gathered codes: one pass over the records a level.
            level_codes.append([m.astype(_small_int(m))[raw] for m in maps])
        # bincount weighs in float64 anyway
        self._records = _Records(level_codes, counts.astype(np.float64))
        self._deltas: dict[tuple[int, int, int], np.ndarray] = {}
        self._cache: OrderedDict[int, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._cache_rows = 0
        self._cached_rows = np.full(math.prod(shape), _NOT_CACHED, dtype=np.int64)
        self.rows_read = 0

    def _delta(self, qi: int, source: int, target: int) -> np.ndarray:
        """Key change for each level-``source`` code when it becomes its level-``target`` code."""
        found = self._deltas.get((qi, source, target))
        if found is None:
            between = self.table.map_between(qi, source, target)
            found = (between - np.arange(len(between))) << self.shifts[qi]
            self._deltas[(qi, source, target)] = found
        return found

    def sizes(self, node: int, levels: np.ndarray) -> np.ndarray:
        """The sizes of the classes of ``node`` (whose levels are ``levels``), in key order."""
        cached = self._cache.get(node)
        if cached is not None:
            self._cache.move_to_end(node)
            return cached[1]
        dense = self._dense_sizes(levels)
        if dense is not None:
            return dense
        keys, counts = self._base
        have = np.zeros(len(levels), dtype=np.int64)
        if self._cache:
            # The smallest cached node below: within the block below a node, grid coordinates
            # are the levels themselves.
            rows = self._cached_rows.reshape(self.shape)[
                tuple(slice(0, int(level) + 1) for level in levels)
            ]
            position = int(np.argmin(rows))
            if rows.flat[position] != _NOT_CACHED:
                have = np.array(np.unravel_index(position, rows.shape), dtype=np.int64)
                keys, counts = self._cache[int(np.dot(have, self.strides))]
        self.rows_read += len(keys)
        packed = (keys << self.count_bits) | counts
        for i in np.flatnonzero(have != levels):
            digit = (keys >> self.shifts[i]) & self.masks[i]
            packed += self._delta(int(i), int(have[i]), int(levels[i]))[digit] << self.count_bits
        packed.sort(kind="stable")
        new_keys = packed >> self.count_bits
        starts = np.empty(len(new_keys), dtype=bool)
        starts[:1] = True
        np.not_equal(new_keys[1:], new_keys[:-1], out=starts[1:])
        first = np.flatnonzero(starts)
        keys = new_keys[first]
        counts = np.add.reduceat(packed & ((1 << self.count_bits) - 1), first)
        self._remember(node, keys, counts)
        return counts

    def _dense_sizes(self, levels_array: np.ndarray) -> np.ndarray | None:
        """Class sizes by ``np.bincount`` over a compact mixed-radix key of the distinct
        records, or None when the key space is too large to count densely."""
        found = self.dense_key(levels_array)
        if found is None:
            return None
        key, weights, space = found
        sizes = np.bincount(key, weights=weights, minlength=space)
        return sizes[sizes > 0].astype(np.int64)

    def dense_key(self, levels_array: np.ndarray) -> tuple[np.ndarray, np.ndarray, int] | None:
        """A compact key per distinct record, equal for records of one class, with the records' weights and the key space; None when the
        space is too large to count densely. The classes are the non-empty bins."""
        levels = tuple(levels_array.tolist())
        records = self._records
        rows = len(records.weights)
        half = len(levels) // 2
        high, high_space = self._half_key(records, levels[:half], 0)
        low, low_space = self._half_key(records, levels[half:], half)
        space = high_space * low_space
        if space > _DENSE_FACTOR * rows:
            return None
        self.rows_read += rows
        if space >= _INT32_LIMIT:
            high = high.astype(np.int64)
        key = high * low_space + low if half else low
        return key, records.weights, space

    def _half_key(
        self, records: _Records, levels: tuple[int, ...], first: int
    ) -> tuple[np.ndarray, int]:
        """The compact key of the records over the quasi-identifiers ``first``, ``first + 1``,
        ... at ``levels``; kept, since a search meets each combination of levels many times.
        It is built from the kept key of all but the last of them, so it costs one
        multiply-add over the records (and a renumbering)."""
        found = records.half_keys.get((first, levels))
        if found is None:
            rows = len(records.weights)
            if not levels:
                found = (np.zeros(rows, dtype=np.int32), 1)
            else:
                prefix, prefix_space = self._half_key(records, levels[:-1], first)
                qi = first + len(levels) - 1
                radix = self.table.cardinality[qi][levels[-1]]
                space = prefix_space * radix
                if space >= _INT32_LIMIT:
                    prefix = prefix.astype(np.int64)
                key = prefix * radix + records.level_codes[qi][levels[-1]]
                if space > rows:
                    # Number only the combinations present, so the key space stays small.
                    seen = np.zeros(space, dtype=bool)
                    seen[key] = True
                    present = np.flatnonzero(seen)
                    number = np.empty(space, dtype=key.dtype)
                    number[present] = np.arange(len(present), dtype=key.dtype)
                    key, space = number[key], len(present)
                found = (key, space)
            records.half_keys[(first, levels)] = found
        return found

    def _remember(self, node: int, keys: np.ndarray, counts: np.ndarray) -> None:
        self._cache[node] = (keys, counts)
        self._cached_rows[node] = len(keys)
        self._cache_rows += len(keys)
        while self._cache_rows > _CACHE_ROWS and len(self._cache) > 1:
            old_node, (old_keys, _) = self._cache.popitem(last=False)
            self._cached_rows[old_node] = _NOT_CACHED
            self._cache_rows -= len(old_keys)
