"""The governance database: declarative base, engines, sessions and migrations.

SQLite in the workspace is the default (``governance.db``); PostgreSQL is used when
``STEWARD_DATABASE_URL`` (or ``database_url`` in steward.toml) names one. The schema is created
and evolved only by the Alembic migrations shipped in ``migrations/`` (one ``versions/`` chain);
every slice keeps its models in ``<slice>/models.py`` (found by :func:`load_models`) and adds a
migration on top of the chain.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import DeclarativeBase, Session

from steward.errors import ConfigError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# Every slice keeps its tables in ``steward/governance/<slice>/models.py``; load_models() finds
# them, so a new slice needs no change here, only its models and a migration on the chain.
MODELS_MODULE = "models"

# Explicit constraint names, so migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_BUSY_TIMEOUT_MS = 30_000


class Base(DeclarativeBase):
    """Base class of every governance model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def model_modules() -> list[str]:
    """Names of the slices' model modules (``steward.governance.<slice>.models``)."""
    package = Path(__file__).resolve().parent
    return sorted(
        f"{__package__}.{info.name}.{MODELS_MODULE}"
        for info in pkgutil.iter_modules([str(package)])
        if info.ispkg and (package / info.name / f"{MODELS_MODULE}.py").is_file()
    )


def load_models() -> MetaData:
    """Import every slice's model module so ``Base.metadata`` describes the whole schema."""
    for module in model_modules():
        importlib.import_module(module)
    return Base.metadata


def normalise_url(url: str | URL) -> URL:
    """Parse ``url``; a bare ``postgresql://`` URL is given the installed psycopg (v3) driver."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # SQLAlchemy raises ArgumentError with the bad text
        raise ConfigError(
            what=f"the governance database URL is not a valid SQLAlchemy URL ({exc})",
            fix="Set database_url to e.g. 'postgresql://user@host/db' or leave it unset for "
            "SQLite in the workspace.",
        ) from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(
            what=f"governance database backend {parsed.get_backend_name()!r} is not supported",
            fix="Use SQLite (default) or PostgreSQL.",
        )
    return parsed


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine for the governance database.

    On SQLite the driver's own transaction handling is switched off and Steward emits BEGIN
    itself, so a writer that must not race (the audit log) can ask for ``BEGIN IMMEDIATE`` with
    the execution option ``sqlite_begin="IMMEDIATE"``; WAL lets readers run beside that writer.
    """
    parsed = normalise_url(url)
    engine = create_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode not in ("DEFERRED", "IMMEDIATE", "EXCLUSIVE"):
            raise ValueError(f"unknown SQLite BEGIN mode {mode!r}")
        connection.exec_driver_sql(f"BEGIN {mode}")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits when the block ends normally and rolls back on an exception.

    Objects stay readable after the block (``expire_on_commit=False``), so a service can return
    a ``User`` or an audit entry to its caller.
    """
    session = Session(bind=engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(connection: Any | None = None) -> Any:
    """The Alembic configuration of the shipped migrations, optionally bound to a connection."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str | URL, revision: str = "head") -> None:
    """Bring the governance database at ``url`` up to ``revision`` (default: the newest)."""
    from alembic import command

    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), revision)
    finally:
        engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """The migration revision the database is at (None if never migrated)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def open_database(url: str | URL) -> Engine:
    """Migrate the database at ``url`` to the newest schema and return an engine on it."""
    upgrade(url)
    return make_engine(url)
