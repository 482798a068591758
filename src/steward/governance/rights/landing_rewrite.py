"""Removing one person from a landed return that holds many: decrypt, drop their rows,
re-encrypt the rest as a new object, shred the old one.

The person's rows are found the only way the evaluator can: every sheet's LA child id column is
pseudonymised with the workspace key and compared with the person's pseudonym. The remaining
cells are written back as text (the way the reader reads them: identifiers keep their leading
zeros, dates keep the text the reader understands), so reading the new file gives the same
records less the person's.
"""

from __future__ import annotations

import csv
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from steward.landing import Landing
from steward.pseudonymise.pseudonym import pseudonym_reference
from steward.returns.reader import read_return
from steward.returns.sheets import open_sheets
from steward.study.local_authorities import LocalAuthority

REWRITABLE = (".xlsx", ".csv")


@dataclass(frozen=True)
class Rewritten:
    old_sha: str
    new_sha: str | None  # None when nothing else was in the file (it is simply shredded)
    rows_removed: int


def person_rows(
    path: Path, pseudonym_key: bytes, pid: str, local_authorities: tuple[LocalAuthority, ...]
) -> dict[str, set[int]]:
    """Spreadsheet row numbers, per sheet, whose LA child id pseudonymises to ``pid``."""
    reading = read_return(path, local_authorities=local_authorities)
    rows: dict[str, set[int]] = {}
    for table in reading.tables:
        if "child_id" not in table.data.column_names:
            continue
        ids = table.data.column("child_id").to_pylist()
        numbers = table.data.column("source_row").to_pylist()
        for raw, number in zip(ids, numbers, strict=True):
            if raw and pseudonym_reference(pseudonym_key, reading.la_code, raw) == pid:
                rows.setdefault(table.sheet, set()).add(int(number))
    return rows


def _write_without(path: Path, out: Path, drop: dict[str, set[int]]) -> None:
    kind, sheets = open_sheets(path)
    if kind == "xlsx":
        import xlsxwriter

        workbook = xlsxwriter.Workbook(str(out), {"strings_to_numbers": False})
        try:
            for sheet in sheets:
                ws = workbook.add_worksheet(sheet.name)
                skip = drop.get(sheet.name, set())
                written = 0
                for index, row in enumerate(sheet.cells.to_pylist()):
                    if index + 1 in skip:
                        continue
                    for col, name in enumerate(sheet.cells.column_names):
                        if row[name] is not None:
                            ws.write_string(written, col, str(row[name]))
                    written += 1
        finally:
            workbook.close()
        return
    (sheet,) = sheets
    skip = set().union(*drop.values())  # a CSV is one sheet, whatever the reader named it
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        for index, row in enumerate(sheet.cells.to_pylist()):
            if index + 1 not in skip:
                writer.writerow(
                    ["" if row[c] is None else row[c] for c in sheet.cells.column_names]
                )


def rewrite_without(
    landing: Landing,
    sha: str,
    suffix: str,
    pseudonym_key: bytes,
    pid: str,
    local_authorities: tuple[LocalAuthority, ...],
) -> Rewritten | None:
    """Re-land file ``sha`` without ``pid``'s rows and shred the original.

    None when the file cannot be rewritten here (not xlsx or CSV) or does not hold the person.
    """
    if suffix.lower() not in REWRITABLE:
        return None
    with landing.open_plaintext(sha, suffix.lower()) as path:
        drop = person_rows(path, pseudonym_key, pid, local_authorities)
        if not drop:
            return None
        removed = sum(len(rows) for rows in drop.values())
        with tempfile.TemporaryDirectory(prefix="steward-rewrite-") as folder:
            os.chmod(folder, 0o700)
            out = Path(folder) / f"rewritten{suffix.lower()}"
            _write_without(path, out, drop)
            remaining = person_rows(out, pseudonym_key, pid, local_authorities)
            if remaining:  # never shred the original unless the copy is really clean
                raise RuntimeError("the rewritten landing file still holds the person")
            new_sha = landing.put(out).sha256
    landing.shred(sha)
    return Rewritten(old_sha=sha, new_sha=new_sha, rows_removed=removed)
