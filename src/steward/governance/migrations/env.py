"""Alembic environment of the governance database.

Run programmatically by :func:`steward.governance.db.upgrade`, which hands over an open
connection; running ``alembic`` by hand needs ``-x url=...``.
"""

from __future__ import annotations

from alembic import context

from steward.governance.db import load_models, make_engine

config = context.config
target_metadata = load_models()


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        # SQLite alters tables by copy-and-move; later slices' migrations rely on it.
        render_as_batch=connection.dialect.name == "sqlite",  # type: ignore[attr-defined]
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit(
            "pass the database URL: alembic -x url=sqlite:///governance.db upgrade head"
        )
    engine = make_engine(url)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()
