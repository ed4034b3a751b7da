"""Deployment settings: what one server process needs that is not workspace data.

Keys, the database URL, the data folder, ports, the brain backend and its credentials, limits. They
come from the environment (``DIALPHONE_*``), else a settings file (``--settings FILE`` or
``DIALPHONE_SETTINGS_FILE``, YAML with the field names below as keys), else the defaults; a command
line option wins over all of them. Every variable is listed in ``docs/settings.md``.

Secrets are :class:`~pydantic.SecretStr`: they print as ``**********``, are never written to a
store, a log line or an export, and are read once at start-up (a rotated secret takes effect at
the next start). Workspace data (departments, hours, IVR, switches, opt-outs, tokens) lives in the
store instead (:mod:`voice.store`); the settings only overlay the process's running copy of it
(:meth:`Settings.runtime_workspace`), never the stored one.

    settings = load_settings(file=None, http_port=8081)
    settings.database_url_value()      # "sqlite:///var/state.db" unless DIALPHONE_DATABASE_URL is set
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import stat
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from concierge.config import BrainBackend, ConfigError, Workspace

log = logging.getLogger("dialphone.settings")

SETTINGS_FILE_ENV = "DIALPHONE_SETTINGS_FILE"
# The opt-out key when none is configured: public, so identifiers made with it protect nothing
# against someone holding the database. Fine for the embedded demo; the server warns about it.
DEV_OPTOUT_KEY = hashlib.sha256(b"dialphone-development-optout-key").digest()


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*(n.lower() for n in names), *names)


class Settings(BaseSettings):
    """One process's deployment settings (see ``docs/settings.md`` for the table)."""

    model_config = SettingsConfigDict(
        env_prefix="DIALPHONE_", populate_by_name=True, extra="forbid", frozen=True, case_sensitive=False
    )

    config: Path = Field(Path("examples/workspace.yaml"), description="workspace YAML that seeds the store")
    data_dir: Path = Field(Path("var"), description="folder of the SQLite databases")
    host: str = "127.0.0.1"
    sip_port: int = Field(5060, ge=0, le=65535)
    http_port: int = Field(8080, ge=0, le=65535)
    log_level: str = "INFO"
    database_url: SecretStr | None = Field(
        None, description="postgresql://user:pass@host/db; unset: SQLite in the data folder"
    )
    audit_db: Path | None = Field(None, description="SQLite audit file (default <data_dir>/audit.db)")
    audit_key: Path | None = Field(None, description="PEM file of the Ed25519 checkpoint signing key")
    audit_signing_key_b64: SecretStr | None = Field(None, description="the checkpoint key, base64 PEM or raw")
    vault_key_b64: SecretStr | None = Field(None, description="32-byte per-call vault key, base64")
    optout_key_b64: SecretStr | None = Field(None, description="HMAC key of opt-out identifiers, base64")
    media_stream_secret: SecretStr | None = Field(
        None, validation_alias=_env("DIALPHONE_MEDIA_STREAM_SECRET", "DIALPHONE_SECURITY__MEDIA_STREAM_SECRET")
    )
    twilio_account_sid: str | None = Field(None, description="Twilio account SID (media-stream transfers by REST)")
    twilio_auth_token: SecretStr | None = Field(
        None, description="Twilio auth token: REST transfers, and X-Twilio-Signature checked on /media/twilio"
    )
    twilio_api_base: str | None = Field(None, description="another origin than https://api.twilio.com")
    twilio_public_url: str | None = Field(None, description="the wss:// URL Twilio signs, behind a proxy")
    brain_backend: BrainBackend | None = Field(
        None, validation_alias=_env("DIALPHONE_BRAIN_BACKEND", "DIALPHONE_BRAIN__BACKEND")
    )
    brain_model: str | None = Field(None, validation_alias=_env("DIALPHONE_BRAIN_MODEL", "DIALPHONE_BRAIN__MODEL"))
    brain_base_url: str | None = Field(
        None, validation_alias=_env("DIALPHONE_BRAIN_BASE_URL", "DIALPHONE_BRAIN__BASE_URL")
    )
    sip_max_calls: int | None = Field(
        None, ge=1, validation_alias=_env("DIALPHONE_SIP_MAX_CALLS", "DIALPHONE_SIP__MAX_CALLS")
    )
    sip_invite_rate_per_s: float | None = Field(
        None, gt=0, validation_alias=_env("DIALPHONE_SIP_INVITE_RATE_PER_S", "DIALPHONE_SIP__INVITE_RATE_PER_S")
    )
    approvals_retention_s: float = Field(86_400.0, ge=0, description="keep decided approval requests this long")
    config_poll_s: float = Field(1.0, gt=0, le=60, description="how often a server checks for a new stored version")
    log_format: Literal["text", "json"] = Field("text", description="json: one JSON object a line, with the call id")
    rtp_port_min: int | None = Field(None, ge=1024, le=65535, description="lowest RTP port (unset: ephemeral)")
    rtp_port_max: int | None = Field(None, ge=1024, le=65535, description="highest RTP port")
    drain_timeout_s: float = Field(
        60.0, ge=0, le=3600, description="on SIGTERM, how long live calls may run on before they are ended"
    )
    shared: Path | None = Field(None, description="the shared evaluation data (tests and evaluations only)")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _SETTINGS_FILE.get("path")
        if path is not None:
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=path))
        return tuple(sources)

    @model_validator(mode="after")
    def _rtp_range(self) -> Settings:
        lo, hi = self.rtp_port_min, self.rtp_port_max
        if (lo is None) != (hi is None):
            raise ValueError("set both DIALPHONE_RTP_PORT_MIN and DIALPHONE_RTP_PORT_MAX, or neither")
        if lo is not None and hi is not None and hi < lo:
            raise ValueError("DIALPHONE_RTP_PORT_MAX is below DIALPHONE_RTP_PORT_MIN")
        return self

    # -- derived values -------------------------------------------------------------------
    def rtp_ports(self) -> tuple[int, int] | None:
        """The RTP port range (inclusive), or None: each call's socket takes an ephemeral port."""
        if self.rtp_port_min is None or self.rtp_port_max is None:
            return None
        return self.rtp_port_min, self.rtp_port_max

    def database_url_value(self) -> str:
        """The store's SQLAlchemy URL: DIALPHONE_DATABASE_URL, else SQLite in the data folder."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{(self.data_dir / 'state.db').resolve()}"

    @property
    def uses_postgresql(self) -> bool:
        return self.database_url is not None and self.database_url.get_secret_value().startswith("postgres")

    def audit_db_path(self) -> Path:
        return self.audit_db or self.data_dir / "audit.db"

    def signing_key(self) -> bytes | None:
        """The checkpoint key material (PEM or 32 raw bytes), from settings only; None: unsigned."""
        if self.audit_signing_key_b64 is not None:
            return _b64(self.audit_signing_key_b64, "audit_signing_key_b64")
        if self.audit_key is not None:
            try:
                return self.audit_key.read_bytes()
            except OSError as exc:
                raise ConfigError("settings", [(None, "audit_key", f"cannot read: {exc.strerror}")]) from None
        return None

    def optout_key(self) -> bytes:
        if self.optout_key_b64 is None:
            return DEV_OPTOUT_KEY
        key = _b64(self.optout_key_b64, "optout_key_b64")
        if len(key) < 16:
            raise ConfigError("settings", [(None, "optout_key_b64", "needs at least 16 bytes")])
        return key

    def warnings(self) -> list[str]:
        """What an operator should fix before production (names only, never values)."""
        out = []
        if self.optout_key_b64 is None:
            out.append("DIALPHONE_OPTOUT_KEY_B64 is not set: opt-out identifiers use the public development key")
        if self.audit_signing_key_b64 is None and self.audit_key is None:
            out.append("no checkpoint signing key (DIALPHONE_AUDIT_KEY or DIALPHONE_AUDIT_SIGNING_KEY_B64): "
                       "audit rows chain but no checkpoint is signed")
        return out

    def runtime_workspace(self, workspace: Workspace, *, start: Workspace | None = None) -> Workspace:
        """The copy of ``workspace`` this process runs: its secrets and deployment overrides set.

        ``start`` is the workspace read from the YAML at start-up: its ``security`` section (a
        demo's secrets) is used where a setting is unset. Nothing of this goes back to a store."""
        sec = (start or workspace).security.model_copy()
        if self.media_stream_secret is not None:
            sec.media_stream_secret = self.media_stream_secret.get_secret_value()
        if self.vault_key_b64 is not None:
            sec.vault_key_b64 = self.vault_key_b64.get_secret_value()
        if self.audit_signing_key_b64 is not None:
            sec.audit_signing_key_b64 = self.audit_signing_key_b64.get_secret_value()
        if self.twilio_auth_token is not None:
            sec.twilio_auth_token = self.twilio_auth_token.get_secret_value()
        for name in ("twilio_account_sid", "twilio_api_base", "twilio_public_url"):
            if getattr(self, name) is not None:
                setattr(sec, name, getattr(self, name))
        brain = workspace.brain.model_copy(update={
            k: v for k, v in (("backend", self.brain_backend), ("model", self.brain_model),
                              ("base_url", self.brain_base_url)) if v is not None
        })
        sip = workspace.sip.model_copy(update={
            k: v for k, v in (("max_calls", self.sip_max_calls),
                              ("invite_rate_per_s", self.sip_invite_rate_per_s)) if v is not None
        })
        return workspace.model_copy(update={"security": sec, "brain": brain, "sip": sip})

    def summary(self) -> dict[str, Any]:
        """For a start-up log line: plain values, and for each secret only whether it is set."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                out[name] = "set"
            elif value is not None:
                out[name] = str(value)
        return out


_SETTINGS_FILE: dict[str, Path | None] = {}


def _b64(value: SecretStr, name: str) -> bytes:
    try:
        return base64.b64decode(value.get_secret_value(), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError("settings", [(None, name, "is not valid base64")]) from None


def _variable(loc: tuple[int | str, ...]) -> str:
    """The environment variable an error is about (``DIALPHONE_HTTP_PORT``), never its value."""
    if not loc:  # a check across fields: its message names the variables
        return "settings"
    name = str(loc[0])
    return name.upper() if name.lower().startswith("dialphone_") else "DIALPHONE_" + name.upper()


def load_settings(file: str | Path | None = None, **overrides: Any) -> Settings:
    """Settings from ``overrides`` (command line), the environment, then ``file`` (or
    ``$DIALPHONE_SETTINGS_FILE``). Raises :class:`ConfigError` naming each bad field, never its value."""
    path = Path(file) if file else (Path(os.environ[SETTINGS_FILE_ENV]) if os.environ.get(SETTINGS_FILE_ENV) else None)
    if path is not None:
        if not path.is_file():
            raise ConfigError(str(path), [(None, "<file>", "settings file not found")])
        if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            log.warning("settings file %s is readable by others; it may hold secrets (chmod 600)", path)
    _SETTINGS_FILE["path"] = path
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems: list[tuple[int | None, str, str]] = [(None, _variable(err["loc"]), err["msg"]) for err in exc.errors()]
        raise ConfigError(str(path) if path else "settings", problems) from None
    finally:
        _SETTINGS_FILE.pop("path", None)
