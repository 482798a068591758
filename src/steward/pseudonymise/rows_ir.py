"""LLVM IR of the per-row work around the HMAC kernel, compiled in the same module.

- ``message_hashes(const i64 *offsets, const u8 *data, i64 start, i64 stop, u64 *out)``: a
  64-bit FNV-1a hash of each message (with a final mix so every bit depends on every byte).
  Equal messages get equal hashes, so ``hash % n`` splits a column into ``n`` parts that share
  no distinct value and can be dictionary-encoded on separate cores. Not a secret: it only
  balances work.
- ``hex_rows(const u8 *digests, const i32 *indices, i64 start, i64 stop, u8 *out)``: row ``r``
  gets the first 16 bytes of digest ``indices[r]`` as 32 lowercase hex characters at
  ``out[32 * r:]``, sixteen bytes at a time in vector registers; a negative index (no
  identifier) leaves its slot as it was. This is the gather back to rows and the hex encoding
  in one pass, instead of an Arrow ``take`` over strings.
- ``distinct_rows(offsets, data, const u8 *valid, const u64 *hashes, i64 count, i64 parts,
  i64 part, i32 *slots, i64 mask, i32 *indices, i64 *values) -> i64``: dictionary encoding of
  the rows whose ``hash % parts == part``, in an open-addressing table of value numbers
  (``mask + 1`` slots, all -1 on entry). Each new value gets ``VALUE_FIELDS`` int64s in
  ``values``: its first row, hash, data offset and length, side by side so that checking a
  match (hash, then length, then bytes) costs one cache line, not a trip per field. Each row's
  value number (local to the part; -1 where ``valid`` is 0) goes to ``indices``; it returns how
  many distinct values the part has. Parts share no value, so threads can each take one,
  writing disjoint rows of ``indices``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from llvmlite import ir

from steward.pseudonymise.hmac_kernel import NO_VALUE, VALUE_FIELDS

I8, I32, I64 = ir.IntType(8), ir.IntType(32), ir.IntType(64)
PTR = ir.PointerType()
V16 = ir.VectorType(I8, 16)

HASH_FUNCTION = "message_hashes"
HEX_FUNCTION = "hex_rows"
DISTINCT_FUNCTION = "distinct_rows"

_FNV_OFFSET, _FNV_PRIME = 0xCBF29CE484222325, 0x100000001B3
_MIX = 0xFF51AFD7ED558CCD  # MurmurHash3's fmix64 multiplier


def _i64(value: int) -> ir.Constant:
    return ir.Constant(I64, value)


@contextmanager
def counted_loop(b: ir.IRBuilder, start: ir.Value, stop: ir.Value) -> Iterator[ir.Value]:
    """``for i in range(start, stop)``: the body is emitted inside the ``with``."""
    entry = b.block
    check = b.append_basic_block("loop")
    body = b.append_basic_block("body")
    done = b.append_basic_block("done")
    b.branch(check)
    b.position_at_end(check)
    i = b.phi(I64)
    i.add_incoming(start, entry)
    b.cbranch(b.icmp_signed("<", i, stop), body, done)
    b.position_at_end(body)
    yield i
    i.add_incoming(b.add(i, _i64(1)), b.block)
    b.branch(check)
    b.position_at_end(done)


def _export_hashes(module: ir.Module) -> None:
    fnty = ir.FunctionType(ir.VoidType(), [PTR, PTR, I64, I64, PTR])
    fn = ir.Function(module, fnty, name=HASH_FUNCTION)
    offsets, data, start, stop, out = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    with counted_loop(b, start, stop) as i:
        lo = b.load(b.gep(offsets, [i], source_etype=I64), typ=I64)
        hi = b.load(b.gep(offsets, [b.add(i, _i64(1))], source_etype=I64), typ=I64)
        # The inner loop carries the hash in a phi beside the byte position.
        before = b.block
        step = b.append_basic_block("byte")
        after = b.append_basic_block("hashed")
        b.cbranch(b.icmp_signed("<", lo, hi), step, after)
        b.position_at_end(step)
        pos = b.phi(I64)
        h = b.phi(I64)
        pos.add_incoming(lo, before)
        h.add_incoming(_i64(_FNV_OFFSET), before)
        byte = b.zext(b.load(b.gep(data, [pos], source_etype=I8), typ=I8), I64)
        h_next = b.mul(b.xor(h, byte), _i64(_FNV_PRIME))
        pos_next = b.add(pos, _i64(1))
        pos.add_incoming(pos_next, step)
        h.add_incoming(h_next, step)
        b.cbranch(b.icmp_signed("<", pos_next, hi), step, after)
        b.position_at_end(after)
        hashed = b.phi(I64)
        hashed.add_incoming(_i64(_FNV_OFFSET), before)
        hashed.add_incoming(h_next, step)
        mixed = b.xor(hashed, b.lshr(hashed, _i64(33)))
        mixed = b.mul(mixed, _i64(_MIX))
        mixed = b.xor(mixed, b.lshr(mixed, _i64(33)))
        b.store(mixed, b.gep(out, [i], source_etype=I64))
    b.ret_void()


def _splat(value: int) -> ir.Constant:
    return ir.Constant(V16, [ir.Constant(I8, value)] * 16)


def _hex_digits(b: ir.IRBuilder, nibbles: ir.Value) -> ir.Value:
    """'0'..'9', 'a'..'f' for each lane's value 0..15."""
    letters = b.icmp_unsigned(">", nibbles, _splat(9))
    return b.add(b.add(nibbles, _splat(ord("0"))), b.select(letters, _splat(39), _splat(0)))


