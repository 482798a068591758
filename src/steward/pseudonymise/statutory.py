"""Pseudonymise the statutory returns' tables into the store's shape (see store/statutory.py).

CIN census: ``LAchildID`` → ``child_pid`` (keyed by the LA, as every child id is), ``UPN`` and
``FormerUPN`` → ``upn_pid`` / ``former_upn_pid`` (keyed under the national ``UPN`` namespace, so
one pupil links across LAs and returns), dates of birth and death → year-month. Child-level
rows of other tables are tied to their child and CIN episode by position in the file, then
carry the child's pseudonym and the episode's referral date instead.

SSDA903: ``CHILD`` → ``child_pid``, ``UPN`` → ``upn_pid``, ``DOB``/``MC_DOB`` → year-month;
postcodes arrive already cut to their district.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc

from steward.pseudonymise.degrade import year_month
from steward.pseudonymise.pseudonym import PseudonymHasher, hasher_for

UPN_NAMESPACE = "UPN"  # a UPN is national: the same pupil has one pseudonym in every LA
GENDER_CURRENT = {"1": "M", "2": "F", "0": "U", "9": "U"}


def _provenance(n: int, la_code: str, month: dt.date, submission_id: str, sheet: str,
                rows: pa.Array) -> dict[str, pa.Array]:  # fmt: skip
    return {
        "la_code": pa.array([la_code] * n, pa.string()),
        "return_month": pa.array([month] * n, pa.date32()),
        "submission_id": pa.array([submission_id] * n, pa.string()),
        "source_sheet": pa.array([sheet] * n, pa.string()),
        "source_row": pc.cast(rows, pa.int64()),
    }


def _cin_gender(children: pa.Table) -> pa.Array:
    """GenderCurrent (1/2/0/9) or Sex (M/F/U, some files send 1/2) as M/F/U."""
    current = [GENDER_CURRENT.get(v) if v else None for v in children["gender_current"].to_pylist()]
    sex = [GENDER_CURRENT.get(v, v) if v else None for v in children["sex"].to_pylist()]
    return pa.array([c or s for c, s in zip(current, sex, strict=True)], pa.string())


def pseudonymise_cin(
    tables: dict[str, pa.Table],
    *,
    key: bytes | PseudonymHasher,
    la_code: str,
    reference_date: dt.date,
    collection_year: int,
    submission_id: str,
) -> dict[str, pa.Table]:
    """One validated CIN batch (raw identifiers) → store tables (pseudonyms only)."""
    hasher = hasher_for(key)
    children = tables["cin_children"]
    child_pids = hasher.pseudonymise(la_code, children["child_id"])
    pid_of = dict(zip(children["child_seq"].to_pylist(), child_pids.to_pylist(), strict=True))
    ethnicity = dict(
        zip(tables["cin_characteristics"]["child_seq"].to_pylist(),
            tables["cin_characteristics"]["ethnicity"].to_pylist(), strict=True)
    )  # fmt: skip
    episodes = tables["cin_episodes"]
    referral_of = {
        (c, e): r
        for c, e, r in zip(
            episodes["child_seq"].to_pylist(), episodes["episode_seq"].to_pylist(),
            episodes["referral_date"].to_pylist(), strict=True,
        )
    }  # fmt: skip

    def prov(t: pa.Table, sheet: str) -> dict[str, pa.Array]:
        return _provenance(t.num_rows, la_code, reference_date, submission_id, sheet,
                           t["child_seq"].combine_chunks())  # fmt: skip

    def pids(t: pa.Table) -> pa.Array:
        return pa.array([pid_of[s] for s in t["child_seq"].to_pylist()], pa.string())

    def referrals(t: pa.Table) -> pa.Array:
        keys = zip(t["child_seq"].to_pylist(), t["episode_seq"].to_pylist(), strict=True)
        return pa.array([referral_of.get(k) for k in keys], pa.date32())

    n = children.num_rows
    out = {
        "cin_children": pa.table(
            {
                "child_pid": child_pids,
                "upn_pid": hasher.pseudonymise(UPN_NAMESPACE, children["upn"]),
                "former_upn_pid": hasher.pseudonymise(UPN_NAMESPACE, children["former_upn"]),
                "upn_unknown": children["upn_unknown"],
                "birth_year_month": year_month(children["birth_date"]),
                "expected_birth_year_month": year_month(children["expected_birth_date"]),
                "gender": _cin_gender(children),
                "death_year_month": year_month(children["death_date"]),
                "ethnicity": pa.array(
                    [ethnicity.get(s) for s in children["child_seq"].to_pylist()], pa.string()
                ),
                "collection_year": pa.array([collection_year] * n, pa.int64()),
                **prov(children, "Child"),
            }
        )
    }
    for name, columns, with_referral in (
        ("cin_disabilities", ("disability",), False),
        ("cin_episodes", ("referral_date", "referral_source", "primary_need", "closure_date",
                          "closure_reason", "initial_cpc_date", "referral_nfa"), False),
        ("cin_assessments", ("assessment_start_date", "assessment_review_date",
                             "assessment_authorised_date"), True),
        ("cin_plans", ("cin_plan_start_date", "cin_plan_end_date"), True),
        ("cin_section47", ("s47_start_date", "icpc_target_date", "icpc_date",
                           "icpc_not_required"), True),
        ("cin_cp_plans", ("cpp_start_date", "cpp_end_date", "initial_category", "latest_category",
                          "previous_cpp"), True),
        ("cin_pre_proceedings", ("pp_start_date", "lbp_sent_date", "fgdm_offered",
                                 "fgdm_facilitated", "initial_pp_meeting_date", "review_meetings",
                                 "step_decision_date", "pp_outcome", "court_application_date",
                                 "letter_init_cp_date"), True),
    ):  # fmt: skip
        t = tables[name]
        data: dict[str, pa.Array] = {"child_pid": pids(t)}
        if with_referral:
            data["referral_date"] = referrals(t)
        data.update({c: t[c].combine_chunks() for c in columns})
        out[name] = pa.table({**data, **prov(t, name)})
    out["cin_assessment_factors"] = _factors(tables, pids, referrals, prov)
    out["cin_cpp_reviews"] = _reviews(tables, pids, prov)
    return out


def _factors(tables: dict[str, pa.Table], pids, referrals, prov) -> pa.Table:  # type: ignore[no-untyped-def]
    """Factors belong to an assessment: item_seq = assessment position * 1000 + factor position."""
    factors, assessments = tables["cin_assessment_factors"], tables["cin_assessments"]
    start_of = {
        (c, e, i): d
        for c, e, i, d in zip(
            assessments["child_seq"].to_pylist(), assessments["episode_seq"].to_pylist(),
            assessments["item_seq"].to_pylist(), assessments["assessment_start_date"].to_pylist(),
            strict=True,
        )
    }  # fmt: skip
    keys = zip(factors["child_seq"].to_pylist(), factors["episode_seq"].to_pylist(),
               [i // 1000 for i in factors["item_seq"].to_pylist()], strict=True)  # fmt: skip
    return pa.table(
        {
            "child_pid": pids(factors),
            "referral_date": referrals(factors),
            "assessment_start_date": pa.array([start_of.get(k) for k in keys], pa.date32()),
            "factor": factors["factor"].combine_chunks(),
            **prov(factors, "cin_assessment_factors"),
        }
    )


def _reviews(tables: dict[str, pa.Table], pids, prov) -> pa.Table:  # type: ignore[no-untyped-def]
    reviews, plans = tables["cin_cpp_reviews"], tables["cin_cp_plans"]
    start_of = {
        (c, e, i): d
        for c, e, i, d in zip(
            plans["child_seq"].to_pylist(), plans["episode_seq"].to_pylist(),
            plans["item_seq"].to_pylist(), plans["cpp_start_date"].to_pylist(), strict=True,
        )
    }  # fmt: skip
    keys = zip(reviews["child_seq"].to_pylist(), reviews["episode_seq"].to_pylist(),
               [i // 1000 for i in reviews["item_seq"].to_pylist()], strict=True)  # fmt: skip
    return pa.table(
        {
            "child_pid": pids(reviews),
            "cpp_start_date": pa.array([start_of.get(k) for k in keys], pa.date32()),
            "review_date": reviews["review_date"].combine_chunks(),
            **prov(reviews, "cin_cpp_reviews"),
        }
    )


_S903_RENAMES = {
    "s903_header": {"SEX": "sex", "ETHNIC": "ethnicity", "MOTHER": "mother"},
    "s903_episodes": {
        "DECOM": "episode_start_date", "RNE": "reason_new_episode", "LS": "legal_status",
        "CIN": "cin_need", "PLACE": "placement", "PLACE_PROVIDER": "placement_provider",
        "DEC": "episode_end_date", "REC": "reason_episode_ceased",
        "REASON_PLACE_CHANGE": "reason_place_change", "HOME_POST": "home_postcode_district",
        "PL_POST": "placement_postcode_district", "URN": "provider_urn",
    },
    "s903_uasc": {"SEX": "sex", "DUC": "uasc_ceased_date"},
    "s903_reviews": {"REVIEW": "review_date", "REVIEW_CODE": "review_code"},
    "s903_missing": {"MISSING": "missing_type", "MIS_START": "missing_start",
                     "MIS_END": "missing_end"},
}  # fmt: skip


def pseudonymise_ssda903(
    name: str,
    data: pa.Table,
    *,
    key: bytes | PseudonymHasher,
    la_code: str,
    return_month: dt.date,
    submission_id: str,
) -> pa.Table | None:
    """One cleaned SSDA903 table → its store table; None for tables the store does not keep."""
    if name not in _S903_RENAMES:
        return None  # OC2 outcomes are not in the evaluation's data (minimisation)
    hasher = hasher_for(key)
    columns: dict[str, pa.Array] = {"child_pid": hasher.pseudonymise(la_code, data["CHILD"])}
    for raw, stored in _S903_RENAMES[name].items():
        columns[stored] = data[raw].combine_chunks()
    if name in ("s903_header", "s903_uasc"):
        columns["birth_year_month"] = year_month(data["DOB"])
    if name == "s903_header":
        columns["upn_pid"] = hasher.pseudonymise(UPN_NAMESPACE, data["UPN"])
        columns["mother_child_birth_year_month"] = year_month(data["MC_DOB"])
    columns.update(
        _provenance(data.num_rows, la_code, return_month, submission_id, name,
                    data["source_row"].combine_chunks())
    )  # fmt: skip
    return pa.table(columns)
