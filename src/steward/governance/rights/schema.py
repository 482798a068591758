"""The model modules of the rights, consent and register slices (for Alembic and the schema test).

They belong in :data:`steward.governance.db.MODEL_MODULES`; until they are listed there,
:func:`load_rights_models` imports them onto the shared ``Base``.
"""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

from steward.governance.db import Base

RIGHTS_MODEL_MODULES = (
    "steward.governance.rights.models",
    "steward.governance.consent.models",
    "steward.governance.registers.models",
)


def load_rights_models() -> MetaData:
    """Import the rights, consent and register models; the shared metadata."""
    for module in RIGHTS_MODEL_MODULES:
        importlib.import_module(module)
    return Base.metadata
