"""One very large DR2 workbook, for benchmarking the reader's ingest."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from steward.returns.layout import DR2_CLA, DR2_CP, DR2_REFERRALS
from steward.synth.children import MEAN_EXTRA_REFERRALS, draw_children, draw_referrals
from steward.synth.mess import LaStyle, la_style
from steward.synth.render import render_table
from steward.synth.tables import event_subset, referral_table, with_attributes
from steward.synth.workbook import Sheet, write_workbook

_FIRST_DAY = np.datetime64("2019-04-01")
_LAST_DAY = np.datetime64("2024-12-31")


def write_large_dr2(path: Path, *, rows: int = 200_000, seed: int = 1, mess: bool = True) -> Path:
    """Write one DR2 workbook with about ``rows`` referral rows plus small CP and CLA sheets.

    With ``mess`` the sheet has the title block, text dates, M/F genders, Y/N flags, misspelt
    headings and an extra free-text column, so the benchmark exercises the reader's slow paths.
    Returns ``path``.
    """
    rng = np.random.default_rng(seed)
    # A tenth more children than needed, then the latest referrals are trimmed to ``rows``.
    n_children = max(1, round(1.1 * rows / (1 + MEAN_EXTRA_REFERRALS)))
    children = draw_children(rng, n_children, first_day=_FIRST_DAY, last_day=_LAST_DAY)
    referrals = draw_referrals(rng, children, last_day=np.datetime64("2099-12-31"))
    # Exactly ``rows`` referral rows (duplicated first referrals from mess come on top).
    referrals = referrals.iloc[:rows]
    table = referral_table(referrals, children, mess=mess)
    cp = with_attributes(
        event_subset(rng, referrals, 0.15, (10, 60), "cpp_start_date"), children, mess=mess
    )
    cla = with_attributes(
        event_subset(rng, referrals, 0.06, (1, 500), "cla_start_date"), children, mess=mess
    )
    style: LaStyle = la_style(1, 0, 1, mess=mess)
    if mess:
        style = LaStyle(**{**style.__dict__, "extra_column": True, "missing_education": False})
    title = (
        ["No Wrong Door evaluation – Data Return 2", "Local authority: Benchmark  Period: Dec 2024"]
        if style.title_block
        else []
    )
    sheets = []
    for spec, frame in ((DR2_REFERRALS, table), (DR2_CP, cp), (DR2_CLA, cla)):
        columns, _ = render_table(spec, frame, style, notes_seed=seed)
        sheets.append(Sheet(spec.sheet_names[0], columns, title))
    return write_workbook(path, sheets)
