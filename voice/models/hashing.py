"""SHA-256 of model files, computed once per process per (path, size, mtime).

Large files show a progress bar on stderr (tqdm, only when stderr is a terminal) and a log line,
so a slow first start is visible. The cache is process-wide and thread-safe.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path

from tqdm import tqdm

log = logging.getLogger(__name__)

_CHUNK = 1 << 20
_PROGRESS_MIN_BYTES = 16 << 20

_cache: dict[tuple[str, int, int], str] = {}
_lock = threading.Lock()


def _key(path: Path) -> tuple[str, int, int]:
    st = os.stat(path)
    return (str(path.resolve()), st.st_size, st.st_mtime_ns)


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of ``path``; cached per (resolved path, size, mtime) for this process."""
    key = _key(path)
    with _lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    size = key[1]
    digest = hashlib.sha256()
    if size >= _PROGRESS_MIN_BYTES:
        log.info("verifying %s (%.1f MB)", path.name, size / 1e6)
    with (
        open(path, "rb") as f,
        tqdm(
            total=size,
            unit="B",
            unit_scale=True,
            desc=f"sha256 {path.name}",
            disable=None if size >= _PROGRESS_MIN_BYTES else True,
            leave=False,
        ) as bar,
    ):
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
            bar.update(len(chunk))
    hexdigest = digest.hexdigest()
    with _lock:
        _cache[key] = hexdigest
    return hexdigest


def clear_cache() -> None:
    """Forget every cached digest (tests, or after replacing files in place with the same mtime)."""
    with _lock:
        _cache.clear()
