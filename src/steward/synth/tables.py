"""Canonical DR2 / DR3 tables built from a synthetic population, with row-level mess."""

from __future__ import annotations

import numpy as np
import pandas as pd

from steward.returns.layout import CHILD_ATTRIBUTES

ATTRIBUTE_NAMES = tuple(f.name for f in CHILD_ATTRIBUTES)


def with_attributes(events: pd.DataFrame, children: pd.DataFrame, *, mess: bool) -> pd.DataFrame:
    """``events`` (with a ``child_row`` column) joined to the child attributes the LA records.

    With ``mess``, children flagged for it lose their ethnicity or get a birth month 1–3 months
    after their first referral (a keying error the reader must catch), the same in every sheet.
    """
    rows = events["child_row"].to_numpy()
    out = events.copy()
    out["child_id"] = children["child_id"].to_numpy()[rows]
    for name in ATTRIBUTE_NAMES:
        out[name] = children[name].to_numpy()[rows]
    if mess:
        missing_eth = children["mess_missing_ethnicity"].to_numpy()[rows]
        eth = out["ethnicity"].to_numpy(dtype=object).copy()
        eth[missing_eth] = None
        out["ethnicity"] = eth
        after = children["mess_birth_after"].to_numpy()[rows]
        if after.any():
            first = children["first_referral_date"].to_numpy(dtype="datetime64[D]")[rows]
            event_month = first.astype("datetime64[M]")
            shift = (1 + children["child_no"].to_numpy()[rows] % 3).astype("timedelta64[M]")
            wrong = (event_month + shift).astype("datetime64[D]")
            births = out["birth_month"].to_numpy(dtype="datetime64[D]").copy()
            births[after] = wrong[after]
            out["birth_month"] = births
    return out


def referral_table(referrals: pd.DataFrame, children: pd.DataFrame, *, mess: bool) -> pd.DataFrame:
    """The DR2 referrals sheet: one row per referral (with duplicated first referrals if mess)."""
    table = with_attributes(referrals, children, mess=mess)
    if mess:
        dup_child = children["mess_duplicate"].to_numpy()[table["child_row"].to_numpy()]
        dups = table[table["first"].to_numpy() & dup_child].copy()
        if len(dups):
            # Same child and date keyed twice, under a second case id.
            dups["referral_id"] = [f"{r}A" for r in dups["referral_id"].tolist()]
            table = pd.concat([table, dups], ignore_index=True)
            table = table.sort_values(["referral_date", "child_row"], kind="stable")
            table = table.reset_index(drop=True)
    return table


def event_subset(
    rng: np.random.Generator, referrals: pd.DataFrame, p: float, lag: tuple[int, int], name: str
) -> pd.DataFrame:
    """A share ``p`` of non-NFA referrals with an event ``lag`` days (uniform range) after each."""
    eligible = referrals[referrals["referral_nfa"].to_numpy() < 0.5]
    chosen = eligible[rng.random(len(eligible)) < p].copy()
    days = rng.integers(lag[0], lag[1] + 1, size=len(chosen)).astype("timedelta64[D]")
    chosen[name] = chosen["referral_date"].to_numpy(dtype="datetime64[D]") + days
    return chosen
