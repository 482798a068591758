"""The compiled HMAC kernel, both compressions, its row helpers and the hashlib fallback."""

from __future__ import annotations

import hashlib
import hmac
import sys

import numpy as np
import pyarrow as pa
import pytest

from steward.pseudonymise import distinct as distinct_module
from steward.pseudonymise import hmac_kernel
from steward.pseudonymise.distinct import encode_distinct, encode_with_arrow
from steward.pseudonymise.hmac_kernel import HmacKernel, host_has_sha_extensions, load_kernel
from steward.pseudonymise.pseudonym import Pseudonymiser, hmac_pads, pseudonymise_reference

KEYS = [bytes(range(16)), bytes(range(32)), bytes(range(100, 164)), b"\xaa" * 131]

SHA_NI = pytest.param(
    "sha-ni",
    marks=pytest.mark.skipif(
        not host_has_sha_extensions(), reason="this CPU has no SHA extensions"
    ),
)
COMPRESSIONS = [SHA_NI, "portable"]


def _messages() -> list[bytes]:
    """Every length 0..200 (one to four inner blocks, both padding cases), some UTF-8 text."""
    rng = np.random.default_rng(11)
    out = [rng.integers(0, 256, n, dtype=np.uint8).tobytes() for n in range(201)]
    out += [("E06000003\x1f" + "ÄØ€𝄞" * n).encode("utf-8") for n in range(0, 40, 3)]
    out += [b"\x00" * 55, b"\x80" * 56, b"\xff" * 64, b"x" * 119, b"y" * 120]
    return out


@pytest.mark.parametrize("compression", COMPRESSIONS)
@pytest.mark.parametrize("key", KEYS, ids=lambda k: f"{len(k)}-byte key")
def test_kernel_matches_hmac_new(compression: str, key: bytes) -> None:
    messages = _messages()
    kernel = HmacKernel(load_kernel(compression), *hmac_pads(key))  # type: ignore[arg-type]
    assert kernel.compression == compression
    got = kernel.digests(pa.array(messages, pa.large_binary()))
    for message, digest in zip(messages, got, strict=True):
        assert digest.tobytes() == hmac.new(key, message, hashlib.sha256).digest(), len(message)


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_threads_and_slices_give_the_same_digests(
    compression: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hmac_kernel, "THREAD_THRESHOLD", 100)
    key = bytes(range(32))
    messages = [f"E08000005\x1fFICT{i:08d}".encode() for i in range(3_000)]
    kernel = HmacKernel(load_kernel(compression), *hmac_pads(key))  # type: ignore[arg-type]
    array = pa.array(messages, pa.large_binary())
    one = kernel.digests(array, threads=1)
    assert np.array_equal(kernel.digests(array, threads=3), one)
    assert np.array_equal(kernel.digests(array.slice(1_000, 700), threads=2), one[1_000:1_700])
    assert one[2_999].tobytes() == hmac.new(key, messages[2_999], hashlib.sha256).digest()


def test_auto_picks_sha_extensions_when_the_cpu_has_them() -> None:
    expected = "sha-ni" if host_has_sha_extensions() else "portable"
    assert Pseudonymiser(bytes(range(32))).implementation == expected


def test_message_hashes_are_fnv1a_mixed_and_spread() -> None:
    def reference(message: bytes) -> int:
        h = 0xCBF29CE484222325
        for byte in message:
            h = ((h ^ byte) * 0x100000001B3) % 2**64
        h ^= h >> 33
        h = (h * 0xFF51AFD7ED558CCD) % 2**64
        return h ^ (h >> 33)

    compiled = load_kernel()
    assert compiled is not None
    messages = [f"FICT{i:08d}".encode() for i in range(10_000)] + [b""]
    hashes = compiled.message_hashes(pa.array(messages, pa.large_binary()), threads=2)
    assert [int(h) for h in hashes[:50]] == [reference(m) for m in messages[:50]]
    assert int(hashes[-1]) == reference(b"")
    share = np.count_nonzero(hashes[:-1] % np.uint64(2)) / 10_000
    assert 0.45 < share < 0.55  # sequential ids still split evenly between two cores


