"""The batch HMAC-SHA256 kernel written as LLVM IR (compiled by :mod:`.hmac_kernel`).

One exported function does a whole batch, so Python pays one call, not one per identifier::

    void hmac_sha256_batch(const u32 inner[8], const u32 outer[8], const i64 *offsets,
                           const u8 *data, i64 start, i64 stop, u8 *out)

Message ``i`` is ``data[offsets[i]:offsets[i + 1]]`` (the Arrow binary layout); its 32-byte HMAC
goes to ``out[32 * i:]``. ``inner`` and ``outer`` are the SHA-256 states after the HMAC ipad and
opad blocks (midstates), so each message costs its own blocks plus one outer block. A second
export, ``sha256_compress(u32 state[8], const u8 block[64])``, is how those midstates are made.

Two interchangeable compression functions, chosen when the module is built:
- ``sha-ni``: the x86 SHA extensions (``sha256rnds2`` does two rounds, ``sha256msg1/2`` extend
  the message schedule), the instructions of Intel's reference code with the state held as the
  ABEF/CDGH register pair they expect; the schedule is written as its recurrence, four words at
  a time, and LLVM interleaves it with the rounds as the reference does by hand.
- ``portable``: the FIPS 180-4 rounds unrolled in scalar code, for any CPU LLVM targets.
Words are loaded big-endian with ``bswap``, so the kernel is for little-endian hosts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from llvmlite import ir

from steward.pseudonymise.rows_ir import add_row_functions, counted_loop

Compression = Literal["sha-ni", "portable"]

I8, I32, I64 = ir.IntType(8), ir.IntType(32), ir.IntType(64)
V4 = ir.VectorType(I32, 4)
PTR = ir.PointerType()

# FIPS 180-4 §4.2.2 round constants and §5.3.3 initial hash value.
ROUND_CONSTANTS = (
    0x428A2F98, 0x71374491, 0xB5C0FBCF, 0xE9B5DBA5, 0x3956C25B, 0x59F111F1, 0x923F82A4, 0xAB1C5ED5,
    0xD807AA98, 0x12835B01, 0x243185BE, 0x550C7DC3, 0x72BE5D74, 0x80DEB1FE, 0x9BDC06A7, 0xC19BF174,
    0xE49B69C1, 0xEFBE4786, 0x0FC19DC6, 0x240CA1CC, 0x2DE92C6F, 0x4A7484AA, 0x5CB0A9DC, 0x76F988DA,
    0x983E5152, 0xA831C66D, 0xB00327C8, 0xBF597FC7, 0xC6E00BF3, 0xD5A79147, 0x06CA6351, 0x14292967,
    0x27B70A85, 0x2E1B2138, 0x4D2C6DFC, 0x53380D13, 0x650A7354, 0x766A0ABB, 0x81C2C92E, 0x92722C85,
    0xA2BFE8A1, 0xA81A664B, 0xC24B8B70, 0xC76C51A3, 0xD192E819, 0xD6990624, 0xF40E3585, 0x106AA070,
    0x19A4C116, 0x1E376C08, 0x2748774C, 0x34B0BCB5, 0x391C0CB3, 0x4ED8AA4A, 0x5B9CCA4F, 0x682E6FF3,
    0x748F82EE, 0x78A5636F, 0x84C87814, 0x8CC70208, 0x90BEFFFA, 0xA4506CEB, 0xBEF9A3F7, 0xC67178F2,
)  # fmt: skip
INITIAL_STATE = (
    0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19,
)  # fmt: skip

BATCH_FUNCTION = "hmac_sha256_batch"
COMPRESS_FUNCTION = "sha256_compress"

# compress(state: ptr to 8 u32, words: ptr to 16 host-order u32) updates state in place.
Emit = Callable[[ir.IRBuilder, ir.Value, ir.Value], None]


def _i32(value: int) -> ir.Constant:
    return ir.Constant(I32, value)


def _i64(value: int) -> ir.Constant:
    return ir.Constant(I64, value)


class _Intrinsics:
    """The LLVM intrinsics the kernel calls, declared once in its module."""

    def __init__(self, module: ir.Module) -> None:
        def declare(name: str, ret: ir.Type, *args: ir.Type) -> ir.Function:
            return ir.Function(module, ir.FunctionType(ret, args), name=name)

        self.fshr = declare("llvm.fshr.i32", I32, I32, I32, I32)
        self.bswap32 = declare("llvm.bswap.i32", I32, I32)
        self.memcpy = declare("llvm.memcpy.p0.p0.i64", ir.VoidType(), PTR, PTR, I64, ir.IntType(1))
        self.memset = declare("llvm.memset.p0.i64", ir.VoidType(), PTR, I8, I64, ir.IntType(1))
        self.rnds2 = declare("llvm.x86.sha256rnds2", V4, V4, V4, V4)
        self.msg1 = declare("llvm.x86.sha256msg1", V4, V4, V4)
        self.msg2 = declare("llvm.x86.sha256msg2", V4, V4, V4)


def _portable_compress(fns: _Intrinsics) -> Emit:
    """FIPS 180-4 §6.2.2 with every round unrolled (no table lookups, no loop counters)."""

    def rotr(b: ir.IRBuilder, x: ir.Value, n: int) -> ir.Value:
        return b.call(fns.fshr, [x, x, _i32(n)])

    def emit(b: ir.IRBuilder, state: ir.Value, words: ir.Value) -> None:
        w = [b.load(b.gep(words, [_i64(j)], source_etype=I32), typ=I32) for j in range(16)]
        for t in range(16, 64):
            x, y = w[t - 15], w[t - 2]
            s0 = b.xor(b.xor(rotr(b, x, 7), rotr(b, x, 18)), b.lshr(x, _i32(3)))
            s1 = b.xor(b.xor(rotr(b, y, 17), rotr(b, y, 19)), b.lshr(y, _i32(10)))
            w.append(b.add(b.add(w[t - 16], s0), b.add(w[t - 7], s1)))
        slots = [b.gep(state, [_i64(j)], source_etype=I32) for j in range(8)]
        start = [b.load(slot, typ=I32) for slot in slots]
        a, bb, c, d, e, f, g, h = start
        for t in range(64):
            big_s1 = b.xor(b.xor(rotr(b, e, 6), rotr(b, e, 11)), rotr(b, e, 25))
            choose = b.xor(g, b.and_(e, b.xor(f, g)))
            t1 = b.add(b.add(h, big_s1), b.add(choose, b.add(_i32(ROUND_CONSTANTS[t]), w[t])))
            big_s0 = b.xor(b.xor(rotr(b, a, 2), rotr(b, a, 13)), rotr(b, a, 22))
            majority = b.or_(b.and_(a, bb), b.and_(c, b.or_(a, bb)))
            h, g, f, e = g, f, e, b.add(d, t1)
            d, c, bb, a = c, bb, a, b.add(t1, b.add(big_s0, majority))
        for slot, old, new in zip(slots, start, (a, bb, c, d, e, f, g, h), strict=True):
            b.store(b.add(old, new), slot)

    return emit


def _sha_ni_compress(fns: _Intrinsics) -> Emit:
    """One block with the SHA extensions: 16 groups of four rounds, two rounds per sha256rnds2."""
    k_groups = [
        ir.Constant(V4, [_i32(k) for k in ROUND_CONSTANTS[4 * g : 4 * g + 4]]) for g in range(16)
    ]
    after_first = ir.Constant(V4, [1, 2, 3, 4])  # palignr by 4 bytes: lanes 1..3, then 0
    undef = ir.Constant(V4, None)

    def emit(b: ir.IRBuilder, state: ir.Value, words: ir.Value) -> None:
        low = b.load(state, typ=V4, align=4)  # lanes A B C D
        high = b.load(b.gep(state, [_i64(4)], source_etype=I32), typ=V4, align=4)  # E F G H
        # sha256rnds2 wants (from lane 0) F E B A and H G D C: Intel's "ABEF" and "CDGH".
        abef = b.shuffle_vector(low, high, ir.Constant(V4, [5, 4, 1, 0]))
        cdgh = b.shuffle_vector(low, high, ir.Constant(V4, [7, 6, 3, 2]))
        abef_start, cdgh_start = abef, cdgh
        schedule: list[ir.Value] = []  # message words 4g..4g+3 as one vector per group
        for g in range(16):
            if g < 4:
                words_g = b.load(b.gep(words, [_i64(4 * g)], source_etype=I32), typ=V4, align=4)
            else:
                # W[t-16] + σ0(W[t-15]) (msg1), + W[t-7] (the alignr of the two latest
                # groups), + σ1(W[t-2]) (msg2): the schedule recurrence four words at a time.
                w7 = b.shuffle_vector(schedule[g - 2], schedule[g - 1], after_first)
                partial = b.add(b.call(fns.msg1, [schedule[g - 4], schedule[g - 3]]), w7)
                words_g = b.call(fns.msg2, [partial, schedule[g - 1]])
            schedule.append(words_g)
            plus_k = b.add(words_g, k_groups[g])
            # Each sha256rnds2 returns the new ABEF; the old ABEF becomes CDGH. Two per group
            # hand the roles back, as in Intel's STATE1 = ...(STATE1, STATE0), STATE0 = ...
            cdgh = b.call(fns.rnds2, [cdgh, abef, plus_k])  # rounds 4g, 4g+1 (low lanes)
            upper = b.shuffle_vector(plus_k, undef, ir.Constant(V4, [2, 3, 0, 0]))
            abef = b.call(fns.rnds2, [abef, cdgh, upper])  # rounds 4g+2, 4g+3
        abef = b.add(abef, abef_start)
        cdgh = b.add(cdgh, cdgh_start)
        b.store(b.shuffle_vector(abef, cdgh, ir.Constant(V4, [3, 2, 7, 6])), state, align=4)
        high_out = b.shuffle_vector(abef, cdgh, ir.Constant(V4, [1, 0, 5, 4]))
        b.store(high_out, b.gep(state, [_i64(4)], source_etype=I32), align=4)

    return emit


def _load_block(b: ir.IRBuilder, fns: _Intrinsics, words: ir.Value, source: ir.Value) -> None:
    """Copy 64 bytes at ``source`` into 16 words, big-endian as SHA-256 reads them."""
    for j in range(16):
        raw = b.load(b.gep(source, [_i64(4 * j)], source_etype=I8), typ=I32, align=1)
        b.store(b.call(fns.bswap32, [raw]), b.gep(words, [_i64(j)], source_etype=I32))


def _compress_function(module: ir.Module, compress: Emit) -> ir.Function:
    """``compress(state, words)`` as one internal function, inlined or called as LLVM sees fit."""
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [PTR, PTR]), name="compress")
    fn.linkage = "internal"
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    compress(b, *fn.args)
    b.ret_void()
    return fn


def _export_compress(module: ir.Module, fns: _Intrinsics, compress: ir.Function) -> None:
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [PTR, PTR]), name=COMPRESS_FUNCTION)
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    words = b.alloca(I32, size=16)
    _load_block(b, fns, words, fn.args[1])
    b.call(compress, [fn.args[0], words])
    b.ret_void()


def _export_batch(module: ir.Module, fns: _Intrinsics, compress: ir.Function) -> None:
    fnty = ir.FunctionType(ir.VoidType(), [PTR, PTR, PTR, PTR, I64, I64, PTR])
    fn = ir.Function(module, fnty, name=BATCH_FUNCTION)
    inner, outer, offsets, data, start, stop, out = fn.args
    false = ir.Constant(ir.IntType(1), 0)
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    # Scratch on the stack. (llvmlite types allocas as element pointers, so stores through
    # them must be of that element type: the length goes into words[14:16], not into pad.)
    state = b.alloca(I32, size=8)
    words = b.alloca(I32, size=16)
    pad = b.alloca(I8, size=64)

    with counted_loop(b, start, stop) as i:
        lo = b.load(b.gep(offsets, [i], source_etype=I64), typ=I64)
        hi = b.load(b.gep(offsets, [b.add(i, _i64(1))], source_etype=I64), typ=I64)
        b.call(fns.memcpy, [state, inner, _i64(32), false])

        # Whole 64-byte blocks straight from the Arrow data buffer.
        before = b.block
        full, block, tail = (fn.append_basic_block(n) for n in ("full", "block", "tail"))
        b.branch(full)
        b.position_at_end(full)
        pos = b.phi(I64)
        pos.add_incoming(lo, before)
        left = b.sub(hi, pos)
        b.cbranch(b.icmp_signed(">=", left, _i64(64)), block, tail)
        b.position_at_end(block)
        _load_block(b, fns, words, b.gep(data, [pos], source_etype=I8))
        b.call(compress, [state, words])
        pos.add_incoming(b.add(pos, _i64(64)), block)
        b.branch(full)

        # The rest, then 0x80, zeros and the bit length (ipad block included): one or two
        # blocks, the first only when the length no longer fits after the rest.
        b.position_at_end(tail)
        b.call(fns.memset, [pad, ir.Constant(I8, 0), _i64(64), false])
        b.call(fns.memcpy, [pad, b.gep(data, [pos], source_etype=I8), left, false])
        b.store(ir.Constant(I8, 0x80), b.gep(pad, [left], source_etype=I8))
        with b.if_then(b.icmp_signed(">=", left, _i64(56))):
            _load_block(b, fns, words, pad)
            b.call(compress, [state, words])
            b.call(fns.memset, [pad, ir.Constant(I8, 0), _i64(64), false])
        _load_block(b, fns, words, pad)
        bits = b.shl(b.add(b.sub(hi, lo), _i64(64)), _i64(3))
        b.store(b.trunc(b.lshr(bits, _i64(32)), I32), b.gep(words, [_i64(14)], source_etype=I32))
        b.store(b.trunc(bits, I32), b.gep(words, [_i64(15)], source_etype=I32))
        b.call(compress, [state, words])

        # Outer hash: one block = inner digest, 0x80, zeros, length (64 + 32 bytes) in bits.
        for j in range(8):
            word = b.load(b.gep(state, [_i64(j)], source_etype=I32), typ=I32)
            b.store(word, b.gep(words, [_i64(j)], source_etype=I32))
        outer_tail = (0x80000000, 0, 0, 0, 0, 0, 0, (64 + 32) * 8)
        for j, word in zip(range(8, 16), outer_tail, strict=True):
            b.store(_i32(word), b.gep(words, [_i64(j)], source_etype=I32))
        b.call(fns.memcpy, [state, outer, _i64(32), false])
        b.call(compress, [state, words])
        digest = b.gep(out, [b.mul(i, _i64(32))], source_etype=I8)
        for j in range(8):
            word = b.load(b.gep(state, [_i64(j)], source_etype=I32), typ=I32)
            target = b.gep(digest, [_i64(4 * j)], source_etype=I8)
            b.store(b.call(fns.bswap32, [word]), target, align=1)
    b.ret_void()


def build_module(compression: Compression) -> ir.Module:
    """The kernel's IR with the chosen compression function, and the per-row helpers."""
    module = ir.Module(name=f"steward_hmac_{compression.replace('-', '_')}")
    fns = _Intrinsics(module)
    emit = _sha_ni_compress(fns) if compression == "sha-ni" else _portable_compress(fns)
    compress = _compress_function(module, emit)
    _export_compress(module, fns, compress)
    _export_batch(module, fns, compress)
    add_row_functions(module)
    return module
