"""The encrypted landing area: round trip, tamper detection, crypto-shredding, atomicity."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from steward.errors import InputFileError, ValidationError
from steward.landing import EncryptedObjectError, EncryptedObjectStore, Landing, Quarantine

MASTER = bytes(range(32))
RETURN = b"child_id,referral_date\nFICT-0001,2021-05-03\nFICT-0002,2021-06-30\n"


@pytest.fixture
def landing(tmp_path: Path) -> Landing:
    return Landing(tmp_path / "landing", MASTER)


def submitted(tmp_path: Path, data: bytes = RETURN, name: str = "dr2.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file()
    }


def test_round_trip_and_content_address(landing: Landing, tmp_path: Path) -> None:
    landed = landing.put(submitted(tmp_path))
    assert landed.sha256 == hashlib.sha256(RETURN).hexdigest()
    assert landed.size == len(RETURN) and not landed.already_present
    assert landing.read(landed.sha256) == RETURN
    assert landing.exists(landed.sha256)
    assert landing.list() == [landed.sha256]
    ciphertext = (landing.folder / "objects" / landed.sha256).read_bytes()
    assert b"FICT-0001" not in ciphertext
    # The data key is wrapped, never stored in the clear next to the object.
    assert (landing.folder / "keyring" / f"{landed.sha256}.key").is_file()


def test_reput_is_a_noop(landing: Landing, tmp_path: Path) -> None:
    first = landing.put(submitted(tmp_path))
    before = snapshot(landing.folder)
    again = landing.put(submitted(tmp_path, name="copy.csv"))
    assert again.already_present and again.sha256 == first.sha256
    assert snapshot(landing.folder) == before


@pytest.mark.parametrize("size", [0, 1, 999, 1000, 1001, 4500])
def test_chunked_round_trip(tmp_path: Path, size: int) -> None:
    store = EncryptedObjectStore(tmp_path / "s", MASTER, chunk_bytes=1000)
    data = os.urandom(size)
    landed = store.put_bytes(data)
    assert store.read(landed.sha256) == data
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    assert store.put_file(path).already_present


def test_missing_file_is_a_located_error(landing: Landing, tmp_path: Path) -> None:
    with pytest.raises(InputFileError) as exc:
        landing.put(tmp_path / "nope.xlsx")
    assert exc.value.where.file is not None and "nope.xlsx" in exc.value.where.file


def flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("offset", [0, 10, 30, -1])
def test_flipped_byte_is_detected(landing: Landing, tmp_path: Path, offset: int) -> None:
    sha = landing.put(submitted(tmp_path)).sha256
    obj = landing.folder / "objects" / sha
    flip(obj, offset % obj.stat().st_size)
    with pytest.raises(EncryptedObjectError, match="damaged or was tampered with"):
        landing.read(sha)


def test_truncated_appended_and_swapped_objects_are_detected(tmp_path: Path) -> None:
    store = EncryptedObjectStore(tmp_path / "s", MASTER, chunk_bytes=100)
    a = store.put_bytes(b"a" * 350).sha256
    b = store.put_bytes(b"b" * 350).sha256
    obj_a, obj_b = store.objects / a, store.objects / b
    good_a = obj_a.read_bytes()
    obj_a.write_bytes(good_a[:-116])  # last chunk dropped
    with pytest.raises(EncryptedObjectError):
        store.read(a)
    obj_a.write_bytes(good_a + b"extra")
    with pytest.raises(EncryptedObjectError, match="after its last chunk"):
        store.read(a)
    obj_a.write_bytes(obj_b.read_bytes())  # another object's ciphertext under a's name
    with pytest.raises(EncryptedObjectError):
        store.read(a)
    obj_a.write_bytes(good_a)
    shutil.copy(store.keyring / f"{b}.key", store.keyring / f"{a}.key")  # a's key swapped
    with pytest.raises(EncryptedObjectError, match="master key"):
        store.read(a)


def test_wrong_master_key_is_clear_and_keyless(landing: Landing, tmp_path: Path) -> None:
    sha = landing.put(submitted(tmp_path)).sha256
    other = bytes(32)
    with pytest.raises(EncryptedObjectError) as exc:
        Landing(landing.folder, other).read(sha)
    assert "master key" in str(exc.value)
    assert MASTER.hex() not in str(exc.value) and other.hex() not in str(exc.value)


def test_shred_makes_every_copy_unreadable_and_touches_nothing_else(
    landing: Landing, tmp_path: Path
) -> None:
    keep = landing.put(submitted(tmp_path, b"keep me", "keep.csv")).sha256
    gone = landing.put(submitted(tmp_path)).sha256
    backup = tmp_path / "backup"
    shutil.copytree(landing.folder / "objects", backup)  # an off-site copy of the ciphertexts
    before = snapshot(landing.folder)

    assert landing.shred(gone)

    after = snapshot(landing.folder)
    assert {k: v for k, v in before.items() if gone not in k} == {
        k: v for k, v in after.items() if gone not in k
    }
    assert not landing.exists(gone) and landing.list() == [keep]
    # Restoring the ciphertext from backup does not bring the data back.
    shutil.copy(backup / gone, landing.folder / "objects" / gone)
    with pytest.raises(EncryptedObjectError, match="crypto-shredded"):
        landing.read(gone)
    assert landing.read(keep) == b"keep me"
    assert not landing.shred("0" * 64)


def test_shredded_file_is_not_relanded_silently(landing: Landing, tmp_path: Path) -> None:
    path = submitted(tmp_path)
    sha = landing.put(path).sha256
    landing.shred(sha)
    with pytest.raises(EncryptedObjectError, match="crypto-shredded"):
        landing.put(path)
    again = landing.put(path, reland_shredded=True)
    assert not again.already_present and landing.read(sha) == RETURN
    assert landing.shredded_at(sha) is None


def test_crash_mid_put_leaves_nothing_readable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = EncryptedObjectStore(tmp_path / "s", MASTER, chunk_bytes=100)
    data = os.urandom(1000)
    original = store._seal

    def crashing(*args: object) -> Iterator[bytes]:
        for i, part in enumerate(original(*args)):  # type: ignore[arg-type]
            if i == 3:
                raise KeyboardInterrupt  # the process dies part-way through the write
            yield part

    monkeypatch.setattr(store, "_seal", crashing)
    with pytest.raises(KeyboardInterrupt):
        store.put_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    assert not (store.objects / sha).exists()
    assert not store.exists(sha) and store.list() == []
    assert [p.name for p in store.objects.iterdir()] == []  # no temp file left behind
    monkeypatch.undo()
    assert not store.put_bytes(data).already_present
    assert store.read(sha) == data


def test_file_changing_during_landing_is_refused(tmp_path: Path) -> None:
    store = EncryptedObjectStore(tmp_path / "s", MASTER)
    wrong_sha = hashlib.sha256(b"before").hexdigest()
    with pytest.raises(EncryptedObjectError, match="changed while"):
        store._put(wrong_sha, 5, lambda: iter([b"after"]), False)
    assert not (store.objects / wrong_sha).exists()
    empty_sha = hashlib.sha256(b"").hexdigest()
    with pytest.raises(EncryptedObjectError, match="changed while"):
        store._put(empty_sha, 0, lambda: iter([b"grew"]), False)  # was empty when hashed
    assert not (store.objects / empty_sha).exists()


def test_open_plaintext_is_temporary(landing: Landing, tmp_path: Path) -> None:
    sha = landing.put(submitted(tmp_path)).sha256
    with landing.open_plaintext(sha, suffix=".csv") as path:
        assert path.suffix == ".csv" and path.read_bytes() == RETURN
        assert not str(path).startswith(str(landing.folder))
    assert not path.exists() and not path.parent.exists()


def test_bad_sha_is_refused(landing: Landing) -> None:
    with pytest.raises(EncryptedObjectError, match="not a SHA-256"):
        landing.read("../../etc/passwd")


def test_quarantine_round_trip(tmp_path: Path) -> None:
    quarantine = Quarantine(tmp_path / "quarantine", MASTER)
    records = pa.table(
        {"child_id": ["FICT-0009"], "source_row": [7], "reason": ["DR2-004: referral date missing"]}
    )
    landed = quarantine.put(records)
    assert quarantine.read(landed.sha256).equals(records)
    assert quarantine.put(records).already_present
    assert b"FICT-0009" not in (tmp_path / "quarantine" / "objects" / landed.sha256).read_bytes()
    assert quarantine.shred(landed.sha256) and quarantine.list() == []


def test_quarantine_needs_reasons(tmp_path: Path) -> None:
    quarantine = Quarantine(tmp_path / "quarantine", MASTER)
    with pytest.raises(ValidationError, match="reason"):
        quarantine.put(pa.table({"child_id": ["1"]}))
    with pytest.raises(ValidationError, match="empty reason"):
        quarantine.put(pa.table({"child_id": ["1"], "reason": [""]}))


def test_workspace_landing_and_quarantine(tmp_path: Path) -> None:
    from steward.workspace import init_workspace

    workspace = init_workspace(tmp_path / "ws")
    landed = Landing.for_workspace(workspace).put(submitted(tmp_path))
    assert (workspace.landing / "objects" / landed.sha256).is_file()
    batch = Quarantine.for_workspace(workspace).put(pa.table({"x": [1], "reason": ["R1"]}))
    assert (workspace.quarantine / "objects" / batch.sha256).is_file()
    # The master key is outside the workspace and in none of its files.
    master = workspace.keys.load("master")
    for path in workspace.root.rglob("*"):
        if path.is_file():
            assert (
                master not in path.read_bytes() and master.hex().encode() not in path.read_bytes()
            )


def test_a_staged_file_is_unseen_until_placed(landing: Landing, tmp_path: Path) -> None:
    path = submitted(tmp_path)
    sha = hashlib.sha256(RETURN).hexdigest()
    staged = landing.stage(path, sha, "run1")
    # Encrypted and written, but under temporary names: not landed yet.
    assert not landing.exists(sha) and landing.list() == []
    assert b"FICT-0001" not in staged.object_file.read_bytes()
    placed = landing.place(staged)
    landing.sync()
    assert not placed.already_present and landing.read(sha) == RETURN
    assert not staged.key_file.exists() and not staged.object_file.exists()
    # Staged again once landed: placing it is a no-op that tidies the staged files away.
    again = landing.stage(path, sha, "run2")
    assert landing.place(again).already_present
    assert not again.key_file.exists() and not again.object_file.exists()


def test_sweep_removes_what_a_run_staged_and_never_placed(landing: Landing, tmp_path: Path) -> None:
    mine = landing.stage(submitted(tmp_path), hashlib.sha256(RETURN).hexdigest(), "aaaa")
    other_data = b"child_id\nFICT-0003\n"
    other = landing.stage(
        submitted(tmp_path, other_data, "other.csv"), hashlib.sha256(other_data).hexdigest(), "bbbb"
    )
    assert landing.sweep("aaaa") == 2
    assert not mine.key_file.exists() and not mine.object_file.exists()
    assert other.key_file.exists() and other.object_file.exists()
    assert landing.sweep() == 2  # every run's leftovers
    assert not any(p.name.startswith(".staged-") for p in landing.folder.rglob("*"))


def test_a_staged_erased_file_is_refused_and_removed(landing: Landing, tmp_path: Path) -> None:
    path = submitted(tmp_path)
    sha = landing.put(path).sha256
    landing.shred(sha)
    staged = landing.stage(path, sha, "run1")
    with pytest.raises(EncryptedObjectError, match="crypto-shredded"):
        landing.place(staged)
    assert not landing.exists(sha)
    assert not staged.key_file.exists() and not staged.object_file.exists()


def test_a_file_that_is_not_what_was_hashed_is_not_staged(landing: Landing, tmp_path: Path) -> None:
    path = submitted(tmp_path)
    other = hashlib.sha256(b"what the file held when it was hashed").hexdigest()
    with pytest.raises(EncryptedObjectError, match="changed while it was being landed"):
        landing.stage(path, other, "run1")
    assert not any(p.name.startswith(".staged-") for p in landing.folder.rglob("*"))
