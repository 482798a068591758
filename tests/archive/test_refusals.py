"""What the archive refuses: bad profiles, non-archivable data, too much risk; never a partial
package, never a lineage row for a package that was not written."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml

from steward.archive import DEFAULT_PROFILE, build_archive, load_profile, parse_profile
from steward.archive import build as build_module
from steward.errors import ConfigError, PolicyViolation
from steward.governance.access import User
from steward.policy.loader import DEFAULT_REGISTRY
from steward.workspace import Workspace

from .conftest import BUILD_DAY


def _profile_file(tmp_path: Path, **changes: object) -> Path:
    data = yaml.safe_load(DEFAULT_PROFILE.read_text())
    data.update(changes)
    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _nothing_written(workspace: Workspace, tmp_path: Path) -> None:
    assert not (tmp_path / "archive").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".building")]
    con = duckdb.connect(str(workspace.store_file), read_only=True)
    tables = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    if "archive_lineage" in tables:
        assert con.execute("SELECT count(*) FROM archive_lineage").fetchone() == (0,)
    con.close()


def test_a_profile_naming_a_missing_column_is_refused(
    workspace: Workspace, researcher: User, tmp_path: Path
) -> None:
    columns = [*load_profile().columns, "postcode_district"]
    path = _profile_file(tmp_path, columns=columns)
    with pytest.raises(ConfigError) as error:
        build_archive(
            workspace,
            tmp_path / "archive",
            actor=researcher,
            profile=load_profile(path),
            today=BUILD_DAY,
        )
    assert "'postcode_district'" in error.value.what
    assert error.value.where.file == str(path)
    assert error.value.where.column == f"columns[{len(columns) - 1}]"
    assert "age_months_at_referral" in error.value.fix  # lists the columns that exist
    _nothing_written(workspace, tmp_path)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"quasi_identifiers": {"age_at_referral": "age_months"}}, "quasi_identifiers.age_at_referral", "not one of the archived columns"),
        ({"quasi_identifiers": {"gender": "postcode"}}, "quasi_identifiers.gender", "wrong"),
        ({"sensitive": "outcome"}, "sensitive", "not archived"),
        ({"l": 2, "sensitive": None}, "l", "no sensitive column"),
        ({"k": 1}, "k", "wrong"),
        ({"metric": "speed"}, "metric", "Unknown utility metric"),
        ({"colums": ["gender"]}, "colums", "wrong"),
    ],
)  # fmt: skip
def test_profile_mistakes_name_the_file_and_field(
    tmp_path: Path, changes: dict[str, object], field: str, words: str
) -> None:
    path = _profile_file(tmp_path, **changes)
    with pytest.raises(ConfigError) as error:
        load_profile(path)
    assert words in error.value.what
    assert error.value.where.file == str(path) and error.value.where.column == field
    assert error.value.fix


def test_a_profile_file_that_is_missing_or_not_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_profile(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_profile(bad)


def test_interview_data_can_never_enter_the_archive(
    workspace: Workspace, researcher: User, tmp_path: Path
) -> None:
    con = duckdb.connect(str(workspace.store_file))
    pid = con.execute("SELECT min(child_pid) FROM dr2_referrals_current").fetchone()
    con.execute("CREATE TABLE interviews (child_pid VARCHAR, summary VARCHAR)")
    con.execute("INSERT INTO interviews VALUES (?, 'fictional interview notes')", [pid[0]])
    con.close()
    linked = [{"table": "interviews", "columns": {"summary": "interview_data"}}]
    profile = parse_profile({**yaml.safe_load(DEFAULT_PROFILE.read_text()), "linked": linked},
                            source="interview_profile.yaml")  # fmt: skip
    with pytest.raises(PolicyViolation) as error:
        build_archive(
            workspace, tmp_path / "archive", actor=researcher, profile=profile, today=BUILD_DAY
        )
    assert "'interview_data'" in error.value.what and "never archivable" in error.value.what
    assert error.value.where.column == "summary"
    _nothing_written(workspace, tmp_path)
    # Declared as something else, an unknown category is refused too.
    linked = [{"table": "interviews", "columns": {"summary": "free_text"}}]
    profile = parse_profile({**yaml.safe_load(DEFAULT_PROFILE.read_text()), "linked": linked})
    with pytest.raises(PolicyViolation, match="does not declare"):
        build_archive(
            workspace, tmp_path / "archive", actor=researcher, profile=profile, today=BUILD_DAY
        )
    _nothing_written(workspace, tmp_path)


def test_a_category_the_registry_marks_non_archivable_is_refused(
    workspace: Workspace, researcher: User, tmp_path: Path
) -> None:
    text = DEFAULT_REGISTRY.read_text()
    marker = "  - id: uasc_status\n"
    start = text.index(marker)
    held = text.index("    held_in:", start)
    end = text.index("\n", held) + 1
    (workspace.root / "policy.yaml").write_text(text[:end] + "    archivable: false\n" + text[end:])
    with pytest.raises(PolicyViolation) as error:
        build_archive(workspace, tmp_path / "archive", actor=researcher, today=BUILD_DAY)
    assert "'uasc_status'" in error.value.what and error.value.where.column == "uasc"
    _nothing_written(workspace, tmp_path)


def test_a_linked_store_table_column_that_does_not_exist(
    workspace: Workspace, researcher: User, tmp_path: Path
) -> None:
    linked = [{"table": "dr3_neet", "columns": {"main_activity": None, "salary": None}}]
    profile = parse_profile({**yaml.safe_load(DEFAULT_PROFILE.read_text()), "linked": linked},
                            source="p.yaml")  # fmt: skip
    with pytest.raises(ConfigError) as error:
        build_archive(
            workspace, tmp_path / "archive", actor=researcher, profile=profile, today=BUILD_DAY
        )
    assert error.value.where.column == "linked[0].columns.salary"
    _nothing_written(workspace, tmp_path)


def test_risk_above_the_profile_threshold_refuses_the_build(
    workspace: Workspace, researcher: User, tmp_path: Path
) -> None:
    profile = load_profile(_profile_file(tmp_path, k=2, max_prosecutor_risk=0.1))
    with pytest.raises(PolicyViolation) as error:
        build_archive(
            workspace, tmp_path / "archive", actor=researcher, profile=profile, today=BUILD_DAY
        )
    assert "above the profile's threshold of 0.1" in error.value.what
    assert "k to at least 10" in error.value.fix
    _nothing_written(workspace, tmp_path)


def test_a_failure_while_writing_leaves_nothing(
    workspace: Workspace, researcher: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(build_module, "write_dta", disk_full)
    with pytest.raises(OSError):
        build_archive(workspace, tmp_path / "archive", actor=researcher, today=BUILD_DAY)
    _nothing_written(workspace, tmp_path)


def test_an_existing_package_is_never_overwritten(
    workspace: Workspace, researcher: User, tmp_path: Path
) -> None:
    (tmp_path / "archive").mkdir()
    (tmp_path / "archive" / "keep.txt").write_text("earlier package")
    with pytest.raises(ConfigError, match="never overwritten"):
        build_archive(workspace, tmp_path / "archive", actor=researcher, today=BUILD_DAY)
    assert (tmp_path / "archive" / "keep.txt").read_text() == "earlier package"


def test_l_diversity_on_the_outcome(workspace: Workspace, researcher: User, tmp_path: Path) -> None:
    import pandas as pd
    from pycanon import anonymity

    profile = load_profile(_profile_file(tmp_path, l=2, suppression_limit=0.2))
    build = build_archive(
        workspace, tmp_path / "archive", actor=researcher, profile=profile, today=BUILD_DAY
    )
    table = pd.read_csv(tmp_path / "archive" / "data" / "referrals.csv", dtype=str)
    qis = list(profile.quasi_identifiers)
    assert anonymity.k_anonymity(table, qis) >= 10
    assert anonymity.l_diversity(table, qis, ["looked_after"]) >= 2
    assert build.records == len(table)
