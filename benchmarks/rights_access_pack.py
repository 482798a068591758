"""Figure: locating one person and building their access pack in a store of 1M children and
10M events — p50 / p95 latency; target p95 < 1 s.

The store is filled straight with fictional pseudonymised rows (the xlsx pipeline would take
hours at this size): 1M children across the five LAs, 10M events spread over the referral,
CP, CLA, period-of-care and episode tables. For each of N requests: log it, verify identity,
locate the child from the LA's own id (hashed at lookup) and write the access pack.

Baseline, in the same run: finding the same child's rows by reading each table whole into
memory and filtering it there (what a script without the store's engine would do).

    uv run python benchmarks/rights_access_pack.py [--children 1000000] [--events 10000000] [--requests 30]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import tempfile
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / ".out" / "rights"
LAS = ("354", "807", "877", "926", "856")
# Event tables and their share of the events.
SHARES = {"dr2_referrals": 0.5, "dr2_cp": 0.1, "dr2_cla": 0.1, "dr3_periods_of_care": 0.1,
          "dr3_care_episodes": 0.2}  # fmt: skip


def fill_store(store_path: Path, key: bytes, children: int, events: int) -> None:
    """Children ``C{n}`` of LA ``LAS[n % 5]``; their pseudonyms made by the DuckDB macro."""
    from steward.pseudonymise.engine_sql import pseudonymise_duckdb
    from steward.store import ResearchStore
    from steward.store.schema import STORE_TABLES

    with ResearchStore(store_path, memory_limit="6GB", threads=2) as store:
        con = store.con
        con.execute(f"CREATE TEMP TABLE kids AS SELECT i, 'C' || i AS raw, "
                    f"list_extract({list(LAS)!r}, (i % 5) + 1) AS la FROM range({children}) t(i)")  # fmt: skip
        pids = pseudonymise_duckdb(con, key, con.sql("SELECT la FROM kids").to_arrow_table()["la"],
                                   con.sql("SELECT raw FROM kids").to_arrow_table()["raw"])  # fmt: skip
        con.register("pid_arrow", __import__("pyarrow").table({"pid": pids}))
        con.execute(
            "CREATE TEMP TABLE kid_pids AS SELECT row_number() OVER () - 1 AS i, pid FROM pid_arrow"
        )
        con.execute("INSERT INTO submissions SELECT 'bench-' || la, la, 'dr2', DATE '2023-03-01', "
                    "'bench.xlsx', now()::TIMESTAMP, 0, 0 FROM (SELECT DISTINCT la FROM kids)")  # fmt: skip
        for table, share in SHARES.items():
            n = int(events * share)
            columns = STORE_TABLES[table].columns
            select = []
            for c in columns:
                name, sql_type = c.name, c.sql_type
                if name == "child_pid":
                    select.append("p.pid")
                elif name == "la_code":
                    select.append("k.la")
                elif name == "submission_id":
                    select.append("'bench-' || k.la")
                elif name == "return_month":
                    select.append("DATE '2023-03-01'")
                elif name == "birth_year_month":
                    select.append("'2008-05'")
                elif sql_type == "DATE":
                    select.append("DATE '2019-01-01' + CAST(e % 1500 AS INTEGER)")
                elif sql_type == "BIGINT":
                    select.append("e % 200")
                elif sql_type == "BOOLEAN":
                    select.append("e % 3 = 0")
                elif sql_type == "DOUBLE":
                    select.append("0.5")
                else:
                    select.append(f"'{name[:3]}' || (e % 97)")
            con.execute(
                f'INSERT INTO "{table}" SELECT {", ".join(select)} FROM range({n}) t(e) '
                f"JOIN kids k ON k.i = (e * 7919) % {children} "
                "JOIN kid_pids p ON p.i = k.i"
            )
        con.execute("CHECKPOINT")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--children", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    os.environ.setdefault("XDG_CONFIG_HOME", str(OUT / "config"))

    import pyarrow.compute as pc
    import pyarrow.parquet  # noqa: F401

    from steward.governance.access.models import User
    from steward.governance.audit.workspace import workspace_audit_log
    from steward.governance.db import session_scope
    from steward.governance.rights.access_pack import build_access_pack
    from steward.governance.rights.locate import locate
    from steward.governance.rights.service import (
        Requester,
        RightsKeys,
        log_request,
        verify_identity,
    )  # fmt: skip
    from steward.pseudonymise.pseudonym import pseudonym_reference
    from steward.store import ResearchStore
    from steward.workspace import init_workspace

    ws = init_workspace(OUT / f"ws-{args.children}-{args.events}")
    key = ws.keys.load("pseudonym")
    marker = ws.store / ".filled"
    if not marker.exists():
        start = time.perf_counter()
        fill_store(ws.store_file, key, args.children, args.events)
        marker.write_text("ok")
        print(f"store filled in {time.perf_counter() - start:.0f} s")
    engine = workspace_audit_log(ws).engine
    with session_scope(engine) as session:
        dpo = session.query(User).filter_by(username="bench.dpo").one_or_none()
        if dpo is None:
            dpo = User(username="bench.dpo", role="dpo", password_hash="-", la_code=None,
                       accreditation_expires=None, active=True, created_at=dt.datetime.now(dt.UTC))  # fmt: skip
            session.add(dpo)
    keys = RightsKeys.for_workspace(ws)
    latencies, baseline = [], []
    with ResearchStore.open(ws) as store, tempfile.TemporaryDirectory() as tmp:
        for r in range(args.requests):
            i = (r * 104_729) % args.children
            la, raw = LAS[i % 5], f"C{i}"
            start = time.perf_counter()
            with session_scope(engine) as session:
                request = log_request(session, dpo, keys, rights=["access"], channel="email",
                                      requester=Requester(f"Requester {r}", f"r{r}@example.org"),
                                      received_on=dt.date(2026, 11, 2), la_code=la,
                                      allow_duplicate=True)  # fmt: skip
                reference = request.reference
                verify_identity(session, dpo, reference, verified=True, evidence_ref="bench",
                                on=dt.date(2026, 11, 3))  # fmt: skip
                locate(session, dpo, keys, store, reference, la_code=la, la_child_id=raw)
                build_access_pack(session, dpo, keys, store, reference, Path(tmp) / reference)
            latencies.append(time.perf_counter() - start)
            # Baseline: the same child's rows, each table read whole and filtered in memory.
            start = time.perf_counter()
            pid = pseudonym_reference(key, la, raw)
            for table in SHARES:
                data = store.history(table)
                data.filter(pc.equal(data["child_pid"], pid))
            baseline.append(time.perf_counter() - start)

    def pct(values: list[float], q: float) -> float:
        return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]

    print(f"store: {args.children:,} children, {args.events:,} events; {args.requests} requests")
    print(f"locate + access pack: p50 {pct(latencies, 50):.3f} s, p95 {pct(latencies, 95):.3f} s "
          "(target p95 < 1 s)")  # fmt: skip
    print(f"baseline (whole-table scan in memory): p50 {pct(baseline, 50):.3f} s, "
          f"p95 {pct(baseline, 95):.3f} s")  # fmt: skip
    print(f"ratio baseline / Steward at p95: {pct(baseline, 95) / pct(latencies, 95):.1f}x")


if __name__ == "__main__":
    main()
