"""Random tamper trials (the bench runs 1,000 per kind on 10,000 events; here 50 on 2,000)."""

from __future__ import annotations

import pytest
from audit_testlib import build_db, new_signer

from audit.signing import CheckpointSigner
from audit.tamper import Snapshot, TamperKind, run_trial

TRIALS = 50


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Snapshot, CheckpointSigner]:
    signer = new_signer()
    store = build_db(tmp_path_factory.mktemp("tamper") / "audit.db", signer, {"acme": 2000})
    snap = Snapshot.load(store, "acme")
    store.close()
    return snap, signer


@pytest.mark.parametrize("kind", list(TamperKind))
def test_every_random_tamper_is_detected(setup: tuple[Snapshot, CheckpointSigner], kind: TamperKind) -> None:
    snap, signer = setup
    variants = set()
    for seed in range(TRIALS):
        detected, located, fault, variant = run_trial(snap, signer.public_key, kind, seed)
        variants.add(variant.split(":")[0].split("+")[0])
        assert detected, f"{kind} trial {seed} ({variant}) not detected"
        assert located is not False, f"{kind} trial {seed} ({variant}) named the wrong seq ({fault})"
    assert variants  # both naive and strong variants ran
