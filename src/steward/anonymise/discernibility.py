"""Branch and bound for discernibility (DM) with record suppression.

With suppression DM is not monotone over the lattice, so every node that might beat the best
one found must be looked at — unless a bound rules it out. ``m`` is the smallest size a kept
class can have (``k`` under k-anonymity), ``n`` the number of records; the privacy models judge
class sizes only, so a class inside a failing class fails too. DM charges a kept record its
class size and a suppressed record ``n``. For a node Y between evaluated nodes X ≤ Y ≤ Z:

* a record's Y-class contains its X-class, and a kept class has at least ``m`` records, so a
  record of an X-class of size ``s`` costs at least ``max(s, m)`` in Y, kept or suppressed
  (``n`` ≥ both);
* a record of a failing Z-class lies in a failing Y-class (it is inside the Z-class), so it is
  suppressed in Y and costs ``n``; its X-class is inside that Z-class, so the first point
  counted at most ``max(s_Z, m)`` for it.

Hence DM(Y) ≥ floor(X) + forced(Z) with floor(X) = Σ s·max(s, m) over X's classes and
forced(Z) = Σ s·(n − max(s, m)) over Z's failing classes (both terms monotone: floor rises
with generalisation, forced with specialisation). Each node keeps the largest floor of an
evaluated node below it (at least n·m, every record costing m) and the largest forced charge of
one above it, and is skipped once their sum exceeds the best DM found; ties are still
evaluated, so the answer is the one the exhaustive order gives (less generalised, then first).
A node below a node that fails the suppression limit fails too (its failing classes split into
failing classes), so its forced charge rules them all out.

The top node is evaluated first (the fallback answer under a time limit); then, in batches, the
open nodes with the most open nodes both above and below them, since one evaluation can close
both of its cones. The lattice is held as an array of its own shape, so a cone is a box raised
through one strided view; seen as a matrix (the quasi-identifiers split in two groups), the open
nodes above and below every node are counted by two matrix products.
"""

from __future__ import annotations

import math
import time

import numpy as np

from steward.anonymise.models import Check, ClassView
from steward.anonymise.search import Lattice, SearchOutcome
from steward.anonymise.sizes import ClassSizes

# Nodes evaluated between two rankings of the open nodes, chosen among this many times as many
# of the best ranked.
_BATCH = 16
_POOL = 4
# Count cones by matrix products up to this many rows plus columns; beyond, by prefix sums.
_PRODUCT_LIMIT = 512
# The forced charge below a failing node: it rules every node out (any DM is at most n², far
# smaller), and stays finite so that cones can be raised by multiplying 0/1 masks.
_RULED_OUT = 1e300
_LIMIT = 1e299


