"""API tokens: random secrets shown once, stored as SHA-256 digests, compared in constant time.

A token is 32 random bytes (URL-safe base64, prefixed ``dpk_``), so a plain SHA-256 digest is a
safe way to store it (no dictionary to attack). :func:`match` compares the presented token's
digest against every stored digest with :func:`hmac.compare_digest` and never stops early.

    python -m voice.admin.tokens --workspace demo --role admin --name alice
prints a new token and the YAML line (``security.api_tokens``) that seeds its digest.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import secrets
import sys
from collections.abc import Iterable
from dataclasses import dataclass

from voice.admin.roles import Role

PREFIX = "dpk_"


@dataclass(frozen=True, slots=True)
class TokenRecord:
    id: str
    workspace_id: str
    name: str
    role: Role
    digest: str


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def match(token: str, records: Iterable[TokenRecord]) -> TokenRecord | None:
    """The record whose digest equals the token's; every record is compared (constant time)."""
    presented = digest(token).encode("ascii")
    found: TokenRecord | None = None
    for rec in records:
        if hmac.compare_digest(presented, rec.digest.encode("ascii")):
            found = rec
    return found


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m voice.admin.tokens", description="mint an admin API token")
    p.add_argument("--workspace", required=True)
    p.add_argument("--role", required=True, choices=[r.value for r in Role])
    p.add_argument("--name", required=True)
    args = p.parse_args(argv)
    token = new_token()
    print(f"token for workspace {args.workspace} (shown once): {token}")
    print(f"security.api_tokens entry of workspace {args.workspace}:")
    print(f'  - {{name: {args.name}, role: {args.role}, sha256: "{digest(token)}"}}')
    return 0


if __name__ == "__main__":
    sys.exit(main())
