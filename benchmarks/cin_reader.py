"""Benchmark: CPU time of reading one CIN census XML file into row batches (``iter_batches``).

Reports the best of ``--repeat`` runs in CPU seconds (``time.process_time``), as the machine may
be shared, beside plain lxml ``iterparse`` with clearing of the same file, the floor any reader
pays. ``--parts`` also times the per-child XSD validation alone.

    uv run python benchmarks/cin_reader.py /tmp/national/barnet/cin_census_2024.xml
    uv run python benchmarks/cin_reader.py FILE [FILE ...] --repeat 6 --parts
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from lxml import etree

from steward.returns.cin_census.reader import _parser_args, iter_batches, read_header
from steward.returns.cin_census.xsd import child_errors, child_schema


def _best(run: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best


def _read(path: Path) -> None:
    list(iter_batches(path))


def _iterparse(path: Path) -> None:
    for _, elem in etree.iterparse(str(path), events=("end",), tag="Child", **_parser_args()):
        elem.clear(keep_tail=False)
        while elem.getprevious() is not None:
            del elem.getparent()[0]


def _xsd(path: Path) -> None:
    schema = child_schema(read_header(path).collection_year)
    for _, elem in etree.iterparse(str(path), events=("end",), tag="Child", **_parser_args()):
        child_errors(schema, elem)
        elem.clear(keep_tail=False)
        while elem.getprevious() is not None:
            del elem.getparent()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--repeat", type=int, default=4)
    parser.add_argument("--parts", action="store_true", help="also time XSD validation alone")
    args = parser.parse_args()
    for path in args.files:
        list(iter_batches(path))  # warm: schema loaded, modules imported
        timed = {"iter_batches": partial(_read, path), "iterparse": partial(_iterparse, path)}
        if args.parts:
            timed["XSD"] = partial(_xsd, path)
        cpu = ", ".join(f"{name} {_best(run, args.repeat):.3f} s" for name, run in timed.items())
        print(f"{path}: {cpu} CPU (best of {args.repeat})")


if __name__ == "__main__":
    main()
