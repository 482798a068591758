"""Ingest of the statutory returns: CIN census XML and SSDA903 CSV tables.

Same guarantees as the evaluation's own returns: refused before anything is stored if the file
is unreadable, from an LA outside the study or from an LA the acting user may not submit for;
rows that break a blocking rule quarantined (encrypted, with the reason); everything else
pseudonymised and loaded in one store transaction. These functions prepare a file (see
:mod:`steward.ingest_prepare`); the ingest run keeps it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from steward.errors import InputFileError, Location
from steward.pseudonymise.statutory import pseudonymise_cin, pseudonymise_ssda903
from steward.returns.cin_census.validate import read_cin_census
from steward.returns.detect import normalise_heading, parse_month
from steward.returns.ssda903.local_sql import query_arrow
from steward.returns.ssda903.periods import periods_of_care, periods_of_care_sql
from steward.returns.ssda903.reader import read_ssda903
from steward.returns.ssda903.spec import identify
from steward.study.local_authorities import LocalAuthority

if TYPE_CHECKING:
    from steward.ingest_prepare import PrepareContext, Prepared


def statutory_kind(path: Path) -> str | None:
    """'cin' for XML, 'ssda903' for a CSV whose header is an SSDA903 table, else None."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return "cin"
    if path.suffix.lower() == ".csv":
        first = head.decode("utf-8", errors="replace").lstrip("\ufeff").splitlines()[:1]
        if first and identify(first[0].split(","))[0] is not None:
            return "ssda903"
    return None


def _study_la(code: str, las: Sequence[LocalAuthority], path: Path) -> LocalAuthority:
    la = next((a for a in las if a.code == code), None)
    if la is None:
        raise InputFileError(
            what=f"{path.name} comes from local authority {code}, which is not in the study",
            fix="Ingest returns of the study's LAs only ("
            + ", ".join(f"{a.name} {a.code}" for a in las)
            + "), or add the LA to the study definition.",
            where=Location(file=path.name),
        )
    return la


@cache
def _folded_names(las: tuple[LocalAuthority, ...]) -> tuple[str, ...]:
    """The LAs' names folded as headings are, once per study rather than once per file."""
    return tuple(normalise_heading(a.name) for a in las)


def _la_from_path(path: Path, las: Sequence[LocalAuthority]) -> LocalAuthority:
    """SSDA903 files carry no LA: take it from the file or folder name (slug, name or code)."""
    study = tuple(las)
    names = _folded_names(study)
    for part in (path.stem, path.parent.name):
        words = normalise_heading(part).replace("_", " ").split()
        text = " ".join(words)
        found = [a for a, name in zip(study, names, strict=True)
                 if a.slug in words or a.code in words or name in text]  # fmt: skip
        if len(found) == 1:
            return found[0]
    raise InputFileError(
        what=f"cannot tell which local authority sent {path.name}",
        fix="SSDA903 files do not name their LA: put it in the file or folder name, e.g. "
        "norfolk/episodes.csv or 926_episodes.csv.",
        where=Location(file=path.name),
    )


def _collection_end(data: pa.Table) -> dt.date:
    """The 31 March closing the collection year of the latest date in the table."""
    latest = max(
        (v for c in data.column_names if pa.types.is_date(data[c].type)
         if (v := pc.max(data[c]).as_py()) is not None),
        default=dt.date.today(),
    )  # fmt: skip
    year = latest.year + (1 if (latest.month, latest.day) > (3, 31) else 0)
    return dt.date(year, 3, 31)


