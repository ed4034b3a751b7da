"""API tokens of the admin API (:mod:`voice.store.tokens` holds the digest and matching rules).

Tokens are created, listed and revoked with ``dialphone admin token create --role ROLE --name N``,
``dialphone admin token list`` and ``dialphone admin token revoke ID`` (:mod:`voice.admin.cli`:
stored at once, with an expiry, audited), or the API's ``/workspaces/{ws}/tokens``.
"""

from __future__ import annotations

from voice.store.records import TokenRecord
from voice.store.tokens import PREFIX, digest, match, new_token

__all__ = ["PREFIX", "TokenRecord", "digest", "match", "new_token"]
