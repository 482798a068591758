"""The researcher a benchmark acts as, in the benchmark's own synthetic-data workspace.

Made straight in the workspace's governance database with no usable password (nobody signs in
as it), so no password hashing runs inside a measured region; the services still check its
permissions as they check anyone's.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from steward.governance.access import Role, User
from steward.governance.db import open_database, session_scope
from steward.workspace import Workspace

USERNAME = "bench.researcher"


def benchmark_researcher(workspace: Workspace) -> User:
    """The benchmark's researcher account in ``workspace`` (made on first use)."""
    engine = open_database(workspace.database_url)
    try:
        with session_scope(engine) as session:
            found = session.scalar(select(User).where(User.username == USERNAME))
            if found is not None:
                return found
            user = User(
                username=USERNAME,
                role=Role.RESEARCHER.value,
                password_hash="!",  # not an argon2 hash: no password ever matches it
                la_code=None,
                accreditation_expires=dt.date.today() + dt.timedelta(days=365),
                active=True,
                created_at=dt.datetime.now(dt.UTC),
            )
            session.add(user)
        return user
    finally:
        engine.dispose()
