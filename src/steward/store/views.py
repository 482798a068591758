"""The store's DDL and its ``<table>_current`` views, as dialect-neutral SQL.

The supersede rule (what a ``_current`` view shows):

1. History is kept: every row of every submission stays in the base table.
2. Local authorities resend events in later returns (corrected, or simply repeated). Per LA and
   per the table's event key (pseudonymised, e.g. ``child_pid, referral_pid, referral_date`` for
   referrals), the current view keeps the one row from the latest ``return_month``; ties (two
   submissions for the same month) go to the latest ``submissions.ingested_at``; duplicates
   within one submission go to the last row of the sheet (highest ``source_row``).
3. Children flagged ``restricted``, ``objected`` or ``erased`` in ``subject_flags`` are left out
   of every current view, so no later step (cohort, analysis, archive) can use their data.

The SQL is written once and transpiled by sqlglot to the engine's dialect (``duckdb`` now,
``spark`` for national scale); the tests transpile it to both.
"""

from __future__ import annotations

import sqlglot

from steward.store.schema import FLAGS, STORE_TABLES, SUBMISSIONS, StoreTable

_RANK = "steward_rank"


def _quote(name: str) -> str:
    return f'"{name}"'


def create_table_sql(table: StoreTable, dialect: str) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for a store table."""
    cols = ", ".join(f"{_quote(c.name)} {c.sql_type}" for c in table.columns)
    if table.name == SUBMISSIONS.name and dialect != "spark":  # Spark SQL has no key constraints
        cols += ', PRIMARY KEY ("submission_id")'
    return _transpile(f"CREATE TABLE IF NOT EXISTS {_quote(table.name)} ({cols})", dialect)


def current_view_name(table: str) -> str:
    return f"{table}_current"


def current_select_sql(table: StoreTable, dialect: str) -> str:
    """The SELECT behind ``<table>_current`` (see the module docstring for the rule)."""
    return _transpile(_current_select(table), dialect)


def _current_select(table: StoreTable) -> str:
    cols = ", ".join(f"t.{_quote(c)}" for c in table.column_names)
    partition = ", ".join(f"t.{_quote(c)}" for c in ("la_code", *table.event_key))
    flagged = ""
    if table.has_children:
        flags = ", ".join(f"'{f}'" for f in FLAGS)
        flagged = (
            "WHERE NOT EXISTS (SELECT 1 FROM subject_flags AS f "
            f"WHERE f.child_pid = t.child_pid AND f.flag IN ({flags}))"
        )
    outer = ", ".join(_quote(c) for c in table.column_names)
    sql = f"""
        SELECT {outer} FROM (
            SELECT {cols}, ROW_NUMBER() OVER (
                PARTITION BY {partition}
                ORDER BY t.return_month DESC NULLS LAST, s.ingested_at DESC NULLS LAST,
                         t.source_row DESC NULLS LAST
            ) AS {_RANK}
            FROM {_quote(table.name)} AS t
            JOIN submissions AS s ON s.submission_id = t.submission_id
            {flagged}
        ) AS ranked
        WHERE {_RANK} = 1
    """
    return sql


def current_totals_sql(dialect: str) -> str:
    """``children`` (distinct pseudonyms) and ``n`` (rows) across the current views of the
    event tables with children, without ranking a single row.

    Each such table's event key holds ``child_pid``, so its current view has one row per
    distinct LA and event key among the rows it lets through (a submission's, not flagged), and
    those rows' children are all of theirs: counting keys gives what counting the views gives,
    and a hash of the keys costs about half their ranking.
    """
    tables = [t for t in STORE_TABLES.values() if t.event_key and t.has_children]
    for table in tables:
        if "child_pid" not in table.event_key:  # the rule above would not hold
            raise ValueError(f"{table.name}: its event key has no child_pid")
    flags = ", ".join(f"'{f}'" for f in FLAGS)
    through = (
        "JOIN submissions AS s ON s.submission_id = t.submission_id "
        "WHERE NOT EXISTS (SELECT 1 FROM subject_flags AS f "
        f"WHERE f.child_pid = t.child_pid AND f.flag IN ({flags}))"
    )

    def keys(table: StoreTable) -> str:
        columns = ", ".join(f"t.{_quote(c)}" for c in ("la_code", *table.event_key))
        return f"SELECT DISTINCT {columns} FROM {_quote(table.name)} AS t {through}"

    children = " UNION ".join(f"SELECT t.child_pid FROM {_quote(t.name)} AS t {through}"
                              for t in tables)  # fmt: skip
    rows = " + ".join(f"(SELECT COUNT(*) FROM ({keys(t)}) AS k)" for t in tables)
    return _transpile(
        f"SELECT (SELECT COUNT(child_pid) FROM ({children}) AS c) AS children, {rows} AS n",
        dialect,
    )


def current_view(table: str, dialect: str = "duckdb") -> str:
    """The SELECT of the current rows of store table ``table``, in ``dialect``."""
    return current_select_sql(STORE_TABLES[table], dialect)


def create_current_view_sql(table: StoreTable, dialect: str) -> str:
    view = current_view_name(table.name)
    return _transpile(f"CREATE OR REPLACE VIEW {_quote(view)} AS {_current_select(table)}", dialect)


def _transpile(sql: str, dialect: str) -> str:
    # Written in sqlglot's neutral dialect; "postgres" reading keeps double-quoted identifiers.
    return sqlglot.transpile(sql, read="postgres", write=dialect, pretty=False)[0]


def all_ddl(dialect: str) -> list[str]:
    """Every statement that creates the store's tables and current views."""
    tables = [create_table_sql(t, dialect) for t in STORE_TABLES.values()]
    views = [create_current_view_sql(t, dialect) for t in STORE_TABLES.values() if t.event_key]
    return tables + views
