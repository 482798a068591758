"""The ROPA (Article 30) and the DPIA skeleton generated from the registry."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import fastexcel

from steward.policy.dpia import implied_risks, render_dpia
from steward.policy.loader import default_registry
from steward.policy.ropa import ROPA_COLUMNS, write_ropa

REPORT = dt.date(2026, 6, 30)


def test_ropa_has_the_ico_columns_in_xlsx_and_csv(tmp_path: Path) -> None:
    xlsx, csv_path = write_ropa(default_registry(), tmp_path, final_report_date=REPORT)
    for column in ("Purpose of processing", "Categories of individuals", "Categories of personal data",
                   "Categories of recipients", "Retention schedule",
                   "Article 6 lawful basis for processing personal data",
                   "Article 9 basis for processing special category data",
                   "DPA 2018 Schedule 1 condition for processing", "Rights available to individuals",
                   "Link to DPIA"):  # fmt: skip
        assert column in ROPA_COLUMNS
    with csv_path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(ROPA_COLUMNS)
    assert len(rows) == len(default_registry().purposes)
    by_purpose = {r["Purpose of processing"].split(":")[0]: r for r in rows}
    research = by_purpose["Evaluation research"]
    assert research["Article 6 lawful basis for processing personal data"].startswith(
        "Article 6(1)(f)"
    )
    assert research["Article 9 basis for processing special category data"] == "Article 9(2)(j)"
    assert "paragraph 4" in research["DPA 2018 Schedule 1 condition for processing"]
    assert "2031-06-30" in research["Retention schedule"]
    assert "LIA-NWD-2022-01" in research["Link to record of legitimate interests assessment"]
    archive = by_purpose["Archiving for future research"]
    assert archive["Article 6 lawful basis for processing personal data"].startswith(
        "Article 6(1)(e)"
    )
    assert "erasure" not in archive["Rights available to individuals"]
    assert "erasure" in research["Rights available to individuals"]
    sheet = fastexcel.read_excel(xlsx).load_sheet(0).to_pandas()
    assert list(sheet.columns) == list(ROPA_COLUMNS) and len(sheet) == len(rows)


def test_dpia_names_the_high_risk_triggers_and_measures() -> None:
    registry = default_registry()
    assert [r.id for r in implied_risks(registry)] == [
        "children_data", "special_category", "data_matching", "invisible_processing", "archive",
    ]  # fmt: skip
    text = render_dpia(registry, final_report_date=REPORT, today=dt.date(2026, 7, 1))
    for phrase in ("Children's data", "Special category data", "Data matching", "Archive",
                   "Invisible processing", "## 6. Measures to reduce risk", "keyed pseudonyms",
                   "Article 6(1)(f)", "Automated decision-making: none."):  # fmt: skip
        assert phrase in text
    assert "NO MEASURE DECLARED" not in text


def test_dpia_drops_triggers_the_registry_does_not_imply() -> None:
    registry = default_registry()
    no_special = registry.model_copy(update={"data_categories": [
        c.model_copy(update={"special": False}) for c in registry.data_categories]})  # fmt: skip
    assert "special_category" not in [r.id for r in implied_risks(no_special)]
