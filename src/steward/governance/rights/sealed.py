"""Personal data held by the governance database, sealed per record and crypto-shreddable.

A requester's name and address, a participant's contact details, the before/after values of a
rectification: each record is a JSON object encrypted with AES-256-GCM under its own random data
key; the data key is stored wrapped by the workspace master key (the same primitive as the
encrypted landing area). Clearing the wrapped key erases the record, backups included.
Associated data binds the ciphertext to its purpose and record id, so a sealed value cannot be
moved onto another row.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from steward.errors import KeyStoreError, UserError

_NONCE = 12


@dataclass(frozen=True)
class Sealed:
    """A sealed record: its ciphertext and its wrapped data key."""

    ciphertext: bytes
    wrapped_key: bytes


class Sealer:
    """Seals and opens JSON records under the workspace master key."""

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != 32:
            raise KeyStoreError(
                what="the master key is not 32 bytes",
                fix="Load it with KeyStore.load('master').",
            )
        self._master = AESGCM(master_key)

    @staticmethod
    def _aad(purpose: str, record_id: str) -> bytes:
        return f"steward sealed {purpose} {record_id}".encode()

    def seal(self, purpose: str, record_id: str, value: dict[str, Any]) -> Sealed:
        """Encrypt ``value`` for the record ``purpose``/``record_id``."""
        data_key = AESGCM.generate_key(bit_length=256)
        aad = self._aad(purpose, record_id)
        nonce = secrets.token_bytes(_NONCE)
        body = AESGCM(data_key).encrypt(nonce, json.dumps(value, sort_keys=True).encode(), aad)
        key_nonce = secrets.token_bytes(_NONCE)
        wrapped = key_nonce + self._master.encrypt(key_nonce, data_key, aad)
        return Sealed(ciphertext=nonce + body, wrapped_key=wrapped)

    def open(
        self, purpose: str, record_id: str, ciphertext: bytes | None, wrapped_key: bytes | None
    ) -> dict[str, Any]:
        """Decrypt a sealed record; a clear error if it was shredded or does not open."""
        if ciphertext is None or wrapped_key is None:
            raise UserError(
                what=f"the {purpose} details of {record_id} were erased",
                fix="They cannot be recovered; ask the person again if they are still needed.",
            )
        aad = self._aad(purpose, record_id)
        try:
            data_key = self._master.decrypt(wrapped_key[:_NONCE], wrapped_key[_NONCE:], aad)
            plain = AESGCM(data_key).decrypt(ciphertext[:_NONCE], ciphertext[_NONCE:], aad)
        except InvalidTag:
            raise KeyStoreError(
                what=f"the {purpose} details of {record_id} do not open with this workspace's "
                "master key",
                fix="Use the workspace's own master key; the record may have been tampered with.",
            ) from None
        loaded: dict[str, Any] = json.loads(plain)
        return loaded
