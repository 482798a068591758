"""The search finds the true optimum: checked against every node of small random tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pycanon.anonymity
import pytest

from steward.anonymise import (
    METRICS,
    Hierarchy,
    KAnonymity,
    LDiversity,
    PrivacyModel,
    TCloseness,
    anonymise,
)
from steward.anonymise.encoding import EncodedTable
from steward.anonymise.engine import _encode
from steward.anonymise.search import Search
from steward.anonymise.utility import UtilityMeasures

from .reference import reference_scores

COLOURS = ["red", "orange", "yellow", "green", "blue", "indigo"]
DIAGNOSES = ["asthma", "eczema", "flu", "measles"]


def hierarchies() -> dict[str, Hierarchy]:
    return {
        "age": Hierarchy.intervals("age", range(0, 18), [2, 6]),
        "colour": Hierarchy.ordered("colour", COLOURS, [2]),
        "area": Hierarchy.grouped(
            "area",
            {"A1": "A", "A2": "A", "B1": "B", "B2": "B", "C1": "C"},
            {"A": "AB", "B": "AB", "C": "C"},
        ),
    }


def table(seed: int, rows: int = 80) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.integers(0, 18, rows).astype(str),
            "colour": rng.choice(COLOURS, rows),
            "area": rng.choice(["A1", "A2", "B1", "B2", "C1"], rows, p=[0.3, 0.3, 0.2, 0.1, 0.1]),
            "diagnosis": rng.choice(DIAGNOSES, rows, p=[0.4, 0.3, 0.2, 0.1]),
        }
    )


CASES = [
    # (k, l, variant, c, t, suppression)
    (3, None, "distinct", None, None, 0.0),
    (4, None, "distinct", None, None, 0.1),
    (2, 2, "distinct", None, None, 0.0),
    (2, 2, "entropy", None, None, 0.05),
    (2, 2, "recursive", 3.0, None, 0.0),
    (2, None, "distinct", None, 0.3, 0.0),
    (3, None, "distinct", None, 0.35, 0.1),
]


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(("k", "l", "variant", "c", "t", "suppression"), CASES)
def test_optimum_matches_exhaustive_reference(
    seed: int,
    k: int,
    l: int | None,  # noqa: E741
    variant: str,
    c: float | None,
    t: float | None,
    suppression: float,
) -> None:
    data = table(seed)
    models: list[PrivacyModel] = [KAnonymity(k)]
    if l is not None:
        models.append(LDiversity(l, variant, c))  # type: ignore[arg-type]
    if t is not None:
        models.append(TCloseness(t))
    sensitive = "diagnosis" if (l or t) else None
    reference = reference_scores(
        data,
        hierarchies(),
        k=k,
        sensitive=sensitive,
        l=l,
        variant=variant,
        c=c,
        t=t,
        suppression=suppression,
    )
    assert reference, "the case must have a solution"
    for metric in METRICS:
        result = anonymise(
            data,
            hierarchies(),
            sensitive=sensitive,
            models=models,
            suppression_limit=suppression,
            metric=metric,
        )
        best = min(scores[metric] for scores in reference.values())
        levels = tuple(result.levels.values())
        assert levels in reference, f"{metric}: chosen node does not satisfy the models"
        assert result.metrics[metric] == pytest.approx(best, rel=1e-9), metric
        # Every reported measure is that of the chosen node.
        for other in METRICS:
            assert result.metrics[other] == pytest.approx(reference[levels][other], rel=1e-9)
        assert result.suppressed == reference[levels]["suppressed"]


def test_pycanon_agrees_on_k_l_and_t_of_the_output() -> None:
    data = table(7, rows=200)
    result = anonymise(
        data,
        hierarchies(),
        sensitive="diagnosis",
        models=[KAnonymity(4), LDiversity(2, "entropy"), TCloseness(0.3)],
        metric="dm",
    )
    out = result.table
    qis = list(hierarchies())
    assert pycanon.anonymity.k_anonymity(out, qis) >= 4
    assert pycanon.anonymity.l_diversity(out, qis, ["diagnosis"]) >= 2
    assert pycanon.anonymity.entropy_l_diversity(out, qis, ["diagnosis"]) >= 2
    assert pycanon.anonymity.t_closeness(out, qis, ["diagnosis"]) <= 0.3 + 1e-12


def test_recursive_diversity_output_checked_by_pycanon() -> None:
    data = table(11, rows=200)
    result = anonymise(
        data,
        hierarchies(),
        sensitive="diagnosis",
        models=[KAnonymity(2), LDiversity(2, "recursive", 3.0)],
        metric="dm",
    )
    qis = list(hierarchies())
    c, l_value = pycanon.anonymity.recursive_c_l_diversity(result.table, qis, ["diagnosis"])
    # pycanon reports the smallest integer c for its own (distinct) l; with l = 2 it is ours.
    if l_value == 2:
        assert c <= 3


def _search(data: pd.DataFrame, k: int, suppressed: int) -> Search:
    codes, maps = _encode(data, hierarchies(), None)
    encoded = EncodedTable(codes, maps, None, 0)
    utility = UtilityMeasures(encoded, codes)
    return Search(encoded, [KAnonymity(k).checker(None)], True, suppressed, utility, "dm")


@pytest.mark.parametrize("seed", [4, 5])
@pytest.mark.parametrize("suppressed", [0, 8])
def test_k_anonymity_is_monotone_over_the_lattice(seed: int, suppressed: int) -> None:
    search = _search(table(seed), 3, suppressed)
    satisfied = [search.evaluate(node).satisfied for node in range(search.lattice.size)]
    for node in range(search.lattice.size):
        for parent in search.lattice.parents(node):
            assert satisfied[parent] or not satisfied[node]


@pytest.mark.parametrize("seed", [4, 5])
def test_utility_bounds_never_decrease_upwards(seed: int) -> None:
    search = _search(table(seed), 3, 0)
    for metric in METRICS:
        bound = [
            search.utility.lower_bound(metric, search.evaluate(node).frame)
            for node in range(search.lattice.size)
        ]
        for node in range(search.lattice.size):
            for parent in search.lattice.parents(node):
                assert bound[parent] >= bound[node] - 1e-9, metric


@pytest.mark.parametrize("suppression", [0.0, 0.05])
def test_time_limit_gives_best_effort_answer(suppression: float) -> None:
    data = table(9, rows=300)
    result = anonymise(
        data, hierarchies(), models=[KAnonymity(3)], suppression_limit=suppression, time_limit=1e-9
    )
    # The first node tried (the top) always satisfies; the answer is flagged as not proven.
    assert not result.optimal
    assert result.metrics["dm"] > 0
    assert pycanon.anonymity.k_anonymity(result.table, list(hierarchies())) >= 3


def test_fewer_nodes_checked_than_the_lattice_holds() -> None:
    result = anonymise(table(3, rows=400), hierarchies(), models=[KAnonymity(5)])
    assert result.nodes_checked < result.lattice_size


def test_a_lattice_too_large_to_hold_is_refused() -> None:
    from steward.anonymise import AnonymisationError

    data = pd.DataFrame({f"q{i}": ["1", "2"] for i in range(12)})
    deep = Hierarchy.from_rows("deep", [[v, *[f"{v}{j}" for j in range(1, 4)], "*"] for v in "12"])
    with pytest.raises(AnonymisationError, match="combinations of levels"):
        anonymise(data, {c: deep for c in data.columns}, models=[KAnonymity(2)])


def test_best_effort_on_a_larger_lattice(adult: pd.DataFrame) -> None:
    from .conftest import adult_hierarchy

    columns = ["age", "education", "marital-status", "native-country", "workclass", "occupation"]
    hierarchies = {c: adult_hierarchy(c) for c in columns}
    result = anonymise(
        adult, hierarchies, models=[KAnonymity(5)], suppression_limit=0.02, time_limit=0.3
    )
    assert result.seconds < 30
    assert result.suppressed <= 0.02 * len(adult)
    kept = result.table[(result.table[columns] != "*").any(axis=1)]
    assert pycanon.anonymity.k_anonymity(kept, columns) >= 5
