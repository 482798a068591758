"""Search of the generalisation lattice for the optimal full-domain generalisation.

After the Flash/OLA family of algorithms:

* **Predictive tagging** (when every privacy model is monotone under the suppression limit):
  for each untagged node, walk a path up the lattice and binary-search it; a node that
  satisfies the models tags all its generalisations as satisfying, one that does not tags all
  its specialisations as failing. Every node ends tagged, and every *minimal* satisfying node
  has been checked. Without suppression every utility measure is monotone, so the best of the
  minimal satisfying nodes is the optimum and the search ends here.
* **Bounded scoring** (with suppression, where utility is not monotone): a greedy descent from
  the top gives a first solution; then every node that may still beat it is scored bottom-up.
  A node whose lower bound (utility ignoring suppression, monotone in generalisation) is no
  better than the best so far is pruned with all its generalisations, also during tagging.

Frames (distinct generalised rows with counts) are rolled up from the smallest cached less
generalised frame, so a check groups a few thousand rows rather than every record.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from steward.anonymise.encoding import EncodedTable, Frame
from steward.anonymise.models import Check
from steward.anonymise.utility import UtilityMeasures

_UNKNOWN, _SATISFIED, _FAILED = 0, 1, 2
# Frames kept for rolling up, counted in rows (a row is about 100 bytes with 8 columns).
_CACHE_ROWS = 1_000_000
_NOT_CACHED = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Evaluation:
    """One checked node: its frame, which classes are kept, and the suppressed record count."""

    frame: Frame
    kept: np.ndarray
    suppressed: int
    satisfied: bool


@dataclass(frozen=True)
class SearchOutcome:
    """The best node found, how many nodes were checked and whether the search completed."""

    best: tuple[int, ...] | None
    best_score: float
    nodes_checked: int
    lattice_size: int
    complete: bool


class Lattice:
    """All combinations of levels, one row per node, with vectorised order relations."""

    def __init__(self, heights: list[int]) -> None:
        self.heights = heights
        # Row-major order of the grid: the same order as itertools.product over the levels.
        if heights:
            grid = np.indices(heights, dtype=np.int16)
            self.levels = grid.reshape(len(heights), -1).T.copy()
        else:  # no quasi-identifier
            self.levels = np.zeros((1, 0), dtype=np.int16)
        self.size = len(self.levels)
        self.height_of = self.levels.sum(axis=1)
        strides = np.ones(len(heights), dtype=np.int64)
        for i in range(len(heights) - 2, -1, -1):
            strides[i] = strides[i + 1] * heights[i + 1]
        self.strides = strides

    def index(self, levels: tuple[int, ...] | np.ndarray) -> int:
        """Position of a node in :attr:`levels`."""
        return int(np.dot(np.asarray(levels, dtype=np.int64), self.strides))

    @property
    def shape(self) -> tuple[int, ...]:
        """The lattice as a grid: one axis per quasi-identifier."""
        return tuple(self.heights)

    def above(self, node: int) -> tuple[slice, ...]:
        """Grid slices selecting the node and every generalisation of it."""
        return tuple(slice(int(level), None) for level in self.levels[node])

    def below(self, node: int) -> tuple[slice, ...]:
        """Grid slices selecting the node and every specialisation of it."""
        return tuple(slice(0, int(level) + 1) for level in self.levels[node])

    def generalisations(self, node: int) -> np.ndarray:
        """Mask of the node and every node above it."""
        mask = np.zeros(self.shape, dtype=bool)
        mask[self.above(node)] = True
        return mask.ravel()

    def specialisations(self, node: int) -> np.ndarray:
        """Mask of the node and every node below it."""
        mask = np.zeros(self.shape, dtype=bool)
        mask[self.below(node)] = True
        return mask.ravel()

    def children(self, node: int) -> list[int]:
        """Direct specialisations: one level less on one quasi-identifier."""
        return [
            node - int(self.strides[i])
            for i in range(len(self.heights))
            if self.levels[node, i] > 0
        ]

    def parents(self, node: int) -> list[int]:
        """Direct generalisations: one level more on one quasi-identifier."""
        out = []
        for i, h in enumerate(self.heights):
            if self.levels[node, i] + 1 < h:
                out.append(node + int(self.strides[i]))
        return out


class Search:
    """Finds the node with the best utility among those satisfying every privacy model."""

    def __init__(
        self,
        table: EncodedTable,
        checks: list[Check],
        monotone: bool,
        max_suppressed: int,
        utility: UtilityMeasures,
        metric: str,
        time_limit: float | None = None,
    ) -> None:
        self.table = table
        self.checks = checks
        self.monotone = monotone
        self.max_suppressed = max_suppressed
        self.utility = utility
        self.metric = metric
        self.deadline = time.perf_counter() + time_limit if time_limit else None
        self.lattice = Lattice(table.heights)
        self.tag = np.zeros(self.lattice.size, dtype=np.int8)
        self.scored = np.zeros(self.lattice.size, dtype=bool)
        self.pruned = np.zeros(self.lattice.size, dtype=bool)
        self.nodes_checked = 0
        # With suppression, pruned nodes need no tag; without, tagging through them is cheaper
        # than walking round them.
        self.bounded_tagging = max_suppressed > 0
        self.best: int | None = None
        self.best_score = float("inf")
        self._cache: OrderedDict[int, Frame] = OrderedDict()
        self._cache_rows = 0
        # Rows of each cached node's frame, "infinite" where nothing is cached.
        self._cached_rows = np.full(self.lattice.size, _NOT_CACHED, dtype=np.int64)

    # ------------------------------------------------------------------ evaluation

    def frame(self, node: int) -> Frame:
        """The frame of a node, rolled up from the smallest cached less generalised frame."""
        if node in self._cache:
            self._cache.move_to_end(node)
            return self._cache[node]
        levels = self.lattice.levels[node]
        source = self.table.base
        children = [c for c in self.lattice.children(node) if c in self._cache]
        if children:
            source = self._cache[min(children, key=lambda c: self._cached_rows[c])]
        elif self._cache:
            rows = self._cached_rows.reshape(self.lattice.shape)[self.lattice.below(node)]
            position = int(np.argmin(rows))
            if rows.flat[position] != _NOT_CACHED:
                # Within the block below a node, grid coordinates are the levels themselves.
                coordinates = np.unravel_index(position, rows.shape)
                source = self._cache[self.lattice.index(np.array(coordinates))]
        frame = self.table.roll_up(source, tuple(int(x) for x in levels))
        self._remember(node, frame)
        return frame

    def _remember(self, node: int, frame: Frame) -> None:
        self._cache[node] = frame
        self._cached_rows[node] = len(frame.count)
        self._cache_rows += len(frame.count)
        while self._cache_rows > _CACHE_ROWS and len(self._cache) > 1:
            old_node, old = self._cache.popitem(last=False)
            self._cached_rows[old_node] = _NOT_CACHED
            self._cache_rows -= len(old.count)

    def evaluate(self, node: int) -> Evaluation:
        """Check one node against every model under the suppression limit."""
        frame = self.frame(node)
        kept = np.ones(len(frame.sizes), dtype=bool)
        for check in self.checks:
            kept &= check(frame.view)
        suppressed = int(frame.sizes[~kept].sum())
        return Evaluation(frame, kept, suppressed, suppressed <= self.max_suppressed)

    def _check(self, node: int) -> bool:
        self.nodes_checked += 1
        result = self.evaluate(node)
        if self.monotone:
            grid = self.tag.reshape(self.lattice.shape)
            block = (
                grid[self.lattice.above(node)]
                if result.satisfied
                else grid[self.lattice.below(node)]
            )
            block[block == _UNKNOWN] = _SATISFIED if result.satisfied else _FAILED
        self.tag[node] = _SATISFIED if result.satisfied else _FAILED
        if self._prune_by_bound(node, result):
            return result.satisfied
        if result.satisfied:
            self._score(node, result)
        return result.satisfied

    def _prune_by_bound(self, node: int, result: Evaluation) -> bool:
        """Prune the node and all its generalisations when its bound cannot beat the best.

        The bound holds whether or not the node satisfies the models. Ties go to the less
        generalised node, so an equal bound prunes only above the best node's height.
        """
        if self.best is None:
            return False
        bound = self.utility.lower_bound(self.metric, result.frame)
        if bound < self.best_score:
            return False
        height = self.lattice.height_of
        if bound == self.best_score and height[node] <= height[self.best]:
            return False
        self.pruned.reshape(self.lattice.shape)[self.lattice.above(node)] = True
        return True

    def _score(self, node: int, result: Evaluation) -> None:
        self.scored[node] = True
        score = self.utility.score(self.metric, result.frame, result.kept)
        if score < self.best_score or (score == self.best_score and self._earlier(node)):
            self.best, self.best_score = node, score

    def _earlier(self, node: int) -> bool:
        # Ties go to the less generalised node, then to the first in lattice order.
        assert self.best is not None
        mine, theirs = self.lattice.height_of[node], self.lattice.height_of[self.best]
        return bool(mine < theirs or (mine == theirs and node < self.best))

    def _out_of_time(self) -> bool:
        return self.deadline is not None and time.perf_counter() > self.deadline

    # ------------------------------------------------------------------ phases

    def run(self) -> SearchOutcome:
        """Run both phases; stops early (complete=False) when the time limit passes."""
        if self.monotone and self.max_suppressed == 0:
            if self.deadline is not None:
                # Best effort: the top node is a fallback answer if time runs out at once.
                self._check(self.lattice.size - 1)
            # Every measure is monotone without suppression: a node tagged satisfying lies above
            # a scored one that is at least as good, so tagging alone finds the optimum.
            complete = self._tag_all()
        else:
            self._descend()
            complete = (not self.monotone or self._tag_all()) and self._bounded_scoring()
        best = (
            tuple(int(x) for x in self.lattice.levels[self.best]) if self.best is not None else None
        )
        return SearchOutcome(best, self.best_score, self.nodes_checked, self.lattice.size, complete)

    def _tag_all(self) -> bool:
        order = np.argsort(self.lattice.height_of, kind="stable")
        for node in order:
            if self.tag[node] != _UNKNOWN or (self.bounded_tagging and self.pruned[node]):
                continue
            if self._out_of_time():
                return False
            self._binary_search(self._path_from(int(node)))
        return True

    def _path_from(self, node: int) -> list[int]:
        """A greedy path upwards through untagged nodes, starting at ``node``.

        Each step raises the quasi-identifier that is least generalised relative to its height,
        so paths climb the lattice evenly and a bisection lands near the boundary.
        """
        path = [node]
        heights = self.lattice.heights
        while True:
            current = self.lattice.levels[path[-1]]
            best_step: tuple[float, int] | None = None
            for i, h in enumerate(heights):
                if current[i] + 1 >= h:
                    continue
                parent = path[-1] + int(self.lattice.strides[i])
                if self.tag[parent] != _UNKNOWN or (self.bounded_tagging and self.pruned[parent]):
                    continue
                share = (current[i] + 1) / (h - 1)
                if best_step is None or share < best_step[0]:
                    best_step = (share, parent)
            if best_step is None:
                return path
            path.append(best_step[1])

    def _binary_search(self, path: list[int]) -> None:
        low, high = 0, len(path) - 1
        while low <= high:
            mid = (low + high) // 2
            node = path[mid]
            state = self.tag[node]
            if self.bounded_tagging and self.pruned[node]:
                # Everything above is pruned too: only the lower part of the path matters.
                satisfied = True
            elif state == _UNKNOWN:
                satisfied = self._check(node)
            else:
                satisfied = state == _SATISFIED
            if satisfied:
                high = mid - 1
            else:
                low = mid + 1

    def _descend(self) -> None:
        """A good first solution, so the bound prunes from the start: walk down from the top,
        always to the best-scoring satisfying child, while the score improves."""
        node = self.lattice.size - 1
        result = self.evaluate(node)
        self.nodes_checked += 1
        if not result.satisfied:
            return
        self._score(node, result)
        while True:
            step: tuple[float, int] | None = None
            for child in self.lattice.children(node):
                if self.scored[child] or self.tag[child] == _FAILED:
                    continue
                result = self.evaluate(child)
                self.nodes_checked += 1
                if not result.satisfied:
                    self.tag[child] = _FAILED
                    continue
                self._score(child, result)
                score = self.utility.score(self.metric, result.frame, result.kept)
                if step is None or score < step[0]:
                    step = (score, child)
            if step is None or step[0] > self.best_score:
                return
            node = step[1]

    def _bounded_scoring(self) -> bool:
        """Score every candidate not yet scored, bottom-up, pruning by the utility lower bound."""
        candidates = (self.tag != _FAILED) & ~self.scored & ~self.pruned
        nodes = np.flatnonzero(candidates)
        nodes = nodes[np.argsort(self.lattice.height_of[nodes], kind="stable")]
        for node in nodes:
            node = int(node)
            if self.pruned[node]:
                continue
            if self._out_of_time():
                return False
            result = self.evaluate(node)
            self.nodes_checked += 1
            if self._prune_by_bound(node, result):
                continue
            if result.satisfied:
                self._score(node, result)
        return True


def run_search(
    table: EncodedTable,
    checks: list[Check],
    *,
    monotone: bool,
    max_suppressed: int,
    utility: UtilityMeasures,
    metric: str,
    time_limit: float | None,
) -> SearchOutcome:
    """Search the lattice of ``table`` for the best node satisfying ``checks``."""
    return Search(table, checks, monotone, max_suppressed, utility, metric, time_limit).run()
