"""Deterministic linkage, spec-style: one tiny inline case per reason, in one store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from steward.linkage import link_store
from steward.linkage.deterministic import LinkageResult
from steward.returns.npd.store_tables import NPD_SOURCE
from steward.store import ResearchStore

from .store_rows import put

D = dt.date
ROCH, NORF = "354", "926"
OCT_2021 = D(2021, 10, 1)


def upn(n: int) -> str:
    return f"{n:032x}"


def ref(pid: str, birth: str = "2012-01", gender: str = "M", when: D = OCT_2021) -> dict:
    return {"child_pid": pid, "referral_pid": f"r{pid}", "referral_date": when,
            "birth_year_month": birth, "gender": gender}  # fmt: skip


def build(store: ResearchStore) -> None:
    put(store, "dr2_referrals", [
        ref("c1"), ref("c2"), ref("c3"), ref("c4"), ref("c5"), ref("c6"), ref("c7"), ref("c8"),
        ref("c9", when=D(2022, 3, 1)), ref("c10"), ref("c11"), ref("c12"), ref("c13"),
        ref("c14"),
    ], la_code=ROCH)  # fmt: skip
    put(store, "dr2_cla", [{"child_pid": "c9", "cla_start_date": D(2022, 4, 1),
                            "birth_year_month": "2012-01", "gender": "M"},
                           {"child_pid": "c10", "cla_start_date": D(2022, 4, 1)}],
        la_code=ROCH)  # fmt: skip
    # The same pseudonym text sent by another LA is another child: it does not link to c1.
    put(store, "dr2_referrals", [ref("c1")], la_code=NORF)
    put(store, "cin_children", [
        {"child_pid": "c1", "upn_pid": upn(1), "birth_year_month": "2012-01", "gender": "M"},
        {"child_pid": "c2", "upn_unknown": "UN1"},
        {"child_pid": "c3", "upn_unknown": "un2"},
        {"child_pid": "c4"},
        {"child_pid": "c5", "upn_pid": upn(5)},
        {"child_pid": "c6", "upn_pid": upn(6)},
        {"child_pid": "c7", "upn_pid": upn(7)},
        {"child_pid": "c10", "upn_pid": upn(10)},
        {"child_pid": "c11", "former_upn_pid": upn(11)},
        {"child_pid": "c12", "upn_pid": upn(12), "birth_year_month": "2012-02"},
        {"child_pid": "c13", "upn_pid": upn(13), "gender": "M"},
        {"child_pid": "c14", "upn_pid": upn(14)},
    ], la_code=ROCH, return_type="cin")  # fmt: skip
    put(store, "s903_header", [
        {"child_pid": "c9", "upn_pid": upn(9), "sex": "1", "birth_year_month": "2012-01"},
        {"child_pid": "c13", "sex": "2"},
        {"child_pid": "c14", "upn_pid": upn(140)},
    ], la_code=ROCH, return_type="ssda903")  # fmt: skip
    put(store, "npd_pmr_lookup", [
        {"pmr": "P1", "upn_pid": upn(1)}, {"pmr": None, "upn_pid": upn(5)},
        {"pmr": "P7", "upn_pid": upn(7)}, {"pmr": "P9", "upn_pid": upn(9)},
        {"pmr": "P10", "upn_pid": upn(10)}, {"pmr": "P11", "upn_pid": upn(11)},
        {"pmr": "P12", "upn_pid": upn(12)}, {"pmr": "P13", "upn_pid": upn(13)},
        {"pmr": "P14", "upn_pid": upn(14)},
    ], la_code=NPD_SOURCE, return_type="npd")  # fmt: skip
    absence = [{"pmr": p, "academic_year": 2021, "term": "autumn", "sessions_possible": 140,
                "authorised_absence": 1, "unauthorised_absence": 0, "overall_absence": 1}
               for p in ("P1", "P10", "P11", "P12", "P13", "P14")]  # fmt: skip
    put(store, "npd_absence", absence, la_code=NPD_SOURCE, return_type="npd")
    put(store, "npd_fsm", [{"pmr": "P9", "academic_year": 2021, "fsm_eligible": True}],
        la_code=NPD_SOURCE, return_type="npd")  # fmt: skip


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> tuple[LinkageResult, LinkageResult]:
    path = Path(tmp_path_factory.mktemp("store")) / "research.duckdb"
    with ResearchStore(path) as store:
        build(store)
        return link_store(store.sql, with_npd=True), link_store(store.sql, with_npd=False)


def status(result: LinkageResult, column: str, la: str = ROCH) -> dict[str, object]:
    rows = result.children[result.children["la_code"] == la]
    return {r["child_pid"]: (None if pd.isna(r[column]) else r[column]) for _, r in rows.iterrows()}


def test_npd_reasons(linked: tuple[LinkageResult, LinkageResult]) -> None:
    npd = status(linked[0], "npd_status")
    assert npd == {
        "c1": "matched", "c2": "not_school_age", "c3": "upn_unknown", "c4": "no_upn",
        "c5": "no_pmr", "c6": "no_pmr", "c7": "not_in_extract", "c8": "no_statutory_record",
        "c9": "matched", "c10": "matched", "c11": "matched", "c12": "matched", "c13": "matched",
        "c14": "matched",
    }  # fmt: skip
    assert status(linked[0], "pmr")["c11"] == "P11"  # through the former UPN
    assert status(linked[0], "npd_status", NORF) == {"c1": "no_statutory_record"}


def test_statutory_links_within_the_la(linked: tuple[LinkageResult, LinkageResult]) -> None:
    cin = status(linked[0], "cin_status")
    assert cin["c1"] == "matched" and cin["c8"] == cin["c9"] == "not_in_cin_census"
    s903 = status(linked[0], "s903_status")
    # Only looked-after children (or children SSDA903 lists) are expected in SSDA903.
    assert {k: v for k, v in s903.items() if v} == {
        "c9": "matched", "c10": "not_in_ssda903", "c13": "matched", "c14": "matched",
    }  # fmt: skip
    assert status(linked[0], "cin_status", NORF) == {"c1": "not_in_cin_census"}
    years = status(linked[0], "first_referral_year")
    assert years["c1"] == 2021 and years["c9"] == 2021  # March 2022 is in 2021/22


def test_conflicts(linked: tuple[LinkageResult, LinkageResult]) -> None:
    c = linked[0].conflicts.set_index(["la_code", "child_pid"])
    flagged = {col: sorted(p for (la, p), v in c[col].items() if v and la == ROCH)
               for col in ("birth_year_month", "sex", "upn")}  # fmt: skip
    assert flagged == {"birth_year_month": ["c12"], "sex": ["c13"], "upn": ["c14"]}


def test_without_npd_no_education_status(linked: tuple[LinkageResult, LinkageResult]) -> None:
    without = linked[1]
    assert without.children["npd_status"].isna().all()
    assert without.children["pmr"].isna().all()
    assert not without.npd_linked and "NPD linkage not run" in without.notes[0]
    assert status(without, "cin_status") == status(linked[0], "cin_status")


@pytest.mark.parametrize("with_npd", [True, False])
def test_sql_agrees_with_the_reference(tmp_path: Path, with_npd: bool) -> None:
    from steward.linkage.deterministic import DR_CHILD_TABLES
    from steward.linkage.reference import link_reference

    names = (*DR_CHILD_TABLES, "cin_children", "s903_header", "npd_pmr_lookup", "npd_absence",
             "npd_fsm")  # fmt: skip
    with ResearchStore(tmp_path / "research.duckdb") as store:
        build(store)
        sql = link_store(store.sql, with_npd=with_npd).children
        tables = {n: store.current(n).to_pandas() for n in names}
    ref = link_reference(tables, with_npd=with_npd)
    assert len(sql) == len(ref) == 15

    def norm(frame: pd.DataFrame) -> list[tuple[object, ...]]:
        return [tuple(None if pd.isna(v) else v for v in row)
                for row in frame.sort_values(["la_code", "child_pid"]).itertuples(index=False)]  # fmt: skip

    assert norm(sql) == norm(ref)


def test_extract_pupils_read_from_the_tables_are_those_of_the_current_views(
    tmp_path: Path,
) -> None:
    from steward.linkage.deterministic import _extract_pmrs_sql
    from steward.store.schema import STORE_TABLES

    # Reading the tables is only right while every NPD key holds the pupil.
    assert all("pmr" in STORE_TABLES[t].event_key for t in ("npd_absence", "npd_fsm"))
    row = {"academic_year": 2021, "term": "autumn", "sessions_possible": 140,
           "authorised_absence": 4, "unauthorised_absence": 2, "overall_absence": 6}  # fmt: skip
    with ResearchStore(tmp_path / "store.duckdb") as store:
        for month in (D(2022, 9, 1), D(2023, 9, 1)):  # the later extract supersedes P1's row
            put(store, "npd_absence", [{"pmr": "P1", **row}, {"pmr": f"P{month.year}", **row}],
                la_code=NPD_SOURCE, return_type="npd", month=month)  # fmt: skip
        put(store, "npd_fsm", [{"pmr": "P9", "academic_year": 2021, "fsm_eligible": True}],
            la_code=NPD_SOURCE, return_type="npd")  # fmt: skip
        views = store.sql.arrow(
            'SELECT DISTINCT pmr FROM "npd_absence_current" '
            'UNION SELECT DISTINCT pmr FROM "npd_fsm_current"'
        )
        tables = store.sql.arrow(_extract_pmrs_sql())
    assert sorted(tables["pmr"].to_pylist()) == sorted(views["pmr"].to_pylist())
    assert sorted(tables["pmr"].to_pylist()) == ["P1", "P2022", "P2023", "P9"]
