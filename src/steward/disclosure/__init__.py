"""Output statistical disclosure control and the output-request pack.

Every table and model that leaves the research environment is checked here: frequency tables
(threshold, zeros, secondary suppression, optional rounding), magnitude tables (threshold,
dominance, p%), model outputs (residual degrees of freedom, small categorical levels). A
``Release`` keeps suppression consistent across its tables; an ``OutputRequestPack`` writes the
ACRO-style ``results.json`` and a summary that a checker approves or rejects.
"""

from steward.disclosure.audit import CellInterval, Relation, exposed_cells, feasible_intervals
from steward.disclosure.frequency import check_frequency_table, crosstab
from steward.disclosure.magnitude import check_magnitude_table
from steward.disclosure.models import check_fitted_model, check_model
from steward.disclosure.output import CheckedOutput, to_display
from steward.disclosure.pack import OutputRequestPack
from steward.disclosure.release import Release
from steward.disclosure.rules import GSS_CONFIDENTIAL, SdcRules

__all__ = [
    "GSS_CONFIDENTIAL",
    "CellInterval",
    "CheckedOutput",
    "OutputRequestPack",
    "Relation",
    "Release",
    "SdcRules",
    "check_fitted_model",
    "check_frequency_table",
    "check_magnitude_table",
    "check_model",
    "crosstab",
    "exposed_cells",
    "feasible_intervals",
    "to_display",
]
