"""Synthetic statutory returns: a CIN census XML file and the SSDA903 CSV tables of one LA.

Both are fictional and plausible rather than realistic: codes come from the collection year's
code lists (``steward.returns.cin_census.codes`` and ``steward.returns.ssda903.spec``), dates
keep their order (referral before assessment before authorisation, plan start before end,
episode start before end) and no date falls after the census reference date. The files are
meant to load with no blocking failure, so tests and benchmarks measure the clean path.

The CIN census is streamed to disk child by child (constant memory whatever ``children``), the
SSDA903 tables in blocks of children; both are written to a temporary name and renamed.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from steward.returns.cin_census import codes as cin_codes
from steward.returns.ssda903 import spec as s903

_ETHNICITY = sorted(cin_codes.ETHNICITY)
_DISABILITY = sorted(cin_codes.DISABILITY - {"NONE"})
_NEED = [f"N{i}" for i in range(1, 10)] + ["N0"]
_ABUSE = sorted(cin_codes.CATEGORY_OF_ABUSE)
_UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
_PP_OUTCOMES = ("A", "B", "C", "D")


def _iso(ordinal: int) -> str:
    return dt.date.fromordinal(ordinal).isoformat()


class _CinChildren:
    """Draws one child's XML at a time for a given collection year."""

    def __init__(self, la_code: str, collection_year: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.la_code = la_code
        self.year = collection_year
        self.census_day = dt.date(collection_year, 3, 31).toordinal()
        self.sources = sorted(cin_codes.referral_sources(collection_year))
        self.closures = sorted(cin_codes.closure_reasons(collection_year))
        self.factors = sorted(cin_codes.assessment_factors(collection_year) - {"21"})
        self.has_plan_dates = collection_year >= 2022
        self.has_sex = collection_year >= 2025
        self.has_pre_proceedings = collection_year >= 2026

    def _upn(self) -> str:
        r = self.rng
        return r.choice(_UPN_LETTERS) + f"{r.randrange(10**12):012d}"

    def _day(self, low: int, high: int) -> int:
        """A day between ``low`` and ``high`` (inclusive), clamped to the census day."""
        high = min(high, self.census_day)
        return min(low, high) if high <= low else self.rng.randint(low, high)

    def child(self, seq: int) -> str:
        r = self.rng
        out: list[str] = ["<Child><ChildIdentifiers>"]
        out.append(f"<LAchildID>{self.la_code}C{seq:08d}</LAchildID>")
        unborn = r.random() < 0.01
        if unborn:
            out.append("<UPNunknown>UN1</UPNunknown>")
        elif r.random() < 0.85:
            out.append(f"<UPN>{self._upn()}</UPN>")
            if r.random() < 0.03:
                out.append(f"<FormerUPN>{self._upn()}</FormerUPN>")
        else:
            out.append(f"<UPNunknown>UN{r.randint(2, 7)}</UPNunknown>")
        if unborn:
            birth = self.census_day + r.randint(1, 150)
            out.append(f"<ExpectedPersonBirthDate>{_iso(birth)}</ExpectedPersonBirthDate>")
            # Referrals of unborn children are dated before the expected birth.
            first_day = self.census_day - 200
        else:
            birth = self.census_day - r.randint(30, 17 * 365)
            out.append(f"<PersonBirthDate>{_iso(birth)}</PersonBirthDate>")
            first_day = birth
        if self.has_sex:
            out.append(f"<Sex>{'U' if unborn else r.choice('MF')}</Sex>")
        else:
            out.append(f"<GenderCurrent>{'0' if unborn else r.choice('12')}</GenderCurrent>")
        out.append("</ChildIdentifiers><ChildCharacteristics>")
        out.append(f"<Ethnicity>{r.choice(_ETHNICITY)}</Ethnicity><Disabilities>")
        if r.random() < 0.12:
            for code in r.sample(_DISABILITY, r.randint(1, 2)):
                out.append(f"<Disability>{code}</Disability>")
        else:
            out.append("<Disability>NONE</Disability>")
        out.append("</Disabilities></ChildCharacteristics>")
        # One episode for most children, two (the first closed) for some.
        start = max(first_day, self.census_day - r.randint(0, 730))
        episodes = 2 if r.random() < 0.15 and start < self.census_day - 120 else 1
        for n in range(episodes):
            last = n == episodes - 1
            end = self._episode(out, start, closed=None if last else True)
            if end >= self.census_day:
                break  # no room for a later referral before the census day
            start = self._day(end + 1, end + 120)
        out.append("</Child>\n")
        return "".join(out)

    def _episode(self, out: list[str], referral: int, *, closed: bool | None) -> int:
        """Append one CINdetails; returns its last day (closure, or the latest event)."""
        r = self.rng
        nfa = r.random() < 0.06
        is_closed = closed if closed is not None else (nfa or r.random() < 0.55)
        closure = self._day(referral, referral + (20 if nfa else 400)) if is_closed else None
        end = closure if closure is not None else self.census_day
        out.append(f"<CINdetails><CINreferralDate>{_iso(referral)}</CINreferralDate>")
        out.append(f"<ReferralSource>{r.choice(self.sources)}</ReferralSource>")
        out.append(f"<PrimaryNeedCode>{r.choice(_NEED)}</PrimaryNeedCode>")
        if closure is not None:
            out.append(f"<CINclosureDate>{_iso(closure)}</CINclosureDate>")
            reason = "RC8" if nfa else r.choice(self.closures)
            out.append(f"<ReasonForClosure>{reason}</ReasonForClosure>")
        s47 = not nfa and r.random() < 0.22
        icpc: int | None = None
        body: list[str] = []
        if not nfa and r.random() < 0.85:
            a_start = self._day(referral, min(end, referral + 10))
            authorised = self._day(a_start, min(end, a_start + 45))
            body.append(f"<Assessments><AssessmentActualStartDate>{_iso(a_start)}")
            body.append("</AssessmentActualStartDate>")
            body.append(f"<AssessmentAuthorisationDate>{_iso(authorised)}")
            body.append("</AssessmentAuthorisationDate><FactorsIdentifiedAtAssessment>")
            for code in r.sample(self.factors, r.randint(1, 3)):
                body.append(f"<AssessmentFactors>{code}</AssessmentFactors>")
            body.append("</FactorsIdentifiedAtAssessment></Assessments>")
        if self.has_plan_dates and not nfa and r.random() < 0.3:
            p_start = self._day(referral + 10, min(end, referral + 60))
            body.append(f"<CINPlanDates><CINPlanStartDate>{_iso(p_start)}</CINPlanStartDate>")
            if closure is not None:
                body.append(f"<CINPlanEndDate>{_iso(max(p_start, closure))}</CINPlanEndDate>")
            body.append("</CINPlanDates>")
        if s47:
            s_start = self._day(referral, min(end, referral + 5))
            target = s_start + 15
            body.append(f"<Section47><S47ActualStartDate>{_iso(s_start)}</S47ActualStartDate>")
            body.append(f"<InitialCPCtarget>{_iso(target)}</InitialCPCtarget>")
            if r.random() < 0.6 and s_start + 10 <= end:
                icpc = self._day(s_start + 5, min(end, s_start + 20))
                body.append(f"<DateOfInitialCPC>{_iso(icpc)}</DateOfInitialCPC>")
                body.append("<ICPCnotRequired>false</ICPCnotRequired>")
            else:
                body.append(f"<ICPCnotRequired>{r.choice(('true', 'false'))}</ICPCnotRequired>")
            body.append("</Section47>")
        if icpc is not None:
            out.append(f"<DateOfInitialCPC>{_iso(icpc)}</DateOfInitialCPC>")
        out.extend(body)
        out.append(f"<ReferralNFA>{'true' if nfa else 'false'}</ReferralNFA>")
        if icpc is not None and r.random() < 0.8:
            self._cp_plan(out, icpc, end)
            if self.has_pre_proceedings and r.random() < 0.2:
                self._pre_proceedings(out, icpc, end)
        out.append("</CINdetails>")
        return end

    def _cp_plan(self, out: list[str], start: int, end: int) -> None:
        r = self.rng
        plan_end = self._day(min(start + 90, end), end) if end < self.census_day else None
        category = r.choice(_ABUSE)
        out.append(f"<ChildProtectionPlans><CPPstartDate>{_iso(start)}</CPPstartDate>")
        if plan_end is not None:
            out.append(f"<CPPendDate>{_iso(plan_end)}</CPPendDate>")
        out.append(f"<InitialCategoryOfAbuse>{category}</InitialCategoryOfAbuse>")
        latest = category if r.random() < 0.8 else r.choice(_ABUSE)
        out.append(f"<LatestCategoryOfAbuse>{latest}</LatestCategoryOfAbuse>")
        # The XSD types this as positiveInteger, so the count starts at 1.
        out.append(f"<NumberOfPreviousCPP>{r.choice((1, 1, 1, 2, 3))}</NumberOfPreviousCPP>")
        review = start + 90
        last = plan_end if plan_end is not None else self.census_day
        reviews: list[str] = []
        while review <= last and len(reviews) < 6:
            reviews.append(f"<CPPreviewDate>{_iso(review)}</CPPreviewDate>")
            review += 180
        if reviews:
            out.append("<Reviews>" + "".join(reviews) + "</Reviews>")
        out.append("</ChildProtectionPlans>")

    def _pre_proceedings(self, out: list[str], start: int, end: int) -> None:
        r = self.rng
        pp = self._day(start, end)
        letter = self._day(pp, pp + 14)
        meeting = self._day(letter, letter + 14)
        out.append(f"<PreProceedingsandFGDM><PPStartDate>{_iso(pp)}</PPStartDate>")
        out.append(f"<LBPSentDate>{_iso(letter)}</LBPSentDate>")
        out.append(f"<FGDMMeetingOffer>{r.choice('01')}</FGDMMeetingOffer>")
        out.append(f"<FGDMMeetingFac>{r.choice('01')}</FGDMMeetingFac>")
        out.append(f"<InitialPPMeetingDate>{_iso(meeting)}</InitialPPMeetingDate>")
        out.append(f"<ReviewMeetingsCount>{r.randint(0, 4)}</ReviewMeetingsCount>")
        out.append(f"<PPOutcome>{r.choice(_PP_OUTCOMES)}</PPOutcome>")
        out.append("</PreProceedingsandFGDM>")


def cin_header(la_code: str, collection_year: int) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Message><Header><CollectionDetails>'
        f"<Collection>CIN</Collection><Year>{collection_year}</Year>"
        f"<ReferenceDate>{collection_year}-03-31</ReferenceDate></CollectionDetails>"
        f"<Source><SourceLevel>L</SourceLevel><LEA>{la_code}</LEA>"
        "<SoftwareCode>Steward synthetic</SoftwareCode><Release>1</Release>"
        f"<SerialNo>001</SerialNo><DateTime>{collection_year}-05-01T09:00:00</DateTime>"
        "</Source></Header>\n<Children>\n"
    )


