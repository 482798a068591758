"""Keyed pseudonyms: HMAC-SHA256 of an LA's identifier under the workspace pseudonym key.

Message format (UTF-8 bytes)::

    la_code + "\\x1f" + raw_id

``la_code`` is the DfE code of the local authority that sent the identifier (e.g. ``E08000005``)
and ``raw_id`` is the identifier exactly as the return reader normalised it. The ASCII unit
separator (0x1F) never occurs in either part, so two different (la_code, raw_id) pairs never give
the same message, and the same child id sent by two LAs gives two unrelated pseudonyms.

Pseudonym = the first 16 bytes (128 bits) of the HMAC, written as 32 lowercase hex characters.
Why 128 bits is enough: the chance that any two of n distinct identifiers collide is below
n² / 2¹²⁹; for ten million children that is about 1.5e-25, far below the chance of a data entry
error. Hex is kept (rather than base32) because every engine, DuckDB and Spark included, produces
it natively from its own ``sha2``/``sha256``, so the SQL versions can be checked against this one.

A missing (null) or empty identifier has no pseudonym (null): an empty string is not an id, and
pseudonymising it would merge every record without one into a single fictitious child.

Two implementations:
- :func:`pseudonym_reference`: one ``hmac.new`` per value, obviously correct, slow.
- :class:`Pseudonymiser`: dictionary-encodes the Arrow column so each distinct identifier is
  hashed once, re-uses precomputed HMAC inner/outer SHA-256 midstates (no re-keying per value),
  splits large dictionaries across forked worker processes and hex-encodes with numpy.
The tests hold them to agree with each other and with RFC 4231.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import mmap
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from steward.errors import KeyStoreError

SEPARATOR = "\x1f"
PSEUDONYM_BYTES = 16
PSEUDONYM_HEX_CHARS = PSEUDONYM_BYTES * 2
_BLOCK = 64  # SHA-256 block size, the HMAC pad length

# Below this many distinct values, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 200_000
# Byte → its two lowercase hex characters, as one little-endian uint16 (one lookup per byte).
_HEX_PAIRS = np.array(
    [int.from_bytes(f"{b:02x}".encode("ascii"), "little") for b in range(256)], dtype="<u2"
)


def check_key(key: bytes) -> None:
    """Refuse a key too short to be secret; the message never contains the key."""
    if not isinstance(key, bytes | bytearray) or len(key) < 16:
        raise KeyStoreError(
            what="the pseudonym key is missing or shorter than 16 bytes",
            fix="Load the workspace key with KeyStore.load('pseudonym'); it is 32 random bytes.",
        )


def message(la_code: str, raw_id: str) -> bytes:
    """The exact bytes the HMAC is computed over."""
    return (la_code + SEPARATOR + raw_id).encode("utf-8")


def pseudonym_reference(key: bytes, la_code: str | None, raw_id: str | None) -> str | None:
    """The pseudonym of one identifier, computed the obvious way."""
    check_key(key)
    if la_code is None or raw_id is None or raw_id == "":
        return None
    digest = hmac.new(key, message(la_code, raw_id), hashlib.sha256).digest()
    return digest[:PSEUDONYM_BYTES].hex()


def pseudonymise_reference(
    key: bytes, la_codes: Sequence[str | None], raw_ids: Sequence[str | None]
) -> list[str | None]:
    """Pseudonyms of many identifiers, one ``hmac.new`` each (the slow baseline)."""
    return [pseudonym_reference(key, la, rid) for la, rid in zip(la_codes, raw_ids, strict=True)]


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """The HMAC-SHA256 padded keys ``(K ^ ipad, K ^ opad)``, each one 64-byte block."""
    check_key(key)
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\x00")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


# Work shared with forked workers: set just before the pool starts, inherited by fork, so the
# messages are never pickled.
_SHARED: dict[str, Any] = {}
_CAN_FORK = "fork" in multiprocessing.get_all_start_methods()


def _digest_messages(
    inner: Any, outer: Any, offsets: np.ndarray, data: bytes, start: int, stop: int
) -> bytes:
    """Concatenated 32-byte HMACs of messages ``start..stop`` of an Arrow binary layout."""
    view = memoryview(data)
    inner_copy, outer_copy = inner.copy, outer.copy
    out: list[bytes] = []
    append = out.append
    bounds = offsets[start : stop + 1].tolist()
    for lo, hi in itertools.pairwise(bounds):
        h = inner_copy()
        h.update(view[lo:hi])
        o = outer_copy()
        o.update(h.digest())
        append(o.digest())
    return b"".join(out)


def _worker_digest(start: int, stop: int) -> None:
    """Write the HMACs of messages ``start..stop`` straight into the shared output buffer."""
    s = _SHARED
    digests = _digest_messages(s["inner"], s["outer"], s["offsets"], s["data"], start, stop)
    s["out"][start * 32 : stop * 32] = digests


def _hex_strings(digests: bytes | mmap.mmap, count: int) -> pa.StringArray:
    """Arrow strings of the first 16 bytes of each 32-byte digest, as lowercase hex."""
    raw = np.frombuffer(digests, dtype=np.uint8).reshape(count, 32)[:, :PSEUDONYM_BYTES]
    chars = _HEX_PAIRS[raw]
    offsets = np.arange(0, (count + 1) * PSEUDONYM_HEX_CHARS, PSEUDONYM_HEX_CHARS, dtype=np.int32)
    return pa.StringArray.from_buffers(
        count, pa.py_buffer(offsets.tobytes()), pa.py_buffer(chars.tobytes())
    )


class Pseudonymiser:
    """The fast path: HMAC midstates, one hash per distinct identifier, optional workers."""

    def __init__(self, key: bytes, workers: int | None = None) -> None:
        ipad, opad = hmac_pads(key)
        self._inner = hashlib.sha256(ipad)
        self._outer = hashlib.sha256(opad)
        self.workers = workers if workers is not None else min(2, os.cpu_count() or 1)

    @staticmethod
    def _clean_ids(raw_ids: pa.Array) -> pa.Array:
        """Identifiers as text, with empty strings made null (an empty id is no id)."""
        ids = raw_ids.cast(pa.string())
        return pc.if_else(pc.equal(ids, ""), pa.scalar(None, pa.string()), ids)

    def messages(self, la_codes: pa.Array | str, raw_ids: pa.Array) -> pa.Array:
        """The HMAC message of every row (null where there is no identifier)."""
        return self.messages_of(la_codes, raw_ids)

    @classmethod
    def messages_of(cls, la_codes: pa.Array | str, raw_ids: pa.Array) -> pa.Array:
        """The HMAC message of every row (null where there is no identifier)."""
        if isinstance(raw_ids, pa.ChunkedArray):
            raw_ids = raw_ids.combine_chunks()
        if isinstance(la_codes, pa.ChunkedArray):
            la_codes = la_codes.combine_chunks()
        ids = cls._clean_ids(raw_ids)
        las = (
            pa.scalar(la_codes, pa.string())
            if isinstance(la_codes, str)
            else la_codes.cast(pa.string())
        )
        return pc.binary_join_element_wise(las, ids, SEPARATOR)

    def digest_distinct(self, distinct: pa.Array) -> pa.StringArray:
        """Pseudonyms of an array of distinct, non-null messages."""
        distinct = distinct.cast(pa.large_binary())
        count = len(distinct)
        if count == 0:
            return pa.array([], pa.string())
        _, offsets_buf, data_buf = distinct.buffers()
        offsets = np.frombuffer(offsets_buf, dtype=np.int64)[
            distinct.offset : distinct.offset + count + 1
        ]
        data = data_buf.to_pybytes() if data_buf is not None else b""
        if self.workers > 1 and count >= PARALLEL_THRESHOLD and _CAN_FORK:
            digests: bytes | mmap.mmap = self._digest_parallel(offsets, data, count)
        else:
            digests = _digest_messages(self._inner, self._outer, offsets, data, 0, count)
        return _hex_strings(digests, count)

    def _digest_parallel(self, offsets: np.ndarray, data: bytes, count: int) -> mmap.mmap:
        # Anonymous shared memory made before the fork: workers write their digests into it,
        # so results are not pickled back through pipes.
        out = mmap.mmap(-1, count * 32)
        _SHARED.update(inner=self._inner, outer=self._outer, offsets=offsets, data=data, out=out)
        try:
            step = -(-count // (self.workers * 4))  # a few chunks per worker balances load
            bounds = [(lo, min(lo + step, count)) for lo in range(0, count, step)]
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(self.workers, mp_context=context) as pool:
                list(pool.map(_worker_digest, *zip(*bounds, strict=True)))  # re-raises failures
            return out
        finally:
            _SHARED.clear()

    def pseudonymise(self, la_codes: pa.Array | str, raw_ids: pa.Array) -> pa.StringArray:
        """Pseudonyms of ``raw_ids`` sent by ``la_codes`` (one code, or one per row)."""
        if isinstance(raw_ids, pa.ChunkedArray):
            raw_ids = raw_ids.combine_chunks()
        if isinstance(la_codes, pa.ChunkedArray):
            la_codes = la_codes.combine_chunks()
        if isinstance(la_codes, str):
            # One LA (one submission): encode the ids, build messages for distinct ids only.
            ids = self._clean_ids(raw_ids)
            encoded = ids.dictionary_encode()
            distinct = self.messages(la_codes, encoded.dictionary)
        else:
            messages = self.messages(la_codes, raw_ids)
            encoded = messages.dictionary_encode()
            distinct = encoded.dictionary
        pseudonyms = self.digest_distinct(distinct)
        return pseudonyms.take(encoded.indices)


def pseudonymise(key: bytes, la_codes: pa.Array | str, raw_ids: pa.Array) -> pa.StringArray:
    """Pseudonyms of an Arrow column of identifiers; see :class:`Pseudonymiser`."""
    return Pseudonymiser(key).pseudonymise(la_codes, raw_ids)


class PseudonymHasher(Protocol):
    """What pseudonymising steps need: the fast path here, or an engine's (Spark's) own."""

    def pseudonymise(self, la_codes: pa.Array | str, raw_ids: pa.Array) -> pa.StringArray: ...


def hasher_for(key: bytes | PseudonymHasher) -> PseudonymHasher:
    """A hasher for ``key`` (the fast path), or ``key`` itself when it already is one."""
    return Pseudonymiser(key) if isinstance(key, bytes) else key
