"""Privacy models on hand-made classes, and combinations that cannot be satisfied."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from steward.anonymise import (
    AnonymisationError,
    Hierarchy,
    KAnonymity,
    LDiversity,
    MaxProsecutorRisk,
    TCloseness,
    anonymise,
)
from steward.anonymise.models import ClassView, SensitiveContext

LABELS = ["a", "b", "c"]
WHOLE = np.array([0.5, 0.3, 0.2])


def view(classes: list[dict[int, int]]) -> ClassView:
    """Classes given as {sensitive code: count}."""
    pair_class, pair_value, pair_count = [], [], []
    for number, counts in enumerate(classes):
        for value, count in sorted(counts.items()):
            pair_class.append(number)
            pair_value.append(value)
            pair_count.append(count)
    return ClassView(
        sizes=np.array([sum(c.values()) for c in classes]),
        pair_class=np.array(pair_class),
        pair_value=np.array(pair_value),
        pair_count=np.array(pair_count),
    )


CONTEXT = SensitiveContext(LABELS, WHOLE)


def test_k_anonymity_and_risk_threshold() -> None:
    v = view([{0: 5}, {0: 2, 1: 1}, {2: 4}])
    assert KAnonymity(4).checker(None)(v).tolist() == [True, False, True]
    assert MaxProsecutorRisk(0.25).checker(None)(v).tolist() == [True, False, True]
    assert MaxProsecutorRisk(0.2).checker(None)(v).tolist() == [True, False, False]


def test_l_diversity_variants() -> None:
    v = view([{0: 1, 1: 1, 2: 1}, {0: 8, 1: 1}, {0: 3, 1: 3}, {0: 4}])
    assert LDiversity(2).checker(CONTEXT)(v).tolist() == [True, True, True, False]
    # Entropy: ln 3, H(8/9,1/9) < ln 2, ln 2, 0.
    assert LDiversity(2, "entropy").checker(CONTEXT)(v).tolist() == [True, False, True, False]
    assert LDiversity(3, "entropy").checker(CONTEXT)(v).tolist() == [True, False, False, False]
    # Recursive (c=2, l=2): r1 < 2 * (r2 + ...): 1 < 4, 8 < 2 false, 3 < 6, no second value.
    assert LDiversity(2, "recursive", 2.0).checker(CONTEXT)(v).tolist() == [
        True,
        False,
        True,
        False,
    ]
    # With l = 3 the tail starts at the third value.
    recursive3 = LDiversity(3, "recursive", 2.0).checker(CONTEXT)
    assert recursive3(view([{0: 2, 1: 1, 2: 1}, {0: 3, 1: 1, 2: 1}])).tolist() == [False, False]
    assert recursive3(view([{0: 1, 1: 1, 2: 1}])).tolist() == [True]


def test_t_closeness_equal_distance() -> None:
    v = view([{0: 5, 1: 3, 2: 2}, {0: 1}, {1: 1, 2: 1}])
    # 0; 0.5*(0.5+0.3+0.2) = 0.5; 0.5*(0.5+0.2+0.3) = 0.5
    check = TCloseness(0.1).checker(CONTEXT)
    assert check(v).tolist() == [True, False, False]
    assert TCloseness(0.5).checker(CONTEXT)(v).tolist() == [True, True, True]


def test_t_closeness_hierarchical_distance() -> None:
    # a and b are siblings under "ab"; c sits apart; the root joins them.
    h = Hierarchy.from_rows("s", [["a", "ab", "*"], ["b", "ab", "*"], ["c", "c", "*"]])
    check = TCloseness(0.25, h).checker(CONTEXT)
    # Class all "a": moving 0.3 from a to b costs 1/2 each (same parent); 0.2 to c costs 1.
    # Distance = 0.3 * 0.5 + 0.2 * 1 = 0.35.
    only_a = view([{0: 10}])
    assert not check(only_a)[0]
    assert TCloseness(0.35, h).checker(CONTEXT)(only_a)[0]
    assert not TCloseness(0.349, h).checker(CONTEXT)(only_a)[0]
    # Class with a and b swapped but c right: only within-"ab" moves, 0.2 * 0.5 = 0.1.
    swapped = view([{0: 3, 1: 5, 2: 2}])
    assert TCloseness(0.1, h).checker(CONTEXT)(swapped)[0]
    assert not TCloseness(0.09, h).checker(CONTEXT)(swapped)[0]


def test_hierarchical_t_closeness_inside_anonymise() -> None:
    data = pd.DataFrame(
        {
            "sex": ["Male", "Female"] * 20,
            "diagnosis": ["a", "a", "b", "c"] * 10,
        }
    )
    sex = Hierarchy.from_rows("sex", [["Male", "*"], ["Female", "*"]])
    tree = Hierarchy.from_rows("d", [["a", "ab", "*"], ["b", "ab", "*"], ["c", "c", "*"]])
    result = anonymise(
        data, {"sex": sex}, sensitive="diagnosis", models=[KAnonymity(2), TCloseness(0.2, tree)]
    )
    # Men have a,b only (distance 0.25 to the whole), so sex must be generalised.
    assert result.levels == {"sex": 1}
    relaxed = anonymise(
        data, {"sex": sex}, sensitive="diagnosis", models=[KAnonymity(2), TCloseness(0.3, tree)]
    )
    assert relaxed.levels == {"sex": 0}


def _small() -> tuple[pd.DataFrame, dict[str, Hierarchy]]:
    data = pd.DataFrame(
        {
            "sex": ["Male", "Female", "Male", "Female", "Male", "Female"],
            "diagnosis": ["flu", "flu", "flu", "flu", "flu", "asthma"],
        }
    )
    return data, {"sex": Hierarchy.from_rows("sex", [["Male", "*"], ["Female", "*"]])}


def test_l_larger_than_the_sensitive_values_is_impossible() -> None:
    data, hierarchies = _small()
    with pytest.raises(AnonymisationError, match="only 2 distinct"):
        anonymise(data, hierarchies, sensitive="diagnosis", models=[KAnonymity(2), LDiversity(3)])


def test_model_without_sensitive_attribute_is_refused() -> None:
    data, hierarchies = _small()
    with pytest.raises(AnonymisationError, match="needs a sensitive attribute"):
        anonymise(data, hierarchies, models=[LDiversity(2)])


def test_no_node_satisfies_models_within_the_suppression_limit() -> None:
    data, hierarchies = _small()
    # Even the whole table as one class has entropy below ln 2 (5 flu, 1 asthma).
    assert -(5 / 6 * math.log(5 / 6) + 1 / 6 * math.log(1 / 6)) < math.log(2)
    with pytest.raises(AnonymisationError, match="No generalisation satisfies"):
        anonymise(
            data,
            hierarchies,
            sensitive="diagnosis",
            models=[KAnonymity(2), LDiversity(2, "entropy")],
            suppression_limit=0.5,
        )


def test_suppression_makes_an_otherwise_impossible_model_possible() -> None:
    data, hierarchies = _small()
    result = anonymise(
        data,
        hierarchies,
        sensitive="diagnosis",
        models=[KAnonymity(3), LDiversity(2)],
        suppression_limit=0.5,
    )
    # Men (all flu) are suppressed; women keep their sex.
    assert result.levels == {"sex": 0}
    assert result.suppressed == 3
    assert (result.table.loc[result.table["sex"] != "*", "sex"] == "Female").all()
