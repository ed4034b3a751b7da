"""Ed25519 keys and signed checkpoints.

A checkpoint commits to the head of one workspace chain. The signed message is the canonical
JSON (see :mod:`audit.canonical`) of::

    {"domain": "dialphone.audit.checkpoint.v1", "workspace_id": W, "seq": S, "head_hash": H,
     "span_start": A, "span_root": R, "ts": T, "key_id": K}

where ``H`` is the row_hash of row ``S``, ``R`` the Merkle root (:mod:`audit.merkle`) of the row
hashes ``A..S`` and ``K`` the first 16 hex characters of SHA-256 of the raw 32-byte public key.
The signature is stored base64 (standard alphabet, padded).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from audit.canonical import canonical_json, is_hash
from audit.exceptions import KeyMaterialError, MalformedRecordError

DOMAIN = "dialphone.audit.checkpoint.v1"


def generate_private_key_pem() -> bytes:
    """A new Ed25519 private key as unencrypted PKCS#8 PEM."""
    key = Ed25519PrivateKey.generate()
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_private_key(material: bytes | str) -> Ed25519PrivateKey:
    """Load a private key from PEM (PKCS#8) or 32 raw bytes."""
    data = material.encode() if isinstance(material, str) else material
    if len(data) == 32:
        return Ed25519PrivateKey.from_private_bytes(data)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise KeyMaterialError("not an unencrypted PEM private key or 32 raw bytes") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyMaterialError("the private key is not Ed25519")
    return key


def load_public_key(material: bytes | str) -> Ed25519PublicKey:
    """Load a public key from PEM (SubjectPublicKeyInfo) or 32 raw bytes."""
    data = material.encode() if isinstance(material, str) else material
    if len(data) == 32:
        return Ed25519PublicKey.from_public_bytes(data)
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        raise KeyMaterialError("not a PEM public key or 32 raw bytes") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyMaterialError("the public key is not Ed25519")
    return key


def public_key_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_id(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True, kw_only=True, slots=True)
class Checkpoint:
    """A signed statement: the chain of ``workspace_id`` had head ``head_hash`` at ``seq``."""

    workspace_id: str
    seq: int
    head_hash: str
    span_start: int
    span_root: str
    ts: str
    key_id: str
    signature: str

    def message(self) -> bytes:
        return canonical_json(
            {
                "domain": DOMAIN,
                "workspace_id": self.workspace_id,
                "seq": self.seq,
                "head_hash": self.head_hash,
                "span_start": self.span_start,
                "span_root": self.span_root,
                "ts": self.ts,
                "key_id": self.key_id,
            }
        )

    def verify(self, public_key: Ed25519PublicKey) -> bool:
        """True when the signature is valid under ``public_key`` and made by that key."""
        if self.key_id != key_id(public_key):
            return False
        try:
            public_key.verify(base64.b64decode(self.signature, validate=True), self.message())
        except (InvalidSignature, binascii.Error, ValueError):
            return False
        return True

    def to_dict(self) -> dict[str, Any]:
        return {
            "workspace_id": self.workspace_id,
            "seq": self.seq,
            "head_hash": self.head_hash,
            "span_start": self.span_start,
            "span_root": self.span_root,
            "ts": self.ts,
            "key_id": self.key_id,
            "signature": self.signature,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Checkpoint:
        try:
            cp = cls(
                workspace_id=str(data["workspace_id"]),
                seq=int(data["seq"]),
                head_hash=str(data["head_hash"]),
                span_start=int(data["span_start"]),
                span_root=str(data["span_root"]),
                ts=str(data["ts"]),
                key_id=str(data["key_id"]),
                signature=str(data["signature"]),
            )
        except (KeyError, TypeError, ValueError):
            raise MalformedRecordError("checkpoint fields are missing or of the wrong type") from None
        if not (is_hash(cp.head_hash) and is_hash(cp.span_root)):
            raise MalformedRecordError("checkpoint hashes are not 64 lower-case hex characters")
        return cp


class CheckpointSigner:
    """Signs checkpoints with an Ed25519 private key given as PEM or 32 raw bytes."""

    def __init__(self, *, private_key: bytes | str) -> None:
        self._key = load_private_key(private_key)
        self.key_id = key_id(self._key)

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self._key.public_key()

    def public_key_pem(self) -> bytes:
        return public_key_pem(self._key)

    def sign(
        self, *, workspace_id: str, seq: int, head_hash: str, span_start: int, span_root: str, ts: str
    ) -> Checkpoint:
        unsigned = Checkpoint(
            workspace_id=workspace_id,
            seq=seq,
            head_hash=head_hash,
            span_start=span_start,
            span_root=span_root,
            ts=ts,
            key_id=self.key_id,
            signature="",
        )
        signature = base64.b64encode(self._key.sign(unsigned.message())).decode("ascii")
        return Checkpoint(**{**unsigned.to_dict(), "signature": signature})
