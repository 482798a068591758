"""Deterministic writers of the package files: same table, same bytes, every time.

* CSV: UTF-8, ``\\n`` line ends, blank for missing.
* Parquet: fixed writer settings (zstd level 3, format 2.6, data page v1, one row group size)
  and our own schema metadata in place of pandas' (which names the pandas version).
* Stata ``.dta`` (via pyreadstat): ReadStat stamps the file with the time of writing, so the
  stamp is overwritten with a fixed one (:data:`DTA_TIMESTAMP`); the stamp has a fixed length,
  so no other byte moves.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyreadstat

from steward.archive.variables import Variable, stata_frame

DTA_TIMESTAMP = b"01 Jan 1970 00:00"
_STAMP_TAG = b"<timestamp>"
_ROW_GROUP = 256_000


def write_csv(table: pd.DataFrame, path: Path) -> None:
    """The table as CSV."""
    table.to_csv(path, index=False, lineterminator="\n", na_rep="", encoding="utf-8")


def write_parquet(table: pd.DataFrame, variables: list[Variable], path: Path) -> None:
    """The table as Parquet, with each variable's label in the schema metadata."""
    arrow = pa.Table.from_pandas(table, preserve_index=False)
    labels = {v.name: v.label for v in variables}
    arrow = arrow.replace_schema_metadata({"steward.variable_labels": json.dumps(labels)})
    pq.write_table(
        arrow,
        path,
        compression="zstd",
        compression_level=3,
        version="2.6",
        data_page_version="1.0",
        use_dictionary=True,
        write_statistics=True,
        row_group_size=_ROW_GROUP,
    )


def write_dta(table: pd.DataFrame, variables: list[Variable], path: Path, file_label: str) -> None:
    """The table as Stata ``.dta`` with variable and value labels, and a fixed time stamp."""
    frame, value_labels = stata_frame(table, variables)
    pyreadstat.write_dta(
        frame,
        str(path),
        file_label=file_label[:80],
        column_labels={v.name: v.label[:80] for v in variables},
        variable_value_labels=value_labels,
    )
    fix_dta_timestamp(path)


def fix_dta_timestamp(path: Path) -> None:
    """Overwrite the time stamp in a .dta header (format 117 and later) with a fixed one."""
    data = bytearray(path.read_bytes())
    at = data.find(_STAMP_TAG, 0, 512)
    if at < 0:
        raise RuntimeError(f"{path.name} has no <timestamp> in its header")
    start = at + len(_STAMP_TAG)
    length = data[start]
    if length == len(DTA_TIMESTAMP):
        data[start + 1 : start + 1 + length] = DTA_TIMESTAMP
    elif length:
        data[start + 1 : start + 1 + length] = b" " * length
    path.write_bytes(bytes(data))


def write_json(data: Any, path: Path) -> None:
    """Pretty, key-sorted JSON ending in a newline."""
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", "utf-8")


def sha256_file(path: Path) -> str:
    """SHA-256 (hex) of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
