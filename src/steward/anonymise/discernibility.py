"""Two-sided branch and bound for discernibility (DM) with record suppression.

With suppression DM is not monotone over the lattice, so every node that might beat the best
one found must be looked at — unless a bound rules it out. Two bounds, both from a node's class
sizes, cover the rest of the lattice from either side (``m`` is the smallest size a kept class
can have, ``k`` under k-anonymity; ``n`` the number of records):

* **upwards**: in any generalisation of node X, a record of an X-class of size ``s`` lies in a
  class at least as large, and costs that size if kept (at least ``max(s, m)``) or ``n`` if
  suppressed, so DM ≥ Σ s·max(s, m) over X's classes;
* **downwards** (privacy models judged on class size, so a class inside a failing class fails):
  in any specialisation of node Z, every record of a failing Z-class is suppressed (``n``) and
  every other record costs at least ``m``, so DM ≥ u·n + (n − u)·m with ``u`` suppressed at Z.

A node is skipped once a bound from an evaluated node exceeds the best DM found; ties are still
evaluated, so the answer is the one the exhaustive order gives (less generalised, then first).
A greedy descent from the top finds a good first solution, so the bounds bite early; then nodes
are visited Flash-style: a path climbs from the lowest unresolved node and is bisected, so the
boundaries of both pruned regions are found in a few checks per path.
"""

from __future__ import annotations

import time

import numpy as np

from steward.anonymise.models import Check, ClassView
from steward.anonymise.search import Lattice, SearchOutcome
from steward.anonymise.sizes import ClassSizes


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
        self.checks = checks
        self.n = n
        self.max_suppressed = max_suppressed
        self.min_class_size = max(1, min_class_size)
        self.deadline = time.perf_counter() + time_limit if time_limit else None
        self.bound = np.zeros(lattice.size, dtype=np.float64)
        self.done = np.zeros(lattice.size, dtype=bool)
        self.nodes_checked = 0
        self.score = np.full(lattice.size, np.inf)
        self._waiting: list[tuple[tuple[slice, ...], float]] = []
        self.best: int | None = None
        self.best_score = float("inf")

    def _open(self, node: int) -> bool:
        """Not yet evaluated, and not ruled out by a bound."""
        return not self.done[node] and self.bound[node] <= self.best_score

    def evaluate(self, node: int) -> None:
        """Check one node, score it if it satisfies the models, and spread its two bounds."""
        self.nodes_checked += 1
        self.done[node] = True
        levels = self.lattice.levels[node]
        sizes = self.class_sizes.sizes(node, levels)
        level_list = levels.tolist()
        view = ClassView(sizes=sizes)
        kept = self.checks[0](view)
        for check in self.checks[1:]:
            kept &= check(view)
        kept_sizes = sizes[kept]
        n, m = self.n, self.min_class_size
        suppressed = n - int(kept_sizes.sum())
        upwards = float(np.dot(sizes, np.maximum(sizes, m)))
        self._spread(tuple(slice(level, None) for level in level_list), upwards)
        downwards = float(suppressed * n + (n - suppressed) * m)
        self._spread(tuple(slice(0, level + 1) for level in level_list), downwards)
        if suppressed > self.max_suppressed:
            return
        score = float(np.dot(kept_sizes, kept_sizes)) + float(suppressed) * n
        self.score[node] = score
        if score < self.best_score or (score == self.best_score and self._earlier(node)):
            self.best, self.best_score = node, score
            # Bounds set aside may now rule nodes out.
            waiting, self._waiting = self._waiting, []
            for block, value in waiting:
                self._spread(block, value)

    def _spread(self, block: tuple[slice, ...], value: float) -> None:
        """Raise the bound over a block of the lattice grid to ``value``.

        A bound rules a node out only once it exceeds the best score, and the best score only
        falls, so a bound that cannot do so yet is set aside until the best score falls below it.
        """
        if value <= self.best_score:
            self._waiting.append((block, value))
            return
        grid = self.bound.reshape(self.lattice.shape)[block]
        np.maximum(grid, value, out=grid)

    def _earlier(self, node: int) -> bool:
        # Ties go to the less generalised node, then to the first in lattice order.
        assert self.best is not None
        mine, theirs = self.lattice.height_of[node], self.lattice.height_of[self.best]
        return bool(mine < theirs or (mine == theirs and node < self.best))

    def _out_of_time(self) -> bool:
        return self.deadline is not None and time.perf_counter() > self.deadline

    def run(self) -> SearchOutcome:
        """Evaluate paths until every node is evaluated or bounded out (or time runs out)."""
        # The top node first: with a time limit it is the fallback answer.
        self._descend()
        complete = not self._out_of_time()
        for node in np.argsort(self.lattice.height_of, kind="stable"):
            if not complete:
                break
            if self._open(int(node)):
                complete = not self._out_of_time() and self._bisect(self._path_from(int(node)))
        best = (
            tuple(int(x) for x in self.lattice.levels[self.best]) if self.best is not None else None
        )
        return SearchOutcome(best, self.best_score, self.nodes_checked, self.lattice.size, complete)

    def _descend(self) -> None:
        """Walk down from the top, always to the best satisfying child, while DM improves."""
        node = self.lattice.size - 1
        self.evaluate(node)
        while self.best is not None and not self._out_of_time():
            children = [c for c in self.lattice.children(node) if self._open(c)]
            for child in children:
                self.evaluate(child)
            scores = [self.score[c] for c in children]
            if not scores or min(scores) > self.best_score:
                return
            node = children[int(np.argmin(scores))]

    def _path_from(self, node: int) -> list[int]:
        """A greedy path upwards through open nodes, raising the least generalised
        quasi-identifier (relative to its height) at each step."""
        path = [node]
        heights = self.lattice.heights
        strides = [int(x) for x in self.lattice.strides]
        levels = [int(x) for x in self.lattice.levels[node]]
        # Plain Python on the hot path: scalar numpy indexing costs more than the work.
        done, bound, best = self.done, self.bound, self.best_score
        while True:
            here = path[-1]
            step_share, step_qi = 2.0, -1
            for i, h in enumerate(heights):
                raised = levels[i] + 1
                if raised >= h:
                    continue
                parent = here + strides[i]
                if done[parent] or bound[parent] > best:
                    continue
                share = raised / (h - 1)
                if share < step_share:
                    step_share, step_qi = share, i
            if step_qi < 0:
                return path
            levels[step_qi] += 1
            path.append(here + strides[step_qi])

    def _bisect(self, path: list[int]) -> bool:
        """Evaluate the middle of the path, then whatever of each half is still open.

        Returns False when the time limit passed."""
        pending = [path]
        while pending:
            part = pending.pop()
            if not part:
                continue
            middle = len(part) // 2
            node = part[middle]
            if self._open(node):
                if self._out_of_time():
                    return False
                self.evaluate(node)
            pending.append([x for x in part[middle + 1 :] if self._open(x)])
            pending.append([x for x in part[:middle] if self._open(x)])
        return True
