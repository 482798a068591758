"""The distinct values of a column and each row's place among them (dictionary encoding).

Arrow's ``dictionary_encode`` runs on one core and, on millions of identifiers, costs more than
hashing them all. With the compiled kernel the rows are instead split by a hash of their bytes
(equal values always land in the same part, so parts share no value), each part is encoded by
the kernel's hash table on its own thread, and the parts' dictionaries are laid end to end.
Without the kernel, Arrow's encoding is used as it is.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from steward.pseudonymise.hmac_kernel import NO_VALUE, CompiledKernel

# Below this many rows one thread is quicker than starting a second.
PARTITION_THRESHOLD = 50_000


def encode_with_arrow(values: pa.Array) -> tuple[np.ndarray, list[pa.Array]]:
    """``(indices, [dictionary])``: ``values[r] == dictionary[indices[r]]``, -1 for nulls."""
    encoded = values.dictionary_encode()
    indices = encoded.indices.fill_null(NO_VALUE).to_numpy(zero_copy_only=False)
    return indices.astype(np.int32, copy=False), [encoded.dictionary]


def encode_distinct(
    values: pa.Array, kernel: CompiledKernel | None, parts: int = 1
) -> tuple[np.ndarray, list[pa.Array]]:
    """As :func:`encode_with_arrow`, by the kernel in ``parts`` threads when there is one.

    The dictionary comes in parts that share no value; ``indices`` point into them laid end to
    end. Callers can go on working part by part on their own threads.
    """
    if kernel is None:
        return encode_with_arrow(values)
    if len(values) < PARTITION_THRESHOLD:
        parts = 1
    messages = values.cast(pa.large_binary())
    hashes = kernel.message_hashes(messages, parts)
    valid = pc.is_valid(values).to_numpy(zero_copy_only=False).view(np.uint8)
    indices = np.empty(len(values), dtype=np.int32)

    def encode_part(part: int) -> pa.Array:
        firsts = kernel.distinct_in_part(messages, valid, hashes, parts, part, indices)
        return values.take(firsts)

    if parts == 1:
        return indices, [encode_part(0)]
    with ThreadPoolExecutor(parts) as pool:
        dictionaries = list(pool.map(encode_part, range(parts)))
    # Number each part's values after those of the parts before it.
    bases = np.cumsum([0] + [len(d) for d in dictionaries[:-1]], dtype=np.int32)
    part_of_row = (hashes % np.uint64(parts)).astype(np.intp)
    indices = np.where(indices == NO_VALUE, NO_VALUE, indices + bases[part_of_row])
    return indices.astype(np.int32, copy=False), dictionaries
