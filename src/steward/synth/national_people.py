"""The people of one local authority over the national study's years, drawn once, vectorised.

Every child is drawn with their whole history (referrals and what followed, periods of care),
so that each collection year's return is a view of the same lives as at its 31 March: one
``LAchildID`` (= SSDA903 ``CHILD``) and one UPN per child, across years and returns. Dates are
day ordinals (``datetime.date.toordinal``).

Volumes follow the national picture: about 1.27 referrals per referred child, 28% of children
referred at 12–17, about 1 in 12 of those entering care within 18 months of the referral,
younger children less often; a stock of children already in care when the window opens makes
the number looked after during each year about ``looked_after_per_year``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

YEAR = 365.25
P_CARE_12_17 = 1 / 12  # referred at 12–17: in care within 18 months
_CARE_WITHIN = 547  # days: 18 months
_REFERRALS = (np.array([1, 2, 3, 4]), np.array([0.78, 0.16, 0.05, 0.01]))
_MEAN_REFERRALS = float((_REFERRALS[0] * _REFERRALS[1]).sum())
# Age at first referral: band (years, inclusive) and share of children.
_AGE_BANDS = ((0, 0, 0.12), (1, 4, 0.20), (5, 9, 0.26), (10, 11, 0.14), (12, 17, 0.28))
SHARE_12_17 = _AGE_BANDS[-1][2]
STARTS_SHARE = 0.4  # of those looked after during a year, the share who started that year
# Care cut short by the 18th birthday and entries after the window's end would otherwise leave
# the number looked after about 12% short of the target.
_CARE_CALIBRATION = 1.13
_CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
_UPN_UNKNOWN = np.array(["UN2", "UN3", "UN4", "UN5"], dtype=object)


@dataclass(frozen=True)
class LaPeople:
    """One LA's children (child rows), CIN episodes and periods of care, whole histories."""

    code: str
    child_id: np.ndarray  # str
    birth: np.ndarray  # ordinal
    sex: np.ndarray  # "M" / "F"
    ethnicity: np.ndarray  # index into the ethnicity code list
    disability: np.ndarray  # -1 none, else index into the disability list
    upn: np.ndarray  # str or None
    upn_unknown: np.ndarray  # "UN1".."UN5" or None
    referred: np.ndarray  # bool: has CIN episodes (the stock in care may not)
    # CIN episodes, ordered by child then referral date.
    ep_child: np.ndarray
    ep_referral: np.ndarray
    ep_closure: np.ndarray  # ordinal, or NO_DATE while still open at the window's end
    ep_nfa: np.ndarray
    ep_draws: np.ndarray  # (episodes, 8) uniforms the renderer turns into codes and events
    # Periods of care, ordered by child then start.
    pc_child: np.ndarray
    pc_start: np.ndarray
    pc_end: np.ndarray  # ordinal, or NO_DATE while still open


NO_DATE = np.iinfo(np.int64).max // 2


def _ordinal(day: dt.date) -> int:
    return day.toordinal()


