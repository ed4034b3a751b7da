"""Typed workspace configuration: departments, routing, IVR, feature switches, brain, audio.

Loaded from YAML (:func:`load_workspace`); every validation error names the YAML line and the
dotted field at fault (:class:`ConfigError`). This is workspace *data*: the server keeps it in its
store, seeded from the YAML on first start. Deployment settings (keys, database URL, ports, the
brain backend of this process) are not read here: they are ``DIALPHONE_*`` variables declared in
:mod:`voice.settings`, which overlay the running copy and are never stored. The ``security``
section is that running copy's secrets: a YAML may carry a demo's values, a store never does
(:func:`stored_form`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


class Transport(StrEnum):
    SIP = "sip"
    WS = "ws"
    WEBRTC = "webrtc"
    INPROC = "inproc"


class BrainBackend(StrEnum):
    EMBEDDED = "embedded"
    ANTHROPIC = "anthropic"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


def _check_tz(v: str) -> str:
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {v!r}") from exc
    return v


class BusinessHours(_Model):
    """Opening hours in a time zone; ``always`` ignores the weekly table."""

    timezone: str = "UTC"
    always: bool = False
    weekly: dict[str, list[str]] = Field(default_factory=dict)

    _tz = field_validator("timezone")(classmethod(lambda cls, v: _check_tz(v)))

    @field_validator("weekly")
    @classmethod
    def _weekly(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for day, ranges in v.items():
            if day not in _DAYS:
                raise ValueError(f"day must be one of {', '.join(_DAYS)}, not {day!r}")
            for r in ranges:
                m = _RANGE.match(r)
                if not m or int(m[1]) > 24 or int(m[3]) > 24 or int(m[2]) > 59 or int(m[4]) > 59:
                    raise ValueError(f"time range must look like 08:00-17:30, not {r!r}")
        return v

    def is_open(self, when: datetime) -> bool:
        if self.always:
            return True
        local = when.astimezone(ZoneInfo(self.timezone))
        now = local.time()
        for r in self.weekly.get(_DAYS[local.weekday()], []):
            m = _RANGE.match(r)
            assert m is not None
            start = time(int(m[1]) % 24, int(m[2]))
            end_h = int(m[3])
            end = time(23, 59, 59, 999999) if end_h == 24 else time(end_h, int(m[4]))
            if start <= now < end:
                return True
        return False


class Department(_Model):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    description: str
    examples: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    enabled: bool = True
    targets: dict[Transport, str] = Field(default_factory=dict)
    hours: BusinessHours = Field(default_factory=lambda: BusinessHours(always=True))
    requires_approval: bool = False


class IvrOption(_Model):
    digit: str = Field(pattern=r"^[0-9*#]$")
    department: str
    prompt: str


class IvrMenu(_Model):
    greeting: str = "Thank you for calling."
    options: list[IvrOption] = Field(default_factory=list)
    timeout_s: float = Field(default=5.0, gt=0, le=60)
    repeats: int = Field(default=2, ge=0, le=10)
    invalid_prompt: str = "Sorry, that is not a valid choice."
    goodbye_prompt: str = "Goodbye."
    prompts_dir: str | None = None


class Features(_Model):
    ai_enabled: bool = True
    concierge: bool = True
    transcription: bool = True
    recording: bool = False


class Brain(_Model):
    backend: BrainBackend = BrainBackend.EMBEDDED
    model: str = "claude-sonnet-4-5"
    base_url: str | None = None
    api_key_env: str = "ANTHROPIC_API_KEY"
    timeout_s: float = Field(default=8.0, gt=0)
    max_retries: int = Field(default=2, ge=0, le=10)
    max_failures: int = Field(default=2, ge=1, le=10)
    faq: list[dict[str, str]] = Field(default_factory=list)


class Vad(_Model):
    aggressiveness: int = Field(default=2, ge=0, le=3)
    frame_ms: int = 20
    start_ms: int = Field(default=100, ge=0, le=2000)
    stop_ms: int = Field(default=200, ge=20, le=5000)
    # A caller who speaks again within this long after a turn ended is finishing the same request
    # ("...my bill." / "I paid it, but..."): the reply is cut, both parts reach the brain as one
    # turn, and an allowed transfer runs only after this much quiet.
    resume_ms: int = Field(default=800, ge=0, le=5000)

    @field_validator("frame_ms")
    @classmethod
    def _frame(cls, v: int) -> int:
        if v not in (10, 20, 30):
            raise ValueError("webrtcvad frames are 10, 20 or 30 ms")
        return v


class QueueOrder(StrEnum):
    OLDEST_FIRST = "oldest_first"
    SHORTEST_FIRST = "shortest_first"


class Asr(_Model):
    model_path: str | None = None
    device: str = "auto"
    compute_type: str = "auto"
    # The process's one ASR queue (voice.asr.batching): decodes at once, cores per decode, utterances
    # decoded together, and which waiting caller goes first. The defaults are measured on 2 cores
    # (README, "Capacity"); a machine with more cores runs more lanes.
    lanes: int = Field(default=2, ge=1, le=32)
    threads_per_lane: int = Field(default=1, ge=1, le=32)
    max_batch: int = Field(default=4, ge=1, le=16)
    queue_order: QueueOrder = QueueOrder.OLDEST_FIRST


class Tts(_Model):
    engine: str = "hibari"
    voice: str = "heart"
    speed: float = Field(default=1.05, gt=0.4, lt=2.5)


class Audio(_Model):
    sample_rate: int = 16000
    vad: Vad = Field(default_factory=Vad)
    asr: Asr = Field(default_factory=Asr)
    tts: Tts = Field(default_factory=Tts)

    @field_validator("sample_rate")
    @classmethod
    def _rate(cls, v: int) -> int:
        if v not in (8000, 16000):
            raise ValueError("sample_rate must be 8000 or 16000")
        return v


class TransferPolicy(_Model):
    max_per_call: int = Field(default=2, ge=1, le=10)
    approval_timeout_s: float = Field(default=20.0, gt=0, le=600)


class OverloadAction(StrEnum):
    IVR = "ivr"  # the caller gets the plain DTMF IVR (no AI), as an opted-out caller does
    REFUSE = "refuse"  # SIP 503 with Retry-After, WebSocket close 1013, WebRTC 503


class Overload(_Model):
    """Admission control (voice.pipeline.admission): when the measured ASR queue would push the live
    calls past their voice-to-voice budget, a new call is not given the AI: ``action`` says what it
    gets instead. ``max_ai_calls`` is an optional fixed ceiling (the figure of ``dialphone bench
    capacity``); without it the measured queue alone decides."""

    enabled: bool = True
    action: OverloadAction = OverloadAction.IVR
    # the part of the voice-to-voice budget (1 s) the ASR (queue wait and decode) may take after the
    # end of a turn: endpointing (200 ms), brain, TTS and transport take the rest
    asr_budget_ms: int = Field(default=450, ge=50, le=10_000)
    max_ai_calls: int | None = Field(default=None, ge=1)
    retry_after_s: int = Field(default=10, ge=1, le=3600)


class Sip(_Model):
    trunk_allowlist: list[str] = Field(default_factory=lambda: ["127.0.0.0/8", "::1/128"])
    max_calls: int = Field(default=32, ge=1)
    invite_rate_per_s: float = Field(default=20.0, gt=0)
    public_host: str | None = None


class Security(_Model):
    """Key material of the running process: from deployment settings (:mod:`voice.settings`), or
    a demo YAML's values. Never stored (:func:`stored_form` drops it); ``api_tokens`` only seed
    the token table (as digests)."""

    vault_key_b64: str | None = None
    audit_signing_key_b64: str | None = None
    media_stream_secret: str | None = None
    # Twilio's REST API for media-stream transfers; with an auth token, every /media/twilio upgrade
    # must carry a valid X-Twilio-Signature (voice.media_streams.signature).
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_api_base: str | None = None  # another origin than https://api.twilio.com (a proxy; tests)
    twilio_public_url: str | None = None  # the wss:// URL Twilio connects to, when a proxy rewrites it
    api_tokens: list[dict[str, str]] = Field(default_factory=list)


class Privacy(_Model):
    """The privacy boundary's settings (see :mod:`redaction.guard`)."""

    # Say "the card ending in 1 1 1 1" back to the caller; off: "your card" (and the last four count
    # as part of the secret everywhere, logs and model input included).
    speak_last_four: bool = True
    # Digits in plainly harmless numbers ("2 questions", "3 pm") that may pass in one call; after
    # that every number is tokenized.
    plain_digit_budget: int = Field(default=8, ge=0, le=64)
    # A caller turn the guard has not decided within this long is withheld (fail closed).
    redaction_timeout_ms: int = Field(default=500, ge=10, le=10_000)
    # While a number the caller is giving is incomplete, a pause up to this long does not end their
    # turn, and the concierge waits this long for quiet before it acts (a card read in two halves).
    number_pause_ms: int = Field(default=2500, ge=0, le=10_000)


