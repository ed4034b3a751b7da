"""One call's pipecat pipeline, and what the process shares between calls.

    transport in -> [IVR switch] -> turns (VAD + ASR) -> redaction stage -> brain (+ tools, gate)
                 -> TTS -> transport out

- :mod:`.calls`: ``new_call`` / ``run_call``, the one entry point every transport uses (opt-out
  resolved, IVR switch in front)
- :mod:`.session`: ``CallSession``, the pipeline itself; :mod:`.calllog`: what a call records
- :mod:`.turns`, :mod:`.vad`: end of turn and speech recognition in one processor
- :mod:`.redaction_stage`: raw transcripts in, tokenized text out (the privacy boundary)
- :mod:`.observers`, :mod:`.report`: per-turn records and the tokenized report a tester asks for
- :mod:`.call_control`, :mod:`.ivr_control`: what the concierge asks, the transport does
- :mod:`.engines`: models, executors and the audit log loaded once per process, with
  :mod:`.brain_setup`, :mod:`.redaction_setup`, :mod:`.audit_setup`
- :mod:`.server_state`: the ``ServerState`` protocol the listeners see of the process
- :mod:`.inproc`: the in-process transport (replay, warm-up, tests)
"""
