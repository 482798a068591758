"""Pseudonyms: known answers, and the fast and SQL paths agree with the reference."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from steward.errors import KeyStoreError
from steward.pseudonymise import distinct, hmac_kernel
from steward.pseudonymise import pseudonym as p
from steward.pseudonymise.engine_sql import pseudonymise_duckdb
from steward.pseudonymise.pseudonym import (
    Pseudonymiser,
    pseudonym_reference,
    pseudonymise,
    pseudonymise_reference,
)

KEY = bytes(range(32))

# RFC 4231 HMAC-SHA-256 test cases 1, 4 and 6 (key, data, full MAC).
RFC4231 = [
    (
        b"\x0b" * 20,
        b"Hi There",
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
    ),
    (
        bytes(range(1, 26)),
        b"\xcd" * 50,
        "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
    ),
    (
        b"\xaa" * 131,
        b"Test Using Larger Than Block-Size Key - Hash Key First",
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    ),
]


@pytest.mark.parametrize("implementation", ["auto", "portable", "hashlib"])
@pytest.mark.parametrize(("key", "data", "mac"), RFC4231)
def test_fast_path_matches_rfc4231(key: bytes, data: bytes, mac: str, implementation: str) -> None:
    hasher = Pseudonymiser(key, workers=1, implementation=implementation)  # type: ignore[arg-type]
    out = hasher.digest_distinct(pa.array([data], pa.binary()))
    assert out.to_pylist() == [mac[:32]]


@pytest.mark.parametrize(("key", "data", "mac"), RFC4231)
def test_duckdb_macro_matches_rfc4231(key: bytes, data: bytes, mac: str) -> None:
    # The macro's core, fed the raw RFC message (no la_code framing).
    ipad, opad = p.hmac_pads(key)
    con = duckdb.connect()
    got = con.execute(
        "SELECT sha256($2::BLOB || unhex(sha256($1::BLOB || $3::BLOB)))", [ipad, opad, data]
    ).fetchone()
    assert got == (mac,)


def test_our_message_format_known_answers() -> None:
    assert p.message("E08000005", "0012345") == b"E08000005\x1f0012345"
    assert pseudonym_reference(KEY, "E08000005", "0012345") == "c9807857ac1bdc9be52425694b43c4b3"
    # Same child id in another LA: an unrelated pseudonym.
    assert pseudonym_reference(KEY, "E10000020", "0012345") == "12cf4c759e3293332350854ca0651ba0"
    assert pseudonym_reference(KEY, "E06000003", "CH-ÄØ-7") == "ec18683a9606c4e47fafc503efce55b5"


def test_missing_or_empty_identifier_has_no_pseudonym() -> None:
    ids = pa.array(["A1", None, "", "A1"])
    assert pseudonymise(KEY, "E08000005", ids).to_pylist() == [
        pseudonym_reference(KEY, "E08000005", "A1"),
        None,
        None,
        pseudonym_reference(KEY, "E08000005", "A1"),
    ]


def test_short_key_refused_without_showing_it() -> None:
    with pytest.raises(KeyStoreError) as exc:
        pseudonymise(b"secret-key", "E08000005", pa.array(["1"]))
    assert "secret-key" not in str(exc.value)


def test_per_row_la_codes_and_dedup() -> None:
    las = pa.array(["E08000005", "E10000020", "E08000005", None, "E10000020"])
    ids = pa.array(["7", "7", "7", "7", "8"])
    fast = pseudonymise(KEY, las, ids).to_pylist()
    assert fast == pseudonymise_reference(KEY, las.to_pylist(), ids.to_pylist())
    assert fast[0] == fast[2] != fast[1]
    assert fast[3] is None


def test_chunked_input() -> None:
    ids = pa.chunked_array([["1", "2"], ["2", "3"]])
    assert pseudonymise(KEY, "E08000005", ids).to_pylist() == pseudonymise_reference(
        KEY, ["E08000005"] * 4, ["1", "2", "2", "3"]
    )


def test_parallel_path_agrees(monkeypatch: pytest.MonkeyPatch) -> None:
    # Thresholds lowered so 20k rows are split across threads at every step.
    monkeypatch.setattr(distinct, "PARTITION_THRESHOLD", 1_000)
    monkeypatch.setattr(hmac_kernel, "THREAD_THRESHOLD", 1_000)
    rng = np.random.default_rng(3)
    raw = [f"{i:06d}" for i in rng.integers(0, 5_000, 20_000)]
    got = Pseudonymiser(KEY, workers=2).pseudonymise("E08000005", pa.array(raw)).to_pylist()
    assert got == pseudonymise_reference(KEY, ["E08000005"] * len(raw), raw)


identifiers = st.lists(
    st.one_of(st.none(), st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=12)),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(ids=identifiers, la=st.sampled_from(["E08000005", "E06000003", "E10000020"]))
def test_fast_and_duckdb_agree_with_reference(ids: list[str | None], la: str) -> None:
    expected = pseudonymise_reference(KEY, [la] * len(ids), ids)
    assert pseudonymise(KEY, la, pa.array(ids, pa.string())).to_pylist() == expected
    con = duckdb.connect()
    assert pseudonymise_duckdb(con, KEY, la, pa.array(ids, pa.string())).to_pylist() == expected


def test_duckdb_macro_keeps_no_key_in_sql() -> None:
    from steward.pseudonymise.engine_sql import DUCKDB_MACRO

    ipad, _opad = p.hmac_pads(KEY)
    assert ipad.hex() not in DUCKDB_MACRO and KEY.hex() not in DUCKDB_MACRO