class Workspace(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    name: str
    timezone: str = "UTC"
    # Where a caller's number written without a country code is ("07700 900123" in GB).
    default_region: str = "US"
    retention_days: int = Field(default=365, ge=1)
    greeting: str = "Hello, you've reached the virtual concierge. How can I help you today?"
    departments: list[Department]
    ivr: IvrMenu = Field(default_factory=IvrMenu)
    features: Features = Field(default_factory=Features)
    brain: Brain = Field(default_factory=Brain)
    audio: Audio = Field(default_factory=Audio)
    transfer: TransferPolicy = Field(default_factory=TransferPolicy)
    sip: Sip = Field(default_factory=Sip)
    overload: Overload = Field(default_factory=Overload)
    security: Security = Field(default_factory=Security)
    privacy: Privacy = Field(default_factory=Privacy)
    optout_numbers: list[str] = Field(default_factory=list)

    _tz = field_validator("timezone")(classmethod(lambda cls, v: _check_tz(v)))

    @field_validator("default_region")
    @classmethod
    def _region(cls, v: str) -> str:
        if v.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"unknown region code {v!r} (ISO 3166 alpha-2, e.g. US, GB)")
        return v.upper()

    @model_validator(mode="after")
    def _references(self) -> Workspace:
        names = [d.name for d in self.departments]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"duplicate department names: {', '.join(sorted(dup))}")
        for opt in self.ivr.options:
            if opt.department not in names:
                raise ValueError(f"ivr option {opt.digit} names unknown department {opt.department!r}")
        return self

    def department(self, name: str) -> Department | None:
        return next((d for d in self.departments if d.name == name), None)


