"""Run by test_store_load: load submission A, then die (SIGKILL from the test) inside B's load.

Usage: python crash_load.py STORE_FILE MARKER_FILE ROWS
After the first of B's tables is written inside the open transaction, the script writes
MARKER_FILE and waits to be killed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from store_crash_data import submission_a, submission_b

from steward.store import ResearchStore
from steward.store import dialect_duckdb as engine


def main() -> None:
    store_file, marker, rows = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    store = ResearchStore(store_file, memory_limit="500MB", threads=1)
    store.load(*submission_a())
    store.checkpoint()
    size_before = store_file.stat().st_size
    real_insert = engine.insert_arrow
    seen: list[str] = []

    def insert_then_wait(con: object, table: str, columns: tuple[str, ...], data: object) -> None:
        real_insert(con, table, columns, data)  # type: ignore[arg-type]
        seen.append(table)
        if len(seen) == 2:  # two big tables written, transaction still open
            marker.write_text(str(size_before))
            while True:
                time.sleep(1)

    engine.insert_arrow = insert_then_wait  # type: ignore[assignment]
    store.load(*submission_b(rows))


if __name__ == "__main__":
    main()
