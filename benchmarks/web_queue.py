"""Request queue page with 10,000 requests: p95 server time (target < 100 ms).

Baseline, measured in the same run: the unpaginated queue (every request read through the
rights service's ``list_requests`` and its deadline worked out), i.e. what the page would cost
without SQL paging. Prints p50/p95 of both and the ratio.

The page is timed twice: on the schema as migrated, and again after adding an index on
``rights_requests (status, received_on, id)`` to this benchmark's throw-away database only (the
index the queue's filter and order want; it belongs in a rights migration).

    uv run python benchmarks/web_queue.py            # 10,000 requests, 200 page loads
    uv run python benchmarks/web_queue.py --requests 2000 --loads 50   # quicker
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path


def seed(workspace, count: int) -> None:  # type: ignore[no-untyped-def]
    from steward.governance.db import open_database, session_scope
    from steward.governance.rights.models import RequestPause, RightsRequest

    rng = random.Random(7)
    engine = open_database(workspace.database_url)
    now = dt.datetime.now(dt.UTC)
    rights = ["access", "erasure", "rectification", "restriction", "object"]
    with session_scope(engine) as session:
        for i in range(count):
            received = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(300))
            request = RightsRequest(
                reference=f"RR-2026-{i + 1:05d}", rights=[rng.choice(rights)],
                channel="email", received_on=received, requester_relationship="self",
                authority_status="not_needed", identity_status="verified",
                requester_digest=f"{i:064x}", la_code="E08000005", locate_status="pending",
                extension_months=0, status=rng.choice(["open", "open", "closed"]),
                created_by="dpo", created_at=now, child_holds_right=False,
            )  # fmt: skip
            request.pauses.append(
                RequestPause(reason="identity", started_on=received,
                             ended_on=received + dt.timedelta(days=rng.randrange(5)))
            )  # fmt: skip
            session.add(request)
    engine.dispose()


def time_pages(client, loads: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Server round trips of the queue page, spread over early and deep pages."""
    pages = [1, 2, 10, 50, 100]
    times: list[float] = []
    for i in range(loads):
        url = f"/requests?status=open&page={pages[i % len(pages)]}"
        start = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
    return times


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--loads", type=int, default=200)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["XDG_CONFIG_HOME"] = str(Path(tmp) / "config")
        from fastapi.testclient import TestClient

        from steward.governance.access import add_user, bootstrap_admin
        from steward.governance.db import open_database, session_scope
        from steward.governance.rights.service import list_requests
        from steward.web import create_app
        from steward.web.queue import to_row
        from steward.workspace import init_workspace

        ws = init_workspace(Path(tmp) / "ws")
        engine = open_database(ws.database_url)
        with session_scope(engine) as session:
            admin = bootstrap_admin(session, "admin", "benchmark password 1")
            dpo = add_user(session, admin, "dpo", "benchmark password 1", "dpo")
        seed(ws, args.requests)
        app = create_app(ws)
        client = TestClient(app)
        import re

        form = client.get("/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
        client.post("/login", data={"username": "dpo", "password": "benchmark password 1",
                                    "csrf_token": csrf})  # fmt: skip
        page_times = time_pages(client, args.loads)
        import sqlalchemy as sa

        with engine.begin() as connection:
            connection.execute(sa.text(
                "CREATE INDEX ix_bench_queue ON rights_requests (status, received_on, id)"
            ))  # fmt: skip
        indexed_times = time_pages(client, args.loads)

        today = dt.date.today()
        baseline: list[float] = []
        for _ in range(3):
            start = time.perf_counter()
            with session_scope(engine) as session:
                rows = [to_row(r, today) for r in list_requests(session, dpo, status="open")]
            baseline.append(time.perf_counter() - start)
        assert rows

    p50, p95 = percentile(page_times, 0.5) * 1e3, percentile(page_times, 0.95) * 1e3
    b50, b95 = percentile(baseline, 0.5) * 1e3, percentile(baseline, 0.95) * 1e3
    print(f"requests seeded: {args.requests}, page loads: {args.loads}")
    print(f"queue page (paged, full HTTP round trip): p50 {p50:.1f} ms, p95 {p95:.1f} ms "
          f"(target p95 < 100 ms: {'met' if p95 < 100 else 'NOT met'})")  # fmt: skip
    i50, i95 = percentile(indexed_times, 0.5) * 1e3, percentile(indexed_times, 0.95) * 1e3
    print(f"queue page with the (status, received_on, id) index: p50 {i50:.1f} ms, "
          f"p95 {i95:.1f} ms (target: {'met' if i95 < 100 else 'NOT met'})")  # fmt: skip
    print(f"baseline (unpaged service query + deadlines, no rendering): p50 {b50:.1f} ms, "
          f"p95 {b95:.1f} ms")  # fmt: skip
    print(f"ratio baseline p95 / page p95: {b95 / p95:.1f}x (with the index {b95 / i95:.1f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
