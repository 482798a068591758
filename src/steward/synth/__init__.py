"""Synthetic data returns with a planted treatment effect, for tests, demos and benchmarks."""

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
