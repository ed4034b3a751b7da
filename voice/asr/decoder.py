"""CTranslate2 Whisper: trimmed-window encoding with silence fill, batched generation, word alignment."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import ctranslate2
import numpy as np

from voice.asr.audio import FloatArray
from voice.asr.config import AsrConfig, Device
from voice.asr.exceptions import AsrModelError
from voice.asr.features import FULL_FRAMES, MelFrontEnd
from voice.asr.numbers import choose
from voice.asr.textnorm import spoken_digits
from voice.asr.tokens import WhisperTokens, expected_digits, is_digits_hint
from voice.models import ResolvedModel

log = logging.getLogger(__name__)
TOKENS_PER_SECOND = 50  # encoder positions per second of audio


@dataclass(frozen=True, slots=True)
class Decoded:
    """Raw decoder output for one item: token ids (no prompt, no end-of-text) and scores."""

    ids: list[int]
    avg_logprob: float
    no_speech_prob: float
    truncated: bool


@dataclass(frozen=True, slots=True)
class Encoded:
    """Encoder output of a batch; ``array`` is its host copy on the CPU path (None on a GPU)."""

    storage: ctranslate2.StorageView
    array: np.ndarray | None

    def subset(self, index: list[int]) -> ctranslate2.StorageView | None:
        """Encoder output of some items, without encoding again (None when only a GPU copy exists)."""
        if self.array is None:
            return None
        return ctranslate2.StorageView.from_array(np.ascontiguousarray(self.array[index]))


def pick_device(device: Device) -> str:
    if device is Device.AUTO:
        return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    return str(device.value)


class WhisperDecoder:
    """Owns the CTranslate2 model, the tokenizer and the encoded-silence filler."""

    def __init__(self, model: ResolvedModel, config: AsrConfig) -> None:
        self.config = config
        self.device = pick_device(config.device)
        self.compute_type = config.compute_type or ("float16" if self.device == "cuda" else "int8")
        self.full_window = self.device == "cuda" or config.window.full_window
        started = time.perf_counter()
        log.info("loading %s on %s (%s)", model.name, self.device, self.compute_type)
        try:
            self.model = ctranslate2.models.Whisper(
                str(model.path),
                device=self.device,
                compute_type=self.compute_type,
                intra_threads=config.cpu_threads,
                inter_threads=max(1, config.lanes),
            )
        except (RuntimeError, ValueError) as exc:
            raise AsrModelError(f"cannot load the Whisper model from {model.path}: {exc}") from exc
        self.tokens = WhisperTokens(model.path)
        self.mel = MelFrontEnd(self.model.n_mels)
        self._silence: np.ndarray | None = None
        if config.silence_fill and not self.full_window:
            log.info("encoding 30 s of silence for the encoder fill")
            self._silence = self._encode_np(self.mel.window(np.zeros(0, np.float32), FULL_FRAMES, 0)[None])
        log.info("ASR model ready in %.0f ms", (time.perf_counter() - started) * 1000)

    def _encode_np(self, mels: np.ndarray) -> np.ndarray:
        out = self.model.encode(ctranslate2.StorageView.from_array(np.ascontiguousarray(mels)), to_cpu=True)
        return np.asarray(out, dtype=np.float32)

    def features(self, items: list[FloatArray], frames: int, lead: int) -> Encoded:
        """Encoder output for a batch sharing one window of ``frames`` mel frames."""
        if self.full_window:
            frames = FULL_FRAMES
        mels = np.stack([self.mel.window(x, frames, lead) for x in items])
        if self.device != "cpu":
            return Encoded(self.model.encode(ctranslate2.StorageView.from_array(mels)), None)
        enc = self._encode_np(mels)
        if self._silence is not None and enc.shape[1] < self._silence.shape[1]:
            tail = self._silence[:, enc.shape[1] :]
            fill = np.broadcast_to(tail, (len(items), *tail.shape[1:]))
            enc = np.concatenate([enc, fill], axis=1)
        enc = np.ascontiguousarray(enc)
        return Encoded(ctranslate2.StorageView.from_array(enc), enc)

    def generate(
        self,
        features: ctranslate2.StorageView,
        hint: str | None,
        budgets: list[int],
        segments: list[int | None] | None = None,
    ) -> list[Decoded]:
        """One decode per item. ``digits``/``digits:N`` hints restrict the vocabulary to digits and
        return the beam's hypotheses; one is chosen by :func:`voice.asr.numbers.choose` (exactly N
        digits for ``digits:N``; with ``segments``, the voiced segments of each item, as evidence of
        how many digits were said; a Luhn-valid card number)."""
        prompt = self.tokens.prompt(hint)
        digits = is_digits_hint(hint)
        want = expected_digits(hint)
        suppress = [-1, *self.tokens.non_digit_ids] if digits else [-1]
        beam = self.config.digit_beam_size if digits else self.config.beam_size
        nbest = digits and (want is not None or self.config.digit_evidence)
        try:
            results = self.model.generate(
                features,
                [prompt] * len(budgets),
                beam_size=beam,
                num_hypotheses=beam if nbest else 1,
                max_length=len(prompt) + max(budgets) + 1,
                return_scores=True,
                return_no_speech_prob=True,
                suppress_blank=True,
                suppress_tokens=suppress,
            )
        except (RuntimeError, ValueError) as exc:
            raise AsrModelError(f"Whisper decoding failed: {type(exc).__name__}") from exc
        out: list[Decoded] = []
        counts = segments or [None] * len(budgets)
        for res, budget, count in zip(results, budgets, counts, strict=True):
            best = 0
            if nbest:
                found = [spoken_digits(self.tokens.decode(h)) for h in res.sequences_ids]
                best = choose(found, expected=want, segments=count if self.config.digit_evidence else None)
            ids = [i for i in res.sequences_ids[best] if i < self.tokens.eot]
            truncated = len(ids) >= budget
            out.append(Decoded(ids[:budget], float(res.scores[best]), float(res.no_speech_prob), truncated))
        return out

    def align(
        self, features: ctranslate2.StorageView, ids: list[list[int]], frames: list[int]
    ) -> list[list[tuple[int, int]]]:
        """Per item, (start, end) in encoder positions (20 ms) of each word of ``ids``."""
        todo = [k for k, t in enumerate(ids) if t]
        spans: list[list[tuple[int, int]]] = [[] for _ in ids]
        if not todo:
            return spans
        # align() needs the whole batch; empty transcripts are aligned on a dummy token and ignored
        text = [t if t else [self.tokens.eot] for t in ids]
        results = self.model.align(
            features, self.tokens.sot_sequence + [self.tokens.no_timestamps], text, frames
        )
        for k in todo:
            pairs = results[k].alignments
            text_idx = np.array([p[0] for p in pairs])
            time_idx = np.array([p[1] for p in pairs])
            jumps = np.pad(np.diff(text_idx), (1, 0), constant_values=1).astype(bool)
            jump_times = time_idx[jumps]
            starts = [j for j, t in enumerate(ids[k]) if j == 0 or self.tokens.starts_word(t)]
            bounds = [*starts, len(ids[k])]
            for w in range(len(starts)):
                s = int(jump_times[min(bounds[w], len(jump_times) - 1)])
                e = int(jump_times[min(bounds[w + 1], len(jump_times) - 1)])
                spans[k].append((s, max(e, s + 1)))
        return spans

    def word_texts(self, ids: list[int]) -> list[str]:
        starts = [j for j, t in enumerate(ids) if j == 0 or self.tokens.starts_word(t)]
        bounds = [*starts, len(ids)]
        return [self.tokens.decode(ids[bounds[w] : bounds[w + 1]]) for w in range(len(starts))]
