"""One collection year's SSDA903 tables of one LA, as a view of ``LaPeople`` at its 31 March.

Each period of care is cut once into back-to-back episodes (placement changes), with reviews
and missing episodes; a year's tables hold the children looked after at some point in the year
and the episodes, reviews and missing episodes that touch it. An episode still open on the
reference date has no end date or reason yet. Columns and codes are those
``steward.synth.statutory.write_ssda903`` writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from steward.returns.cin_census import codes as cin_codes
from steward.returns.ssda903 import spec as s903
from steward.synth.national_people import NO_DATE, LaPeople
from steward.synth.statutory import atomic_target, ssda903_dates, synthetic_postcodes

TABLES = ("header", "episodes", "uasc", "reviews", "missing")
_ETHNICITY = np.array(sorted(cin_codes.ETHNICITY - {"WBRI"}), dtype=object)
_RNE_LATER = np.array(["P", "T", "L", "B", "U"], dtype=object)
_LS_MAIN = np.array(["C2", "C1", "V2", "E1", "C2", "V2"], dtype=object)
_PLACE = np.array([p for p in s903.PLACE if p != "K3"], dtype=object)
_PROVIDER = np.array(s903.PLACE_PROVIDER, dtype=object)
_REC_FINAL = np.array(["E11", "E13", "E41", "E45", "E4A", "E4B", "E8", "E17"], dtype=object)
_RPC = np.array(s903.REASON_PLACE_CHANGE, dtype=object)
_CIN_NEED = np.array(s903.CIN_NEED, dtype=object)
_REVIEW_CODE = np.array(s903.REVIEW_CODE, dtype=object)


@dataclass(frozen=True)
class CareHistory:
    """Every episode, review and missing episode of one LA's periods of care (whole lives)."""

    frames: dict[str, pd.DataFrame]  # episodes, reviews, missing with ordinal day columns
    uasc: np.ndarray  # bool per child


def ethnicity_codes(index: np.ndarray) -> np.ndarray:
    """The DfE ethnicity code of each drawn index (-1 = White British)."""
    return np.where(index < 0, "WBRI", _ETHNICITY[np.maximum(index, 0) % len(_ETHNICITY)])


