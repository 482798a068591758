"""The published ARX optima on the Adult fixture, reproduced exactly.

The figures are the minimum of each utility measure over all 5-anonymous full-domain
generalisations of the 8 quasi-identifiers (ARX benchmark metadata), each found by a search
under that measure.
"""

from __future__ import annotations

import pandas as pd
import pycanon.anonymity
import pytest

from steward.anonymise import Hierarchy, KAnonymity, anonymise, risk_of_table

from .conftest import ADULT_QIS, adult_hierarchy

DM_OPTIMUM_LEVELS = {
    "age": 1,
    "education": 3,
    "marital-status": 1,
    "native-country": 2,
    "race": 1,
    "salary-class": 1,
    "sex": 1,
    "workclass": 2,
}


def test_dm_optimum_without_suppression(
    adult: pd.DataFrame, adult_hierarchies: dict[str, Hierarchy]
) -> None:
    result = anonymise(adult, adult_hierarchies, models=[KAnonymity(5)], metric="dm")
    assert result.metrics["dm"] == 55_170_356
    assert result.levels == DM_OPTIMUM_LEVELS
    assert result.suppressed == 0
    assert result.optimal
    # Fewer checks than nodes: the search prunes.
    assert result.nodes_checked < result.lattice_size == 4320
    # The published non-uniform entropy optimum is reached by the same node.
    assert result.metrics["entropy"] == pytest.approx(324620.5269918692, rel=1e-12)
    assert pycanon.anonymity.k_anonymity(result.table, ADULT_QIS) >= 5


@pytest.mark.parametrize(
    ("metric", "published"),
    [("aecs", 942.5625), ("precision", 0.625), ("loss", 0.542210825407941)],
)
def test_other_measures_reach_their_published_optimum(
    adult: pd.DataFrame, adult_hierarchies: dict[str, Hierarchy], metric: str, published: float
) -> None:
    result = anonymise(adult, adult_hierarchies, models=[KAnonymity(5)], metric=metric)
    assert result.metrics[metric] == pytest.approx(published, rel=1e-12)
    assert pycanon.anonymity.k_anonymity(result.table, ADULT_QIS) >= 5


def test_aecs_optimum_has_32_classes(
    adult: pd.DataFrame, adult_hierarchies: dict[str, Hierarchy]
) -> None:
    result = anonymise(adult, adult_hierarchies, models=[KAnonymity(5)], metric="aecs")
    assert result.classes == 32
    assert result.metrics["aecs"] == 30162 / 32


@pytest.mark.parametrize(
    ("metric", "published"),
    [
        ("dm", 9_268_952),
        ("aecs", 26.597883597883598),
        ("precision", 0.24123621333686973),
    ],
)
def test_published_optima_with_ten_percent_suppression(
    adult: pd.DataFrame, adult_hierarchies: dict[str, Hierarchy], metric: str, published: float
) -> None:
    result = anonymise(
        adult, adult_hierarchies, models=[KAnonymity(5)], suppression_limit=0.1, metric=metric
    )
    assert result.metrics[metric] == pytest.approx(published, rel=1e-12)
    assert 0 < result.suppressed <= 3016
    # Suppressed records have every quasi-identifier replaced by "*".
    kept = result.table[(result.table[ADULT_QIS] != "*").any(axis=1)]
    assert (result.table[result.suppressed_rows][ADULT_QIS] == "*").all().all()
    assert int(result.suppressed_rows.sum()) == result.suppressed
    assert len(kept) == len(adult) - result.suppressed
    assert pycanon.anonymity.k_anonymity(kept, ADULT_QIS) >= 5


def test_raw_risk_with_all_nine_columns(adult: pd.DataFrame) -> None:
    risk = risk_of_table(adult, [*ADULT_QIS, "occupation"])
    assert risk.classes == 19502
    assert risk.prosecutor_average == 0.6465751607983555
    assert risk.sample_uniqueness == 0.5142895033485844
    assert risk.prosecutor_highest == 1.0


def test_output_keeps_other_columns_and_generalises_by_hierarchy(
    adult: pd.DataFrame, adult_hierarchies: dict[str, Hierarchy]
) -> None:
    result = anonymise(adult, adult_hierarchies, models=[KAnonymity(5)], metric="dm")
    out = result.table
    assert list(out.columns) == list(adult.columns)
    assert (out["occupation"] == adult["occupation"]).all()
    age = adult_hierarchy("age")
    for raw, generalised in zip(adult["age"][:50], out["age"][:50], strict=True):
        assert generalised == age.generalise(raw, 1)
    # The output risk: every class has at least 5 records.
    assert result.risk.prosecutor_highest <= 1 / 5


def test_arrow_input_gives_the_same_answer(
    adult: pd.DataFrame, adult_hierarchies: dict[str, Hierarchy]
) -> None:
    import pyarrow as pa

    subset = adult.iloc[:3000]
    from_pandas = anonymise(subset, adult_hierarchies, models=[KAnonymity(3)], metric="dm")
    from_arrow = anonymise(
        pa.Table.from_pandas(subset), adult_hierarchies, models=[KAnonymity(3)], metric="dm"
    )
    assert from_arrow.levels == from_pandas.levels
    assert from_arrow.metrics == from_pandas.metrics
