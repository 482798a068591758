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
  hashed once (:mod:`steward.pseudonymise.distinct`), hashes all distinct messages in one
  native call (:mod:`steward.pseudonymise.hmac_kernel`: HMAC midstates, SHA extensions where the
  CPU has them, the batch split across threads) and writes the hex pseudonyms straight to rows.
  Where that kernel cannot be built it falls back on Arrow's dictionary encoding and
  ``hashlib`` from the same midstates, one message at a time, hex-encoded with numpy.
The tests hold them to agree with each other and with RFC 4231.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from steward.errors import KeyStoreError
from steward.pseudonymise.distinct import encode_distinct
from steward.pseudonymise.hmac_kernel import NO_VALUE, HmacKernel, load_kernel

SEPARATOR = "\x1f"
PSEUDONYM_BYTES = 16
PSEUDONYM_HEX_CHARS = PSEUDONYM_BYTES * 2
_BLOCK = 64  # SHA-256 block size, the HMAC pad length
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


def _digest_messages(inner: Any, outer: Any, messages: pa.LargeBinaryArray) -> bytes:
    """Concatenated 32-byte HMACs of non-null ``messages``, with ``hashlib`` (the fallback)."""
    _, offsets_buf, data_buf = messages.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int64)[
        messages.offset : messages.offset + len(messages) + 1
    ]
    view = memoryview(data_buf.to_pybytes() if data_buf is not None else b"")
    inner_copy, outer_copy = inner.copy, outer.copy
    out: list[bytes] = []
    append = out.append
    for lo, hi in itertools.pairwise(offsets.tolist()):
        h = inner_copy()
        h.update(view[lo:hi])
        o = outer_copy()
        o.update(h.digest())
        append(o.digest())
    return b"".join(out)


def _hex_strings(digests: bytes | np.ndarray, count: int) -> pa.StringArray:
    """Arrow strings of the first 16 bytes of each 32-byte digest, as lowercase hex."""
    raw = np.frombuffer(digests, dtype=np.uint8).reshape(count, 32)[:, :PSEUDONYM_BYTES]
    chars = _HEX_PAIRS[raw]
    offsets = np.arange(0, (count + 1) * PSEUDONYM_HEX_CHARS, PSEUDONYM_HEX_CHARS, dtype=np.int32)
    return pa.StringArray.from_buffers(
        count, pa.py_buffer(offsets.tobytes()), pa.py_buffer(chars.tobytes())
    )


Implementation = Literal["auto", "sha-ni", "portable", "hashlib"]


class Pseudonymiser:
    """The fast path: one native HMAC call over the distinct identifiers of a column.

    ``implementation`` forces how the HMACs are computed (tests and benchmarks use it):
    ``"auto"`` takes the compiled kernel with SHA extensions where the CPU has them, else its
    portable rounds, else ``hashlib``; ``"sha-ni"``, ``"portable"`` and ``"hashlib"`` force one.
    ``workers`` is how many threads share a large batch (default: up to 2, the cores here).
    """

    def __init__(
        self, key: bytes, workers: int | None = None, implementation: Implementation = "auto"
    ) -> None:
        self._ipad, self._opad = hmac_pads(key)
        self._inner = hashlib.sha256(self._ipad)
        self._outer = hashlib.sha256(self._opad)
        self.workers = workers if workers is not None else min(2, os.cpu_count() or 1)
        self._choice = implementation
        self._kernel: HmacKernel | None = None
        self._kernel_loaded = False

    def _native(self) -> HmacKernel | None:
        """The compiled kernel, compiled on first use (once per process), or ``None``."""
        if not self._kernel_loaded and self._choice != "hashlib":
            compiled = load_kernel(self._choice)
            if compiled is not None:
                self._kernel = HmacKernel(compiled, self._ipad, self._opad)
            self._kernel_loaded = True
        return self._kernel

    @property
    def implementation(self) -> str:
        """What computes the HMACs here: ``"sha-ni"``, ``"portable"`` or ``"hashlib"``."""
        kernel = self._native()
        return kernel.compression if kernel is not None else "hashlib"

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
        return self._pseudonyms([distinct], np.arange(len(distinct), dtype=np.int32))

    def _pseudonyms(
        self,
        parts: list[pa.Array],
        indices: np.ndarray,
        to_messages: Callable[[pa.Array], pa.Array] | None = None,
    ) -> pa.StringArray:
        """Row ``r``: the pseudonym of distinct value ``indices[r]`` of ``parts`` laid end to
        end (null where -1); ``to_messages`` turns a part's values into HMAC messages."""
        kernel = self._native()
        if kernel is None:
            distinct = pa.concat_arrays(parts) if len(parts) > 1 else parts[0]
            messages = to_messages(distinct) if to_messages else distinct
            joined = _digest_messages(self._inner, self._outer, messages.cast(pa.large_binary()))
            pseudonyms = _hex_strings(joined, len(messages))
            return pseudonyms.take(pa.array(indices, mask=indices == NO_VALUE))
        # Each part's messages and HMACs on a thread of their own, into one digest array.
        digests = np.empty((sum(len(part) for part in parts), 32), dtype=np.uint8)
        starts = np.cumsum([0] + [len(part) for part in parts]).tolist()
        threads = self.workers if len(parts) == 1 else 1

        def digest_part(number: int) -> None:
            messages = to_messages(parts[number]) if to_messages else parts[number]
            out = digests[starts[number] : starts[number + 1]]
            kernel.digests(messages.cast(pa.large_binary()), threads, out=out)

        if len(parts) == 1:
            digest_part(0)
        else:
            with ThreadPoolExecutor(len(parts)) as pool:
                list(pool.map(digest_part, range(len(parts))))  # re-raises failures
        return kernel.compiled.hex_rows(digests, indices, self.workers)

    def _encode(self, values: pa.Array) -> tuple[np.ndarray, list[pa.Array]]:
        kernel = self._native()
        compiled = kernel.compiled if kernel is not None else None
        return encode_distinct(values, compiled, self.workers)

    def pseudonymise(self, la_codes: pa.Array | str, raw_ids: pa.Array) -> pa.StringArray:
        """Pseudonyms of ``raw_ids`` sent by ``la_codes`` (one code, or one per row)."""
        if isinstance(raw_ids, pa.ChunkedArray):
            raw_ids = raw_ids.combine_chunks()
        if isinstance(la_codes, pa.ChunkedArray):
            la_codes = la_codes.combine_chunks()
        if isinstance(la_codes, str):
            # One LA (one submission): encode the ids, build messages for distinct ids only.
            la_code = la_codes
            indices, parts = self._encode(self._clean_ids(raw_ids))
            return self._pseudonyms(parts, indices, lambda ids: self.messages(la_code, ids))
        indices, parts = self._encode(self.messages(la_codes, raw_ids))
        return self._pseudonyms(parts, indices)


def pseudonymise(key: bytes, la_codes: pa.Array | str, raw_ids: pa.Array) -> pa.StringArray:
    """Pseudonyms of an Arrow column of identifiers; see :class:`Pseudonymiser`."""
    return Pseudonymiser(key).pseudonymise(la_codes, raw_ids)


class PseudonymHasher(Protocol):
    """What pseudonymising steps need: the fast path here, or an engine's (Spark's) own."""

    def pseudonymise(self, la_codes: pa.Array | str, raw_ids: pa.Array) -> pa.StringArray: ...


def hasher_for(key: bytes | PseudonymHasher) -> PseudonymHasher:
    """A hasher for ``key`` (the fast path), or ``key`` itself when it already is one."""
    return Pseudonymiser(key) if isinstance(key, bytes) else key