def test_hex_rows_gathers_and_leaves_nulls() -> None:
    compiled = load_kernel()
    assert compiled is not None
    rng = np.random.default_rng(5)
    digests = rng.integers(0, 256, (4, 32), dtype=np.uint8)
    indices = np.array([2, -1, 0, 3, 2, -1, 1], dtype=np.int32)
    got = compiled.hex_rows(digests, indices).to_pylist()
    assert got == [None if i < 0 else digests[i, :16].tobytes().hex() for i in indices]
    assert compiled.hex_rows(digests, np.array([], dtype=np.int32)).to_pylist() == []


@pytest.mark.parametrize("parts", [1, 2, 3])
def test_encode_distinct_in_parts(parts: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(distinct_module, "PARTITION_THRESHOLD", 10)
    rng = np.random.default_rng(9)
    raw = [None if i % 17 == 0 else f"C{i}" for i in rng.integers(0, 400, 3_000)] + ["", "ÄØ"]
    values = pa.array(raw, pa.string())
    indices, dictionaries = encode_distinct(values, load_kernel(), parts)
    assert len(dictionaries) == parts
    words = [w for dictionary in dictionaries for w in dictionary.to_pylist()]
    assert len(words) == len(set(words)) == len({v for v in raw if v is not None})
    assert [None if i < 0 else words[i] for i in indices] == raw
    _, [arrow_dictionary] = encode_with_arrow(values)
    assert sorted(words) == sorted(arrow_dictionary.to_pylist())
    indices, dictionaries = encode_distinct(values.slice(1_000, 1_500), load_kernel(), parts)
    words = [w for dictionary in dictionaries for w in dictionary.to_pylist()]
    assert [None if i < 0 else words[i] for i in indices] == raw[1_000:2_500]


def test_equal_hashes_are_told_apart_by_their_bytes() -> None:
    # Every row given the same hash: the table must fall back on comparing the bytes.
    compiled = load_kernel()
    assert compiled is not None
    raw = ["C1", "C10", "C2", "C1", "D1", "C10", "", "C2", ""]
    messages = pa.array(raw, pa.large_binary())
    indices = np.empty(len(raw), dtype=np.int32)
    same = np.full(len(raw), 12345, dtype=np.uint64)
    valid = np.ones(len(raw), dtype=np.uint8)
    firsts = compiled.distinct_in_part(messages, valid, same, 1, 0, indices)
    assert firsts.tolist() == [0, 1, 2, 4, 6]
    assert indices.tolist() == [0, 1, 2, 0, 3, 1, 4, 2, 4]


IMPLEMENTATIONS = [SHA_NI, "portable", "hashlib"]


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_every_implementation_gives_the_reference_pseudonyms(
    implementation: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small thresholds so a few thousand rows take the threaded and partitioned paths too.
    monkeypatch.setattr(distinct_module, "PARTITION_THRESHOLD", 500)
    monkeypatch.setattr(hmac_kernel, "THREAD_THRESHOLD", 100)
    key = bytes(range(32))
    rng = np.random.default_rng(3)
    raw = [["", None, f"{i:06d}", f"ÄØ-{i}"][i % 4] for i in rng.integers(0, 2_000, 6_000)]
    las = [["E08000005", "E10000020", None][i % 3] for i in range(len(raw))]
    hasher = Pseudonymiser(key, workers=2, implementation=implementation)  # type: ignore[arg-type]
    assert hasher.implementation == implementation
    one_la = hasher.pseudonymise("E08000005", pa.array(raw, pa.string())).to_pylist()
    assert one_la == pseudonymise_reference(key, ["E08000005"] * len(raw), raw)
    per_row = hasher.pseudonymise(pa.array(las), pa.array(raw, pa.string())).to_pylist()
    assert per_row == pseudonymise_reference(key, las, raw)
    assert hasher.pseudonymise("E08000005", pa.array([None, ""], pa.string())).to_pylist() == [
        None,
        None,
    ]


def test_falls_back_to_hashlib_when_llvmlite_cannot_load(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "llvmlite.binding", None)  # import now fails
    monkeypatch.setattr(hmac_kernel, "_compiled", {})  # nothing compiled in this process yet
    assert load_kernel("auto") is None
    with pytest.raises(ImportError):
        load_kernel("portable")  # a forced kernel never falls back silently
    key = bytes(range(32))
    hasher = Pseudonymiser(key)
    raw = ["0012345", "", "0012345", "CH-ÄØ-7"]
    assert hasher.pseudonymise("E06000003", pa.array(raw)).to_pylist() == pseudonymise_reference(
        key, ["E06000003"] * 4, raw
    )
    assert hasher.implementation == "hashlib"
