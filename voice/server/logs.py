"""Logging set-up: our loggers through ``logging``, pipecat's loguru capped at WARNING.

Below DEBUG, the chatter of the libraries under us is hidden (:data:`CHATTY`: aioice, aiortc and
presidio at INFO) and so are pipecat's harmless warnings (:data:`HARMLESS`: "No video transceiver
is available" for every audio-only browser call); ``DIALPHONE_LOG_LEVEL=DEBUG`` shows them all.

Pipecat logs every frame and every text it synthesizes at DEBUG; in a contact-center product that
volume is noise and its text could carry what a caller said before redaction. Nothing of ours logs
caller text; capping pipecat keeps it that way for the framework too.

Two formats (``--log-format``, ``DIALPHONE_LOG_FORMAT``):

- ``text``: ``2026-01-01 12:00:00,000 INFO dialphone.sip: ...``
- ``json``: one object a line, ``{"ts": "...", "level": "INFO", "logger": "dialphone.sip",
  "message": "...", "call_id": "3f2a..."}``; ``call_id`` is there for lines logged inside a call
  (the :data:`CALL_ID` context the server sets when a call is built), and ``exc_type`` /
  ``traceback`` for an exception. A log shipper can then follow one call across lines.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any

from loguru import logger as loguru_logger

#: the call a line is logged for (set in the call's task by :func:`voice.server.call_metrics.call_hook`)
CALL_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("dialphone_call_id", default=None)
FORMATS = ("text", "json")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, call id."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        call_id = getattr(record, "call_id", None) or CALL_ID.get()
        if call_id:
            out["call_id"] = call_id
        if record.exc_info and record.exc_info[0] is not None:
            out["exc_type"] = record.exc_info[0].__name__
            out["traceback"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def _loguru_json(message: Any) -> None:
    record = message.record
    out: dict[str, Any] = {
        "ts": record["time"].astimezone(UTC).isoformat(timespec="milliseconds"),
        "level": record["level"].name,
        "logger": str(record["name"]),
        "message": str(record["message"]),
    }
    call_id = CALL_ID.get()
    if call_id:
        out["call_id"] = call_id
    sys.stderr.write(json.dumps(out, ensure_ascii=False) + "\n")


def configure(level: str | None = None, fmt: str | None = None) -> None:
    """Log to stderr at ``level`` in ``fmt`` (text or json); called again, it replaces its own
    handler. A root logger someone else set up (a test runner) is left alone, as ``basicConfig``
    would; loguru (pipecat) is capped at WARNING either way."""
    global _HANDLER
    lvl = (level or os.environ.get("DIALPHONE_LOG_LEVEL", "INFO")).upper()
    kind = (fmt or os.environ.get("DIALPHONE_LOG_FORMAT", "text")).lower()
    root = logging.getLogger()
    if _HANDLER is not None:
        root.removeHandler(_HANDLER)
        _HANDLER = None
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        if kind == "json":
            handler.setFormatter(JsonFormatter())
        else:
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(lvl)
        _HANDLER = handler
    verbose = lvl == "DEBUG"
    for name in CHATTY:  # their INFO lines say nothing an operator acts on
        logging.getLogger(name).setLevel(logging.NOTSET if verbose else logging.WARNING)
    loguru_logger.remove()
    keep = None if verbose else _not_harmless
    if kind == "json":
        loguru_logger.add(_loguru_json, level="WARNING", filter=keep)
    else:
        loguru_logger.add(sys.stderr, level="WARNING", filter=keep)


#: Third-party loggers shown from WARNING up unless the level is DEBUG (ICE candidate pairs, each
#: recognizer presidio loads, WebRTC connection states, alembic's plugins).
CHATTY = ("aioice", "aiortc", "presidio-analyzer", "pipecat", "alembic")
#: Pipecat warnings that are expected here and harmless: an audio-only caller has no video track.
HARMLESS = ("No video transceiver is available", "No screen video transceiver is available")


def _not_harmless(record: Any) -> bool:
    return not str(record["message"]).startswith(HARMLESS)


_HANDLER: logging.Handler | None = None
