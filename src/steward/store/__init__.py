"""The research store: pseudonymised tables with a data category on every column."""

from __future__ import annotations

from typing import TYPE_CHECKING

from steward.store.research import LoadResult, ResearchStore, SubmissionRecord
from steward.store.schema import STORE_TABLES, categories_of, column_categories
from steward.store.views import current_select_sql, current_view, current_view_name

if TYPE_CHECKING:
    from steward.store.lake import LakeStore
    from steward.workspace import Workspace


def open_store(workspace: Workspace) -> ResearchStore | LakeStore:
    """The workspace's store on its engine (``engine`` in steward.toml)."""
    if workspace.settings.engine == "spark":
        from steward.store.lake import LakeStore

        return LakeStore.open(workspace)
    return ResearchStore.open(workspace)


__all__ = [
    "STORE_TABLES",
    "LoadResult",
    "ResearchStore",
    "SubmissionRecord",
    "categories_of",
    "column_categories",
    "current_select_sql",
    "current_view",
    "current_view_name",
    "open_store",
]