def _export_hex(module: ir.Module) -> None:
    fnty = ir.FunctionType(ir.VoidType(), [PTR, PTR, I64, I64, PTR])
    fn = ir.Function(module, fnty, name=HEX_FUNCTION)
    digests, indices, start, stop, out = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    # Interleave high and low digits: lane 2j is byte j's high nibble, 2j + 1 its low one.
    interleave = ir.Constant(ir.VectorType(I32, 32), [k // 2 + 16 * (k % 2) for k in range(32)])
    with counted_loop(b, start, stop) as r:
        index = b.sext(b.load(b.gep(indices, [r], source_etype=I32), typ=I32), I64)
        with b.if_then(b.icmp_signed(">=", index, _i64(0))):
            source = b.gep(digests, [b.mul(index, _i64(32))], source_etype=I8)
            raw = b.load(source, typ=V16, align=1)
            high = _hex_digits(b, b.lshr(raw, _splat(4)))
            low = _hex_digits(b, b.and_(raw, _splat(15)))
            chars = b.shuffle_vector(high, low, interleave)
            b.store(chars, b.gep(out, [b.mul(r, _i64(32))], source_etype=I8), align=1)
    b.ret_void()


def _export_distinct(module: ir.Module) -> None:
    args = [PTR] * 4 + [I64] * 3 + [PTR, I64, PTR, PTR]
    fn = ir.Function(module, ir.FunctionType(I64, args), name=DISTINCT_FUNCTION)
    offsets, data, valid, hashes, count, parts, part, slots, mask, indices, values = fn.args
    memcmp = ir.Function(module, ir.FunctionType(I32, [PTR, PTR, I64]), name="memcmp")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    distinct = b.alloca(I64)  # how many distinct values so far (promoted to a register)
    b.store(_i64(0), distinct)

    def field(value: ir.Value, number: int) -> ir.Value:
        """Where field ``number`` of distinct value ``value`` is kept in ``values``."""
        at = b.add(b.mul(value, _i64(VALUE_FIELDS)), _i64(number))
        return b.gep(values, [at], source_etype=I64)

    def set_index(row: ir.Value, value: ir.Value) -> None:
        b.store(b.trunc(value, I32), b.gep(indices, [row], source_etype=I32))

    def look_up(row: ir.Value, h: ir.Value) -> None:
        """Find the row's value in the table (linear probing) or add it as a new one."""
        lo = b.load(b.gep(offsets, [row], source_etype=I64), typ=I64)
        hi = b.load(b.gep(offsets, [b.add(row, _i64(1))], source_etype=I64), typ=I64)
        length = b.sub(hi, lo)
        start = b.and_(b.lshr(h, _i64(32)), mask)  # the high half: the low bits chose the part
        before = b.block
        names = ("probe", "insert", "check", "compare", "match", "next", "found")
        probe, insert, check, compare, match, advance, found = map(fn.append_basic_block, names)
        b.branch(probe)
        b.position_at_end(probe)
        slot = b.phi(I64)
        slot.add_incoming(start, before)
        held = b.load(b.gep(slots, [slot], source_etype=I32), typ=I32)
        b.cbranch(b.icmp_signed("<", held, ir.Constant(I32, 0)), insert, check)

        b.position_at_end(insert)  # an empty slot: a new value, and this is its first row
        n = b.load(distinct, typ=I64)
        b.store(b.trunc(n, I32), b.gep(slots, [slot], source_etype=I32))
        for number, known in enumerate((row, h, lo, length)):
            b.store(known, field(n, number))
        set_index(row, n)
        b.store(b.add(n, _i64(1)), distinct)
        b.branch(found)

        # The same value: equal hash, equal length, equal bytes (the hash only narrows it down).
        b.position_at_end(check)
        value = b.sext(held, I64)
        same_hash = b.icmp_unsigned("==", b.load(field(value, 1), typ=I64), h)
        same_length = b.icmp_signed("==", b.load(field(value, 3), typ=I64), length)
        b.cbranch(b.and_(same_hash, same_length), compare, advance)
        b.position_at_end(compare)
        theirs = b.gep(data, [b.load(field(value, 2), typ=I64)], source_etype=I8)
        same = b.call(memcmp, [b.gep(data, [lo], source_etype=I8), theirs, length])
        b.cbranch(b.icmp_signed("==", same, ir.Constant(I32, 0)), match, advance)
        b.position_at_end(match)
        set_index(row, value)
        b.branch(found)

        b.position_at_end(advance)
        slot.add_incoming(b.and_(b.add(slot, _i64(1)), mask), advance)
        b.branch(probe)
        b.position_at_end(found)

    with counted_loop(b, _i64(0), count) as row:
        h = b.load(b.gep(hashes, [row], source_etype=I64), typ=I64)
        with b.if_then(b.icmp_unsigned("==", b.urem(h, parts), part)):
            flag = b.load(b.gep(valid, [row], source_etype=I8), typ=I8)
            with b.if_else(b.icmp_unsigned("==", flag, ir.Constant(I8, 0))) as (null, not_null):
                with null:
                    set_index(row, _i64(NO_VALUE))
                with not_null:
                    look_up(row, h)
    b.ret(b.load(distinct, typ=I64))


def add_row_functions(module: ir.Module) -> None:
    """Add ``message_hashes``, ``hex_rows`` and ``distinct_rows`` to the kernel's module."""
    _export_hashes(module)
    _export_hex(module)
    _export_distinct(module)
