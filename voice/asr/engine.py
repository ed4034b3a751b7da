"""The ASR engine: synchronous, CPU-bound; run it in an executor (one per model) from asyncio code.

    engine = AsrEngine()                                  # tiny.en, verified, int8 on CPU
    result = engine.transcribe(pcm16k)                    # float32 or int16, mono, 16 kHz
    result = engine.transcribe(pcm16k, hint="digits")     # digit-only vocabulary (card numbers)
    result = engine.transcribe(pcm16k, hint="digits:4")   # a number of known length (PIN, last 4)
    spec = engine.start(pcm_at_first_pause)               # speculative decode at the first pause
    result = engine.finish(spec, pcm_at_end_of_turn)      # reused if the audio did not change
    results = engine.transcribe_batch([pcm_a, pcm_b])     # one encoder/decoder pass for many calls

Nothing is cached between calls: every ``transcribe`` decodes (a speculative result is reused only
through the handle its own call holds). ``config.lanes`` decodes may run at once (CTranslate2
``inter_threads``, each on ``cpu_threads`` cores); :class:`voice.asr.batching.AsrBatcher` feeds the
lanes from one queue shared by every call.

Decoding: one pass, no temperature fallback, beam search (``beam_size``), a token budget relative
to the duration, a repetition cut, and Whisper's no-speech rule (returns ""). With ``auto_digits``
a transcript that is mostly a spoken number is decoded once more with the digit-only vocabulary
(one more decoder pass on the same encoder output, only for such turns). A digit-only decode keeps
the beam's hypotheses and chooses among them by evidence (``digit_evidence``,
:mod:`voice.asr.numbers`): the number of voiced segments, a Luhn check digit, a known length.
Any other hint string is given to Whisper as previous text (names, vocabulary); measured: the bot's
own question as a hint lowers digit accuracy, so do not pass it.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from voice.asr.audio import (
    SAMPLE_RATE,
    FloatArray,
    as_float32,
    audio_key,
    peak_dbfs,
    trim_trailing_quiet,
)
from voice.asr.cache import Speculation
from voice.asr.config import AsrConfig
from voice.asr.decoder import TOKENS_PER_SECOND, Decoded, WhisperDecoder
from voice.asr.dropped import recovered_better, suspect
from voice.asr.guards import cut_repetition, is_no_speech, token_budget
from voice.asr.numbers import MAX_SEGMENTS, fill_dropped, voiced_segments
from voice.asr.result import AsrResult, Word
from voice.asr.textnorm import looks_numeric, spoken_digits
from voice.asr.tokens import DIGITS_HINT, expected_digits, is_digits_hint
from voice.models import resolve_whisper

log = logging.getLogger(__name__)
Pcm = npt.NDArray[np.generic]


class AsrEngine:
    """faster-whisper (CTranslate2) speech recognition tuned for short telephone turns."""

    def __init__(self, *, config: AsrConfig | None = None) -> None:
        self.config = config or AsrConfig()
        self.model = resolve_whisper(
            self.config.model_path, manifest=self.config.manifest, record_digests=self.config.record_digests
        )
        self._decoder = WhisperDecoder(self.model, self.config)
        # at most ``lanes`` decodes at once (CTranslate2 runs one batch per inter-thread replica)
        self._slots = threading.BoundedSemaphore(max(1, self.config.lanes))

    @property
    def device(self) -> str:
        return self._decoder.device

    @property
    def compute_type(self) -> str:
        return self._decoder.compute_type

    # -- public API ------------------------------------------------------------------------------
    def transcribe(self, pcm16k: Pcm, *, hint: str | None = None) -> AsrResult:
        """Transcript of one utterance (mono 16 kHz), decoded now."""
        return self._run([self._prepare(pcm16k)], [hint])[0]

    def start(self, pcm16k: Pcm, *, hint: str | None = None) -> Speculation:
        """Decode now (at the first pause); the returned handle lets ``finish`` reuse the result."""
        x, n = self._prepare(pcm16k)
        return Speculation(audio_key(x, hint), self._run([(x, n)], [hint])[0])

    def finish(self, speculation: Speculation | None, pcm16k: Pcm, *, hint: str | None = None) -> AsrResult:
        """The speculative result if the audio (up to trailing quiet) is unchanged, else a new decode."""
        x, _ = self._prepare(pcm16k)
        if speculation is not None and speculation.key == audio_key(x, hint):
            return dataclasses.replace(speculation.result, reused=True, latency_ms=0.0)
        return self.transcribe(pcm16k, hint=hint)

    def transcribe_batch(
        self, pcms: Sequence[Pcm], *, hints: Sequence[str | None] | None = None
    ) -> list[AsrResult]:
        """Transcripts of several utterances in one batched pass per hint (the batcher's path)."""
        hint_list: list[str | None] = list(hints) if hints is not None else [None] * len(pcms)
        if len(hint_list) != len(pcms):
            raise ValueError("hints must have one entry per utterance")
        return self._run([self._prepare(p) for p in pcms], hint_list)

    # -- internals -------------------------------------------------------------------------------
    def _prepare(self, pcm: Pcm) -> tuple[FloatArray, int]:
        """(audio up to its trailing quiet, original length in samples)."""
        x = as_float32(pcm)
        return trim_trailing_quiet(x, floor_dbfs=self.config.silence_dbfs), len(x)

    def _silent(self, n: int, latency_ms: float = 0.0, nsp: float = 1.0, lp: float = 0.0) -> AsrResult:
        return AsrResult(
            text="",
            words=(),
            no_speech_prob=nsp,
            avg_logprob=lp,
            duration_ms=n * 1000 // SAMPLE_RATE,
            model=self.model.name,
            version=self.model.version,
            latency_ms=latency_ms,
            silent=True,
        )

    def _run(self, items: list[tuple[FloatArray, int]], hints: list[str | None]) -> list[AsrResult]:
        started = time.perf_counter()
        out: list[AsrResult | None] = [None] * len(items)
        pieces: dict[str | None, list[tuple[int, FloatArray, int]]] = {}
        for k, (x, n) in enumerate(items):
            if len(x) == 0 or peak_dbfs(x) < self.config.silence_dbfs:
                out[k] = self._silent(n)
                continue
            step = self.config.window.max_speech_samples
            for off in range(0, len(x), step):
                pieces.setdefault(hints[k], []).append((k, x[off : off + step], off))
        decoded: dict[int, list[tuple[Decoded, list[Word], int]]] = {}
        with self._slots:
            for hint, group in pieces.items():
                for (k, _piece, off), dec, words in zip(group, *self._decode(group, hint), strict=True):
                    decoded.setdefault(k, []).append((dec, words, off))
            if self.config.recover_dropped:
                self._recover_dropped(items, hints, decoded)
        latency = (time.perf_counter() - started) * 1000
        for k, parts in decoded.items():
            out[k] = self._result(items[k][1], parts, latency)
        return [r if r is not None else self._silent(0) for r in out]

    def _recover_dropped(
        self, items: list[tuple[FloatArray, int]], hints: list[str | None],
        decoded: dict[int, list[tuple[Decoded, list[Word], int]]],
    ) -> None:
        """Decode again, stretch by stretch, a turn whose decode stopped early (:mod:`voice.asr.dropped`)."""
        tokens = self._decoder.tokens
        todo: dict[int, list[tuple[int, int]]] = {}
        for k, parts in decoded.items():
            if hints[k] is None and len(parts) == 1:
                spans = suspect(tokens.decode(parts[0][0].ids), items[k][0])
                if spans is not None:
                    todo[k] = spans
        if not todo:
            return
        group = [(k, items[k][0][a:b], a) for k, spans in todo.items() for a, b in spans]
        redo, redo_words = self._decode(group, None)
        for k in todo:
            parts = [(d, w, off) for (j, _, off), d, w in zip(group, redo, redo_words, strict=True) if j == k]
            pieces = [tokens.decode(d.ids) for d, _, _ in parts]
            if recovered_better(tokens.decode(decoded[k][0][0].ids), pieces):
                log.info("ASR decode stopped early: decoded again in %d stretches", len(parts))
                decoded[k] = parts

    def _decode(
        self, group: list[tuple[int, FloatArray, int]], hint: str | None
    ) -> tuple[list[Decoded], list[list[Word]]]:
        window = self.config.window
        audio = [p for _, p, _ in group]
        frames = max(window.frames_for(len(p)) for p in audio)
        encoded = self._decoder.features(audio, frames, window.lead_samples())
        features = encoded.storage
        budgets = [
            token_budget(
                len(p) / SAMPLE_RATE, per_second=self.config.tokens_per_second, base=self.config.token_base
            )
            for p in audio
        ]
        counts = [self._segments(p) for p in audio] if is_digits_hint(hint) else None
        want = expected_digits(hint)
        if counts is not None and want is not None:  # a known length caps what the segments may claim
            counts = [None if c is None else min(c, want) for c in counts]
        decoded = [self._guard(d) for d in self._decoder.generate(features, hint, budgets, counts)]
        if counts is not None:
            self._fill_dropped(audio, decoded, list(range(len(audio))), counts)
        if hint is None and self.config.auto_digits:
            numeric = [j for j, d in enumerate(decoded) if looks_numeric(self._decoder.tokens.decode(d.ids))]
            if numeric:  # a spoken number: decode again with the digit-only vocabulary
                sub = encoded.subset(numeric)
                if sub is None:
                    sub = self._decoder.features(
                        [audio[j] for j in numeric], frames, window.lead_samples()
                    ).storage
                redo = self._decoder.generate(
                    sub, DIGITS_HINT, [budgets[j] for j in numeric], [self._segments(audio[j]) for j in numeric]
                )
                for j, d in zip(numeric, redo, strict=True):
                    if d.ids:
                        decoded[j] = self._guard(d)
                self._fill_dropped(audio, decoded, numeric, [self._segments(audio[j]) for j in numeric])
        words: list[list[Word]] = [[] for _ in group]
        if self.config.word_timestamps:
            lead = window.lead_samples() / SAMPLE_RATE
            content = [min(frames, (window.lead_samples() + len(p)) // 160 + 1) for p in audio]
            spans = self._decoder.align(features, [d.ids for d in decoded], content)
            for j, (d, (_, _, off)) in enumerate(zip(decoded, group, strict=True)):
                base_ms = off * 1000 // SAMPLE_RATE - int(lead * 1000)
                for text, (s, e) in zip(self._decoder.word_texts(d.ids), spans[j], strict=False):
                    scale = 1000 // TOKENS_PER_SECOND
                    words[j].append(Word(text, max(0, base_ms + s * scale), max(0, base_ms + e * scale)))
        return decoded, words

    def _segments(self, x: FloatArray) -> int | None:
        """Voiced segments of a numeric turn (evidence of its digit count), when evidence is used."""
        return len(voiced_segments(x)) if self.config.digit_evidence else None

    def _fill_dropped(
        self, audio: list[FloatArray], decoded: list[Decoded], which: list[int], counts: list[int | None]
    ) -> None:
        """Digit by digit: where a digit decode holds fewer digits than the turn has voiced segments,
        decode each segment alone and put back the digits the whole-turn decode skipped
        (:func:`voice.asr.numbers.fill_dropped`); kept only when the count then matches."""
        tokens = self._decoder.tokens
        todo = []
        for j, count in zip(which, counts, strict=True):
            if count is not None and 1 < count <= MAX_SEGMENTS:
                if len(spoken_digits(tokens.decode(decoded[j].ids))) < count:
                    todo.append(j)
        if not todo:
            return
        window = self.config.window
        pieces = [(j, audio[j][a:b]) for j in todo for a, b in voiced_segments(audio[j])]
        frames = max(window.frames_for(len(p)) for _, p in pieces)
        enc = self._decoder.features([p for _, p in pieces], frames, window.lead_samples())
        budgets = [self.config.token_base] * len(pieces)
        heard = self._decoder.generate(enc.storage, "digits:1", budgets)
        found: dict[int, str] = {}
        for (j, _), d in zip(pieces, heard, strict=True):
            found[j] = found.get(j, "") + spoken_digits(tokens.decode(d.ids))[:1]
        for j in todo:
            whole = spoken_digits(tokens.decode(decoded[j].ids))
            merged = fill_dropped(whole, found[j])
            if len(merged) == counts[which.index(j)]:
                decoded[j] = dataclasses.replace(decoded[j], ids=tokens.encode(" " + merged), truncated=False)

    @staticmethod
    def _guard(d: Decoded) -> Decoded:
        ids, cut = cut_repetition(d.ids, truncated=d.truncated)
        if cut:
            log.info("ASR repetition loop cut (%d -> %d tokens)", len(d.ids), len(ids))
        return dataclasses.replace(d, ids=ids, truncated=cut)

    def _result(self, n: int, parts: list[tuple[Decoded, list[Word], int]], latency: float) -> AsrResult:
        texts, words, cut = [], [], False
        nsp = min(d.no_speech_prob for d, _, _ in parts)
        lp = float(np.mean([d.avg_logprob for d, _, _ in parts]))
        for d, w, _ in parts:
            silent = is_no_speech(
                d.no_speech_prob,
                d.avg_logprob,
                threshold=self.config.no_speech_threshold,
                logprob_threshold=self.config.logprob_threshold,
            )
            if silent or not d.ids:
                continue
            texts.append(self._decoder.tokens.decode(d.ids))
            words.extend(w)
            cut = cut or d.truncated
        if not texts:
            return self._silent(n, latency, nsp, lp)
        return AsrResult(
            text=" ".join(t for t in texts if t),
            words=tuple(words),
            no_speech_prob=nsp,
            avg_logprob=lp,
            duration_ms=n * 1000 // SAMPLE_RATE,
            model=self.model.name,
            version=self.model.version,
            latency_ms=latency,
            repetition_cut=cut,
        )
