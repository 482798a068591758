"""Content-addressed objects encrypted at rest, each under its own data key, crypto-shreddable.

Layout of a store folder::

    objects/<sha256>         the object, encrypted (format below)
    keyring/<sha256>.key     its data key, wrapped by the workspace master key
    keyring/<sha256>.shredded  tombstone: when the object was crypto-shredded

Every object gets a fresh random 256-bit data key. The data key is wrapped with AES-256-GCM
under the master key, bound to the object's SHA-256 as associated data, so a wrapped key cannot
be swapped onto another object. Deleting the wrapped key (``shred``) makes every copy of the
object unreadable, including copies in backups: keep the keyring out of long-lived backups (or
back it up separately, with the same retention as the erasure ledger).

Object format: ``MAGIC | chunk size (u32) | plaintext size (u64)`` then the plaintext in chunks
of ``chunk size`` bytes (at least one chunk, possibly empty), each sealed with AES-256-GCM under
the data key with nonce = chunk index (12 bytes, big-endian; safe because a data key encrypts
one plaintext only) and associated data = SHA-256 hex | header | chunk index | last-chunk flag.
So a flipped byte, a reordered, dropped or appended chunk, or a swapped header all fail to
decrypt. Chunking keeps memory flat for large files. After decryption the plaintext's SHA-256 is
checked against the object's name.

All writes are atomic (temp file in the same folder, fsync, ``os.replace``). A file can also be
*staged*: encrypted and written, fsynced, under temporary names beside its final place (by an
ingest worker), then put in place by renaming (``place``) or removed (``discard``, ``sweep``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import secrets
import struct
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from steward.errors import KeyStoreError, Location, UserError

MAGIC = b"STWOBJ1\n"
KEY_MAGIC = b"STWKEY1\n"
HEADER = struct.Struct(">IQ")  # chunk size, plaintext size
CHUNK_BYTES = 1 << 20
TAG_BYTES = 16
_SHA = re.compile(r"^[0-9a-f]{64}$")
_Chunks = Callable[[], Iterator[bytes]]


class EncryptedObjectError(UserError):
    """An encrypted object is missing, shredded, damaged or was tampered with."""


@dataclass(frozen=True)
class LandedObject:
    """What ``put`` stored: the SHA-256 (hex) of the plaintext, its size, whether it was there."""

    sha256: str
    size: int
    already_present: bool


def _check_sha(sha: str) -> str:
    if not _SHA.match(sha):
        raise EncryptedObjectError(
            what=f"{sha!r} is not a SHA-256 in lowercase hex",
            fix="Pass the 64-character sha256 that put() returned.",
        )
    return sha


@dataclass(frozen=True)
class StagedObject:
    """An object encrypted beside its final place under temporary names, not yet readable."""

    sha256: str
    size: int
    key_file: Path  # the wrapped data key
    object_file: Path  # the ciphertext


def _durable_temp(folder: Path, prefix: str, chunks: Iterator[bytes]) -> Path:
    """``chunks`` written and fsynced to a new temp file in ``folder``; nothing left on failure."""
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def _atomic_write(path: Path, chunks: Iterator[bytes]) -> None:
    """Write ``chunks`` to ``path`` via a temp file and rename; no partial file is ever seen."""
    tmp = _durable_temp(path.parent, f".{path.name}.", chunks)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_chunks(fh: BinaryIO, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    while chunk := fh.read(size):
        yield chunk


class EncryptedObjectStore:
    """Objects named by the SHA-256 of their plaintext, each under its own wrapped data key."""

    def __init__(self, folder: Path, master_key: bytes, chunk_bytes: int = CHUNK_BYTES) -> None:
        if len(master_key) != 32:
            raise KeyStoreError(
                what="the master key is not 32 bytes",
                fix="Load it with KeyStore.load('master').",
            )
        self.folder = Path(folder)
        self.objects = self.folder / "objects"
        self.keyring = self.folder / "keyring"
        self.objects.mkdir(parents=True, exist_ok=True)
        self.keyring.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._master = AESGCM(master_key)
        self.chunk_bytes = chunk_bytes

    # -- paths and state -------------------------------------------------------------------
    def _object_path(self, sha: str) -> Path:
        return self.objects / _check_sha(sha)

    def _key_path(self, sha: str) -> Path:
        return self.keyring / f"{_check_sha(sha)}.key"

    def _tombstone(self, sha: str) -> Path:
        return self.keyring / f"{_check_sha(sha)}.shredded"

    def exists(self, sha: str) -> bool:
        """Whether the object can be read: its ciphertext and its wrapped key are both present."""
        return self._object_path(sha).is_file() and self._key_path(sha).is_file()

    def shredded_at(self, sha: str) -> str | None:
        """When the object was crypto-shredded (ISO timestamp), or None."""
        tomb = self._tombstone(sha)
        return tomb.read_text(encoding="ascii").strip() if tomb.is_file() else None

    def list(self) -> list[str]:
        """The SHA-256 of every readable object, sorted."""
        return sorted(
            p.name for p in self.objects.iterdir() if _SHA.match(p.name) and self.exists(p.name)
        )

    # -- keys ------------------------------------------------------------------------------
    def _wrap(self, sha: str, data_key: bytes) -> bytes:
        nonce = secrets.token_bytes(12)
        return (
            KEY_MAGIC
            + nonce
            + self._master.encrypt(nonce, data_key, b"steward data key " + sha.encode())
        )

    def _unwrap(self, sha: str) -> bytes:
        path = self._key_path(sha)
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            shredded = self.shredded_at(sha)
            raise EncryptedObjectError(
                what=f"object {sha[:12]}… cannot be decrypted: "
                + (
                    f"its key was crypto-shredded at {shredded}"
                    if shredded
                    else "its key is missing"
                ),
                fix="A shredded object is gone for good; ask the sender for the file again if it "
                "is still needed and allowed."
                if shredded
                else "Restore the keyring from backup.",
                where=Location(file=str(path)),
            ) from None
        if not blob.startswith(KEY_MAGIC):
            raise self._damaged(sha, path, "its wrapped key is not a Steward key file")
        nonce, wrapped = blob[len(KEY_MAGIC) : len(KEY_MAGIC) + 12], blob[len(KEY_MAGIC) + 12 :]
        try:
            return self._master.decrypt(nonce, wrapped, b"steward data key " + sha.encode())
        except InvalidTag:
            raise self._damaged(
                sha, path, "its wrapped key does not open with this workspace's master key"
            ) from None

    @staticmethod
    def _damaged(sha: str, path: Path, why: str) -> EncryptedObjectError:
        return EncryptedObjectError(
            what=f"object {sha[:12]}… is damaged or was tampered with: {why}",
            fix="Do not use it. Restore the file from backup or ask the sender to submit it again.",
            where=Location(file=str(path)),
        )

    # -- encryption ------------------------------------------------------------------------
    def _aad(self, sha: str, header: bytes, index: int, last: bool) -> bytes:
        return sha.encode() + header + struct.pack(">QB", index, last)

    def _seal(
        self, sha: str, data_key: bytes, size: int, chunks: Iterator[bytes]
    ) -> Iterator[bytes]:
        """Encrypted object bytes for a plaintext of ``size`` bytes given in ``chunk_bytes`` chunks."""
        aead = AESGCM(data_key)
        header = MAGIC + HEADER.pack(self.chunk_bytes, size)
        yield header
        count = max(1, -(-size // self.chunk_bytes))
        digest = hashlib.sha256()
        sealed = 0
        for index, chunk in enumerate(_rechunk(chunks, self.chunk_bytes)):
            if index >= count:
                raise self._changed(sha)
            digest.update(chunk)
            nonce = index.to_bytes(12, "big")
            yield aead.encrypt(nonce, chunk, self._aad(sha, header, index, index == count - 1))
            sealed += 1
        if size == 0 and sealed == 0:  # an empty file is one empty, final chunk
            yield aead.encrypt(bytes(12), b"", self._aad(sha, header, 0, True))
            sealed = 1
        if sealed != count or digest.hexdigest() != sha:
            raise self._changed(sha)

    @staticmethod
    def _changed(sha: str) -> EncryptedObjectError:
        return EncryptedObjectError(
            what=f"the file changed while it was being landed (expected SHA-256 {sha[:12]}…)",
            fix="Make sure nothing is still writing the file, then land it again.",
        )

    def _open_chunks(self, sha: str) -> Iterator[bytes]:
        """Decrypt object ``sha`` chunk by chunk; raises on any tampering."""
        path = self._object_path(sha)
        data_key = self._unwrap(sha)
        if not path.is_file():
            raise EncryptedObjectError(
                what=f"object {sha[:12]}… is missing from {self.objects}",
                fix="Restore it from backup (its key is still present).",
                where=Location(file=str(path)),
            )
        aead = AESGCM(data_key)
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            header = fh.read(len(MAGIC) + HEADER.size)
            if len(header) != len(MAGIC) + HEADER.size or not header.startswith(MAGIC):
                raise self._damaged(sha, path, "its header is not a Steward encrypted object")
            chunk_bytes, size = HEADER.unpack(header[len(MAGIC) :])
            count = max(1, -(-size // chunk_bytes))
            for index in range(count):
                sealed = fh.read(min(chunk_bytes, size - index * chunk_bytes) + TAG_BYTES)
                try:
                    chunk = aead.decrypt(
                        index.to_bytes(12, "big"),
                        sealed,
                        self._aad(sha, header, index, index == count - 1),
                    )
                except InvalidTag:
                    raise self._damaged(sha, path, f"chunk {index} fails authentication") from None
                digest.update(chunk)
                yield chunk
            if fh.read(1):
                raise self._damaged(sha, path, "it has bytes after its last chunk")
        if digest.hexdigest() != sha:
            raise self._damaged(sha, path, "its content does not match its name")

    # -- public operations -----------------------------------------------------------------
    def put_bytes(self, data: bytes, *, reland_shredded: bool = False) -> LandedObject:
        """Store ``data``; a no-op when the same bytes are already stored."""
        sha = hashlib.sha256(data).hexdigest()
        return self._put(sha, len(data), lambda: iter([data]), reland_shredded)

    def put_file(self, path: Path, *, reland_shredded: bool = False) -> LandedObject:
        """Store the file at ``path`` (streamed: memory stays flat for large files)."""
        path = Path(path)
        digest = hashlib.sha256()
        size = 0
        with path.open("rb") as fh:
            for chunk in _read_chunks(fh):
                digest.update(chunk)
                size += len(chunk)

        def chunks() -> Iterator[bytes]:
            with path.open("rb") as fh:
                yield from _read_chunks(fh, self.chunk_bytes)

        return self._put(digest.hexdigest(), size, chunks, reland_shredded)

    def _refuse_shredded(self, sha: str) -> None:
        shredded = self.shredded_at(sha)
        if shredded:
            raise EncryptedObjectError(
                what=f"this file (SHA-256 {sha[:12]}…) was crypto-shredded at {shredded}",
                fix="It was erased on purpose. Land it again only if that is authorised, with "
                "reland_shredded=True.",
            )

    def _put(self, sha: str, size: int, chunks: _Chunks, reland_shredded: bool) -> LandedObject:
        if self.exists(sha):
            return LandedObject(sha, size, already_present=True)
        if not reland_shredded:
            self._refuse_shredded(sha)
        data_key = secrets.token_bytes(32)
        # Key first: an object without a key would be unreadable; a key without an object is
        # harmless and is replaced here on the next attempt.
        _atomic_write(self._key_path(sha), iter([self._wrap(sha, data_key)]))
        _atomic_write(self._object_path(sha), self._seal(sha, data_key, size, chunks()))
        self._tombstone(sha).unlink(missing_ok=True)
        return LandedObject(sha, size, already_present=False)

    # -- staging ---------------------------------------------------------------------------
    def stage_file(self, path: Path, sha: str, tag: str) -> StagedObject:
        """Encrypt the file at ``path`` (SHA-256 ``sha``) under temporary names marked ``tag``.

        Only the key's and the ciphertext's temp files are written (and fsynced), so this can
        run in another process than the one that decides to keep the file.
        """
        _check_sha(sha)
        size = path.stat().st_size
        data_key = secrets.token_bytes(32)
        prefix = f".staged-{tag}-{sha}."
        key_file = _durable_temp(self.keyring, prefix, iter([self._wrap(sha, data_key)]))
        try:
            with path.open("rb") as fh:
                sealed = self._seal(sha, data_key, size, _read_chunks(fh, self.chunk_bytes))
                object_file = _durable_temp(self.objects, prefix, sealed)
        except BaseException:
            key_file.unlink(missing_ok=True)
            raise
        return StagedObject(sha, size, key_file, object_file)

    def place(self, staged: StagedObject) -> LandedObject:
        """Put a staged object in place (key first); call :meth:`sync` before relying on it.

        A no-op, removing the staged files, when the object is already stored; refused when it
        was crypto-shredded.
        """
        sha = staged.sha256
        if self.exists(sha):
            self.discard(staged)
            return LandedObject(sha, staged.size, already_present=True)
        try:
            self._refuse_shredded(sha)
        except EncryptedObjectError:
            self.discard(staged)
            raise
        os.replace(staged.key_file, self._key_path(sha))
        os.replace(staged.object_file, self._object_path(sha))
        return LandedObject(sha, staged.size, already_present=False)

    def sync(self) -> None:
        """Make the objects put in place since the last sync durable (one fsync per folder)."""
        _fsync_dir(self.keyring)
        _fsync_dir(self.objects)

    @staticmethod
    def discard(staged: StagedObject) -> None:
        staged.key_file.unlink(missing_ok=True)
        staged.object_file.unlink(missing_ok=True)

    def sweep(self, tag: str = "") -> int:
        """Remove staged files left over (of ``tag``, or of every tag); how many were removed."""
        pattern = f".staged-{tag}-*.tmp" if tag else ".staged-*.tmp"
        gone = 0
        for folder in (self.keyring, self.objects):
            for leftover in folder.glob(pattern):
                leftover.unlink(missing_ok=True)
                gone += 1
        return gone

    def read(self, sha: str) -> bytes:
        """The plaintext of object ``sha`` (verified)."""
        return b"".join(self._open_chunks(sha))

    @contextmanager
    def open_plaintext(self, sha: str, suffix: str = "") -> Iterator[Path]:
        """A private temp file holding the plaintext, removed when the block ends."""
        with tempfile.TemporaryDirectory(prefix="steward-plain-") as folder:
            os.chmod(folder, 0o700)
            path = Path(folder) / f"{sha}{suffix}"
            with path.open("wb") as fh:
                for chunk in self._open_chunks(sha):
                    fh.write(chunk)
            yield path

    def shred(self, sha: str) -> bool:
        """Crypto-shred object ``sha``: delete its wrapped key, then its local ciphertext.

        Returns whether there was anything to shred. Other objects are not touched.
        """
        key, obj = self._key_path(sha), self._object_path(sha)
        had = key.exists() or obj.exists()
        if had:
            stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            _atomic_write(self._tombstone(sha), iter([stamp.encode("ascii")]))
        if key.exists():
            # Overwrite before unlinking: on simple file systems the old blocks then hold noise.
            with key.open("r+b") as fh:
                fh.write(secrets.token_bytes(key.stat().st_size))
                fh.flush()
                os.fsync(fh.fileno())
            key.unlink()
            _fsync_dir(self.keyring)
        obj.unlink(missing_ok=True)
        return had


def _rechunk(chunks: Iterator[bytes], size: int) -> Iterator[bytes]:
    """Re-cut a stream of byte strings into pieces of exactly ``size`` (the last may be short)."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer:
        yield bytes(buffer)
