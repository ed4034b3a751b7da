"""A pipecat :class:`VADAnalyzer` backed by Google's WebRTC VAD (``webrtcvad``).

WebRTC VAD scores 10, 20 or 30 ms frames of 16-bit mono PCM at 8, 16, 32 or 48 kHz as speech or not;
``aggressiveness`` 0-3 trades missed speech for false alarms (3 rejects the most noise). Pipecat's
state machine turns the per-frame decisions into STARTING/SPEAKING/STOPPING/QUIET with the
configured start and stop times.
"""

from __future__ import annotations

import webrtcvad
from pipecat.audio.vad.vad_analyzer import VADAnalyzer, VADParams

SUPPORTED_RATES = (8000, 16000, 32000, 48000)
FRAME_MS = (10, 20, 30)


class WebRtcVADAnalyzer(VADAnalyzer):
    """Speech/non-speech per frame from webrtcvad; confidence is 1.0 or 0.0."""

    def __init__(
        self,
        *,
        sample_rate: int | None = None,
        aggressiveness: int = 2,
        frame_ms: int = 20,
        start_secs: float = 0.06,
        stop_secs: float = 0.2,
        min_volume: float = 0.0,
    ) -> None:
        if frame_ms not in FRAME_MS:
            raise ValueError(f"frame_ms must be one of {FRAME_MS}")
        if not 0 <= aggressiveness <= 3:
            raise ValueError("aggressiveness must be 0..3")
        if sample_rate is not None and sample_rate not in SUPPORTED_RATES:
            raise ValueError(f"sample_rate must be one of {SUPPORTED_RATES}")
        self._frame_ms = frame_ms
        self._vad = webrtcvad.Vad(aggressiveness)
        params = VADParams(confidence=0.5, start_secs=start_secs, stop_secs=stop_secs, min_volume=min_volume)
        super().__init__(sample_rate=sample_rate, params=params)

    @property
    def frame_ms(self) -> int:
        return self._frame_ms

    def set_sample_rate(self, sample_rate: int) -> None:
        rate = self._init_sample_rate or sample_rate
        if rate not in SUPPORTED_RATES:
            raise ValueError(f"webrtcvad cannot run at {rate} Hz; use one of {SUPPORTED_RATES}")
        super().set_sample_rate(sample_rate)

    def num_frames_required(self) -> int:
        return int(self.sample_rate * self._frame_ms / 1000)

    def voice_confidence(self, buffer: bytes) -> float:
        try:
            return 1.0 if self._vad.is_speech(buffer, self.sample_rate) else 0.0
        except Exception:  # webrtcvad raises a bare Error on a malformed frame
            return 0.0

    def is_speech(self, frame: bytes) -> bool:
        """Decide one frame directly (used by the turn detector, outside pipecat's state machine)."""
        return self.voice_confidence(frame) >= 0.5
