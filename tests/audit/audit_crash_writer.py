"""Child process for the crash test: 20 concurrent calls write events until killed.

Prints ``ACK <seq> <row_hash>`` after each durable (gating) append returns, the point where the
server would run the transfer. Usage: python audit_crash_writer.py DB KEY.pem
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from audit.log import AuditLog
from audit.signing import CheckpointSigner
from audit.sqlite_store import SqliteAuditStore
from audit.synthetic import traffic


async def main(db: str, key: bytes) -> None:
    store = SqliteAuditStore(db)
    signer = CheckpointSigner(private_key=key)
    async with AuditLog(store=store, signer=signer, checkpoint_every=50, checkpoint_interval_s=0.05) as log:

        async def call(i: int) -> None:
            for event, gating in traffic("crash-ws", 10**9, seed=i):
                if gating:
                    record = await log.append(event, durable=True)
                    sys.stdout.write(f"ACK {record.seq} {record.row_hash}\n")
                    sys.stdout.flush()
                else:
                    log.append_nowait(event)
                    await asyncio.sleep(0)

        await asyncio.gather(*(call(i) for i in range(20)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]).read_bytes()))
