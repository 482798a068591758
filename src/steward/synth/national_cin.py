"""One collection year's CIN census of one LA, as a view of ``LaPeople`` at its 31 March.

An episode is in the census when it was open at some point in the year (referred by the
reference date, not closed before the year began); anything after the reference date (a later
closure, an assessment not yet authorised, plan reviews to come) is left out, so the same
episode reads the same in every year it appears in, only more complete. Elements come in the
order of the year's XSD, as ``steward.synth.statutory`` writes them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from steward.returns.cin_census import codes as cin_codes
from steward.synth.national_903 import ethnicity_codes
from steward.synth.national_people import LaPeople
from steward.synth.statutory import atomic_target, cin_header

_FIRST = dt.date(1980, 1, 1).toordinal()
_LAST = dt.date(2030, 12, 31).toordinal()
_ISO = [dt.date.fromordinal(d).isoformat() for d in range(_FIRST, _LAST + 1)]
_DISABILITY = sorted(cin_codes.DISABILITY - {"NONE"})
_NEED = sorted(cin_codes.PRIMARY_NEED)
_ABUSE = sorted(cin_codes.CATEGORY_OF_ABUSE)
_BLOCK = 20_000  # episodes rendered at a time


_ISO_ARRAY = np.array(_ISO, dtype=object)


def _iso(days: np.ndarray) -> np.ndarray:
    """ISO text of each day ordinal (days outside the table, never shown, are clamped)."""
    return _ISO_ARRAY[np.clip(days, _FIRST, _LAST) - _FIRST]


def _pick(codes: list[str], u: np.ndarray) -> np.ndarray:
    return np.array(codes, dtype=object)[(u * len(codes)).astype(np.int64)]


def _frac(u: np.ndarray, k: int) -> np.ndarray:
    """A second uniform from ``u`` (its scaled fractional part), to save drawing more."""
    return (u * k) % 1.0


def _tag(name: str, text: np.ndarray, present: np.ndarray | None = None) -> np.ndarray:
    element = f"<{name}>" + text + f"</{name}>"
    return element if present is None else np.where(present, element, "")


class _Year:
    """Code lists and switches of one collection year."""

    def __init__(self, year: int) -> None:
        self.year = year
        self.reference = dt.date(year, 3, 31).toordinal()
        self.start = dt.date(year - 1, 4, 1).toordinal()
        self.sources = sorted(cin_codes.referral_sources(year))
        self.closures = sorted(cin_codes.closure_reasons(year) - {"RC8"})
        self.factors = sorted(cin_codes.assessment_factors(year) - {"21"})
        self.has_plan_dates = year >= 2022
        self.has_sex = year >= 2025


def _episodes_xml(people: LaPeople, episodes: np.ndarray, y: _Year) -> np.ndarray:
    """The CINdetails element of each of ``episodes`` as at ``y``'s reference date."""
    ref = people.ep_referral[episodes]
    close_all = people.ep_closure[episodes]
    closed = close_all <= y.reference
    last = np.where(closed, close_all, y.reference)  # nothing after this day is reported
    cap = np.minimum(close_all, _LAST)
    nfa = people.ep_nfa[episodes]
    u = people.ep_draws[episodes]
    out = (
        "<CINdetails>"
        + _tag("CINreferralDate", _iso(ref))
        + _tag("ReferralSource", _pick(y.sources, u[:, 0]))
        + _tag("PrimaryNeedCode", _pick(_NEED, u[:, 1]))
        + _tag("CINclosureDate", _iso(close_all), closed)
        + _tag("ReasonForClosure", np.where(nfa, "RC8", _pick(y.closures, u[:, 2])), closed)
    )
    # Assessment: started within 10 days of the referral, authorised within 45 of the start.
    a_start = np.minimum(ref + (_frac(u[:, 4], 7) * 11).astype(np.int64), cap)
    authorised = np.minimum(a_start + (_frac(u[:, 4], 37) * 46).astype(np.int64), cap)
    assessed = ~nfa & (u[:, 3] < 0.85) & (a_start <= last)
    first = (_frac(u[:, 5], 7) * len(y.factors)).astype(np.int64)
    factors = (1 + u[:, 5] * 3).astype(np.int64)
    listed = np.array(y.factors, dtype=object)
    assessment = (
        "<Assessments>"
        + _tag("AssessmentActualStartDate", _iso(a_start))
        + _tag("AssessmentAuthorisationDate", _iso(authorised), authorised <= last)
        + "<FactorsIdentifiedAtAssessment>"
        + _tag("AssessmentFactors", listed[first % len(listed)])
        + _tag("AssessmentFactors", listed[(first + 1) % len(listed)], factors > 1)
        + _tag("AssessmentFactors", listed[(first + 2) % len(listed)], factors > 2)
        + "</FactorsIdentifiedAtAssessment></Assessments>"
    )
    # CIN plan dates (collected from 2021-22): the plan ends when the episode closes.
    p_start = np.minimum(ref + 10 + (_frac(u[:, 6], 23) * 51).astype(np.int64), cap)
    planned = y.has_plan_dates & ~nfa & (u[:, 6] < 0.3) & (p_start <= last)
    plan = (
        "<CINPlanDates>"
        + _tag("CINPlanStartDate", _iso(p_start))
        + _tag("CINPlanEndDate", _iso(close_all), closed)
        + "</CINPlanDates>"
    )
    # Section 47 enquiry, an initial conference for most, a protection plan after most of those.
    s_start = np.minimum(ref + (_frac(u[:, 7], 29) * 6).astype(np.int64), cap)
    s47 = ~nfa & (u[:, 7] < 0.22) & (s_start <= last)
    icpc = s_start + 5 + (_frac(u[:, 7], 37) * 16).astype(np.int64)
    conference = s47 & (_frac(u[:, 7], 31) < 0.6) & (icpc <= cap) & (icpc <= last)
    not_required = np.where(conference | (_frac(u[:, 7], 43) >= 0.5), "false", "true")
    section47 = (
        "<Section47>"
        + _tag("S47ActualStartDate", _iso(s_start))
        + _tag("InitialCPCtarget", _iso(s_start + 15))
        + _tag("DateOfInitialCPC", _iso(icpc), conference)
        + _tag("ICPCnotRequired", not_required)
        + "</Section47>"
    )
    cpp = conference & (_frac(u[:, 7], 41) < 0.8)
    category = _pick(_ABUSE, _frac(u[:, 7], 47))
    reviews = np.full(len(episodes), "", dtype=object)
    for j in range(6):
        day = icpc + 90 + 180 * j
        reviews = reviews + _tag("CPPreviewDate", _iso(day), day <= last)
    plan_cp = (
        "<ChildProtectionPlans>"
        + _tag("CPPstartDate", _iso(icpc))
        + _tag("CPPendDate", _iso(close_all), closed)
        + _tag("InitialCategoryOfAbuse", category)
        + _tag("LatestCategoryOfAbuse", category)
        # positiveInteger in the XSD: the count starts at 1.
        + _tag("NumberOfPreviousCPP", (1 + (_frac(u[:, 7], 53) * 3).astype(np.int64)).astype(str))
        + np.where(reviews != "", "<Reviews>" + reviews + "</Reviews>", "")
        + "</ChildProtectionPlans>"
    )
    return (
        out
        + _tag("DateOfInitialCPC", _iso(icpc), conference)
        + np.where(assessed, assessment, "")
        + np.where(planned, plan, "")
        + np.where(s47, section47, "")
        + _tag("ReferralNFA", np.where(nfa, "true", "false"))
        + np.where(cpp, plan_cp, "")
        + "</CINdetails>"
    )


