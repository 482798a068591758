"""The Article 30 record of processing activities, one row per purpose, as XLSX and CSV.

The columns follow the ICO's controller documentation template, so the DPO can paste the rows
into it or keep this file as the record itself.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import xlsxwriter

from steward.policy.model import Registry
from steward.policy.retention import add_years

ROPA_COLUMNS = (
    "Name and contact details of controller",
    "Name and contact details of data protection officer",
    "Business function",
    "Purpose of processing",
    "Categories of individuals",
    "Categories of personal data",
    "Special category data",
    "Source of the personal data",
    "Categories of recipients",
    "Link to contract with processor",
    "Names of third countries or international organisations that personal data are transferred to",
    "Safeguards for exceptional transfers of personal data to third countries",
    "Retention schedule",
    "General description of technical and organisational security measures",
    "Article 6 lawful basis for processing personal data",
    "Legitimate interests for the processing",
    "Link to record of legitimate interests assessment",
    "Article 9 basis for processing special category data",
    "DPA 2018 Schedule 1 condition for processing",
    "Research safeguards",
    "Rights available to individuals",
    "Existence of automated decision-making, including profiling",
    "Location of personal data",
    "Data Protection Impact Assessment required?",
    "Link to DPIA",
)


def ropa_rows(registry: Registry, *, final_report_date: dt.date) -> list[dict[str, str]]:
    """One row per purpose, keyed by ``ROPA_COLUMNS``."""
    controller = registry.controller
    measures = "; ".join(m.plain for m in registry.measures)
    rows = []
    for purpose in registry.purposes:
        covered = sorted(registry.covered(purpose.id))
        cats = [registry.category(c) for c in covered]
        basis = registry.lawful_basis(purpose.id)
        cond = registry.special_condition(purpose.id)
        special = [c.name for c in cats if c.special]
        subjects = sorted({s for c in cats for s in c.subjects})
        subject_names = {s.id: s.name for s in registry.data_subjects}
        sources = sorted({s for c in cats for s in c.sources})
        source_names = {s.id: s.name for s in registry.sources}
        recipients = [
            f"{r.category} ({r.name}, {r.role})"
            for r in registry.recipients
            if registry.expand(r.receives) & set(covered)
        ]
        retention = []
        for rule in registry.retention:
            if registry.expand(rule.applies_to) & set(covered):
                due = ""
                if rule.rule == "years_after_final_report":
                    due = f" (delete by {add_years(final_report_date, rule.years or 0)})"
                retention.append(f"{rule.id}: {rule.rule}{due}")
        rights = [
            r.id for r in registry.rights
            if r.bases is None or (basis is not None and basis.basis in r.bases)
        ]  # fmt: skip
        envs = sorted({e for c in cats for e in c.held_in})
        lia = basis.balancing_test if basis is not None else None
        rows.append(
            {
                ROPA_COLUMNS[0]: f"{controller.name}, {controller.address}, {controller.email}",
                ROPA_COLUMNS[1]: f"{controller.dpo_name}, {controller.dpo_email}",
                ROPA_COLUMNS[2]: registry.title,
                ROPA_COLUMNS[3]: f"{purpose.name}: {purpose.plain}",
                ROPA_COLUMNS[4]: "; ".join(subject_names[s] for s in subjects),
                ROPA_COLUMNS[5]: "; ".join(c.name for c in cats),
                ROPA_COLUMNS[6]: "; ".join(special) or "None",
                ROPA_COLUMNS[7]: "; ".join(source_names[s] for s in sources),
                ROPA_COLUMNS[8]: "; ".join(recipients) or "None",
                ROPA_COLUMNS[9]: "Held by the DPO (processor contracts)" if recipients else "",
                ROPA_COLUMNS[10]: "None: personal data never leaves the UK",
                ROPA_COLUMNS[11]: "Not applicable",
                ROPA_COLUMNS[12]: "; ".join(retention),
                ROPA_COLUMNS[13]: measures,
                ROPA_COLUMNS[14]: basis.article if basis else "NONE DECLARED",
                ROPA_COLUMNS[15]: lia.summary if lia else "",
                ROPA_COLUMNS[16]: f"{lia.reference} ({lia.recorded_on})" if lia else "",
                ROPA_COLUMNS[17]: f"Article {cond.article}" if cond and special else "",
                ROPA_COLUMNS[18]: cond.dpa_schedule_1 if cond and special else "",
                ROPA_COLUMNS[19]: cond.safeguards if cond and special else "",
                ROPA_COLUMNS[20]: "; ".join(rights),
                ROPA_COLUMNS[21]: "Yes" if registry.automated_decision_making else "No",
                ROPA_COLUMNS[22]: "; ".join(envs),
                ROPA_COLUMNS[23]: "Yes (children's data, special category data, data matching)",
                ROPA_COLUMNS[24]: "dpia.md (steward policy dpia)",
            }
        )
    return rows


def write_ropa(registry: Registry, out_dir: Path, *, final_report_date: dt.date) -> list[Path]:
    """Write ``ropa.xlsx`` and ``ropa.csv`` into ``out_dir``; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = ropa_rows(registry, final_report_date=final_report_date)
    csv_path = out_dir / "ropa.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=ROPA_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    xlsx_path = out_dir / "ropa.xlsx"
    book = xlsxwriter.Workbook(str(xlsx_path))
    try:
        sheet = book.add_worksheet("Processing activities")
        header = book.add_format({"bold": True, "text_wrap": True, "valign": "top",
                                  "bg_color": "#DDEBF7", "border": 1})  # fmt: skip
        wrap = book.add_format({"text_wrap": True, "valign": "top", "border": 1})
        for col, name in enumerate(ROPA_COLUMNS):
            sheet.write(0, col, name, header)
            sheet.set_column(col, col, 32)
        for r, row in enumerate(rows, start=1):
            for col, name in enumerate(ROPA_COLUMNS):
                sheet.write_string(r, col, row[name], wrap)
        sheet.freeze_panes(1, 1)
    finally:
        book.close()
    return [xlsx_path, csv_path]
