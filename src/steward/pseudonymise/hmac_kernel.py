"""Batch HMAC-SHA256 in native code: the kernel of :mod:`.hmac_ir`, compiled for this CPU.

The IR is compiled once per process, on first use, by LLVM through ``llvmlite`` for the host
CPU and its features (about 0.15 s with SHA extensions, 0.6 s for the portable rounds), and
called through ``ctypes`` straight on the Arrow buffers. ``ctypes`` releases the GIL during the
call, so a batch is split across threads of this process: no worker processes, nothing pickled.
The same compiled module holds the per-row helpers of :mod:`.rows_ir` (message hashes, the
dictionary-encoding table, hex pseudonyms gathered to rows), wrapped by :class:`CompiledKernel`.

Which compression runs: ``"sha-ni"`` when the CPU reports the ``sha`` feature, else
``"portable"``; :func:`load_kernel` takes either name to force it (the tests run both). When
``llvmlite`` is missing or cannot compile here, ``load_kernel("auto")`` returns ``None`` and the
caller keeps its ``hashlib`` path.
"""

from __future__ import annotations

import ctypes
import itertools
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pyarrow as pa

if TYPE_CHECKING:  # the IR builder imports llvmlite, which may be missing: imported on use
    from steward.pseudonymise.hmac_ir import Compression

KernelChoice = Literal["auto", "sha-ni", "portable"]
DIGEST_BYTES = 32
NO_VALUE = -1  # a row's value index when it has no value (null): hex_rows leaves it null

# Below this many messages a second thread costs more than it saves (one starts in ~50 µs,
# the kernel does ~7 HMACs per µs with SHA extensions).
THREAD_THRESHOLD = 20_000

_BATCH = ctypes.CFUNCTYPE(
    None, *([ctypes.c_void_p] * 4), ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p
)
_COMPRESS = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)
_PER_ROW = ctypes.CFUNCTYPE(
    None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p
)
_DISTINCT = ctypes.CFUNCTYPE(
    ctypes.c_int64,
    *([ctypes.c_void_p] * 4),
    *([ctypes.c_int64] * 3),
    ctypes.c_void_p,
    ctypes.c_int64,
    ctypes.c_void_p,
    ctypes.c_void_p,
)
VALUE_FIELDS = 4  # int64s the table keeps per distinct value: first row, hash, offset, length


