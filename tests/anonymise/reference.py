"""A slow, obviously-correct reference: every node of the lattice, pandas group-bys and plain
Python per class. The engine must agree with it on small tables."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Mapping

import pandas as pd

from steward.anonymise import Hierarchy


def class_ok(
    size: int,
    values: list[str],
    whole: Counter[str],
    n: int,
    *,
    k: int,
    l: int | None,  # noqa: E741
    variant: str,
    c: float | None,
    t: float | None,
) -> bool:
    if size < k:
        return False
    counts = Counter(values)
    if l is not None:
        if variant == "distinct" and len(counts) < l:
            return False
        if variant == "entropy":
            entropy = -sum(v / size * math.log(v / size) for v in counts.values())
            if entropy < math.log(l) - 1e-12:
                return False
        if variant == "recursive":
            ordered = sorted(counts.values(), reverse=True)
            if len(ordered) < l or not ordered[0] < (c or 1) * sum(ordered[l - 1 :]):
                return False
    if t is not None:
        distance = 0.5 * sum(abs(counts.get(v, 0) / size - whole[v] / n) for v in whole)
        if distance > t + 1e-12:
            return False
    return True


def reference_scores(
    data: pd.DataFrame,
    hierarchies: Mapping[str, Hierarchy],
    *,
    k: int,
    sensitive: str | None = None,
    l: int | None = None,  # noqa: E741
    variant: str = "distinct",
    c: float | None = None,
    t: float | None = None,
    suppression: float = 0.0,
) -> dict[tuple[int, ...], dict[str, float]]:
    """Every satisfying node with its utility under each measure."""
    names = list(hierarchies)
    n = len(data)
    limit = math.floor(suppression * n + 1e-9)
    whole: Counter[str] = Counter(data[sensitive]) if sensitive else Counter()
    out: dict[tuple[int, ...], dict[str, float]] = {}
    raw_frequency = {name: Counter(data[name]) for name in names}
    for levels in itertools.product(*[range(hierarchies[x].height) for x in names]):
        generalised = pd.DataFrame(
            {
                name: [hierarchies[name].generalise(v, lv) for v in data[name]]
                for name, lv in zip(names, levels, strict=True)
            }
        )
        if sensitive:
            generalised["_s"] = data[sensitive].to_numpy()
        kept_rows = [True] * n
        suppressed = 0
        kept_sizes = []
        for _, rows in generalised.groupby(names, sort=False).groups.items():
            rows = list(rows)
            values = list(generalised.loc[rows, "_s"]) if sensitive else []
            if class_ok(len(rows), values, whole, n, k=k, l=l, variant=variant, c=c, t=t):
                kept_sizes.append(len(rows))
            else:
                suppressed += len(rows)
                for r in rows:
                    kept_rows[r] = False
        if suppressed > limit:
            continue
        scores: dict[str, float] = {}
        scores["dm"] = sum(s * s for s in kept_sizes) + suppressed * n
        scores["aecs"] = n / (len(kept_sizes) + (1 if suppressed else 0))
        precision, loss, entropy = [], [], 0.0
        for name, lv in zip(names, levels, strict=True):
            h = hierarchies[name]
            leaves = Counter(h.level(lv))
            gen_frequency = Counter(generalised[name])
            p = l_sum = 0.0
            for i, raw in enumerate(data[name]):
                label = generalised[name][i]
                if kept_rows[i]:
                    p += lv / (h.height - 1) if h.height > 1 else 0.0
                    l_sum += (leaves[label] - 1) / (len(h.rows) - 1) if len(h.rows) > 1 else 0.0
                    entropy += math.log2(gen_frequency[label] / raw_frequency[name][raw])
                else:
                    p += 1
                    l_sum += 1
                    entropy += math.log2(n / raw_frequency[name][raw])
            precision.append(p / n)
            loss.append(l_sum / n)
        scores["precision"] = sum(precision) / len(precision)
        scores["loss"] = math.exp(sum(math.log1p(x) for x in loss) / len(loss)) - 1
        scores["entropy"] = entropy
        scores["suppressed"] = suppressed
        out[tuple(levels)] = scores
    return out
