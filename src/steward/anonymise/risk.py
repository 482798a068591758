"""Re-identification risk measures of a table, from the sizes of its equivalence classes.

* Prosecutor risk (the attacker knows the person is in the table): a record's risk is
  1 / its class size; the average is classes / records.
* Journalist and marketer risk (the attacker holds a population register): population class
  sizes are estimated from the sampling fraction (F = f / fraction), so with fraction 1 they
  equal the prosecutor figures.
* Sample uniqueness: the share of records alone in their class.
* Population uniqueness: the estimated share of the population that is unique, with Pitman's
  model (Hoshino 2001), Zayatz's model (1991) and Dankar et al.'s (2012) rule choosing between
  them, as ARX implements them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from steward.errors import UserError


@dataclass(frozen=True)
class RiskReport:
    """Risk measures of one table; shares are between 0 and 1."""

    records: int
    classes: int
    prosecutor_average: float
    prosecutor_highest: float
    records_at_risk: float  # share of records whose prosecutor risk exceeds the threshold
    risk_threshold: float
    journalist_average: float
    journalist_highest: float
    marketer: float
    sample_uniqueness: float
    sampling_fraction: float
    population_uniqueness_pitman: float | None
    population_uniqueness_zayatz: float | None
    population_uniqueness_dankar: float | None
    dankar_model: str | None

    def as_dict(self) -> dict[str, object]:
        """Plain values for a JSON report."""
        return asdict(self)


def class_sizes(table: pd.DataFrame, quasi_identifiers: Sequence[str]) -> np.ndarray:
    """Sizes of the equivalence classes of ``table`` on ``quasi_identifiers``."""
    if not len(table):
        return np.zeros(0, dtype=np.int64)
    codes = [pd.factorize(table[c].astype(str))[0] for c in quasi_identifiers]
    if not codes:
        return np.array([len(table)], dtype=np.int64)
    key = np.zeros(len(table), dtype=np.int64)
    for column in codes:
        # Renumber after every column so the key never overflows.
        key = pd.factorize(key * (int(column.max()) + 1) + column)[0].astype(np.int64)
    return np.bincount(key).astype(np.int64)


def risk_of_table(
    table: pd.DataFrame,
    quasi_identifiers: Sequence[str],
    *,
    sampling_fraction: float = 1.0,
    threshold: float = 0.2,
) -> RiskReport:
    """Risk measures of a table on the given quasi-identifiers."""
    return risk_from_sizes(
        class_sizes(table, quasi_identifiers),
        sampling_fraction=sampling_fraction,
        threshold=threshold,
    )


def risk_from_sizes(
    sizes: np.ndarray, *, sampling_fraction: float = 1.0, threshold: float = 0.2
) -> RiskReport:
    """Risk measures from equivalence class sizes."""
    if not 0 < sampling_fraction <= 1:
        raise UserError(
            what=f"The sampling fraction {sampling_fraction} is not in (0, 1]",
            fix="Give the share of the population the table holds, e.g. 0.01 for 1%.",
        )
    sizes = np.asarray(sizes, dtype=np.int64)
    sizes = sizes[sizes > 0]
    n = int(sizes.sum())
    if n == 0:
        return RiskReport(0, 0, 0.0, 0.0, 0.0, threshold, 0.0, 0.0, 0.0, 0.0,
                          sampling_fraction, None, None, None, None)  # fmt: skip
    classes = len(sizes)
    population = np.maximum(sizes / sampling_fraction, sizes)
    at_risk = sizes[1.0 / sizes > threshold].sum()
    uniques = int((sizes == 1).sum())
    pitman = zayatz = dankar = None
    model = None
    if sampling_fraction == 1:
        # The table is the population: its uniques are the population uniques.
        dankar, model = uniques / n, "sample"
    else:
        population_size = n / sampling_fraction
        histogram = _histogram(sizes)
        if uniques == 0:
            pitman = zayatz = dankar = 0.0
            model = "none"
        else:
            p = pitman_uniques(histogram, n, population_size)
            z = zayatz_uniques(histogram, n, sampling_fraction)
            pitman = p / population_size if _valid(p) else None
            zayatz = z / population_size if _valid(z) else None
            dankar, model = _dankar(pitman, zayatz, sampling_fraction)
    return RiskReport(
        records=n,
        classes=classes,
        prosecutor_average=classes / n,
        prosecutor_highest=float(1.0 / sizes.min()),
        records_at_risk=float(at_risk / n),
        risk_threshold=threshold,
        journalist_average=float(np.sum(sizes / population) / n),
        journalist_highest=float(1.0 / population.min()),
        marketer=float(np.sum(sizes / population) / n),
        sample_uniqueness=uniques / n,
        sampling_fraction=sampling_fraction,
        population_uniqueness_pitman=pitman,
        population_uniqueness_zayatz=zayatz,
        population_uniqueness_dankar=dankar,
        dankar_model=model,
    )


def _dankar(
    pitman: float | None, zayatz: float | None, sampling_fraction: float
) -> tuple[float | None, str | None]:
    """Dankar et al.'s rule: Pitman for small samples, falling back to Zayatz.

    For fractions above 0.1 the rule prefers the smaller of the SNB and Zayatz estimates; the
    SNB model is not implemented here, so Zayatz's estimate is used there.
    """
    if sampling_fraction <= 0.1 and pitman is not None:
        return pitman, "pitman"
    if zayatz is not None:
        return zayatz, "zayatz"
    return None, None


def _valid(value: float) -> bool:
    return not math.isnan(value) and value != 0.0


def _histogram(sizes: np.ndarray) -> dict[int, int]:
    """Class size → number of classes of that size."""
    values, counts = np.unique(sizes, return_counts=True)
    return {int(v): int(c) for v, c in zip(values, counts, strict=True)}


def zayatz_uniques(histogram: dict[int, int], n: int, sampling_fraction: float) -> float:
    """Estimated number of population uniques, Zayatz's model (as ARX computes it)."""
    uniques = histogram.get(1, 0)
    if not uniques:
        return 0.0
    population = round(n / sampling_fraction)
    classes = sum(histogram.values())
    total = 0.0
    for size, count in histogram.items():
        total += (count / classes) * stats.hypergeom(population, size, n).pmf(1)
    if total == 0:
        return math.nan
    conditional = (uniques / classes) * stats.hypergeom(population, 1, n).pmf(1) / total
    return float(uniques * conditional / sampling_fraction)


