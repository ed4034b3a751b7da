"""RFC 6962 / RFC 9162 Merkle trees over row hashes, used to anchor single rows to checkpoints.

Each checkpoint signs the Merkle root of the row hashes in its span (the rows after the previous
checkpoint, up to and including its own seq). An inclusion proof (audit path) then ties one row to
a signed checkpoint without the other rows of the span, which is how a filtered export stays
verifiable. Leaf hash ``SHA-256(0x00 || row_hash)``, node hash ``SHA-256(0x01 || left || right)``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def _leaf(row_hash: str) -> bytes:
    return hashlib.sha256(b"\x00" + bytes.fromhex(row_hash)).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """Largest power of two strictly smaller than n (n >= 2)."""
    k = 1
    while k << 1 < n:
        k <<= 1
    return k


class MerkleTree:
    """A tree over a list of row hashes (hex); subtree hashes are cached so proofs are cheap."""

    def __init__(self, row_hashes: Sequence[str]) -> None:
        if not row_hashes:
            raise ValueError("a Merkle tree needs at least one leaf")
        self._leaves = [_leaf(h) for h in row_hashes]
        self._cache: dict[tuple[int, int], bytes] = {}

    @property
    def size(self) -> int:
        return len(self._leaves)

    def _hash(self, lo: int, hi: int) -> bytes:
        if hi - lo == 1:
            return self._leaves[lo]
        key = (lo, hi)
        cached = self._cache.get(key)
        if cached is None:
            k = _split(hi - lo)
            cached = _node(self._hash(lo, lo + k), self._hash(lo + k, hi))
            self._cache[key] = cached
        return cached

    def root(self) -> str:
        return self._hash(0, len(self._leaves)).hex()

    def path(self, index: int) -> list[str]:
        """Audit path of leaf ``index`` (RFC 6962 section 2.1.1), bottom-up, as hex."""
        if not 0 <= index < len(self._leaves):
            raise IndexError("leaf index out of range")
        out: list[bytes] = []
        lo, hi = 0, len(self._leaves)
        while hi - lo > 1:
            k = _split(hi - lo)
            if index < lo + k:
                out.append(self._hash(lo + k, hi))
                hi = lo + k
            else:
                out.append(self._hash(lo, lo + k))
                lo = lo + k
        return [h.hex() for h in reversed(out)]


def merkle_root(row_hashes: Sequence[str]) -> str:
    return MerkleTree(row_hashes).root()


def verify_inclusion(row_hash: str, index: int, size: int, path: Sequence[str], root: str) -> bool:
    """RFC 9162 section 2.1.3.2: does ``row_hash`` sit at ``index`` of a tree of ``size`` with ``root``?"""
    if not 0 <= index < size:
        return False
    try:
        r = _leaf(row_hash)
        nodes = [bytes.fromhex(p) for p in path]
        expected = bytes.fromhex(root)
    except ValueError:
        return False
    fn, sn = index, size - 1
    for p in nodes:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = _node(p, r)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            r = _node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == expected
