"""Synthetic data returns with a planted treatment effect, for tests, demos and benchmarks.

``generate_returns(out, scale=..., seed=..., mess=...)`` writes every DR1/DR2/DR3 workbook the
study's LAs send and returns a ``SynthResult`` with the planted truth; ``write_large_dr2`` writes
one big DR2 workbook for the ingest benchmark; ``MessKind`` lists the planted kinds of mess.
"""

from steward.synth.generate import (
    SynthResult,
    SynthTruth,
    build_populations,
    generate_returns,
    planned_files,
)
from steward.synth.large import write_large_dr2
from steward.synth.mess import MESS_KINDS, MessKind

__all__ = [
    "MESS_KINDS",
    "MessKind",
    "SynthResult",
    "SynthTruth",
    "build_populations",
    "generate_returns",
    "planned_files",
    "write_large_dr2",
]
