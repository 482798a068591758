"""Utility (information loss) measures of a generalisation; lower is better for all of them.

Definitions follow ARX so that published figures can be reproduced:

* ``dm`` — discernibility: each record in a kept class is charged its class size, each
  suppressed record the number of records ``n``.
* ``aecs`` — average equivalence class size: ``n`` over the number of classes, the suppressed
  records counting as one class.
* ``precision`` — average over cells of level / (height - 1); a suppressed cell counts 1.
* ``loss`` — per quasi-identifier, the average over records of (leaves under the label - 1) /
  (leaves - 1), a suppressed cell counting 1; then the geometric mean of (1 + loss) over
  quasi-identifiers, minus 1 (ARX's default aggregation).
* ``entropy`` — non-uniform entropy: sum over cells of log2(frequency of the generalised label /
  frequency of the raw value); a suppressed cell is generalised to the root (frequency ``n``).

Each measure also has a lower bound that ignores suppression and never decreases when a node is
generalised further; the search prunes with it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from steward.anonymise.encoding import EncodedTable, Frame
from steward.errors import UserError

METRICS = ("dm", "aecs", "precision", "loss", "entropy")


class UtilityMeasures:
    """Per-cell costs of each level of each hierarchy, precomputed once per table."""

    def __init__(self, table: EncodedTable, record_codes: Sequence[np.ndarray]) -> None:
        self.table = table
        n = table.n
        self.n = n
        self._precision: list[list[np.ndarray]] = []
        self._loss: list[list[np.ndarray]] = []
        self._entropy: list[list[np.ndarray]] = []
        self._entropy_raw = 0.0
        for i, maps in enumerate(table.level_maps):
            height = len(maps)
            leaves = len(maps[0])
            frequency0 = np.bincount(maps[0][record_codes[i]], minlength=table.cardinality[i][0])
            present0 = frequency0[frequency0 > 0]
            self._entropy_raw += float(np.sum(present0 * np.log2(present0)))
            precision_levels, loss_levels, entropy_levels = [], [], []
            for level, level_map in enumerate(maps):
                card = table.cardinality[i][level]
                share = level / (height - 1) if height > 1 else 0.0
                precision_levels.append(np.full(card, share))
                covered = np.bincount(level_map, minlength=card)
                loss_levels.append((covered - 1) / (leaves - 1) if leaves > 1 else np.zeros(card))
                # Records per label, summed over the hierarchy rather than the records.
                frequency = np.bincount(level_map, weights=frequency0, minlength=card)
                with np.errstate(divide="ignore"):
                    entropy_levels.append(np.where(frequency > 0, np.log2(frequency), 0.0))
            self._precision.append(precision_levels)
            self._loss.append(loss_levels)
            self._entropy.append(entropy_levels)

    def score(self, metric: str, frame: Frame, kept: np.ndarray | None) -> float:
        """The measure for ``frame`` with classes outside ``kept`` suppressed (None: all kept)."""
        n = self.n
        sizes = frame.sizes
        if kept is None:
            kept = np.ones(len(sizes), dtype=bool)
        suppressed = int(sizes[~kept].sum())
        if metric == "dm":
            kept_sizes = sizes[kept]
            return float(np.dot(kept_sizes, kept_sizes)) + float(suppressed) * n
        if metric == "aecs":
            classes = int(kept.sum()) + (1 if suppressed else 0)
            return n / classes if classes else float(n)
        q = self.table.q
        per_cell = {"precision": self._precision, "loss": self._loss, "entropy": self._entropy}
        if metric not in per_cell:
            raise UnknownMetric(metric)
        costs = per_cell[metric]
        row_kept = kept[frame.row_class]
        kept_count = frame.count[row_kept]
        per_attribute = np.array(
            [
                float(np.dot(costs[i][level][frame.codes[i][row_kept]], kept_count))
                for i, level in enumerate(frame.levels)
            ]
        )
        if metric == "entropy":
            return (
                float(per_attribute.sum()) + suppressed * q * float(np.log2(n)) - self._entropy_raw
            )
        shares = (per_attribute + suppressed) / n
        if metric == "loss":
            return float(np.exp(np.mean(np.log1p(shares)))) - 1.0
        return float(shares.mean())

    def lower_bound(self, metric: str, frame: Frame) -> float:
        """The measure with nothing suppressed: a bound that only grows up the lattice."""
        return self.score(metric, frame, None)


class UnknownMetric(UserError):
    """A utility measure name that is not one of :data:`METRICS`."""

    def __init__(self, metric: str) -> None:
        super().__init__(
            what=f"Unknown utility measure {metric!r}",
            fix=f"Use one of: {', '.join(METRICS)}.",
        )
