"""A plain pandas version of the deterministic linkage, obviously correct and slow.

It takes the current rows of each store table (``ResearchStore.current``) and applies the rules
of :mod:`steward.linkage.deterministic` one child at a time; the tests hold the SQL to it.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from steward.linkage.deterministic import DR_CHILD_TABLES, LINKAGE_COLUMNS
from steward.study.definition import CohortSources


def _academic_year(date: object) -> int | None:
    if date is None or pd.isna(date):  # type: ignore[call-overload]
        return None
    ts = pd.Timestamp(date)  # type: ignore[arg-type]
    return ts.year if ts.month >= 9 else ts.year - 1


def _first(frame: pd.DataFrame, key: tuple[str, str], column: str) -> object:
    rows = frame[(frame["la_code"] == key[0]) & (frame["child_pid"] == key[1])]
    return rows[column].iloc[0] if len(rows) else None


def link_reference(
    tables: Mapping[str, pd.DataFrame],
    *,
    with_npd: bool,
    sources: CohortSources = "evaluation_returns",
) -> pd.DataFrame:
    """The linkage table from ``tables`` (store table name -> its current rows); its children
    are the DR children, or for ``statutory_returns`` the children referred in the CIN census."""
    children: dict[tuple[str, str], object] = {}
    statutory = sources == "statutory_returns"
    referrals = "cin_episodes" if statutory else "dr2_referrals"
    for name in (referrals,) if statutory else DR_CHILD_TABLES:
        frame = tables[name]
        for _, row in frame[frame["child_pid"].notna()].iterrows():
            key = (row["la_code"], row["child_pid"])
            date = row["referral_date"] if name == referrals else None
            known = children.get(key)
            if date is not None and not pd.isna(date) and (known is None or date < known):
                children[key] = date
            else:
                children.setdefault(key, None)
    care = ("s903_periods_of_care",) if statutory else ("dr2_cla", "dr3_periods_of_care")
    looked_after = {(r["la_code"], r["child_pid"]) for n in care
                    for _, r in tables[n].iterrows()}  # fmt: skip
    cin, s903 = tables["cin_children"], tables["s903_header"]
    cin_keys = set(zip(cin["la_code"], cin["child_pid"], strict=True))
    s903_keys = set(zip(s903["la_code"], s903["child_pid"], strict=True))
    lookup: dict[str, str] = {}
    extract: set[str] = set()
    if with_npd:
        lk = tables["npd_pmr_lookup"]
        lookup = {u: p for u, p in zip(lk["upn_pid"], lk["pmr"], strict=True) if p is not None}
        extract = set(tables["npd_absence"]["pmr"]) | set(tables["npd_fsm"]["pmr"])
    rows = []
    for key in sorted(children):
        in_cin, in_s903 = key in cin_keys, key in s903_keys
        upn = _first(cin, key, "upn_pid") if in_cin else None
        if upn is None and in_s903:
            upn = _first(s903, key, "upn_pid")
        former = _first(cin, key, "former_upn_pid") if in_cin else None
        code = _first(cin, key, "upn_unknown") if in_cin else None
        code = str(code).strip().upper() if code is not None else None
        pmr = status = None
        if with_npd:
            pmr = lookup.get(str(upn)) if upn is not None else None
            if pmr is None and former is not None:
                pmr = lookup.get(str(former))
            if not in_cin and not in_s903:
                status = "no_statutory_record"
            elif upn is None and former is None:
                status = ("not_school_age" if code == "UN1" else
                          "upn_unknown" if code is not None else "no_upn")  # fmt: skip
            elif pmr is None:
                status = "no_pmr"
            else:
                status = "matched" if pmr in extract else "not_in_extract"
        rows.append({
            "la_code": key[0], "child_pid": key[1],
            "first_referral_year": _academic_year(children[key]),
            "looked_after": key in looked_after,
            "cin_status": "matched" if in_cin else "not_in_cin_census",
            "s903_status": "matched" if in_s903 else ("not_in_ssda903" if key in looked_after
                                                      else None),
            "upn_pid": upn, "upn_unknown": code, "pmr": pmr, "npd_status": status,
        })  # fmt: skip
    return pd.DataFrame(rows, columns=list(LINKAGE_COLUMNS))
