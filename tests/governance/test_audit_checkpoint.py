"""Signed checkpoints: sign, verify, and catch truncation or rewriting after one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, delete, update

from steward.errors import InputFileError, KeyStoreError, PolicyViolation
from steward.governance.audit import (
    AUDIT_SIGNING_KEY,
    AuditAction,
    AuditEntry,
    AuditHead,
    AuditLog,
    export_checkpoint,
    load_signing_key,
    public_key_from_hex,
    public_key_hex,
    verify_checkpoint,
)
from steward.governance.audit.chain import hash_of
from steward.governance.db import session_scope
from steward.pseudonymise.keys import KeyStore


def fill(engine: Engine, count: int) -> None:
    log = AuditLog(engine)
    for i in range(count):
        log.record("analyst1", AuditAction.STORE_QUERY, "query", f"q{i}")


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _export(engine: Engine, path: Path, key: Ed25519PrivateKey):  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        return export_checkpoint(session, path, key)


def _check(engine: Engine, path: Path, key: Ed25519PrivateKey):  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        return verify_checkpoint(session, path, key.public_key())


def test_checkpoint_signs_the_head_and_still_verifies_after_more_entries(
    engine: Engine, key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    fill(engine, 4)
    path = tmp_path / "cp.json"
    checkpoint = _export(engine, path, key)
    assert checkpoint.head_seq == 4
    document = json.loads(path.read_text())
    assert document["head_seq"] == 4 and document["public_key"] == public_key_hex(key)
    fill(engine, 3)  # the log grows; the checkpointed prefix is unchanged
    result = _check(engine, path, key)
    assert result.ok, str(result)


def test_truncation_after_checkpoint_detected(
    engine: Engine, key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    fill(engine, 5)
    path = tmp_path / "cp.json"
    _export(engine, path, key)
    # Cut the log back to 3 entries and fix up the head row, so the chain itself looks whole.
    with engine.begin() as conn:
        conn.execute(delete(AuditEntry).where(AuditEntry.seq > 3))
    with session_scope(engine) as session:
        third = session.get(AuditEntry, 3)
        head = session.get(AuditHead, 1)
        head.seq, head.entry_hash = 3, third.entry_hash
    result = _check(engine, path, key)
    assert result.signature_valid and not result.ok
    assert result.problem is not None and (result.problem.kind, result.problem.seq) == (
        "removed",
        4,
    )


def test_rehashed_rewrite_before_checkpoint_detected(
    engine: Engine, key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    fill(engine, 3)
    path = tmp_path / "cp.json"
    _export(engine, path, key)
    # Rewrite the whole chain consistently: verify() alone cannot tell, the checkpoint can.
    with session_scope(engine) as session:
        prev = "0" * 64
        for seq in (1, 2, 3):
            entry = session.get(AuditEntry, seq)
            if seq == 2:
                entry.object_id = "forged"
            entry.prev_hash = prev
            entry.entry_hash = hash_of(entry)
            session.flush()
            prev = entry.entry_hash
        head = session.get(AuditHead, 1)
        head.entry_hash = prev
    result = _check(engine, path, key)
    assert result.signature_valid and not result.ok
    assert result.problem is not None and result.problem.seq == 3


def test_wrong_key_or_edited_checkpoint_rejected(
    engine: Engine, key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    fill(engine, 2)
    path = tmp_path / "cp.json"
    _export(engine, path, key)
    assert not _check(engine, path, Ed25519PrivateKey.generate()).signature_valid
    document = json.loads(path.read_text())
    document["head_seq"] = 1
    path.write_text(json.dumps(document))
    result = _check(engine, path, key)
    assert not result.signature_valid and not result.ok


def test_tampered_log_is_not_signed(engine: Engine, key: Ed25519PrivateKey, tmp_path: Path) -> None:
    fill(engine, 3)
    with engine.begin() as conn:
        conn.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(actor="x"))
    path = tmp_path / "cp.json"
    with pytest.raises(PolicyViolation, match="edited at seq 2"):
        _export(engine, path, key)
    assert not path.exists()


def test_bad_checkpoint_file_is_a_located_error(
    engine: Engine, key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    path = tmp_path / "not.json"
    path.write_text("{}")
    with pytest.raises(InputFileError) as caught:
        _check(engine, path, key)
    assert caught.value.where.file == str(path)


def test_signing_key_lives_in_the_key_folder(tmp_path: Path) -> None:
    keys = KeyStore(folder=tmp_path / "keys", workspace=tmp_path / "ws")
    with pytest.raises(KeyStoreError, match="missing"):
        load_signing_key(keys)
    key = load_signing_key(keys, create=True)
    path = keys.path(AUDIT_SIGNING_KEY)
    assert path.stat().st_mode & 0o777 == 0o600
    again = load_signing_key(keys)
    assert public_key_hex(again) == public_key_hex(key)
    assert public_key_hex(public_key_from_hex(public_key_hex(key))) == public_key_hex(key)
    path.write_bytes(b"short")
    with pytest.raises(KeyStoreError, match="damaged"):
        load_signing_key(keys)
