"""The archive package: k-anonymous, labelled, self-checking, reproducible, pseudonym-free."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pyreadstat
from pycanon import anonymity

from steward.archive import (
    archived_in,
    build_archive,
    erasure_answer,
    load_profile,
    package_digest,
    verify_package,
)
from steward.archive.writers import DTA_TIMESTAMP, sha256_file
from steward.governance.access import User
from steward.workspace import Workspace

from .conftest import BUILD_DAY

DATA_FILES = ("data/referrals.csv", "data/referrals.parquet", "data/referrals.dta")


def _csv(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "data" / "referrals.csv", dtype=str, keep_default_na=False)


def test_package_is_k_anonymous_labelled_and_self_describing(
    workspace: Workspace, researcher: User, tmp_path: Path
) -> None:
    out = tmp_path / "archive"
    build = build_archive(workspace, out, actor=researcher, seed=7, today=BUILD_DAY)
    profile = load_profile()
    table = _csv(out)
    qis = list(profile.quasi_identifiers)
    assert len(table) == build.records > 0
    assert anonymity.k_anonymity(table, qis) >= 10
    assert build.risk.prosecutor_highest <= 0.1
    assert table["archive_id"].is_unique
    # Parquet and Stata hold the same records.
    parquet = pq.read_table(out / "data" / "referrals.parquet").to_pandas()
    stata, meta = pyreadstat.read_dta(str(out / "data" / "referrals.dta"))
    assert list(parquet["archive_id"]) == list(table["archive_id"]) == list(stata["archive_id"])
    assert meta.column_names_to_labels["looked_after"].startswith("Became looked after")
    assert meta.variable_value_labels["looked_after"] == {0: "No", 1: "Yes"}
    # Stata codes map back to the CSV's labels through the codebook.
    codebook = json.loads((out / "codebook.json").read_text())
    variables = {v["name"]: v for v in codebook["variables"]}
    assert set(variables) == set(table.columns)
    la_codes = {c["code"]: c["value"] for c in variables["la_code"]["categories"]}
    assert [la_codes[int(c)] for c in stata["la_code"]] == list(table["la_code"])
    for name in qis:
        assert variables[name]["generalisation"]["level"] == build.levels[name]
        labels = {c["code"]: c["label"] for c in variables[name]["categories"]}
        assert meta.variable_value_labels[name] == labels
    # An independent reader (pandas) sees the same labelled values as Stata would.
    labelled = pd.read_stata(out / "data" / "referrals.dta")
    assert list(labelled["gender"].astype(str)) == [
        {"F": "Female", "M": "Male", "U": "Unknown"}.get(g, g) for g in table["gender"]
    ]
    assert "Generalisation" in (out / "codebook.md").read_text()
    # The manifest checks every file and the package as a whole.
    manifest = json.loads((out / "manifest.json").read_text())
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert sorted(manifest["files"]) == [f for f in files if f != "manifest.json"]
    for name, entry in manifest["files"].items():
        assert sha256_file(out / name) == entry["sha256"]
    hashes = {name: entry["sha256"] for name, entry in manifest["files"].items()}
    assert manifest["package_sha256"] == package_digest(hashes) == build.package_sha256
    assert verify_package(out) == []
    assert manifest["policy_registry"]["version"] == 1
    assert manifest["seed"] == 7 and manifest["build_date"] == BUILD_DAY.isoformat()
    report = json.loads((out / "risk_report.json").read_text())
    assert report["records_published"] == build.records
    assert report["records_in"] == build.records + build.suppressed
    assert report["suppressed"] <= 0.05 * report["records_in"]
    assert report["risk"]["prosecutor_highest"] <= 0.1
    assert {"dm", "aecs", "precision"} <= set(report["utility"])
    # No stray build folder is left beside the package.
    assert [p.name for p in tmp_path.iterdir() if p.name != "ws"] == ["archive"]


def test_no_pseudonym_appears_anywhere_in_the_package(
    workspace: Workspace, researcher: User, tmp_path: Path
) -> None:
    out = tmp_path / "archive"
    build_archive(workspace, out, actor=researcher, seed=1, today=BUILD_DAY)
    con = duckdb.connect(str(workspace.store_file), read_only=True)
    pids = {
        row[0]
        for table in ("dr2_referrals", "dr2_cp", "dr2_cla")
        for column in ("child_pid", "referral_pid")
        for row in con.execute(f"SELECT DISTINCT {column} FROM {table}").fetchall()
    }
    con.close()
    assert len(pids) > 1000
    for path in out.rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("latin-1")
            found = {p for p in pids if p in text}
            assert not found, f"{path.name} holds a pseudonym"
    # Parquet pages are compressed, so its values are checked after reading them back too.
    parquet = pq.read_table(out / "data" / "referrals.parquet").to_pandas()
    cells = {str(v) for column in parquet.columns for v in parquet[column].unique()}
    assert not cells & pids
    metadata = str(pq.read_metadata(out / "data" / "referrals.parquet").metadata)
    assert not {p for p in pids if p in metadata}


def test_rebuild_with_the_same_seed_is_byte_identical(
    workspace: Workspace, researcher: User, tmp_path: Path
) -> None:
    first = build_archive(workspace, tmp_path / "one", actor=researcher, seed=3, today=BUILD_DAY)
    second = build_archive(workspace, tmp_path / "two", actor=researcher, seed=3, today=BUILD_DAY)
    for name in (*DATA_FILES, "codebook.json", "codebook.md", "risk_report.json"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    assert first.package_sha256 == second.package_sha256
    assert DTA_TIMESTAMP in (tmp_path / "one" / DATA_FILES[2]).read_bytes()[:300]
    other = build_archive(workspace, tmp_path / "three", actor=researcher, seed=4, today=BUILD_DAY)
    one, three = _csv(tmp_path / "one"), _csv(tmp_path / "three")
    assert other.records == first.records
    # Another seed gives other ids to the same records: same rows, another order.
    assert not one.equals(three)
    key = [c for c in one.columns if c != "archive_id"]
    pd.testing.assert_frame_equal(
        one[key].sort_values(key).reset_index(drop=True),
        three[key].sort_values(key).reset_index(drop=True),
    )


def test_lineage_answers_a_later_erasure_request(
    workspace: Workspace, researcher: User, tmp_path: Path
) -> None:
    build = build_archive(
        workspace, tmp_path / "archive", actor=researcher, seed=2, today=BUILD_DAY
    )
    con = duckdb.connect(str(workspace.store_file))
    archived = [r[0] for r in con.execute("SELECT child_pid FROM archive_lineage").fetchall()]
    children = {r[0] for r in con.execute("SELECT child_pid FROM dr2_referrals_current").fetchall()}
    assert len(archived) == len(set(archived)) == build.records
    assert set(archived) < children  # suppressed children were withheld, so not archived
    answer = erasure_answer(con, archived[0])
    assert answer is not None
    assert f"already anonymised and archived on {BUILD_DAY.isoformat()}" in answer
    assert "can no longer be removed" in answer
    assert archived_in(con, archived[0])[0].archive_version == build.version
    withheld = sorted(children - set(archived))[0]
    assert erasure_answer(con, withheld) is None
    # No archive id is kept beside the pseudonym.
    columns = {r[0] for r in con.execute("DESCRIBE archive_lineage").fetchall()}
    assert columns == {"child_pid", "archive_version", "archived_on", "package_sha256"}
    con.close()


def test_erased_children_never_enter_the_archive(
    workspace: Workspace, researcher: User, tmp_path: Path
) -> None:
    from steward.store import ResearchStore

    with ResearchStore.open(workspace) as store:
        erased = store.query("SELECT min(child_pid) AS pid FROM dr2_referrals_current")["pid"][0]
        store.flag_subject(erased.as_py(), "erased", "REQ-1")
    build_archive(workspace, tmp_path / "archive", actor=researcher, seed=2, today=BUILD_DAY)
    con = duckdb.connect(str(workspace.store_file), read_only=True)
    assert archived_in(con, erased.as_py()) == []
    con.close()
