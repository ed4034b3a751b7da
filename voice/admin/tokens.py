"""API tokens of the admin API (:mod:`voice.store.tokens` holds the digest and matching rules).

    python -m voice.admin.tokens --workspace demo --role admin --name alice
prints a new token and the YAML line (``security.api_tokens``) that seeds its digest. On a running
deployment, prefer ``dialphone tokens create`` (stored at once, with an expiry) and
``dialphone tokens list`` / ``revoke``, or the API's ``/workspaces/{ws}/tokens``.
"""

from __future__ import annotations

import argparse
import sys

from voice.admin.roles import Role
from voice.store.records import TokenRecord
from voice.store.tokens import PREFIX, digest, match, new_token

__all__ = ["PREFIX", "TokenRecord", "digest", "main", "match", "new_token"]


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
