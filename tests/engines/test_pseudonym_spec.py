"""Pseudonyms: the plain-Python reference, the fast path, DuckDB's macro and Spark agree.

Each engine builds HMAC-SHA256 from its own SHA-256; a child must get the same pseudonym
whichever engine ingested their return, or linkage across engines would silently fail.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from steward.pseudonymise.engine_sql import SparkPseudonymiser, pseudonymise_duckdb
from steward.pseudonymise.pseudonym import Pseudonymiser, hmac_pads, pseudonym_reference
from steward.store.dialect_spark import SparkSql

KEY = bytes(range(32))
IDS = ["A1", "", None, "0042", "A1", "ÆØÅ-ü", " padded ", "x" * 300, "926C00000001", "1"]
LAS = ["354", "354", "807", None, "926", "926", "877", "856", "UPN", "UPN"]


def _reference(las: list[str | None] | str) -> list[str | None]:
    codes = [las] * len(IDS) if isinstance(las, str) else las
    return [pseudonym_reference(KEY, la, raw) for la, raw in zip(codes, IDS, strict=True)]


@pytest.mark.parametrize("las", ["354", LAS], ids=["one_la", "la_per_row"])
def test_every_engine_gives_the_reference_pseudonyms(
    las: list[str | None] | str, spark: SparkSql
) -> None:
    expected = _reference(las)
    assert expected[1] is None and expected[2] is None  # no id, no pseudonym
    ids = pa.array(IDS, pa.string())
    arrow_las = las if isinstance(las, str) else pa.array(las, pa.string())
    engines = {
        "fast path": Pseudonymiser(KEY, workers=1).pseudonymise(arrow_las, ids),
        "duckdb": pseudonymise_duckdb(duckdb.connect(), KEY, arrow_las, ids),
        "spark": SparkPseudonymiser(spark.session, KEY).pseudonymise(arrow_las, ids),
    }
    for name, result in engines.items():
        assert result.to_pylist() == expected, name


def test_spark_keeps_the_key_out_of_its_query_plan(spark: SparkSql) -> None:
    hasher = SparkPseudonymiser(spark.session, KEY)
    plan = hasher._pads._jdf.queryExecution().toString().lower()  # the padded keys' frame
    assert "ipad" in plan and "opad" in plan  # the columns are there ...
    for secret in (KEY, *hmac_pads(KEY)):  # ... their values, in any form, are not
        assert secret.hex() not in plan and secret[:8].hex() not in plan
