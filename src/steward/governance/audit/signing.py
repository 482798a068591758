"""The workspace's audit signing key (Ed25519), kept in the key folder beside the other keys.

The private key signs audit checkpoints; its public key is what someone holding a checkpoint
elsewhere uses to check it. Like every key it is never printed, logged or put in the workspace.
"""

from __future__ import annotations

import os

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from steward.errors import KeyStoreError, Location
from steward.pseudonymise.keys import KeyStore

AUDIT_SIGNING_KEY = "audit-signing"
_RAW_KEY_BYTES = 32


def load_signing_key(keys: KeyStore, *, create: bool = False) -> Ed25519PrivateKey:
    """The audit signing key of the workspace whose key folder is ``keys``.

    With ``create`` a missing key is made (mode 0600); otherwise it is a ``KeyStoreError``.
    """
    path = keys.path(AUDIT_SIGNING_KEY)
    if not path.exists():
        if not create:
            raise KeyStoreError(
                what="the audit signing key of this workspace is missing",
                fix="Restore it from your key backup, or export a checkpoint once to create it "
                "(checkpoints signed by the old key then need the old public key).",
                where=Location(file=str(path)),
            )
        keys.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(Ed25519PrivateKey.generate().private_bytes_raw())
    raw = path.read_bytes()
    if len(raw) != _RAW_KEY_BYTES:
        raise KeyStoreError(
            what="the audit signing key file is damaged (wrong length)",
            fix="Restore it from your key backup.",
            where=Location(file=str(path)),
        )
    return Ed25519PrivateKey.from_private_bytes(raw)


def public_key_hex(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The raw public key as 64 hex characters (safe to publish)."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def public_key_from_hex(text: str) -> Ed25519PublicKey:
    """Parse a public key written by :func:`public_key_hex`."""
    try:
        raw = bytes.fromhex(text.strip())
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise KeyStoreError(
            what="the audit public key is not 64 hexadecimal characters",
            fix="Pass the public key printed by 'steward audit checkpoint'.",
        ) from None
