"""Digest manifests for model folders supplied by path (not from a pinned package).

A manifest lists the SHA-256 of each file in the folder. Two formats are read:

- JSON: ``{"files": {"model.bin": "<hex>", ...}}`` (values may also be ``{"sha256": "<hex>"}``);
  this is what :func:`write_manifest` writes.
- ``sha256sum`` text: one ``<hex>  <name>`` line per file.

The default location is ``<folder>/dialphone-digests.json``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from voice.models.exceptions import ModelManifestError

MANIFEST_NAME = "dialphone-digests.json"
_HEX = re.compile(r"^[0-9a-f]{64}$")


def _check(name: str, digest: str, source: Path) -> str:
    digest = digest.strip().lower()
    if not _HEX.match(digest) or "/" in name or "\\" in name or name.startswith("."):
        raise ModelManifestError(f"digest manifest {source} has an invalid entry for {name!r}")
    return digest


def read_manifest(path: Path) -> dict[str, str]:
    """File name -> hex SHA-256 from a JSON or ``sha256sum`` manifest."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ModelManifestError(f"cannot read digest manifest {path}: {exc.strerror}") from exc
    files: dict[str, str] = {}
    if text.lstrip().startswith("{"):
        try:
            raw = json.loads(text)["files"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelManifestError(f'digest manifest {path} is not {{"files": {{...}}}} JSON') from exc
        if not isinstance(raw, dict):
            raise ModelManifestError(f'digest manifest {path}: "files" must be an object')
        for name, value in raw.items():
            digest = value.get("sha256", "") if isinstance(value, dict) else value
            files[str(name)] = _check(str(name), str(digest), path)
    else:
        for line in text.splitlines():
            if not line.strip():
                continue
            parts = line.split(maxsplit=1)
            if len(parts) != 2:
                raise ModelManifestError(f"digest manifest {path} has a malformed line")
            name = parts[1].strip().lstrip("*")
            files[name] = _check(name, parts[0], path)
    if not files:
        raise ModelManifestError(f"digest manifest {path} lists no files")
    return files


def write_manifest(path: Path, files: dict[str, str]) -> None:
    """Write ``files`` (name -> hex SHA-256) as a JSON manifest."""
    body = {"files": {name: {"sha256": digest} for name, digest in sorted(files.items())}}
    path.write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
