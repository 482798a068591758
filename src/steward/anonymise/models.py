"""Privacy models, each a test on the equivalence classes of one generalisation.

Every model answers, for each class, "does this class satisfy me?"; classes that do not are
suppressed (within the suppression limit). The tests are vectorised over a :class:`ClassView`:
class sizes, and — when a sensitive attribute is set — the (class, sensitive value, count)
triples of the generalised table.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from steward.anonymise.hierarchy import Hierarchy

# Float comparisons of entropies and distances allow for rounding in the last bits.
_EPS = 1e-12


@dataclass(frozen=True)
class ClassView:
    """The equivalence classes of one generalisation.

    ``sizes[c]`` is the number of records of class ``c``. With a sensitive attribute, each of the
    ``pair_*`` arrays has one entry per distinct (class, sensitive value) pair, sorted by class.
    """

    sizes: np.ndarray
    pair_class: np.ndarray | None = None
    pair_value: np.ndarray | None = None
    pair_count: np.ndarray | None = None


@dataclass(frozen=True)
class SensitiveContext:
    """What models on a sensitive attribute need to know about the whole input table."""

    labels: list[str]  # sensitive code → value
    distribution: np.ndarray  # share of each sensitive value in the input


Check = Callable[[ClassView], np.ndarray]


class PrivacyModel:
    """Base of the privacy models: a per-class test, and whether it is monotone."""

    needs_sensitive: bool = False

    def monotone_with_suppression(self) -> bool:
        """Whether a generalisation of a satisfying node satisfies it too when classes are
        suppressed (always true without suppression for every model here)."""
        return True

    def checker(self, context: SensitiveContext | None) -> Check:
        """A function returning, for each class, whether it satisfies this model."""
        raise NotImplementedError

    def describe(self) -> dict[str, object]:
        """Parameters for the report."""
        raise NotImplementedError


@dataclass(frozen=True)
class KAnonymity(PrivacyModel):
    """Every class has at least ``k`` records."""

    k: int

    def checker(self, context: SensitiveContext | None) -> Check:
        return lambda view: view.sizes >= self.k

    def describe(self) -> dict[str, object]:
        return {"model": "k-anonymity", "k": self.k}


@dataclass(frozen=True)
class MaxProsecutorRisk(PrivacyModel):
    """No record has a prosecutor re-identification risk (1 / class size) above ``threshold``."""

    threshold: float

    def checker(self, context: SensitiveContext | None) -> Check:
        return lambda view: 1.0 / view.sizes <= self.threshold + _EPS

    def describe(self) -> dict[str, object]:
        return {"model": "maximum prosecutor risk", "threshold": self.threshold}


LVariant = Literal["distinct", "entropy", "recursive"]


@dataclass(frozen=True)
class LDiversity(PrivacyModel):
    """Each class has ``l`` well-represented sensitive values (distinct, entropy or recursive-(c,l))."""

    l: int  # noqa: E741 - the model's own name
    variant: LVariant = "distinct"
    c: float | None = None

    needs_sensitive = True

    def monotone_with_suppression(self) -> bool:
        # Merging a diverse class with a non-diverse one keeps at least as many distinct
        # values, but can lower entropy or break the recursive condition.
        return self.variant == "distinct"

    def checker(self, context: SensitiveContext | None) -> Check:
        if self.variant == "distinct":
            return self._distinct
        if self.variant == "entropy":
            return self._entropy
        return self._recursive

    def _distinct(self, view: ClassView) -> np.ndarray:
        assert view.pair_class is not None
        return np.bincount(view.pair_class, minlength=len(view.sizes)) >= self.l

    def _entropy(self, view: ClassView) -> np.ndarray:
        assert view.pair_class is not None and view.pair_count is not None
        w = view.pair_count.astype(np.float64)
        s = np.bincount(view.pair_class, weights=w * np.log(w), minlength=len(view.sizes))
        n = view.sizes.astype(np.float64)
        entropy = np.log(n) - s / n
        return entropy >= math.log(self.l) - _EPS

    def _recursive(self, view: ClassView) -> np.ndarray:
        assert view.pair_class is not None and view.pair_count is not None
        c = float(self.c if self.c is not None else 1.0)
        classes = len(view.sizes)
        order = np.lexsort((-view.pair_count, view.pair_class))
        cls = view.pair_class[order]
        cnt = view.pair_count[order]
        starts = np.searchsorted(cls, np.arange(classes))
        rank = np.arange(len(cls)) - starts[cls]
        most = cnt[rank == 0]
        most_frequent = np.zeros(classes, dtype=np.int64)
        most_frequent[cls[rank == 0]] = most
        top = np.bincount(cls[rank < self.l - 1], weights=cnt[rank < self.l - 1], minlength=classes)
        tail = view.sizes - top
        distinct = np.bincount(cls, minlength=classes)
        return (distinct >= self.l) & (most_frequent < c * tail)

    def describe(self) -> dict[str, object]:
        out: dict[str, object] = {"model": f"{self.variant} l-diversity", "l": self.l}
        if self.variant == "recursive":
            out["c"] = self.c
        return out


@dataclass(frozen=True)
class TCloseness(PrivacyModel):
    """Each class's sensitive distribution is within ``t`` of the whole table's (EMD).

    Equal ground distance without a hierarchy; hierarchical distance (Li et al. 2007) with one.
    """

    t: float
    hierarchy: Hierarchy | None = None

    needs_sensitive = True

    def monotone_with_suppression(self) -> bool:
        return False

    def checker(self, context: SensitiveContext | None) -> Check:
        assert context is not None
        p = context.distribution
        if self.hierarchy is None:

            def equal(view: ClassView) -> np.ndarray:
                assert view.pair_class is not None and view.pair_count is not None
                assert view.pair_value is not None
                q = view.pair_count / view.sizes[view.pair_class]
                pv = p[view.pair_value]
                # Values absent from a class contribute p; present ones |q - p| instead.
                part = np.bincount(
                    view.pair_class, weights=np.abs(q - pv) - pv, minlength=len(view.sizes)
                )
                return 0.5 * (1.0 + part) <= self.t + _EPS

            return equal
        aggregations = _aggregations(self.hierarchy, context.labels)
        top = len(aggregations)

        def hierarchical(view: ClassView) -> np.ndarray:
            assert view.pair_class is not None and view.pair_count is not None
            assert view.pair_value is not None
            classes = len(view.sizes)
            q = np.zeros((classes, len(p)))
            q[view.pair_class, view.pair_value] = view.pair_count / view.sizes[view.pair_class]
            extra = q - p
            distance = np.zeros(classes)
            for level, matrix in enumerate(aggregations, start=1):
                positive = np.maximum(extra, 0.0) @ matrix
                negative = np.maximum(-extra, 0.0) @ matrix
                distance += (level / top) * np.minimum(positive, negative).sum(axis=1)
                extra = extra @ matrix
            return distance <= self.t + _EPS

        return hierarchical

    def describe(self) -> dict[str, object]:
        distance = "hierarchical" if self.hierarchy is not None else "equal"
        return {"model": "t-closeness", "t": self.t, "distance": distance}


def _aggregations(hierarchy: Hierarchy, labels: list[str]) -> list[np.ndarray]:
    """0/1 matrices mapping level-(i-1) nodes to their parents at level i of a hierarchy."""
    from steward.anonymise.hierarchy import HierarchyError

    positions = hierarchy.positions(labels)
    missing = [label for label, pos in zip(labels, positions, strict=True) if pos < 0]
    if missing:
        raise HierarchyError(
            what=f"The sensitive hierarchy does not cover the value {missing[0]!r}",
            fix="Add a row for every sensitive value to the t-closeness hierarchy.",
        )
    current = np.arange(len(labels))
    matrices = []
    for level in range(1, hierarchy.height):
        level_labels = np.asarray(hierarchy.level(level), dtype=object)[positions]
        _, parents = np.unique(level_labels.astype(str), return_inverse=True)
        parents = parents.ravel()
        previous_count = int(current.max()) + 1
        matrix = np.zeros((previous_count, int(parents.max()) + 1))
        matrix[current, parents] = 1.0
        matrices.append(matrix)
        current = parents
    return matrices