def atomic_target(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def write_cin_census(
    path: Path, *, children: int, la_code: str, collection_year: int, seed: int
) -> Path:
    """Write a synthetic CIN census of ``children`` children for one LA and collection year.

    ``collection_year`` is the year the census ends in (2023-24 → 2024); the header carries
    ``Year`` and the 31 March ``ReferenceDate``. Up to 2023-24 children carry
    ``GenderCurrent``, from 2024-25 ``Sex``; ``CINPlanDates`` appear from 2021-22 and
    pre-proceedings from 2025-26, as in ``steward.returns.cin_census.spec``. Children are
    streamed to disk, so memory does not grow with ``children``. Returns ``path``.
    """
    if not (len(la_code) == 3 and la_code.isdigit()):
        raise ValueError(f"la_code must be a three-digit DfE LA code, not {la_code!r}")
    if children < 1:
        raise ValueError("a CIN census needs at least one child")
    draw = _CinChildren(la_code, collection_year, seed)
    tmp = atomic_target(path)
    try:
        with tmp.open("w", encoding="utf-8", buffering=1 << 20) as fh:
            fh.write(cin_header(la_code, collection_year))
            block: list[str] = []
            for seq in range(1, children + 1):
                block.append(draw.child(seq))
                if len(block) == 2000:
                    fh.write("".join(block))
                    block.clear()
            fh.write("".join(block))
            fh.write("</Children>\n</Message>\n")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


# --- SSDA903 ----------------------------------------------------------------------------------

_903_FIRST = dt.date(1995, 1, 1).toordinal()
_903_LAST = dt.date(2045, 12, 31).toordinal()
# Every day's dd/mm/YYYY text, looked up by ordinal: formatting millions of dates one by one
# would dominate the writer's time.
_903_DAYS = np.array(
    [dt.date.fromordinal(d).strftime("%d/%m/%Y") for d in range(_903_FIRST, _903_LAST + 1)],
    dtype=object,
)
_903_CENSUS = dt.date(2024, 3, 31).toordinal()
_903_BLOCK = 20_000
_903_TABLES = ("header", "episodes", "uasc", "reviews", "missing")
_RNE_LATER = np.array(["P", "T", "L", "B", "U"], dtype=object)
_LS_MAIN = np.array(["C2", "C1", "V2", "E1", "C2", "V2"], dtype=object)
_PLACE = np.array([p for p in s903.PLACE if p != "K3"], dtype=object)
_PROVIDER = np.array(s903.PLACE_PROVIDER, dtype=object)
_REC_FINAL = np.array(["E11", "E13", "E41", "E45", "E4A", "E4B", "E8", "E17"], dtype=object)
_RPC = np.array(s903.REASON_PLACE_CHANGE, dtype=object)
_CIN_NEED = np.array(s903.CIN_NEED, dtype=object)
_903_ETHNIC = np.array(s903.ETHNIC, dtype=object)
_OUTWARD = np.array(
    # Q and X start no real postcode area, so no district here is a real place.
    [f"{a}{b}{n}" for a in "QX" for b in "ABCDEFGH" for n in range(1, 10)],
    dtype=object,
)
_INWARD_LETTERS = np.array(list("ABDEFGHJLNPQRSTUWXYZ"), dtype=object)


def ssda903_dates(ordinals: np.ndarray, present: np.ndarray | None = None) -> np.ndarray:
    text = _903_DAYS[np.clip(ordinals, _903_FIRST, _903_LAST) - _903_FIRST]
    if present is not None:
        text = np.where(present, text, "")
    return text


def synthetic_postcodes(rng: np.random.Generator, n: int) -> np.ndarray:
    outward = _OUTWARD[rng.integers(0, len(_OUTWARD), n)]
    digit = rng.integers(1, 10, n).astype(str).astype(object)
    letters = _INWARD_LETTERS[rng.integers(0, 20, n)] + _INWARD_LETTERS[rng.integers(0, 20, n)]
    return outward + " " + digit + letters


def _903_block(rng: np.random.Generator, first_id: int, n: int) -> dict[str, pd.DataFrame]:
    """The five tables for ``n`` children with ids from ``first_id``."""
    ids = np.arange(first_id, first_id + n).astype(str).astype(object)
    sex = rng.choice(np.array(["1", "2"], dtype=object), n)
    # Episodes: each child 1–6 of them, back to back, all before the census day; the child
    # was born before the first and is under 17 on the census day.
    counts = rng.choice(np.arange(1, 7), n, p=[0.4, 0.25, 0.15, 0.1, 0.06, 0.04])
    owner = np.repeat(np.arange(n), counts)
    m = len(owner)
    first = np.r_[True, owner[1:] != owner[:-1]]
    last = np.r_[owner[1:] != owner[:-1], True]
    length = rng.integers(7, 400, m)
    in_care = np.bincount(owner, weights=length, minlength=n).astype(np.int64)
    gap = np.where(rng.random(n) < 0.5, 0, rng.integers(0, 900, n))
    care_start = _903_CENSUS - in_care - gap
    age_at_start = rng.integers(1, np.maximum(2, 17 * 365 - in_care - gap))
    dob = care_start - age_at_start
    dob_text = ssda903_dates(dob)
    upn = np.where(
        rng.random(n) < 0.8,
        rng.choice(np.array(list(_UPN_LETTERS), dtype=object), n)
        + np.char.zfill(rng.integers(0, 10**12, n).astype(str), 12).astype(object),
        "",
    )
    header = pd.DataFrame(
        {
            "CHILD": ids,
            "SEX": sex,
            "DOB": dob_text,
            "ETHNIC": _903_ETHNIC[rng.integers(0, len(_903_ETHNIC), n)],
            "UPN": upn,
            "MOTHER": "",
            "MC_DOB": "",
        }
    )
    offsets = np.cumsum(length) - length
    offsets -= np.repeat(offsets[first], counts)
    decom = care_start[owner] + offsets
    dec = decom + length
    # A child's last episode is still open on the census day when it reaches it.
    open_last = last & (np.repeat(gap, counts) == 0)
    closed = ~open_last
    # The reason each episode's successor starts (the last entry is never used).
    next_rne = np.append(_RNE_LATER[rng.integers(0, 5, m - 1)], "P").astype(object)
    rne = np.where(first, "S", np.roll(next_rne, 1))
    rec = np.where(last, _REC_FINAL[rng.integers(0, len(_REC_FINAL), m)], "X1")
    placement_change = ~last & np.isin(next_rne, ["P", "T", "B", "U"])
    episodes = pd.DataFrame(
        {
            "CHILD": ids[owner],
            "DECOM": ssda903_dates(decom),
            "RNE": rne,
            "LS": _LS_MAIN[rng.integers(0, len(_LS_MAIN), n)][owner],
            "CIN": _CIN_NEED[rng.integers(0, len(_CIN_NEED), n)][owner],
            "PLACE": _PLACE[rng.integers(0, len(_PLACE), m)],
            "PLACE_PROVIDER": _PROVIDER[rng.integers(0, len(_PROVIDER), m)],
            "DEC": ssda903_dates(dec, closed),
            "REC": np.where(closed, rec, ""),
            "REASON_PLACE_CHANGE": np.where(
                closed & placement_change, _RPC[rng.integers(0, len(_RPC), m)], ""
            ),
            "HOME_POST": np.where(rng.random(m) < 0.9, synthetic_postcodes(rng, m), ""),
            "PL_POST": np.where(rng.random(m) < 0.85, synthetic_postcodes(rng, m), ""),
            "URN": np.where(
                rng.random(m) < 0.7, rng.integers(1_000_000, 9_999_999, m).astype(str), ""
            ),
        }
    )
    # Unaccompanied asylum-seeking children arrive older: only those aged 10 or more.
    uasc_rows = np.flatnonzero((rng.random(n) < 0.08) & (_903_CENSUS - dob > 10 * 365))
    uasc = pd.DataFrame(
        {
            "CHILD": ids[uasc_rows],
            "SEX": sex[uasc_rows],
            "DOB": dob_text[uasc_rows],
            "DUC": ssda903_dates(dob[uasc_rows] + 18 * 365),
        }
    )
    review_counts = rng.integers(0, 5, n)
    r_owner = np.repeat(np.arange(n), review_counts)
    r_first = np.r_[True, r_owner[1:] != r_owner[:-1]] if len(r_owner) else np.array([], bool)
    r_seq = np.arange(len(r_owner)) - np.repeat(
        np.flatnonzero(r_first), review_counts[review_counts > 0]
    )
    review_day = care_start[r_owner] + 20 + 180 * r_seq
    # Reviews are held while in care and before the census day; later ones are not drawn.
    held = review_day <= _903_CENSUS
    r_owner, review_day = r_owner[held], review_day[held]
    reviews = pd.DataFrame(
        {
            "CHILD": ids[r_owner],
            "DOB": dob_text[r_owner],
            "REVIEW": ssda903_dates(review_day),
            "REVIEW_CODE": np.array(s903.REVIEW_CODE, dtype=object)[
                rng.integers(0, len(s903.REVIEW_CODE), len(r_owner))
            ],
        }
    )
    missing_counts = np.where(rng.random(n) < 0.1, rng.integers(1, 4, n), 0)
    mi_owner = np.repeat(np.arange(n), missing_counts)
    k = len(mi_owner)
    mis_start = care_start[mi_owner] + rng.integers(0, 600, k)
    held = mis_start <= _903_CENSUS
    mi_owner, mis_start = mi_owner[held], mis_start[held]
    k = len(mi_owner)
    mis_end = mis_start + rng.integers(0, 10, k)
    missing = pd.DataFrame(
        {
            "CHILD": ids[mi_owner],
            "DOB": dob_text[mi_owner],
            "MISSING": np.array(["M", "A"], dtype=object)[rng.integers(0, 2, k)],
            "MIS_START": ssda903_dates(mis_start),
            "MIS_END": ssda903_dates(mis_end, mis_end <= _903_CENSUS),
        }
    ).drop_duplicates(["CHILD", "MIS_START"])
    return {
        "header": header,
        "episodes": episodes,
        "uasc": uasc,
        "reviews": reviews,
        "missing": missing,
    }


def _blocks(children: int, seed: int) -> Iterator[dict[str, pd.DataFrame]]:
    rng = np.random.default_rng(seed)
    first_id = 100_000 + int(rng.integers(0, 100_000))
    for start in range(0, children, _903_BLOCK):
        n = min(_903_BLOCK, children - start)
        yield _903_block(rng, first_id + start, n)


def write_ssda903(folder: Path, *, children: int, la_code: str, seed: int) -> dict[str, Path]:
    """Write the SSDA903 header, episodes, uasc, reviews and missing CSVs of one LA.

    Files are named ``{la_code}_{table}.csv`` so that ingest can tell the LA from the name
    (SSDA903 files carry no LA code); columns, ``dd/mm/YYYY`` dates and codes follow
    ``steward.returns.ssda903.spec``. The returns are as at 31 March 2024. Children are
    written in blocks, so memory grows with the block, not with ``children``. Returns the
    path of each table by name.
    """
    if children < 1:
        raise ValueError("the SSDA903 tables need at least one child")
    folder.mkdir(parents=True, exist_ok=True)
    paths = {t: folder / f"{la_code}_{t}.csv" for t in _903_TABLES}
    tmps = {t: atomic_target(p) for t, p in paths.items()}
    handles = {t: tmps[t].open("w", encoding="utf-8", newline="") for t in _903_TABLES}
    try:
        for number, block in enumerate(_blocks(children, seed)):
            for table, frame in block.items():
                frame.to_csv(handles[table], index=False, header=number == 0)
        for handle in handles.values():
            handle.close()
        for table, tmp in tmps.items():
            tmp.replace(paths[table])
    finally:
        for table, handle in handles.items():
            handle.close()
            tmps[table].unlink(missing_ok=True)
    return paths