class ConfigError(Exception):
    """A configuration file that cannot be used; ``problems`` lists (line, field, message)."""

    def __init__(self, source: str, problems: list[tuple[int | None, str, str]]) -> None:
        self.source = source
        self.problems = problems
        lines = [f"{source}:{line if line else '?'}: {field}: {msg}" for line, field, msg in problems]
        super().__init__("invalid configuration\n" + "\n".join(lines))


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """The 1-based line of the deepest YAML node along ``loc``."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            nxt = node.value[part]
        else:
            nxt = None
        if nxt is None:
            break
        node = nxt
        line = node.start_mark.line + 1
    return line


#: Fields a store never holds: the running process's secrets, and raw caller numbers (the YAML's
#: ``optout_numbers`` are seeded into the opt-out list as keyed identifiers).
UNSTORED_FIELDS = ("security", "optout_numbers")


def stored_form(workspace: Workspace) -> dict[str, Any]:
    """The workspace as a store keeps and exports it: JSON, without :data:`UNSTORED_FIELDS`."""
    data = workspace.model_dump(mode="json")
    for name in UNSTORED_FIELDS:
        data.pop(name, None)
    return data


def differences(a: Any, b: Any, prefix: str = "") -> list[str]:
    """Dotted names of the fields where two stored forms differ (departments by name)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for key in sorted(set(a) | set(b), key=str):
            out += differences(a.get(key), b.get(key), f"{prefix}.{key}" if prefix else str(key))
        return out
    if isinstance(a, list) and isinstance(b, list) and all(isinstance(x, dict) and "name" in x for x in a + b):
        return differences({x["name"]: x for x in a}, {x["name"]: x for x in b}, prefix)
    return [] if a == b else [prefix or "<workspace>"]


def parse_workspace(text: str, *, source: str = "<string>", env: Mapping[str, str] | None = None) -> Workspace:
    """Validate YAML text; raise :class:`ConfigError` naming line and field of every problem.

    ``env`` is accepted for older callers and not read: environment variables are deployment
    settings (:mod:`voice.settings`), not workspace fields."""
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(source, [(line, "<document>", f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from None
    if not isinstance(data, dict):
        raise ConfigError(source, [(1, "<document>", "the top level must be a mapping")])
    # Cross-field problems are read from the document itself, so that they are reported in the same
    # pass as the field errors (pydantic runs the model's own check only once every field is valid),
    # each at the line and path of the field at fault.
    located: list[tuple[tuple[int | str, ...], str]] = list(_reference_problems(data))
    try:
        workspace = Workspace.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            if loc or not located:  # the model's own check repeats what _reference_problems found
                located.append((loc, err["msg"].removeprefix("Value error, ")))
    else:
        if not located:
            return workspace
    problems = [(_line_of(node, loc), ".".join(str(p) for p in loc) or "<workspace>", msg) for loc, msg in located]
    problems.sort(key=lambda p: (p[0] is None, p[0] or 0))
    raise ConfigError(source, problems) from None


def _reference_problems(data: dict[str, Any]) -> list[tuple[tuple[int | str, ...], str]]:
    """What :meth:`Workspace._references` checks, located: duplicate department names, IVR options
    naming a department that does not exist. Tolerates a malformed document (its field errors are
    pydantic's to report)."""
    out: list[tuple[tuple[int | str, ...], str]] = []
    departments = data.get("departments")
    names: list[str] = []
    if isinstance(departments, list):
        for i, dept in enumerate(departments):
            name = dept.get("name") if isinstance(dept, dict) else None
            if isinstance(name, str):
                if name in names:
                    out.append((("departments", i, "name"), f"duplicate department name {name!r}"))
                names.append(name)
    ivr = data.get("ivr")
    options = ivr.get("options") if isinstance(ivr, dict) else None
    if isinstance(options, list) and isinstance(departments, list):
        for i, opt in enumerate(options):
            dept = opt.get("department") if isinstance(opt, dict) else None
            if isinstance(dept, str) and dept not in names:
                known = ", ".join(dict.fromkeys(names)) or "none"
                out.append((("ivr", "options", i, "department"),
                            f"option {opt.get('digit', '?')} names unknown department {dept!r} (known: {known})"))
    return out


def load_workspace(path: str | Path, *, env: Mapping[str, str] | None = None) -> Workspace:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(p), [(None, "<file>", f"cannot read: {exc.strerror}")]) from None
    return parse_workspace(text, source=str(p), env=env)
