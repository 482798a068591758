"""Adult, 8 quasi-identifiers, 5-anonymity, DM: time to the optimum, against anjana.

Both tools get the same data and the same ARX hierarchy files, in the same run. For each
suppression limit (0% and 10%) the script prints wall and CPU seconds of each, the nodes our
search checked, the DM of each output (suppressed records charged n each) and the two ratios:
speed (anjana / ours, CPU seconds, since the machine may be shared) and utility (our DM /
anjana's DM; <= 1 means ours loses no more information).

The timed region is the same for both: one call on a table already in memory, with hierarchies
already read. For Steward that is ``anonymise`` whole, as a user pays it: encoding the text
columns, the search, the released table, its utility measures and its risk.

    uv run python benchmarks/anonymise_adult.py              # full fixture, 30,162 records
    uv run python benchmarks/anonymise_adult.py --rows 5000  # a quicker look
"""

from __future__ import annotations

import argparse
import contextlib
import io
import multiprocessing as mp
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from steward.anonymise import Hierarchy, KAnonymity, anonymise

ADULT = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "anonymisation" / "adult"
QIS = [
    "age",
    "education",
    "marital-status",
    "native-country",
    "race",
    "salary-class",
    "sex",
    "workclass",
]
K = 5


def load(rows: int | None) -> pd.DataFrame:
    data = pd.read_csv(ADULT / "adult.csv", sep=";", dtype=str, keep_default_na=False)
    return data.iloc[:rows].reset_index(drop=True) if rows else data


def dm_of_output(output: pd.DataFrame, n: int) -> float:
    """Discernibility of a released table: class sizes squared, n per record left out."""
    if output.empty:
        return float(n) * n
    sizes = output.groupby(QIS, sort=False).size().to_numpy(dtype=np.int64)
    return float(np.dot(sizes, sizes)) + float(n - len(output)) * n


def run_ours(data: pd.DataFrame, suppression: float, repeat: int) -> dict[str, Any]:
    hierarchies = {
        c: Hierarchy.from_csv(ADULT / f"adult_hierarchy_{c}.csv", sep=";", name=c) for c in QIS
    }
    walls, cpus = [], []
    result = None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = anonymise(
            data, hierarchies, models=[KAnonymity(K)], suppression_limit=suppression, metric="dm"
        )
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    assert result is not None
    return {
        "wall": statistics.median(walls),
        "cpu": statistics.median(cpus),
        "dm": result.metrics["dm"],
        "nodes": result.nodes_checked,
        "lattice": result.lattice_size,
        "levels": result.levels,
        "suppressed": result.suppressed,
    }


def _anjana_worker(data: pd.DataFrame, suppression: float, queue: Any) -> None:
    from anjana.anonymity import k_anonymity

    hierarchies = {}
    for column in QIS:
        table = pd.read_csv(
            ADULT / f"adult_hierarchy_{column}.csv", sep=";", header=None, dtype=str
        )
        hierarchies[column] = {level: table[level].to_numpy() for level in table.columns}
    wall, cpu = time.perf_counter(), time.process_time()
    with contextlib.redirect_stdout(io.StringIO()):
        output = k_anonymity(data, [], QIS, K, suppression * 100, hierarchies)
    queue.put(
        {
            "cpu": time.process_time() - cpu,
            "wall": time.perf_counter() - wall,
            "dm": dm_of_output(output, len(data)),
            "released": len(output),
        }
    )


def run_anjana(data: pd.DataFrame, suppression: float, timeout: float) -> dict[str, Any] | None:
    """anjana in a child process, stopped after ``timeout`` seconds (None then)."""
    queue: Any = mp.get_context("fork").Queue()
    process = mp.get_context("fork").Process(target=_anjana_worker, args=(data, suppression, queue))
    process.start()
    process.join(timeout)
    if process.is_alive():
        process.terminate()
        process.join()
        return None
    return queue.get() if not queue.empty() else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=None, help="first N records only")
    parser.add_argument("--repeat", type=int, default=5, help="runs of ours (median taken)")
    parser.add_argument("--anjana-timeout", type=float, default=600.0, help="seconds")
    args = parser.parse_args()
    data = load(args.rows)
    print(f"Adult: {len(data)} records, {len(QIS)} quasi-identifiers, k = {K}, metric DM")
    for suppression in (0.0, 0.1):
        ours = run_ours(data, suppression, args.repeat)
        theirs = run_anjana(data, suppression, args.anjana_timeout)
        print(f"\n-- suppression limit {suppression:.0%}")
        print(
            f"steward: {ours['wall']:.4f} s wall, {ours['cpu']:.4f} s CPU; "
            f"{ours['nodes']} of {ours['lattice']} nodes checked; DM {ours['dm']:,.0f}; "
            f"{ours['suppressed']} suppressed; levels {ours['levels']}"
        )
        if theirs is None:
            print(f"anjana:  > {args.anjana_timeout:.0f} s (stopped)")
            print(f"speed ratio (anjana / steward, CPU): > {args.anjana_timeout / ours['cpu']:.1f}")
            continue
        print(
            f"anjana:  {theirs['wall']:.4f} s wall, {theirs['cpu']:.4f} s CPU; "
            f"DM {theirs['dm']:,.0f}; {len(data) - theirs['released']} suppressed"
        )
        print(f"speed ratio (anjana / steward, CPU):  {theirs['cpu'] / ours['cpu']:.1f}")
        print(f"speed ratio (anjana / steward, wall): {theirs['wall'] / ours['wall']:.1f}")
        print(f"utility ratio (steward DM / anjana DM): {ours['dm'] / theirs['dm']:.4f}")


if __name__ == "__main__":
    main()