def _upns(code: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` distinct UPNs of this LA: DfE check letter + LA code + nine distinct digits."""
    # 7919 is prime to 10**9, so distinct child rows give distinct digits.
    offset = int(rng.integers(0, 10**9))
    number = int(code) * 10**9 + (np.arange(n, dtype=np.int64) * 7919 + offset) % 10**9
    # The check letter weights the 12 digits by 2..13 (as ``synth.npd.upn_with_check_letter``).
    total = np.zeros(n, np.int64)
    for position in range(12):
        total += (number // 10 ** (11 - position)) % 10 * (position + 2)
    letters = np.array(list(_CHECK_LETTERS), dtype=object)[total % 23]
    return letters + np.char.zfill(number.astype(str), 12).astype(object)


def _masked(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``values`` where ``keep``, else None (an object array)."""
    out = np.full(len(values), None, dtype=object)
    out[keep] = values[keep]
    return out


def draw_people(
    code: str,
    *,
    referrals_per_year: float,
    looked_after_per_year: float,
    first_year: int,
    last_year: int,
    rng: np.random.Generator,
) -> LaPeople:
    """Draw one LA's people for collection years ``first_year``..``last_year`` (March ends)."""
    # Referrals start a year before the first census, so that it holds episodes carried over.
    window_start = _ordinal(dt.date(first_year - 2, 4, 1))
    window_end = _ordinal(dt.date(last_year, 3, 31))
    years = last_year - first_year + 2
    # Re-referrals cut short by the window's end or the 18th birthday make up for 3%.
    # Counts are Poisson draws: rounding would bias small LAs at small fractions.
    referred = max(1, int(rng.poisson(1.03 * referrals_per_year * years / _MEAN_REFERRALS)))
    first_ref = np.sort(rng.integers(window_start, window_end + 1, referred))
    shares = np.array([b[2] for b in _AGE_BANDS])
    band = rng.choice(len(_AGE_BANDS), referred, p=shares / shares.sum())
    low = np.array([b[0] for b in _AGE_BANDS])[band] * YEAR
    high = (np.array([b[1] for b in _AGE_BANDS])[band] + 1) * YEAR - 1
    birth = (first_ref - (low + rng.random(referred) * (high - low))).astype(np.int64)
    adult = birth + np.int64(18 * YEAR)  # the 18th birthday, near enough

    # Referrals and their episodes, one level of re-referral at a time.
    counts = rng.choice(_REFERRALS[0], referred, p=_REFERRALS[1])
    ref_cols, close_cols, nfa_cols = [], [], []
    ref = first_ref.copy()
    alive = np.ones(referred, bool)
    for level in range(int(counts.max())):
        alive &= (counts > level) & (ref <= window_end) & (ref < adult)
        nfa = rng.random(referred) < 0.08
        length = np.where(
            nfa, rng.integers(0, 21, referred), np.minimum(rng.lognormal(5.1, 0.8, referred), 1100)
        ).astype(np.int64)
        close = np.minimum(ref + length, adult - 1)
        ref_cols.append(np.where(alive, ref, -1))
        close_cols.append(np.where(close > window_end, NO_DATE, close))
        nfa_cols.append(nfa)
        ref = close + rng.integers(30, 541, referred)
    refs = np.stack(ref_cols, axis=1)
    keep = refs >= 0
    ep_child = np.nonzero(keep)[0]
    ep_referral = refs[keep]
    ep_closure = np.stack(close_cols, axis=1)[keep]
    ep_nfa = np.stack(nfa_cols, axis=1)[keep]

    # Care: the chance by age at the first referral, set so that starts make up STARTS_SHARE
    # of those looked after in a year.
    teen = band == len(_AGE_BANDS) - 1
    starts_wanted = _CARE_CALIBRATION * STARTS_SHARE * looked_after_per_year * years
    p_other = (starts_wanted - P_CARE_12_17 * teen.sum()) / max(1, (~teen).sum())
    p_care = np.where(teen, P_CARE_12_17, np.clip(p_other, 0.0, 0.5))
    entry = first_ref + rng.integers(0, _CARE_WITHIN + 1, referred)
    enters = (rng.random(referred) < p_care) & (entry <= window_end) & (entry < adult - 1)
    # A child who enters care is not closed as no further action at the first referral.
    ep_nfa[np.isin(ep_child, np.flatnonzero(enters)) & (ep_referral == first_ref[ep_child])] = False
    care_length = np.where(
        rng.random(referred) < 0.35, rng.exponential(90, referred), rng.exponential(800, referred)
    ).astype(np.int64)
    care_end = np.minimum(entry + 1 + care_length, adult - 1)

    # The stock already in care when the window opens, never referred within it.
    stock = int(rng.poisson(_CARE_CALIBRATION * looked_after_per_year * (1 - STARTS_SHARE)))
    s_start = window_start - rng.integers(1, 6 * 365, stock)
    s_birth = s_start - rng.integers(0, 16 * 365, stock)
    s_end = np.minimum(window_start + rng.exponential(700, stock).astype(np.int64),
                       s_birth + np.int64(18 * YEAR) - 1)  # fmt: skip
    stayed = s_end >= window_start  # those who left before the window are never seen
    s_start, s_birth, s_end = s_start[stayed], s_birth[stayed], s_end[stayed]

    n = referred + len(s_start)
    pc_child = np.concatenate([np.flatnonzero(enters), referred + np.arange(len(s_start))])
    pc_start = np.concatenate([entry[enters], s_start])
    pc_end = np.concatenate([care_end[enters], s_end])
    pc_end = np.where(pc_end > window_end, NO_DATE, pc_end)

    all_birth = np.concatenate([birth, s_birth])
    # A UPN for children of school age (4+) at the first referral; the rest UN1 (under five,
    # not at school) or, rarely, another UPN-unknown reason.
    first_seen = np.concatenate([first_ref, s_start])
    school_age = first_seen - all_birth >= 4 * YEAR
    u = rng.random(n)
    has_upn = school_age & (u >= 0.05)
    unknown = np.where(school_age, _UPN_UNKNOWN[rng.integers(0, 4, n)], "UN1").astype(object)
    upn = _upns(code, n, rng)
    ethnic_u = rng.random(n)
    return LaPeople(
        code=code,
        child_id=np.array([f"{code}C{i:07d}" for i in range(1, n + 1)], dtype=object),
        birth=all_birth,
        sex=np.where(rng.random(n) < 0.51, "M", "F").astype(object),
        ethnicity=np.where(ethnic_u < 0.65, -1, (ethnic_u * 1000).astype(np.int64)),
        disability=np.where(rng.random(n) < 0.08, rng.integers(0, 12, n), -1),
        upn=_masked(upn, has_upn),
        upn_unknown=_masked(unknown, ~has_upn),
        referred=np.arange(n) < referred,
        ep_child=ep_child,
        ep_referral=ep_referral,
        ep_closure=ep_closure,
        ep_nfa=ep_nfa,
        ep_draws=rng.random((len(ep_child), 8)),
        pc_child=pc_child,
        pc_start=pc_start,
        pc_end=pc_end,
    )