class LatticeGrid:
    """The lattice as a matrix: rows are the levels of the first quasi-identifiers, columns those
    of the rest (row-major, so node ``i`` is at ``divmod(i, columns)``).

    ``row_up[a, b]`` says whether row ``b`` generalises row ``a`` (each level at least as high),
    and likewise ``column_up``; a node's cone above is then ``row_up[a] ⊗ column_up[c]``.
    """

    def __init__(self, heights: list[int]) -> None:
        self.shape = tuple(heights)
        # The split that keeps both sides smallest.
        split = min(
            range(len(heights) + 1),
            key=lambda j: max(math.prod(heights[:j]), math.prod(heights[j:])),
        )
        self.rows, self.columns = math.prod(heights[:split]), math.prod(heights[split:])
        self.row_up = _order(heights[:split])
        self.column_up = _order(heights[split:])
        self.by_product = self.rows + self.columns <= _PRODUCT_LIMIT
        if self.by_product:
            self._row_up = self.row_up.astype(np.float32)
            self._column_up = self.column_up.astype(np.float32)

    def raise_cones(
        self, grid: np.ndarray, nodes: list[int], values: list[float], *, upwards: bool
    ) -> None:
        """Raise ``grid`` (rows × columns, values ≥ 0) to each value over the cone of its node:
        the node and every generalisation of it (``upwards``) or every specialisation."""
        # In the lattice's own shape a cone is a box (every level from the node's up to the
        # top, or from 0 up to the node's), so it is raised in place through one strided view.
        cube = grid.reshape(self.shape)
        levels = np.stack(np.unravel_index(np.asarray(nodes, dtype=np.int64), self.shape), 1)
        for node_levels, value in zip(levels.tolist(), values, strict=True):
            if upwards:
                box = cube[tuple(slice(level, None) for level in node_levels)]
            else:
                box = cube[tuple(slice(0, level + 1) for level in node_levels)]
            np.maximum(box, value, out=box)

    def cone_counts(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For every node, how many masked nodes lie above it and below it (itself included)."""
        if self.by_product:
            # float32 counts are exact below 2**24, far above _PRODUCT_LIMIT**2.
            grid = mask.reshape(self.rows, self.columns).astype(np.float32)
            above = self._row_up @ grid @ self._column_up.T
            below = self._row_up.T @ grid @ self._column_up
            return above.ravel(), below.ravel()
        reverse = (slice(None, None, -1),) * len(self.shape)
        below_grid = mask.reshape(self.shape).astype(np.int64)
        above_grid = below_grid[reverse].copy()
        for axis in range(len(self.shape)):
            np.cumsum(below_grid, axis=axis, out=below_grid)
            np.cumsum(above_grid, axis=axis, out=above_grid)
        return above_grid[reverse].ravel(), below_grid.ravel()


def _order(heights: list[int]) -> np.ndarray:
    """``up[a, b]``: whether combination ``b`` of levels is at least combination ``a`` in each."""
    if heights:
        levels = np.indices(heights).reshape(len(heights), -1).T
    else:
        levels = np.zeros((1, 0), dtype=np.int64)
    return np.all(levels[None, :, :] >= levels[:, None, :], axis=2)


class DiscernibilitySearch:
    """Finds the node with the least DM under size-based, monotone privacy models."""

    def __init__(
        self,
        sizes: ClassSizes,
        lattice: Lattice,
        checks: list[Check],
        *,
        n: int,
        max_suppressed: int,
        min_class_size: int,
        time_limit: float | None = None,
    ) -> None:
        self.class_sizes = sizes
        self.lattice = lattice
        self.grid = LatticeGrid(lattice.heights)
        self.checks = checks
        self.n = n
        self.max_suppressed = max_suppressed
        self.min_class_size = max(1, min_class_size)
        self.deadline = time.perf_counter() + time_limit if time_limit else None
        # A large lattice is ranked less often: a ranking costs time in proportion to its size.
        self.batch = min(max(_BATCH, lattice.size // 4096), 4 * _BATCH)
        # The two parts of each node's lower bound (see the module notes), flat and as a matrix.
        self.floor = np.full(lattice.size, float(n) * self.min_class_size)
        self.forced = np.zeros(lattice.size, dtype=np.float64)
        self._floor = self.floor.reshape(self.grid.rows, self.grid.columns)
        self._forced = self.forced.reshape(self.grid.rows, self.grid.columns)
        self.done = np.zeros(lattice.size, dtype=bool)
        self.nodes_checked = 0
        self.best: int | None = None
        self.best_score = float("inf")

    def _limit(self) -> float:
        # A bound must not exceed the best DM; the charge below a failing node rules a node out
        # even before any node satisfies the models.
        return min(self.best_score, _LIMIT)

    def _open(self, node: int) -> bool:
        """Not yet evaluated, and not ruled out by the bound."""
        return not self.done[node] and self.floor[node] + self.forced[node] <= self._limit()

    def evaluate(self, node: int) -> tuple[float, float]:
        """Check one node and score it if it satisfies the models; return the two parts of its
        bound (its floor and forced charge), for the caller to spread over its cones."""
        self.nodes_checked += 1
        self.done[node] = True
        sizes = self.class_sizes.sizes(node, self.lattice.levels[node])
        view = ClassView(sizes=sizes)
        kept = self.checks[0](view)
        for check in self.checks[1:]:
            kept &= check(view)
        n = self.n
        charged = np.maximum(sizes, self.min_class_size)
        kept_sizes = sizes * kept
        suppressed = n - int(kept_sizes.sum())
        floor = float(sizes @ charged)
        if suppressed > self.max_suppressed:
            return floor, _RULED_OUT
        forced = float((sizes - kept_sizes) @ (n - charged)) if suppressed else 0.0
        score = float(kept_sizes @ sizes) + float(suppressed) * n
        if score < self.best_score or (score == self.best_score and self._earlier(node)):
            self.best, self.best_score = node, score
        return floor, forced

    def _spread(self, nodes: list[int], bounds: list[tuple[float, float]]) -> None:
        """Raise the floor over the cones above the nodes and the forced charge over those
        below. Both parts only grow along the order (floor upwards, forced downwards), so a
        cone needs raising only where the node's own value rises."""
        up = [
            (node, floor)
            for node, (floor, _) in zip(nodes, bounds, strict=True)
            if floor > self.floor[node]
        ]
        down = [
            (node, forced)
            for node, (_, forced) in zip(nodes, bounds, strict=True)
            if forced > self.forced[node]
        ]
        for pairs, grid, upwards in ((up, self._floor, True), (down, self._forced, False)):
            if pairs:
                cone_nodes, values = zip(*pairs, strict=True)
                self.grid.raise_cones(grid, list(cone_nodes), list(values), upwards=upwards)

    def _earlier(self, node: int) -> bool:
        # Ties go to the less generalised node, then to the first in lattice order.
        assert self.best is not None
        mine, theirs = self.lattice.height_of[node], self.lattice.height_of[self.best]
        return bool(mine < theirs or (mine == theirs and node < self.best))

    def _out_of_time(self) -> bool:
        return self.deadline is not None and time.perf_counter() > self.deadline

    def run(self) -> SearchOutcome:
        """Evaluate nodes until every node is evaluated or bounded out (or time runs out)."""
        # The top node first: with a time limit it is the fallback answer.
        top = self.lattice.size - 1
        self._spread([top], [self.evaluate(top)])
        complete = True
        while complete and (batch := self._next_batch()):
            evaluated, bounds = [], []
            for node in batch:
                if self._out_of_time():
                    complete = False
                    break
                # Nodes of a batch are incomparable, so none moves another's bound: only the
                # best DM found so far can rule a node out within the batch.
                if self._open(node):
                    evaluated.append(node)
                    bounds.append(self.evaluate(node))
            self._spread(evaluated, bounds)
        best = (
            tuple(int(x) for x in self.lattice.levels[self.best]) if self.best is not None else None
        )
        return SearchOutcome(best, self.best_score, self.nodes_checked, self.lattice.size, complete)

    def _next_batch(self) -> list[int]:
        """The open nodes to evaluate next (empty when none is open).

        An evaluated node can close every open node above it (its floor) and below it (its
        forced charge), so the nodes with the most open nodes on both sides go first: the
        product of the two counts, which favours the middle of what is left open. A batch holds
        no two comparable nodes, so that it spreads over the lattice."""
        is_open = ~self.done & (self.floor + self.forced <= self._limit())
        nodes = np.flatnonzero(is_open)
        if len(nodes) == 0:
            return []
        above, below = self.grid.cone_counts(is_open)
        # Cone counts include the node itself, so every open node has a positive priority.
        priority = (above.astype(np.float64) * below)[nodes]
        pool_size = min(len(nodes), _POOL * self.batch)
        top = (
            np.argpartition(-priority, pool_size - 1)[:pool_size]
            if pool_size < len(nodes)
            else np.arange(len(nodes))
        )
        pool = nodes[top[np.argsort(-priority[top], kind="stable")]]
        # Order within the pool from the two halves of the grid.
        rows, columns = np.divmod(pool, self.grid.columns)
        below_or_equal = self.grid.row_up[rows][:, rows] & self.grid.column_up[columns][:, columns]
        apart = ~(below_or_equal | below_or_equal.T)
        # Each row as the bits of one Python integer: the greedy pass below is then a few
        # integer operations per candidate.
        packed = np.packbits(apart, axis=1, bitorder="little")
        rows = [int.from_bytes(row.tobytes(), "little") for row in packed]
        chosen: list[int] = []
        free = (1 << len(pool)) - 1
        for position, node in enumerate(pool.tolist()):
            if free >> position & 1:
                chosen.append(node)
                if len(chosen) == self.batch:
                    break
                free &= rows[position]
        return chosen
