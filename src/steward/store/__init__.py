"""The research store: pseudonymised tables with a data category on every column."""

from steward.store.research import LoadResult, ResearchStore, SubmissionRecord
from steward.store.schema import STORE_TABLES, categories_of, column_categories
from steward.store.views import current_select_sql, current_view, current_view_name

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
]