def draw_care(people: LaPeople, rng: np.random.Generator, window_end: int) -> CareHistory:
    """Cut each period of care into episodes and draw its reviews and missing episodes."""
    p = len(people.pc_child)
    start = people.pc_start
    end = np.where(people.pc_end == NO_DATE, -1, people.pc_end)
    span = np.where(end < 0, window_end + 365, end) - start
    wanted = rng.choice(np.arange(1, 5), p, p=[0.5, 0.25, 0.15, 0.1])
    counts = np.clip(np.minimum(wanted, span // 30), 1, None)
    owner = np.repeat(np.arange(p), counts)
    m = len(owner)
    first = np.r_[True, owner[1:] != owner[:-1]] if m else np.zeros(0, bool)
    last = np.r_[owner[1:] != owner[:-1], True] if m else np.zeros(0, bool)
    seq = np.arange(m) - np.repeat(np.cumsum(counts) - counts, counts)
    # Episode j of k starts in the j-th k-th of the period: strictly after the one before.
    cut = start[owner] + (span[owner] * (seq + rng.random(m)) // counts[owner]).astype(np.int64)
    decom = np.where(first, start[owner], cut)
    dec = np.where(last, end[owner], np.roll(decom, -1))
    next_rne = _RNE_LATER[rng.integers(0, 5, m)]
    rne = np.where(first, "S", np.roll(next_rne, 1))
    change = ~last & np.isin(next_rne, ["P", "T", "B", "U"])
    child = people.pc_child[owner]
    episodes = pd.DataFrame(
        {
            "child": child,
            "decom": decom,
            "dec": dec,  # -1: open at the window's end
            "RNE": rne,
            "LS": _LS_MAIN[rng.integers(0, len(_LS_MAIN), p)][owner],
            "CIN": _CIN_NEED[rng.integers(0, len(_CIN_NEED), p)][owner],
            "PLACE": _PLACE[rng.integers(0, len(_PLACE), m)],
            "PLACE_PROVIDER": _PROVIDER[rng.integers(0, len(_PROVIDER), m)],
            "rec": np.where(last, _REC_FINAL[rng.integers(0, len(_REC_FINAL), m)], "X1"),
            "rpc": np.where(change, _RPC[rng.integers(0, len(_RPC), m)], ""),
            "HOME_POST": np.where(rng.random(m) < 0.9, synthetic_postcodes(rng, m), ""),
            "PL_POST": np.where(rng.random(m) < 0.85, synthetic_postcodes(rng, m), ""),
            "URN": np.where(
                rng.random(m) < 0.7, rng.integers(1_000_000, 9_999_999, m).astype(str), ""
            ),
        }
    )
    stop = np.where(end < 0, window_end, end)
    n_reviews = np.maximum(0, (stop - start - 20) // 180 + 1)
    r_owner = np.repeat(np.arange(p), n_reviews)
    r_seq = np.arange(len(r_owner)) - np.repeat(np.cumsum(n_reviews) - n_reviews, n_reviews)
    reviews = pd.DataFrame(
        {
            "child": people.pc_child[r_owner],
            "day": start[r_owner] + 20 + 180 * r_seq,
            "REVIEW_CODE": _REVIEW_CODE[rng.integers(0, len(_REVIEW_CODE), len(r_owner))],
        }
    )
    n_missing = np.where(rng.random(p) < 0.1, rng.integers(1, 4, p), 0)
    mi_owner = np.repeat(np.arange(p), n_missing)
    k = len(mi_owner)
    mis_start = start[mi_owner] + (rng.random(k) * (stop - start)[mi_owner]).astype(np.int64)
    missing = pd.DataFrame(
        {
            "child": people.pc_child[mi_owner],
            "start": mis_start,
            "end": mis_start + rng.integers(0, 10, k),
            "MISSING": np.array(["M", "A"], dtype=object)[rng.integers(0, 2, k)],
        }
    ).drop_duplicates(["child", "start"])
    # Unaccompanied asylum-seeking children arrive older: only those 10 or more at entry.
    uasc = np.zeros(len(people.child_id), bool)
    older = (start - people.birth[people.pc_child]) > 10 * 365
    uasc[people.pc_child[older & (rng.random(p) < 0.06)]] = True
    return CareHistory({"episodes": episodes, "reviews": reviews, "missing": missing}, uasc)


def write_903_year(
    people: LaPeople, care: CareHistory, folder: Path, year: int
) -> tuple[dict[str, Path], int]:
    """Write ``people``'s SSDA903 tables for collection ``year``; (paths, children)."""
    reference = dt.date(year, 3, 31).toordinal()
    year_start = dt.date(year - 1, 4, 1).toordinal()
    e = care.frames["episodes"]
    e = e[(e["decom"] <= reference) & ((e["dec"] < 0) | (e["dec"] >= year_start))]
    closed = ((e["dec"] >= 0) & (e["dec"] <= reference)).to_numpy()
    ids = people.child_id
    episodes = pd.DataFrame(
        {
            "CHILD": ids[e["child"].to_numpy()],
            "DECOM": ssda903_dates(e["decom"].to_numpy()),
            "RNE": e["RNE"].to_numpy(),
            "LS": e["LS"].to_numpy(),
            "CIN": e["CIN"].to_numpy(),
            "PLACE": e["PLACE"].to_numpy(),
            "PLACE_PROVIDER": e["PLACE_PROVIDER"].to_numpy(),
            "DEC": ssda903_dates(e["dec"].to_numpy(), closed),
            "REC": np.where(closed, e["rec"].to_numpy(), ""),
            "REASON_PLACE_CHANGE": np.where(closed, e["rpc"].to_numpy(), ""),
            "HOME_POST": e["HOME_POST"].to_numpy(),
            "PL_POST": e["PL_POST"].to_numpy(),
            "URN": e["URN"].to_numpy(),
        }
    )
    children = np.unique(e["child"].to_numpy())
    dob = ssda903_dates(people.birth[children])
    upn = np.where(people.upn[children] == None, people.upn_unknown[children],  # noqa: E711
                   people.upn[children])  # fmt: skip
    header = pd.DataFrame(
        {
            "CHILD": ids[children],
            "SEX": np.where(people.sex[children] == "M", "1", "2"),
            "DOB": dob,
            "ETHNIC": ethnicity_codes(people.ethnicity[children]),
            "UPN": upn,
            "MOTHER": "",
            "MC_DOB": "",
        }
    )
    asylum = care.uasc[children]
    uasc = pd.DataFrame(
        {
            "CHILD": ids[children[asylum]],
            "SEX": header["SEX"].to_numpy()[asylum],
            "DOB": dob[asylum],
            "DUC": ssda903_dates(people.birth[children[asylum]] + 18 * 365),
        }
    )
    dob_of = dict(zip(children.tolist(), dob.tolist(), strict=True))
    r = care.frames["reviews"]
    r = r[(r["day"] >= year_start) & (r["day"] <= reference)]
    reviews = pd.DataFrame(
        {
            "CHILD": ids[r["child"].to_numpy()],
            "DOB": [dob_of.get(c, "") for c in r["child"].tolist()],
            "REVIEW": ssda903_dates(r["day"].to_numpy()),
            "REVIEW_CODE": r["REVIEW_CODE"].to_numpy(),
        }
    )
    mi = care.frames["missing"]
    mi = mi[(mi["start"] >= year_start) & (mi["start"] <= reference)]
    missing = pd.DataFrame(
        {
            "CHILD": ids[mi["child"].to_numpy()],
            "DOB": [dob_of.get(c, "") for c in mi["child"].tolist()],
            "MISSING": mi["MISSING"].to_numpy(),
            "MIS_START": ssda903_dates(mi["start"].to_numpy()),
            "MIS_END": ssda903_dates(mi["end"].to_numpy(), (mi["end"] <= reference).to_numpy()),
        }
    )
    tables = {"header": header, "episodes": episodes, "uasc": uasc, "reviews": reviews,
              "missing": missing}  # fmt: skip
    paths: dict[str, Path] = {}
    for name, frame in tables.items():
        path = folder / f"{people.code}_{name}_mar{year}.csv"
        tmp = atomic_target(path)
        try:
            frame.to_csv(tmp, index=False, lineterminator="\n")
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)
        paths[name] = path
    return paths, len(children)
