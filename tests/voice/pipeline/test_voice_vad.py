"""webrtcvad analyzer on real speech, silence and noise, at 8 and 16 kHz."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voice.audio import read_audio, to_int16_bytes
from voice.pipeline.vad import WebRtcVADAnalyzer


def _speech_share(pcm: np.ndarray, rate: int, aggressiveness: int = 2) -> float:
    vad = WebRtcVADAnalyzer(aggressiveness=aggressiveness, frame_ms=20)
    vad.set_sample_rate(rate)
    n = vad.num_frames_required()
    data = to_int16_bytes(pcm)
    frames = [data[i : i + 2 * n] for i in range(0, len(data) - 2 * n + 1, 2 * n)]
    return sum(vad.is_speech(f) for f in frames) / len(frames)


@pytest.mark.parametrize("rate", [8000, 16000])
def test_speech_silence_noise(shared_dir: Path, rate: int) -> None:
    speech, _ = read_audio(shared_dir / "audio/speech/jfk.flac", rate)
    assert _speech_share(speech, rate) > 0.6
    assert _speech_share(np.zeros(rate * 2, np.float32), rate) == 0.0
    noise = np.random.default_rng(7).normal(0, 0.01, rate * 3).astype(np.float32)
    assert _speech_share(noise, rate, aggressiveness=3) < 0.2


def test_rejects_unsupported_settings() -> None:
    with pytest.raises(ValueError, match="frame_ms"):
        WebRtcVADAnalyzer(frame_ms=25)
    with pytest.raises(ValueError, match="aggressiveness"):
        WebRtcVADAnalyzer(aggressiveness=4)
    vad = WebRtcVADAnalyzer()
    with pytest.raises(ValueError, match="11025"):
        vad.set_sample_rate(11025)


async def test_pipecat_state_machine_reaches_speaking(shared_dir: Path) -> None:
    from pipecat.audio.vad.vad_analyzer import VADState

    rate = 16000
    vad = WebRtcVADAnalyzer(start_secs=0.06, stop_secs=0.2)
    vad.set_sample_rate(rate)
    speech, _ = read_audio(shared_dir / "audio/speech/jfk.flac", rate)
    data = to_int16_bytes(np.concatenate([speech[: rate * 2], np.zeros(rate, np.float32)]))
    states = []
    for i in range(0, len(data), 640):
        states.append(await vad.analyze_audio(data[i : i + 640]))
    assert VADState.SPEAKING in states
    assert states[-1] == VADState.QUIET
    await vad.cleanup()
