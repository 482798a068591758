"""The migrations build exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, select
from sqlalchemy.engine import URL

from steward.governance.audit import GENESIS_HASH, AuditHead
from steward.governance.db import (
    alembic_config,
    current_revision,
    load_models,
    make_engine,
    model_modules,
    session_scope,
    upgrade,
)


def test_upgrade_gives_exactly_the_models_schema(engine: Engine) -> None:
    metadata = load_models()
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
        tables = set(inspect(conn).get_table_names())
    assert set(metadata.tables) <= tables


def test_every_slice_model_module_is_loaded() -> None:
    modules = model_modules()
    assert "steward.governance.audit.models" in modules
    assert "steward.governance.access.models" in modules
    tables = load_models().tables
    assert {"audit_entries", "audit_head", "users", "api_tokens"} <= set(tables)


def test_one_linear_chain_and_database_at_head(engine: Engine) -> None:
    script = ScriptDirectory.from_config(alembic_config())
    heads = script.get_heads()
    assert len(heads) == 1, "later slices must add their migration on top of the one chain"
    assert current_revision(engine) == heads[0]


def test_upgrade_is_idempotent_and_seeds_the_audit_head(db_url: URL) -> None:
    upgrade(db_url)
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with session_scope(engine) as session:
            heads = session.scalars(select(AuditHead)).all()
        assert [(h.id, h.seq, h.entry_hash) for h in heads] == [(1, 0, GENESIS_HASH)]
    finally:
        engine.dispose()


def test_downgrade_removes_everything(db_url: URL) -> None:
    from alembic import command

    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "base")
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
