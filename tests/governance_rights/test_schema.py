"""Migration 0002 builds exactly the rights, consent and register models' schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from steward.governance.db import load_models
from steward.governance.rights.schema import load_rights_models


def test_migrations_match_the_models(engine: Engine) -> None:
    load_models()
    metadata = load_rights_models()
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
