"""Benchmark: CPU to prepare one small SSDA903 table, the fixed cost a national ingest pays per file.

A national ingest prepares thousands of SSDA903 CSVs (5 tables x 153 LAs x 7 years), most of
them 1-50 KB, so what counts is the cost per file rather than per row. Prepares each file
(read, clean, check, pseudonymise, periods of care) ``--repeat`` times and prints the best CPU
time (``time.process_time``: the machine may be shared, so wall time is noisy).

    uv run python benchmarks/ssda903_prepare.py                        # Barnet's 2024 tables
    uv run python benchmarks/ssda903_prepare.py /path/to/302_*.csv --repeat 50
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

from steward.governance.access.models import User
from steward.governance.access.permissions import Role
from steward.ingest_prepare import PrepareContext, prepare_file
from steward.pseudonymise.pseudonym import Pseudonymiser
from steward.returns.reader import file_sha256
from steward.study.local_authorities import ENGLISH_LOCAL_AUTHORITIES

DEFAULT = sorted(Path("/tmp/national/barnet").glob("302_*_mar2024.csv"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    user = User(username="r", role=Role.RESEARCHER, la_code=None,
                accreditation_expires=dt.date(2030, 1, 1), active=True)  # fmt: skip
    context = PrepareContext(
        Path("/tmp"), Pseudonymiser(b"k" * 32), tuple(ENGLISH_LOCAL_AUTHORITIES), user
    )
    total = 0.0
    for path in args.files:
        digest = file_sha256(path)
        prepare_file(context, path, digest)  # warm: imports, caches, the DuckDB database
        best = float("inf")
        for _ in range(args.repeat):
            start = time.process_time()
            prepare_file(context, path, digest)
            best = min(best, time.process_time() - start)
        total += best
        print(f"{path.name:32} {path.stat().st_size / 1000:7.1f} KB  {best * 1000:6.2f} ms CPU")
    print(f"{'total':32} {'':10}  {total * 1000:6.2f} ms CPU")


if __name__ == "__main__":
    main()
