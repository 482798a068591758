"""Synthetic data returns with a planted treatment effect, for tests, demos and benchmarks."""

from steward.synth.large import write_large_dr2
from steward.synth.mess import MESS_KINDS, MessKind

__all__ = ["MESS_KINDS", "MessKind", "write_large_dr2"]