def prepare_cin(context: PrepareContext, path: Path, submission_id: str) -> Prepared:
    """A CIN census XML: header, LA check, then every batch validated and pseudonymised."""
    from steward.ingest import FileOutcome
    from steward.ingest_prepare import Prepared
    from steward.store import SubmissionRecord

    header, batches = read_cin_census(path)
    la = _study_la(header.la_code, context.local_authorities, path)
    context.authorise(path, la.code)  # before any child is read
    reference = header.reference_date or dt.date(header.collection_year, 3, 31)
    parts: dict[str, list[pa.Table]] = {}
    quarantine: list[pa.Table] = []
    children = 0
    for batch in batches:
        children += batch.children
        if batch.quarantined.num_rows:
            quarantine.append(
                batch.quarantined.append_column("reason", batch.quarantined["reasons"])
            )
        stored = pseudonymise_cin(
            batch.tables, key=context.hasher, la_code=la.code, reference_date=reference,
            collection_year=header.collection_year, submission_id=submission_id,
        )  # fmt: skip
        for name, table in stored.items():
            parts.setdefault(name, []).append(table)
    tables = {name: pa.concat_tables(ts) for name, ts in parts.items()}
    quarantined = sum(t.num_rows for t in quarantine)
    record = SubmissionRecord(submission_id, la.code, "cin", reference, path.name, quarantined)
    outcome = FileOutcome(
        path, "loaded", submission_id=submission_id, la_code=la.code, return_type="cin",
        return_month=reference, rows=children, quarantined=quarantined,
        decisions=[f"CIN census {header.label} from the header; LA {la.name} ({la.code})"],
    )  # fmt: skip
    return Prepared(record, tables, quarantine, outcome)


def prepare_ssda903(context: PrepareContext, path: Path, submission_id: str) -> Prepared:
    """One SSDA903 CSV table: LA from the file's name, rows pseudonymised, periods of care."""
    from steward.ingest import FileOutcome
    from steward.ingest_prepare import Prepared
    from steward.store import SubmissionRecord

    reading = read_ssda903(path)
    la = _la_from_path(path, context.local_authorities)
    context.authorise(path, la.code)
    month = parse_month(path.stem) or _collection_end(reading.data)
    stored = pseudonymise_ssda903(
        reading.table.name, reading.data, key=context.hasher, la_code=la.code,
        return_month=month, submission_id=submission_id,
    )  # fmt: skip
    tables = {} if stored is None else {reading.table.name: stored}
    if reading.table.name == "s903_episodes" and stored is not None:
        tables["s903_periods_of_care"] = _periods(stored)
    quarantine = []
    if reading.quarantined.num_rows:
        quarantine.append(
            reading.quarantined.append_column("reason", reading.quarantined["reasons"])
        )
    quarantined = reading.quarantined.num_rows
    record = SubmissionRecord(submission_id, la.code, "ssda903", month, path.name, quarantined)
    decisions = [f"SSDA903 {reading.table.name.removeprefix('s903_')} table from its columns "
                 f"({reading.encoding}); LA {la.name} ({la.code})"]  # fmt: skip
    if stored is None:
        decisions.append("table not kept: the evaluation does not use it (data minimisation)")
    outcome = FileOutcome(
        path, "loaded", submission_id=submission_id, la_code=la.code, return_type="ssda903",
        return_month=month, rows=reading.rows_in, quarantined=quarantined, decisions=decisions,
    )  # fmt: skip
    return Prepared(record, tables, quarantine, outcome)


def _periods(episodes: pa.Table) -> pa.Table:
    """Periods of care from the (pseudonymised) episodes of one submission."""
    # The periods SQL speaks SSDA903's own column names.
    raw_names = {"episode_start_date": "DECOM", "episode_end_date": "DEC",
                 "reason_new_episode": "RNE", "legal_status": "LS"}  # fmt: skip
    renamed = episodes.rename_columns([raw_names.get(c, c) for c in episodes.column_names])
    periods = periods_of_care(renamed, child="child_pid")
    if periods is None:  # episodes the SQL orders its own way (see periods_of_care)
        sql = periods_of_care_sql("episodes", child='"child_pid"')
        periods = query_arrow(sql, episodes=renamed)
    n = periods.num_rows
    extra = {
        c: pa.repeat(episodes[c][0] if episodes.num_rows else pa.scalar(None, episodes[c].type), n)
        for c in ("la_code", "return_month", "submission_id")
    }
    return pa.table(
        {
            "child_pid": periods["child_pid"],
            "period_no": periods["period_no"].cast(pa.int64()),
            "period_start": periods["period_start"],
            "period_end": periods["period_end"],
            "episodes": periods["episodes"].cast(pa.int64()),
            "first_legal_status": periods["first_legal_status"],
            **extra,
            "source_sheet": pa.array(["s903_periods_of_care"] * n, pa.string()),
            "source_row": pa.array(range(1, n + 1), pa.int64()),
        }
    )
