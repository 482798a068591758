"""Pseudonyms computed inside a SQL engine, from the engine's own SHA-256.

HMAC-SHA256 is two SHA-256 calls over padded keys (RFC 2104)::

    HMAC(K, m) = SHA256((K ^ opad) || SHA256((K ^ ipad) || m))

so any engine with ``sha256`` over BLOBs can compute it without a user-defined function. The
padded keys are passed as query parameters, never written into SQL text, a macro body or a
table: the key does not reach the store, its catalogue or its write-ahead log.

The macro gives exactly the pseudonym of :mod:`steward.pseudonymise.pseudonym` (first 16 bytes
as 32 lowercase hex characters; null for a missing or empty identifier); the tests check that.
Spark has the same building blocks (``sha2(bin, 256)``, ``unhex``, ``concat`` over binary).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from steward.pseudonymise.pseudonym import PSEUDONYM_HEX_CHARS, SEPARATOR, hmac_pads

MACRO_NAME = "steward_pseudonym"

# DuckDB: sha256() of a BLOB returns hex text; unhex() turns the inner digest back into bytes.
DUCKDB_MACRO = f"""
CREATE OR REPLACE TEMP MACRO {MACRO_NAME}(ipad_key, opad_key, la_code, raw_id) AS
CASE WHEN raw_id IS NULL OR raw_id = '' OR la_code IS NULL THEN NULL
ELSE left(
    sha256(opad_key || unhex(sha256(ipad_key || encode(la_code || chr({ord(SEPARATOR)}) || raw_id)))),
    {PSEUDONYM_HEX_CHARS}
) END
"""


def register_duckdb_macro(con: Any) -> None:
    """Define the temporary ``steward_pseudonym`` macro on a DuckDB connection."""
    con.execute(DUCKDB_MACRO)


def key_parameters(key: bytes) -> list[bytes]:
    """The two query parameters the macro takes first: ``[K ^ ipad, K ^ opad]``."""
    ipad, opad = hmac_pads(key)
    return [ipad, opad]


def pseudonymise_duckdb(
    con: Any, key: bytes, la_codes: pa.Array | str, raw_ids: pa.Array
) -> pa.Array:
    """Pseudonyms of an Arrow column computed by DuckDB (each distinct value hashed once)."""
    register_duckdb_macro(con)
    las = (
        pa.array([la_codes] * len(raw_ids), pa.string()) if isinstance(la_codes, str) else la_codes
    )
    # An explicit position: row order out of a parallel scan is not guaranteed.
    rows = pa.table(
        {
            "la_code": las,
            "raw_id": raw_ids.cast(pa.string()),
            "pos": pa.array(np.arange(len(raw_ids), dtype=np.int64)),
        }
    )
    con.register("steward_pseudonym_input", rows)
    try:
        result = con.sql(
            f"""
            WITH src AS (SELECT la_code, raw_id, pos FROM steward_pseudonym_input),
                 distinct_ids AS (
                    SELECT la_code, raw_id, {MACRO_NAME}($1::BLOB, $2::BLOB, la_code, raw_id) AS pid
                    FROM (SELECT DISTINCT la_code, raw_id FROM src))
            SELECT d.pid FROM src LEFT JOIN distinct_ids d
              ON d.la_code IS NOT DISTINCT FROM src.la_code
             AND d.raw_id IS NOT DISTINCT FROM src.raw_id
            ORDER BY src.pos
            """,
            params=key_parameters(key),
        ).to_arrow_table()
    finally:
        con.unregister("steward_pseudonym_input")
    return result.column(0).combine_chunks()


class SparkPseudonymiser:
    """Pseudonyms computed by Spark from its own ``sha2``, ``unhex`` and binary ``concat``.

    Same interface and results as :class:`steward.pseudonymise.pseudonym.Pseudonymiser`. Each
    distinct message is hashed once, in parallel on the executors; the padded keys travel as
    a one-row broadcast *column*, not as literals, so they never appear in a query plan.
    """

    def __init__(self, session: Any, key: bytes) -> None:
        from pyspark.sql import functions as F

        self.session = session
        ipad, opad = hmac_pads(key)
        self._pads = F.broadcast(
            session.createDataFrame([(ipad, opad)], "ipad binary, opad binary")
        )

    def digest_distinct(self, messages: pa.Array) -> pa.StringArray:
        """Pseudonyms of an array of distinct, non-null messages (binary)."""
        from pyspark.sql import functions as F

        if len(messages) == 0:
            return pa.array([], pa.string())
        rows = pa.table(
            {
                "pos": pa.array(np.arange(len(messages), dtype=np.int64)),
                "msg": messages.cast(pa.binary()),
            }
        )
        inner = F.unhex(F.sha2(F.concat(F.col("ipad"), F.col("msg")), 256))
        pseudonym = F.substring(F.sha2(F.concat(F.col("opad"), inner), 256), 1, PSEUDONYM_HEX_CHARS)
        frame = (
            self.session.createDataFrame(rows)
            .crossJoin(self._pads)
            .select("pos", pseudonym.alias("pid"))
        )
        result = frame.toArrow()
        # Partitions come back in any order: put the pseudonyms back by position (a sort in
        # Spark would cost a shuffle).
        order = pc.sort_indices(result.column("pos"))
        return result.column("pid").take(order).combine_chunks().cast(pa.string())

    def pseudonymise(self, la_codes: pa.Array | str, raw_ids: pa.Array) -> pa.StringArray:
        """Pseudonyms of ``raw_ids`` sent by ``la_codes`` (one code, or one per row)."""
        from steward.pseudonymise.pseudonym import Pseudonymiser

        # Messages (LA + separator + id) are built by Arrow; only the hashing runs in Spark.
        messages = Pseudonymiser.messages_of(la_codes, raw_ids)
        encoded = messages.dictionary_encode()
        distinct = encoded.dictionary
        return self.digest_distinct(distinct).take(encoded.indices)
