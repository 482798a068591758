"""Anonymisation of any table: generalisation hierarchies, privacy models, optimal search, risk.

The entry point is :func:`anonymise`; hierarchies come from :class:`Hierarchy` (CSV files or
builders for intervals, dates and categories), models from :mod:`steward.anonymise.models`.
"""

from steward.anonymise.engine import AnonymisationError, AnonymisationResult, anonymise
from steward.anonymise.hierarchy import Hierarchy, HierarchyError, ethnicity, local_authority
from steward.anonymise.models import (
    KAnonymity,
    LDiversity,
    MaxProsecutorRisk,
    PrivacyModel,
    TCloseness,
)
from steward.anonymise.risk import RiskReport, risk_of_table
from steward.anonymise.utility import METRICS

__all__ = [
    "METRICS",
    "AnonymisationError",
    "AnonymisationResult",
    "Hierarchy",
    "HierarchyError",
    "KAnonymity",
    "LDiversity",
    "MaxProsecutorRisk",
    "PrivacyModel",
    "RiskReport",
    "TCloseness",
    "anonymise",
    "ethnicity",
    "local_authority",
    "risk_of_table",
]
