"""The National Pupil Database extract: attendance and FSM/pupil premium, keyed by the PMR.

Only ever held in the SRS research environment (the policy registry says so; the ingest checks it
before reading a row). ``read_npd`` reads one CSV table; ``absence_measures`` derives rates and
persistent absence per pupil and year; ``NPD_TABLES`` are the store tables. The ingest hook is
``steward.returns.npd.ingest.ingest_npd`` (imported lazily: it needs the store).
"""

from steward.returns.npd.measures import absence_measures, absence_measures_sql
from steward.returns.npd.reader import NpdReading, is_npd_extract, npd_table_of, read_npd
from steward.returns.npd.spec import academic_year, persistent_threshold, year_label
from steward.returns.npd.store_tables import NPD_SOURCE, NPD_TABLES, npd_categories

__all__ = [
    "NPD_SOURCE",
    "NPD_TABLES",
    "NpdReading",
    "absence_measures",
    "absence_measures_sql",
    "academic_year",
    "is_npd_extract",
    "npd_categories",
    "npd_table_of",
    "persistent_threshold",
    "read_npd",
    "year_label",
]