def _children_xml(people: LaPeople, children: np.ndarray, y: _Year) -> np.ndarray:
    """The opening of each of ``children``'s Child element: identifiers and characteristics."""
    upn = people.upn[children]
    known = upn != None  # noqa: E711 (element-wise)
    sex = people.sex[children]
    gender = (
        _tag("Sex", sex) if y.has_sex else _tag("GenderCurrent", np.where(sex == "M", "1", "2"))
    )
    disability = people.disability[children]
    return (
        "<Child><ChildIdentifiers>"
        + _tag("LAchildID", people.child_id[children])
        + np.where(known, _tag("UPN", np.where(known, upn, "")),
                   _tag("UPNunknown", np.where(known, "", people.upn_unknown[children])))
        + _tag("PersonBirthDate", _iso(people.birth[children]))
        + gender
        + "</ChildIdentifiers><ChildCharacteristics>"
        + _tag("Ethnicity", ethnicity_codes(people.ethnicity[children]))
        + "<Disabilities>"
        + _tag("Disability", np.where(disability < 0, "NONE",
                                      np.array(_DISABILITY, dtype=object)[np.maximum(disability, 0)]))
        + "</Disabilities></ChildCharacteristics>"
    )  # fmt: skip


def census_episodes(people: LaPeople, year: int) -> np.ndarray:
    """Row numbers of the episodes open at some point in collection ``year``."""
    y = _Year(year)
    return np.flatnonzero((people.ep_referral <= y.reference) & (people.ep_closure >= y.start))


def write_cin_year(people: LaPeople, path: Path, year: int) -> tuple[Path, int, int]:
    """Write ``people``'s CIN census for collection ``year``; (path, children, referrals)."""
    y = _Year(year)
    episodes = census_episodes(people, year)
    owners = people.ep_child[episodes]
    children = 0
    new_referrals = int((people.ep_referral[episodes] >= y.start).sum())
    first = np.r_[True, owners[1:] != owners[:-1]] if len(owners) else np.zeros(0, bool)
    last = np.r_[owners[1:] != owners[:-1], True] if len(owners) else np.zeros(0, bool)
    children = int(first.sum())
    tmp = atomic_target(path)
    try:
        with tmp.open("w", encoding="utf-8", buffering=1 << 20) as fh:
            fh.write(cin_header(people.code, year))
            for at in range(0, len(episodes), _BLOCK):
                part = slice(at, at + _BLOCK)
                opening = np.full(len(episodes[part]), "", dtype=object)
                starts = first[part]
                opening[starts] = _children_xml(people, owners[part][starts], y)
                xml = opening + _episodes_xml(people, episodes[part], y)
                xml = np.where(last[part], xml + "</Child>\n", xml)
                fh.write("".join(xml.tolist()))
            fh.write("</Children>\n</Message>\n")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path, children, new_referrals
