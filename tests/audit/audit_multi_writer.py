"""A writer process for the multi-writer tests: ``python audit_multi_writer.py TARGET N SEED``
appends N synthetic events (gating ones durably) through its own AuditLog, checkpointing with the
key in $TEST_AUDIT_KEY_PEM, and prints the seqs it was given."""

from __future__ import annotations

import asyncio
import os
import sys

from audit.backends import open_store
from audit.log import AuditLog
from audit.signing import CheckpointSigner
from audit.synthetic import traffic


async def main(target: str, n: int, seed: int) -> None:
    store = open_store(target)
    signer = CheckpointSigner(private_key=os.environ["TEST_AUDIT_KEY_PEM"].encode())
    async with AuditLog(store=store, signer=signer, checkpoint_every=50, checkpoint_interval_s=0.2) as log:
        seqs = []
        for event, gating in traffic("shared", n, seed=seed):
            seqs.append((await log.append(event, durable=gating)).seq)
    store.close()
    print(" ".join(map(str, seqs)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