def in_threads(count: int, threads: int, run: Callable[[int, int], None]) -> None:
    """``run(start, stop)`` over ``0..count`` in up to ``threads`` slices at once."""
    threads = max(1, min(threads, count // THREAD_THRESHOLD))
    if threads == 1:
        run(0, count)
        return
    bounds = np.linspace(0, count, threads + 1, dtype=np.int64).tolist()
    with ThreadPoolExecutor(threads) as pool:
        for done in [pool.submit(run, lo, hi) for lo, hi in itertools.pairwise(bounds)]:
            done.result()


def _binary_layout(messages: pa.LargeBinaryArray, spare: np.ndarray) -> tuple[int, int]:
    """Addresses of the int64 offsets and the data of ``messages`` (a slice is fine)."""
    _, offsets_buf, data_buf = messages.buffers()
    if offsets_buf is None:  # an empty array: nothing is read
        return spare.ctypes.data, spare.ctypes.data
    offsets = offsets_buf.address + messages.offset * 8
    # An array of empty messages may have no data buffer; the kernel then reads nothing.
    data = data_buf.address if data_buf is not None and data_buf.size else spare.ctypes.data
    return offsets, data


class CompiledKernel:
    """The compiled module: its functions, and the engine that owns their machine code."""

    def __init__(self, compression: Compression, engine: Any) -> None:
        from steward.pseudonymise.hmac_ir import BATCH_FUNCTION, COMPRESS_FUNCTION
        from steward.pseudonymise.rows_ir import DISTINCT_FUNCTION, HASH_FUNCTION, HEX_FUNCTION

        self.compression: str = compression
        self._engine = engine
        self.batch = _BATCH(engine.get_function_address(BATCH_FUNCTION))
        self.compress = _COMPRESS(engine.get_function_address(COMPRESS_FUNCTION))
        self._hashes = _PER_ROW(engine.get_function_address(HASH_FUNCTION))
        self._hex = _PER_ROW(engine.get_function_address(HEX_FUNCTION))
        self._distinct = _DISTINCT(engine.get_function_address(DISTINCT_FUNCTION))

    def message_hashes(self, messages: pa.LargeBinaryArray, threads: int = 1) -> np.ndarray:
        """A 64-bit hash of each message (uint64), equal for equal messages; not secret."""
        count = len(messages)
        out = np.empty(count, dtype=np.uint64)
        offsets, data = _binary_layout(messages, out)
        call, target = self._hashes, out.ctypes.data
        in_threads(count, threads, lambda lo, hi: call(offsets, data, lo, hi, target))
        return out

    def distinct_in_part(
        self,
        messages: pa.LargeBinaryArray,
        valid: np.ndarray,
        hashes: np.ndarray,
        parts: int,
        part: int,
        indices: np.ndarray,
    ) -> np.ndarray:
        """Dictionary-encode the rows with ``hashes % parts == part``: the first row of each
        distinct value, in order of appearance; those rows' value numbers (from 0 in this
        part) go into ``indices`` (int32, -1 where ``valid`` is 0)."""
        count = len(messages)
        if not (len(valid) == len(hashes) == len(indices) == count):
            raise ValueError("valid, hashes and indices need one entry per message")
        valid = np.ascontiguousarray(valid, dtype=np.uint8)
        hashes = np.ascontiguousarray(hashes, dtype=np.uint64)
        if indices.dtype != np.int32 or not indices.flags.c_contiguous:
            raise ValueError("indices must be a contiguous int32 array (it is written to)")
        rows = int(np.count_nonzero(hashes % np.uint64(parts) == part))
        slots = np.full(1 << max(4, (2 * rows - 1).bit_length()), -1, dtype=np.int32)  # ≤ half full
        values = np.empty((rows, VALUE_FIELDS), dtype=np.int64)
        offsets, data = _binary_layout(messages, values)
        found = self._distinct(
            offsets,
            data,
            valid.ctypes.data,
            hashes.ctypes.data,
            count,
            parts,
            part,
            slots.ctypes.data,
            len(slots) - 1,
            indices.ctypes.data,
            values.ctypes.data,
        )
        return values[:found, 0]  # each value's first row

    def hex_rows(
        self, digests: np.ndarray, indices: np.ndarray, threads: int = 1
    ) -> pa.StringArray:
        """Row ``r``: the first 16 bytes of ``digests[indices[r]]`` in hex; null where < 0."""
        count = len(indices)
        if count * 32 > np.iinfo(np.int32).max:  # Arrow string offsets are int32
            raise ValueError("over 67 million rows in one call: pseudonymise them in batches")
        indices = np.ascontiguousarray(indices, dtype=np.int32)
        digests = np.ascontiguousarray(digests, dtype=np.uint8)
        if digests.ndim != 2 or digests.shape[1] != DIGEST_BYTES:
            raise ValueError("digests must be 32 bytes a row")
        if count and int(indices.max()) >= len(digests):  # the kernel reads without checking
            raise ValueError("an index points past the digests")
        chars = np.zeros(count * 32, dtype=np.uint8)
        call = self._hex
        source, rows, target = digests.ctypes.data, indices.ctypes.data, chars.ctypes.data
        in_threads(count, threads, lambda lo, hi: call(source, rows, lo, hi, target))
        offsets = np.arange(0, (count + 1) * 32, 32, dtype=np.int32)
        valid = indices >= 0
        nulls = count - int(np.count_nonzero(valid))
        bitmap = pa.py_buffer(np.packbits(valid, bitorder="little")) if nulls else None
        return pa.StringArray.from_buffers(
            count, pa.py_buffer(offsets), pa.py_buffer(chars), bitmap, nulls
        )


_compiled: dict[str, CompiledKernel] = {}
_compile_lock = threading.Lock()


def host_has_sha_extensions() -> bool:
    """Whether LLVM sees the x86 SHA extensions on this CPU."""
    import llvmlite.binding as llvm

    return bool(llvm.get_host_cpu_features().get("sha", False))


def _compile(compression: Compression) -> CompiledKernel:
    import llvmlite.binding as llvm

    from steward.pseudonymise.hmac_ir import build_module

    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    module = llvm.parse_assembly(str(build_module(compression)))
    module.verify()
    target = llvm.Target.from_triple(llvm.get_process_triple())
    machine = target.create_target_machine(
        cpu=llvm.get_host_cpu_name(),
        features=llvm.get_host_cpu_features().flatten(),
        opt=3,
        jit=True,
    )
    passes = llvm.create_pass_builder(machine, llvm.create_pipeline_tuning_options(speed_level=3))
    passes.getModulePassManager().run(module, passes)
    engine = llvm.create_mcjit_compiler(module, machine)
    engine.finalize_object()
    return CompiledKernel(compression, engine)


def _compiled_kernel(choice: KernelChoice) -> CompiledKernel:
    if sys.byteorder != "little":
        raise RuntimeError("the HMAC kernel loads words with bswap: little-endian hosts only")
    compression: Compression
    if choice == "auto":
        compression = "sha-ni" if host_has_sha_extensions() else "portable"
    elif choice == "sha-ni" and not host_has_sha_extensions():
        raise RuntimeError("this CPU has no SHA extensions")
    else:
        compression = choice
    with _compile_lock:
        if compression not in _compiled:
            _compiled[compression] = _compile(compression)
        return _compiled[compression]


def load_kernel(choice: KernelChoice = "auto") -> CompiledKernel | None:
    """The compiled kernel, or ``None`` on ``"auto"`` when it cannot be built on this platform.

    A forced choice (``"sha-ni"``, ``"portable"``) raises instead, so a test cannot pass by
    silently falling back.
    """
    try:
        return _compiled_kernel(choice)
    except Exception:
        if choice != "auto":
            raise
        return None


class HmacKernel:
    """HMAC-SHA256 under one key for whole Arrow arrays of messages."""

    def __init__(self, compiled: CompiledKernel, ipad: bytes, opad: bytes) -> None:
        from steward.pseudonymise.hmac_ir import INITIAL_STATE

        self.compression = compiled.compression
        self.compiled = compiled
        # Midstates: the SHA-256 state after the one-block ipad / opad, by the same kernel.
        self._inner = np.array(INITIAL_STATE, dtype=np.uint32)
        self._outer = np.array(INITIAL_STATE, dtype=np.uint32)
        compiled.compress(self._inner.ctypes.data, ipad)
        compiled.compress(self._outer.ctypes.data, opad)

    def digests(
        self, messages: pa.LargeBinaryArray, threads: int = 1, out: np.ndarray | None = None
    ) -> np.ndarray:
        """A ``(len(messages), 32)`` uint8 array of the HMACs of non-null ``messages``
        (written into ``out`` when given: a C-contiguous array of that shape)."""
        count = len(messages)
        if out is None:
            out = np.empty((count, DIGEST_BYTES), dtype=np.uint8)
        elif (
            out.shape != (count, DIGEST_BYTES)
            or out.dtype != np.uint8
            or not out.flags.c_contiguous
        ):
            raise ValueError("out must be a C-contiguous uint8 array of one 32-byte row a message")
        offsets, data = _binary_layout(messages, out)
        call = self.compiled.batch
        inner, outer, target = self._inner.ctypes.data, self._outer.ctypes.data, out.ctypes.data
        in_threads(count, threads, lambda lo, hi: call(inner, outer, offsets, data, lo, hi, target))
        return out
