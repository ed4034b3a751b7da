"""Logging set-up: our loggers through ``logging``, pipecat's loguru capped at WARNING.

Pipecat logs every frame and every text it synthesizes at DEBUG; in a contact-center product that
volume is noise and its text could carry what a caller said before redaction. Nothing of ours logs
caller text; capping pipecat keeps it that way for the framework too.
"""

from __future__ import annotations

import logging
import os
import sys

from loguru import logger as loguru_logger


def configure(level: str | None = None) -> None:
    lvl = (level or os.environ.get("DIALPHONE_LOG_LEVEL", "INFO")).upper()
    logging.basicConfig(level=lvl, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    loguru_logger.remove()
    loguru_logger.add(sys.stderr, level="WARNING")
