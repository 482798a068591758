"""Synthetic runs shared by the synth tests: one tiny messy and one tiny tidy run of one seed."""

from __future__ import annotations

import pytest

from steward.synth import SynthResult, generate_returns


@pytest.fixture(scope="session")
def messy_run(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    return generate_returns(tmp_path_factory.mktemp("messy"), scale="tiny", seed=7, mess=True)


@pytest.fixture(scope="session")
def tidy_run(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    return generate_returns(tmp_path_factory.mktemp("tidy"), scale="tiny", seed=7, mess=False)
