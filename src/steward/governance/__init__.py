"""Governance state: the audit log, users and access control (and, later, rights, consent and
retention), held in a relational database through SQLAlchemy with Alembic migrations."""
