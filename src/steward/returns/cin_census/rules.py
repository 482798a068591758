"""DfE-style validation rules for the CIN census, one rule per unit: code, message, fields, severity.

Each rule looks at one batch (Arrow tables per table) and returns a boolean mask over its table's
rows, True where the row fails; rules are ``pyarrow.compute`` expressions, so a batch of
thousands of children is checked a column at a time. A child with any *blocking* failure is
quarantined whole, with the reasons; warnings are reported and the child is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeAlias

import pyarrow as pa
import pyarrow.compute as pc

from steward.returns.cin_census import codes

Severity = Literal["blocking", "warning"]
Frames = dict[str, pa.Table]
Mask: TypeAlias = pa.BooleanArray | pa.ChunkedArray  # True = the row fails; never null
# Python's \d matches any Unicode decimal digit; RE2's needs spelling out as \p{Nd}.
UPN = r"^[A-Za-z]\p{Nd}{12}$|^[A-Za-z]\p{Nd}{11}[A-Za-z]$"


@dataclass(frozen=True)
class CinRule:
    code: str
    message: str
    table: str
    fields: tuple[str, ...]
    severity: Severity
    check: Callable[[Frames, int], Mask]  # boolean mask over the table: True = fails


RULES: list[CinRule] = []


def rule(
    code: str, message: str, table: str, fields: tuple[str, ...], severity: Severity
) -> Callable[[Callable[[Frames, int], Mask]], Callable[[Frames, int], Mask]]:
    def register(check: Callable[[Frames, int], Mask]) -> Callable[[Frames, int], Mask]:
        RULES.append(CinRule(code, message, table, fields, severity, check))
        return check

    return register


def _not_in(column: pa.ChunkedArray, allowed: frozenset[str]) -> Mask:
    """Given and not one of ``allowed`` (a missing value is another rule's business)."""
    listed = pc.is_in(column, value_set=pa.array(sorted(allowed), pa.string()))
    return pc.and_(pc.is_valid(column), pc.invert(listed))


def _bad_upn_format(column: pa.ChunkedArray) -> Mask:
    return pc.invert(pc.fill_null(pc.match_substring_regex(column, UPN), True))


def _before(later: pa.ChunkedArray, earlier: pa.ChunkedArray) -> Mask:
    """``later`` < ``earlier``; a missing date never fails the comparison."""
    return pc.fill_null(pc.less(later, earlier), False)


def episode_key(table: pa.Table) -> pa.Array:
    """(child_seq, episode_seq) as one integer: sequence numbers stay far below 2**31."""
    child = pc.multiply(table["child_seq"].combine_chunks(), 1 << 32)
    return pc.add(child, table["episode_seq"].combine_chunks())


def _referral_of(f: Frames, table: str) -> pa.Array:
    """The referral date of each row's CIN episode."""
    episodes = f["cin_episodes"]
    at = pc.index_in(episode_key(f[table]), value_set=episode_key(episodes), skip_nulls=True)
    return episodes["referral_date"].combine_chunks().take(at)


@rule("CIN100", "LAchildID is missing", "cin_children", ("LAchildID",), "blocking")
def _missing_id(f: Frames, year: int) -> Mask:
    return pc.is_null(f["cin_children"]["child_id"])


@rule("CIN101", "UPN is not a valid unique pupil number", "cin_children", ("UPN",), "blocking")
def _bad_upn(f: Frames, year: int) -> Mask:
    return _bad_upn_format(f["cin_children"]["upn"])


@rule(
    "CIN102",
    "FormerUPN is not a valid unique pupil number",
    "cin_children",
    ("FormerUPN",),
    "warning",
)
def _bad_former_upn(f: Frames, year: int) -> Mask:
    return _bad_upn_format(f["cin_children"]["former_upn"])


@rule("CIN103", "UPNunknown is not one of UN1–UN7", "cin_children", ("UPNunknown",), "warning")
def _bad_upn_unknown(f: Frames, year: int) -> Mask:
    return _not_in(f["cin_children"]["upn_unknown"], codes.UPN_UNKNOWN)


@rule(
    "CIN104",
    "neither PersonBirthDate nor ExpectedPersonBirthDate is given",
    "cin_children",
    ("PersonBirthDate",),
    "warning",
)
def _no_birth(f: Frames, year: int) -> Mask:
    c = f["cin_children"]
    return pc.and_(pc.is_null(c["birth_date"]), pc.is_null(c["expected_birth_date"]))


@rule(
    "CIN105",
    "gender / sex code is not in the code list",
    "cin_children",
    ("GenderCurrent", "Sex"),
    "warning",
)
def _bad_gender(f: Frames, year: int) -> Mask:
    c = f["cin_children"]
    bad_current = _not_in(c["gender_current"], codes.GENDER_CURRENT)
    return pc.or_(bad_current, _not_in(c["sex"], codes.SEX | codes.GENDER_CURRENT))


@rule(
    "CIN106",
    "gender is missing (GenderCurrent up to 2023-24, Sex from 2024-25)",
    "cin_children",
    ("GenderCurrent", "Sex"),
    "warning",
)
def _no_gender(f: Frames, year: int) -> Mask:
    c = f["cin_children"]
    return pc.and_(pc.is_null(c["gender_current"]), pc.is_null(c["sex"]))


@rule(
    "CIN107", "Ethnicity is not in the code list", "cin_characteristics", ("Ethnicity",), "warning"
)
def _bad_ethnicity(f: Frames, year: int) -> Mask:
    return _not_in(f["cin_characteristics"]["ethnicity"], codes.ETHNICITY)


@rule(
    "CIN108", "Disability is not in the code list", "cin_disabilities", ("Disability",), "warning"
)
def _bad_disability(f: Frames, year: int) -> Mask:
    return _not_in(f["cin_disabilities"]["disability"], codes.DISABILITY)


@rule("CIN110", "CINreferralDate is missing", "cin_episodes", ("CINreferralDate",), "blocking")
def _no_referral(f: Frames, year: int) -> Mask:
    return pc.is_null(f["cin_episodes"]["referral_date"])


@rule(
    "CIN111",
    "ReferralSource is not in this year's code list",
    "cin_episodes",
    ("ReferralSource",),
    "warning",
)
def _bad_source(f: Frames, year: int) -> Mask:
    return _not_in(f["cin_episodes"]["referral_source"], codes.referral_sources(year))


@rule(
    "CIN112",
    "ReasonForClosure is not in this year's code list",
    "cin_episodes",
    ("ReasonForClosure",),
    "warning",
)
def _bad_closure(f: Frames, year: int) -> Mask:
    return _not_in(f["cin_episodes"]["closure_reason"], codes.closure_reasons(year))


@rule(
    "CIN113",
    "CINclosureDate is before CINreferralDate",
    "cin_episodes",
    ("CINclosureDate",),
    "blocking",
)
def _closure_before(f: Frames, year: int) -> Mask:
    e = f["cin_episodes"]
    return _before(e["closure_date"], e["referral_date"])


@rule(
    "CIN114",
    "PrimaryNeedCode is not in the code list",
    "cin_episodes",
    ("PrimaryNeedCode",),
    "warning",
)
def _bad_need(f: Frames, year: int) -> Mask:
    return _not_in(f["cin_episodes"]["primary_need"], codes.PRIMARY_NEED)


@rule(
    "CIN115",
    "PersonBirthDate is after CINreferralDate",
    "cin_episodes",
    ("PersonBirthDate", "CINreferralDate"),
    "blocking",
)
def _born_after(f: Frames, year: int) -> Mask:
    e, c = f["cin_episodes"], f["cin_children"]
    at = pc.index_in(e["child_seq"], value_set=c["child_seq"].combine_chunks(), skip_nulls=True)
    birth = c["birth_date"].combine_chunks().take(at)
    return _before(e["referral_date"].combine_chunks(), birth)


@rule(
    "CIN120",
    "AssessmentActualStartDate is before the CIN referral date",
    "cin_assessments",
    ("AssessmentActualStartDate",),
    "blocking",
)
def _assessment_before(f: Frames, year: int) -> Mask:
    start = f["cin_assessments"]["assessment_start_date"].combine_chunks()
    return _before(start, _referral_of(f, "cin_assessments"))


@rule(
    "CIN121",
    "AssessmentAuthorisationDate is before AssessmentActualStartDate",
    "cin_assessments",
    ("AssessmentAuthorisationDate",),
    "blocking",
)
def _authorised_before(f: Frames, year: int) -> Mask:
    a = f["cin_assessments"]
    return _before(a["assessment_authorised_date"], a["assessment_start_date"])


@rule(
    "CIN122",
    "assessment factor is not in this year's code list",
    "cin_assessment_factors",
    ("AssessmentFactors",),
    "warning",
)
def _bad_factor(f: Frames, year: int) -> Mask:
    return _not_in(f["cin_assessment_factors"]["factor"], codes.assessment_factors(year))


@rule(
    "CIN130",
    "CINPlanEndDate is before CINPlanStartDate",
    "cin_plans",
    ("CINPlanEndDate",),
    "blocking",
)
def _plan_end(f: Frames, year: int) -> Mask:
    p = f["cin_plans"]
    return _before(p["cin_plan_end_date"], p["cin_plan_start_date"])


@rule("CIN140", "CPPendDate is before CPPstartDate", "cin_cp_plans", ("CPPendDate",), "blocking")
def _cpp_end(f: Frames, year: int) -> Mask:
    p = f["cin_cp_plans"]
    return _before(p["cpp_end_date"], p["cpp_start_date"])


@rule(
    "CIN141",
    "category of abuse is not in the code list",
    "cin_cp_plans",
    ("InitialCategoryOfAbuse", "LatestCategoryOfAbuse"),
    "warning",
)
def _bad_abuse(f: Frames, year: int) -> Mask:
    p = f["cin_cp_plans"]
    return pc.or_(
        _not_in(p["initial_category"], codes.CATEGORY_OF_ABUSE),
        _not_in(p["latest_category"], codes.CATEGORY_OF_ABUSE),
    )


@rule(
    "CIN142",
    "CPPstartDate is before the CIN referral date",
    "cin_cp_plans",
    ("CPPstartDate",),
    "warning",
)
def _cpp_before(f: Frames, year: int) -> Mask:
    start = f["cin_cp_plans"]["cpp_start_date"].combine_chunks()
    return _before(start, _referral_of(f, "cin_cp_plans"))


@rule(
    "CIN150",
    "the same LAchildID appears twice with different dates of birth",
    "cin_children",
    ("LAchildID", "PersonBirthDate"),
    "blocking",
)
def _reused_id(f: Frames, year: int) -> Mask:
    c = f["cin_children"]
    # An id has two dates of birth when a row's (given) date differs from the first given one.
    dated = c.filter(pc.is_valid(c["birth_date"]))
    ids, births = dated["child_id"].combine_chunks(), dated["birth_date"].combine_chunks()
    first = births.take(pc.index_in(ids, value_set=ids))
    reused = ids.filter(pc.fill_null(pc.not_equal(births, first), False))
    # A missing id is no id: is_in never matches it against a set without nulls.
    return pc.is_in(c["child_id"], value_set=pc.drop_null(reused))


def check(frames: Frames, year: int) -> list[tuple[CinRule, pa.Array]]:
    """Every rule with the child_seq of the rows it failed on (only rules that fired)."""
    fired = []
    for r in RULES:
        table = frames[r.table]
        if table.num_rows == 0:
            continue
        mask = r.check(frames, year)
        if pc.any(mask).as_py():
            fired.append((r, table["child_seq"].filter(mask).combine_chunks()))
    return fired
