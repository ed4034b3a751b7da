"""What one server process loads once and shares between calls: models, executors, audit log.

Loading shows progress on stderr (each step with its time). CPU-bound work runs off the event loop,
one executor per model: ASR, TTS and NER each get their own threads, so a slow synthesis never
delays a transcription. The ASR is one queue for every call (:class:`voice.asr.AsrBatcher`: lanes,
batches across calls, deadline order; ``audio.asr`` in the workspace), and the admission control
(:mod:`voice.pipeline.admission`) reads that queue to decide whether a new call gets the AI.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from concierge.approvals import InMemoryApprovalQueue
from concierge.config import Workspace
from concierge.embedded_brain import spoken_lines
from voice.asr import AsrBatcher, AsrConfig, AsrEngine, Device, QueueOrder
from voice.ivr.prompts import all_texts
from voice.pipeline.admission import AdmissionControl, live_ai_calls
from voice.pipeline.audit_setup import open_audit
from voice.pipeline.redaction_setup import load_redaction
from voice.tts import HibariEngine, PromptCache

log = logging.getLogger("dialphone.engines")


def _step(name: str) -> Any:
    class _Timer:
        def __enter__(self) -> None:
            self.t0 = time.perf_counter()
            print(f"  loading {name} …", file=sys.stderr, flush=True)

        def __exit__(self, *exc: object) -> None:
            if exc[0] is None:
                print(f"  loaded {name} in {time.perf_counter() - self.t0:.2f}s", file=sys.stderr, flush=True)

    return _Timer()


class Engines:
    """Shared engines. Build with :meth:`load` (blocking, call it off the event loop at start-up)."""

    def __init__(
        self,
        *,
        workspace: Workspace,
        asr: Any,
        asr_model_id: str,
        tts: Any,
        asr_model_version: str = "unknown",
        prompts: Any,
        redaction: Any,
        audit: Any,
        audit_log: Any = None,
    ) -> None:
        self.workspace = workspace
        self.asr = asr
        self.asr_model_id = asr_model_id
        self.asr_model_version = asr_model_version
        self.tts = tts
        self.prompts = prompts
        self.redaction = redaction
        self.audit = audit
        self.audit_log = audit_log
        self.approvals: Any = InMemoryApprovalQueue()  # the server puts the store's queue here
        self.live_calls: dict[str, Any] = {}  # call id -> CallSession, for the admin API's live view
        self.optouts: Any = None  # the admin opt-out list when the admin store runs (voice.ivr.optout.OptOutList)
        self.ivr_warm_for: Workspace | None = None  # workspace whose extra IVR prompts are rendered
        self.sip_warm = False  # the SIP listener has built its warm-up call (voice.telephony.listener)
        # run with each call's session right after new_call builds it, in the call's task (the server's
        # metrics observer and log context go in here; voice.server.process)
        self.call_hooks: list[Callable[[Any], None]] = []
        cfg = workspace.audio.asr
        self.asr_queue = AsrBatcher(
            asr, lanes=cfg.lanes, max_batch=cfg.max_batch, order=QueueOrder(str(cfg.queue_order))
        )
        self.admission = AdmissionControl(
            queue=self.asr_queue, settings=lambda: self.workspace.overload, live_ai_calls=lambda: live_ai_calls(self),
            audit=lambda: self.audit,
        )
        self.tts_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tts")

    @classmethod
    def load(
        cls, workspace: Workspace, data_dir: Path, *, audit_db: Path | None = None, audit_store: Any = None,
        signing_key: bytes | None = None,
    ) -> Engines:
        """``audit_store``: a store the server opened (PostgreSQL), else SQLite at ``audit_db``
        (default ``<data_dir>/audit.db``); ``signing_key``: the checkpoint key from the settings."""
        print("dialphone: loading models", file=sys.stderr, flush=True)
        # One BLAS thread: the process's parallel work is its own (ASR lanes, TTS, NER, the event loop),
        # and OpenBLAS's extra threads only spin on the cores they need (measured: the ASR's mel
        # features with 2 BLAS threads cost 15-25% more CPU per turn on 2 cores).
        threadpool_limits(limits=1, user_api="blas")
        with _step("speech recognition (faster-whisper tiny.en, verified)"):
            cfg = workspace.audio.asr
            asr = AsrEngine(
                config=AsrConfig(
                    model_path=Path(cfg.model_path) if cfg.model_path else None,
                    device=Device(cfg.device),
                    compute_type=None if cfg.compute_type == "auto" else cfg.compute_type,
                    cpu_threads=cfg.threads_per_lane,
                    lanes=cfg.lanes,
                )
            )
            _warm_up(asr, cfg.lanes)
        with _step("speech synthesis (hibari, verified)"):
            tts = HibariEngine(voice=workspace.audio.tts.voice, speed=workspace.audio.tts.speed)
            tts.warm_up()
            prompts = PromptCache(tts)
        with _step("redaction (presidio + spaCy en_core_web_sm, offline)"):
            redaction = load_redaction(workspace)
        with _step("pipecat adapters"):
            # pipecat imports these on the first LLM context of the process, on the event loop:
            # importing them here keeps that 4-12 s stall off the first call.
            import pipecat.adapters.llm.services.open_ai_adapter  # noqa: F401
        with _step("audit log"):
            audit_log, audit = open_audit(
                workspace, audit_db or data_dir / "audit.db", store=audit_store, signing_key=signing_key
            )
        return cls(
            workspace=workspace,
            asr=asr,
            asr_model_id="faster-whisper/" + asr.model.name.split()[1] if " " in asr.model.name else asr.model.name,
            asr_model_version=asr.model.source.replace("==", "-"),
            tts=tts,
            prompts=prompts,
            redaction=redaction,
            audit=audit,
            audit_log=audit_log,
        )

    async def start(self) -> None:
        if self.audit_log is not None and hasattr(self.audit_log, "start"):
            await self.audit_log.start()
        rate_set = {8000, 16000}
        for rate in rate_set:
            self.prompts.preload(self.fixed_prompts(), rate)
        self.prompts.allow(spoken_lines(self.workspace))
        self.admission.start()

    def fixed_prompts(self) -> list[str]:
        """Every fixed line a caller may hear: the greeting and all IVR prompts, rendered at start."""
        ws = self.workspace
        return list(dict.fromkeys([ws.greeting, *all_texts(ws)]))

    def new_redactor(self, call_id: str) -> Any:
        return self.redaction.new_call(call_id, self.workspace)

    def new_guard(self, call_id: str) -> Any:
        """The call's privacy boundary (:class:`redaction.CallGuard`) under the current workspace."""
        return self.redaction.new_guard(call_id, self.workspace)

    async def close(self) -> None:
        await self.admission.stop()
        if hasattr(self.audit, "flush"):
            await self.audit.flush()
        if self.audit_log is not None and hasattr(self.audit_log, "close"):
            await self.audit_log.close()
        self.asr_queue.shutdown(wait=False)
        self.tts_executor.shutdown(wait=False)
        self.redaction.shutdown()


def _warm_up(asr: AsrEngine, lanes: int) -> None:
    """The first decode on each lane builds its kernels: run one per lane, at once."""
    silence = np.zeros(16000, dtype=np.float32)
    with ThreadPoolExecutor(max_workers=max(1, lanes)) as pool:
        list(pool.map(lambda _: asr.transcribe(silence), range(max(1, lanes))))


def cpu_threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))