def pitman_uniques(histogram: dict[int, int], n: int, population: float) -> float:
    """Estimated number of population uniques, Pitman's model: solve the maximum likelihood
    equations for (theta, alpha), then uniques = Γ(θ+1)/Γ(θ+α) · N^α."""
    c1 = float(histogram.get(1, 0))
    c2 = float(histogram.get(2, 0)) or 1.0
    u = float(sum(histogram.values()))
    c = c1 * (c1 - 1) / c2
    denominator = (2 * c1 * u) + (c1 * c) - (n * c)
    if denominator == 0:
        return math.nan
    t0 = ((n * u * c) - (c1 * (n - 1) * ((2 * u) + c))) / denominator
    a0 = ((t0 * (c1 - n)) + ((n - 1) * c1)) / (n * u)
    sizes = np.array([k for k in histogram if k != 1], dtype=np.float64)
    counts = np.array([histogram[int(k)] for k in sizes], dtype=np.float64)

    def equations(x: np.ndarray) -> list[float]:
        t, a = float(x[0]), float(x[1])
        v = u - 1.0
        psi_top = special.digamma(v + t / a + 1.0)
        psi_base = special.digamma(t / a + 1.0)
        o1 = (psi_top - psi_base) / a
        o2 = special.digamma(n + t) - special.digamma(t + 1.0)
        o3 = (-t * psi_top + a * v + t * psi_base) / (a * a)
        o4 = float(np.sum(counts * (special.digamma(sizes - a) - special.digamma(1.0 - a))))
        return [o1 - o2, o3 - o4]

    try:
        with np.errstate(all="ignore"):
            solution = optimize.root(equations, x0=[t0, a0], method="hybr")
    except (ValueError, ZeroDivisionError, FloatingPointError):
        return math.nan
    if not solution.success:
        return math.nan
    t, a = (float(v) for v in solution.x)
    if math.isnan(t) or math.isnan(a) or a == 0 or t + a <= 0 or t + 1 <= 0:
        return math.nan
    value = math.exp(special.gammaln(t + 1.0) - special.gammaln(t + a)) * population**a
    return value if 0 <= value <= population else math.nan
