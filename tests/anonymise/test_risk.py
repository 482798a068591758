"""Risk measures: prosecutor, journalist, marketer, sample and population uniqueness."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from steward.anonymise import risk_of_table
from steward.anonymise.risk import pitman_uniques, risk_from_sizes, zayatz_uniques
from steward.errors import UserError

from .conftest import ADULT_QIS


def test_prosecutor_and_uniqueness_on_known_classes() -> None:
    risk = risk_from_sizes(np.array([1, 1, 2, 4]), threshold=0.3)
    assert risk.records == 8
    assert risk.classes == 4
    assert risk.prosecutor_average == 0.5
    assert risk.prosecutor_highest == 1.0
    assert risk.records_at_risk == 0.5  # the two uniques and the pair
    assert risk.sample_uniqueness == 0.25
    # The table is the population: journalist and marketer equal prosecutor.
    assert risk.journalist_average == risk.marketer == 0.5
    assert risk.population_uniqueness_dankar == 0.25


def test_journalist_and_marketer_with_a_sample() -> None:
    risk = risk_from_sizes(np.array([1, 1, 2, 4]), sampling_fraction=0.5)
    # Population classes are estimated twice as large.
    assert risk.journalist_highest == 0.5
    assert risk.marketer == pytest.approx(0.25)
    assert risk.prosecutor_average == 0.5


def test_risk_of_table_groups_on_the_given_columns() -> None:
    table = pd.DataFrame({"a": ["x", "x", "y", "y", "y"], "b": ["1", "2", "1", "1", "1"]})
    assert risk_of_table(table, ["a"]).classes == 2
    risk = risk_of_table(table, ["a", "b"])
    assert risk.classes == 3
    assert risk.sample_uniqueness == 2 / 5


def test_zayatz_follows_its_formula() -> None:
    histogram = {1: 2, 2: 1}
    n, fraction = 4, 0.5
    population = 8
    classes = 3
    total = (2 / classes) * stats.hypergeom(population, 1, n).pmf(1) + (
        1 / classes
    ) * stats.hypergeom(population, 2, n).pmf(1)
    conditional = (2 / classes) * stats.hypergeom(population, 1, n).pmf(1) / total
    assert zayatz_uniques(histogram, n, fraction) == pytest.approx(2 * conditional / fraction)


def test_population_uniqueness_on_adult(adult: pd.DataFrame) -> None:
    small = risk_of_table(adult, ADULT_QIS, sampling_fraction=0.01)
    assert small.dankar_model == "pitman"
    assert small.population_uniqueness_pitman is not None
    assert 0 < small.population_uniqueness_pitman < small.sample_uniqueness
    assert small.population_uniqueness_dankar == small.population_uniqueness_pitman
    large = risk_of_table(adult, ADULT_QIS, sampling_fraction=0.5)
    assert large.dankar_model == "zayatz"
    assert large.population_uniqueness_zayatz is not None
    assert 0 < large.population_uniqueness_zayatz <= large.sample_uniqueness
    # A larger share of the population sampled leaves more sample uniques truly unique.
    assert large.population_uniqueness_zayatz > small.population_uniqueness_zayatz  # type: ignore[operator]


def test_pitman_estimate_solves_its_likelihood_equations() -> None:
    rng = np.random.default_rng(0)
    sizes = rng.zipf(1.6, 3000)
    values, counts = np.unique(sizes, return_counts=True)
    histogram = {int(v): int(c) for v, c in zip(values, counts, strict=True)}
    n = int(sizes.sum())
    uniques = pitman_uniques(histogram, n, n / 0.05)
    assert 0 < uniques < n / 0.05


def test_no_sample_uniques_means_no_population_uniques() -> None:
    risk = risk_from_sizes(np.array([2, 3, 5]), sampling_fraction=0.1)
    assert risk.population_uniqueness_dankar == 0.0
    assert risk.sample_uniqueness == 0.0


def test_bad_sampling_fraction() -> None:
    with pytest.raises(UserError, match="sampling fraction"):
        risk_from_sizes(np.array([1, 2]), sampling_fraction=0)
