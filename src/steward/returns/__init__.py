"""Reading local authority returns: detect, normalise, validate, report quality.

The public API::

    reading = read_return(path)            # safe open, detect tables/LA/month, normalise
    validated = validate(reading)          # rule set of the month: valid / quarantined
    write_quality_report([validated], out) # HTML + CSV, counts and row numbers only
"""

from steward.returns.quality import QualityReportPaths, write_quality_report
from steward.returns.reader import ReturnReading, TableReading, read_return
from steward.returns.validate import RuleFailure, ValidatedReturn, ValidatedTable, validate

__all__ = [
    "QualityReportPaths",
    "ReturnReading",
    "RuleFailure",
    "TableReading",
    "ValidatedReturn",
    "ValidatedTable",
    "read_return",
    "validate",
    "write_quality_report",
]
