"""The DM search with suppression (two-sided bounds) and the class-size counting behind it."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from steward.anonymise import Hierarchy, KAnonymity, MaxProsecutorRisk, anonymise
from steward.anonymise import sizes as sizes_module
from steward.anonymise.discernibility import DiscernibilitySearch
from steward.anonymise.encoding import EncodedTable, record_classes
from steward.anonymise.engine import _encode
from steward.anonymise.search import Lattice
from steward.anonymise.sizes import ClassSizes

from .reference import reference_scores
from .test_search import hierarchies, table


def _encoded(data: pd.DataFrame) -> EncodedTable:
    codes, maps = _encode(data, hierarchies(), None)
    return EncodedTable(codes, maps, None, 0)


@pytest.mark.parametrize("seed", [21, 22])
@pytest.mark.parametrize("order", ["up", "down", "shuffled"])
@pytest.mark.parametrize("counting", ["dense", "sorted"])
def test_class_sizes_match_a_groupby_at_every_node(
    seed: int, order: str, counting: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if counting == "sorted":
        # No key space is small enough: every node is rolled up from a cached node and sorted.
        monkeypatch.setattr(sizes_module, "_DENSE_FACTOR", -1)
    data = table(seed, rows=300)
    encoded = _encoded(data)
    lattice = Lattice(encoded.heights)
    sizes = ClassSizes(encoded, lattice.shape, lattice.strides)
    nodes = np.arange(lattice.size)
    if order == "down":
        nodes = nodes[::-1]
    elif order == "shuffled":
        nodes = np.random.default_rng(seed).permutation(nodes)
    names = list(hierarchies())
    labels = {
        (name, level): [h.generalise(v, level) for v in data[name]]
        for name, h in hierarchies().items()
        for level in range(h.height)
    }
    for node in nodes:
        levels = lattice.levels[node]
        generalised = pd.DataFrame(
            {name: labels[(name, int(lv))] for name, lv in zip(names, levels, strict=True)}
        )
        expected = sorted(generalised.groupby(names).size().tolist())
        assert sorted(sizes.sizes(int(node), levels).tolist()) == expected


@pytest.mark.parametrize("seed", [31, 32, 33, 34])
@pytest.mark.parametrize("k", [2, 4])
@pytest.mark.parametrize("suppression", [0.02, 0.1, 0.3])
def test_dm_optimum_with_suppression_matches_exhaustive_reference(
    seed: int, k: int, suppression: float
) -> None:
    data = table(seed, rows=120)
    reference = reference_scores(data, hierarchies(), k=k, suppression=suppression)
    result = anonymise(
        data, hierarchies(), models=[KAnonymity(k)], suppression_limit=suppression, metric="dm"
    )
    best = min(scores["dm"] for scores in reference.values())
    levels = tuple(result.levels.values())
    assert result.metrics["dm"] == best
    assert levels in reference
    # The tie rule of the exhaustive order: least generalised, then first in lattice order.
    tied = [node for node, scores in reference.items() if scores["dm"] == best]
    assert levels == min(tied, key=lambda node: (sum(node), node))
    assert result.suppressed == reference[levels]["suppressed"]
    assert result.optimal


def test_risk_threshold_model_uses_size_bounds_correctly() -> None:
    # A prosecutor-risk threshold of 1/3 is 3-anonymity: both must give the same optimum.
    data = table(41, rows=150)
    by_risk = anonymise(
        data, hierarchies(), models=[MaxProsecutorRisk(1 / 3)], suppression_limit=0.1
    )
    by_k = anonymise(data, hierarchies(), models=[KAnonymity(3)], suppression_limit=0.1)
    assert by_risk.metrics["dm"] == by_k.metrics["dm"]
    assert by_risk.levels == by_k.levels


def test_search_checks_fewer_nodes_than_the_lattice() -> None:
    data = table(42, rows=400)
    encoded = _encoded(data)
    lattice = Lattice(encoded.heights)
    search = DiscernibilitySearch(
        ClassSizes(encoded, lattice.shape, lattice.strides),
        lattice,
        [KAnonymity(4).checker(None)],
        n=encoded.n,
        max_suppressed=math.floor(0.05 * encoded.n),
        min_class_size=4,
    )
    outcome = search.run()
    assert outcome.complete
    assert outcome.best is not None
    assert outcome.nodes_checked < lattice.size


def test_time_limit_returns_the_top_node_at_least() -> None:
    data = table(43, rows=300)
    result = anonymise(
        data, hierarchies(), models=[KAnonymity(3)], suppression_limit=0.05, time_limit=1e-9
    )
    assert not result.optimal
    assert result.suppressed <= 0.05 * len(data)


def test_record_classes_agree_with_the_frame() -> None:
    data = table(44, rows=250)
    encoded = _encoded(data)
    frame = encoded.frame_of((1, 1, 1))
    classes = record_classes(encoded, frame)
    assert np.bincount(classes, minlength=len(frame.sizes)).tolist() == frame.sizes.tolist()
    # Records of one class share their generalised values.
    names = list(hierarchies())
    generalised = pd.DataFrame(
        {name: [hierarchies()[name].generalise(v, 1) for v in data[name]] for name in names}
    )
    for number in range(len(frame.sizes)):
        assert len(generalised[classes == number].drop_duplicates()) == 1


def test_wide_hierarchy_codes_still_group_exactly() -> None:
    # Codes over 2**16 rows per hierarchy: keys must not collide.
    values = [str(v) for v in range(70_000)]
    wide = Hierarchy.from_rows("id", [[v, str(int(v) // 1000), "*"] for v in values])
    data = pd.DataFrame({"id": values[:5000] * 2})
    result = anonymise(data, {"id": wide}, models=[KAnonymity(2)], suppression_limit=0.1)
    assert result.levels == {"id": 0}
    assert result.metrics["dm"] == 5000 * 4
