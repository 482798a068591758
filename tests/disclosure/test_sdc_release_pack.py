from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from steward.cli.disclosure import app
from steward.disclosure import (
    OutputRequestPack,
    Release,
    check_frequency_table,
    check_model,
    crosstab,
    to_display,
)
from steward.errors import DisclosureError, InputFileError


def two_way() -> pd.DataFrame:
    return pd.DataFrame(
        [[3, 20, 30], [25, 40, 50], [15, 35, 45]],
        index=pd.Index(["r1", "r2", "r3"], name="la"),
        columns=pd.Index(["c1", "c2", "c3"], name="outcome"),
    )


def test_a_cell_withheld_in_one_table_is_withheld_in_the_other() -> None:
    """(r3, c1)=15 and (r3, c2)=35 are withheld in the two-way table only to protect (r1, c1)=3;
    the one-way table of outcome for la=r3 prints the same aggregates, so it must withhold them."""
    release = Release("nwd")
    first = release.add(check_frequency_table(two_way(), name="la by outcome"))
    row_r3 = pd.Series(
        [15, 35, 45], index=pd.Index(["c1", "c2", "c3"], name="outcome"), name="count"
    )
    alone = check_frequency_table(row_r3, name="outcome, la r3")
    assert alone.status == "pass"  # on its own nothing is small
    second = release.add(
        check_frequency_table(row_r3, name="outcome, la r3", conditions={"la": "r3"})
    )
    one_way = release[second]
    assert sorted(one_way.cells_with("secondary")) == [("c1", "count"), ("c2", "count")]
    assert one_way.status == "review"
    assert to_display(one_way).loc["c1", "count"] == "[c]"
    assert "match other tables" in one_way.comments[-1]
    # every aggregate is either withheld everywhere or nowhere
    withheld = {
        key
        for _, out in release
        for cell, key in out.cell_keys.items()
        if out.suppressed().iat[cell]
    }
    for _, out in release:
        for cell, key in out.cell_keys.items():
            assert out.suppressed().iat[cell] == (key in withheld)
    assert release.audit() == []
    assert release[first].status == "review"


def test_margin_of_a_two_way_table_is_the_one_way_table(acro_data: pd.DataFrame) -> None:
    release = Release("grants")
    release.add(crosstab(acro_data, "year", "grant_type"))
    marginal = release.add(crosstab(acro_data, "grant_type"))
    # the one-way counts equal the published column totals, and stay published in both
    assert release[marginal].status == "pass"
    assert release[marginal].safe.loc["R/G", "count"] == 48
    assert release.audit() == []


def test_release_refuses_tables_that_disagree() -> None:
    release = Release("r")
    release.add(check_frequency_table(two_way(), name="a"))
    other = two_way()
    other.iloc[0, 0] = 4
    with pytest.raises(DisclosureError, match="different values"):
        release.add(check_frequency_table(other, name="b"))


def pack_of_three() -> tuple[Release, OutputRequestPack]:
    release = Release("nwd-2026-q1")
    release.add(check_frequency_table(two_way(), name="la by outcome"))
    big = two_way() + 20
    release.add(check_frequency_table(big, name="all large", conditions={"wave": 2}))
    release.add(check_model(name="glm", residual_dof=4))
    return release, OutputRequestPack.from_release(release)


def test_pack_results_json_has_the_acro_shape(tmp_path: Path) -> None:
    _, pack = pack_of_three()
    pack.add_exception("output_0", "Needed for the LA comparison in chapter 3.")
    folder = pack.write(tmp_path / "pack")
    document = json.loads((folder / "results.json").read_text())
    assert document["version"] == "steward-sdc/1"
    assert document["rules"]["safe_threshold"] == 10
    results = document["results"]
    assert list(results) == ["output_0", "output_1", "output_2"]
    first = results["output_0"]
    for field in (
        "uid",
        "status",
        "type",
        "properties",
        "files",
        "outcome",
        "command",
        "summary",
        "exception",
        "comments",
        "timestamp",
        "review",
    ):
        assert field in first
    assert first["status"] == "review"
    assert first["type"] == "table"
    assert first["exception"].startswith("Needed")
    assert first["outcome"]["c1"]["r1"] == "threshold"
    assert first["outcome"]["c2"]["r1"] == "secondary"
    assert first["files"][0]["name"] == "output_0.csv"
    assert first["files"][0]["sdc"]["summary"]["threshold"] == 1
    assert first["files"][0]["sdc"]["cells"]["threshold"] == [[0, 0]]
    assert results["output_1"]["status"] == "pass"
    assert results["output_2"]["type"] == "regression"
    assert results["output_2"]["status"] == "fail"
    csv = (folder / "output_0.csv").read_text()
    assert "[c]" in csv and ",3," not in csv  # the withheld 3 never leaves
    summary = (folder / "summary.md").read_text()
    assert "| output_0 | la by outcome | review |" in summary
    assert "[c]" in (folder / "summary.html").read_text()
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_checker_approves_and_rejects_and_decisions_persist(tmp_path: Path) -> None:
    _, pack = pack_of_three()
    folder = pack.write(tmp_path)
    pack.approve("output_0", "A. Checker", "Suppression fine")
    pack.reject("output_1", "A. Checker", "Duplicates output_0")
    with pytest.raises(DisclosureError, match="cannot be approved"):
        pack.approve("output_2", "A. Checker")
    with pytest.raises(DisclosureError, match="no output"):
        pack.approve("output_9", "A. Checker")
    with pytest.raises(DisclosureError, match="checker's name"):
        pack.approve("output_0", "  ")
    pack.write()
    again = OutputRequestPack.load(folder)
    assert again.decisions() == {"output_0": "approve", "output_1": "reject", "output_2": None}
    review = again.records["output_0"]["review"]
    assert review["checker"] == "A. Checker" and review["comment"] == "Suppression fine"
    assert "approve by A. Checker: Suppression fine" in (folder / "summary.md").read_text()


def test_loading_something_that_is_not_a_pack(tmp_path: Path) -> None:
    (tmp_path / "results.json").write_text("{}")
    with pytest.raises(InputFileError, match="output-request pack"):
        OutputRequestPack.load(tmp_path)


def test_cli_show_approve_reject(tmp_path: Path) -> None:
    _, pack = pack_of_three()
    folder = pack.write(tmp_path)
    runner = CliRunner()
    shown = runner.invoke(app, ["show", str(folder)])
    assert shown.exit_code == 0, shown.output
    assert "output_0" in shown.output and "pending" in shown.output
    ok = runner.invoke(
        app, ["approve", str(folder), "output_0", "--checker", "Sam", "--comment", "fine"]
    )
    assert ok.exit_code == 0, ok.output
    rejected = runner.invoke(
        app, ["reject", str(folder), "output_1", "--checker", "Sam", "--comment", "no"]
    )
    assert rejected.exit_code == 0, rejected.output
    refused = runner.invoke(app, ["approve", str(folder), "output_2", "--checker", "Sam"])
    assert refused.exit_code == DisclosureError.exit_code
    assert OutputRequestPack.load(folder).decisions() == {
        "output_0": "approve",
        "output_1": "reject",
        "output_2": None,
    }
    missing = runner.invoke(app, ["show", str(tmp_path / "nowhere")])
    assert missing.exit_code == InputFileError.exit_code
