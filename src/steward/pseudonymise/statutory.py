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
from steward.returns.cin_census.rules import episode_key

UPN_NAMESPACE = "UPN"  # a UPN is national: the same pupil has one pseudonym in every LA
GENDER_CURRENT = {"1": "M", "2": "F", "0": "U", "9": "U"}


def _provenance(n: int, la_code: str, month: dt.date, submission_id: str, sheet: str,
                rows: pa.Array) -> dict[str, pa.Array]:  # fmt: skip
    return {
        "la_code": pa.repeat(pa.scalar(la_code, pa.string()), n),
        "return_month": pa.repeat(pa.scalar(month, pa.date32()), n),
        "submission_id": pa.repeat(pa.scalar(submission_id, pa.string()), n),
        "source_sheet": pa.repeat(pa.scalar(sheet, pa.string()), n),
        "source_row": pc.cast(rows, pa.int64()),
    }


def _cin_gender(children: pa.Table) -> pa.Array:
    """GenderCurrent (1/2/0/9) or Sex (M/F/U, some files send 1/2) as M/F/U."""
    codes = pa.array(list(GENDER_CURRENT), pa.string())
    genders = pa.array(list(GENDER_CURRENT.values()), pa.string())

    def recoded(column: pa.ChunkedArray) -> pa.Array:
        return genders.take(pc.index_in(column.combine_chunks(), value_set=codes))

    sex = children["sex"].combine_chunks()
    return pc.coalesce(recoded(children["gender_current"]), recoded(children["sex"]), sex)


def _year_month(dates: pa.ChunkedArray) -> pa.Array:
    """``year_month`` formatted once per month present: Arrow's strftime costs ~2 µs a date."""
    months = pc.floor_temporal(dates.combine_chunks(), unit="month")
    distinct = pc.unique(months)
    return year_month(distinct).take(pc.index_in(months, value_set=distinct))


def _last_of(keys: pa.Array, among: pa.Array, values: pa.Array) -> pa.Array:
    """For each key, ``values`` at the last row of ``among`` equal to it (null if none), as a
    dict built from the rows would give."""
    at = pc.index_in(keys, value_set=among[::-1], skip_nulls=True)
    return values[::-1].take(at)


def _item_key(table: pa.Table, episodes: pa.Table, item: pa.Array) -> pa.Array:
    """(child_seq, episode_seq, item) as one integer: the episode's row, then the item."""
    episode = pc.index_in(episode_key(table), value_set=episode_key(episodes), skip_nulls=True)
    return pc.add(pc.multiply(pc.cast(episode, pa.int64()), 1 << 32), item)


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
    child_seqs = children["child_seq"].combine_chunks()
    child_pids = hasher.pseudonymise(la_code, children["child_id"])
    characteristics = tables["cin_characteristics"]
    episodes = tables["cin_episodes"]
    episode_keys = episode_key(episodes)
    referral_dates = episodes["referral_date"].combine_chunks()

    def prov(t: pa.Table, sheet: str) -> dict[str, pa.Array]:
        return _provenance(t.num_rows, la_code, reference_date, submission_id, sheet,
                           t["child_seq"].combine_chunks())  # fmt: skip

    def pids(t: pa.Table) -> pa.Array:
        return _last_of(t["child_seq"].combine_chunks(), child_seqs, child_pids)

    def referrals(t: pa.Table) -> pa.Array:
        return _last_of(episode_key(t), episode_keys, referral_dates)

    n = children.num_rows
    out = {
        "cin_children": pa.table(
            {
                "child_pid": child_pids,
                "upn_pid": hasher.pseudonymise(UPN_NAMESPACE, children["upn"]),
                "former_upn_pid": hasher.pseudonymise(UPN_NAMESPACE, children["former_upn"]),
                "upn_unknown": children["upn_unknown"],
                "birth_year_month": _year_month(children["birth_date"]),
                "expected_birth_year_month": _year_month(children["expected_birth_date"]),
                "gender": _cin_gender(children),
                "death_year_month": _year_month(children["death_date"]),
                "ethnicity": _last_of(
                    child_seqs,
                    characteristics["child_seq"].combine_chunks(),
                    characteristics["ethnicity"].combine_chunks(),
                ),
                "collection_year": pa.repeat(pa.scalar(collection_year, pa.int64()), n),
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


def _start_of(items: pa.Table, parents: pa.Table, start: str, episodes: pa.Table) -> pa.Array:
    """The ``start`` date of each item's parent: item_seq = parent position * 1000 + position."""
    item_of_parent = pc.divide(items["item_seq"].combine_chunks(), 1000)  # integer division
    keys = _item_key(items, episodes, item_of_parent)
    among = _item_key(parents, episodes, parents["item_seq"].combine_chunks())
    return _last_of(keys, among, parents[start].combine_chunks())


def _factors(tables: dict[str, pa.Table], pids, referrals, prov) -> pa.Table:  # type: ignore[no-untyped-def]
    """Factors belong to an assessment: item_seq = assessment position * 1000 + factor position."""
    factors = tables["cin_assessment_factors"]
    starts = _start_of(factors, tables["cin_assessments"], "assessment_start_date",
                       tables["cin_episodes"])  # fmt: skip
    return pa.table(
        {
            "child_pid": pids(factors),
            "referral_date": referrals(factors),
            "assessment_start_date": starts,
            "factor": factors["factor"].combine_chunks(),
            **prov(factors, "cin_assessment_factors"),
        }
    )


def _reviews(tables: dict[str, pa.Table], pids, prov) -> pa.Table:  # type: ignore[no-untyped-def]
    reviews = tables["cin_cpp_reviews"]
    starts = _start_of(reviews, tables["cin_cp_plans"], "cpp_start_date", tables["cin_episodes"])
    return pa.table(
        {
            "child_pid": pids(reviews),
            "cpp_start_date": starts,
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
