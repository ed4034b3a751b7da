"""Per-call vault: raw values encrypted with AES-GCM under a per-call data key.

The data key is wrapped (RFC 3394 AES key wrap) by the workspace key the caller provides, so a
stored vault can be reopened only with the workspace key; :meth:`Vault.shred` deletes the data key
and the wrapped copy, after which the call's values are unrecoverable. Neither key, nor any value,
appears in ``repr`` or in exception messages. Each :meth:`Vault.detokenize` returns the audit
record the caller must write before using the value.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from redaction.entities import EntityType
from redaction.exceptions import UnknownTokenError, VaultError, VaultShreddedError


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What may be said about a token without detokenizing it: type and a masked hint."""

    type: EntityType
    hint: str


@dataclass(frozen=True, slots=True)
class _Entry:
    type: EntityType
    hint: str
    nonce: bytes
    ciphertext: bytes


def _check_key(key: bytes, what: str) -> None:
    if not isinstance(key, bytes | bytearray) or len(key) not in (16, 24, 32):
        raise VaultError(f"{what} must be 16, 24 or 32 bytes")


class Vault:
    """Encrypted values of one call, addressed by token."""

    __slots__ = ("_call_id", "_data_key", "_entries", "_wrapped")

    def __init__(self, *, workspace_key: bytes, call_id: str, wrapped_key: bytes | None = None) -> None:
        _check_key(workspace_key, "workspace key")
        self._call_id = call_id
        if wrapped_key is None:
            data_key = AESGCM.generate_key(bit_length=256)
            self._wrapped: bytes | None = aes_key_wrap(bytes(workspace_key), data_key)
        else:
            try:
                data_key = aes_key_unwrap(bytes(workspace_key), wrapped_key)
            except InvalidUnwrap:
                raise VaultError("the wrapped data key does not open with this workspace key") from None
            self._wrapped = wrapped_key
        self._data_key: bytes | None = data_key
        self._entries: dict[str, _Entry] = {}

    def __repr__(self) -> str:
        return f"Vault(call_id={self._call_id!r}, entries={len(self._entries)}, shredded={self.shredded})"

    @property
    def call_id(self) -> str:
        return self._call_id

    @property
    def shredded(self) -> bool:
        return self._data_key is None

    @property
    def wrapped_key(self) -> bytes:
        """The data key wrapped by the workspace key (safe to store beside the sealed values)."""
        if self._wrapped is None:
            raise VaultShreddedError(f"vault of call {self._call_id} was shredded")
        return self._wrapped

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, token: object) -> bool:
        return token in self._entries

    def _aead(self) -> AESGCM:
        if self._data_key is None:
            raise VaultShreddedError(f"vault of call {self._call_id} was shredded")
        return AESGCM(self._data_key)

    def _aad(self, token: str, typ: EntityType) -> bytes:
        return f"{self._call_id}|{token}|{typ.value}".encode()

    def put(self, token: str, entity_type: EntityType, value: str, *, hint: str = "") -> None:
        """Store (or replace, when an entity grows) the value behind ``token``."""
        nonce = os.urandom(12)
        ct = self._aead().encrypt(nonce, value.encode("utf-8"), self._aad(token, entity_type))
        self._entries[token] = _Entry(entity_type, hint, nonce, ct)

    def describe(self, token: str) -> TokenInfo | None:
        """Type and masked hint of ``token`` (no decryption), or ``None`` if unknown."""
        e = self._entries.get(token)
        return None if e is None else TokenInfo(e.type, e.hint)

    def tokens(self) -> list[str]:
        return list(self._entries)

    def _open(self, token: str) -> str:
        e = self._entries.get(token)
        if e is None:
            raise UnknownTokenError(f"token {token} is not in the vault of call {self._call_id}")
        return self._aead().decrypt(e.nonce, e.ciphertext, self._aad(token, e.type)).decode("utf-8")

    def detokenize(self, token: str, *, purpose: str, requester: str) -> tuple[str, dict[str, Any]]:
        """The raw value behind ``token`` and the audit record the caller must write first."""
        if not purpose.strip() or not requester.strip():
            raise VaultError("detokenization needs a stated purpose and requester")
        value = self._open(token)
        e = self._entries[token]
        record: dict[str, Any] = {
            "event": "detokenization",
            "call_id": self._call_id,
            "token": token,
            "entity_type": e.type.value,
            "purpose": purpose,
            "requester": requester,
            "at": datetime.now(UTC).isoformat(),
        }
        return value, record

    def sealed(self) -> dict[str, tuple[str, bytes, bytes]]:
        """The encrypted entries (type, nonce, ciphertext) for storage beside :attr:`wrapped_key`."""
        return {t: (e.type.value, e.nonce, e.ciphertext) for t, e in self._entries.items()}

    @classmethod
    def restore(cls, *, workspace_key: bytes, call_id: str, wrapped_key: bytes,
                sealed: dict[str, tuple[str, bytes, bytes]]) -> Vault:
        """Reopen a stored vault with the workspace key."""
        v = cls(workspace_key=workspace_key, call_id=call_id, wrapped_key=wrapped_key)
        for token, (typ, nonce, ct) in sealed.items():
            v._entries[token] = _Entry(EntityType(typ), "", nonce, ct)
        return v

    def shred(self) -> None:
        """Delete the data key (and its wrapped copy): every value of this call is gone for good."""
        self._data_key = None
        self._wrapped = None
