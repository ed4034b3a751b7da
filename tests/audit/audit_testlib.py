"""Helpers shared by the audit tests: build real logs through the real writer."""

from __future__ import annotations

import asyncio
from pathlib import Path

from audit.log import AuditLog
from audit.signing import CheckpointSigner, generate_private_key_pem
from audit.sqlite_store import SqliteAuditStore
from audit.synthetic import traffic


def new_signer() -> CheckpointSigner:
    return CheckpointSigner(private_key=generate_private_key_pem())


async def write_traffic(
    store: SqliteAuditStore, signer: CheckpointSigner | None, workspaces: dict[str, int], *, every: int = 100
) -> None:
    async with AuditLog(store=store, signer=signer, checkpoint_every=every) as log:
        futures = []
        for ws, n in workspaces.items():
            futures += [log.append_nowait(e, durable=g) for e, g in traffic(ws, n, seed=len(ws))]
        await asyncio.gather(*futures)


def build_db(
    path: Path, signer: CheckpointSigner | None, workspaces: dict[str, int], *, every: int = 100
) -> SqliteAuditStore:
    store = SqliteAuditStore(path)
    asyncio.run(write_traffic(store, signer, workspaces, every=every))
    return store
