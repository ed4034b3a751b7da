"""What the ASR engine returns. The transcript is kept out of ``repr`` so it never lands in a log."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Word:
    """One recognized word and its span in the input audio, in milliseconds."""

    text: str = field(repr=False)
    start_ms: int
    end_ms: int


@dataclass(frozen=True, slots=True)
class AsrResult:
    """One utterance's transcript and the figures needed to judge and audit it.

    ``text`` is "" when the audio is judged to hold no speech (``silent``). ``avg_logprob`` is the
    decoder's mean log-probability per token; ``no_speech_prob`` Whisper's no-speech probability.
    ``repetition_cut`` says a decoding loop was detected and cut; ``reused`` that the result came from
    a speculative decode of the same audio. ``latency_ms`` is the compute time of this call.
    """

    text: str = field(repr=False)
    words: tuple[Word, ...] = field(repr=False)
    no_speech_prob: float
    avg_logprob: float
    duration_ms: int
    model: str
    version: str
    latency_ms: float = 0.0
    silent: bool = False
    repetition_cut: bool = False
    reused: bool = False
